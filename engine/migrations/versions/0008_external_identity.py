"""external_identity: provider identities (issuer + subject) bound to local users

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import engine.store.types

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

UTC_DATETIME = engine.store.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "external_identity",
        sa.Column("issuer", sa.String(length=300), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("linked_at", UTC_DATETIME, nullable=False),
        sa.Column("linked_by", sa.String(length=80), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_external_identity_user_id_app_user")
        ),
        sa.PrimaryKeyConstraint("issuer", "subject", name=op.f("pk_external_identity")),
    )
    op.create_index(
        op.f("ix_external_identity_user_id"), "external_identity", ["user_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_external_identity_user_id"), table_name="external_identity")
    op.drop_table("external_identity")
