"""Writing the call log: open a call, append events idempotently, apply Twilio's status callbacks.

These functions take a Session and never commit: the webhook or command that calls them owns the
transaction. Twilio retries requests and sends status callbacks late and out of order, so every write here
is safe to repeat.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, case, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from call_log.codes import FINAL_STATUSES, CallStatus, Channel, EventKind, Outcome
from call_log.models import Call, CallEvent

# Twilio call statuses in the order a call goes through them; all final ones share the last rank.
_STATUS_RANK: dict[str, int] = {
    CallStatus.QUEUED: 0,
    CallStatus.INITIATED: 1,
    CallStatus.RINGING: 2,
    CallStatus.IN_PROGRESS: 3,
}
_FINAL_RANK = 4

# The hot path's statements, built once (building one costs more than SQLite running it).
_CALL_BY_SID = select(Call).where(Call.call_sid == bindparam("call_sid"))
# One statement says both whether this request's event is there and which number comes next.
_NEXT_SEQ_AND_SEEN = select(
    func.coalesce(func.max(CallEvent.seq), 0),
    func.max(case((CallEvent.dedup_key == bindparam("dedup_key"), 1), else_=0)),
).where(CallEvent.call_id == bindparam("call_id"))


class CallLogError(Exception):
    """The call log could not record something (a conflict that retries did not resolve)."""


def find_call(session: Session, call_sid: str) -> Call | None:
    """The call with this CallSid, if it was logged."""
    return session.scalar(_CALL_BY_SID, {"call_sid": call_sid})


def open_call(
    session: Session,
    *,
    call_sid: str,
    now: datetime,
    caller: str = "",
    caller_country: str = "",
    called: str = "",
    channel: str = Channel.IVR,
) -> Call:
    """The call with this CallSid, created if it is new (concurrent duplicates give one row).

    A status callback can reach us before the call's first webhook: the call it opened is then completed
    here with what that webhook knows (who called, from where, which number), whichever came first.
    """
    call = find_call(session, call_sid)
    if call is not None:
        return _completed(call, now=now, caller=caller, caller_country=caller_country, called=called)
    try:
        with session.begin_nested():
            call = Call(
                call_sid=call_sid,
                channel=channel,
                started_at=now,
                caller=caller,
                caller_country=caller_country,
                called=called,
                status=CallStatus.RINGING,
                menu_path="",
            )
            session.add(call)
    except IntegrityError:
        # Another request for the same call created it first.
        call = find_call(session, call_sid)
        if call is None:
            raise
        return _completed(call, now=now, caller=caller, caller_country=caller_country, called=called)
    return call


def start_call(
    session: Session,
    *,
    call_sid: str,
    now: datetime,
    fields: dict[str, Any],
    caller: str = "",
    caller_country: str = "",
    called: str = "",
) -> tuple[Call, bool]:
    """The call of the request that starts it, and whether this request created it.

    Usually new: one INSERT, with `fields` (its summary) in it. When a status callback beat the request
    here, the call it opened is completed as `open_call` does, and `fields` are left to the caller.
    """
    values = {
        "call_sid": call_sid,
        "channel": Channel.IVR,
        "started_at": now,
        "caller": caller,
        "caller_country": caller_country,
        "called": called,
        "status": CallStatus.RINGING,
        "menu_path": "",
    }
    insert = _CALL_INSERTS[session.get_bind().dialect.name]
    created = session.scalars(insert, [values | fields]).first()
    if created is not None:
        return created, True
    return open_call(
        session, call_sid=call_sid, now=now, caller=caller, caller_country=caller_country, called=called
    ), False


def _completed(call: Call, *, now: datetime, **known: str) -> Call:
    """The call with the fields it still lacks taken from `known`; it started at the earliest request."""
    for name, value in known.items():
        if value and not getattr(call, name):
            setattr(call, name, value)
    if now < call.started_at:
        call.started_at = now
    return call


def add_event(
    session: Session,
    call: Call,
    kind: str,
    payload: dict[str, Any] | None = None,
    *,
    now: datetime,
    dedup_key: str | None = None,
    first: bool = False,
) -> CallEvent | None:
    """Append an event to the call's timeline; returns None if `dedup_key` was recorded already.

    `first`: the call was created in this transaction, so it has no event yet (nothing to look up).
    The event returned is not in the session: a `call.events` loaded before does not show it.
    """
    # Core statements on the session's connection: an event is never updated, and this is the log's hot
    # path (the ORM's round costs more than SQLite's work). `call` is in the database already.
    connection = session.connection()
    insert = _EVENT_INSERTS[connection.dialect.name]
    for attempt in range(5):
        row = (
            (0, 0)
            if first and attempt == 0
            else connection.execute(_NEXT_SEQ_AND_SEEN, {"dedup_key": dedup_key, "call_id": call.id}).one()
        )
        if dedup_key is not None and row[1] == 1:
            return None
        values = {
            "call_id": call.id,
            "seq": row[0] + 1,
            "at": now,
            "kind": kind,
            "payload": payload or {},
            "dedup_key": dedup_key,
        }
        event_id = connection.execute(insert, values).scalar()
        if event_id is None:
            # A concurrent request took this sequence number (or wrote the same event): look again.
            continue
        return CallEvent(id=event_id, **values)
    raise CallLogError(f"could not append {kind!r} to call {call.call_sid}: sequence kept conflicting")


_EVENTS = cast(Table, CallEvent.__table__)
# INSERT ... ON CONFLICT DO NOTHING RETURNING id of an event, by dialect: None when the row exists.
_EVENT_INSERTS = {
    "postgresql": postgresql.insert(_EVENTS).on_conflict_do_nothing().returning(_EVENTS.c.id),
    "sqlite": sqlite.insert(_EVENTS).on_conflict_do_nothing().returning(_EVENTS.c.id),
}


# INSERT ... ON CONFLICT DO NOTHING RETURNING the new call, by dialect (its values given when run): no row
# when the call exists.
_CALL_INSERTS = {
    "postgresql": postgresql.insert(Call).on_conflict_do_nothing().returning(Call),
    "sqlite": sqlite.insert(Call).on_conflict_do_nothing().returning(Call),
}


def find_event(session: Session, call: Call, dedup_key: str) -> CallEvent | None:
    """The call's event recorded with `dedup_key`, if any."""
    return session.scalar(
        select(CallEvent).where(CallEvent.call_id == call.id, CallEvent.dedup_key == dedup_key)
    )


def in_twilio_order(events: Sequence[CallEvent]) -> list[CallEvent]:
    """The call's events in the order Twilio sent them, whatever order they reached us in.

    The call's first webhook starts it, so its event comes first even when a status callback beat it here;
    status callbacks keep the places they arrived at but follow their SequenceNumber among themselves;
    the journey's own webhooks, which Twilio sends one after the other, keep their order in time (a write
    replayed from the journal reaches the database after later ones, but keeps the time it was made).
    """
    ordered = sorted(events, key=lambda event: (event.kind != EventKind.CALL_STARTED, event.at, event.seq))
    places = [index for index, event in enumerate(ordered) if event.kind == EventKind.STATUS]
    statuses = sorted((ordered[index] for index in places), key=_status_order)
    for index, event in zip(places, statuses, strict=True):
        ordered[index] = event
    return ordered


def _status_order(event: CallEvent) -> tuple[bool, int, int]:
    """By SequenceNumber; a callback without one after those that have one, in order of arrival."""
    sequence = event.payload.get("sequence")
    return (not isinstance(sequence, int), sequence if isinstance(sequence, int) else 0, event.seq)


def apply_status(
    call: Call, *, status: str, sequence: int | None, duration_s: int | None, now: datetime
) -> bool:
    """Apply a status callback unless it is older than what the call already shows; True if applied.

    A status never goes back (a late 'ringing' after 'completed' is ignored); between two callbacks of the
    same rank, the higher SequenceNumber wins. A final status that comes after the sweep closed the call
    is applied all the same (status, duration, outcome); the call keeps the end the sweep gave it.
    """
    new_rank = _STATUS_RANK.get(status, _FINAL_RANK if status in FINAL_STATUSES else None)
    if new_rank is None:
        return False
    current_rank = _STATUS_RANK.get(call.status, _FINAL_RANK)
    if new_rank < current_rank:
        return False
    same_rank_not_newer = new_rank == current_rank and (
        call.status_sequence is not None and (sequence is None or sequence <= call.status_sequence)
    )
    if same_rank_not_newer:
        return False
    # Closed by `call_log.sweep` before this final status came: the outcome it gave was only a guess.
    swept = (
        call.ended_at is not None and current_rank < _FINAL_RANK and call.outcome == Outcome.ABANDONED_IN_MENU
    )
    call.status = status
    call.status_sequence = sequence
    if new_rank == _FINAL_RANK:
        call.ended_at = call.ended_at or now
        if duration_s is not None:
            call.duration_s = duration_s
        if call.outcome is None or swept:
            call.outcome = Outcome.FAILED if status == CallStatus.FAILED else Outcome.ABANDONED_IN_MENU
    return True
