"""web form: the requests the public form accepted, by keyed address, for its rate limit

Revision ID: 0014_web_form
Revises: 0013_record_read
Create Date: 2026-12-03 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from foundation.db import UTCDateTime

revision: str = "0014_web_form"
down_revision: str | None = "0013_record_read"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add web_submission."""
    op.create_table(
        "web_submission",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_key", sa.String(length=64), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_submission")),
    )
    op.create_index(op.f("ix_web_submission_at"), "web_submission", ["at"], unique=False)
    op.create_index(op.f("ix_web_submission_client_key"), "web_submission", ["client_key"], unique=False)


def downgrade() -> None:
    """Drop web_submission."""
    op.drop_index(op.f("ix_web_submission_client_key"), table_name="web_submission")
    op.drop_index(op.f("ix_web_submission_at"), table_name="web_submission")
    op.drop_table("web_submission")
