"""The live board: calls in progress and just ended, what the menu collected and where each call went."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, joinedload, selectinload

from call_log.codes import CONNECTED_DIALS, FINAL_STATUSES, Channel, EventKind, Outcome, TransferTarget
from call_log.models import Call, CallEvent

# A call still without its final status after this long lost its status callback: it is not live.
STALE_AFTER = timedelta(hours=2)
JUST_ENDED = timedelta(minutes=30)
# Twilio ends any call after 4 hours: older calls cannot be live or just ended, and `started_at` is indexed.
MAX_CALL = timedelta(hours=4)
# The events that say where a call went, newest wins.
_ROUTING_EVENTS = (EventKind.TRANSFER, EventKind.DIAL_RESULT, EventKind.CALLBACK_NUMBER, EventKind.VOICEMAIL)


@dataclass(frozen=True)
class BoardRow:
    """One call on the board."""

    call: Call
    live: bool
    # What the call is doing or did last: the target and result of its latest routing event.
    where: str
    where_detail: str
    # An operator is (or was) talking with the caller: their record is the one to complete.
    with_operator: bool


def live_board(session: Session, *, now: datetime) -> list[BoardRow]:
    """Calls in progress (newest first), then those ended within JUST_ENDED (latest ended first)."""
    calls = session.scalars(
        select(Call)
        .where(
            Call.channel == Channel.IVR,
            Call.started_at >= now - MAX_CALL - JUST_ENDED,
            or_(
                Call.ended_at >= now - JUST_ENDED,
                (Call.ended_at.is_(None)) & (Call.started_at >= now - STALE_AFTER),
            ),
        )
        .options(joinedload(Call.association), selectinload(Call.events))
        .order_by(Call.started_at.desc(), Call.id.desc())
    )
    rows = [_row(call) for call in calls]
    live = [row for row in rows if row.live]
    ended = sorted((row for row in rows if not row.live), key=_ended_at, reverse=True)
    return live + ended


def _ended_at(row: BoardRow) -> datetime:
    return row.call.ended_at or row.call.started_at


def _row(call: Call) -> BoardRow:
    live = call.ended_at is None and call.status not in FINAL_STATUSES
    routing: list[CallEvent] = [event for event in call.events if event.kind in _ROUTING_EVENTS]
    where, detail = "menu", ""
    with_operator = call.outcome == Outcome.CONNECTED_OPERATOR
    for event in routing:
        payload = event.payload
        if event.kind == EventKind.TRANSFER:
            where = (
                TransferTarget.OPERATORS
                if payload.get("target") == TransferTarget.OPERATORS
                else TransferTarget.ASSOCIATION
            )
            detail = ""
        elif event.kind == EventKind.DIAL_RESULT:
            detail = str(payload.get("status") or "")
        else:  # asked for a number to call back, or recorded a message
            where, detail = "voicemail", ""
    if where == TransferTarget.OPERATORS and live:
        with_operator = with_operator or detail in ("", *CONNECTED_DIALS)
    return BoardRow(call, live, where, detail, with_operator)
