"""Partner follow-through: how each referral went with its association, and which ones are overdue.

An association should contact the person within 24 working hours of the referral (working days, public
holidays excluded: see `WorkingCalendar.working_days`). Each change of follow-up state is a call event with
who changed it and the state before and after.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session, joinedload, selectinload

from call_log.codes import EventKind, FollowUpState
from call_log.models import Call, Referral
from call_log.privacy import mask_numbers
from call_log.recording import add_event
from call_log.working_time import WorkingCalendar

CONTACT_DEADLINE = timedelta(hours=24)
# States that mean the association has contacted the person.
_CONTACTED = (FollowUpState.CONTACTED, FollowUpState.QUOTE_SENT, FollowUpState.SERVICE_STARTED)


@dataclass(frozen=True)
class FollowUp:
    """A referral with its contact deadline."""

    referral: Referral
    due_at: datetime
    # Whether the association made contact in time: None while it has not made contact.
    contacted_in_time: bool | None
    overdue: bool


def follow_up_of(referral: Referral, *, now: datetime, calendar: WorkingCalendar) -> FollowUp:
    """Where a referral stands against its contact deadline."""
    due_at = calendar.deadline(referral.created_at, CONTACT_DEADLINE)
    contacted_in_time = None if referral.contacted_at is None else referral.contacted_at <= due_at
    overdue = referral.follow_up == FollowUpState.PENDING and now > due_at
    return FollowUp(referral, due_at, contacted_in_time, overdue)


def overdue_condition(now: datetime, calendar: WorkingCalendar) -> list[ColumnElement[bool]]:
    """Pending, and created before the latest moment that is 24 working hours before `now`."""
    cutoff = calendar.latest_start(now, CONTACT_DEADLINE)
    return [Referral.follow_up == FollowUpState.PENDING, Referral.created_at < cutoff]


def overdue_referrals(
    session: Session, *, now: datetime, calendar: WorkingCalendar, limit: int = 10
) -> list[FollowUp]:
    """Referrals still without contact after 24 working hours, oldest first (at most `limit` of them)."""
    found = session.scalars(
        select(Referral)
        .where(*overdue_condition(now, calendar))
        .options(joinedload(Referral.association), joinedload(Referral.call), selectinload(Referral.notices))
        .order_by(Referral.created_at, Referral.id)
        .limit(limit)
    )
    return [follow_up_of(referral, now=now, calendar=calendar) for referral in found]


def count_overdue_referrals(session: Session, *, now: datetime, calendar: WorkingCalendar) -> int:
    """How many referrals are without contact after 24 working hours."""
    return session.scalar(select(func.count(Referral.id)).where(*overdue_condition(now, calendar))) or 0


def count_link_answers(session: Session) -> int:
    """How many referrals their association followed up through its personal link."""
    return session.scalar(select(func.count(Referral.id)).where(Referral.link_answered_at.is_not(None))) or 0


@dataclass(frozen=True)
class ReferralPage:
    """One page of referrals, newest first, and how many match in all."""

    follow_ups: list[FollowUp]
    number: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        """How many pages there are (at least one)."""
        return max(1, -(-self.total // self.per_page))


def referrals(
    session: Session,
    *,
    now: datetime,
    calendar: WorkingCalendar,
    state: str | None = None,
    overdue: bool = False,
    association_id: int | None = None,
    page: int = 1,
    per_page: int = 50,
) -> ReferralPage:
    """Referrals in one follow-up state (or overdue), of one association, newest first: one page of them.

    A page past the last shows the last one.
    """
    conditions: list[ColumnElement[bool]] = []
    if state is not None:
        conditions.append(Referral.follow_up == state)
    if overdue:
        conditions.extend(overdue_condition(now, calendar))
    if association_id is not None:
        conditions.append(Referral.association_id == association_id)
    total = session.scalar(select(func.count(Referral.id)).where(*conditions)) or 0
    number = min(max(1, page), max(1, -(-total // per_page)))
    found = session.scalars(
        select(Referral)
        .where(*conditions)
        .options(joinedload(Referral.association), joinedload(Referral.call), selectinload(Referral.notices))
        .order_by(Referral.created_at.desc(), Referral.id.desc())
        .offset((number - 1) * per_page)
        .limit(per_page)
    )
    follow_ups = [follow_up_of(referral, now=now, calendar=calendar) for referral in found]
    return ReferralPage(follow_ups, number, per_page, total)


def set_follow_up(
    session: Session,
    referral: Referral,
    state: str,
    *,
    by: str,
    now: datetime,
    at: datetime | None = None,
    notes: str = "",
) -> bool:
    """Move a referral to `state`; `at` is when it happened (default now). False if nothing changed.

    The first move to a contacted state sets `contacted_at`, the first to quote_sent sets `quote_sent_at`;
    a correction back to pending clears them.
    """
    if state not in tuple(FollowUpState):
        raise ValueError(f"{state!r} is not a follow-up state (valid: {', '.join(FollowUpState)})")
    when = at or now
    before = {
        "follow_up": referral.follow_up,
        "contacted_at": referral.contacted_at,
        "quote_sent_at": referral.quote_sent_at,
    }
    referral.follow_up = state
    if state in _CONTACTED and referral.contacted_at is None:
        referral.contacted_at = when
    if state == FollowUpState.QUOTE_SENT and referral.quote_sent_at is None:
        referral.quote_sent_at = when
    if state == FollowUpState.PENDING:
        referral.contacted_at = referral.quote_sent_at = None
    if notes.strip():
        referral.notes = f"{referral.notes}\n{notes.strip()}".strip()
    after = {
        "follow_up": referral.follow_up,
        "contacted_at": referral.contacted_at,
        "quote_sent_at": referral.quote_sent_at,
    }
    changes = {
        name: {"before": _json(before[name]), "after": _json(after[name])}
        for name in before
        if before[name] != after[name]
    }
    if not changes and not notes.strip():
        return False
    referral.updated_at = now
    call = session.get_one(Call, referral.call_id)
    payload: dict[str, Any] = {"by": by, "referral_id": referral.id, "changes": changes}
    if notes.strip():
        payload["notes"] = mask_numbers(notes.strip())
    add_event(session, call, EventKind.REFERRAL_FOLLOW_UP, payload, now=now)
    return True


def _json(value: str | datetime | None) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if isinstance(value, datetime) else value
