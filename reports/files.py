"""A month's report files: build them in any format, name them, store them in the output directory."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

from sqlalchemy.orm import Session

from foundation.config import Config
from foundation.spreadsheets import CsvForm
from reports.aggregate import STEPS, build_report
from reports.opendata import OpenDataRow, open_data_rows, render_open_data
from reports.tables import MonthlyDemandReport

Format = Literal["html", "csv", "xlsx", "opendata"]
FORMATS: tuple[Format, ...] = ("html", "csv", "xlsx", "opendata")
# What the monthly e-mail carries; the open-data file is stored for publication, not mailed.
MAILED: tuple[Format, ...] = ("html", "csv", "xlsx")
_NAMES: dict[Format, tuple[str, str]] = {
    "html": ("demande-{month}.html", "text/html; charset=utf-8"),
    "csv": ("demande-{month}.csv", "text/csv; charset=utf-8"),
    "xlsx": ("demande-{month}.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "opendata": ("opendata-demande-{month}.csv", "text/csv; charset=utf-8"),
}


@dataclass(frozen=True)
class ReportFile:
    """One rendered file of a month's report."""

    name: str
    media_type: str
    content: bytes


def file_name(month: str, fmt: Format) -> str:
    """The name of a month's file in a format, e.g. demande-2026-10.xlsx."""
    return _NAMES[fmt][0].format(month=month)


def step_count(formats: Sequence[Format]) -> int:
    """How many steps `collect_month` then `render_files` report to `on_step` (for a progress bar)."""
    return (len(STEPS) if set(formats) - {"opendata"} else 0) + len(formats)


@dataclass(frozen=True)
class MonthFigures:
    """What a month's files are made of, read from the database: the report and the open-data cells."""

    month: str
    report: MonthlyDemandReport | None
    open_data: list[OpenDataRow] | None


def collect_month(
    session: Session,
    month: str,
    formats: Sequence[Format],
    *,
    config: Config,
    now: datetime,
    on_step: Callable[[str], None] | None = None,
) -> MonthFigures:
    """Everything `formats` need from the database; render it after closing the session.

    Rendering (charts, workbook) takes longer than the queries; doing it outside the session keeps the
    database free for the calls coming in meanwhile (SQLite has one writer at a time).
    """
    report = None
    if set(formats) - {"opendata"}:
        tz, name = config.helpline.tz, config.helpline.name
        report = build_report(session, month, tz=tz, helpline_name=name, now=now, on_step=on_step)
    open_data = None
    if "opendata" in formats:
        suppress_below = config.reports.suppress_below
        open_data = open_data_rows(session, month, tz=config.helpline.tz, suppress_below=suppress_below)
    return MonthFigures(month, report, open_data)


def render_files(
    figures: MonthFigures,
    formats: Sequence[Format],
    *,
    on_step: Callable[[str], None] | None = None,
    csv_form: CsvForm = CsvForm.SPREADSHEET,
) -> list[ReportFile]:
    """The files of `formats`, in that order, from figures collected for (at least) those formats.

    The csv format is for a French spreadsheet unless `csv_form` says data (the open data is always data).
    """
    files = []
    for fmt in formats:
        if fmt == "opendata":
            if figures.open_data is None:
                raise ValueError("the open-data format needs the open-data cells collected")
            content = render_open_data(figures.open_data).encode()
        elif figures.report is None:
            raise ValueError(f"the {fmt} format needs the report collected")
        else:
            content = _render(figures.report, fmt, csv_form)
        files.append(ReportFile(file_name(figures.month, fmt), _NAMES[fmt][1], content))
        if on_step is not None:
            on_step(fmt)
    return files


def _render(report: MonthlyDemandReport, fmt: Format, csv_form: CsvForm) -> bytes:
    # The renderers load Jinja, matplotlib and openpyxl: imported when used, so that `helpline` starts fast.
    from reports.render_csv import render_csv
    from reports.render_html import render_html
    from reports.render_xlsx import render_xlsx

    if fmt == "html":
        return render_html(report).encode()
    if fmt == "csv":
        return render_csv(report, csv_form).encode()
    return render_xlsx(report)


def store_files(files: Sequence[ReportFile], directory: Path) -> list[Path]:
    """Write the files into `directory` (created if needed), each replaced whole; returns their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for file in files:
        path = directory / file.name
        partial = path.with_name(f".{file.name}.partial")
        partial.write_bytes(file.content)
        # A reader (the console, a mail client) never sees half a file.
        partial.replace(path)
        paths.append(path)
    return paths
