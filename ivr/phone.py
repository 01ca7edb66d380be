"""Phone numbers on the line: where a caller is, a number read aloud, and the numbers we can call back."""

from __future__ import annotations

import phonenumbers
from phonenumbers import geocoder

from foundation.text import is_ascii_digits


def caller_place(number: str, country: str) -> tuple[str, str]:
    """Where the caller is: country code, and for French landlines the area the number belongs to."""
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return country[:2], ""
    region = phonenumbers.region_code_for_number(parsed) or country
    area = geocoder.description_for_number(parsed, "fr") if region == "FR" else ""
    return (region or "")[:2], area[:100]


def say_number(number: str) -> str:
    """A number as it is read aloud: '06 39 98 00 01' for French numbers, international form otherwise."""
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return " ".join(number)
    style = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if parsed.country_code == 33
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return str(phonenumbers.format_number(parsed, style))


def typed_number(digits: str) -> str | None:
    """A number typed on the keypad (French national or international with 00), in E.164, if valid."""
    try:
        parsed = phonenumbers.parse("+" + digits[2:] if digits.startswith("00") else digits, "FR")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(parsed):
        return None
    return str(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164))


def usable_number(number: str) -> str:
    """`number` if it is an E.164 number we can call back, else '' (withheld, garbage)."""
    return number if number.startswith("+") and is_ascii_digits(number[1:]) and len(number) <= 16 else ""
