"""The live board: calls in progress and just ended, what the menu collected and where each call went.

The board is polled every few seconds, so what it sends stays bounded whatever the call log holds: at most
LIVE_ROWS calls in progress and ENDED_ROWS just ended, limited in the query, with the number left out.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session, joinedload

from call_log.codes import CONNECTED_DIALS, FINAL_STATUSES, Channel, EventKind, Outcome, TransferTarget
from call_log.models import Call, CallEvent
from call_log.recording import add_event, find_event

# A call still without its final status after this long lost its status callback: it is not live.
STALE_AFTER = timedelta(hours=2)
JUST_ENDED = timedelta(minutes=30)
# Twilio ends any call after 4 hours: older calls cannot be live or just ended, and `started_at` is indexed.
MAX_CALL = timedelta(hours=4)
# At most this many calls of each part of the board; the others are counted, not sent.
LIVE_ROWS = 50
ENDED_ROWS = 50
# The events that say where a call went, newest wins.
_ROUTING_EVENTS = (EventKind.TRANSFER, EventKind.DIAL_RESULT, EventKind.CALLBACK_NUMBER, EventKind.VOICEMAIL)
# A call is taken once: the key of its one TAKEN event makes a second « Je prends » add nothing.
TAKEN_KEY = "taken"


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
    # The name of the operator who said « Je prends », if one did.
    taken_by: str = ""

    @property
    def for_the_operators(self) -> bool:
        """A live call put through to the operators that no operator has taken yet."""
        return self.live and self.with_operator and not self.taken_by


@dataclass(frozen=True)
class Board:
    """The calls the board shows, and how many more of each kind it leaves out."""

    live: list[BoardRow]
    ended: list[BoardRow]
    more_live: int
    more_ended: int


def live_board(session: Session, *, now: datetime) -> Board:
    """Calls in progress (newest first), then those ended within JUST_ENDED (latest ended first)."""
    recent = (Call.channel == Channel.IVR, Call.started_at >= now - MAX_CALL - JUST_ENDED)
    in_progress = (
        *recent,
        Call.ended_at.is_(None),
        Call.status.not_in(FINAL_STATUSES),
        Call.started_at >= now - STALE_AFTER,
    )
    just_ended = (*recent, Call.ended_at >= now - JUST_ENDED)
    live = _calls(session, in_progress, newest=Call.started_at, limit=LIVE_ROWS)
    ended = _calls(session, just_ended, newest=Call.ended_at, limit=ENDED_ROWS)
    routing = _routing_events(session, [*live, *ended])
    return Board(
        live=[_row(call, routing[call.id], live=True) for call in live],
        ended=[_row(call, routing[call.id], live=False) for call in ended],
        more_live=_left_out(session, in_progress, shown=len(live), limit=LIVE_ROWS),
        more_ended=_left_out(session, just_ended, shown=len(ended), limit=ENDED_ROWS),
    )


def _calls(
    session: Session, where: Sequence[ColumnElement[bool]], *, newest: InstrumentedAttribute[Any], limit: int
) -> list[Call]:
    """The `limit` calls matching `where` that are newest by `newest`, with their association."""
    query = (
        select(Call)
        .where(*where)
        .options(joinedload(Call.association))
        .order_by(newest.desc(), Call.id.desc())
        .limit(limit)
    )
    return list(session.scalars(query))


def _left_out(session: Session, where: Sequence[ColumnElement[bool]], *, shown: int, limit: int) -> int:
    """How many calls matching `where` the board leaves out; counted only when its part is full."""
    if shown < limit:
        return 0
    total = session.scalar(select(func.count()).select_from(Call).where(*where)) or 0
    return max(total - shown, 0)


def _routing_events(session: Session, calls: Sequence[Call]) -> defaultdict[int, list[CallEvent]]:
    """The routing events of `calls` only, in order, by call id: a row needs no other event."""
    events: defaultdict[int, list[CallEvent]] = defaultdict(list)
    if calls:
        query = (
            select(CallEvent)
            .where(
                CallEvent.call_id.in_([call.id for call in calls]),
                CallEvent.kind.in_((*_ROUTING_EVENTS, EventKind.TAKEN)),
            )
            .order_by(CallEvent.call_id, CallEvent.seq)
        )
        for event in session.scalars(query):
            events[event.call_id].append(event)
    return events


def _row(call: Call, routing: Sequence[CallEvent], *, live: bool) -> BoardRow:
    where, detail, taken_by = "menu", "", ""
    with_operator = call.outcome == Outcome.CONNECTED_OPERATOR
    for event in routing:
        payload = event.payload
        if event.kind == EventKind.TAKEN:
            taken_by = str(payload.get("name") or payload.get("by") or "")
        elif event.kind == EventKind.TRANSFER:
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
    return BoardRow(call, live, where, detail, with_operator, taken_by)


def take_call(session: Session, call: Call, *, by: str, name: str, now: datetime) -> str | None:
    """An operator says « Je prends »: the call is theirs, unless another took it first (their name)."""
    if add_event(session, call, EventKind.TAKEN, {"by": by, "name": name}, now=now, dedup_key=TAKEN_KEY):
        return None
    first = find_event(session, call, TAKEN_KEY)
    if first is None or first.payload.get("by") == by:
        return None
    return str(first.payload.get("name") or first.payload.get("by"))
