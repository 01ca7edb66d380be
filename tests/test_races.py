"""Requests that race: a status callback before the call's first webhook, two calls for the same request."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from sqlalchemy.orm import Session, sessionmaker

from call_log.codes import EventKind
from call_log.models import Call
from call_log.recording import find_call, in_twilio_order
from directory.routing import Candidate, lock_rotation, record_offer, route
from foundation.db import transaction
from ivr.simulator.call import SimulatedCall
from ivr.simulator.callers import HangUp, ScriptedCaller
from ivr.simulator.run import new_sid
from ivr.webhooks import transfers
from tests.conftest import FakeClock
from tests.directory_support import replace_directory
from tests.test_calls import ANSWER, journey, make_simulator
from tests.test_directory_routing import TWO_EQUALS

CALLER = "+33254370000"  # a landline of Le Blanc: the record gets an area
WHO_CALLED = ("caller", "caller_country", "called", "caller_area", "caller_key", "after_hours")


def who_called(call: Call) -> tuple[object, ...]:
    """What the call's first webhook says about who called, from where, which number."""
    return tuple(getattr(call, name) for name in WHO_CALLED)


def read(sessions: sessionmaker[Session], call_sid: str) -> Call:
    """The call's record with its events."""
    with sessions() as session:
        call = find_call(session, call_sid)
        assert call is not None, f"call {call_sid} was not logged"
        _ = call.events
        return call


def reference(app: Flask, sessions: sessionmaker[Session]) -> tuple[object, ...]:
    """Who called, as an ordinary call from CALLER records it."""
    simulator = make_simulator(app)
    simulator.from_ = CALLER
    call = simulator.place_call(ScriptedCaller([HangUp()]))
    expected = who_called(read(sessions, call.call_sid))
    assert expected[:4] == ("+332******00", "FR", "+33261911000", "Le Blanc")
    return expected


def test_status_callback_before_the_first_webhook(app: Flask, sessions: sessionmaker[Session]) -> None:
    """A status callback that opens the call first still leaves a complete record, its events in order."""
    expected = reference(app, sessions)
    simulator = make_simulator(app)
    simulator.from_ = CALLER
    call_sid = new_sid("CA")

    assert simulator.post_status(call_sid, "ringing").status == 204
    simulator.place_call(ScriptedCaller([HangUp()]), call_sid=call_sid)

    record = read(sessions, call_sid)
    assert who_called(record) == expected
    assert [event.kind for event in record.events] == [
        EventKind.STATUS,
        EventKind.CALL_STARTED,
        EventKind.STATUS,
    ]
    assert [(event.kind, event.payload.get("status")) for event in in_twilio_order(record.events)] == [
        (EventKind.CALL_STARTED, None),
        (EventKind.STATUS, "ringing"),
        (EventKind.STATUS, "completed"),
    ]
    assert record.started_at == min(event.at for event in record.events)


def test_status_callbacks_follow_their_sequence_number(app: Flask, sessions: sessionmaker[Session]) -> None:
    """Status callbacks that arrive out of order are shown in Twilio's order, after the call's start."""
    simulator = make_simulator(app)
    call_sid = new_sid("CA")

    simulator.post_status(call_sid, "completed", sequence_number=2, duration_s=5)
    simulator.post_status(call_sid, "in-progress", sequence_number=1)
    simulator.post("/ivr/voice", simulator.base_params(call_sid, "ringing", CALLER, simulator.to, "inbound"))
    simulator.post_status(call_sid, "ringing", sequence_number=0)

    record = read(sessions, call_sid)
    assert [event.payload.get("sequence") for event in in_twilio_order(record.events)] == [None, 0, 1, 2]
    assert (record.status, record.caller_area) == ("completed", "Le Blanc")


def race(*requests: Callable[[], object]) -> None:
    """Run the requests at the same moment, one thread each, and wait for them all."""
    barrier = threading.Barrier(len(requests))
    errors: list[BaseException] = []

    def run(request: Callable[[], object]) -> None:
        barrier.wait()
        try:
            request()
        except BaseException as error:  # handed to the test below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(request,)) for request in requests]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def test_status_callback_racing_the_first_webhook(app: Flask, sessions: sessionmaker[Session]) -> None:
    """Whichever of the status callback and /ivr/voice is written first, every record ends complete."""
    expected = reference(app, sessions)
    first, second = make_simulator(app), make_simulator(app)
    sids = [new_sid("CA") for _ in range(12)]
    for call_sid in sids:
        voice = second.base_params(call_sid, "ringing", CALLER, second.to, "inbound")
        race(
            lambda sid=call_sid: first.post_status(sid, "ringing"),
            lambda form=voice: second.post("/ivr/voice", form),
        )

    records = [read(sessions, call_sid) for call_sid in sids]
    assert [who_called(record) for record in records] == [expected] * len(sids)
    assert {in_twilio_order(record.events)[0].kind for record in records} == {EventKind.CALL_STARTED}


def test_two_calls_at_once_are_offered_two_equals(sessions: sessionmaker[Session]) -> None:
    """Two calls routed at the same moment for the same request go to two different equal associations."""
    with transaction(sessions) as session:
        replace_directory(session, TWO_EQUALS)
    start = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    offered: list[list[str]] = []

    def offer(at: datetime, names: list[str]) -> None:
        with transaction(sessions) as session:
            lock_rotation(session, category="MAISON")
            [first, *_] = route(
                session, category="MAISON", commune_insee="36018", at=at, tz=ZoneInfo("Europe/Paris")
            )
            record_offer(session, first.association_id, at=at)
        names.append(first.name)

    for round_ in range(8):
        names: list[str] = []
        moments = [start + timedelta(seconds=2 * round_ + n) for n in (0, 1)]
        race(*(lambda at=at, names=names: offer(at, names) for at in moments))
        offered.append(sorted(names))

    assert offered == [["Alpha Ménage", "Bêta Ménage"]] * 8


def test_two_whole_calls_at_once_ring_two_equals(
    app: Flask, sessions: sessionmaker[Session], clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two callers for the same request whose transfers are decided at the same moment ring two equals.

    Both requests are held just after reading the directory, for as long as the other one lets them: a
    rotation that reads in one transaction and records the offer in another rings the same association
    twice.
    """
    with transaction(sessions) as session:
        replace_directory(session, TWO_EQUALS)
    meeting = threading.Barrier(2, timeout=0.5)

    def held_route(*args: Any, **kwargs: Any) -> list[Candidate]:
        found = route(*args, **kwargs)
        # A broken meeting: the other call waits for this one's transaction, the rotation holds.
        with contextlib.suppress(threading.BrokenBarrierError):
            meeting.wait()
        return found

    monkeypatch.setattr(transfers, "route", held_route)
    dialled: list[list[str]] = []
    for _round in range(3):
        clock.advance(60)
        meeting.reset()
        calls: list[SimulatedCall] = []

        def place(calls: list[SimulatedCall] = calls) -> None:
            calls.append(make_simulator(app).place_call(ScriptedCaller(journey("1"), dials=[ANSWER])))

        race(place, place)
        dialled.append(sorted(call.dialled[0].numbers[0] for call in calls))

    assert dialled == [["+33261912101", "+33261912102"]] * 3
