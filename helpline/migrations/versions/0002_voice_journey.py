"""voice journey: observatory fields, transfers, referrals, callbacks

Revision ID: 0002_voice_journey
Revises: 0001_initial
Create Date: 2026-11-24 03:35:25.650377
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import foundation.db

revision: str = "0002_voice_journey"
down_revision: str | None = "0001_initial"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "callback_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("created_at", foundation.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("callback_number", sa.String(length=20), nullable=False),
        sa.Column("recording_url", sa.String(length=500), nullable=False),
        sa.Column("recording_sid", sa.String(length=64), nullable=False),
        sa.Column("recording_duration_s", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("assigned_to", sa.String(length=80), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("updated_at", foundation.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("notes", sa.Text(), nullable=False, server_default=""),
        sa.ForeignKeyConstraint(
            ["call_id"], ["call.id"], name=op.f("fk_callback_request_call_id_call"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_callback_request")),
    )
    with op.batch_alter_table("callback_request", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_callback_request_call_id"), ["call_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_callback_request_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_callback_request_state"), ["state"], unique=False)

    op.create_table(
        "referral",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("association_id", sa.Integer(), nullable=True),
        sa.Column("category_code", sa.String(length=60), nullable=True),
        sa.Column("created_at", foundation.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        sa.Column("follow_up", sa.String(length=20), nullable=False),
        sa.Column("contacted_at", foundation.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("quote_sent_at", foundation.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", foundation.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("notes", sa.Text(), nullable=False, server_default=""),
        sa.ForeignKeyConstraint(
            ["association_id"],
            ["association.id"],
            name=op.f("fk_referral_association_id_association"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["call_id"], ["call.id"], name=op.f("fk_referral_call_id_call"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["category_code"],
            ["service_category.code"],
            name=op.f("fk_referral_category_code_service_category"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral")),
    )
    with op.batch_alter_table("referral", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_referral_association_id"), ["association_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_referral_call_id"), ["call_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_referral_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_referral_follow_up"), ["follow_up"], unique=False)

    op.create_table(
        "transfer_attempt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("target", sa.String(length=20), nullable=False),
        sa.Column("association_id", sa.Integer(), nullable=True),
        sa.Column("started_at", foundation.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("result", sa.String(length=20), nullable=True),
        sa.Column("duration_s", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["association_id"],
            ["association.id"],
            name=op.f("fk_transfer_attempt_association_id_association"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["call_id"], ["call.id"], name=op.f("fk_transfer_attempt_call_id_call"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transfer_attempt")),
        sa.UniqueConstraint("call_id", "attempt", name=op.f("uq_transfer_attempt_call_id_attempt")),
    )
    with op.batch_alter_table("transfer_attempt", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_transfer_attempt_association_id"), ["association_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_transfer_attempt_call_id"), ["call_id"], unique=False)

    with op.batch_alter_table("association", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("last_offered_at", foundation.db.UTCDateTime(timezone=True), nullable=True)
        )

    with op.batch_alter_table("call", schema=None) as batch_op:
        batch_op.add_column(sa.Column("postal_code", sa.String(length=5), nullable=True))
        batch_op.add_column(sa.Column("in_territory", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("departement", sa.String(length=3), nullable=True))
        batch_op.add_column(sa.Column("beneficiary", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("heard_from", sa.String(length=40), nullable=True))
        batch_op.add_column(
            sa.Column("caller_area", sa.String(length=100), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("caller_key", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("after_hours", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("notes", sa.Text(), nullable=False, server_default=""))
        batch_op.create_index(batch_op.f("ix_call_caller_key"), ["caller_key"], unique=False)
        batch_op.create_index(batch_op.f("ix_call_commune_insee"), ["commune_insee"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("call", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_call_commune_insee"))
        batch_op.drop_index(batch_op.f("ix_call_caller_key"))
        batch_op.drop_column("notes")
        batch_op.drop_column("after_hours")
        batch_op.drop_column("caller_key")
        batch_op.drop_column("caller_area")
        batch_op.drop_column("heard_from")
        batch_op.drop_column("beneficiary")
        batch_op.drop_column("departement")
        batch_op.drop_column("in_territory")
        batch_op.drop_column("postal_code")

    with op.batch_alter_table("association", schema=None) as batch_op:
        batch_op.drop_column("last_offered_at")

    with op.batch_alter_table("transfer_attempt", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_transfer_attempt_call_id"))
        batch_op.drop_index(batch_op.f("ix_transfer_attempt_association_id"))

    op.drop_table("transfer_attempt")
    with op.batch_alter_table("referral", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_referral_follow_up"))
        batch_op.drop_index(batch_op.f("ix_referral_created_at"))
        batch_op.drop_index(batch_op.f("ix_referral_call_id"))
        batch_op.drop_index(batch_op.f("ix_referral_association_id"))

    op.drop_table("referral")
    with op.batch_alter_table("callback_request", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_callback_request_state"))
        batch_op.drop_index(batch_op.f("ix_callback_request_created_at"))
        batch_op.drop_index(batch_op.f("ix_callback_request_call_id"))

    op.drop_table("callback_request")
