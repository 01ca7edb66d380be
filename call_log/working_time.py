"""Deadlines counted in working time: only the hours of working days count, public holidays excluded.

Two calendars serve the console: whole working days (Monday to Friday, 24 hours each: "an association calls
the person back within 24 working hours", so a Friday referral is due on Monday), and the helpline's
opening hours (operators call voicemails back while the line is open).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo

import holidays

Span = tuple[time, time]
"""A working span within a day; an end of time.max means midnight."""

_WHOLE_DAY: tuple[Span, ...] = ((time.min, time.max),)
# A deadline further than this is a calendar without working time, not a date to wait for.
_MAX_DAYS = 400


@dataclass(frozen=True)
class WorkingCalendar:
    """Which hours of which days are working time, in a timezone."""

    tz: tzinfo
    # The spans of each weekday, Monday first.
    week: tuple[tuple[Span, ...], ...]
    is_holiday: Callable[[date], bool] = field(default=lambda _day: False)

    @classmethod
    def working_days(cls, tz: tzinfo, *, country: str = "FR") -> WorkingCalendar:
        """Monday to Friday, all day, except the country's public holidays."""
        return cls(tz, (_WHOLE_DAY,) * 5 + ((), ()), _public_holidays(country))

    @classmethod
    def opening_hours(
        cls, tz: tzinfo, week: Sequence[Sequence[Span]], *, country: str = "FR"
    ) -> WorkingCalendar:
        """The given spans of each weekday (Monday first), except the country's public holidays."""
        if len(week) != 7:
            raise ValueError("a week has 7 days of spans, Monday first")
        return cls(tz, tuple(tuple(day) for day in week), _public_holidays(country))

    def spans_on(self, day: date) -> list[tuple[datetime, datetime]]:
        """The working spans of a local day, as aware UTC datetimes."""
        if self.is_holiday(day):
            return []
        spans = []
        for start, end in self.week[day.weekday()]:
            begin = datetime.combine(day, start, self.tz)
            finish = (
                datetime.combine(day + timedelta(days=1), time.min, self.tz)
                if end == time.max
                else datetime.combine(day, end, self.tz)
            )
            spans.append((begin.astimezone(UTC), finish.astimezone(UTC)))
        return spans

    def deadline(self, start: datetime, working: timedelta) -> datetime:
        """The moment when `working` time of work has passed since `start`."""
        remaining = working
        day = start.astimezone(self.tz).date()
        for _ in range(_MAX_DAYS):
            for begin, end in self.spans_on(day):
                begin = max(begin, start)
                if end <= begin:
                    continue
                if end - begin >= remaining:
                    return begin + remaining
                remaining -= end - begin
            day += timedelta(days=1)
        raise ValueError(f"this calendar has less than {working} of working time in {_MAX_DAYS} days")

    def latest_start(self, end: datetime, working: timedelta) -> datetime:
        """The latest moment from which `working` time of work has passed by `end` (deadline's inverse).

        Whatever started before it is past its deadline at `end`: one comparison a database can index.
        """
        remaining = working
        day = end.astimezone(self.tz).date()
        for _ in range(_MAX_DAYS):
            for begin, finish in reversed(self.spans_on(day)):
                finish = min(finish, end)
                if finish <= begin:
                    continue
                if finish - begin >= remaining:
                    return finish - remaining
                remaining -= finish - begin
            day -= timedelta(days=1)
        raise ValueError(f"this calendar has less than {working} of working time in {_MAX_DAYS} days")

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        """The working time between `start` and `end` (zero if `end` is not after `start`)."""
        total = timedelta()
        day = start.astimezone(self.tz).date()
        last = end.astimezone(self.tz).date()
        while day <= last:
            for begin, finish in self.spans_on(day):
                overlap = min(finish, end) - max(begin, start)
                if overlap > timedelta():
                    total += overlap
            day += timedelta(days=1)
        return total


def _public_holidays(country: str) -> Callable[[date], bool]:
    calendar = holidays.country_holidays(country)

    def is_holiday(day: date) -> bool:
        return day in calendar

    return is_holiday
