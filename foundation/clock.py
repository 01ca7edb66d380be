"""The one place that reads the system clock; everything else is given a clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]
"""A clock returns the current time as an aware UTC datetime."""


def system_clock() -> datetime:
    """The current time, UTC."""
    return datetime.now(UTC)
