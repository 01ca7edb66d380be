"""reports: the monthly report runs, and covering indexes for the report's GROUP BY queries

Revision ID: 0003_reports
Revises: 0002_voice_journey
Create Date: 2026-11-24 10:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import foundation.db

revision: str = "0003_reports"
down_revision: str | None = "0002_voice_journey"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Covering indexes for the report's queries (declared in reports/models.py): table, name, columns.
REPORT_INDEXES = (
    (
        "call",
        "ix_call_report",
        [
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
        ],
    ),
    ("transfer_attempt", "ix_transfer_attempt_report", ["call_id", "result", "target", "association_id"]),
    (
        "referral",
        "ix_referral_report",
        ["call_id", "association_id", "created_at", "contacted_at", "quote_sent_at"],
    ),
)


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "report_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("claimed_at", foundation.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("claimed_by", sa.String(length=200), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("finished_at", foundation.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("files", sa.JSON(), nullable=False),
        sa.Column("sent_to", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_run")),
        sa.UniqueConstraint("month", name=op.f("uq_report_run_month")),
    )
    for table, name, columns in REPORT_INDEXES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(batch_op.f(name), columns, unique=False)


def downgrade() -> None:
    """Revert this revision."""
    for table, name, _columns in REPORT_INDEXES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(name))
    op.drop_table("report_run")
