"""merge the directory, line settings, reports and console branches

Revision ID: 0006_merge
Revises: 0003_directory, 0003_line_settings, 0003_reports, 0005_console
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0006_merge"
down_revision: str | Sequence[str] | None = (
    "0003_directory",
    "0003_line_settings",
    "0003_reports",
    "0005_console",
)
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Nothing to apply: the branches were written in parallel and touch different tables."""


def downgrade() -> None:
    """Nothing to revert."""
