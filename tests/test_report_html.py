"""The HTML report of a month not over yet says so instead of comparing it with whole months."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session, sessionmaker

from reports.aggregate import build_report
from reports.render_html import render_html
from tests.report_dataset import MONTH

PARIS = ZoneInfo("Europe/Paris")
INCOMPLETE = "mois en cours, incomplet"


@pytest.fixture
def october(october: sessionmaker[Session]) -> Iterator[Session]:
    """A session on the database holding the hand-built data set of October 2026."""
    with october() as session:
        yield session


def key_figure_cells(html: str) -> list[list[str]]:
    """The cells of the key figures table, row by row."""
    table = html.split('id="table-key_figures"', 1)[1].split("<tbody>", 1)[1].split("</table>", 1)[0]
    return [
        re.findall(r"<td[^>]*>(.*?)</td>", row, re.S) for row in re.findall(r"<tr>(.*?)</tr>", table, re.S)
    ]


def trend_months(html: str) -> list[str]:
    """The month column of the 13-month trend table."""
    table = html.split('id="table-trend"', 1)[1].split("<tbody>", 1)[1].split("</table>", 1)[0]
    return [
        re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)[0] for row in re.findall(r"<tr>(.*?)</tr>", table, re.S)
    ]


def test_the_month_in_progress_says_it_is_incomplete(october: Session) -> None:
    """Built on 20 October, October's changes read 'mois en cours, incomplet', not a fall or a rise."""
    report = build_report(
        october, MONTH, tz=PARIS, helpline_name="1001 services", now=datetime(2026, 10, 20, 8, 0, tzinfo=UTC)
    )
    html = render_html(report)
    calls = key_figure_cells(html)[0]
    assert calls[0] == "Appels"
    assert calls[3] == calls[5] == INCOMPLETE
    assert all(row[3] == row[5] == INCOMPLETE for row in key_figure_cells(html))
    assert trend_months(html)[-1] == f"2026-10 ({INCOMPLETE})"
    assert trend_months(html)[-2] == "2026-09"
    assert "Rapport établi le 20/10/2026 à 10:00. <strong>Mois en cours, incomplet</strong>" in html


def test_a_whole_month_shows_its_changes(october: Session) -> None:
    """Built after the month, the changes are figures and nothing says incomplete."""
    report = build_report(
        october, MONTH, tz=PARIS, helpline_name="1001 services", now=datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    )
    html = render_html(report)
    assert key_figure_cells(html)[0][3] == "+400,0\u202f%"
    assert trend_months(html)[-1] == "2026-10"
    assert "incomplet" not in html
