"""A real SMTP server on 127.0.0.1 (aiosmtpd in a thread) that keeps the messages it receives."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from foundation.config import Config, Reports, Smtp

RECIPIENTS = ["observatoire@example.org", "direction@example.org"]
SENDER = "1001 services <rapports@example.org>"


@dataclass
class Received:
    """One message as the server got it: envelope and parsed message."""

    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage


@dataclass
class Mailbox:
    """What the server received; `wait(n)` blocks until n messages are in (or the timeout)."""

    port: int = 0
    messages: list[Received] = field(default_factory=list)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    def wait(self, count: int, timeout: float = 30.0) -> list[Received]:
        """The messages, once at least `count` have arrived."""
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.messages) >= count, timeout=timeout)
        return list(self.messages)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd's name)
        """aiosmtpd's hook: keep the message."""
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        with self.arrived:
            self.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message))
            self.arrived.notify_all()
        return "250 Message accepted for delivery"


class _Controller(Controller):  # type: ignore[misc]
    """aiosmtpd's controller on port 0: learn the port the system chose before checking the server is up."""

    def _trigger_server(self) -> None:
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class SmtpServer:
    """Start and stop the server; its mailbox holds what it received."""

    def __init__(self) -> None:
        self.mailbox = Mailbox()
        self._controller = _Controller(self.mailbox, hostname="127.0.0.1", port=0)

    def __enter__(self) -> Mailbox:
        self._controller.start()
        self.mailbox.port = self._controller.port
        return self.mailbox

    def __exit__(self, *exc: object) -> None:
        self._controller.stop()


def mailing_config(base: Config, *, port: int, output_dir: Path, **reports: Any) -> Config:
    """`base` with a reports section that mails RECIPIENTS through 127.0.0.1:`port`."""
    section = Reports(
        recipients=RECIPIENTS,
        output_dir=str(output_dir),
        smtp=Smtp(host="127.0.0.1", port=port, sender=SENDER, timeout_s=10),
        **reports,
    )
    return base.model_copy(update={"reports": section})
