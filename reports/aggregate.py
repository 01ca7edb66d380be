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

    Read-only; on PostgreSQL it turns JIT compilation off for the rest of the session's transaction.
    """
    start, end = month_bounds(month, tz)
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        # Each query runs once: compiling it (PostgreSQL's JIT, on above a cost threshold) costs more than
        # it saves, about a third of the report's time. LOCAL: until the caller's transaction ends.
        session.execute(text("SET LOCAL jit = off"))
    period = ReportPeriod(month, tz, start, end, dialect, DirectoryNames.load(session))
    tables: list[ReportTable] = []
    for step, builder in _BUILDERS:
        tables.extend(builder(session, period))
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


# The report's tables, in order: each step returns one family of tables.
_BUILDERS: tuple[tuple[str, Callable[[Session, ReportPeriod], Sequence[ReportTable]]], ...] = (
    ("key_figures", volumes.key_figures),
    ("categories", services.demand_by_service),
    ("communes", observatory.communes),
    ("profile", journey.profile),
    ("heard_from", observatory.heard_from),
    ("heatmap", volumes.heatmap),
    ("funnel", journey.funnel),
    ("unmet", unmet.unmet_demand),
    ("associations", associations.per_association),
)
STEPS = tuple(step for step, _ in _BUILDERS)
"""The steps of `build_report`, in order, for a progress bar."""
