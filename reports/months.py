"""Months as 'YYYY-MM' strings: parsing, arithmetic, and which month a moment falls in."""

from __future__ import annotations

import re
from datetime import datetime, tzinfo

MONTH_NAMES = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)  # fmt: skip


def parse_month(month: str) -> tuple[int, int]:
    """(year, month number) of 'YYYY-MM'; ValueError with an example otherwise."""
    match = re.fullmatch(r"(\d{4})-(\d{2})", month)
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise ValueError(f"{month!r} is not a month like 2026-03")
    return int(match.group(1)), int(match.group(2))


def shift_month(month: str, by: int) -> str:
    """The month `by` months after `month` (before it when negative)."""
    year, number = parse_month(month)
    index = year * 12 + number - 1 + by
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def month_of(moment: datetime, tz: tzinfo) -> str:
    """The month of the timezone `tz` that an aware `moment` falls in."""
    return moment.astimezone(tz).strftime("%Y-%m")


def months_between(first: str, last: str) -> list[str]:
    """Every month from `first` to `last`, both included (empty if `last` is before `first`)."""
    months: list[str] = []
    month = first
    while month <= last:
        months.append(month)
        month = shift_month(month, 1)
    return months


def month_title(month: str) -> str:
    """The month in French words: '2026-10' -> 'octobre 2026'."""
    year, number = parse_month(month)
    return f"{MONTH_NAMES[number - 1]} {year}"
