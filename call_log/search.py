"""Finding calls in the log: by period, category, commune, territory, outcome, association and text."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, false, func, or_, select
from sqlalchemy.orm import Session, joinedload, selectinload

from call_log.codes import outcomes_of
from call_log.models import Call, Referral
from call_log.record import category_and_children


@dataclass(frozen=True, kw_only=True)
class CallFilter:
    """Which calls to show; None means any."""

    start: datetime | None = None
    end: datetime | None = None
    category: str | None = None
    commune_insee: str | None = None
    postal_code: str | None = None
    # The caller's number as the log finds it: its keyed hash, and its stored form where that is unique;
    # either set, even to '', means the number was asked for.
    caller_key: str | None = None
    caller: str | None = None
    in_territory: bool | None = None
    outcome: str | None = None
    association_id: int | None = None
    channel: str | None = None
    text: str | None = None


@dataclass(frozen=True)
class Page:
    """One page of calls, newest first."""

    calls: list[Call]
    number: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        """How many pages there are (at least one)."""
        return max(1, -(-self.total // self.per_page))


def outcome_is(code: str) -> ColumnElement[bool]:
    """Calls whose outcome counts under `code` (an `Outcome` or an `OutcomeGroup`): the log and the
    monthly report read each outcome through this one definition."""
    return Call.outcome.in_(outcomes_of(code))


def _conditions(session: Session, where: CallFilter) -> list[ColumnElement[bool]]:
    """The WHERE clauses of a filter."""
    conditions: list[ColumnElement[bool]] = []
    if where.start is not None:
        conditions.append(Call.started_at >= where.start)
    if where.end is not None:
        conditions.append(Call.started_at < where.end)
    if where.category:
        conditions.append(Call.category_code.in_(category_and_children(session, where.category)))
    if where.commune_insee:
        conditions.append(Call.commune_insee == where.commune_insee)
    if where.postal_code:
        conditions.append(Call.postal_code == where.postal_code)
    if where.caller_key is not None or where.caller is not None:
        conditions.append(
            or_(
                Call.caller_key == where.caller_key if where.caller_key else false(),
                Call.caller == where.caller if where.caller else false(),
            )
        )
    if where.in_territory is not None:
        conditions.append(Call.in_territory.is_(where.in_territory))
    if where.outcome:
        conditions.append(outcome_is(where.outcome))
    if where.channel:
        conditions.append(Call.channel == where.channel)
    if where.association_id is not None:
        conditions.append(
            or_(
                Call.association_id == where.association_id,
                Call.referrals.any(Referral.association_id == where.association_id),
            )
        )
    if where.text and where.text.strip():
        words = where.text.strip()
        conditions.append(
            or_(
                Call.notes.icontains(words, autoescape=True),
                Call.caller.icontains(words, autoescape=True),
                Call.call_sid.icontains(words, autoescape=True),
                Call.heard_from.icontains(words, autoescape=True),
            )
        )
    return conditions


def search_calls(session: Session, where: CallFilter, *, page: int = 1, per_page: int = 50) -> Page:
    """The calls matching the filter, newest first, one page of them (pages count from 1)."""
    conditions = _conditions(session, where)
    total = session.scalar(select(func.count(Call.id)).where(*conditions)) or 0
    number = min(max(1, page), max(1, -(-total // per_page)))
    calls = session.scalars(
        select(Call)
        .where(*conditions)
        .options(joinedload(Call.association), selectinload(Call.referrals))
        .order_by(Call.started_at.desc(), Call.id.desc())
        .offset((number - 1) * per_page)
        .limit(per_page)
    )
    return Page(list(calls), number, per_page, total)


def calls_after(
    session: Session, where: CallFilter, *, after: tuple[datetime, int] | None, size: int = 2000
) -> list[Call]:
    """The next `size` calls matching the filter, oldest first, after the (started_at, id) of the last batch.

    Exports read batch by batch, each in its own short session: a slow download must not hold a
    transaction (on SQLite, the write lock the voice webhooks wait for).
    """
    query = (
        select(Call)
        .where(*_conditions(session, where))
        .options(joinedload(Call.association), selectinload(Call.referrals))
        .order_by(Call.started_at, Call.id)
        .limit(size)
    )
    if after is not None:
        query = query.where(
            or_(Call.started_at > after[0], and_(Call.started_at == after[0], Call.id > after[1]))
        )
    return list(session.scalars(query))


def earlier_contacts(session: Session, call: Call, *, limit: int = 20) -> list[Call]:
    """The contacts from the same number before this one (by its keyed hash), newest first."""
    if not call.caller_key:
        return []
    return list(
        session.scalars(
            select(Call)
            .where(
                Call.caller_key == call.caller_key,
                Call.id != call.id,
                or_(
                    Call.started_at < call.started_at,
                    and_(Call.started_at == call.started_at, Call.id < call.id),
                ),
            )
            .order_by(Call.started_at.desc(), Call.id.desc())
            .limit(limit)
        )
    )
