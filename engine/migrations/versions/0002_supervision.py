"""supervision: case owners, absences and the tasks they moved

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import engine.store.types

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

UTC_DATETIME = engine.store.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "absence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=80), nullable=False),
        sa.Column("office", sa.String(length=80), nullable=False),
        sa.Column("starts_at", UTC_DATETIME, nullable=False),
        sa.Column("ends_at", UTC_DATETIME, nullable=False),
        sa.Column("cover", sa.String(length=80), nullable=True),
        sa.Column("reason_category", sa.String(length=20), nullable=False),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("applied_at", UTC_DATETIME, nullable=True),
        sa.Column("cancelled", sa.Boolean(), nullable=False),
        sa.Column("ended_at", UTC_DATETIME, nullable=True),
        sa.Column("ended_by", sa.String(length=80), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_absence")),
    )
    op.create_index("ix_absence_office", "absence", ["office", "ends_at"])
    op.create_index("ix_absence_pending", "absence", ["applied_at", "starts_at"])
    op.create_index("ix_absence_user", "absence", ["username", "starts_at"])

    op.create_table(
        "case_owner",
        sa.Column("office", sa.String(length=80), nullable=False),
        sa.Column("business_key", sa.String(length=200), nullable=False),
        sa.Column("owner", sa.String(length=80), nullable=False),
        sa.Column("assigned_at", UTC_DATETIME, nullable=False),
        sa.Column("assigned_by", sa.String(length=80), nullable=False),
        sa.PrimaryKeyConstraint("office", "business_key", name=op.f("pk_case_owner")),
    )
    op.create_index(op.f("ix_case_owner_owner"), "case_owner", ["owner"])

    op.create_table(
        "absence_task",
        sa.Column("absence_id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.String(length=36), nullable=False),
        sa.Column("moved_to", sa.String(length=80), nullable=True),
        sa.Column("moved_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["absence_id"], ["absence.id"], name=op.f("fk_absence_task_absence_id_absence")
        ),
        sa.ForeignKeyConstraint(
            ["task_id"], ["human_task.id"], name=op.f("fk_absence_task_task_id_human_task")
        ),
        sa.PrimaryKeyConstraint("absence_id", "task_id", name=op.f("pk_absence_task")),
    )
    op.create_index("ix_human_task_case", "human_task", ["office", "business_key", "status"])


def downgrade() -> None:
    op.drop_index("ix_human_task_case", table_name="human_task")
    op.drop_table("absence_task")
    op.drop_index(op.f("ix_case_owner_owner"), table_name="case_owner")
    op.drop_table("case_owner")
    op.drop_index("ix_absence_user", table_name="absence")
    op.drop_index("ix_absence_pending", table_name="absence")
    op.drop_index("ix_absence_office", table_name="absence")
    op.drop_table("absence")
