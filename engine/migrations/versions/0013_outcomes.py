"""outcomes: referral, plan-goal, financial-empowerment and closure-survey outcomes

Revision ID: 0013
Revises: 0015
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import engine.store.types

revision = "0013"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outcome",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("office", sa.String(length=80), nullable=False),
        sa.Column("case_key", sa.String(length=200), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("instance_id", sa.String(length=36), nullable=True),
        sa.Column("task_id", sa.String(length=36), nullable=True),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("need", sa.String(length=80), nullable=True),
        sa.Column("partner", sa.String(length=80), nullable=True),
        sa.Column("result", sa.String(length=80), nullable=False),
        sa.Column("reason", sa.String(length=2000), nullable=True),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("recorded_at", engine.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(length=80), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outcome")),
    )
    with op.batch_alter_table("outcome", schema=None) as batch_op:
        batch_op.create_index("ix_outcome_office_month", ["office", "month"], unique=False)
        batch_op.create_index("ix_outcome_case", ["office", "case_key"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("outcome", schema=None) as batch_op:
        batch_op.drop_index("ix_outcome_case")
        batch_op.drop_index("ix_outcome_office_month")
    op.drop_table("outcome")
