"""Screening through the simulator: connected means bridged."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from flask import Flask

from call_log.codes import EventKind
from call_log.models import Call
from call_log.recording import find_call
from ivr.simulator.call import CallSimulator, SimulatedCall
from ivr.simulator.callers import (
    HANGS_UP_IN_WHISPER,
    VOICEMAIL_PICKS_UP,
    DialOutcome,
    Keys,
    RecordOutcome,
    ScriptedCaller,
    Speech,
)
from ivr.simulator.transports import FlaskClientTransport
from tests.conftest import AUTH_TOKEN, PUBLIC_URL

ANSWER = DialOutcome("completed", duration_s=60)
# Home help in Ciron (36300): two associations offer it, first Brenne Aide à Domicile.
HOME_HELP_IN_CIRON = [Keys("1"), Keys("36300"), Speech("Ciron"), Keys("1")]
FIRST, SECOND = "+33261912001", "+33261912004"
OPERATORS = ["+33261911001", "+33261911002"]
REFUSALS = pytest.mark.parametrize(
    "refused", [VOICEMAIL_PICKS_UP, HANGS_UP_IN_WHISPER], ids=["voicemail", "hangup"]
)


@dataclass
class Line:
    """Places calls on the test app and reads their records back."""

    app: Flask

    def place(self, caller: ScriptedCaller) -> tuple[SimulatedCall, Call]:
        """Place a call and read its record, with events and transfers."""
        transport = FlaskClientTransport(self.app.test_client())
        simulator = CallSimulator(transport, base_url=PUBLIC_URL, auth_token=AUTH_TOKEN, to="+33261911000")
        result = simulator.place_call(caller)
        with self.app.extensions["helpline"].sessions() as session:
            record = find_call(session, result.call_sid)
            assert record is not None
            _ = record.events, record.transfers, record.referrals, record.association
        return result, record


@pytest.fixture
def line(app: Flask) -> Line:
    """The helpline app, to place calls on."""
    return Line(app)


def _results(record: Call) -> list[tuple[int, str, str | None]]:
    return [(t.attempt, t.target, t.result) for t in sorted(record.transfers, key=lambda t: t.attempt)]


def test_accepted_at_the_whisper_is_connected(line: Line) -> None:
    """The association presses 1: bridged, logged as taken, referred; the caller heard the ring meanwhile."""
    result, record = line.place(ScriptedCaller(HOME_HELP_IN_CIRON, dials=[ANSWER]))
    assert [d.numbers for d in result.dialled] == [[FIRST]]
    assert [d.answer_on_bridge for d in result.dialled] == [True]
    assert _results(record) == [(1, "association", "completed")]
    assert record.outcome == "connected_association"
    assert [r.association_id for r in record.referrals] == [record.association_id]
    assert EventKind.TRANSFER_ACCEPTED in [event.kind for event in record.events]


@REFUSALS
def test_not_taken_at_the_whisper_goes_to_the_next_association(line: Line, refused: DialOutcome) -> None:
    """Voicemail or hang-up during the whisper: completed but not bridged, so the next association rings."""
    result, record = line.place(ScriptedCaller(HOME_HELP_IN_CIRON, dials=[refused, ANSWER]))
    assert [d.numbers for d in result.dialled] == [[FIRST], [SECOND]]
    assert _results(record) == [(1, "association", "not_accepted"), (2, "association", "completed")]
    assert record.association is not None
    assert (record.association.name, record.outcome) == (
        "Repas et Courses en Brenne",
        "connected_association",
    )
    assert len(record.referrals) == 1
    assert "Cette association ne répond pas. J'essaie Repas et Courses en Brenne." in result.heard


@REFUSALS
def test_nobody_takes_the_call_then_the_voicemail(line: Line, refused: DialOutcome) -> None:
    """Both associations and the operators answer without taking the call: the caller leaves a message."""
    caller = ScriptedCaller(
        [*HOME_HELP_IN_CIRON, Keys("1")], dials=[refused] * 3, records=[RecordOutcome(20)]
    )
    result, record = line.place(caller)
    assert [d.numbers for d in result.dialled] == [[FIRST], [SECOND], OPERATORS]
    assert [d.answer_on_bridge for d in result.dialled] == [True, True, True]
    assert _results(record) == [
        (1, "association", "not_accepted"),
        (2, "association", "not_accepted"),
        (3, "operators", "not_accepted"),
    ]
    assert "Nos conseillers sont tous occupés." in result.heard
    assert (record.outcome, record.referrals) == ("voicemail", [])
    assert result.heard[-1] == "Merci, votre message est enregistré. Nous vous rappellerons. Au revoir."
