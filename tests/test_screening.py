"""Screening through the simulator: connected means bridged, and a retried transfer step answers the same."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import pytest
from flask import Flask
from sqlalchemy import update

from call_log.codes import EventKind
from call_log.models import Call
from call_log.recording import find_call
from directory.models import Association
from foundation.db import transaction
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
from ivr.simulator.transports import FlaskClientTransport, WebhookResponse
from tests.conftest import AUTH_TOKEN, PUBLIC_URL

ANSWER = DialOutcome("completed", duration_s=60)
# Home help in Ciron (36300): two associations offer it, first Brenne Aide à Domicile.
HOME_HELP_IN_CIRON = [Keys("1"), Keys("36300"), Speech("Ciron"), Keys("1")]
FIRST, SECOND = "+33261912001", "+33261912004"
OPERATORS = ["+33261911001", "+33261911002"]
ATTEMPT = re.compile(r"attempt=[0-9]")
REFUSALS = pytest.mark.parametrize(
    "refused", [VOICEMAIL_PICKS_UP, HANGS_UP_IN_WHISPER], ids=["voicemail", "hangup"]
)


@dataclass
class RetryingTransport:
    """Delivers each request that answers a <Dial> twice, as Twilio retries a request that timed out."""

    inner: FlaskClientTransport
    retried: list[tuple[str, str, str]] = field(default_factory=list)

    def post(self, url: str, params: Mapping[str, str], headers: Mapping[str, str]) -> WebhookResponse:
        """POST; if the answer rings someone, POST the same request again and keep both answers."""
        first = self.inner.post(url, params, headers)
        if "<Dial" not in first.body:
            return first
        again = self.inner.post(url, params, headers)
        self.retried.append((url, first.body, again.body))
        return again


@dataclass
class Line:
    """Places calls on the test app and reads their records back."""

    app: Flask

    def place(
        self, caller: ScriptedCaller, *, retries: RetryingTransport | None = None
    ) -> tuple[SimulatedCall, Call]:
        """Place a call (through `retries`, if given) and read its record, with events and transfers."""
        transport = retries or FlaskClientTransport(self.app.test_client())
        simulator = CallSimulator(transport, base_url=PUBLIC_URL, auth_token=AUTH_TOKEN, to="+33261911000")
        result = simulator.place_call(caller)
        with self.app.extensions["helpline"].sessions() as session:
            record = find_call(session, result.call_sid)
            assert record is not None
            _ = record.events, record.transfers, record.referrals, record.association
        return result, record

    def retrying(self) -> RetryingTransport:
        """A transport that posts twice every request answering a <Dial>."""
        return RetryingTransport(FlaskClientTransport(self.app.test_client()))


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
    assert "Cette association n'est pas disponible. J'essaie Repas et Courses en Brenne." in result.heard


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


@pytest.mark.parametrize("rotating", [False, True], ids=["ranked", "equals-take-turns"])
def test_a_retried_transfer_step_answers_the_same_attempt(line: Line, rotating: bool) -> None:
    """Twilio posts a transfer step twice: the same TwiML, the same attempt, and its dial result is kept.

    With two equals, the first request gave the next turn to the other one: the retry still rings the first.
    """
    if rotating:
        with transaction(line.app.extensions["helpline"].sessions) as session:
            session.execute(update(Association).values(priority=10))
    retries = line.retrying()
    caller = ScriptedCaller(HOME_HELP_IN_CIRON, dials=[VOICEMAIL_PICKS_UP, ANSWER])
    result, record = line.place(caller, retries=retries)
    assert [(first == again, "attempt=" in first) for _url, first, again in retries.retried] == [
        (True, True)
    ] * 2
    assert [d.numbers for d in result.dialled] == [[FIRST], [SECOND]]
    assert _results(record) == [(1, "association", "not_accepted"), (2, "association", "completed")]
    assert [event.kind for event in record.events].count(EventKind.TRANSFER) == 2
    assert record.outcome == "connected_association"


def test_a_retried_step_to_the_operators_keeps_the_call_number_in_the_whisper(line: Line) -> None:
    """A retried request that rings the operators whispers the call's number, not 'sans numéro'."""
    retries = line.retrying()
    result, record = line.place(ScriptedCaller([Keys("0")], dials=[ANSWER]), retries=retries)
    assert len(retries.retried) == 1
    _url, first, again = retries.retried[0]
    assert first == again
    assert _results(record) == [(1, "operators", "completed")]
    assert record.outcome == "connected_operator"
    assert result.whispers == [
        f"Appel du 1001 services, appel numéro {record.id}. demande à préciser. Tapez 1 pour prendre l'appel."
    ]
