"""Value types every section of config.yaml shares: days, time ranges, weekly hours, phones, e-mails.

Part of the shared leaf: it imports nothing of ours.
"""

from __future__ import annotations

import re
from datetime import datetime, time
from itertools import pairwise
from typing import Annotated, Any

import phonenumbers
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_serializer

from foundation.text import check_no_controls

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# The same days as users read and hear them.
DAY_NAMES_FR = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")

# ARCEP reserves these blocks for fiction; libphonenumber does not know them as assigned numbers, yet they
# are the only numbers the repository may use as examples.
_FICTIONAL_PREFIXES = ("+3326191", "+3363998")


def _e164(value: str) -> str:
    """Return `value` if it is a valid E.164 phone number, else raise a ValueError saying what is valid."""
    if not isinstance(value, str) or not re.fullmatch(r"\+[1-9]\d{6,14}", value):
        raise ValueError(f"« {value} » n'est pas un numéro au format E.164, comme +33261910000")
    if value.startswith(_FICTIONAL_PREFIXES):
        return value
    try:
        parsed = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(f"« {value} » n'est pas un numéro de téléphone") from exc
    if not phonenumbers.is_valid_number(parsed):
        raise ValueError(f"« {value} » n'est pas un numéro valide dans son pays")
    return value


PhoneNumber = Annotated[str, AfterValidator(_e164)]


class ConfigModel(BaseModel):
    """Base of every config section: unknown keys are mistakes, values are frozen once loaded."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class TimeRange(ConfigModel):
    """One opening span within a day, such as 09:00-12:30."""

    start: time
    end: time

    @classmethod
    def parse(cls, text: str) -> TimeRange:
        """Parse 'HH:MM-HH:MM'."""
        match = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*", str(text))
        if not match:
            raise ValueError(f"« {text} » n'est pas une plage horaire comme 09:00-12:30")
        h1, m1, h2, m2 = (int(part) for part in match.groups())
        if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59 or (h2 == 24 and m2 != 0):
            raise ValueError(
                f"« {text} » n'est pas une plage horaire comme 09:00-12:30 "
                "(heures de 0 à 24, minutes de 0 à 59)"
            )
        end = time.max if h2 == 24 else time(h2, m2)
        if end <= time(h1, m1):
            raise ValueError(f"« {text} » finit avant de commencer")
        return cls(start=time(h1, m1), end=end)

    @model_serializer
    def _text(self) -> str:
        """Written back as config.yaml writes it: '09:00-12:30' ('24:00' for a span that ends at midnight)."""
        end = "24:00" if self.end == time.max else f"{self.end:%H:%M}"
        return f"{self.start:%H:%M}-{end}"

    def contains(self, moment: time) -> bool:
        """Whether the line is open at this time of day within the range."""
        return is_within(self.start, self.end, moment)


def is_within(start: time, end: time, moment: time) -> bool:
    """Whether `moment` falls in the span [start, end); a span ending at midnight (time.max) includes it."""
    return start <= moment < end or (end == time.max and moment >= start)


def _parse_ranges(value: Any) -> list[TimeRange]:
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise ValueError("il faut une liste de plages horaires comme ['09:00-12:30', '13:30-17:30']")
    ranges = sorted((TimeRange.parse(item) for item in value), key=lambda r: r.start)
    for before, after in pairwise(ranges):
        if after.start < before.end:
            raise ValueError(
                f"les plages qui commencent à {before.start:%H:%M} et à {after.start:%H:%M} se chevauchent"
            )
    return ranges


class OpeningHours(ConfigModel):
    """The weekly schedule of the line, in the helpline's timezone (a missing day is closed)."""

    mon: list[TimeRange] = Field(default_factory=list)
    tue: list[TimeRange] = Field(default_factory=list)
    wed: list[TimeRange] = Field(default_factory=list)
    thu: list[TimeRange] = Field(default_factory=list)
    fri: list[TimeRange] = Field(default_factory=list)
    sat: list[TimeRange] = Field(default_factory=list)
    sun: list[TimeRange] = Field(default_factory=list)

    @field_validator(*DAYS, mode="before")
    @classmethod
    def _ranges(cls, value: Any) -> list[TimeRange]:
        return _parse_ranges(value)

    def for_weekday(self, weekday: int) -> list[TimeRange]:
        """The ranges of a weekday, Monday being 0."""
        ranges: list[TimeRange] = getattr(self, DAYS[weekday])
        return ranges

    def is_open_at(self, local: datetime) -> bool:
        """Whether the weekly hours are open at this moment of the helpline's local time."""
        moment = local.time()
        return any(span.contains(moment) for span in self.for_weekday(local.weekday()))


def _email(value: str) -> str:
    """Return `value` if it is an e-mail address (optionally 'Name <address>'), else raise a ValueError."""
    from email.utils import parseaddr

    address = parseaddr(value)[1]
    if not re.fullmatch(r"[^@\s<>,;]+@[^@\s<>,;]+\.[A-Za-z]{2,}", address) or "," in value:
        raise ValueError(f"« {value} » n'est pas une adresse de courriel comme observatoire@example.org")
    return value


EmailAddress = Annotated[str, AfterValidator(_email)]
# A text the line says: no control character, which would make its TwiML malformed (see foundation.text).
SpokenText = Annotated[str, AfterValidator(check_no_controls)]
