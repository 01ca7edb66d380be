"""How a caller's number is kept: in full, masked, or as a keyed hash."""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import Literal

PrivacyMode = Literal["full", "masked", "hashed"]


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
