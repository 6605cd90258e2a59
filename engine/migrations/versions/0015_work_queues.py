"""work queues as data (key, titles, roles and named staff, office) and named candidate users
on human tasks; seed rows for the role queues the shipped workflows use

Revision ID: 0015
Revises: 0020
Create Date: 2026-12-03
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import engine.store.types

revision = "0015"
down_revision = "0020"
branch_labels = None
depends_on = None

SEEDS = (
    ("intake_worker", "Intake", "Accueil", "intake_worker"),
    ("caseworker", "Casework", "Suivi des dossiers", "caseworker"),
    ("supervisor", "Supervisors", "Superviseurs", "supervisor"),
    ("triage", "Triage (office supervisors)", "Triage (superviseurs du bureau)", "supervisor"),
)


def upgrade() -> None:
    table = op.create_table(
        "work_queue",
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("title_en", sa.String(length=200), nullable=False),
        sa.Column("title_fr", sa.String(length=200), nullable=False),
        sa.Column("roles", sa.String(length=400), server_default="", nullable=False),
        sa.Column("users", sa.String(length=1000), server_default="", nullable=False),
        sa.Column("office", sa.String(length=80), nullable=True),
        sa.Column("created_at", engine.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", engine.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_work_queue")),
    )
    now = datetime.now(UTC)
    op.bulk_insert(
        table,
        [
            {
                "key": key,
                "title_en": en,
                "title_fr": fr,
                "roles": roles,
                "users": "",
                "office": None,
                "created_at": now,
                "updated_at": now,
            }
            for key, en, fr, roles in SEEDS
        ],
    )
    with op.batch_alter_table("human_task", schema=None) as batch_op:
        batch_op.add_column(sa.Column("candidate_users", sa.String(length=1000), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("human_task", schema=None) as batch_op:
        batch_op.drop_column("candidate_users")
    op.drop_table("work_queue")
