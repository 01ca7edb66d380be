"""line settings: the open/closed override and the caller-key salt

Revision ID: 0003_line_settings
Revises: 0002_voice_journey
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import foundation.db

revision: str = "0003_line_settings"
down_revision: str | None = "0002_voice_journey"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "line_setting",
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column("updated_at", foundation.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=80), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_line_setting")),
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("line_setting")
