"""Sending an e-mail through the configured SMTP server (the monthly report, alerts, partners' notices)."""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage

from foundation.config import Smtp
from foundation.reasons import DeliveryError, system_error


class MailError(DeliveryError):
    """A message could not be e-mailed; the message says why and what to check, in French."""


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
        raise MailError(
            f"reports.smtp.username vaut {smtp.username!r}, mais HELPLINE_SMTP_PASSWORD n'est pas défini"
        )
    try:
        with smtp_connection(smtp, password=password) as client:
            refused = client.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        raise MailError(f"envoi impossible par {smtp.host}:{smtp.port} : {_smtp_reason(exc)}") from exc
    if refused:
        raise MailError(f"le serveur de courriel refuse ces destinataires : {', '.join(sorted(refused))}")


def _smtp_reason(exc: OSError | smtplib.SMTPException) -> str:
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return "identifiant ou mot de passe refusé (reports.smtp.username, HELPLINE_SMTP_PASSWORD)"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return f"destinataires refusés : {', '.join(sorted(exc.recipients))}"
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return f"expéditeur {exc.sender} refusé (reports.smtp.sender)"
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return "le serveur ne propose pas STARTTLS (reports.smtp.starttls)"
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"le serveur répond {exc.smtp_code}"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return "certificat du serveur refusé (nom du serveur ou autorité inconnue : reports.smtp.host)"
    if isinstance(exc, ssl.SSLError):
        return "échec du chiffrement (vérifiez reports.smtp.ssl et reports.smtp.starttls)"
    if isinstance(exc, smtplib.SMTPException):
        return "le serveur a interrompu l'échange"
    return system_error(exc)
