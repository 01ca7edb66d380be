"""Opening-hours behaviours that tests/test_hours.py leaves unpinned (issue 11's surviving mutants)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from foundation.config import DAYS, Calendar, Closure, Config, OpeningHours
from ivr.hours import (
    LineStatus,
    Override,
    Reason,
    closed_texts,
    describe_hours,
    line_status,
    next_opening,
    say_reopening,
    say_time,
)
from tests.test_hours import paris

# Monday 23 and Tuesday 24 November 2026, two working days without a public holiday.
STOCKTAKING = Closure(
    start=date(2026, 11, 23), end=date(2026, 11, 24), reason="Inventaire", message="Fermé pour inventaire."
)


@pytest.fixture
def config(example_config: Config) -> Config:
    """The example hours (Mon-Fri 9:00-12:30, 13:30-17:30), holidays on, and no closure."""
    return example_config.model_copy(update={"calendar": Calendar()})


def with_hours(config: Config, **days: list[str]) -> Config:
    """`config` with these weekly hours instead of the example's."""
    return config.model_copy(update={"hours": OpeningHours.model_validate(days)})


@pytest.mark.parametrize(
    ("moment", "reason"),
    [
        (paris(2026, 11, 22, 17, 0), "weekend"),  # the Sunday before
        (paris(2026, 11, 23, 9, 0), "closure"),  # its first day, at opening
        (paris(2026, 11, 24, 17, 29), "closure"),  # its last day, included
        (paris(2026, 11, 25, 9, 0), "open"),  # the day after
    ],
)
def test_a_closure_includes_its_first_and_last_days(config: Config, moment: datetime, reason: str) -> None:
    """A closure closes the line from its start date to its end date, both included, and not a day more."""
    closed = config.model_copy(update={"calendar": Calendar(closures=[STOCKTAKING])})
    assert line_status(closed, moment).reason == reason


def test_a_closure_reopens_the_day_after_its_last_day(config: Config) -> None:
    """In a closure the line says why it is closed and reopens at the first opening after its last day."""
    closed = config.model_copy(update={"calendar": Calendar(closures=[STOCKTAKING])})
    assert line_status(closed, paris(2026, 11, 24, 10, 0)) == LineStatus(
        open=False, reason="closure", message="Fermé pour inventaire.", reopens_at=paris(2026, 11, 25, 9, 0)
    )
    assert next_opening(closed, paris(2026, 11, 20, 18, 0)) == paris(2026, 11, 25, 9, 0)


@pytest.mark.parametrize(
    ("moment", "reason"),
    [
        (paris(2026, 11, 25, 10, 0), "night"),  # a Wednesday without hours is no weekend
        (paris(2026, 11, 24, 20, 0), "night"),  # a Tuesday evening
        (paris(2026, 11, 28, 14, 0), "night"),  # a Saturday with hours, after them
        (paris(2026, 11, 28, 10, 0), "open"),
        (paris(2026, 11, 29, 10, 0), "weekend"),  # a Sunday without hours
    ],
)
def test_weekend_only_on_a_saturday_or_sunday_without_hours(
    config: Config, moment: datetime, reason: str
) -> None:
    """'weekend' is a Saturday or Sunday without hours; a weekday without hours or after them is 'night'."""
    hours = with_hours(config, mon=["09:00-12:00"], tue=["09:00-12:00"], sat=["09:00-12:00"])
    assert line_status(hours, moment).reason == reason


@pytest.mark.parametrize(
    ("reason", "said"),
    [
        ("night", "Le 1001 services est fermé en ce moment."),
        ("weekend", "Le 1001 services est fermé le week-end."),
        ("holiday", "Le 1001 services est fermé aujourd'hui, jour férié."),
        ("override", "Le 1001 services est exceptionnellement fermé."),
    ],
)
def test_closed_line_says_why(config: Config, reason: Reason, said: str) -> None:
    """Each reason for a closed line has its own sentence, then when it reopens."""
    status = LineStatus(open=False, reason=reason, reopens_at=paris(2026, 11, 25, 9, 0))
    assert closed_texts(config, status, paris(2026, 11, 24, 18, 0)) == [said, "Nous rouvrirons demain à 9 h."]


def test_closed_line_without_a_known_reopening_says_only_why(config: Config) -> None:
    """A closure's own message is said, and nothing about reopening when it is unknown."""
    status = LineStatus(open=False, reason="closure", message="Fermé pour inventaire.")
    assert closed_texts(config, status, paris(2026, 11, 24, 18, 0)) == ["Fermé pour inventaire."]


def test_an_override_until_a_moment_reopens_then(config: Config) -> None:
    """A closing override ends at its `until`: active before it, over at it."""
    override = Override("closed", until=paris(2026, 11, 24, 14, 0))
    assert override.active(paris(2026, 11, 24, 13, 59))
    assert not override.active(paris(2026, 11, 24, 14, 0))
    assert Override("closed").active(paris(2030, 1, 1, 0, 0))


@pytest.mark.parametrize(
    ("now", "reopens", "said"),
    [
        # From Wednesday 25 November: six days on is still a weekday, seven days on is a date.
        (paris(2026, 11, 25, 18, 0), paris(2026, 12, 1, 9, 0), "mardi à 9 h"),
        (paris(2026, 11, 25, 18, 0), paris(2026, 12, 2, 9, 0), "le 2 décembre à 9 h"),
        (paris(2026, 11, 25, 18, 0), paris(2026, 11, 27, 9, 0), "vendredi à 9 h"),
        (paris(2026, 11, 25, 23, 59), paris(2026, 11, 26, 0, 0), "demain à 0 h"),
    ],
)
def test_reopening_names_a_weekday_within_seven_days_only(
    config: Config, now: datetime, reopens: datetime, said: str
) -> None:
    """'we reopen on...' names the weekday up to six days ahead, and the date from a week on."""
    assert say_reopening(reopens, now, config) == said


@pytest.mark.parametrize(
    ("moment", "said"), [(time(9, 0), "9 h"), (time(9, 5), "9 h 05"), (time(17, 30), "17 h 30")]
)
def test_times_are_said_the_french_way(moment: time, said: str) -> None:
    """Whole hours without minutes, other minutes on two digits."""
    assert say_time(moment) == said


@pytest.mark.parametrize(
    ("days", "said"),
    [
        ({"mon": ["09:00-12:00"], "tue": ["09:00-12:00"]}, "le lundi et le mardi de 9 h à 12 h"),
        ({"thu": ["09:00-12:00"]}, "le jeudi de 9 h à 12 h"),
        (
            {"mon": ["09:00-12:00"], "tue": ["09:00-12:00"], "wed": ["09:00-12:00"]},
            "du lundi au mercredi de 9 h à 12 h",
        ),
        (
            {"mon": ["09:00-12:00"], "wed": ["09:00-12:00"]},
            "le lundi de 9 h à 12 h, et le mercredi de 9 h à 12 h",
        ),
        (
            {"mon": ["09:00-12:00"], "tue": ["14:00-17:00"]},
            "le lundi de 9 h à 12 h, et le mardi de 14 h à 17 h",
        ),
        ({"sat": ["20:00-24:00"], "sun": ["20:00-24:00"]}, "le samedi et le dimanche de 20 h à minuit"),
    ],
)
def test_weekly_hours_name_two_days_and_longer_runs(days: dict[str, list[str]], said: str) -> None:
    """Two consecutive days with the same hours read 'le lundi et le mardi', three or more 'du ... au ...'."""
    assert describe_hours(OpeningHours.model_validate(days)) == said


@pytest.mark.parametrize(
    ("moment", "status"),
    [
        (paris(2026, 11, 24, 10, 0), LineStatus(open=True, reason="open")),
        (paris(2026, 11, 24, 18, 0), LineStatus(False, "night", reopens_at=paris(2026, 11, 25, 9, 0))),
        (paris(2026, 11, 28, 10, 0), LineStatus(False, "weekend", reopens_at=paris(2026, 11, 30, 9, 0))),
        (paris(2026, 11, 11, 10, 0), LineStatus(False, "holiday", reopens_at=paris(2026, 11, 12, 9, 0))),
    ],
)
def test_the_whole_status_of_the_line(config: Config, moment: datetime, status: LineStatus) -> None:
    """Only closures and overrides carry a message of their own; night, weekend and holiday have none."""
    assert line_status(config, moment) == status


def test_an_opening_override_says_open(config: Config) -> None:
    """Staff opening the line on a Sunday give the same status as the hours would."""
    assert line_status(config, paris(2026, 11, 29, 10, 0), override=Override("open")) == LineStatus(
        open=True, reason="open"
    )


@pytest.mark.parametrize(("horizon", "found"), [(2, None), (3, paris(2026, 11, 30, 9, 0))])
def test_next_opening_looks_that_many_days_ahead(
    config: Config, horizon: int, found: datetime | None
) -> None:
    """From a Friday evening, Monday's opening is three days ahead: found with a horizon of 3, not of 2."""
    assert next_opening(config, paris(2026, 11, 27, 18, 0), horizon_days=horizon) == found


def test_next_opening_looks_sixty_days_ahead_by_default(config: Config) -> None:
    """By default an opening 60 days ahead is found, one 61 days ahead is not (None: unknown)."""
    every_day = with_hours(config, **{day: ["09:00-12:00"] for day in DAYS})

    def closed_until(last: date) -> Config:
        closure = Closure(start=date(2026, 11, 3), end=last, reason="Travaux", message="Fermé.")
        calendar = Calendar(closed_on_holidays=False, closures=[closure])
        return every_day.model_copy(update={"calendar": calendar})

    # From Monday 2 November 2026, 1 January 2027 is 60 days ahead and 2 January 61.
    now = paris(2026, 11, 2, 18, 0)
    assert next_opening(closed_until(date(2026, 12, 31)), now) == paris(2027, 1, 1, 9, 0)
    assert next_opening(closed_until(date(2027, 1, 1)), now) is None
    assert next_opening(closed_until(date(2027, 1, 1)), now, horizon_days=61) == paris(2027, 1, 2, 9, 0)


def test_next_opening_is_after_now(config: Config) -> None:
    """At the very moment of an opening, the next opening is the following one."""
    assert next_opening(config, paris(2026, 11, 24, 9, 0)) == paris(2026, 11, 24, 13, 30)


def test_days_are_counted_in_the_helplines_timezone(config: Config) -> None:
    """At 00:30 in Paris (still the day before in UTC) today's opening is 'today', and the next one."""
    just_after_midnight = datetime(2026, 11, 23, 23, 30, tzinfo=UTC)  # Tuesday 24, 00:30 in Paris
    assert next_opening(config, just_after_midnight, horizon_days=0) == paris(2026, 11, 24, 9, 0)
    assert say_reopening(paris(2026, 11, 24, 9, 0), just_after_midnight, config) == "aujourd'hui à 9 h"
