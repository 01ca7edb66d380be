"""record_read: the audit trail of console reads (pages and exports) of a call's record

Revision ID: 0013_record_read
Revises: 0012_privacy_audit
Create Date: 2026-12-03 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from foundation.db import UTCDateTime

revision: str = "0013_record_read"
down_revision: str | None = "0012_privacy_audit"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add record_read, indexed for "did this user read this call lately"."""
    op.create_table(
        "record_read",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("by", sa.String(length=80), nullable=False),
        sa.Column("via", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["call_id"], ["call.id"], name=op.f("fk_record_read_call_id_call"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_record_read")),
    )
    op.create_index("ix_record_read_call_id_by_at", "record_read", ["call_id", "by", "at"], unique=False)


def downgrade() -> None:
    """Drop record_read."""
    op.drop_index("ix_record_read_call_id_by_at", table_name="record_read")
    op.drop_table("record_read")
