"""HELPLINE_LOG_FORMAT=json: one JSON line per request (under `helpline serve`: tests/test_metrics.py)."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import replace

import pytest
from flask import Flask

from foundation.settings import Settings, SettingsError
from helpline.logs import REQUEST_LOGGER, JsonFormatter
from ivr.simulator.call import CallSimulator
from ivr.simulator.callers import HangUp, Keys, ScriptedCaller
from ivr.simulator.transports import FlaskClientTransport
from tests.conftest import AUTH_TOKEN, PUBLIC_URL

CALLER = "+33639980042"
# Every way the caller's number could show: E.164, national, digits alone.
CALLER_FORMS = (CALLER, "0639980042", "639980042", "%2B33639980042")


@pytest.fixture
def request_lines() -> Iterator[io.StringIO]:
    """What the request logger writes, formatted as the server's JSON handler formats it."""
    written = io.StringIO()
    handler = logging.StreamHandler(written)
    handler.setFormatter(JsonFormatter())
    log = logging.getLogger(REQUEST_LOGGER)
    log.addHandler(handler)
    level, log.level = log.level, logging.INFO
    yield written
    log.removeHandler(handler)
    log.setLevel(level)


def json_app(build_app: Callable[..., Flask], settings: Settings, log_format: str) -> Flask:
    """The app as a server process builds it with HELPLINE_LOG_FORMAT set to `log_format`."""
    return build_app(replace(settings, log_format=log_format))


def test_a_signed_webhook_is_one_json_line(
    build_app: Callable[..., Flask], settings: Settings, request_lines: io.StringIO
) -> None:
    """Each webhook of a simulated call is a JSON line: path without query, status, CallSid, no number."""
    app = json_app(build_app, settings, "json")
    simulator = CallSimulator(
        FlaskClientTransport(app.test_client()), base_url=PUBLIC_URL, auth_token=AUTH_TOKEN, from_=CALLER
    )
    call = simulator.place_call(ScriptedCaller([Keys("1"), HangUp()]))

    text = request_lines.getvalue()
    lines = [json.loads(line) for line in text.splitlines()]
    assert [(line["method"], line["path"], line["status"], line["endpoint"]) for line in lines] == [
        ("POST", "/ivr/voice", 200, "ivr.voice"),
        ("POST", "/ivr/menu", 200, "ivr.menu"),
        ("POST", "/ivr/status", 204, "ivr.status"),
    ]
    first = lines[0]
    assert set(first) == {
        "time",
        "level",
        "logger",
        "message",
        "method",
        "path",
        "status",
        "duration_ms",
        "endpoint",
        "call_sid",
    }
    assert first["call_sid"] == call.call_sid
    assert (first["level"], first["logger"], first["message"]) == (
        "INFO",
        REQUEST_LOGGER,
        "POST /ivr/voice 200",
    )
    assert first["time"].endswith("+00:00")
    assert 0 < first["duration_ms"] < 15000
    assert "?" not in text  # the menu's state travels in the query string
    assert not [form for form in CALLER_FORMS if form in text]


def test_the_text_format_logs_no_request_line_of_its_own(
    build_app: Callable[..., Flask], settings: Settings, request_lines: io.StringIO
) -> None:
    """By default gunicorn's access log says each request, as before: the app adds nothing."""
    app = json_app(build_app, settings, "text")
    CallSimulator(
        FlaskClientTransport(app.test_client()), base_url=PUBLIC_URL, auth_token=AUTH_TOKEN
    ).place_call(ScriptedCaller([HangUp()]))
    assert request_lines.getvalue() == ""


def test_an_unknown_log_format_is_refused_in_french() -> None:
    """HELPLINE_LOG_FORMAT other than text or json stops the command with what to set."""
    assert Settings.from_env({"HELPLINE_LOG_FORMAT": "JSON"}).log_format == "json"
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({"HELPLINE_LOG_FORMAT": "xml"})
    assert (
        str(refused.value) == "HELPLINE_LOG_FORMAT doit valoir « text » ou « json » (valeur reçue : « xml »)"
    )
