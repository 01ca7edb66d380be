"""console: a session version per account, raised on sign-out and password change to end open sessions

Revision ID: 0009_session_version
Revises: 0008_report_rollup
Create Date: 2026-12-01 20:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_session_version"
down_revision: str | None = "0008_report_rollup"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add user_account.session_version (0 for existing accounts: their sessions go on)."""
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("session_version", sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    """Drop user_account.session_version."""
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_column("session_version")
