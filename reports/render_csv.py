"""The report as one tidy CSV: one row per figure (report month, table, dimensions, measure, value).

For a French spreadsheet (the default): ';', a byte-order mark, the French titles and labels, decimal
commas, and the machine codes left out (their label columns say them). As data: ',', the machine names.
"""

from __future__ import annotations

from foundation.spreadsheets import Cell, CsvForm, csv_text
from reports.months import month_title
from reports.tables import Column, MonthlyDemandReport, Value

LEADING = ("report_month", "table")
TRAILING = ("measure", "value")
LEADING_WORDS = ("Mois du rapport", "Tableau")
TRAILING_WORDS = ("Mesure", "Valeur")


def _dimensions(report: MonthlyDemandReport, form: CsvForm) -> dict[str, Column]:
    """The dimension columns of the CSV in this form, by name, in the order they first appear."""
    columns: dict[str, Column] = {}
    for table in report.tables:
        for column in table.dimensions:
            if form is CsvForm.DATA or not column.code:
                columns.setdefault(column.name, column)
    return columns


def _value(value: Value, form: CsvForm) -> Cell:
    """A cell as written in the CSV: integers as they are, shares rounded to 6 decimals, blanks for None."""
    if value is None:
        return ""
    if isinstance(value, float):
        return form.decimal(value)
    return value


def render_csv(report: MonthlyDemandReport, form: CsvForm) -> str:
    """The tidy CSV of a report: a table's dimensions are filled in, the others left empty."""
    dimensions = _dimensions(report, form)
    if form is CsvForm.DATA:
        month: str = report.month
        lines: list[list[Cell]] = [[*LEADING, *dimensions, *TRAILING]]
    else:
        month = month_title(report.month)
        lines = [[*LEADING_WORDS, *(column.label for column in dimensions.values()), *TRAILING_WORDS]]
    for table in report.tables:
        positions = {column.name: index for index, column in enumerate(table.columns)}
        # Only the table's dimensions: a measure may share its name with another table's dimension.
        own = {column.name for column in table.dimensions}
        title = table.name if form is CsvForm.DATA else table.title
        for row in table.rows:
            cells = [_value(row[positions[name]], form) if name in own else "" for name in dimensions]
            for measure in table.measures:
                name = measure.name if form is CsvForm.DATA else measure.label
                lines.append([month, title, *cells, name, _value(row[positions[measure.name]], form)])
    return csv_text(lines, form)
