"""`helpline calls sweep`: calls whose final status never came are closed, and a late status still counts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from click.testing import CliRunner, Result
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from call_log.codes import Channel, EventKind, Outcome, TransferTarget
from call_log.models import Call, CallEvent
from call_log.recording import add_event, apply_status, open_call
from call_log.sweep import close_unfinished
from foundation.clock import system_clock
from foundation.db import transaction
from helpline.cli import main
from ivr.simulator.run import new_sid
from tests.conftest import EXAMPLE_CONFIG, FakeClock
from tests.test_calls import make_simulator
from tests.test_races import race

CALLER = "+33254370000"


def helpline(database_url: str, *args: str) -> Result:
    """Run `helpline ARGS` on the test database, at the system's time as in production."""
    env = {"HELPLINE_DATABASE_URL": database_url, "HELPLINE_CONFIG": str(EXAMPLE_CONFIG)}
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def sweep(database_url: str) -> Result:
    """Run `helpline calls sweep`."""
    return helpline(database_url, "calls", "sweep")


def kinds(session: Session, call_id: int) -> list[str]:
    """The kinds of a call's events, in the order they were written."""
    query = select(CallEvent.kind).where(CallEvent.call_id == call_id).order_by(CallEvent.seq)
    return list(session.scalars(query))


def test_sweep_closes_voice_calls_left_open_after_four_hours(
    database_url: str, sessions: sessionmaker[Session]
) -> None:
    """Open voice calls started over 4 hours ago end at their last event, once; nothing else changes."""
    start = system_clock() - timedelta(hours=4, minutes=1)
    with transaction(sessions) as session:
        in_menu = open_call(session, call_sid=new_sid("CA"), now=start)
        session.flush()
        add_event(session, in_menu, EventKind.CALL_STARTED, {}, now=start)
        add_event(session, in_menu, EventKind.MENU_INPUT, {"digits": "1"}, now=start + timedelta(seconds=30))
        ringing = open_call(session, call_sid=new_sid("CA"), now=start)
        session.flush()
        add_event(session, ringing, EventKind.CALL_STARTED, {}, now=start)
        transfer = {"target": TransferTarget.OPERATORS}
        add_event(session, ringing, EventKind.TRANSFER, transfer, now=start + timedelta(seconds=40))
        ringing.outcome = Outcome.MISSED  # what a call gets while a phone rings for it
        no_event = open_call(session, call_sid=new_sid("CA"), now=start)
        recent = open_call(session, call_sid=new_sid("CA"), now=start + timedelta(minutes=2))
        finished = open_call(session, call_sid=new_sid("CA"), now=start)
        apply_status(
            finished, status="completed", sequence=3, duration_s=61, now=start + timedelta(minutes=1)
        )
        not_voice = open_call(session, call_sid=new_sid("CA"), now=start, channel=Channel.PHONE)
        session.flush()
        ids = [call.id for call in (in_menu, ringing, no_event, recent, finished, not_voice)]

    first = sweep(database_url)
    assert (first.exit_code, first.output) == (0, "3 appels clos sans statut final de Twilio.\n")
    again = sweep(database_url)
    assert again.output == "Aucun appel à clore : tous ont reçu leur statut final de Twilio.\n"

    with sessions() as session:
        calls = [session.get_one(Call, call_id) for call_id in ids]
        assert [(call.ended_at, call.outcome, call.status) for call in calls] == [
            (start + timedelta(seconds=30), Outcome.ABANDONED_IN_MENU, "ringing"),
            (start + timedelta(seconds=40), Outcome.MISSED, "ringing"),
            (start, Outcome.ABANDONED_IN_MENU, "ringing"),
            (None, None, "ringing"),
            (start + timedelta(minutes=1), Outcome.ABANDONED_IN_MENU, "completed"),
            (None, None, "ringing"),
        ]
        assert [kinds(session, call.id) for call in calls] == [
            [EventKind.CALL_STARTED, EventKind.MENU_INPUT, EventKind.STATUS_MISSING],
            [EventKind.CALL_STARTED, EventKind.TRANSFER, EventKind.STATUS_MISSING],
            [EventKind.STATUS_MISSING],
            [],
            [],
            [],
        ]


@pytest.mark.parametrize(
    ("status", "outcome"), [("completed", Outcome.ABANDONED_IN_MENU), ("failed", Outcome.FAILED)]
)
def test_a_final_status_after_the_sweep_is_still_applied(
    app: Flask,
    database_url: str,
    sessions: sessionmaker[Session],
    clock: FakeClock,
    status: str,
    outcome: Outcome,
) -> None:
    """Twilio's final status, when it comes after all, gives the call its status, duration and outcome."""
    helpline(database_url, "line", "open")  # the call is in the menu, whatever the time of the test
    simulator = make_simulator(app)
    call_sid = new_sid("CA")
    clock.now = system_clock() - timedelta(hours=5)
    simulator.post("/ivr/voice", simulator.base_params(call_sid, "ringing", CALLER, simulator.to, "inbound"))
    started = clock()
    assert sweep(database_url).output == "1 appel clos sans statut final de Twilio.\n"

    clock.now = system_clock()
    assert simulator.post_status(call_sid, status, duration_s=42).status == 204
    assert sweep(database_url).output == "Aucun appel à clore : tous ont reçu leur statut final de Twilio.\n"
    with sessions() as session:
        [call] = session.scalars(select(Call).where(Call.call_sid == call_sid))
        assert (call.status, call.duration_s, call.outcome, call.ended_at) == (status, 42, outcome, started)
        assert kinds(session, call.id) == [EventKind.CALL_STARTED, EventKind.STATUS_MISSING, EventKind.STATUS]


def test_sweeps_and_late_statuses_at_the_same_moment_leave_one_consistent_record(
    app: Flask, sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    """Two sweeps racing a late final status: the status is applied, the call closed once at most."""
    simulator = make_simulator(app)
    closed: list[int] = []

    def close() -> None:
        with transaction(sessions) as session:
            closed.append(close_unfinished(session, now=system_clock()))

    sids = [new_sid("CA") for _ in range(12)]
    for call_sid in sids:
        clock.now = system_clock() - timedelta(hours=5)
        simulator.post(
            "/ivr/voice", simulator.base_params(call_sid, "ringing", CALLER, simulator.to, "inbound")
        )
        clock.now = system_clock()
        race(close, close, lambda sid=call_sid: simulator.post_status(sid, "completed", duration_s=42))

    with sessions() as session:
        calls = list(session.scalars(select(Call).where(Call.call_sid.in_(sids))))
        assert {(call.status, call.duration_s) for call in calls} == {("completed", 42)}
        assert all(call.ended_at is not None for call in calls)
        timelines = [tuple(kinds(session, call.id)) for call in calls]
    # Closed by one sweep before its status came, or by none: never twice, never once the status came.
    assert set(timelines) <= {
        (EventKind.CALL_STARTED, EventKind.STATUS),
        (EventKind.CALL_STARTED, EventKind.STATUS_MISSING, EventKind.STATUS),
    }
    assert sum(closed) == sum(EventKind.STATUS_MISSING in timeline for timeline in timelines)
