"""screens: form drafts per task and user, saved inbox filters, task priority and detail

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import engine.store.types

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "saved_filter",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("username", sa.String(length=80), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("query", sa.String(length=1000), nullable=False),
        sa.Column("created_at", engine.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_filter")),
        sa.UniqueConstraint("username", "name", name=op.f("uq_saved_filter_username")),
    )
    with op.batch_alter_table("saved_filter", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_saved_filter_username"), ["username"], unique=False)

    op.create_table(
        "task_draft",
        sa.Column("task_id", sa.String(length=36), nullable=False),
        sa.Column("username", sa.String(length=80), nullable=False),
        sa.Column("values_json", sa.Text(), nullable=False),
        sa.Column("saved_at", engine.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["task_id"], ["human_task.id"], name=op.f("fk_task_draft_task_id_human_task")
        ),
        sa.PrimaryKeyConstraint("task_id", "username", name=op.f("pk_task_draft")),
    )
    with op.batch_alter_table("human_task", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("priority", sa.SmallInteger(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("detail", sa.String(length=300), nullable=True))
        batch_op.create_index(
            "ix_human_task_open_assignee_created",
            ["assignee", "created_at", "id"],
            unique=False,
            postgresql_where=sa.text("status = 'open'"),
            sqlite_where=sa.text("status = 'open'"),
        )
        batch_op.create_index(
            "ix_human_task_open_queue_created",
            ["office", "queue", "created_at", "id"],
            unique=False,
            postgresql_where=sa.text("status = 'open'"),
            sqlite_where=sa.text("status = 'open'"),
        )
        batch_op.create_index(
            "ix_human_task_open_raised",
            ["office", "priority", "due_at", "created_at", "id"],
            unique=False,
            postgresql_where=sa.text("status = 'open' AND priority > 0"),
            sqlite_where=sa.text("status = 'open' AND priority > 0"),
        )


def downgrade() -> None:
    with op.batch_alter_table("human_task", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_human_task_open_raised",
            postgresql_where=sa.text("status = 'open' AND priority > 0"),
            sqlite_where=sa.text("status = 'open' AND priority > 0"),
        )
        batch_op.drop_index(
            "ix_human_task_open_queue_created",
            postgresql_where=sa.text("status = 'open'"),
            sqlite_where=sa.text("status = 'open'"),
        )
        batch_op.drop_index(
            "ix_human_task_open_assignee_created",
            postgresql_where=sa.text("status = 'open'"),
            sqlite_where=sa.text("status = 'open'"),
        )
        batch_op.drop_column("detail")
        batch_op.drop_column("priority")

    op.drop_table("task_draft")
    with op.batch_alter_table("saved_filter", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_saved_filter_username"))

    op.drop_table("saved_filter")
