"""The live board: a call shows while it rings the operators, stays 30 minutes after it ends, then leaves."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from flask import Flask
from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from call_log.board import ENDED_ROWS, LIVE_ROWS
from call_log.codes import EventKind, TransferTarget
from call_log.models import Call, CallEvent
from call_log.record import open_manual_contact
from call_log.recording import add_event, apply_status, open_call
from ivr.simulator.call import CallSimulator
from ivr.simulator.callers import (
    VOICEMAIL_PICKS_UP,
    DialOutcome,
    DialRequest,
    HangUp,
    Keys,
    ScriptedCaller,
    Speech,
)
from tests.conftest import FakeClock
from tests.console.conftest import Browser


class CallerWatchingTheBoard(ScriptedCaller):
    """A caller whose call is looked at on the board while the operators' phones ring."""

    def __init__(self, look: Callable[[], None], inputs: Sequence[Keys | Speech] = (Keys("0"),)) -> None:
        """Answer the menu with `inputs`; when phones ring, call `look`, then let the phone be answered."""
        super().__init__(inputs, dials=[DialOutcome("completed", 60)])
        self.look = look

    def dial(self, dial: DialRequest) -> DialOutcome | HangUp:
        """Look at the board mid-call, then answer."""
        self.look()
        return super().dial(dial)


def board_rows(browser: Browser) -> dict[int, str]:
    """The board's rows (call number -> row HTML), from the fragment the page polls."""
    html = browser.text("/board/rows")
    return {int(n): row for n, row in re.findall(r'<tr id="call-(\d+)"(.*?)</tr>', html, flags=re.S)}


def test_call_in_progress_then_just_ended_then_gone(
    as_operator: Browser, simulator: CallSimulator, sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    """While operators ring, the call is live, its record one click away; it stays 30 minutes once ended."""
    seen: dict[int, str] = {}

    def look() -> None:
        seen.update(board_rows(as_operator))

    placed = simulator.place_call(CallerWatchingTheBoard(look))
    [(number, live)] = seen.items()
    assert 'class="live with-operator"' in live
    assert "En cours" in live
    assert "Vers les opérateurs" in live
    assert f'formaction="/calls/{number}/take" class="primary" id="take-{number}">Je prends' in live
    assert "06 ** ** ** 01" in live  # the masked number, grouped as French people write it

    ended = board_rows(as_operator)[number]
    assert 'class="ended"' in ended
    assert "fini à 10:00" in ended
    assert "Pris par un opérateur" in ended
    with sessions() as session:
        call = session.get_one(Call, number)
        assert call.call_sid == placed.call_sid
        ended_at = call.ended_at
    assert ended_at is not None
    clock.now = ended_at + timedelta(minutes=30)
    assert number in board_rows(as_operator)
    clock.advance(1)
    assert number not in board_rows(as_operator)
    assert "Aucun appel en cours ni terminé depuis 30 minutes." in as_operator.text("/")


def test_board_shows_what_the_menu_collected(as_operator: Browser, simulator: CallSimulator) -> None:
    """While an association rings, the board shows the service, the commune, for whom, and where it goes."""
    seen: dict[int, str] = {}

    def look() -> None:
        seen.update(board_rows(as_operator))

    journey = [Keys("3"), Keys("36300"), Speech("Ciron"), Keys("2")]  # childcare, Ciron, for a relative
    simulator.place_call(CallerWatchingTheBoard(look, journey))
    [live] = seen.values()
    assert 'class="live"' in live
    cells = [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", cell)).strip() for cell in live.split("<td>")[1:]]
    assert cells[3:7] == [
        "Enfants : garde, sorties d&#39;école, soutien scolaire et loisirs",
        "Ciron",
        "Pour un proche",
        "Vers une association : Brenne Enfance Services",
    ]


def test_lost_calls_and_manual_entries_stay_off_the_board(
    as_operator: Browser, sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    """A call whose final status never came is dropped after 2 hours; contacts entered by hand never show."""
    with sessions() as session, session.begin():
        open_call(session, call_sid="CA" + "a" * 32, now=clock() - timedelta(hours=2, seconds=1))
        recent = open_call(session, call_sid="CA" + "b" * 32, now=clock() - timedelta(minutes=5))
        open_manual_contact(session, channel="visit", started_at=clock(), caller="", by="olivia", now=clock())
        recent_id = recent.id
    assert list(board_rows(as_operator)) == [recent_id]


def test_an_operator_phone_answered_by_its_voicemail_is_not_a_taken_call(
    as_operator: Browser, simulator: CallSimulator
) -> None:
    """The operators' voicemail took the screened call: the board does not say an operator took it."""
    placed = simulator.place_call(ScriptedCaller([Keys("0"), HangUp()], dials=[VOICEMAIL_PICKS_UP]))
    [ended] = board_rows(as_operator).values()
    assert 'class="ended"' in ended
    assert "Pris par un opérateur" not in ended
    assert "Sans réponse (sonnerie)" in ended
    assert "Nos conseillers sont tous occupés." in placed.heard


@contextmanager
def loaded_rows() -> Iterator[dict[str, int]]:
    """How many calls and events the ORM loads from the database while in the block."""
    counts = {"calls": 0, "events": 0}

    def on_call(*_args: Any) -> None:
        counts["calls"] += 1

    def on_event(*_args: Any) -> None:
        counts["events"] += 1

    event.listen(Call, "load", on_call)
    event.listen(CallEvent, "load", on_event)
    try:
        yield counts
    finally:
        event.remove(Call, "load", on_call)
        event.remove(CallEvent, "load", on_event)


def test_a_flood_of_calls_without_final_status_is_capped(
    as_operator: Browser, sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    """1,100 calls that never got their final status: the board sends the newest 50 and counts the others."""
    live_ids, ended_ids = [], []
    with sessions() as session, session.begin():
        for n in range(1100):  # a second apart, the newest first: each went to the operators
            at = clock() - timedelta(seconds=n + 1)
            call = open_call(session, call_sid=f"CA{n:032x}", now=at, caller="+33639980001")
            session.flush()
            add_event(session, call, EventKind.CALL_STARTED, {}, now=at)
            add_event(session, call, EventKind.TRANSFER, {"target": TransferTarget.OPERATORS}, now=at)
            live_ids.append(call.id)
        for n in range(ENDED_ROWS + 1):  # ended 10 seconds apart, the latest first
            at = clock() - timedelta(seconds=10 * (n + 1))
            call = open_call(session, call_sid=f"CB{n:032x}", now=at)
            apply_status(call, status="completed", sequence=None, duration_s=20, now=at)
            ended_ids.append(call.id)

    with loaded_rows() as loaded:
        response = as_operator.client.get("/board/rows")
    html = response.get_data(as_text=True)
    rows = board_rows(as_operator)
    assert list(rows) == live_ids[:LIVE_ROWS] + ended_ids[:ENDED_ROWS]
    assert all('class="live with-operator"' in rows[number] for number in live_ids[:LIVE_ROWS])
    assert "et 1\u202f050 autres appels en cours, non affichés" in html
    assert "et 1 autre appel terminé depuis moins de 30 minutes, non affiché</td>" in html
    # What the rows need, not the whole log: the shown calls, and of their events only the transfers.
    assert loaded == {"calls": LIVE_ROWS + ENDED_ROWS, "events": LIVE_ROWS}
    # Every call sent, this was 1,265,589 bytes for 3,300 such calls; 100 rows are 55,829 bytes here (each
    # of the 50 live ones waiting for an operator carries its « Je prends » button and its announcement).
    assert len(response.data) < 60_000


def test_a_backlog_waiting_too_long_is_said_on_every_page(
    as_operator: Browser, app: Flask, clock: FakeClock
) -> None:
    """Writes waiting more than 5 minutes for the database: every console page says so, in French."""
    journal = app.extensions["helpline"].journal
    journal.append("call_write", {"kind": "call_started"}, at=clock() - timedelta(minutes=4))
    assert 'id="journal-backlog"' not in as_operator.text("/")
    clock.advance(61)
    for page in ("/", "/callbacks"):
        assert (
            "La base de données n'enregistre plus les appels\n    depuis le 24/11/2026 09:56 : 1 "
            "enregistrement(s)"
        ) in as_operator.text(page)
