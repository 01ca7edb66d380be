"""Tables of the reports package: the monthly report runs (the claim that makes each happen once), and the
monthly roll-up that the 13-month trend reads."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import JSON

from call_log.models import Call, Referral, TransferAttempt
from foundation.db import Base, UTCDateTime


class RunState(StrEnum):
    """Where a monthly report run stands."""

    RUNNING = "running"  # claimed, and working
    DONE = "done"  # files stored, e-mail sent if there are recipients
    FAILED = "failed"  # retried at the next start, up to MAX_ATTEMPTS


class ReportRun(Base):
    """The monthly report of one month, claimed by one scheduler: the unique month is the lock."""

    __tablename__ = "report_run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    month: Mapped[str] = mapped_column(String(7), unique=True)
    status: Mapped[str] = mapped_column(String(20), default=RunState.RUNNING)
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str] = mapped_column(String(200))
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The files written for the month (paths), and the recipients the e-mail went to.
    files: Mapped[list[str]] = mapped_column(JSON, default=list)
    sent_to: Mapped[list[str]] = mapped_column(JSON, default=list)
    error: Mapped[str] = mapped_column(Text, default="")

    def __repr__(self) -> str:
        return f"<ReportRun {self.month} {self.status}>"


class MonthRollup(Base):
    """A month's key figures as its report counted them, for the trend of the reports that follow.

    Rewritten each time the month's report is built once the month is over (the monthly job, `helpline
    report`, `helpline report send`) and by `helpline report backfill`; see reports/rollup.py.
    """

    __tablename__ = "report_month_rollup"

    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    calls: Mapped[int] = mapped_column(Integer)
    distinct_callers: Mapped[int] = mapped_column(Integer)
    answered: Mapped[int] = mapped_column(Integer)
    referred: Mapped[int] = mapped_column(Integer)
    unmet: Mapped[int] = mapped_column(Integer)
    not_answered: Mapped[int] = mapped_column(Integer)
    after_hours: Mapped[int] = mapped_column(Integer)
    built_at: Mapped[datetime] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<MonthRollup {self.month} {self.calls} calls>"


# Covering indexes for the report's GROUP BY queries: a month of calls, and the transfers and referrals of
# each call, are read from these alone, without visiting the tables' rows (see bench/report_benchmark.py).
REPORT_INDEXES = (
    Index(
        "ix_call_report",
        Call.started_at,
        Call.outcome,
        Call.category_code,
        Call.in_territory,
        Call.commune_insee,
        Call.departement,
        Call.beneficiary,
        Call.heard_from,
        Call.after_hours,
        Call.channel,
        Call.caller_key,
        # The id last: PostgreSQL joins the month's calls to their transfers and referrals from the index
        # alone (SQLite's indexes hold the rowid anyway).
        Call.id,
    ),
    Index(
        "ix_transfer_attempt_report",
        TransferAttempt.call_id,
        TransferAttempt.result,
        TransferAttempt.target,
        TransferAttempt.association_id,
    ),
    Index(
        "ix_referral_report",
        Referral.call_id,
        Referral.association_id,
        Referral.created_at,
        Referral.contacted_at,
        Referral.quote_sent_at,
    ),
)
