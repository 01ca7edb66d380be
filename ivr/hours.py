"""Is the line open? Weekly hours, public holidays, exceptional closures and the staff's manual override.

Pure functions of the config and a moment: nothing here reads the clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache
from typing import Literal

import holidays

from foundation.config import DAY_NAMES_FR, DAYS, Config, OpeningHours, TimeRange

Reason = Literal["open", "night", "weekend", "holiday", "closure", "override"]
MONTH_NAMES_FR = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)  # fmt: skip


@dataclass(frozen=True)
class Override:
    """Staff forcing the line open or closed until a moment (or until they lift it)."""

    mode: Literal["open", "closed"]
    until: datetime | None = None
    message: str = ""

    def active(self, now: datetime) -> bool:
        """Whether the override still applies at `now`."""
        return self.until is None or now < self.until


@dataclass(frozen=True)
class LineStatus:
    """Whether the line is open at a moment and, if not, why and what to tell callers."""

    open: bool
    reason: Reason
    message: str = ""
    reopens_at: datetime | None = None


@cache
def _holidays(country: str, year: int) -> holidays.HolidayBase:
    return holidays.country_holidays(country, years=year)


def coming_holidays(country: str, start: date, *, days: int = 366) -> list[tuple[date, str]]:
    """The public holidays from `start` to `days` later, with their names (in French for FR)."""
    end = start + timedelta(days=days)
    years = list(range(start.year, end.year + 1))
    calendar = holidays.country_holidays(country, years=years)
    if "fr" in calendar.supported_languages:
        calendar = holidays.country_holidays(country, years=years, language="fr")
    return sorted((day, str(name)) for day, name in calendar.items() if start <= day < end)


def is_holiday(config: Config, day: date) -> bool:
    """Whether `day` is a public holiday on which the line is closed."""
    return config.calendar.closed_on_holidays and day in _holidays(config.calendar.holidays_country, day.year)


def _closed_reason(config: Config, local: datetime) -> tuple[Reason, str] | None:
    """Why the line is closed at this local moment, or None when its hours say it is open."""
    day = local.date()
    for closure in config.calendar.closures:
        if closure.start <= day <= closure.end:
            return "closure", closure.message
    if is_holiday(config, day):
        return "holiday", ""
    if config.hours.is_open_at(local):
        return None
    if not config.hours.for_weekday(local.weekday()) and local.weekday() >= 5:
        return "weekend", ""
    return "night", ""


def line_status(config: Config, now: datetime, *, override: Override | None = None) -> LineStatus:
    """The line's status at `now` (aware), in the helpline's timezone."""
    local = now.astimezone(config.helpline.tz)
    if override is not None and override.active(now):
        if override.mode == "open":
            return LineStatus(open=True, reason="open")
        return LineStatus(open=False, reason="override", message=override.message, reopens_at=override.until)
    closed = _closed_reason(config, local)
    if closed is None:
        return LineStatus(open=True, reason="open")
    reason, message = closed
    return LineStatus(open=False, reason=reason, message=message, reopens_at=next_opening(config, now))


def next_opening(config: Config, now: datetime, *, horizon_days: int = 60) -> datetime | None:
    """The next moment the line opens by its hours, holidays and closures (None within the horizon)."""
    tz = config.helpline.tz
    local = now.astimezone(tz)
    for offset in range(horizon_days + 1):
        day = local.date() + timedelta(days=offset)
        for opening in config.hours.for_weekday(day.weekday()):
            start = datetime.combine(day, opening.start, tzinfo=tz)
            if start > local and _closed_reason(config, start) is None:
                return start
    return None


def say_time(moment: time) -> str:
    """A time as French speech reads it: '9 h', '12 h 30'."""
    return f"{moment.hour} h" + (f" {moment.minute:02d}" if moment.minute else "")


def say_reopening(moment: datetime, now: datetime, config: Config) -> str:
    """When the line reopens, for speech: 'demain à 9 h', 'lundi à 9 h', 'le 2 janvier à 9 h'."""
    tz = config.helpline.tz
    local, today = moment.astimezone(tz), now.astimezone(tz).date()
    at = f"à {say_time(local.time())}"
    days = (local.date() - today).days
    if days == 0:
        return f"aujourd'hui {at}"
    if days == 1:
        return f"demain {at}"
    if days < 7:
        return f"{DAY_NAMES_FR[local.weekday()]} {at}"
    day = "1er" if local.day == 1 else str(local.day)
    return f"le {day} {MONTH_NAMES_FR[local.month - 1]} {at}"


def closed_texts(config: Config, status: LineStatus, now: datetime) -> list[str]:
    """What a closed line tells the caller: why it is closed and, when known, when it reopens."""
    prompts = config.prompts
    said = {
        "night": prompts.closed_night,
        "weekend": prompts.closed_weekend,
        "holiday": prompts.closed_holiday,
        "override": status.message or prompts.closed_override,
        "closure": status.message,
    }
    texts = [said.get(status.reason) or prompts.closed_night]
    if status.reopens_at is not None:
        texts.append(f"Nous rouvrirons {say_reopening(status.reopens_at, now, config)}.")
    return texts


def describe_hours(hours: OpeningHours) -> str:
    """The weekly hours in French: 'du lundi au vendredi de 9 h à 12 h 30 et de 13 h 30 à 17 h 30'."""
    groups: list[tuple[int, int, list[TimeRange]]] = []
    for index in range(len(DAYS)):
        ranges = hours.for_weekday(index)
        if groups and groups[-1][2] == ranges and groups[-1][1] == index - 1:
            groups[-1] = (groups[-1][0], index, ranges)
        else:
            groups.append((index, index, ranges))
    parts = []
    for first, last, ranges in groups:
        if not ranges:
            continue
        if first == last:
            days = f"le {DAY_NAMES_FR[first]}"
        elif last == first + 1:
            days = f"le {DAY_NAMES_FR[first]} et le {DAY_NAMES_FR[last]}"
        else:
            days = f"du {DAY_NAMES_FR[first]} au {DAY_NAMES_FR[last]}"
        spans = " et ".join(
            f"de {say_time(r.start)} à {'minuit' if r.end == time.max else say_time(r.end)}" for r in ranges
        )
        parts.append(f"{days} {spans}")
    return ", et ".join(parts)
