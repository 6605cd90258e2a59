"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import engine.store.types
from engine.store import append_only

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    _create_tables()
    for sql in append_only.statements(op.get_bind().dialect.name):
        op.execute(sql)


def _create_tables() -> None:

    op.create_table(
        "app_user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=80), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("office", sa.String(length=80), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("password_hash", sa.String(length=300), nullable=True),
        sa.Column("created_at", engine.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_app_user")),
        sa.UniqueConstraint("username", name=op.f("uq_app_user_username")),
    )
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_app_user_office"), ["office"], unique=False)

    op.create_table(
        "audit_event",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("at", engine.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("action", sa.String(length=60), nullable=False),
        sa.Column("instance_id", sa.String(length=36), nullable=True),
        sa.Column("task_id", sa.String(length=36), nullable=True),
        sa.Column("detail_json", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_event")),
    )
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_event_action"), ["action"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_event_at"), ["at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_audit_event_instance_id"), ["instance_id"], unique=False
        )

    op.create_table(
        "definition",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("process_id", sa.String(length=200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("spec_json", sa.Text(), nullable=False),
        sa.Column("created_at", engine.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_definition")),
        sa.UniqueConstraint("process_id", "version", name="uq_definition_process_version"),
    )
    with op.batch_alter_table("definition", schema=None) as batch_op:
        batch_op.create_index("ix_definition_process_sha", ["process_id", "sha256"], unique=False)

    op.create_table(
        "office_closure",
        sa.Column("office", sa.String(length=80), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        sa.Column("created_at", engine.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("office", "day", name=op.f("pk_office_closure")),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("instance_id", sa.String(length=36), nullable=False),
        sa.Column("channel", sa.String(length=40), nullable=False),
        sa.Column("recipient", sa.String(length=300), nullable=False),
        sa.Column("subject", sa.String(length=500), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("payload_json", sa.Text(), nullable=False),
        sa.Column("created_at", engine.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", engine.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outbox_instance_id"), ["instance_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_outbox_sent_at"), ["sent_at"], unique=False)

    op.create_table(
        "api_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", engine.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", engine.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", engine.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_api_token_user_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_token_token_hash")),
    )
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_token_user_id"), ["user_id"], unique=False)

    op.create_table(
        "definition_file",
        sa.Column("definition_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=300), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["definition_id"],
            ["definition.id"],
            name=op.f("fk_definition_file_definition_id_definition"),
        ),
        sa.PrimaryKeyConstraint("definition_id", "filename", name=op.f("pk_definition_file")),
    )
    op.create_table(
        "definition_form",
        sa.Column("definition_id", sa.Integer(), nullable=False),
        sa.Column("form_key", sa.String(length=200), nullable=False),
        sa.Column("schema_json", sa.Text(), nullable=False),
        sa.Column("ui_schema_json", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["definition_id"],
            ["definition.id"],
            name=op.f("fk_definition_form_definition_id_definition"),
        ),
        sa.PrimaryKeyConstraint("definition_id", "form_key", name=op.f("pk_definition_form")),
    )
    op.create_table(
        "process_instance",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("definition_id", sa.Integer(), nullable=False),
        sa.Column("process_id", sa.String(length=200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("business_key", sa.String(length=200), nullable=False),
        sa.Column("office", sa.String(length=80), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("state", sa.LargeBinary(), nullable=False),
        sa.Column("data_json", sa.Text(), nullable=False),
        sa.Column("lock_version", sa.Integer(), nullable=False),
        sa.Column("started_by", sa.String(length=80), nullable=False),
        sa.Column("created_at", engine.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", engine.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("completed_at", engine.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["definition_id"],
            ["definition.id"],
            name=op.f("fk_process_instance_definition_id_definition"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_process_instance")),
    )
    with op.batch_alter_table("process_instance", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_process_instance_business_key"), ["business_key"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_process_instance_definition_id"), ["definition_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_process_instance_office"), ["office"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_process_instance_process_id"), ["process_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_process_instance_status"), ["status"], unique=False)

    op.create_table(
        "user_role",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=80), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_user_role_user_id_app_user")
        ),
        sa.PrimaryKeyConstraint("user_id", "role", name=op.f("pk_user_role")),
    )
    with op.batch_alter_table("user_role", schema=None) as batch_op:
        batch_op.create_index("ix_user_role_role", ["role"], unique=False)

    op.create_table(
        "human_task",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("instance_id", sa.String(length=36), nullable=False),
        sa.Column("process_id", sa.String(length=200), nullable=False),
        sa.Column("business_key", sa.String(length=200), nullable=False),
        sa.Column("office", sa.String(length=80), nullable=False),
        sa.Column("task_name", sa.String(length=200), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("queue", sa.String(length=80), nullable=False),
        sa.Column("form_key", sa.String(length=200), nullable=True),
        sa.Column("assignee", sa.String(length=80), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", engine.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("due_at", engine.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("claimed_at", engine.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("claimed_by", sa.String(length=80), nullable=True),
        sa.Column("completed_at", engine.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("completed_by", sa.String(length=80), nullable=True),
        sa.Column("submitted_json", sa.Text(), nullable=True),
        sa.Column("closed_reason", sa.String(length=40), nullable=True),
        sa.Column("excluded_users", sa.String(length=400), nullable=True),
        sa.ForeignKeyConstraint(
            ["instance_id"],
            ["process_instance.id"],
            name=op.f("fk_human_task_instance_id_process_instance"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_human_task")),
    )
    with op.batch_alter_table("human_task", schema=None) as batch_op:
        batch_op.create_index(
            "ix_human_task_assignee", ["assignee", "status", "due_at"], unique=False
        )
        batch_op.create_index("ix_human_task_due", ["status", "due_at"], unique=False)
        batch_op.create_index(
            "ix_human_task_inbox", ["status", "queue", "office", "due_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_human_task_instance_id"), ["instance_id"], unique=False
        )

    op.create_table(
        "incident",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.String(length=36), nullable=False),
        sa.Column("task_id", sa.String(length=36), nullable=True),
        sa.Column("task_name", sa.String(length=200), nullable=True),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("created_at", engine.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", engine.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("resolved_by", sa.String(length=80), nullable=True),
        sa.ForeignKeyConstraint(
            ["instance_id"],
            ["process_instance.id"],
            name=op.f("fk_incident_instance_id_process_instance"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident")),
    )
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_incident_instance_id"), ["instance_id"], unique=False)

    op.create_table(
        "message_wait",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("instance_id", sa.String(length=36), nullable=False),
        sa.Column("message_name", sa.String(length=200), nullable=False),
        sa.Column("correlation", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["instance_id"],
            ["process_instance.id"],
            name=op.f("fk_message_wait_instance_id_process_instance"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_wait")),
    )
    with op.batch_alter_table("message_wait", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_message_wait_instance_id"), ["instance_id"], unique=False
        )
        batch_op.create_index(
            "ix_message_wait_lookup", ["message_name", "correlation"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_message_wait_message_name"), ["message_name"], unique=False
        )

    op.create_table(
        "timer",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("instance_id", sa.String(length=36), nullable=False),
        sa.Column("task_name", sa.String(length=200), nullable=False),
        sa.Column("due_at", engine.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("attached_to", sa.String(length=36), nullable=True),
        sa.Column("interrupting", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["instance_id"],
            ["process_instance.id"],
            name=op.f("fk_timer_instance_id_process_instance"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_timer")),
    )
    with op.batch_alter_table("timer", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_timer_due_at"), ["due_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_timer_instance_id"), ["instance_id"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("timer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_timer_instance_id"))
        batch_op.drop_index(batch_op.f("ix_timer_due_at"))

    op.drop_table("timer")
    with op.batch_alter_table("message_wait", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_message_wait_message_name"))
        batch_op.drop_index("ix_message_wait_lookup")
        batch_op.drop_index(batch_op.f("ix_message_wait_instance_id"))

    op.drop_table("message_wait")
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_incident_instance_id"))

    op.drop_table("incident")
    with op.batch_alter_table("human_task", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_human_task_instance_id"))
        batch_op.drop_index("ix_human_task_inbox")
        batch_op.drop_index("ix_human_task_due")
        batch_op.drop_index("ix_human_task_assignee")

    op.drop_table("human_task")
    with op.batch_alter_table("user_role", schema=None) as batch_op:
        batch_op.drop_index("ix_user_role_role")

    op.drop_table("user_role")
    with op.batch_alter_table("process_instance", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_process_instance_status"))
        batch_op.drop_index(batch_op.f("ix_process_instance_process_id"))
        batch_op.drop_index(batch_op.f("ix_process_instance_office"))
        batch_op.drop_index(batch_op.f("ix_process_instance_definition_id"))
        batch_op.drop_index(batch_op.f("ix_process_instance_business_key"))

    op.drop_table("process_instance")
    op.drop_table("definition_form")
    op.drop_table("definition_file")
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_token_user_id"))

    op.drop_table("api_token")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_sent_at"))
        batch_op.drop_index(batch_op.f("ix_outbox_instance_id"))

    op.drop_table("outbox")
    op.drop_table("office_closure")
    with op.batch_alter_table("definition", schema=None) as batch_op:
        batch_op.drop_index("ix_definition_process_sha")

    op.drop_table("definition")
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_event_instance_id"))
        batch_op.drop_index(batch_op.f("ix_audit_event_at"))
        batch_op.drop_index(batch_op.f("ix_audit_event_action"))

    op.drop_table("audit_event")
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_app_user_office"))

    op.drop_table("app_user")
