"""call: the callback number the caller typed, kept server-side instead of in the voicemail's URLs

Revision ID: 0007_callback_number
Revises: 0006_merge
Create Date: 2026-12-01 16:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_callback_number"
down_revision: str | None = "0006_merge"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("call", schema=None) as batch_op:
        batch_op.add_column(sa.Column("callback_number", sa.String(length=20), nullable=True))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("call", schema=None) as batch_op:
        batch_op.drop_column("callback_number")
