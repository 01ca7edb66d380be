"""Sending an e-mail through the configured SMTP server (the monthly report, alerts, partners' notices)."""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage

from foundation.config import Smtp


class MailError(Exception):
    """A message could not be e-mailed; the message says why and what to check."""


@contextmanager
def smtp_connection(smtp: Smtp, *, password: str | None) -> Iterator[smtplib.SMTP]:
    """An open, logged-in connection to the configured server (TLS as configured); closed on exit."""
    context = ssl.create_default_context()
    client: smtplib.SMTP
    if smtp.ssl:
        client = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=smtp.timeout_s, context=context)
    else:
        client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout_s)
    with client:
        if smtp.starttls:
            client.starttls(context=context)
        if smtp.username and password:
            client.login(smtp.username, password)
        yield client


def send_message(message: EmailMessage, smtp: Smtp, *, password: str | None) -> None:
    """Deliver `message` through the configured server; MailError names what failed."""
    if smtp.username and not password:
        raise MailError(f"reports.smtp.username is {smtp.username!r} but HELPLINE_SMTP_PASSWORD is not set")
    try:
        with smtp_connection(smtp, password=password) as client:
            refused = client.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        raise MailError(f"cannot send the message through {smtp.host}:{smtp.port} ({exc})") from exc
    if refused:
        raise MailError(f"the mail server refused these recipients: {', '.join(sorted(refused))}")
