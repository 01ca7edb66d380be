"""Odd input from Twilio, the directory and config.yaml: the call still goes where it should."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from call_log.codes import Outcome
from call_log.recording import find_call
from directory.models import Association
from foundation.db import transaction
from foundation.text import without_controls
from ivr.simulator.call import CallSimulator
from ivr.simulator.callers import ScriptedCaller
from ivr.simulator.run import new_sid
from tests.test_calls import ANSWER, journey, make_simulator

RECORDING_URL = "https://api.twilio.com/2010-04-01/Accounts/AC0/Recordings/RE0odd"


@pytest.fixture
def simulator(app: Flask) -> CallSimulator:
    """The simulator for the test app."""
    return make_simulator(app)


@pytest.mark.parametrize("duration", ["²", "٣", "¹²"])
def test_voicemail_with_an_unreadable_duration_is_kept(
    simulator: CallSimulator, sessions: sessionmaker[Session], duration: str
) -> None:
    """A RecordingDuration of digits int() refuses ('²') still leaves the caller's message to call back."""
    call_sid = new_sid("CA")
    simulator.post(
        "/ivr/voice", simulator.base_params(call_sid, "ringing", "+33639980001", simulator.to, "inbound")
    )

    response = simulator.post(
        "/ivr/voicemail",
        {
            "CallSid": call_sid,
            "RecordingDuration": duration,
            "RecordingUrl": RECORDING_URL,
            "RecordingSid": "RE1",
        },
    )

    assert response.status == 200
    assert "Merci, votre message est enregistré." in response.body
    with sessions() as session:
        call = find_call(session, call_sid)
        assert call is not None
        assert call.outcome == Outcome.VOICEMAIL
        assert [(c.recording_url, c.recording_duration_s) for c in call.callbacks] == [(RECORDING_URL, None)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Brenne\vAide à domicile", "Brenne Aide à domicile"),
        ("Brenne \x00\x1f Aide\x7f", "Brenne Aide"),
        ("Aide\tà\ndomicile", "Aide\tà\ndomicile"),
        ("\x0cAide", "Aide"),
    ],
)
def test_without_controls_keeps_the_text_readable(text: str, expected: str) -> None:
    """Controls become one space between words, none at the ends; tab and new line (XML carries them) stay."""
    assert without_controls(text) == expected


def test_association_named_with_a_vertical_tab_is_offered_the_call(
    simulator: CallSimulator, sessions: sessionmaker[Session]
) -> None:
    """A name holding a control character (an old import) is said cleanly: the TwiML parses, the call goes."""
    with transaction(sessions) as session:
        session.execute(
            update(Association)
            .where(Association.name == "Brenne Aide à Domicile")
            .values(name="Brenne\vAide à Domicile")
        )

    call = simulator.place_call(
        ScriptedCaller(journey("1"), dials=[ANSWER])
    )  # the simulator parses each TwiML

    assert call.heard[-1] == "Je vous passe Brenne Aide à Domicile."
    assert [d.numbers for d in call.dialled] == [["+33261912001"]]
    with sessions() as session:
        record = find_call(session, call.call_sid)
        assert record is not None
        assert record.outcome == Outcome.CONNECTED_ASSOCIATION
