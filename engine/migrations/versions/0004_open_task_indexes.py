"""partial indexes over open tasks (inbox, overdue pages, reports at 1M tasks), instances by office

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

OPEN = sa.text("status = 'open'")
CLOSED = sa.text("completed_at IS NOT NULL")


def upgrade() -> None:
    op.create_index(
        "ix_human_task_open_queue",
        "human_task",
        ["office", "queue", "due_at", "created_at", "id"],
        postgresql_where=OPEN,
        sqlite_where=OPEN,
    )
    op.create_index(
        "ix_human_task_open_assignee",
        "human_task",
        ["assignee", "due_at", "created_at", "id"],
        postgresql_where=OPEN,
        sqlite_where=OPEN,
    )
    op.create_index(
        "ix_human_task_open_office",
        "human_task",
        ["office", "due_at", "created_at", "id"],
        postgresql_where=OPEN,
        sqlite_where=OPEN,
    )
    op.create_index(
        "ix_human_task_open_due",
        "human_task",
        ["due_at", "created_at", "id"],
        postgresql_where=OPEN,
        sqlite_where=OPEN,
    )
    op.create_index(
        "ix_human_task_office_closed",
        "human_task",
        ["office", "completed_at"],
        postgresql_where=CLOSED,
        sqlite_where=CLOSED,
    )
    op.create_index(
        "ix_process_instance_office_created", "process_instance", ["office", "created_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_process_instance_office_created", table_name="process_instance")
    op.drop_index("ix_human_task_office_closed", table_name="human_task")
    op.drop_index("ix_human_task_open_due", table_name="human_task")
    op.drop_index("ix_human_task_open_office", table_name="human_task")
    op.drop_index("ix_human_task_open_assignee", table_name="human_task")
    op.drop_index("ix_human_task_open_queue", table_name="human_task")
