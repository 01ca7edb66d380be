"""The callback queue: voicemails that operators call back, oldest first.

A request is open until an operator takes it (in_progress), then ends as done (the person was reached) or
no_answer (given up on), or goes back to the queue as retry after an attempt without answer. Each step is a
call event naming who did it, with the state before and after.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from call_log.codes import CallbackState, EventKind
from call_log.models import CallbackRequest
from call_log.privacy import mask_numbers
from call_log.recording import add_event
from call_log.working_time import WorkingCalendar

# Still to be worked, in the queue.
QUEUED_STATES = (CallbackState.OPEN, CallbackState.IN_PROGRESS, CallbackState.RETRY)
# What an operator can report after calling back.
RESULTS = (CallbackState.DONE, CallbackState.NO_ANSWER, CallbackState.RETRY)
# A voicemail should be called back within half a day of opening hours.
CALLBACK_DEADLINE = timedelta(hours=4)


class CallbackError(Exception):
    """A callback request cannot change as asked (already closed, or taken by someone else)."""


@dataclass(frozen=True)
class QueuedCallback:
    """A callback request in the queue, with its deadline."""

    request: CallbackRequest
    due_at: datetime
    overdue: bool


def callback_queue(session: Session, *, now: datetime, calendar: WorkingCalendar) -> list[QueuedCallback]:
    """The requests still to be worked, oldest first, each with its deadline and whether it is past."""
    requests = session.scalars(
        select(CallbackRequest)
        .where(CallbackRequest.state.in_(QUEUED_STATES))
        .options(joinedload(CallbackRequest.call))
        .order_by(CallbackRequest.created_at, CallbackRequest.id)
    )
    queue = []
    for request in requests:
        due_at = calendar.deadline(request.created_at, CALLBACK_DEADLINE)
        queue.append(QueuedCallback(request, due_at, now > due_at))
    return queue


def queue_counts(session: Session, *, now: datetime, calendar: WorkingCalendar) -> tuple[int, int]:
    """How many requests wait in the queue, and how many of them are overdue."""
    cutoff = calendar.latest_start(now, CALLBACK_DEADLINE)
    queued = CallbackRequest.state.in_(QUEUED_STATES)
    waiting = session.scalar(select(func.count(CallbackRequest.id)).where(queued)) or 0
    late = session.scalar(
        select(func.count(CallbackRequest.id)).where(queued, CallbackRequest.created_at < cutoff)
    )
    return waiting, late or 0


def recently_closed(session: Session, *, limit: int = 20) -> list[CallbackRequest]:
    """The last requests closed (done or given up), newest first."""
    return list(
        session.scalars(
            select(CallbackRequest)
            .where(CallbackRequest.state.not_in(QUEUED_STATES))
            .options(joinedload(CallbackRequest.call))
            .order_by(CallbackRequest.updated_at.desc(), CallbackRequest.id.desc())
            .limit(limit)
        )
    )


def take_callback(session: Session, request: CallbackRequest, *, by: str, now: datetime) -> None:
    """An operator takes the request: it is theirs while they call back."""
    if request.state not in QUEUED_STATES:
        raise CallbackError(f"callback {request.id} is closed ({request.state})")
    if request.state == CallbackState.IN_PROGRESS and request.assigned_to not in (None, by):
        raise CallbackError(f"callback {request.id} is being handled by {request.assigned_to}")
    _change(session, request, CallbackState.IN_PROGRESS, by=by, now=now, assigned_to=by)


def report_callback(
    session: Session, request: CallbackRequest, result: str, *, by: str, now: datetime, notes: str = ""
) -> None:
    """Record how calling back went: done, no_answer (given up) or retry (back in the queue)."""
    if result not in RESULTS:
        raise ValueError(f"{result!r} is not a callback result (valid: {', '.join(RESULTS)})")
    if request.state not in QUEUED_STATES:
        raise CallbackError(f"callback {request.id} is closed ({request.state})")
    if request.state == CallbackState.IN_PROGRESS and request.assigned_to not in (None, by):
        raise CallbackError(f"callback {request.id} is being handled by {request.assigned_to}")
    request.attempts += 1
    if notes.strip():
        request.notes = f"{request.notes}\n{notes.strip()}".strip()
    _change(
        session,
        request,
        result,
        by=by,
        now=now,
        assigned_to=by if result != CallbackState.RETRY else None,
        notes=notes,
    )


def _change(
    session: Session,
    request: CallbackRequest,
    state: str,
    *,
    by: str,
    now: datetime,
    assigned_to: str | None,
    notes: str = "",
) -> None:
    before = request.state
    request.state, request.assigned_to, request.updated_at = state, assigned_to, now
    payload: dict[str, Any] = {
        "by": by,
        "callback_id": request.id,
        "changes": {"state": {"before": before, "after": state}},
        "attempts": request.attempts,
    }
    if notes.strip():
        payload["notes"] = mask_numbers(notes.strip())
    add_event(session, request.call, EventKind.CALLBACK_UPDATED, payload, now=now)
