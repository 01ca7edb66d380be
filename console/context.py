"""What the console's views share: the time, calendars, directory names, local dates, numbers, outages."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import phonenumbers
from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from werkzeug.exceptions import InternalServerError

from call_log.working_time import WorkingCalendar
from directory.models import Association, Commune, ServiceCategory
from foundation.gate import DatabaseUnavailableError
from foundation.runtime import runtime
from ivr.staff_settings import Effective, EffectiveCache, head

# How a select names a family of services as a whole, before its sub-categories.
WHOLE_FAMILY = " (toute demande)"


def now() -> datetime:
    """The current time, from the app's clock."""
    return runtime().clock()


def tz() -> ZoneInfo:
    """The helpline's timezone: every time in the console is shown in it."""
    return runtime().config.helpline.tz


def working_days() -> WorkingCalendar:
    """Working days (for partners' contact deadlines)."""
    return WorkingCalendar.working_days(tz())


def effective(session: Session) -> Effective:
    """The settings calls hear now (the staff's newest valid version over config.yaml), through this
    process's cache: one read of the newest version's number."""
    cache: EffectiveCache = current_app.extensions["ivr.settings"]
    return cache.get(head(session), lambda: cache.load(session))


def opening_hours(session: Session) -> WorkingCalendar:
    """The helpline's opening hours as staff set them (for operators' callbacks)."""
    hours = effective(session).config.hours
    week = [[(span.start, span.end) for span in hours.for_weekday(day)] for day in range(7)]
    return WorkingCalendar.opening_hours(tz(), week)


def local_midnight_utc(day: date) -> datetime:
    """The UTC moment a local day starts."""
    return datetime.combine(day, time.min, tz()).astimezone(UTC)


def local_day_bounds(start: date | None, end: date | None) -> tuple[datetime | None, datetime | None]:
    """UTC [start, end) of the local days from `start` to `end` included."""
    return (
        local_midnight_utc(start) if start else None,
        local_midnight_utc(end + timedelta(days=1)) if end else None,
    )


# A number as the log keeps it: in full or masked ('+336******01'); the mask's characters are digits hidden.
_STORED_NUMBER = re.compile(r"\+\d[\d*•]{5,16}")
_HIDDEN = "*•"


def phone(number: str | None) -> str:
    """A number as French people write it: '02 61 91 12 50', '+44 20 7946 0000'; a masked one keeps its mask.

    'anonymous' (a withheld number) and a hash are said in words; anything else is shown as it is.
    """
    if not number:
        return "—"
    if number == "anonymous":
        return "numéro masqué par l'appelant"
    if number.startswith("hmac:"):
        return "numéro non conservé"
    if not _STORED_NUMBER.fullmatch(number):
        return number
    # Format with zeros in place of the hidden digits, then hide those digits again, in the same places.
    hidden = [index for index, char in enumerate(number[1:]) if char in _HIDDEN]
    try:
        parsed = phonenumbers.parse("+" + re.sub(f"[{_HIDDEN}]", "0", number[1:]))
    except phonenumbers.NumberParseException:
        return number
    national = parsed.country_code == 33
    formats = phonenumbers.PhoneNumberFormat
    shown = phonenumbers.format_number(parsed, formats.NATIONAL if national else formats.INTERNATIONAL)
    # Digits of the shown text, mapped back to the digits of the number (national drops '33', adds a '0').
    digits = [index for index, char in enumerate(shown) if char.isdigit()]
    offset = 1 if national else 0
    skip = 2 if national else 0
    chars = list(shown)
    mask_char = next((char for char in number if char in _HIDDEN), "*")
    for place in hidden:
        at = place - skip + offset
        if 0 <= at < len(digits):
            chars[digits[at]] = mask_char
    return "".join(chars)


@dataclass(frozen=True)
class DirectoryNames:
    """The directory's names for codes shown in the console."""

    categories: dict[str, str]
    communes: dict[str, Commune]
    associations: dict[int, str]

    @classmethod
    def load(cls, session: Session) -> DirectoryNames:
        """Read the names (a few hundred rows at most)."""
        categories = {c.code: c.label for c in session.scalars(select(ServiceCategory))}
        communes = {c.insee: c for c in session.scalars(select(Commune).order_by(Commune.name))}
        associations = {a.id: a.name for a in session.scalars(select(Association).order_by(Association.name))}
        return cls(categories, communes, associations)

    def by_field(self) -> dict[str, dict[str, str]]:
        """Names keyed by the call field they explain (see `labels.field_value`)."""
        return {
            "category_code": self.categories,
            "commune_insee": {insee: commune.name for insee, commune in self.communes.items()},
        }

    def commune_label(self, insee: str | None) -> str:
        """'Name (postal code)', as the commune field shows and accepts it."""
        commune = self.communes.get(insee or "")
        return f"{commune.name} ({commune.postal_code})" if commune else ""

    def category_choices(self, session: Session, *, blank: str = "—") -> dict[str, str]:
        """Service categories by code, each parent followed by its sub-categories (the words of each)."""
        options = {"": blank}
        for group in self.category_groups(session, blank=blank).values():
            if isinstance(group, dict):
                options.update({code: words.removesuffix(WHOLE_FAMILY) for code, words in group.items()})
        return options

    def category_groups(self, session: Session, *, blank: str = "—") -> dict[str, str | dict[str, str]]:
        """Service categories for a select: one group per family, the family itself first, then its
        sub-categories by their own words, so that typing a sub-category's first letters selects it."""
        rows = list(session.scalars(select(ServiceCategory).order_by(ServiceCategory.label)))
        groups: dict[str, str | dict[str, str]] = {"": blank}
        for parent in (row for row in rows if row.parent_code is None):
            groups[parent.label] = {
                parent.code: parent.label + WHOLE_FAMILY,
                **{child.code: child.label for child in rows if child.parent_code == parent.code},
            }
        return groups


def is_database_outage(error: InternalServerError) -> bool:
    """Whether an unexpected failure is the database's (refused, gone, or over its time)."""
    return isinstance(error.original_exception, SQLAlchemyError | DatabaseUnavailableError)
