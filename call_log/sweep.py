"""Closing the calls whose final status never came: a lost status callback must not leave a call open.

Twilio ends every call within 4 hours (`MAX_CALL`) and then sends its final status; a call still open after
that will never get it. Run `close_unfinished` periodically (`helpline calls sweep`) to close them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.orm import Session

from call_log.board import MAX_CALL
from call_log.codes import FINAL_STATUSES, Channel, EventKind, Outcome
from call_log.models import Call, CallEvent
from call_log.recording import add_event

# At most one such event per call, whichever sweep adds it.
_DEDUP_KEY = "status-missing"


def close_unfinished(session: Session, *, now: datetime, after: timedelta = MAX_CALL) -> int:
    """Close the voice calls started more than `after` ago that never got their final status; how many.

    Each ends at its last event (or when it started), gets a STATUS_MISSING event, and keeps its outcome,
    or gets the one of a call left in the menu. Its status stays the last one Twilio sent, so that a final
    status arriving later is still applied. Safe to run again, and at the same time as another sweep or as
    status callbacks: a call closed since it was picked is left alone.
    """
    left_open = (
        Call.channel == Channel.IVR,
        Call.ended_at.is_(None),
        Call.status.not_in(FINAL_STATUSES),
        Call.started_at < now - after,
    )
    # In the order of their ids, so that two sweeps meet on the same call first rather than cross.
    picked = session.scalars(select(Call).where(*left_open).order_by(Call.id)).all()
    return sum(_close(session, call, left_open, now=now) for call in picked)


def _close(session: Session, call: Call, left_open: Sequence[ColumnElement[bool]], *, now: datetime) -> bool:
    """Close `call` unless it was closed since it was picked; True if this sweep closed it."""
    # The event is written before the call is updated: a status callback writing its own event at the same
    # moment then never waits for this transaction while this one waits for its event's sequence number
    # (PostgreSQL would break that deadlock by failing one of them, maybe the callback). Instead it is
    # this sweep that waits, then finds the call closed by the callback and takes its event back.
    with session.begin_nested() as closing:
        payload = {"status": call.status}
        if add_event(session, call, EventKind.STATUS_MISSING, payload, now=now, dedup_key=_DEDUP_KEY) is None:
            return False  # another sweep closed it
        last_event = (
            select(func.max(CallEvent.at))
            .where(CallEvent.call_id == Call.id, CallEvent.kind != EventKind.STATUS_MISSING)
            .correlate(Call)
            .scalar_subquery()
        )
        closed = session.scalar(
            update(Call)
            .where(Call.id == call.id, *left_open)
            .values(
                ended_at=func.coalesce(last_event, Call.started_at),
                outcome=func.coalesce(Call.outcome, Outcome.ABANDONED_IN_MENU),
            )
            .returning(Call.id),
            execution_options={"synchronize_session": "fetch"},
        )
        if closed is None:
            closing.rollback()
            return False
    return True
