"""privacy: the audit of purges and erasures; callers' hashes keyed from the environment only

Revision ID: 0012_privacy_audit
Revises: 0011_staff_settings
Create Date: 2026-12-09 12:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from foundation.db import UTCDateTime

revision: str = "0012_privacy_audit"
down_revision: str | None = "0011_staff_settings"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add privacy_audit; drop the salt that keyed callers' hashes from inside the database."""
    op.create_table(
        "privacy_audit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("by", sa.String(length=200), nullable=False),
        sa.Column("claim", sa.String(length=40), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_privacy_audit")),
        sa.UniqueConstraint("claim", name=op.f("uq_privacy_audit_claim")),
    )
    op.create_index(op.f("ix_privacy_audit_at"), "privacy_audit", ["at"], unique=False)
    # A salt kept beside the hashes lets whoever holds a copy of the database recompute them: it goes.
    op.execute(sa.text("DELETE FROM line_setting WHERE key = 'caller_key_salt'"))


def downgrade() -> None:
    """Drop privacy_audit (the salt is not brought back: calls from then on get a new one)."""
    op.drop_index(op.f("ix_privacy_audit_at"), table_name="privacy_audit")
    op.drop_table("privacy_audit")
