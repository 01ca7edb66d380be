"""directory: a version token, changed with every change to what routing reads

Revision ID: 0010_directory_version
Revises: 0009_session_version
Create Date: 2026-12-02 06:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_directory_version"
down_revision: str | None = "0009_session_version"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add directory_version (empty: a process reads the directory until its first change)."""
    op.create_table(
        "directory_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_directory_version")),
    )


def downgrade() -> None:
    """Drop directory_version."""
    op.drop_table("directory_version")
