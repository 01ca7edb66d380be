"""Odd input from Twilio, the directory and config.yaml: the call still goes where it should."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy.orm import Session, sessionmaker

from call_log.codes import Outcome
from call_log.recording import find_call
from ivr.simulator.call import CallSimulator
from ivr.simulator.run import new_sid
from tests.test_calls import make_simulator

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
