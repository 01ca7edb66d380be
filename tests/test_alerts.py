"""Staff alerts: an e-mail when Twilio uses the fallback URL or webhooks keep failing, one per kind."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from flask import Flask

from foundation.config import Config
from foundation.settings import Settings
from helpline.alerts import ALERT_EVERY_S, FAILURES_TO_ALERT, STEPS, Alerts
from ivr.simulator.call import CallSimulator
from ivr.simulator.callers import HangUp, Keys, ScriptedCaller
from ivr.simulator.transports import FlaskClientTransport
from tests.conftest import AUTH_TOKEN, PUBLIC_URL, FakeClock
from tests.live_server import free_port
from tests.report_mail import RECIPIENTS, Mailbox, mailing_config

FALLBACK = {
    "CallSid": "CA" + "a" * 32,
    "ErrorCode": "11200",
    "ErrorUrl": "https://helpline.example.org/ivr/voice",
}


def mailing_app(
    build_app: Callable[..., Flask], settings: Settings, config: Config, port: int, tmp_path: Path
) -> Flask:
    """An app whose staff alerts go to the SMTP server on `port` (one server process of several)."""
    mailing = mailing_config(config, port=port, output_dir=tmp_path / "reports")
    return build_app(replace(settings, metrics_dir=tmp_path / "metrics"), mailing)


def post_fallback(app: Flask) -> None:
    """Twilio's request to the fallback URL, signed; the caller goes to the operators."""
    simulator = CallSimulator(
        FlaskClientTransport(app.test_client()), base_url=PUBLIC_URL, auth_token=AUTH_TOKEN
    )
    answered = simulator.post("/ivr/fallback", FALLBACK)
    assert answered.status == 200
    assert "<Dial" in answered.body


def alerts_of(app: Flask) -> Alerts:
    """The app's alerts, to wait until what they noticed is sent."""
    found: Alerts = app.extensions["helpline.alerts"]
    return found


def test_fallback_hits_are_e_mailed_once_per_half_hour_across_processes(
    build_app: Callable[..., Flask],
    settings: Settings,
    example_config: Config,
    clock: FakeClock,
    mailbox: Mailbox,
    tmp_path: Path,
) -> None:
    """Two hits on two server processes within 30 minutes give one e-mail; a hit after that, another."""
    one = mailing_app(build_app, settings, example_config, mailbox.port, tmp_path)
    other = mailing_app(build_app, settings, example_config, mailbox.port, tmp_path)
    post_fallback(one)
    alerts_of(one).wait()
    clock.advance(ALERT_EVERY_S - 1)
    post_fallback(other)
    alerts_of(other).wait()

    [received] = mailbox.messages
    assert received.rcpt_tos == RECIPIENTS
    assert (
        received.message["Subject"] == "1001 services : Twilio a dû utiliser l'adresse de secours de la ligne"
    )
    body = received.message.get_content()
    assert "Le 24/11/2026 à 10:00, le serveur vocal du 1001 services n'a pas répondu correctement à " in body
    assert "Twilio (erreur Twilio 11200). Twilio a alors appelé l'adresse de secours (/ivr/fallback)" in body
    assert "À faire : prévenir la personne qui s'occupe du serveur" in body
    assert "au plus une fois toutes les 30 minutes" in body

    clock.advance(1)
    post_fallback(one)
    alerts_of(one).wait()
    assert len(mailbox.messages) == 2


def test_repeated_webhook_failures_are_e_mailed_once(
    build_app: Callable[..., Flask],
    settings: Settings,
    example_config: Config,
    mailbox: Mailbox,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Failures count across processes: the fifth within 10 minutes mails the staff, the next ones not."""

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("a bug in the menu")

    monkeypatch.setattr("ivr.webhooks.journey.next_step", broken)
    apps = [mailing_app(build_app, settings, example_config, mailbox.port, tmp_path) for _ in range(2)]

    def failing_call(app: Flask) -> None:
        simulator = CallSimulator(
            FlaskClientTransport(app.test_client()), base_url=PUBLIC_URL, auth_token=AUTH_TOKEN
        )
        call = simulator.place_call(ScriptedCaller([Keys("1"), HangUp()]))
        assert "Un conseiller va vous répondre" in call.heard_text
        alerts_of(app).wait()

    for n in range(FAILURES_TO_ALERT - 1):
        failing_call(apps[n % 2])
    assert mailbox.messages == []
    failing_call(apps[1])
    failing_call(apps[0])

    [received] = mailbox.messages
    assert received.message["Subject"] == "1001 services : des erreurs se répètent sur le serveur vocal"
    body = received.message.get_content()
    assert "Le serveur vocal du 1001 services a échoué 5 fois en moins de 10 minutes" in body
    assert "pendant le menu). Les appelants" in body


def test_a_mail_server_that_is_down_changes_nothing_for_the_caller(
    build_app: Callable[..., Flask],
    settings: Settings,
    example_config: Config,
    tmp_path: Path,
    mailbox: Mailbox,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """With SMTP refused, the fallback still answers the operators; the alert is sent at the next hit."""
    down = mailing_app(build_app, settings, example_config, free_port(), tmp_path)
    post_fallback(down)
    alerts_of(down).wait()
    assert "Could not e-mail the staff the fallback alert" in caplog.text
    up = mailing_app(build_app, settings, example_config, mailbox.port, tmp_path)
    post_fallback(up)
    alerts_of(up).wait()
    assert len(mailbox.messages) == 1  # the failed send did not use up the half hour


def test_every_voice_step_has_a_french_name(app: Flask) -> None:
    """An alert names the failing step as staff would, whatever webhook it was."""
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules() if rule.endpoint.startswith("ivr.")}
    assert {endpoint.removeprefix("ivr.") for endpoint in endpoints} - set(STEPS) == set()
