"""Opening hours as pure functions of a moment: split days, DST, holidays, closures, the staff override."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from foundation.config import Calendar, Closure, Config, OpeningHours, TimeRange, is_within
from ivr.hours import Override, describe_hours, is_holiday, line_status, next_opening, say_reopening

PARIS = ZoneInfo("Europe/Paris")


def paris(*args: int) -> datetime:
    """A moment given in Paris local time."""
    return datetime(*args, tzinfo=PARIS)  # type: ignore[misc]


@pytest.fixture
def config(example_config: Config) -> Config:
    """The example hours (Mon-Fri 9:00-12:30, 13:30-17:30), holidays on, and no closure."""
    return example_config.model_copy(update={"calendar": Calendar()})


@pytest.mark.parametrize(
    ("moment", "is_open", "reason"),
    [
        (paris(2026, 11, 24, 8, 59), False, "night"),
        (paris(2026, 11, 24, 9, 0), True, "open"),
        (paris(2026, 11, 24, 12, 29), True, "open"),
        (paris(2026, 11, 24, 12, 30), False, "night"),  # lunch break
        (paris(2026, 11, 24, 13, 30), True, "open"),
        (paris(2026, 11, 24, 17, 30), False, "night"),
        (paris(2026, 11, 28, 10, 0), False, "weekend"),
        (paris(2026, 11, 29, 10, 0), False, "weekend"),
        (paris(2026, 11, 11, 10, 0), False, "holiday"),  # Armistice, a Wednesday
        (paris(2026, 5, 25, 10, 0), False, "holiday"),  # Lundi de Pentecôte
        (paris(2027, 1, 1, 10, 0), False, "holiday"),  # New Year, a Friday
        (paris(2027, 1, 4, 9, 30), True, "open"),
    ],
)
def test_status_by_hours_and_holidays(config: Config, moment: datetime, is_open: bool, reason: str) -> None:
    """Split days, weekends and French public holidays decide whether the line is open."""
    status = line_status(config, moment)
    assert (status.open, status.reason) == (is_open, reason)


def test_dst_spring_forward(config: Config) -> None:
    """On the Monday after the last Sunday of March, 9:00 Paris is 07:00 UTC (08:00 the week before)."""
    assert line_status(config, datetime(2026, 3, 30, 7, 0, tzinfo=UTC)).open
    assert not line_status(config, datetime(2026, 3, 30, 6, 59, tzinfo=UTC)).open
    assert not line_status(config, datetime(2026, 3, 27, 7, 30, tzinfo=UTC)).open
    assert line_status(config, datetime(2026, 3, 27, 8, 0, tzinfo=UTC)).open


def test_dst_fall_back(config: Config) -> None:
    """After the last Sunday of October, 9:00 Paris is 08:00 UTC again."""
    assert not line_status(config, datetime(2026, 10, 26, 7, 30, tzinfo=UTC)).open
    assert line_status(config, datetime(2026, 10, 26, 8, 0, tzinfo=UTC)).open
    assert line_status(config, datetime(2026, 10, 23, 7, 30, tzinfo=UTC)).open


def test_next_opening_across_dst_and_weekend(config: Config) -> None:
    """Friday evening before the March change: the line reopens Monday 9:00 Paris, 07:00 UTC."""
    reopens = next_opening(config, paris(2026, 3, 27, 18, 0))
    assert reopens == datetime(2026, 3, 30, 7, 0, tzinfo=UTC)


def test_closure_spanning_several_days(config: Config) -> None:
    """A closure over the year's end gives its own message and reopens on the first working day after it."""
    closure = Closure(
        start=date(2026, 12, 24), end=date(2027, 1, 3), reason="Fêtes", message="Fermé pour les fêtes."
    )
    closed = config.model_copy(update={"calendar": Calendar(closures=[closure])})
    for day in (24, 28, 31):
        status = line_status(closed, paris(2026, 12, day, 10, 0))
        assert (status.open, status.reason, status.message) == (False, "closure", "Fermé pour les fêtes.")
    assert line_status(closed, paris(2026, 12, 23, 10, 0)).open
    assert line_status(closed, paris(2026, 12, 28, 10, 0)).reopens_at == paris(2027, 1, 4, 9, 0)


def test_holidays_can_be_ignored(config: Config) -> None:
    """With closed_on_holidays off, a holiday is a normal day."""
    open_on_holidays = config.model_copy(update={"calendar": Calendar(closed_on_holidays=False)})
    assert not is_holiday(open_on_holidays, date(2026, 11, 11))
    assert line_status(open_on_holidays, paris(2026, 11, 11, 10, 0)).open


def test_override_closed_then_expires(config: Config) -> None:
    """Staff close the line until 14:00; after that the hours decide again."""
    override = Override("closed", until=paris(2026, 11, 24, 14, 0), message="Réunion d'équipe.")
    status = line_status(config, paris(2026, 11, 24, 10, 0), override=override)
    assert (status.open, status.reason, status.message) == (False, "override", "Réunion d'équipe.")
    assert status.reopens_at == paris(2026, 11, 24, 14, 0)
    assert line_status(config, paris(2026, 11, 24, 14, 0), override=override).open


def test_override_open_on_a_sunday(config: Config) -> None:
    """Staff can open the line outside its hours."""
    assert line_status(config, paris(2026, 11, 29, 10, 0), override=Override("open")).open


@pytest.mark.parametrize(
    ("now", "reopens", "said"),
    [
        (paris(2026, 11, 24, 8, 0), paris(2026, 11, 24, 9, 0), "aujourd'hui à 9 h"),
        (paris(2026, 11, 24, 12, 45), paris(2026, 11, 24, 13, 30), "aujourd'hui à 13 h 30"),
        (paris(2026, 11, 24, 18, 0), paris(2026, 11, 25, 9, 0), "demain à 9 h"),
        (paris(2026, 11, 27, 18, 0), paris(2026, 11, 30, 9, 0), "lundi à 9 h"),
        (paris(2026, 12, 20, 18, 0), paris(2027, 1, 4, 9, 0), "le 4 janvier à 9 h"),
        (paris(2026, 11, 20, 18, 0), paris(2026, 12, 1, 9, 0), "le 1er décembre à 9 h"),
    ],
)
def test_reopening_is_said_in_french(config: Config, now: datetime, reopens: datetime, said: str) -> None:
    """When the line reopens, as the caller hears it."""
    assert say_reopening(reopens, now, config) == said


def test_weekly_hours_described(config: Config) -> None:
    """The weekly hours in one French sentence, consecutive days with the same hours grouped."""
    assert describe_hours(config.hours) == "du lundi au vendredi de 9 h à 12 h 30 et de 13 h 30 à 17 h 30"
    saturday = config.hours.model_copy(update={"sat": config.hours.mon[:1]})
    assert describe_hours(saturday) == (
        "du lundi au vendredi de 9 h à 12 h 30 et de 13 h 30 à 17 h 30, et le samedi de 9 h à 12 h 30"
    )


@pytest.mark.parametrize(
    ("span", "moment", "inside"),
    [
        ("09:00-12:30", time(9, 0), True),
        ("09:00-12:30", time(12, 29, 59), True),
        ("09:00-12:30", time(12, 30), False),
        ("09:00-12:30", time(8, 59, 59), False),
        ("20:00-24:00", time(23, 59, 59, 999999), True),
        ("20:00-24:00", time(0, 0), False),
    ],
)
def test_one_rule_says_whether_a_span_is_open(span: str, moment: time, inside: bool) -> None:
    """Hours of the line, of the directory and of the demo data share one check; a span to 24:00 ends at
    midnight, its last instant included."""
    parsed = TimeRange.parse(span)
    assert parsed.contains(moment) is inside
    assert is_within(parsed.start, parsed.end, moment) is inside


def test_weekly_hours_open_at_a_local_moment() -> None:
    """OpeningHours reads the weekday and the time of a local moment."""
    hours = OpeningHours(fri=["22:00-24:00"])
    paris = ZoneInfo("Europe/Paris")
    assert hours.is_open_at(datetime(2026, 11, 27, 23, 59, 59, 999999, tzinfo=paris))
    assert not hours.is_open_at(datetime(2026, 11, 28, 0, 0, tzinfo=paris))
