"""The values of an entry, each checked by one function: phones, text, names, addresses, days, hours, dates.

Each `parse_*` function takes what a file cell, a YAML value or a form field holds and returns the value an
entry keeps, or raises ValueError with a sentence that says what would be valid.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from itertools import pairwise
from typing import Any

from pydantic import TypeAdapter, ValidationError

from directory.codes import ServiceStatus
from directory.entries import HoursEntry
from foundation.config import DAY_NAMES_FR, DAYS, PhoneNumber, TimeRange
from foundation.text import check_no_controls

# The days in French, Monday first (as DAYS).
# Days may also be written in French, in full or abbreviated to three letters (lun ... dim).
_DAY_NAMES = {
    **{day: index for index, day in enumerate(DAYS)},
    **{name: index for index, day in enumerate(DAY_NAMES_FR) for name in (day, day[:3])},
}
# Phone descriptions and closure reasons are list items in a CSV cell, separated by ";" or new lines.
_LIST_SEPARATORS = re.compile(r"[;\n\r]")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_WEBSITE = re.compile(r"https?://[^\s/$.?#][^\s]*")
_PHONE_ADAPTER: TypeAdapter[str] = TypeAdapter(PhoneNumber)


def parse_phone(value: Any) -> str:
    """A phone number in E.164 form; spaces, dots, a national French 0 or a lost '+' are forgiven."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        raise ValueError("un numéro de téléphone est obligatoire, comme +33261910000")
    number = re.sub(r"[\s.\-()]", "", value)
    if number.startswith("00"):
        number = "+" + number[2:]
    elif re.fullmatch(r"0\d{9}", number):
        number = "+33" + number[1:]
    elif re.fullmatch(r"[1-9]\d{7,14}", number):
        # A spreadsheet that took the number for an integer dropped its '+'.
        number = "+" + number
    try:
        return _PHONE_ADAPTER.validate_python(number)
    except ValidationError as exc:
        message = str(exc.errors()[0]["msg"]).removeprefix("Value error, ")
        # Name the number as it was written, not as it was cleaned up.
        raise ValueError(message.replace(f"« {number} »", f"« {value.strip()} »")) from None


def parse_text(value: Any, *, max_length: int | None = None, one_line: bool = False) -> str:
    """Free text, stripped, without control characters; `one_line` forbids new lines and ';' (CSV lists)."""
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError(f"« {value} » n'est pas un texte")
    text = check_no_controls(str(value).strip())
    if max_length is not None and len(text) > max_length:
        raise ValueError(f"fait {len(text)} caractères ; {max_length} au plus")
    if one_line and _LIST_SEPARATORS.search(text):
        raise ValueError(f"« {text} » ne doit contenir ni « ; » ni retour à la ligne")
    return text


def parse_line(value: Any) -> str:
    """A phone's description or a closure's reason: short, on one line, without ';' (CSV list items)."""
    return parse_text(value, max_length=200, one_line=True)


def parse_name(value: Any) -> str:
    """A required name on one line."""
    name = parse_text(value, max_length=200)
    if not name:
        raise ValueError("le nom est obligatoire")
    if "\n" in name:
        raise ValueError(f"« {name} » doit tenir sur une ligne")
    return name


def parse_email(value: Any) -> str:
    """An e-mail address, or nothing."""
    email = parse_text(value, max_length=200)
    if email and not _EMAIL.fullmatch(email):
        raise ValueError(f"« {email} » n'est pas une adresse de courriel comme contact@example.org")
    return email


def parse_website(value: Any) -> str:
    """A web address starting with http:// or https://, or nothing."""
    website = parse_text(value, max_length=300)
    if website and not _WEBSITE.fullmatch(website):
        raise ValueError(f"« {website} » n'est pas une adresse web comme https://example.org")
    return website


def parse_postal_code(value: Any) -> str:
    """A French postal code (5 digits), or nothing."""
    code = parse_text(value)
    if code and not re.fullmatch(r"\d{5}", code):
        raise ValueError(f"« {code} » n'est pas un code postal comme 36300")
    return code


def parse_bool(value: Any) -> bool:
    """yes/no, true/false, oui/non, 1/0."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"yes", "true", "oui", "1", "y", "o"}:
        return True
    if text in {"no", "false", "non", "0", "n"}:
        return False
    raise ValueError(f"« {value} » n'est ni oui ni non")


def parse_priority(value: Any) -> int:
    """A whole number, 0 or more: lower comes first."""
    if isinstance(value, bool):
        raise ValueError(
            f"« {value} » n'est pas une priorité "
            "(un nombre entier, 0 ou plus ; la plus petite passe en premier)"
        )
    try:
        priority = int(str(value).strip())
    except ValueError:
        priority = -1
    if priority < 0:
        raise ValueError(
            f"« {value} » n'est pas une priorité "
            "(un nombre entier, 0 ou plus ; la plus petite passe en premier)"
        )
    return priority


def parse_status(value: Any) -> str:
    """The code of a ServiceStatus."""
    status = str(value).strip() if value is not None else ""
    if status not in tuple(ServiceStatus):
        raise ValueError(f"« {value} » n'est pas un état de service (valides : {', '.join(ServiceStatus)})")
    return status


def parse_weekday(value: Any) -> int:
    """A day name: mon ... sun (or lun ... dim, lundi ... dimanche); Monday is 0."""
    day = _DAY_NAMES.get(str(value).strip().lower())
    if day is None:
        raise ValueError(f"« {value} » n'est pas un jour (valides : {', '.join(DAYS)})")
    return day


def parse_ranges(weekday: int, value: Any) -> list[HoursEntry]:
    """The opening spans of one day, such as ['09:00-12:30', '13:30-17:30']; they must not overlap.

    A day is also read as people write it in French: « 9h-12h 14h-17h30 », « de 9 h à 12 h et de 14 h
    à 17 h », « 9h30 - 12h ; 14h - 17h »; « fermé » is a closed day.
    """
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    hours: list[HoursEntry] = []
    for item in items:
        for span in _spans(str(item)):
            hours.append(HoursEntry(weekday, span.start, span.end))
    hours.sort(key=lambda entry: entry.opens)
    for before, after in pairwise(hours):
        if after.opens < before.closes:
            raise ValueError(
                f"les plages qui commencent à {before.opens:%H:%M} et à {after.opens:%H:%M} le "
                f"{DAY_NAMES_FR[weekday]} se chevauchent"
            )
    return hours


# One time of day as written in French or on a clock: 9, 9h, 9 h 30, 09h30, 9:30, 09.30.
# Minutes may follow a space (« 17 h 30 ») unless they are the next time's hour (« 12h 14h »).
_TIME_OF_DAY = r"(\d{1,2})\s*(?:[h:.](?:\s?(\d{2})(?!\d|\s*[h:.]))?)?"
# One span: « 9h-12h », « de 9 h à 12 h », « 9:00 – 12:30 ».
_SPAN = re.compile(r"(?:de\s+)?" + _TIME_OF_DAY + r"\s*(?:-|–|—|à|a|jusqu'à)\s*" + _TIME_OF_DAY)
# What may sit between two spans of a day: spaces, commas, semicolons, slashes, « et », « puis ».
_BETWEEN_SPANS = re.compile(r"(?:[\s,;/+]|\bet\b|\bpuis\b)*")
_CLOSED_DAY = {"", "fermé", "ferme", "-", "—", "x"}


def _spans(text: str) -> list[TimeRange]:
    """The spans written in `text`, in any of the forms `parse_ranges` reads."""
    text = re.sub(r"\bmidi\b", "12h", text.strip().lower())
    text = re.sub(r"\bminuit\b", "24h", text)
    if text in _CLOSED_DAY:
        return []
    spans: list[TimeRange] = []
    position = 0
    while True:
        position = _BETWEEN_SPANS.match(text, position).end()  # type: ignore[union-attr]
        if position == len(text):
            return spans
        found = _SPAN.match(text, position)
        if found is None:
            raise ValueError(
                f"« {text[position:]} » n'est pas une plage horaire comme 09:00-12:30 ou 9h-12h30"
            )
        h1, m1, h2, m2 = found.groups()
        spans.append(TimeRange.parse(f"{int(h1):02d}:{m1 or '00'}-{int(h2):02d}:{m2 or '00'}"))
        position = found.end()


def parse_date(value: Any) -> date:
    """A date: 2026-12-24 (or 24/12/2026, as spreadsheets write it)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    match = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", text)
    try:
        if match:
            day, month, year = (int(part) for part in match.groups())
            return date(year, month, day)
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"« {value} » n'est pas une date comme 2026-12-24") from None


def format_span(entry: HoursEntry) -> str:
    """'09:00-12:30' (a span ending at midnight ends at '24:00')."""
    closes = "24:00" if entry.closes == time.max else f"{entry.closes:%H:%M}"
    return f"{entry.opens:%H:%M}-{closes}"
