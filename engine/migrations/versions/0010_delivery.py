"""delivery: the outbox is drained (status, attempts, lease), partners, letters, staff notices

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import engine.store.types

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

UTC_DATETIME = engine.store.types.UTCDateTime(timezone=True)
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email", sa.String(length=300), nullable=True))
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("office", sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column("kind", sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column("language", sa.String(length=8), nullable=True))
        batch_op.add_column(
            sa.Column("status", sa.String(length=20), nullable=False, server_default="pending")
        )
        batch_op.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("next_attempt_at", UTC_DATETIME, nullable=True))
        batch_op.add_column(sa.Column("last_error", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("provider_id", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("lease_owner", sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column("lease_expires_at", UTC_DATETIME, nullable=True))
        batch_op.add_column(sa.Column("handled_by", sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column("handled_note", sa.Text(), nullable=True))
        batch_op.create_index("ix_outbox_due", ["status", "next_attempt_at"], unique=False)
        batch_op.create_index("ix_outbox_office_status", ["office", "status"], unique=False)
    # Rows queued before the dispatcher existed were never sent: they become due now.
    op.execute(
        "UPDATE outbox SET next_attempt_at = created_at, office = (SELECT office FROM "
        "process_instance WHERE process_instance.id = outbox.instance_id)"
    )
    op.create_table(
        "partner",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("office", sa.String(length=80), nullable=False),
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("services_json", sa.Text(), nullable=False),
        sa.Column("languages_json", sa.Text(), nullable=False),
        sa.Column("webhook_url", sa.String(length=500), nullable=True),
        sa.Column("secret_encrypted", sa.Text(), nullable=True),
        sa.Column("contact_email", sa.String(length=300), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_partner_user_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner")),
        sa.UniqueConstraint("office", "key", name="uq_partner_office_key"),
    )
    op.create_table(
        "letter",
        sa.Column("outbox_id", BIG_ID, nullable=False),
        sa.Column("office", sa.String(length=80), nullable=False),
        sa.Column("recipient", sa.String(length=300), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("printed_at", UTC_DATETIME, nullable=True),
        sa.Column("printed_by", sa.String(length=80), nullable=True),
        sa.ForeignKeyConstraint(
            ["outbox_id"], ["outbox.id"], name=op.f("fk_letter_outbox_id_outbox")
        ),
        sa.PrimaryKeyConstraint("outbox_id", name=op.f("pk_letter")),
    )
    op.create_index("ix_letter_office_created", "letter", ["office", "created_at"])
    op.create_table(
        "staff_notification",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("outbox_id", BIG_ID, nullable=True),
        sa.Column("username", sa.String(length=80), nullable=False),
        sa.Column("office", sa.String(length=80), nullable=False),
        sa.Column("instance_id", sa.String(length=36), nullable=True),
        sa.Column("subject", sa.String(length=500), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("read_at", UTC_DATETIME, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_notification")),
        sa.UniqueConstraint("outbox_id", "username", name="uq_staff_notification_outbox_user"),
    )
    op.create_index("ix_staff_notification_user", "staff_notification", ["username", "read_at"])


def downgrade() -> None:
    op.drop_index("ix_staff_notification_user", table_name="staff_notification")
    op.drop_table("staff_notification")
    op.drop_index("ix_letter_office_created", table_name="letter")
    op.drop_table("letter")
    op.drop_table("partner")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_office_status")
        batch_op.drop_index("ix_outbox_due")
        for column in (
            "handled_note", "handled_by", "lease_expires_at", "lease_owner", "provider_id",
            "last_error", "next_attempt_at", "attempts", "status", "language", "kind", "office",
        ):  # fmt: skip
            batch_op.drop_column(column)
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.drop_column("email")
