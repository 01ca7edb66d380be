"""reports: the monthly roll-up read by the 13-month trend; the call id in the report's covering index

Revision ID: 0008_report_rollup
Revises: 0007_callback_number
Create Date: 2026-12-01 18:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import foundation.db

revision: str = "0008_report_rollup"
down_revision: str | None = "0007_callback_number"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# ix_call_report as 0003_reports made it; this revision appends the call id.
CALL_REPORT_COLUMNS = [
    "started_at",
    "outcome",
    "category_code",
    "in_territory",
    "commune_insee",
    "departement",
    "beneficiary",
    "heard_from",
    "after_hours",
    "channel",
    "caller_key",
]


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "report_month_rollup",
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("calls", sa.Integer(), nullable=False),
        sa.Column("distinct_callers", sa.Integer(), nullable=False),
        sa.Column("answered", sa.Integer(), nullable=False),
        sa.Column("referred", sa.Integer(), nullable=False),
        sa.Column("unmet", sa.Integer(), nullable=False),
        sa.Column("not_answered", sa.Integer(), nullable=False),
        sa.Column("after_hours", sa.Integer(), nullable=False),
        sa.Column("built_at", foundation.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("month", name=op.f("pk_report_month_rollup")),
    )
    op.drop_index("ix_call_report", table_name="call")
    op.create_index("ix_call_report", "call", [*CALL_REPORT_COLUMNS, "id"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("ix_call_report", table_name="call")
    op.create_index("ix_call_report", "call", CALL_REPORT_COLUMNS, unique=False)
    op.drop_table("report_month_rollup")
