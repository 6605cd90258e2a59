"""cases: the client's case as a record; every instance belongs to one (backfilled by office and
business key); notes, attachments, per-office key sequence; start forms on definitions

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-10
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from alembic import op

import engine.store.types
from engine.cases.normalize import search_text

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

UTC_DATETIME = engine.store.types.UTCDateTime(timezone=True)
SCHEDULE_PREFIX = "schedule:"


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    _create_tables()
    # SQLite: a plain ADD COLUMN with an inline REFERENCES (rebuilding process_instance the
    # batch way would trip the foreign keys that point at it).
    if postgres:
        op.add_column("process_instance", sa.Column("case_id", sa.Integer(), nullable=True))
        op.create_foreign_key(
            "fk_process_instance_case_id_client_case",
            "process_instance",
            "client_case",
            ["case_id"],
            ["id"],
        )
    else:
        op.execute(
            "ALTER TABLE process_instance ADD COLUMN case_id INTEGER REFERENCES client_case (id)"
        )
    op.create_index("ix_process_instance_case_id", "process_instance", ["case_id"])
    op.add_column("human_task", sa.Column("case_key", sa.String(length=200), nullable=True))
    op.add_column("human_task", sa.Column("client_name", sa.String(length=200), nullable=True))
    op.create_index("ix_human_task_case_key", "human_task", ["case_key", "status"])
    op.add_column("audit_event", sa.Column("case_id", sa.Integer(), nullable=True))
    op.create_index("ix_audit_event_case_id", "audit_event", ["case_id"])
    op.add_column("definition", sa.Column("start_form_key", sa.String(length=200), nullable=True))
    _backfill(op.get_bind())


def _create_tables() -> None:
    op.create_table(
        "client_case",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("office", sa.String(length=80), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("client_name", sa.String(length=200), nullable=False),
        sa.Column("client_search", sa.String(length=500), nullable=False),
        sa.Column("preferred_language", sa.String(length=8), nullable=True),
        sa.Column("date_of_birth", sa.Date(), nullable=True),
        sa.Column("email", sa.String(length=200), nullable=True),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("address", sa.String(length=400), nullable=True),
        sa.Column("safe_contact", sa.Boolean(), nullable=False),
        sa.Column("interpreter_needed", sa.Boolean(), nullable=False),
        sa.Column("opened_at", UTC_DATETIME, nullable=False),
        sa.Column("opened_by", sa.String(length=80), nullable=False),
        sa.Column("closed_at", UTC_DATETIME, nullable=True),
        sa.Column("closed_by", sa.String(length=80), nullable=True),
        sa.Column("close_reason", sa.String(length=40), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_client_case")),
        sa.UniqueConstraint("office", "key", name="uq_client_case_office_key"),
    )
    op.create_index("ix_client_case_office_opened", "client_case", ["office", "opened_at"])
    op.create_index("ix_client_case_office_birth", "client_case", ["office", "date_of_birth"])
    op.create_index(
        "ix_client_case_search",
        "client_case",
        ["client_search"],
        postgresql_using="gin",
        postgresql_ops={"client_search": "gin_trgm_ops"},
    )
    op.create_table(
        "case_key_sequence",
        sa.Column("office", sa.String(length=80), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last_value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("office", "year", name=op.f("pk_case_key_sequence")),
    )
    op.create_table(
        "case_note",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("author", sa.String(length=80), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("edited_at", UTC_DATETIME, nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["client_case.id"], name=op.f("fk_case_note_case_id_client_case")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_note")),
    )
    op.create_index("ix_case_note_case_id", "case_note", ["case_id"])
    op.create_table(
        "case_attachment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("uploaded_by", sa.String(length=80), nullable=False),
        sa.Column("uploaded_at", UTC_DATETIME, nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=True),
        sa.Column("stored_name", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["client_case.id"], name=op.f("fk_case_attachment_case_id_client_case")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_attachment")),
    )
    op.create_index("ix_case_attachment_case_id", "case_attachment", ["case_id"])


def _client_name(data_json: str) -> str:
    """The best name the instance data holds (intake: applicant.name; others: client_name)."""
    try:
        data = json.loads(data_json or "{}")
    except ValueError:
        return ""
    if not isinstance(data, dict):
        return ""
    applicant = data.get("applicant")
    name = applicant.get("name") if isinstance(applicant, dict) else None
    name = name or data.get("client_name")
    return name.strip()[:200] if isinstance(name, str) else ""


def _backfill(conn: Any) -> None:
    """One open case per (office, business key) of the existing instances, schedules aside."""
    instances = conn.execute(
        sa.text(
            "SELECT id, office, business_key, started_by, created_at, data_json "
            "FROM process_instance ORDER BY created_at, id"
        )
    ).all()
    cases: dict[tuple[str, str], dict[str, Any]] = {}
    for row in instances:
        if row.business_key.startswith(SCHEDULE_PREFIX):
            continue
        found = cases.setdefault(
            (row.office, row.business_key),
            {"opened_at": row.created_at, "opened_by": row.started_by, "name": "", "ids": []},
        )
        found["name"] = _client_name(row.data_json) or found["name"]
        found["ids"].append(row.id)
    table = sa.table(
        "client_case",
        *(
            sa.column(name)
            for name in (
                "office", "key", "status", "client_name", "client_search", "safe_contact",
                "interpreter_needed", "opened_at", "opened_by",
            )
        ),
    )  # fmt: skip
    for (office, key), found in cases.items():
        conn.execute(
            table.insert().values(
                office=office,
                key=key,
                status="open",
                client_name=found["name"],
                client_search=search_text(found["name"], key),
                safe_contact=False,
                interpreter_needed=False,
                opened_at=found["opened_at"],
                opened_by=found["opened_by"],
            )
        )
        case_id = conn.execute(
            sa.text("SELECT id FROM client_case WHERE office = :o AND key = :k"),
            {"o": office, "k": key},
        ).scalar_one()
        conn.execute(
            sa.text("UPDATE process_instance SET case_id = :c WHERE id IN :ids").bindparams(
                sa.bindparam("ids", expanding=True)
            ),
            {"c": case_id, "ids": found["ids"]},
        )
        conn.execute(
            sa.text(
                "UPDATE human_task SET case_key = :k, client_name = :n WHERE instance_id IN :ids"
            ).bindparams(sa.bindparam("ids", expanding=True)),
            {"k": key, "n": found["name"] or None, "ids": found["ids"]},
        )


def downgrade() -> None:
    op.drop_column("definition", "start_form_key")
    op.drop_index("ix_audit_event_case_id", table_name="audit_event")
    op.drop_column("audit_event", "case_id")
    op.drop_index("ix_human_task_case_key", table_name="human_task")
    op.drop_column("human_task", "client_name")
    op.drop_column("human_task", "case_key")
    op.drop_index("ix_process_instance_case_id", table_name="process_instance")
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint(
            "fk_process_instance_case_id_client_case", "process_instance", type_="foreignkey"
        )
    op.drop_column("process_instance", "case_id")
    op.drop_table("case_attachment")
    op.drop_table("case_note")
    op.drop_table("case_key_sequence")
    op.drop_table("client_case")
