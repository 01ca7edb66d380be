"""What a monthly demand report is: named tables of dimensions and measures, ready for any renderer."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

Value = str | int | float | None
"""A cell: text for dimensions, int for counts, float in [0, 1] for shares, None when undefined."""

Kind = Literal["dimension", "count", "share", "change"]
"""How a column is read: a dimension (text), a count, a share of a whole, or a relative change."""


@dataclass(frozen=True)
class Column:
    """One column of a report table: a machine name (CSV), a French label (HTML, XLSX) and its kind."""

    name: str
    label: str
    kind: Kind = "count"
    # A machine code that a label column next to it says in words: kept in CSV and XLSX, hidden in HTML.
    code: bool = False

    @property
    def is_dimension(self) -> bool:
        """Whether the column describes the row rather than measuring it."""
        return self.kind == "dimension"


@dataclass(frozen=True)
class ReportTable:
    """One table of the report, in long form: each row is dimension values followed by measures."""

    name: str
    title: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Value, ...], ...]
    note: str = ""

    def __post_init__(self) -> None:
        names = [column.name for column in self.columns]
        if len(set(names)) != len(names):
            raise ValueError(f"table {self.name}: duplicate column names in {names}")
        for row in self.rows:
            if len(row) != len(self.columns):
                raise ValueError(
                    f"table {self.name}: row {row!r} does not match its {len(self.columns)} columns"
                )

    @property
    def dimensions(self) -> tuple[Column, ...]:
        """The columns that describe a row."""
        return tuple(column for column in self.columns if column.is_dimension)

    @property
    def measures(self) -> tuple[Column, ...]:
        """The columns that hold figures."""
        return tuple(column for column in self.columns if not column.is_dimension)

    def records(self) -> Iterator[dict[str, Value]]:
        """The rows as dictionaries keyed by column name."""
        names = [column.name for column in self.columns]
        for row in self.rows:
            yield dict(zip(names, row, strict=True))

    def column(self, name: str) -> list[Value]:
        """Every value of one column, top to bottom."""
        index = [column.name for column in self.columns].index(name)
        return [row[index] for row in self.rows]


@dataclass(frozen=True)
class MonthlyDemandReport:
    """The observatory of demand for one month of the helpline's timezone."""

    month: str
    helpline_name: str
    timezone: str
    start: datetime
    end: datetime
    generated_at: datetime
    tables: tuple[ReportTable, ...] = field(default_factory=tuple)

    def table(self, name: str) -> ReportTable:
        """The table called `name`; KeyError if the report has none."""
        for table in self.tables:
            if table.name == name:
                return table
        raise KeyError(f"the report has no table {name!r}")

    def figure(self, indicator: str) -> int:
        """One key figure of the month (calls, distinct_callers, ...) from the key figures table."""
        for record in self.table("key_figures").records():
            if record["indicator"] == indicator:
                value = record["month"]
                assert isinstance(value, int)
                return value
        raise KeyError(f"the report has no key figure {indicator!r}")


NARROW_SPACE = "\u202f"


# The text of the figures, shared by the HTML page and the e-mail's summary (which must not load the
# page's charts: the server's workers import the mailer).
def format_value(value: Value, column: Column) -> str:
    """A cell as French readers write it: 1 234, 12,5 %, +3,0 %, and a dash for what is undefined."""
    if value is None:
        return "—"
    if column.kind == "dimension":
        return str(value)
    if column.kind in ("share", "change") and isinstance(value, float | int):
        text = f"{abs(value) * 100:.1f}".replace(".", ",") + f"{NARROW_SPACE}%"
        if column.kind == "change":
            return ("+" if value > 0 else "−" if value < 0 else "") + text
        return text
    if isinstance(value, int):
        return f"{value:,}".replace(",", NARROW_SPACE)
    return str(value)


def share(part: int, whole: int) -> float | None:
    """`part / whole`, or None when there is no whole to share."""
    return part / whole if whole else None


def change(now: int, before: int) -> float | None:
    """The relative change from `before` to `now`, or None when `before` is zero."""
    return (now - before) / before if before else None


def dimension(name: str, label: str) -> Column:
    """A dimension column."""
    return Column(name, label, "dimension")


def code_column(name: str, label: str = "Code") -> Column:
    """A dimension column holding a machine code (hidden in HTML next to its label column)."""
    return Column(name, label, "dimension", code=True)


def table(
    name: str, title: str, cols: Sequence[Column], rows: Sequence[Sequence[Value]], *, note: str = ""
) -> ReportTable:
    """Build a ReportTable from any sequences."""
    return ReportTable(name, title, tuple(cols), tuple(tuple(row) for row in rows), note)
