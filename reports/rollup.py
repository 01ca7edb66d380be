"""The monthly roll-up: each past month's key figures, stored, so that the 13-month trend of a report reads
twelve rows instead of a year of calls.

How it stays correct: a month's row holds the figures of that month's latest report. It is rewritten each
time the month's report is built once the month is over (the monthly job, `helpline report`, `helpline
report send`), and by `helpline report backfill`, which counts the months asked from the calls. A month
without a row is counted from the calls. Calls of a past month seldom change after its report (a referral
entered late, imported calls); when they do, the trend shows the month as its report counted it until
`helpline report backfill --from YYYY-MM` (or rebuilding that month's report) counts it again.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import distinct, exists, func, literal, select, union_all
from sqlalchemy.orm import Session

from call_log.codes import Outcome, OutcomeGroup
from call_log.models import Call, Referral
from call_log.periods import month_bounds
from call_log.search import outcome_is
from reports.models import MonthRollup
from reports.period import count_if
from reports.tables import MonthlyDemandReport

INDICATORS = ("calls", "distinct_callers", "answered", "referred", "unmet", "not_answered", "after_hours")
"""The key figures of a month, in the order of the report's key figures table."""

MonthFigures = dict[str, int]


def count_months(session: Session, months: Sequence[str], tz: ZoneInfo) -> dict[str, MonthFigures]:
    """The key figures of `months` counted from the calls: one aggregate per month, glued by UNION ALL."""
    if not months:
        return {}

    bounds = {month: month_bounds(month, tz) for month in months}
    query = union_all(
        *(
            select(
                literal(month).label("month"),
                func.count().label("calls"),
                func.count(distinct(Call.caller_key)).label("distinct_callers"),
                count_if(outcome_is(OutcomeGroup.ANSWERED)).label("answered"),
                count_if(exists().where(Referral.call_id == Call.id)).label("referred"),
                count_if(outcome_is(Outcome.UNMET)).label("unmet"),
                count_if(outcome_is(OutcomeGroup.NOT_ANSWERED)).label("not_answered"),
                count_if(Call.after_hours.is_(True)).label("after_hours"),
            ).where(Call.started_at >= start, Call.started_at < end)
            for month, (start, end) in bounds.items()
        )
    )
    return {
        row.month: {name: int(getattr(row, name) or 0) for name in INDICATORS}
        for row in session.execute(query)
    }


def stored_months(session: Session, months: Sequence[str]) -> dict[str, MonthFigures]:
    """The roll-up rows of those of `months` that have one."""
    rows = session.scalars(select(MonthRollup).where(MonthRollup.month.in_(months)))
    return {row.month: {name: getattr(row, name) for name in INDICATORS} for row in rows}


def past_months(session: Session, months: Sequence[str], tz: ZoneInfo) -> dict[str, MonthFigures]:
    """The key figures of `months`: from the roll-up, and counted from the calls where it has no row."""
    figures = stored_months(session, months)
    figures.update(count_months(session, [month for month in months if month not in figures], tz))
    return figures


def store_month(session: Session, month: str, figures: MonthFigures, *, now: datetime) -> MonthRollup:
    """Write (or rewrite) the roll-up row of `month`; the caller commits."""
    row = session.get(MonthRollup, month) or MonthRollup(month=month)
    for name in INDICATORS:
        setattr(row, name, figures[name])
    row.built_at = now
    session.add(row)
    return row


def store_report(session: Session, report: MonthlyDemandReport, *, now: datetime) -> bool:
    """Keep a report's key figures in the roll-up if its month is over (True), else leave it (False)."""
    if report.end > now:
        return False
    store_month(session, report.month, {name: report.figure(name) for name in INDICATORS}, now=now)
    return True


def backfill(session: Session, months: Sequence[str], tz: ZoneInfo, *, now: datetime) -> list[str]:
    """Count `months` from the calls and store them, skipping months not over at `now`; the months stored."""
    over = [month for month in months if month_bounds(month, tz)[1] <= now]
    for month, figures in count_months(session, over, tz).items():
        store_month(session, month, figures, now=now)
    return over
