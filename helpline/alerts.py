"""E-mails to the staff when the line is in trouble: Twilio's fallback URL was used, or webhooks keep failing.

Sent to `reports.recipients` through `reports.smtp` (as the journal's backlog alert is, see
`helpline.replay`), on a thread of their own: the webhook that noticed answers its caller at once, and a
mail server that is slow or down changes nothing for the call. Each kind of alert is sent at most once
every ALERT_EVERY_S, across every server process of the machine: a claim file, locked while it is read
and written, keeps when the last one went. Failures are counted across processes in one file too.
"""

from __future__ import annotations

import fcntl
import logging
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime
from email.message import EmailMessage
from email.utils import formatdate
from enum import StrEnum
from pathlib import Path

from flask import Flask, Response, request

from foundation.config import Config
from foundation.mail import MailError, send_message
from foundation.runtime import Runtime
from ivr.webhooks.safety_net import failed_here

logger = logging.getLogger(__name__)

# At most one e-mail of each kind this often.
ALERT_EVERY_S = 30 * 60
# This many failed webhooks within FAILURE_WINDOW_S make an alert.
FAILURES_TO_ALERT = 5
FAILURE_WINDOW_S = 10 * 60
FAILURES_FILE = "failures"


class AlertKind(StrEnum):
    """What an alert is about; each kind has its own claim (and rate)."""

    FALLBACK = "fallback"
    WEBHOOK_FAILURES = "webhook_failures"


def staff_message(config: Config, subject: str, body: str) -> EmailMessage | None:
    """An e-mail to the staff (`reports.recipients`), or None when no recipient or sender is configured."""
    reports = config.reports
    if not reports.recipients or reports.smtp.sender is None:
        return None
    message = EmailMessage()
    message["Subject"] = f"{config.helpline.name} : {subject}"
    message["From"] = str(reports.smtp.sender)
    message["To"] = ", ".join(str(address) for address in reports.recipients)
    message["Date"] = formatdate(localtime=False)
    message.set_content(body)
    return message


def mail_staff(rt: Runtime, message: EmailMessage) -> None:
    """Send `message` through `reports.smtp`; MailError says why it could not be."""
    send_message(message, rt.config.reports.smtp, password=rt.settings.smtp_password)


class Alerts:
    """This app's alerts: noticed by its requests, claimed and sent on a thread of their own."""

    def __init__(self, rt: Runtime, directory: Path) -> None:
        """Keep the claims and the failures' count in `directory` (shared by the server's processes)."""
        self.rt, self.directory = rt, directory
        self._pool: ThreadPoolExecutor | None = None

    @property
    def enabled(self) -> bool:
        """Whether there is anyone to mail (recipients and a sender are configured)."""
        return staff_message(self.rt.config, "", "") is not None

    def fallback_hit(self, error_code: str) -> None:
        """Twilio used the fallback URL: tell the staff (at most once every ALERT_EVERY_S)."""
        self._submit(lambda: self._send(AlertKind.FALLBACK, fallback_body(self.rt, error_code)))

    def webhook_failed(self, endpoint: str) -> None:
        """A webhook failed: count it, and past FAILURES_TO_ALERT within the window tell the staff."""
        self._submit(lambda: self._count_failure(endpoint))

    def wait(self) -> None:
        """Return once every alert noticed so far is sent or given up (for tests and shutdown)."""
        if self._pool is not None:
            self._pool.submit(lambda: None).result()

    def _submit(self, work: Callable[[], None]) -> None:
        if not self.enabled:
            return
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="helpline-alerts")
        self._pool.submit(self._guarded, work)

    @staticmethod
    def _guarded(work: Callable[[], None]) -> None:
        try:
            work()
        except Exception:
            logger.exception("A staff alert could not be handled")

    def _count_failure(self, endpoint: str) -> None:
        now = self.rt.clock().timestamp()
        with self._locked(FAILURES_FILE) as (read, write):
            recent = [at for at in (float(x) for x in read().split()) if now - at < FAILURE_WINDOW_S]
            recent.append(now)
            write("\n".join(f"{at:.3f}" for at in recent))
        if len(recent) >= FAILURES_TO_ALERT:
            self._send(AlertKind.WEBHOOK_FAILURES, failures_body(self.rt, len(recent), endpoint))

    def _send(self, kind: AlertKind, body: tuple[str, str]) -> None:
        """Claim this kind's turn, then send; a failed send gives the turn back for the next alert."""
        message = staff_message(self.rt.config, *body)
        if message is None:
            return
        now = self.rt.clock().timestamp()
        with self._locked(f"alert-{kind.value}") as (read, write):
            last = read().strip()
            if last and now - float(last) < ALERT_EVERY_S:
                return
            try:
                mail_staff(self.rt, message)
            except MailError:
                logger.exception("Could not e-mail the staff the %s alert", kind.value)
                return
            write(f"{now:.3f}")
        logger.warning("Staff e-mailed: %s alert", kind.value)

    @contextmanager
    def _locked(self, name: str) -> Iterator[tuple[Callable[[], str], Callable[[str], None]]]:
        """A file of the directory, locked against the other processes: how to read it and rewrite it."""
        self.directory.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(self.directory / name, os.O_RDWR | os.O_CREAT, 0o600)
        with os.fdopen(descriptor, "r+", encoding="utf-8") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)

            def read() -> str:
                handle.seek(0)
                return handle.read()

            def write(text: str) -> None:
                handle.seek(0)
                handle.truncate()
                handle.write(text)
                handle.flush()

            yield read, write


def fallback_body(rt: Runtime, error_code: str) -> tuple[str, str]:
    """Subject and text of the fallback alert."""
    code = f" (erreur Twilio {error_code})" if error_code else ""
    return (
        "Twilio a dû utiliser l'adresse de secours de la ligne",
        "Bonjour,\n\n"
        f"Le {_now(rt):%d/%m/%Y à %H:%M}, le serveur vocal du {rt.config.helpline.name} n'a pas répondu "
        f"correctement à Twilio{code}. Twilio a alors appelé l'adresse de secours (/ivr/fallback) : "
        "l'appelant a été dirigé vers les opérateurs, mais sans passer par le menu.\n\n"
        "À faire : prévenir la personne qui s'occupe du serveur, pour qu'elle vérifie qu'il répond "
        "(page /health, commande « helpline doctor »), lise son journal et le débogueur de la console "
        "Twilio.\n\n"
        f"{_footer()}",
    )


# The voice webhooks' steps, as staff would name them (by the endpoint that failed).
STEPS = {
    "voice": "l'accueil d'un appel",
    "menu": "le menu",
    "whisper": "l'annonce à l'association",
    "whisper_answer": "la réponse de l'association à l'annonce",
    "dial_result": "la fin d'un transfert",
    "status": "la fin d'un appel",
    "callback_number": "le numéro de rappel",
    "record": "l'enregistrement d'un message",
    "voicemail": "la messagerie",
    "recording_status": "la réception d'un message enregistré",
    "audio": "un message enregistré par l'équipe",
    "fallback": "l'adresse de secours",
}


def failures_body(rt: Runtime, count: int, endpoint: str) -> tuple[str, str]:
    """Subject and text of the repeated failures alert."""
    return (
        "des erreurs se répètent sur le serveur vocal",
        "Bonjour,\n\n"
        f"Le serveur vocal du {rt.config.helpline.name} a échoué {count} fois en moins de "
        f"{FAILURE_WINDOW_S // 60} minutes (dernière fois le {_now(rt):%d/%m/%Y à %H:%M}, pendant "
        f"{STEPS.get(endpoint, 'une étape du menu')}). Les appelants concernés ont été dirigés vers les "
        "opérateurs ou la messagerie, mais le menu ne fonctionne pas normalement.\n\n"
        "À faire : prévenir la personne qui s'occupe du serveur, pour qu'elle lise son journal (chaque "
        "erreur y est détaillée) et vérifie la base de données (page /health, commande « helpline "
        "doctor »).\n\n"
        f"{_footer()}",
    )


def _now(rt: Runtime) -> datetime:
    return rt.clock().astimezone(rt.config.helpline.tz)


def _footer() -> str:
    return (
        f"Ce message est envoyé automatiquement, au plus une fois toutes les {ALERT_EVERY_S // 60} minutes.\n"
    )


def init_alerts(app: Flask, rt: Runtime) -> Alerts:
    """Watch the webhooks' answers for the fallback URL and for failures."""
    alerts = Alerts(rt, rt.settings.metrics_path() / "alerts")
    app.extensions["helpline.alerts"] = alerts

    @app.after_request
    def watch_webhooks(response: Response) -> Response:
        if request.blueprint == "ivr" and request.endpoint:
            if request.endpoint == "ivr.fallback" and response.status_code < 400:
                code = request.form.get("ErrorCode", "")
                alerts.fallback_hit(code if code.isdigit() and len(code) <= 10 else "")
            elif response.status_code >= 500 or failed_here():
                alerts.webhook_failed(request.endpoint.removeprefix("ivr."))
        return response

    return alerts
