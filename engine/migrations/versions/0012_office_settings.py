"""office settings: the four-eyes fallback (a peer office or a delegate)

Revision ID: 0012
Revises: 0013
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import engine.store.types

revision = "0012"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "office_setting",
        sa.Column("office", sa.String(length=80), nullable=False),
        sa.Column("four_eyes_peer_office", sa.String(length=80), nullable=True),
        sa.Column("four_eyes_delegate", sa.String(length=80), nullable=True),
        sa.Column("updated_by", sa.String(length=80), nullable=False),
        sa.Column("updated_at", engine.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("office", name=op.f("pk_office_setting")),
    )


def downgrade() -> None:
    op.drop_table("office_setting")
