"""A request's write to the call log, as data: made now, or kept in the journal and made later.

A Twilio request writes one event of its call, the summary fields it sets, and maybe a named action of
the journey (start a transfer, apply a status...). Written as data, the same write can be made at once
or, when the database cannot take it in time, journaled and replayed later, with the same result: the
event's key makes a second application add nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from call_log.models import Call, CallEvent
from call_log.recording import add_event, find_event, open_call, start_call

# The journal entry kind of a CallWrite.
JOURNAL_KIND = "call_write"

# A named action: (session, call, the write with its final payload) -> what the webhook needs back.
Action = Callable[[Session, Call, "CallWrite"], object]


@dataclass(frozen=True)
class CallWrite:
    """One event of a call, the summary fields it sets and the action it runs, all JSON-compatible."""

    call_sid: str
    kind: str
    payload: dict[str, Any]
    dedup_key: str
    at: datetime
    opening: dict[str, str] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)
    action: str | None = None
    args: dict[str, Any] = field(default_factory=dict)

    def with_payload(self, payload: dict[str, Any]) -> CallWrite:
        """The same write with the payload decided in its transaction."""
        return replace(self, payload=payload)

    def to_data(self) -> dict[str, Any]:
        """The write as a journal entry's data (its time is the entry's)."""
        return {
            "call_sid": self.call_sid,
            "kind": self.kind,
            "payload": self.payload,
            "dedup_key": self.dedup_key,
            "opening": self.opening,
            "summary": self.summary,
            "action": self.action,
            "args": self.args,
        }

    @classmethod
    def from_data(cls, data: Mapping[str, Any], *, at: datetime) -> CallWrite:
        """The write a journal entry holds."""
        return cls(
            call_sid=str(data["call_sid"]),
            kind=str(data["kind"]),
            payload=dict(data["payload"]),
            dedup_key=str(data["dedup_key"]),
            at=at,
            opening={str(k): str(v) for k, v in dict(data.get("opening") or {}).items()},
            summary=dict(data.get("summary") or {}),
            action=str(data["action"]) if data.get("action") else None,
            args=dict(data.get("args") or {}),
        )


@dataclass(frozen=True)
class Applied:
    """A write made: the call's id, and what its action (or, for a retry, `again`) returned."""

    call_id: int
    result: object = None
    new: bool = True


def apply_write(
    session: Session,
    write: CallWrite,
    actions: Mapping[str, Action],
    *,
    decide: Callable[[Session, Call], dict[str, Any] | None] | None = None,
    again: Callable[[Session, Call, CallEvent], object] | None = None,
) -> Applied | None:
    """Make `write` in the session's transaction; None if `decide` chose to write nothing.

    The call is opened (or completed) first. The summary is set and the action run only when the event
    is new: a write made twice changes nothing the second time, and then `again` (if given) is run with
    the event the first made, so that a retried request can answer what the first one answered.
    `decide` gives the payload from the session and the call (it is then `write.payload` ignored).
    """
    created = False
    if write.opening and decide is None:
        # The call's first webhook: the call is new (one INSERT, its summary in it) unless a status
        # callback or a retry came first.
        call, created = start_call(
            session, call_sid=write.call_sid, now=write.at, fields=write.summary, **write.opening
        )
    else:
        call = open_call(session, call_sid=write.call_sid, now=write.at, **write.opening)
    payload = decide(session, call) if decide is not None else write.payload
    if payload is None:
        return None
    event = add_event(
        session, call, write.kind, payload, now=write.at, dedup_key=write.dedup_key, first=created
    )
    if event is None:
        logged = find_event(session, call, write.dedup_key) if again is not None else None
        result = again(session, call, logged) if again is not None and logged is not None else None
        return Applied(call.id, result, new=False)
    for name, value in write.summary.items() if not created else ():
        setattr(call, name, value)
    made = write.with_payload(payload)
    result = actions[write.action](session, call, made) if write.action else None
    return Applied(call.id, result)
