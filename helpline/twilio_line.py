"""The helpline's number on the Twilio account: checking the credentials, and pointing its webhooks here.

Everything goes through the `twilio` library's REST client; its HTTP client is pluggable (`http_client`),
which is how the tests answer in Twilio's place.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http import HttpClient
from twilio.rest import Client

from foundation.settings import Settings

# The routes Twilio calls (DESIGN.md, "Contracts"), each with the parameters of a number that name it.
WEBHOOKS = (
    ("Adresse des appels", "/ivr/voice", "voice_url", "voice_method"),
    ("Adresse de secours", "/ivr/fallback", "voice_fallback_url", "voice_fallback_method"),
    ("Adresse des statuts d'appel", "/ivr/status", "status_callback", "status_callback_method"),
)
# Twilio answers 401 (code 20003) to a wrong SID or token, 404 (code 20404) to an unknown account.
REFUSED = {401, 403, 404}
TIMEOUT_S = 10.0

T = TypeVar("T")


class TwilioLineError(Exception):
    """Twilio could not be asked or refused; the message, in French, says what to do."""


@dataclass(frozen=True)
class Webhook:
    """One webhook of the number: what it is now and what the helpline wants it to be."""

    label: str
    current: str
    wanted: str

    @property
    def changes(self) -> bool:
        """Whether connecting the number changes this webhook."""
        return self.current != self.wanted


def twilio_client(settings: Settings, *, http_client: HttpClient | None = None) -> Client:
    """The REST client of the account in TWILIO_ACCOUNT_SID/TWILIO_AUTH_TOKEN; refuses without them."""
    missing = [
        name
        for name, value in (
            ("TWILIO_ACCOUNT_SID", settings.twilio_account_sid),
            ("TWILIO_AUTH_TOKEN", settings.twilio_auth_token),
        )
        if not value
    ]
    if missing:
        raise TwilioLineError(
            f"{' et '.join(missing)} manquant{'s' if len(missing) > 1 else ''} : recopiez l'identifiant "
            "du compte (AC…) et le jeton d'authentification depuis la page d'accueil de la console Twilio"
        )
    if http_client is None:
        from twilio.http.http_client import TwilioHttpClient

        http_client = TwilioHttpClient(timeout=TIMEOUT_S)
    return Client(settings.twilio_account_sid, settings.twilio_auth_token, http_client=http_client)


def account_name(client: Client) -> str:
    """The account's name, fetched with the credentials: proves Twilio accepts them."""
    account_sid = client.account_sid
    assert account_sid is not None  # twilio_client always sets it
    return _asking(lambda: str(client.api.v2010.accounts(account_sid).fetch().friendly_name or account_sid))


def find_number(client: Client, number: str) -> str | None:
    """The SID (PN…) of `number` among the account's IncomingPhoneNumbers; None if the account lacks it."""
    found = _asking(lambda: client.incoming_phone_numbers.list(phone_number=number, limit=20))
    return next((item.sid for item in found if item.phone_number == number), None)


def planned_webhooks(client: Client, number_sid: str, public_url: str) -> list[Webhook]:
    """The number's three webhooks, as they are and as `public_url` wants them."""
    number = _asking(lambda: client.incoming_phone_numbers(number_sid).fetch())
    return [
        Webhook(label, current=getattr(number, url_field) or "", wanted=public_url + path)
        for label, path, url_field, _method in WEBHOOKS
    ]


def connect_number(client: Client, number_sid: str, public_url: str) -> None:
    """Point the number's voice, fallback and status webhooks at `public_url`, all with POST."""
    values: dict[str, str] = {}
    for _label, path, url_field, method_field in WEBHOOKS:
        values[url_field], values[method_field] = public_url + path, "POST"
    _asking(lambda: client.incoming_phone_numbers(number_sid).update(**values))


def _asking(request: Callable[[], T]) -> T:
    """Run a REST request, turning Twilio's refusals and network failures into a TwilioLineError."""
    try:
        return request()
    except TwilioRestException as exc:
        if exc.status in REFUSED:
            raise TwilioLineError(
                "Twilio refuse l'identifiant ou le jeton : recopiez TWILIO_ACCOUNT_SID et TWILIO_AUTH_TOKEN "
                "depuis la console Twilio (un jeton régénéré remplace l'ancien)"
            ) from exc
        raise TwilioLineError(
            f"Twilio a répondu par une erreur {exc.status} (code {exc.code}) : réessayez dans quelques "
            "minutes, puis voyez status.twilio.com"
        ) from exc
    except (OSError, TwilioException) as exc:
        raise TwilioLineError(
            "Twilio ne répond pas depuis cette machine : vérifiez l'accès à Internet (api.twilio.com, "
            "port 443) et le pare-feu"
        ) from exc
