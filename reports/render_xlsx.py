"""The report as an XLSX workbook: a contents sheet, then one sheet per table with numbers as numbers."""

from __future__ import annotations

import io
import re

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from foundation.spreadsheets import starts_a_formula
from reports.months import month_title
from reports.tables import MonthlyDemandReport, ReportTable

NUMBER_FORMATS = {"count": "#,##0", "share": "0.0%", "change": "+0.0%;-0.0%;0.0%"}
CONTENTS = "Sommaire"
BOLD = Font(bold=True)
# A sheet's name is its table's title, but names hold 31 characters at most: the titles too long, shortened.
SHORT_TITLES = {
    "communes": "Lieu du bénéficiaire",
    "heard_from": "Connaissance du numéro",
    "uncovered_places": "Services sans association",
    "associations": "Associations",
}
# Characters a sheet's name cannot hold.
_NOT_IN_NAMES = re.compile(r"[\[\]:*?/\\]")
_MAX_NAME = 31


def render_xlsx(report: MonthlyDemandReport) -> bytes:
    """The workbook's bytes."""
    workbook = Workbook()
    contents = workbook.active
    assert contents is not None
    contents.title = CONTENTS
    contents.append([f"{report.helpline_name} : observatoire de la demande, {month_title(report.month)}"])
    contents["A1"].font = Font(bold=True, size=14)
    contents.append([f"Mois {report.month}, fuseau {report.timezone}"])
    contents.append([])
    contents.append(["Feuille", "Tableau", "Note"])
    for cell in contents[4]:
        cell.font = BOLD
    for table in report.tables:
        name = sheet_name(table)
        _sheet(workbook.create_sheet(name), table)
        contents.append([name, table.title, table.note])
        link = contents.cell(row=contents.max_row, column=1)
        link.hyperlink = "#'{}'!A1".format(name.replace("'", "''"))
        link.font = Font(underline="single")
    contents.column_dimensions["A"].width = 24
    contents.column_dimensions["B"].width = 60
    contents.column_dimensions["C"].width = 80
    workbook.properties.title = f"Observatoire de la demande {report.month}"
    workbook.properties.creator = report.helpline_name
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def sheet_name(table: ReportTable) -> str:
    """The name of a table's sheet: its French title, shortened to fit."""
    title = _NOT_IN_NAMES.sub("-", SHORT_TITLES.get(table.name, table.title))
    return title if len(title) <= _MAX_NAME else title[: _MAX_NAME - 1].rstrip() + "…"


def _sheet(sheet: Worksheet, table: ReportTable) -> None:
    """Header row, data rows with number formats, frozen header, filters, readable widths."""
    sheet.append([column.label for column in table.columns])
    for cell in sheet[1]:
        cell.font = BOLD
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row in table.rows:
        # An empty dimension is an empty cell, not an empty string.
        sheet.append([None if value == "" else value for value in row])
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str) and starts_a_formula(cell.value):
                # Text, never a formula (openpyxl takes '=...' for one), and kept text if edited.
                cell.data_type = "s"
                cell.quotePrefix = True
    for index, column in enumerate(table.columns, start=1):
        letter = get_column_letter(index)
        number_format = NUMBER_FORMATS.get(column.kind)
        if number_format is not None:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = number_format
        widest = max([len(str(value)) for value in table.column(column.name)] or [0])
        sheet.column_dimensions[letter].width = min(max(widest, len(column.label) // 2, 8) + 2, 60)
    sheet.freeze_panes = "A2"
    if table.rows:
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(table.columns))}{len(table.rows) + 1}"
