"""client links: signed, expiring, single-use links for clients to answer one form from home

Revision ID: 0020
Revises: 0011
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import engine.store.types

revision = "0020"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "client_link",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("client_case.id"), nullable=True),
        sa.Column("case_key", sa.String(length=200), nullable=False),
        sa.Column("office", sa.String(length=80), nullable=False),
        sa.Column(
            "instance_id",
            sa.String(length=36),
            sa.ForeignKey("process_instance.id"),
            nullable=False,
        ),
        sa.Column("task_id", sa.String(length=36), sa.ForeignKey("human_task.id"), nullable=False),
        sa.Column("task_title", sa.String(length=300), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("created_at", engine.store.types.UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        sa.Column("expires_at", engine.store.types.UTCDateTime(), nullable=False),
        sa.Column("used_at", engine.store.types.UTCDateTime(), nullable=True),
        sa.Column("revoked_at", engine.store.types.UTCDateTime(), nullable=True),
        sa.Column("revoked_by", sa.String(length=80), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_client_link_instance_id", "client_link", ["instance_id"])
    op.create_index("ix_client_link_task_id", "client_link", ["task_id"])
    op.create_index("ix_client_link_case", "client_link", ["case_key", "office"])


def downgrade() -> None:
    op.drop_table("client_link")
