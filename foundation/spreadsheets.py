"""Cells of the CSV and XLSX files the helpline writes, and the two forms its CSV files come in.

Spreadsheet programs run a cell that starts like a formula ('=', '+', '-', '@', a tab or a carriage
return) when the file is opened: an association named '=HYPERLINK("https://evil.example", "Aide")' would be
a live link, and worse. Every writer passes its cells through `inert_cell` (CSV) or `starts_a_formula`
(XLSX): such text gets a leading apostrophe, which spreadsheets read as "this is text", and numbers stay
numbers (-3 or '-0,25' is data, not a formula).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from enum import StrEnum

Cell = str | int | float | None
"""What a writer puts in a CSV cell: None is written blank."""

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# A number as a spreadsheet reads it, decimal point or comma: data, even when it starts with '-' or '+'.
_NUMBER = re.compile(r"[+-]?(?:\d+(?:[.,]\d+)?|[.,]\d+)(?:[eE][+-]?\d+)?")
BYTE_ORDER_MARK = "\ufeff"


class CsvForm(StrEnum):
    """How a CSV file is laid out: for a French spreadsheet (the default), or for programs."""

    # ';' between cells, a byte-order mark so that accents read right, French headers and words.
    SPREADSHEET = "tableur"
    # ',' between cells, no byte-order mark, the stored codes and the machine column names.
    DATA = "donnees"

    @property
    def delimiter(self) -> str:
        """The separator of cells: French spreadsheets take ',' as the decimal mark."""
        return ";" if self is CsvForm.SPREADSHEET else ","

    @property
    def preamble(self) -> str:
        """What the file starts with, before its header line."""
        return BYTE_ORDER_MARK if self is CsvForm.SPREADSHEET else ""

    def yes_no(self, value: bool) -> str:
        """A flag in a cell: 'oui'/'non' for a spreadsheet, 'true'/'false' for programs."""
        if self is CsvForm.SPREADSHEET:
            return "oui" if value else "non"
        return "true" if value else "false"

    def decimal(self, value: float, *, places: int = 6) -> str:
        """A fraction rounded to `places`, trailing zeros dropped; with a decimal comma for a spreadsheet."""
        text = f"{value:.{places}f}".rstrip("0").rstrip(".")
        return text.replace(".", ",") if self is CsvForm.SPREADSHEET else text


def starts_a_formula(text: str) -> bool:
    """Whether a spreadsheet would take this text for a formula (a number is not one)."""
    return text.startswith(FORMULA_STARTS) and _NUMBER.fullmatch(text) is None


def inert_cell(value: Cell) -> Cell:
    """The cell as a spreadsheet must show it: text that would start a formula gets a leading apostrophe."""
    # Text that already starts with apostrophes gets one more, so that `restored_text` gives it back.
    if isinstance(value, str) and starts_a_formula(value.lstrip("'")):
        return "'" + value
    return value


def restored_text(text: str) -> str:
    """A cell read back from a file the helpline wrote: without the apostrophe `inert_cell` added."""
    if text.startswith("'") and starts_a_formula(text.lstrip("'")):
        return text[1:]
    return text


def csv_lines(rows: Iterable[Sequence[Cell]], form: CsvForm) -> str:
    """Rows as lines of CSV in this form, every cell made inert (no preamble: see `csv_text`)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=form.delimiter, lineterminator="\n")
    writer.writerows([inert_cell(cell) for cell in row] for row in rows)
    return buffer.getvalue()


def csv_text(rows: Iterable[Sequence[Cell]], form: CsvForm) -> str:
    """A whole CSV file in this form: its preamble, then the rows (the header first)."""
    return form.preamble + csv_lines(rows, form)
