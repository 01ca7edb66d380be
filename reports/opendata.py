"""Open data: calls by month, service category and commune (INSEE code), small counts suppressed.

Only counts are published, and a count under the threshold (default 3) is left blank with `suppressed`
set, so that no cell points at one or two identifiable households. Categories are the top-level ones
(sub-categories would split counts into cells too small to publish); calls whose commune is unknown are
left out, as they cannot be placed on a map.
"""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from call_log.models import Call
from call_log.periods import month_bounds
from directory.models import Commune, ServiceCategory
from foundation.spreadsheets import Cell, CsvForm, csv_text

COLUMNS = ("month", "category_code", "category_label", "commune_insee", "commune_name", "calls", "suppressed")


@dataclass(frozen=True)
class OpenDataRow:
    """One published cell; `calls` is None when the count was under the threshold."""

    month: str
    category_code: str
    category_label: str
    commune_insee: str
    commune_name: str
    calls: int | None

    @property
    def suppressed(self) -> bool:
        """Whether the count is withheld."""
        return self.calls is None


def open_data_rows(session: Session, month: str, *, tz: ZoneInfo, suppress_below: int) -> list[OpenDataRow]:
    """The month's cells, by category then commune; counts under `suppress_below` withheld."""
    start, end = month_bounds(month, tz)
    top = func.coalesce(ServiceCategory.parent_code, Call.category_code)
    counts = (
        select(top.label("category"), Call.commune_insee.label("insee"))
        .outerjoin(ServiceCategory, ServiceCategory.code == Call.category_code)
        .where(Call.started_at >= start, Call.started_at < end, Call.commune_insee.is_not(None))
        .subquery()
    )
    grouped = session.execute(
        select(counts.c.category, counts.c.insee, func.count()).group_by(counts.c.category, counts.c.insee)
    )
    labels = dict(session.execute(select(ServiceCategory.code, ServiceCategory.label)).all())
    communes = dict(session.execute(select(Commune.insee, Commune.name)).all())
    return [
        OpenDataRow(
            month=month,
            category_code=category or "",
            category_label=labels.get(category or "", "Non précisé"),
            commune_insee=insee,
            commune_name=communes.get(insee, ""),
            calls=calls if calls >= suppress_below else None,
        )
        for category, insee, calls in sorted(grouped, key=lambda row: (row[0] or "~", row[1]))
    ]


def render_open_data(rows: list[OpenDataRow]) -> str:
    """The open-data CSV (UTF-8, comma separated, header line): data for programs, whatever the month."""
    lines: list[list[Cell]] = [list(COLUMNS)]
    for row in rows:
        lines.append(
            [
                row.month,
                row.category_code,
                row.category_label,
                row.commune_insee,
                row.commune_name,
                "" if row.calls is None else row.calls,
                CsvForm.DATA.yes_no(row.suppressed),
            ]
        )
    return csv_text(lines, CsvForm.DATA)
