"""How a caller's number is kept: in full, masked, or as a keyed hash; and numbers kept out of texts."""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import Literal

PrivacyMode = Literal["full", "masked", "hashed"]

# A phone number in a text: nine digits or more, maybe spaced or dotted, maybe after a '+' (or its URL
# form '%2B'), not inside a longer word such as a Twilio SID.
_NUMBER = re.compile(r"(?<![0-9A-Za-z])(\+|%2[Bb])?(\d(?:[ .-]?\d){8,14})(?![0-9A-Za-z])")
_DIGIT = re.compile(r"\d")


def stored_caller(number: str, mode: PrivacyMode, *, secret: str | None = None) -> str:
    """The form of `number` to store under the privacy `mode`; withheld numbers stay 'anonymous'."""
    number = number.strip()
    if not re.fullmatch(r"\+\d{6,15}", number):
        return "anonymous" if number else ""
    if mode == "full":
        return number
    if mode == "masked":
        return mask(number)
    if not secret:
        raise ValueError("hashed caller numbers need HELPLINE_CALLER_HASH_SECRET")
    digest = hmac.new(secret.encode(), number.encode(), hashlib.sha256).hexdigest()
    return f"hmac:{digest[:24]}"


def mask(number: str) -> str:
    """Keep the country code's first digits and the last two: '+33639980001' -> '+336******01'."""
    return number[:4] + "*" * (len(number) - 6) + number[-2:]


def mask_numbers(text: str) -> str:
    """`text` (a log line, a URL, an error) with each phone number in it masked as `mask` does."""

    def hide(found: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", found[2])
        return (found[1] or "") + digits[:3] + "*" * (len(digits) - 5) + digits[-2:]

    return _NUMBER.sub(hide, text)


def mask_spoken(text: str) -> str:
    """What a caller said, as it is stored: every digit hidden ('06 12 34 56 78' -> '•• •• •• •• ••')."""
    return _DIGIT.sub("•", text)
