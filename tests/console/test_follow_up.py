"""Partner follow-through: working-time deadlines, the overdue list, and follow-up states as history."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from call_log.models import Call, CallEvent, Referral
from call_log.working_time import WorkingCalendar
from ivr.simulator.call import CallSimulator
from ivr.simulator.callers import DialOutcome, Keys, ScriptedCaller
from tests.conftest import FakeClock
from tests.console.conftest import Browser

PARIS = ZoneInfo("Europe/Paris")
OPENING = [[(time(9), time(12, 30)), (time(13, 30), time(17, 30))]] * 5 + [[], []]


def paris(*args: int) -> datetime:
    """A Paris wall-clock time as an aware UTC datetime."""
    return datetime(*args, tzinfo=PARIS).astimezone(UTC)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("start", "deadline"),
    [
        (paris(2026, 11, 24, 10, 0), paris(2026, 11, 25, 10, 0)),  # Tuesday: the next day
        (paris(2026, 11, 27, 16, 0), paris(2026, 11, 30, 16, 0)),  # Friday: Monday
        (paris(2026, 11, 28, 11, 0), paris(2026, 12, 1, 0, 0)),  # Saturday: counts from Monday
        (paris(2026, 11, 10, 10, 0), paris(2026, 11, 12, 10, 0)),  # Armistice (Wed 11th) does not count
        (paris(2026, 3, 27, 12, 0), paris(2026, 3, 30, 12, 0)),  # across the change to summer time
    ],
)
def test_24_working_hours(start: datetime, deadline: datetime) -> None:
    """24 working hours are a working day: weekends and public holidays do not count."""
    calendar = WorkingCalendar.working_days(PARIS)
    assert calendar.deadline(start, timedelta(hours=24)) == deadline
    assert calendar.elapsed(start, deadline) == timedelta(hours=24)


@pytest.mark.parametrize(
    ("end", "latest"),
    [
        (paris(2026, 11, 25, 10, 0), paris(2026, 11, 24, 10, 0)),
        (paris(2026, 11, 30, 16, 0), paris(2026, 11, 27, 16, 0)),  # Monday: back to Friday
        (paris(2026, 11, 29, 12, 0), paris(2026, 11, 27, 0, 0)),  # Sunday: all of Friday is needed
        (paris(2026, 11, 12, 10, 0), paris(2026, 11, 10, 10, 0)),  # over the Armistice
    ],
)
def test_latest_start_is_the_inverse_of_the_deadline(end: datetime, latest: datetime) -> None:
    """The latest start whose 24 working hours are over at `end`: what the overdue queries compare with."""
    calendar = WorkingCalendar.working_days(PARIS)
    assert calendar.latest_start(end, timedelta(hours=24)) == latest
    assert calendar.deadline(latest, timedelta(hours=24)) <= end


@pytest.mark.parametrize(
    ("start", "deadline"),
    [
        (paris(2026, 11, 24, 10, 0), paris(2026, 11, 24, 15, 0)),
        (paris(2026, 11, 24, 20, 0), paris(2026, 11, 25, 14, 0)),  # evening: 3.5 h next morning, then 0.5 h
        (paris(2026, 3, 27, 17, 0), paris(2026, 3, 30, 12, 30)),  # Friday 17:00: half an hour, then Monday
    ],
)
def test_four_opening_hours(start: datetime, deadline: datetime) -> None:
    """Callback deadlines count only the helpline's opening hours."""
    calendar = WorkingCalendar.opening_hours(PARIS, OPENING)
    assert calendar.deadline(start, timedelta(hours=4)) == deadline


def test_a_calendar_without_working_time_says_so() -> None:
    """A week with no working span cannot give a deadline."""
    calendar = WorkingCalendar.opening_hours(PARIS, [[]] * 7)
    with pytest.raises(ValueError, match="less than 4:00:00 of working time"):
        calendar.deadline(paris(2026, 11, 24, 10, 0), timedelta(hours=4))


def referred_call(
    simulator: CallSimulator, read_call: Callable[[str], Call], as_operator: Browser, association: str
) -> tuple[Call, int]:
    """An operator call whose caller olivia referred to `association`; the call and its referral id."""
    placed = simulator.place_call(ScriptedCaller([Keys("0")], dials=[DialOutcome("completed", 60)]))
    call = read_call(placed.call_sid)
    page = as_operator.text(f"/calls/{call.id}")
    association_id = page.split(f">{association}</option>")[0].rsplit('value="', 1)[1].split('"')[0]
    assert (
        as_operator.post(f"/calls/{call.id}/referrals", {"association_id": association_id}).status_code == 302
    )
    return call, read_call(placed.call_sid).referrals[0].id


def test_overdue_list_and_follow_up_states(
    browser_factory: Callable[[str], Browser],
    simulator: CallSimulator,
    read_call: Callable[[str], Call],
    sessions: sessionmaker[Session],
    clock: FakeClock,
) -> None:
    """A referral without contact after 24 working hours is overdue; staff record contact, quote and start."""
    operator, staff = browser_factory("olivia"), browser_factory("sam")
    call, referral_id = referred_call(simulator, read_call, operator, "Brenne Enfance Services")  # Tue 10:00

    clock.advance(24 * 3600)  # Wednesday 10:00: due now, not late
    assert "Aucune orientation en retard." in staff.text("/referrals")
    clock.advance(60)
    page = staff.text("/referrals")
    overdue = page.split('id="overdue-title"')[1].split('id="all-title"')[0]
    assert f'<tr id="overdue-{referral_id}" class="overdue">' in overdue
    assert "contact attendu le 25/11 10:00" in overdue
    assert "Orientations sans contact après 24 h ouvrées : <strong>1</strong>" in staff.text("/")

    contacted = staff.post(
        f"/referrals/{referral_id}",
        {
            "state": "contacted",
            "at": "2026-11-25T09:30",
            "notes": "Appel de l'association.",
            "next": "/referrals",
        },
        token_from="/referrals",
    )
    assert contacted.headers["Location"] == "/referrals"
    page = staff.text("/referrals")
    assert "Aucune orientation en retard." in page
    assert "contact dans les 24 h" in page  # 9:30 on Wednesday was in time
    staff.post(f"/referrals/{referral_id}", {"state": "quote_sent"}, token_from="/referrals")
    staff.post(f"/referrals/{referral_id}", {"state": "service_started"}, token_from="/referrals")

    with sessions() as session:
        referral = session.get_one(Referral, referral_id)
        assert (referral.follow_up, referral.contacted_at, referral.quote_sent_at) == (
            "service_started",
            paris(2026, 11, 25, 9, 30),
            clock(),
        )
        assert referral.notes == "Appel de l'association."
        events = session.scalars(
            select(CallEvent)
            .where(CallEvent.call_id == call.id, CallEvent.kind == "referral_follow_up")
            .order_by(CallEvent.seq)
        ).all()
    assert [(e.payload["by"], e.payload["changes"]["follow_up"]) for e in events] == [
        ("sam", {"before": "pending", "after": "contacted"}),
        ("sam", {"before": "contacted", "after": "quote_sent"}),
        ("sam", {"before": "quote_sent", "after": "service_started"}),
    ]
    assert events[0].payload["changes"]["contacted_at"] == {"before": None, "after": "2026-11-25T08:30:00Z"}
    record = operator.text(f"/calls/{call.id}")
    assert "Suivi : <del>Devis envoyé</del> → <ins>Prestation commencée</ins>" in record
    assert "Prestation commencée" in staff.text("/referrals?state=service_started")
    assert f"referral-{referral_id}" not in staff.text("/referrals?state=pending")


def test_late_contact_is_flagged_and_operators_only_read_follow_ups(
    browser_factory: Callable[[str], Browser],
    simulator: CallSimulator,
    read_call: Callable[[str], Call],
    clock: FakeClock,
) -> None:
    """A contact after the deadline shows as late; operators see the state on the record, cannot change it."""
    operator, staff = browser_factory("olivia"), browser_factory("sam")
    call, referral_id = referred_call(simulator, read_call, operator, "Mobilité Solidaire Brenne")
    clock.advance(3 * 24 * 3600)
    staff.post(f"/referrals/{referral_id}", {"state": "contacted"}, token_from="/referrals")
    assert "contact après 24 h" in staff.text("/referrals")
    record = operator.text(f"/calls/{call.id}")
    assert "Personne contactée" in record
    assert f'action="/referrals/{referral_id}"' not in record
    assert operator.post(f"/referrals/{referral_id}", {"state": "dropped"}).status_code == 403
    assert staff.post("/referrals/99999", {"state": "dropped"}, token_from="/referrals").status_code == 404
