"""The e-mail that tells a person their request arrived, sent off the request's thread.

It repeats only what the person chose from lists (the service, the commune), never their free text: an
address typed by someone else receives nothing that this someone wrote. Its failure loses nothing: the
request is recorded before it is sent.
"""

from __future__ import annotations

import logging
import threading
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr

from foundation.config import Smtp
from foundation.mail import MailError, send_message

logger = logging.getLogger(__name__)


def acknowledgement(
    *,
    to: str,
    sender: str,
    helpline_name: str,
    helpline_number: str,
    service: str,
    commune: str,
    association: tuple[str, str] | None,
) -> EmailMessage:
    """The acknowledgement of a request: what was asked, who will answer, and the number to call.

    `association`: the name and number of the association the request was sent to, if it was.
    """
    message = EmailMessage()
    message["Subject"] = f"{helpline_name} : nous avons bien reçu votre demande"
    message["From"] = sender
    message["To"] = to
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=parseaddr(sender)[1].rpartition("@")[2] or None)
    if association is not None:
        name, phone = association
        next_step = (
            f"Nous l'avons transmise à {name}, qui vous recontactera. Vous pouvez aussi l'appeler au {phone}."
        )
    else:
        next_step = "Un membre de notre équipe l'étudie et vous recontactera."
    message.set_content(
        "Bonjour,\n\n"
        f"Nous avons bien reçu votre demande : {service}, pour {commune}.\n\n"
        f"{next_step}\n\n"
        f"Pour toute question, appelez le {helpline_name} au {helpline_number}.\n\n"
        "Si vous n'avez pas fait cette demande, ignorez ce message.\n\n"
        "Ce message est envoyé automatiquement ; merci de ne pas y répondre.\n"
    )
    return message


def send_in_background(message: EmailMessage, smtp: Smtp, *, password: str | None) -> threading.Thread:
    """Send `message` from a thread of its own (the page does not wait for the mail server)."""

    def send() -> None:
        try:
            send_message(message, smtp, password=password)
        except MailError:
            # Not the error's text: it may name the person's address.
            logger.warning("The acknowledgement of a web request was not sent (see the mail server's log)")

    thread = threading.Thread(target=send, name="web-acknowledgement", daemon=True)
    thread.start()
    return thread
