"""The report as one tidy CSV: one row per figure (report month, table, dimensions, measure, value)."""

from __future__ import annotations

import csv
import io

from reports.tables import MonthlyDemandReport, Value

LEADING = ("report_month", "table")
TRAILING = ("measure", "value")


def dimension_names(report: MonthlyDemandReport) -> list[str]:
    """Every dimension column of the report's tables, in the order they first appear."""
    names: dict[str, None] = {}
    for table in report.tables:
        names.update((column.name, None) for column in table.dimensions)
    return list(names)


def csv_value(value: Value) -> str | int:
    """A cell as written in the CSV: integers as they are, shares rounded to 6 decimals, blanks for None."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6f}".rstrip("0").rstrip(".")
    return value


def render_csv(report: MonthlyDemandReport) -> str:
    """The tidy CSV of a report: a table's dimensions are filled in, the others left empty."""
    dimensions = dimension_names(report)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([*LEADING, *dimensions, *TRAILING])
    for table in report.tables:
        positions = {column.name: index for index, column in enumerate(table.columns)}
        for row in table.rows:
            cells = [csv_value(row[positions[name]]) if name in positions else "" for name in dimensions]
            for measure in table.measures:
                writer.writerow(
                    [report.month, table.name, *cells, measure.name, csv_value(row[positions[measure.name]])]
                )
    return buffer.getvalue()
