"""the report reads only indexes on PostgreSQL: open and closed task indexes carry its columns

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

OPEN = sa.text("status = 'open'")
CLOSED = sa.text("completed_at IS NOT NULL")
OPEN_COVERS = ["queue", "process_id", "task_name", "title"]
CLOSED_COVERS = [*OPEN_COVERS, "status", "closed_reason", "created_at", "due_at"]


def _recreate(include_open: list[str], include_closed: list[str]) -> None:
    op.drop_index("ix_human_task_open_office", table_name="human_task")
    op.create_index(
        "ix_human_task_open_office",
        "human_task",
        ["office", "due_at", "created_at", "id"],
        postgresql_where=OPEN,
        sqlite_where=OPEN,
        postgresql_include=include_open,
    )
    op.drop_index("ix_human_task_office_closed", table_name="human_task")
    op.create_index(
        "ix_human_task_office_closed",
        "human_task",
        ["office", "completed_at"],
        postgresql_where=CLOSED,
        sqlite_where=CLOSED,
        postgresql_include=include_closed,
    )


def upgrade() -> None:
    _recreate(OPEN_COVERS, CLOSED_COVERS)


def downgrade() -> None:
    _recreate([], [])
