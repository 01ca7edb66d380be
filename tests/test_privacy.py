"""The caller's number stays server-side: out of every URL the app writes, every log line, every event."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from call_log.models import Call
from call_log.privacy import mask_numbers, mask_spoken
from call_log.recording import find_call
from foundation.config import Config, Privacy
from foundation.settings import Settings
from helpline.app import create_app
from helpline.db import make_engine
from helpline.replay import replay_journal
from ivr.simulator.call import CallSimulator, SimulatedCall
from ivr.simulator.callers import DialOutcome, Keys, RecordOutcome, ScriptedCaller, Silence, Speech
from ivr.simulator.transports import FlaskClientTransport
from tests.conftest import AUTH_TOKEN, PUBLIC_URL, FakeClock

CALLER = "+33639980001"
TYPED = "+33639980002"
# A full number: E.164 (or its URL form), or nine digits or more in a row outside a Twilio SID.
FULL_NUMBER = re.compile(r"(?:\+|%2B)\d{8,}|(?<![0-9A-Za-z])\d{9,}(?![0-9A-Za-z])", re.IGNORECASE)
NO_ANSWER = DialOutcome("no-answer")
ANSWER = DialOutcome("completed", duration_s=60)


@pytest.fixture
def full_numbers_app(
    engine: Engine, settings: Settings, example_config: Config, clock: FakeClock
) -> Iterator[Flask]:
    """The app with privacy.caller_number: full, where the call row keeps the caller's whole number."""
    config = example_config.model_copy(update={"privacy": Privacy(caller_number="full")})
    app = create_app(settings, config=config, clock=clock)
    yield app
    app.extensions["helpline"].engine.dispose()


@pytest.fixture
def simulator(full_numbers_app: Flask) -> CallSimulator:
    """Twilio's side of calls from CALLER, with signed requests."""
    transport = FlaskClientTransport(full_numbers_app.test_client())
    return CallSimulator(transport, base_url=PUBLIC_URL, auth_token=AUTH_TOKEN, from_=CALLER)


def _record(app: Flask, result: SimulatedCall) -> Call:
    sessions: sessionmaker[Session] = app.extensions["helpline"].sessions
    with sessions() as session:
        record = find_call(session, result.call_sid)
        assert record is not None
        _ = record.events, record.callbacks
    return record


def _full_numbers_in(texts: list[str]) -> list[str]:
    return [text for text in texts if FULL_NUMBER.search(text)]


def _payloads(record: Call) -> list[str]:
    return [json.dumps(event.payload, ensure_ascii=False) for event in record.events]


def test_typed_callback_number_stays_server_side(
    simulator: CallSimulator, full_numbers_app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    """A typed callback number reaches the operators' queue, yet no URL, log line or event holds it."""
    caplog.set_level(logging.DEBUG)
    caller = ScriptedCaller([Keys("0"), Keys("0639980002#")], dials=[NO_ANSWER], records=[RecordOutcome(15)])
    result = simulator.place_call(caller)
    record = _record(full_numbers_app, result)

    assert [c.callback_number for c in record.callbacks] == [TYPED]
    assert record.caller == CALLER
    assert [url.split("?")[0] for url, _, _ in result.requests][-3:] == [
        f"{PUBLIC_URL}/ivr/voicemail",
        f"{PUBLIC_URL}/ivr/recording-status",
        f"{PUBLIC_URL}/ivr/status",
    ]
    assert _full_numbers_in([url for url, _, _ in result.requests]) == []
    assert _full_numbers_in([r.getMessage() for r in caplog.records]) == []
    assert _full_numbers_in(_payloads(record)) == []
    assert record.events[0].payload == {"caller": "+336******01", "to": "+332******00", "line": "open"}


def test_callback_to_the_calling_number_without_it_in_urls(
    simulator: CallSimulator, full_numbers_app: Flask
) -> None:
    """Silence at the number question: the callback goes to the number the call came from, off the URLs."""
    caller = ScriptedCaller([Keys("0"), Silence()], dials=[NO_ANSWER], records=[RecordOutcome(15)])
    result = simulator.place_call(caller)
    record = _record(full_numbers_app, result)

    assert [c.callback_number for c in record.callbacks] == [CALLER]
    assert f"{PUBLIC_URL}/ivr/record" in [url.split("?")[0] for url, _, _ in result.requests]
    assert _full_numbers_in([url for url, _, _ in result.requests]) == []


def test_spoken_number_is_masked_in_the_log(simulator: CallSimulator, full_numbers_app: Flask) -> None:
    """A number said at the menu is stored with its digits hidden."""
    result = simulator.place_call(ScriptedCaller([Speech("rappelez-moi au 06 39 98 00 02")]))
    record = _record(full_numbers_app, result)

    speech = [event.payload["speech"] for event in record.events if event.kind == "menu_input"]
    assert speech == ["rappelez-moi au •• •• •• •• ••"]
    assert _full_numbers_in(_payloads(record)) == []


def test_refused_signature_logs_a_masked_url(
    simulator: CallSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    """A forged request to a URL holding a number is refused, and the log line shows the number masked."""
    caplog.set_level(logging.WARNING)
    response = simulator.post(
        "/ivr/record?closed=&cb=%2B33639980001", {"CallSid": "CA" + "7" * 32}, forge_signature=True
    )

    assert response.status == 403
    assert [r.getMessage() for r in caplog.records] == [
        f"Refused POST {PUBLIC_URL}/ivr/record?closed=&cb=%2B336******01 from 127.0.0.1: "
        "invalid X-Twilio-Signature"
    ]


def test_twilio_error_payload_masks_numbers(simulator: CallSimulator, full_numbers_app: Flask) -> None:
    """Twilio's ErrorUrl is kept in the twilio_error event (through the journal) with any number masked."""
    sid = "CA" + "8" * 32
    error_url = f"{PUBLIC_URL}/ivr/voicemail?cb=%2B33639980001&closed="
    simulator.post("/ivr/voice", simulator.base_params(sid, "ringing", CALLER, simulator.to, "inbound"))
    simulator.post("/ivr/fallback", {"CallSid": sid, "ErrorCode": "11200", "ErrorUrl": error_url})
    journaled = [entry.data["payload"] for entry in full_numbers_app.extensions["helpline"].journal.entries()]
    assert journaled == [{"code": "11200", "url": f"{PUBLIC_URL}/ivr/voicemail?cb=%2B336******01&closed="}]
    replay_journal(full_numbers_app.extensions["helpline"])
    sessions: sessionmaker[Session] = full_numbers_app.extensions["helpline"].sessions
    with sessions() as session:
        record = find_call(session, sid)
        assert record is not None
        errors = [event.payload for event in record.events if event.kind == "twilio_error"]
    assert errors == [{"code": "11200", "url": f"{PUBLIC_URL}/ivr/voicemail?cb=%2B336******01&closed="}]


class FailingSms:
    """A text sender that fails as Twilio's API does for a number it refuses, naming the number."""

    def send(self, *, to: str, body: str) -> str:
        """Refuse, with the number in the error."""
        raise RuntimeError(f"The 'To' number {to} is not a valid phone number.")


def test_failed_text_is_logged_with_the_number_masked(
    simulator: CallSimulator, full_numbers_app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    """A text that fails: its log line (traceback included) and its sms_failed event mask the number."""
    caplog.set_level(logging.DEBUG)
    full_numbers_app.extensions["ivr.sms"] = FailingSms()
    caller = ScriptedCaller([Keys("1"), Keys("36300"), Speech("Ciron"), Keys("2")], dials=[ANSWER])
    record = _record(full_numbers_app, simulator.place_call(caller))

    failures = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Could not text")]
    assert len(failures) == 1
    assert "RuntimeError: The 'To' number +336******01 is not a valid phone number." in failures[0]
    assert _full_numbers_in([r.getMessage() for r in caplog.records]) == []
    assert [e.payload for e in record.events if e.kind == "sms_failed"] == [
        {"error": "RuntimeError(\"The 'To' number +336******01 is not a valid phone number.\")"}
    ]


def test_database_errors_hide_the_values(tmp_path: Path) -> None:
    """The engine keeps statement values (callers' numbers among them) out of its error messages."""
    engine = make_engine(f"sqlite:///{tmp_path / 'x.sqlite3'}", create=True)
    assert engine.hide_parameters is True
    engine.dispose()


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("cb=%2B33639980001&x=1", "cb=%2B336******01&x=1"),
        ("From +33 6 39 98 00 01.", "From +336******01."),
        ("0639980001", "063*****01"),
        ("RE0123456789abcdef0123456789abcd", "RE0123456789abcdef0123456789abcd"),
        ("postal code 36300", "postal code 36300"),
    ],
)
def test_mask_numbers(text: str, masked: str) -> None:
    """Phone numbers in a text are masked; Twilio SIDs and postal codes are left alone."""
    assert mask_numbers(text) == masked


def test_mask_spoken() -> None:
    """Every digit of what a caller said is hidden, the words kept."""
    assert mask_spoken("06 12 34 56 78 à Mézières") == "•• •• •• •• •• à Mézières"


def test_caller_key_is_not_computable_from_the_database(
    full_numbers_app: Flask, simulator: CallSimulator, engine: Engine
) -> None:
    """No value kept in the database (a salt, a setting) keys the caller's hash: only the secret does."""
    import hashlib
    import hmac

    from sqlalchemy import MetaData, select

    from ivr.line import caller_key
    from tests.conftest import CALLER_HASH_SECRET

    record = _record(full_numbers_app, simulator.place_call(ScriptedCaller([Keys("0")], dials=[ANSWER])))
    assert record.caller_key == caller_key(CALLER, secret=CALLER_HASH_SECRET)
    metadata = MetaData()
    metadata.reflect(engine)
    stored: set[str] = set()
    with engine.connect() as connection:
        for table in metadata.sorted_tables:
            for row in connection.execute(select(table)):
                stored.update(str(value) for value in row if value is not None)
                stored.update(json.dumps(value) for value in row if isinstance(value, dict | list))
    assert CALLER_HASH_SECRET not in " ".join(stored)
    assert {
        hmac.new(value.encode(), CALLER.encode(), hashlib.sha256).hexdigest()[:32] for value in stored
    }.isdisjoint({record.caller_key})


def test_no_secret_no_caller_key(
    engine: Engine,
    settings: Settings,
    example_config: Config,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Without HELPLINE_CALLER_HASH_SECRET nor HELPLINE_SECRET_KEY: no key is stored; one warning says so."""
    import dataclasses

    caplog.set_level(logging.WARNING)
    bare = dataclasses.replace(settings, caller_hash_secret=None, secret_key=None)
    app = create_app(bare, config=example_config, clock=clock)
    try:
        transport = FlaskClientTransport(app.test_client())
        calls = CallSimulator(transport, base_url=PUBLIC_URL, auth_token=AUTH_TOKEN, from_=CALLER)
        first = _record(app, calls.place_call(ScriptedCaller([Keys("0")], dials=[ANSWER])))
        second = _record(app, calls.place_call(ScriptedCaller([Keys("0")], dials=[ANSWER])))
    finally:
        app.extensions["helpline"].engine.dispose()
    assert (first.caller_key, second.caller_key) == (None, None)
    warnings = [r.getMessage() for r in caplog.records if "caller_key" in r.getMessage()]
    assert len(warnings) == 1
    with_key = dataclasses.replace(bare, secret_key="a-long-random-secret-key")
    assert with_key.caller_key_secret == "a-long-random-secret-key"
