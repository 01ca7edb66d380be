"""Console reads of a call's record (its page, the log's export) go into the record's trail of reads."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, select
from sqlalchemy.orm import Session, sessionmaker

from call_log.models import Call, RecordRead
from ivr.simulator.call import CallSimulator
from ivr.simulator.callers import DialOutcome, Keys, ScriptedCaller
from tests.conftest import FakeClock
from tests.console.conftest import Browser


@pytest.fixture
def call(simulator: CallSimulator, read_call: Callable[[str], Call]) -> Call:
    """A caller who pressed 0 and talked to an operator."""
    placed = simulator.place_call(ScriptedCaller([Keys("0")], dials=[DialOutcome("completed", 60)]))
    return read_call(placed.call_sid)


def _reads(sessions: sessionmaker[Session]) -> list[tuple[int, str, str, str]]:
    with sessions() as session:
        rows = session.scalars(select(RecordRead).order_by(RecordRead.id))
        return [(row.call_id, row.by, row.via, row.at.strftime("%H:%M")) for row in rows]


@pytest.fixture
def inserts(app: Flask) -> Iterator[list[str]]:
    """The INSERT statements the app sends to record_read."""
    sent: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO RECORD_READ"):
            sent.append(statement)

    engine = app.extensions["helpline"].engine
    event.listen(engine, "before_cursor_execute", seen)
    yield sent
    event.remove(engine, "before_cursor_execute", seen)


def test_opening_a_record_is_a_read_once_per_ten_minutes(
    browser_factory: Callable[[str], Browser],
    call: Call,
    sessions: sessionmaker[Session],
    clock: FakeClock,
    inserts: list[str],
) -> None:
    """Each opening is one INSERT; the same user reopening within 10 minutes adds no row, after it does."""
    olivia = browser_factory("olivia")
    page = f"/calls/{call.id}"
    olivia.text(page)
    assert len(inserts) == 1
    clock.advance(9 * 60)
    olivia.text(page)
    assert _reads(sessions) == [(call.id, "olivia", "page", "09:00")]
    clock.advance(2 * 60)
    olivia.text(page)
    browser_factory("sam").text(page)
    assert _reads(sessions) == [
        (call.id, "olivia", "page", "09:00"),
        (call.id, "olivia", "page", "09:11"),
        (call.id, "sam", "page", "09:11"),
    ]
    assert len(inserts) == 4


def test_staff_see_the_reads_operators_do_not(
    browser_factory: Callable[[str], Browser], call: Call, clock: FakeClock
) -> None:
    """The record's history lists who read it and when for staff and admins; not for operators."""
    olivia_page = browser_factory("olivia").text(f"/calls/{call.id}")
    assert "Consultations de la fiche" not in olivia_page
    clock.advance(60)
    html = browser_factory("ada").text(f"/calls/{call.id}")
    assert "Consultations de la fiche" in html
    assert (
        '<span class="when">24/11 10:01:00</span>\n        <span class="what">ada a ouvert la fiche</span>'
        in html
    )
    assert (
        '<span class="when">24/11 10:00:00</span>\n        <span class="what">olivia a ouvert la fiche</span>'
        in html
    )


def test_the_log_export_is_a_read_of_each_record(
    as_staff: Browser, call: Call, sessions: sessionmaker[Session]
) -> None:
    """Each call in the log's CSV export gets a read by the staff member who exported it."""
    response = as_staff.get("/log/export.csv?outcome=connected_operator")
    assert response.status_code == 200
    assert response.get_data(as_text=True).count("\n") == 2  # header and the call
    assert _reads(sessions) == [(call.id, "sam", "log_export", "09:00")]
