"""Build the monthly demand report: every figure is a GROUP BY run by the database.

Python only relabels and orders the grouped rows (a few hundred at most), never loops over calls. A call
belongs to the month it started in (helpline's timezone); its transfers, referrals and their follow-up count
with it, so a month rebuilt later can show more contacts and quotes than when it was first sent.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.orm import Session

from call_log.periods import month_bounds
from reports import associations, journey, observatory, services, unmet, volumes
from reports.month import MonthCalls, read_month_calls
from reports.period import DirectoryNames, ReportPeriod
from reports.tables import MonthlyDemandReport, ReportTable


def build_report(
    session: Session,
    month: str,
    *,
    tz: ZoneInfo,
    helpline_name: str,
    now: datetime,
    on_step: Callable[[str], None] | None = None,
) -> MonthlyDemandReport:
    """The demand report of `month` ('YYYY-MM' in `tz`); `on_step` hears each step's name as it ends.

    Read-only (reports.rollup.store_report keeps its key figures for later trends); on PostgreSQL it turns
    JIT compilation and parallel workers off for the rest of the session's transaction.
    """
    start, end = month_bounds(month, tz)
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        # Each query runs once: compiling it (PostgreSQL's JIT, on above a cost threshold) costs more than
        # it saves, about a third of the report's time. Parallel workers each rebuild the same hash
        # tables of the month's calls: on a small server they slow the report down. The hashes of a
        # month's calls need more than the default 4 MB. LOCAL: until the caller's transaction ends.
        session.execute(text("SET LOCAL jit = off"))
        session.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))
        session.execute(text("SET LOCAL work_mem = '64MB'"))
    period = ReportPeriod(month, tz, start, end, dialect, DirectoryNames.load(session))
    month_calls = read_month_calls(session, period)
    tables: list[ReportTable] = []
    for step, builder in _BUILDERS:
        tables.extend(builder(session, period, month_calls))
        if on_step is not None:
            on_step(step)
    return MonthlyDemandReport(
        month=month,
        helpline_name=helpline_name,
        timezone=tz.key,
        start=start,
        end=end,
        generated_at=now.astimezone(UTC),
        tables=tuple(tables),
    )


Builder = Callable[[Session, ReportPeriod, MonthCalls], Sequence[ReportTable]]


def _own_queries(builder: Callable[[Session, ReportPeriod], Sequence[ReportTable]]) -> Builder:
    """A builder that reads what it needs itself, not from the month's shared counts."""
    return lambda session, period, _month_calls: builder(session, period)


# The report's tables, in order: each step returns one family of tables.
_BUILDERS: tuple[tuple[str, Builder], ...] = (
    ("key_figures", volumes.key_figures),
    ("categories", _own_queries(services.demand_by_service)),
    ("communes", _own_queries(observatory.communes)),
    ("profile", journey.profile),
    ("heard_from", _own_queries(observatory.heard_from)),
    ("heatmap", _own_queries(volumes.heatmap)),
    ("funnel", journey.funnel),
    ("unmet", _own_queries(unmet.unmet_demand)),
    ("associations", _own_queries(associations.per_association)),
)
STEPS = tuple(step for step, _ in _BUILDERS)
"""The steps of `build_report`, in order, for a progress bar."""
