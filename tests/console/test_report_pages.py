"""The monthly report in the console: staff pick a month, read the framed report and download its files."""

from __future__ import annotations

import io
import re
from collections.abc import Callable

import pytest
from openpyxl import load_workbook

from tests.console.conftest import Browser


@pytest.mark.usefixtures("october")
def test_staff_see_last_month_framed_with_its_downloads(as_staff: Browser) -> None:
    """Without a month the page shows last month (by the app's clock): the report framed, four downloads."""
    html = as_staff.text("/reports/")
    assert 'type="month" id="report-month" name="month" value="2026-10" max="2026-11"' in html
    assert '<iframe class="report" src="/reports/2026-10.html" title="Rapport de octobre 2026">' in html
    assert re.findall(r'<li><a href="([^"]+)" download>', html) == [
        "/reports/2026-10/html",
        "/reports/2026-10/csv",
        "/reports/2026-10/xlsx",
        "/reports/2026-10/opendata",
    ]
    assert 'aria-current="page">Rapport mensuel</a>' in html
    assert 'value="2026-09"' in as_staff.text("/reports/?month=2026-09")


@pytest.mark.usefixtures("october")
def test_the_framed_report_may_be_framed_by_the_console_only(as_staff: Browser) -> None:
    """The report page keeps its inline styles, runs nothing, and only the console's own pages frame it."""
    response = as_staff.get("/reports/2026-10.html")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert response.headers["Content-Security-Policy"] == (
        "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'"
    )
    assert response.headers["Cache-Control"] == "no-store"
    text = response.get_data(as_text=True)
    assert "<strong>Octobre 2026</strong>" in text
    assert ">Bélâbre<" in text


@pytest.mark.usefixtures("october")
def test_downloads_are_attachments_in_each_format(as_staff: Browser) -> None:
    """Each format downloads under its file name; the workbook holds the month's figures."""
    xlsx = as_staff.get("/reports/2026-10/xlsx")
    assert xlsx.status_code == 200
    assert xlsx.headers["Content-Disposition"] == 'attachment; filename="demande-2026-10.xlsx"'
    assert load_workbook(io.BytesIO(xlsx.data))["Chiffres clés"]["C2"].value == 10
    opendata = as_staff.get("/reports/2026-10/opendata")
    assert opendata.headers["Content-Disposition"] == 'attachment; filename="opendata-demande-2026-10.csv"'
    assert opendata.mimetype == "text/csv"
    assert opendata.get_data(as_text=True).startswith("month,category_code,")


@pytest.mark.parametrize(
    ("url", "status"),
    [("/reports/?month=octobre", 400), ("/reports/2026-13.html", 404), ("/reports/2026-10/pdf", 404)],
)
def test_bad_months_and_formats(as_staff: Browser, url: str, status: int) -> None:
    """A month that is not one says so; unknown months and formats are not found."""
    response = as_staff.get(url)
    assert response.status_code == status
    if status == 400:
        assert (
            "« octobre » n&#39;est pas un mois : choisissez un mois, par exemple 2026-11."
            in response.get_data(as_text=True)
        )


@pytest.mark.parametrize("url", ["/reports/", "/reports/2026-10.html", "/reports/2026-10/csv"])
def test_operators_are_refused_and_strangers_sent_to_login(
    as_operator: Browser, browser_factory: Callable[[str], Browser], url: str
) -> None:
    """The report is for staff and admins; operators get 403, signed-out visitors the login page."""
    assert as_operator.get(url).status_code == 403
    assert "Rapport mensuel" not in as_operator.text("/")
    assert browser_factory("ada").get(url).status_code == 200
    signed_out = as_operator.client.application.test_client().get(url)
    assert signed_out.status_code == 302
    assert signed_out.headers["Location"].startswith("/login?next=")
