"""One definition per outcome: the call log's filter counts what the monthly report counts, word for word."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session, sessionmaker

from call_log.codes import Outcome, OutcomeGroup
from reports.aggregate import build_report
from tests.console.conftest import Browser
from tests.report_dataset import MONTH

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
_COUNT = re.compile(r'<p class="count" id="count">(\d+) appels?')
_OPTION = re.compile(r'<option (?:selected )?value="([^"]+)">([^<]+)</option>')


def logged(browser: Browser, outcome: str) -> int:
    """How many calls of the month the log lists under an outcome filter."""
    html = browser.text(f"/log?start=2026-10-01&end=2026-10-31&outcome={outcome}")
    found = _COUNT.search(html)
    assert found is not None
    return int(found.group(1))


def test_the_log_counts_each_outcome_as_the_report_does(
    october: sessionmaker[Session], as_staff: Browser
) -> None:
    """In a mixed month, each outcome or group of the log filter counts what its words count in the report."""
    with october() as session:
        report = build_report(session, MONTH, tz=PARIS, helpline_name="1001 services", now=NOW)
    in_report = {str(row[1]): int(row[2]) for row in report.table("outcomes").rows}
    in_report |= {str(row[1]): int(row[2]) for row in report.table("rates").rows}
    # The unmet demand table's reason (reason, its words, category, its words, calls), summed over services.
    unmet = sum(int(row[4]) for row in report.table("unmet").rows if row[0] == "not_answered")
    unmet_words = {str(row[1]) for row in report.table("unmet").rows if row[0] == "not_answered"}
    select = as_staff.text("/log").split('<select id="outcome" name="outcome">')[1].split("</select>")[0]
    options = dict(_OPTION.findall(select.replace("&#39;", "'")))
    assert list(options) == [*OutcomeGroup, *Outcome]
    assert "Personne n'a répondu (sonnerie ou messagerie)" in options.values()
    counts = {words: logged(as_staff, code) for code, words in options.items()}
    assert counts == {words: in_report.get(words, 0) for words in options.values()}
    assert counts["Personne n'a répondu (sonnerie ou messagerie)"] == 4
    assert unmet_words == {"Personne n'a répondu (sonnerie ou messagerie)"}
    assert unmet == 4
    assert counts["Sans réponse (sonnerie)"] == 1
    assert len(set(options.values())) == len(options)
