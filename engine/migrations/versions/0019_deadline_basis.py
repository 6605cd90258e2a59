"""deadline basis and clock pauses: deadlines that follow the calendar, clocks that stop

Revision ID: 0019
Revises: 0016
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import engine.store.types

revision = "0019"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "deadline",
        sa.Column("timer_id", sa.String(length=36), nullable=False),
        sa.Column("instance_id", sa.String(length=36), nullable=False),
        sa.Column("office", sa.String(length=80), nullable=False),
        sa.Column("timer_name", sa.String(length=200), nullable=False),
        sa.Column("attached_to", sa.String(length=36), nullable=True),
        sa.Column("start_at", engine.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("amount", sa.Float(), nullable=False),
        sa.Column("unit", sa.String(length=20), nullable=False),
        sa.Column("standard_key", sa.String(length=80), nullable=True),
        sa.Column("calendar_version", sa.String(length=16), nullable=False),
        sa.Column("paused_hours", sa.Float(), server_default="0", nullable=False),
        sa.Column("paused_since", engine.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "due_without_pauses", engine.store.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("due_at", engine.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.ForeignKeyConstraint(
            ["instance_id"],
            ["process_instance.id"],
            name=op.f("fk_deadline_instance_id_process_instance"),
        ),
        sa.PrimaryKeyConstraint("timer_id", name=op.f("pk_deadline")),
    )
    with op.batch_alter_table("deadline", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_deadline_instance_id"), ["instance_id"], unique=False)
        batch_op.create_index(
            "ix_deadline_office_open", ["office", "status", "due_at"], unique=False
        )

    op.create_table(
        "clock_pause",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("instance_id", sa.String(length=36), nullable=False),
        sa.Column("office", sa.String(length=80), nullable=False),
        sa.Column("standard_key", sa.String(length=80), nullable=False),
        sa.Column("element_id", sa.String(length=36), nullable=False),
        sa.Column("element_name", sa.String(length=200), nullable=False),
        sa.Column("started_at", engine.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", engine.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("business_hours", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["instance_id"],
            ["process_instance.id"],
            name=op.f("fk_clock_pause_instance_id_process_instance"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clock_pause")),
    )
    with op.batch_alter_table("clock_pause", schema=None) as batch_op:
        batch_op.create_index("ix_clock_pause_instance", ["instance_id", "ended_at"], unique=False)

    with op.batch_alter_table("human_task", schema=None) as batch_op:
        batch_op.add_column(sa.Column("deadline_id", sa.String(length=36), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("human_task", schema=None) as batch_op:
        batch_op.drop_column("deadline_id")
    with op.batch_alter_table("clock_pause", schema=None) as batch_op:
        batch_op.drop_index("ix_clock_pause_instance")
    op.drop_table("clock_pause")
    with op.batch_alter_table("deadline", schema=None) as batch_op:
        batch_op.drop_index("ix_deadline_office_open")
        batch_op.drop_index(batch_op.f("ix_deadline_instance_id"))
    op.drop_table("deadline")
