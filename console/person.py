"""Who exercises their rights: the phone number they called from or left, or the e-mail address they gave.

`helpline privacy find|erase` and the administrators' rights pages read the person the same way and find
the same calls (`call_log.rights.calls_of`): by number, every stored form of it and its keyed hash; by
e-mail address, the web requests that gave it.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import TypeAdapter, ValidationError
from sqlalchemy.orm import Session

from call_log.models import Call
from call_log.privacy import stored_caller
from call_log.rights import calls_of
from console.context import phone
from console.forms import e164
from foundation.config import EmailAddress
from foundation.settings import Settings
from ivr.line import caller_key

_EMAIL = TypeAdapter(EmailAddress)


class NotAPersonError(ValueError):
    """What was typed is neither a phone number nor an e-mail address (the message says so, in French)."""


@dataclass(frozen=True)
class Person:
    """A phone number in E.164 form, or an e-mail address (lower case)."""

    number: str | None = None
    email: str | None = None

    @property
    def key(self) -> str:
        """What identifies the person in a form field: the number, or the address."""
        return self.number or self.email or ""

    @property
    def shown(self) -> str:
        """'le numéro 02 61 91 00 01' or "l'adresse camille@example.org"."""
        return f"le numéro {phone(self.number)}" if self.number else f"l'adresse {self.email}"

    @property
    def tied_to(self) -> str:
        """'au numéro 02 61 91 00 01' or "à l'adresse camille@example.org" (what is tied to the person)."""
        return f"au numéro {phone(self.number)}" if self.number else f"à l'adresse {self.email}"

    @property
    def this(self) -> str:
        """'ce numéro' or 'cette adresse'."""
        return "ce numéro" if self.number else "cette adresse"

    def is_same(self, typed: str) -> bool:
        """Whether `typed` names this person again (to confirm an erasure)."""
        try:
            return read_person(typed) == self
        except NotAPersonError:
            return False

    def calls(self, session: Session, settings: Settings) -> list[Call]:
        """The calls tied to the person (see `call_log.rights.calls_of`)."""
        if self.email:
            return calls_of(session, None, caller_key=None, stored=(), email=self.email)
        assert self.number is not None
        stored = [self.number]
        if settings.caller_hash_secret:
            stored.append(stored_caller(self.number, "hashed", secret=settings.caller_hash_secret))
        key = caller_key(self.number, secret=settings.caller_key_secret)
        return calls_of(session, self.number, caller_key=key, stored=stored)


def read_person(typed: str) -> Person:
    """The person `typed` names; NotAPersonError with what is wrong."""
    typed = typed.strip()
    if not typed:
        raise NotAPersonError("Indiquez le numéro de téléphone ou l'adresse de courriel de la personne.")
    if "@" in typed:
        try:
            _EMAIL.validate_python(typed)
        except ValidationError:
            raise NotAPersonError(
                f"« {typed} » n'est pas une adresse de courriel comme prenom.nom@exemple.fr."
            ) from None
        return Person(email=typed.lower())
    number = e164(typed)
    if number is None:
        raise NotAPersonError(
            f"« {typed} » n'est pas un numéro de téléphone comme 02 61 91 00 01 ou +33261910001, "
            "ni une adresse de courriel."
        )
    return Person(number=number)
