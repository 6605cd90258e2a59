"""external tasks: fetch-and-lock rows for external workers, and worker tokens' topics

Revision ID: 0016
Revises: 0012
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import engine.store.types

revision = "0016"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "external_task",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("instance_id", sa.String(length=36), nullable=False),
        sa.Column("office", sa.String(length=80), nullable=False),
        sa.Column("process_id", sa.String(length=200), nullable=False),
        sa.Column("business_key", sa.String(length=200), nullable=False),
        sa.Column("activity_id", sa.String(length=200), nullable=False),
        sa.Column("topic", sa.String(length=200), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("created_at", engine.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("worker_id", sa.String(length=200), nullable=True),
        sa.Column("lock_expires_at", engine.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("retries", sa.Integer(), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("error_details", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["instance_id"],
            ["process_instance.id"],
            name=op.f("fk_external_task_instance_id_process_instance"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_external_task")),
    )
    with op.batch_alter_table("external_task", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_external_task_instance_id"), ["instance_id"], unique=False
        )
        batch_op.create_index(
            "ix_external_task_fetch", ["office", "topic", "lock_expires_at"], unique=False
        )
    op.create_table(
        "api_token_topic",
        sa.Column("token_id", sa.Integer(), nullable=False),
        sa.Column("topic", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["token_id"], ["api_token.id"], name=op.f("fk_api_token_topic_token_id_api_token")
        ),
        sa.PrimaryKeyConstraint("token_id", "topic", name=op.f("pk_api_token_topic")),
    )


def downgrade() -> None:
    op.drop_table("api_token_topic")
    with op.batch_alter_table("external_task", schema=None) as batch_op:
        batch_op.drop_index("ix_external_task_fetch")
        batch_op.drop_index(batch_op.f("ix_external_task_instance_id"))
    op.drop_table("external_task")
