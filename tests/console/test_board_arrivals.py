"""A call put through to the operators reaches the open console at once, and one operator takes it."""

from __future__ import annotations

import html
from collections.abc import Callable

from playwright.sync_api import Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from call_log.codes import EventKind
from call_log.models import Call, CallEvent
from ivr.simulator.call import CallSimulator
from ivr.simulator.callers import DialOutcome, Keys, ScriptedCaller
from tests.console.browser import accessibility_problems, sign_in
from tests.console.conftest import Browser
from tests.console.test_browser import PickUpFromTheBoard


def test_a_call_for_the_operators_is_announced_and_taken(
    page: Page,
    live_server: str,
    simulator: CallSimulator,
    sessions: sessionmaker[Session],
    browser_factory: Callable[[str], Browser],
    shot: Callable[[Page, str], None],
) -> None:
    """The open board counts the call in its title, announces it with a link, and « Je prends » marks who
    took it: the record opens, the board says « Pris par Olivia », a second operator is told."""
    sign_in(page, live_server, "olivia")
    expect(page.get_by_text("Aucun appel en cours")).to_be_visible()
    title = page.title()
    taken: list[int] = []

    def meanwhile() -> None:
        arrival = page.locator("#arrivals")
        expect(arrival).to_contain_text("pour les opérateurs")  # by itself: the board polls
        expect(page).to_have_title(f"(1) Appel pour les opérateurs · {title}")
        assert page.locator("#board").get_attribute("data-chimes") == "1"
        assert accessibility_problems(page) == []
        shot(page, "1-announced")
        call_id = int(arrival.inner_text().split("n° ")[1].split(" ")[0])
        page.get_by_role("button", name=f"Je prends l'appel n° {call_id}").click()
        expect(page.get_by_text(f"Vous prenez l'appel n° {call_id}.")).to_be_visible()
        taken.append(call_id)
        page.get_by_role("link", name="Tableau").click()
        row = page.locator(f"#call-{call_id}")
        expect(row).to_contain_text("Pris par Olivia")
        expect(row.get_by_role("button", name="Je prends")).to_have_count(0)
        expect(page).to_have_title(title)
        shot(page, "2-taken")

        other = browser_factory("sam")
        refused = other.post(f"/calls/{call_id}/take", {})
        assert refused.status_code == 302
        assert f"L'appel n° {call_id} est déjà pris par Olivia." in html.unescape(other.text("/"))

    simulator.place_call(PickUpFromTheBoard(meanwhile))

    with sessions() as session:
        events = session.scalars(select(CallEvent).where(CallEvent.kind == EventKind.TAKEN)).all()
        assert [(e.call_id, e.payload) for e in events] == [(taken[0], {"by": "olivia", "name": "Olivia"})]


def test_a_call_is_taken_once(
    browser_factory: Callable[[str], Browser], simulator: CallSimulator, sessions: sessionmaker[Session]
) -> None:
    """Two operators press « Je prends » on the same call: the first keeps it, the second is told."""
    placed = simulator.place_call(ScriptedCaller([Keys("0")], dials=[DialOutcome("completed", 30)]))
    with sessions() as session:
        call_id = session.scalars(select(Call.id).where(Call.call_sid == placed.call_sid)).one()
    olivia, sam = browser_factory("olivia"), browser_factory("sam")
    assert olivia.post(f"/calls/{call_id}/take", {}).headers["Location"] == f"/calls/{call_id}"
    assert sam.post(f"/calls/{call_id}/take", {}).headers["Location"] == f"/#call-{call_id}"
    assert olivia.post(f"/calls/{call_id}/take", {}).headers["Location"] == f"/calls/{call_id}"
    with sessions() as session:
        events = session.scalars(select(CallEvent).where(CallEvent.kind == EventKind.TAKEN)).all()
        assert [e.payload["by"] for e in events] == ["olivia"]
