"""Calendar periods of the helpline's timezone, as UTC bounds."""

from __future__ import annotations

import re
from datetime import UTC, datetime, tzinfo


def month_bounds(month: str, tz: tzinfo) -> tuple[datetime, datetime]:
    """The UTC [start, end) of a 'YYYY-MM' month in the timezone `tz`."""
    match = re.fullmatch(r"(\d{4})-(\d{2})", month)
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise ValueError(f"{month!r} is not a month like 2026-03")
    year, number = int(match.group(1)), int(match.group(2))
    start = datetime(year, number, 1, tzinfo=tz)
    end = datetime(year + (number == 12), number % 12 + 1, 1, tzinfo=tz)
    return start.astimezone(UTC), end.astimezone(UTC)
