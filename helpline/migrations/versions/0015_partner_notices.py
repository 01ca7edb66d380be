"""partners: where each association is told of its referrals, the person's consent, the notices sent

Revision ID: 0015_partner_notices
Revises: 0014_web_form
Create Date: 2026-12-03 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from foundation.db import UTCDateTime

revision: str = "0015_partner_notices"
down_revision: str | None = "0014_web_form"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the association's notice addresses, the referral's consent and link answers, referral_notice."""
    with op.batch_alter_table("association", schema=None) as batch_op:
        batch_op.add_column(sa.Column("notify_sms", sa.String(length=20), nullable=False, server_default=""))
        batch_op.add_column(
            sa.Column("notify_email", sa.String(length=200), nullable=False, server_default="")
        )
    with op.batch_alter_table("referral", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("contact_consent", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("contact_number", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("link_answered_at", UTCDateTime(), nullable=True))
    op.create_table(
        "referral_notice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("referral_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("to", sa.String(length=200), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("sent_at", UTCDateTime(), nullable=True),
        sa.Column("result", sa.String(length=20), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["referral_id"],
            ["referral.id"],
            name=op.f("fk_referral_notice_referral_id_referral"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral_notice")),
        sa.UniqueConstraint(
            "referral_id", "purpose", "channel", name=op.f("uq_referral_notice_referral_id_purpose_channel")
        ),
    )
    op.create_index(op.f("ix_referral_notice_referral_id"), "referral_notice", ["referral_id"], unique=False)


def downgrade() -> None:
    """Drop referral_notice and the new columns."""
    op.drop_index(op.f("ix_referral_notice_referral_id"), table_name="referral_notice")
    op.drop_table("referral_notice")
    with op.batch_alter_table("referral", schema=None) as batch_op:
        batch_op.drop_column("link_answered_at")
        batch_op.drop_column("contact_number")
        batch_op.drop_column("contact_consent")
    with op.batch_alter_table("association", schema=None) as batch_op:
        batch_op.drop_column("notify_email")
        batch_op.drop_column("notify_sms")
