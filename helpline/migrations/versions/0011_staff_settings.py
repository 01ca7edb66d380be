"""line: versioned settings staff change from the console, and recorded prompts

Revision ID: 0011_staff_settings
Revises: 0010_directory_version
Create Date: 2026-12-02 12:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from foundation.db import UTCDateTime

revision: str = "0011_staff_settings"
down_revision: str | None = "0010_directory_version"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add settings_version (empty: calls hear config.yaml until staff change it) and prompt_recording."""
    op.create_table(
        "settings_version",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        sa.Column("summary", sa.String(length=300), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("recordings", sa.JSON(), nullable=False),
        sa.Column("restored_from", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["restored_from"],
            ["settings_version.id"],
            name=op.f("fk_settings_version_restored_from_settings_version"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_settings_version")),
    )
    op.create_table(
        "prompt_recording",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("prompt", sa.String(length=60), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=40), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("uploaded_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("uploaded_by", sa.String(length=80), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prompt_recording")),
    )


def downgrade() -> None:
    """Drop prompt_recording and settings_version."""
    op.drop_table("prompt_recording")
    op.drop_table("settings_version")
