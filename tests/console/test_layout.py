"""The console on a phone and on paper: no page scrolls sideways on a phone, and a record prints whole."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Browser as Chromium
from playwright.sync_api import Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from call_log.models import Call
from ivr.simulator.call import CallSimulator
from ivr.simulator.callers import DialOutcome, Keys, ScriptedCaller
from tests.console.browser import TIMEOUT_MS, accessibility_problems, sign_in
from tests.console.test_browser import PickUpFromTheBoard

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone(chromium: Chromium, live_server: str) -> Iterator[Page]:
    """A browser window the size of a phone held upright."""
    context = chromium.new_context(viewport=PHONE, locale="fr-FR", is_mobile=True, has_touch=True)
    context.set_default_timeout(TIMEOUT_MS)
    yield context.new_page()
    context.close()


def sideways(page: Page) -> int:
    """How many pixels the page scrolls sideways."""
    return int(page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth"))


def test_no_page_scrolls_sideways_on_a_phone(
    phone: Page,
    live_server: str,
    simulator: CallSimulator,
    sessions: sessionmaker[Session],
    shot: Callable[[Page, str], None],
) -> None:
    """At 390 px wide, the board with a live call, the record, the log and the queues fit the screen."""
    widths: dict[str, int] = {}

    def meanwhile() -> None:
        sign_in(phone, live_server, "sam")
        expect(phone.locator("tr.live")).to_have_count(1)
        widths["/"] = sideways(phone)
        expect(phone.get_by_role("button", name="Je prends")).to_be_visible()
        shot(phone, "board")
        assert accessibility_problems(phone) == []

    placed = simulator.place_call(PickUpFromTheBoard(meanwhile))
    with sessions() as session:
        call_id = session.scalars(select(Call.id).where(Call.call_sid == placed.call_sid)).one()
    for path in (f"/calls/{call_id}", "/log", "/callbacks", "/referrals", "/calls/new", "/directory"):
        phone.goto(f"{live_server}{path}")
        widths[path] = sideways(phone)
        shot(phone, path.strip("/").replace("/", "-") or "board")
    assert {path: width for path, width in widths.items() if width > 0} == {}


def test_a_record_prints_its_content_alone(
    page: Page, live_server: str, simulator: CallSimulator, sessions: sessionmaker[Session]
) -> None:
    """Printed, a record has no menu nor buttons, and its whole history."""
    placed = simulator.place_call(ScriptedCaller([Keys("0")], dials=[DialOutcome("completed", 60)]))
    with sessions() as session:
        call_id = session.scalars(select(Call.id).where(Call.call_sid == placed.call_sid)).one()
    sign_in(page, live_server, "olivia")
    page.goto(f"{live_server}/calls/{call_id}")
    expect(page.get_by_role("button", name="Imprimer la fiche")).to_be_visible()
    page.emulate_media(media="print")
    expect(page.get_by_role("navigation", name="Console")).to_be_hidden()
    expect(page.get_by_role("button", name="Enregistrer la fiche")).to_be_hidden()
    expect(page.locator("ol.history")).to_be_visible()
    assert page.evaluate("getComputedStyle(document.querySelector('ol.history')).maxHeight") == "none"
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF")
