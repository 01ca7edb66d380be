"""Texting a caller the association they were put through to (optional, off by default)."""

from __future__ import annotations

from typing import Protocol

import phonenumbers
from twilio.base.exceptions import TwilioException, TwilioRestException, TwilioServiceException
from twilio.http import HttpClient
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from foundation.reasons import DeliveryError

SMS_TIMEOUT_S = 5.0

# What Twilio's error codes (twilio.com/docs/api/errors) mean, for staff reading a message's history.
TWILIO_REASONS: dict[int, str] = {
    20003: "Twilio refuse l'identifiant ou le jeton : vérifiez TWILIO_ACCOUNT_SID et TWILIO_AUTH_TOKEN",
    20429: "Twilio limite les envois en ce moment",
    21211: "numéro invalide : corrigez-le dans l'annuaire",
    21408: "le compte Twilio n'envoie pas de textos vers ce pays",
    21606: "le numéro de la ligne ne peut pas envoyer de textos",
    21608: "compte Twilio d'essai : ce numéro n'y est pas vérifié",
    21610: "ce numéro a refusé les textos de la ligne (STOP)",
    21612: "ce numéro ne peut pas être joint par texto",
    21614: "ce numéro ne reçoit pas de textos (pas un mobile)",
    21635: "ce numéro est un fixe : il ne reçoit pas de textos",
}


class SmsError(DeliveryError):
    """A text that did not go; its message says why, in French (Twilio's own words are in the log)."""


class SmsSender(Protocol):
    """Something that sends a text message and returns its id."""

    def send(self, *, to: str, body: str) -> str:
        """Send `body` to `to` (E.164)."""
        ...


class TwilioSms:
    """Sends texts from the helpline's number with Twilio's REST client."""

    def __init__(
        self, *, account_sid: str, auth_token: str, from_: str, http_client: HttpClient | None = None
    ) -> None:
        """`http_client` is the REST client's transport; tests plug a local stub in."""
        self.from_ = from_
        self.client = Client(
            account_sid, auth_token, http_client=http_client or TwilioHttpClient(timeout=SMS_TIMEOUT_S)
        )

    def send(self, *, to: str, body: str) -> str:
        """Send the text; returns Twilio's message SID. SmsError says why it could not go."""
        try:
            message = self.client.messages.create(to=to, from_=self.from_, body=body)
        except (TwilioRestException, TwilioServiceException) as exc:  # the two forms of Twilio's errors
            known = TWILIO_REASONS.get(exc.code or 0)
            raise SmsError(known or f"Twilio refuse le texto (erreur {exc.code or exc.status})") from exc
        except (OSError, TwilioException) as exc:  # requests' errors are OSErrors
            raise SmsError("Twilio injoignable : le texto n'est pas parti") from exc
        return str(message.sid)


def can_receive_sms(number: str) -> bool:
    """Whether a number is a mobile one (texts to landlines are lost)."""
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return False
    kind = phonenumbers.number_type(parsed)
    mobile = {phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}
    # The fictional +33 6 39 98 block is a mobile block that libphonenumber does not know.
    return kind in mobile or number.startswith("+3363998")


def referral_text(template: str, *, name: str, phone: str) -> str:
    """The text of the message: the association's name and its number as people write it."""
    try:
        parsed = phonenumbers.parse(phone, None)
        written = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
    except phonenumbers.NumberParseException:
        written = phone
    return template.format(name=name, phone=written)
