"""Shredding: what identifies a caller is cleared once it is old enough (the retention periods of
config.yaml's privacy.retention) or when the person asks; the coded observatory fields stay.

The keyed hash of a caller's number (`caller_key`) is what counts distinct callers. It is not dropped but
replaced with a random token, one per caller and month (the helpline's month, the report's), so that each
month's report keeps its figures while no token leads back to a number. The purge does it by whole months,
once a month's last day is past the period, so that a month is never half hashed, half tokens.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, func, not_, or_, select, update
from sqlalchemy.orm import Session

from call_log.codes import EventKind
from call_log.models import Call, CallbackRequest, CallEvent, PrivacyAudit, Referral
from call_log.periods import month_bounds
from foundation.codes import Code
from foundation.config import Retention

logger = logging.getLogger(__name__)

# Tokens that replaced a caller's keyed hash start with letters a hex digest never holds.
TOKEN_PREFIX = "anon"
_RECORDING_SID = re.compile(r"RE[0-9a-fA-F]{32}")
# Calls whose withheld number Twilio gave as 'anonymous' keep it: it identifies no one.
_NOT_A_NUMBER = ("", "anonymous")


class Shredded(Code):
    """A kind of personal data the purge and the erasure clear, with the words staff read for it."""

    CALLER_NUMBERS = "caller_numbers", "numéros d'appelant"
    CALLBACK_NUMBERS = "callback_numbers", "numéros de rappel"
    CALLER_KEYS = "caller_keys", "empreintes de numéro d'appelant"
    RECORDINGS = "recordings", "messages vocaux"
    NOTES = "notes", "notes écrites"
    TRANSCRIPTS = "transcripts", "paroles transcrites"


# Recordings that are past their period but still at Twilio (its API refused, or is not configured).
RECORDINGS_LEFT = "recordings_left"


class PrivacyAction(Code):
    """What a privacy audit row records."""

    PURGE = "purge", "purge des données anciennes"
    ERASE = "erase", "effacement à la demande d'une personne"
    FIND = "find", "export des données d'une personne"


class RecordingStore(Protocol):
    """Where the voicemails' audio is kept (Twilio), and how one is deleted."""

    def delete(self, sid: str) -> bool:
        """Delete recording `sid`; True once it is gone (or already was), False if it is still there."""
        ...


# Where each kind of data also sits in the calls' events: (event kind, path of the value in the payload).
EVENT_SPOTS: Mapping[Shredded, tuple[tuple[EventKind, tuple[str, ...]], ...]] = {
    Shredded.CALLER_NUMBERS: ((EventKind.CALL_STARTED, ("caller",)),),
    Shredded.RECORDINGS: (
        (EventKind.VOICEMAIL, ("recording_url",)),
        (EventKind.RECORDING_STATUS, ("recording_url",)),
    ),
    Shredded.NOTES: (
        (EventKind.CALLBACK_UPDATED, ("notes",)),
        (EventKind.REFERRAL_FOLLOW_UP, ("notes",)),
        (EventKind.RECORD_UPDATED, ("changes", "notes")),
    ),
    Shredded.TRANSCRIPTS: ((EventKind.MENU_INPUT, ("speech",)),),
}

Counts = dict[str, int]


@dataclass(frozen=True)
class Cutoffs:
    """The calls started before each of these have that kind of data cleared."""

    identifying: datetime
    caller_keys: datetime
    recordings: datetime
    notes: datetime

    @classmethod
    def of(cls, retention: Retention, *, now: datetime, tz: ZoneInfo) -> Cutoffs:
        """The cutoffs of the periods at `now`; caller keys go by whole months of the helpline's time."""
        identifying = now - timedelta(days=retention.identifying_days)
        return cls(
            identifying=identifying,
            caller_keys=month_bounds(identifying.astimezone(tz).strftime("%Y-%m"), tz)[0],
            recordings=now - timedelta(days=retention.recordings_days),
            notes=now - timedelta(days=retention.notes_days),
        )

    def where(self) -> dict[Shredded, ColumnElement[bool]]:
        """Which calls each kind is cleared from."""
        return {
            Shredded.CALLER_NUMBERS: Call.started_at < self.identifying,
            Shredded.CALLBACK_NUMBERS: Call.started_at < self.identifying,
            Shredded.CALLER_KEYS: Call.started_at < self.caller_keys,
            Shredded.RECORDINGS: Call.started_at < self.recordings,
            Shredded.NOTES: Call.started_at < self.notes,
            Shredded.TRANSCRIPTS: Call.started_at < self.notes,
        }


def purge(
    session: Session,
    retention: Retention,
    *,
    now: datetime,
    tz: ZoneInfo,
    recordings: RecordingStore | None,
    dry_run: bool = False,
) -> Counts:
    """Clear what the retention periods no longer allow to keep; how many of each kind (or would be)."""
    return shred(
        session, Cutoffs.of(retention, now=now, tz=tz).where(), tz=tz, recordings=recordings, dry_run=dry_run
    )


def shred(
    session: Session,
    where: Mapping[Shredded, ColumnElement[bool]],
    *,
    tz: ZoneInfo,
    recordings: RecordingStore | None,
    dry_run: bool = False,
) -> Counts:
    """Clear each kind of data from the calls `where` selects for it; how many were (or would be) cleared.

    A recording is cleared from the database only once Twilio has deleted it: the others are counted in
    RECORDINGS_LEFT and tried again the next time.
    """
    counts: Counts = {}
    for kind, calls in where.items():
        ids = select(Call.id).where(calls)
        if kind is Shredded.RECORDINGS:
            counts[kind], counts[RECORDINGS_LEFT] = _recordings(session, ids, recordings, dry_run=dry_run)
            continue
        if kind is Shredded.CALLER_KEYS:
            counts[kind] = _caller_keys(session, calls, tz=tz, dry_run=dry_run)
            continue
        counts[kind] = sum(
            _clear(session, statement, dry_run=dry_run) for statement in _statements(kind, calls, ids)
        )
        scrubbed = _scrub_events(session, kind, CallEvent.call_id.in_(ids), dry_run=dry_run)
        if kind is Shredded.TRANSCRIPTS:
            counts[kind] = scrubbed
    return counts


def _statements(
    kind: Shredded, calls: ColumnElement[bool], ids: Any
) -> list[tuple[type[Any], list[Any], dict[str, Any]]]:
    """The rows (model, conditions) that hold `kind`, and the values that clear it."""
    if kind is Shredded.CALLER_NUMBERS:
        return [(Call, [calls, Call.caller.not_in(_NOT_A_NUMBER)], {"caller": ""})]
    if kind is Shredded.CALLBACK_NUMBERS:
        return [
            (Call, [calls, Call.callback_number.is_not(None)], {"callback_number": None}),
            (
                CallbackRequest,
                [CallbackRequest.call_id.in_(ids), CallbackRequest.callback_number != ""],
                {"callback_number": ""},
            ),
            # The number the person agreed to pass to the association.
            (
                Referral,
                [Referral.call_id.in_(ids), Referral.contact_number.is_not(None)],
                {"contact_number": None},
            ),
        ]
    if kind is Shredded.NOTES:
        return [
            (Call, [calls, Call.notes != ""], {"notes": ""}),
            (Referral, [Referral.call_id.in_(ids), Referral.notes != ""], {"notes": ""}),
            (CallbackRequest, [CallbackRequest.call_id.in_(ids), CallbackRequest.notes != ""], {"notes": ""}),
        ]
    return []


def _clear(session: Session, statement: tuple[type[Any], list[Any], dict[str, Any]], *, dry_run: bool) -> int:
    model, conditions, values = statement
    if dry_run:
        return int(session.scalar(select(func.count()).select_from(model).where(*conditions)) or 0)
    result = session.execute(
        update(model).where(*conditions).values(**values).execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def _events_holding(kind: Shredded, calls: ColumnElement[bool]) -> Select[CallEvent]:
    """The events of `calls` whose payload still holds some of `kind`."""
    holding = []
    for event_kind, path in EVENT_SPOTS.get(kind, ()):
        value = (CallEvent.payload[path[0]] if len(path) == 1 else CallEvent.payload[path]).as_string()
        holding.append((CallEvent.kind == event_kind) & value.is_not(None) & (value != ""))
    return select(CallEvent).where(calls, or_(*holding))


def _scrub_events(session: Session, kind: Shredded, calls: ColumnElement[bool], *, dry_run: bool) -> int:
    """Blank `kind` in the payloads of the events of `calls`; how many events held it.

    Events are otherwise never updated: this is the one change the log allows them.
    """
    if kind not in EVENT_SPOTS:
        return 0
    query = _events_holding(kind, calls)
    if dry_run:
        return int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)
    events = session.scalars(query).all()
    for event in events:
        payload = dict(event.payload)
        for event_kind, path in EVENT_SPOTS[kind]:
            if event.kind == event_kind:
                _blank(payload, path)
        event.payload = payload  # a new dict, so that the ORM sees the change
    return len(events)


def _blank(payload: dict[str, Any], path: tuple[str, ...]) -> None:
    if len(path) == 1:
        if path[0] in payload:
            payload[path[0]] = None
        return
    inner = payload.get(path[0])
    if isinstance(inner, dict):
        payload[path[0]] = dict(inner)
        _blank(payload[path[0]], path[1:])


def _recordings(
    session: Session, ids: Any, store: RecordingStore | None, *, dry_run: bool
) -> tuple[int, int]:
    """Delete the voicemails of the calls `ids` at Twilio, then clear them here: (cleared, left at Twilio)."""
    found = session.execute(
        select(
            CallbackRequest.id,
            CallbackRequest.call_id,
            CallbackRequest.recording_sid,
            CallbackRequest.recording_url,
        )
        .where(CallbackRequest.call_id.in_(ids))
        .where(or_(CallbackRequest.recording_url != "", CallbackRequest.recording_sid != ""))
    ).all()
    if dry_run:
        return len(found), 0
    cleared: list[int] = []
    calls: set[int] = set()
    for request_id, call_id, sid, url in found:
        sid = sid or next(iter(_RECORDING_SID.findall(url)), "")
        if sid and (store is None or not store.delete(sid)):
            continue
        cleared.append(request_id)
        calls.add(call_id)
    if cleared:
        session.execute(
            update(CallbackRequest)
            .where(CallbackRequest.id.in_(cleared))
            .values(recording_url="", recording_sid="")
            .execution_options(synchronize_session=False)
        )
        _scrub_events(session, Shredded.RECORDINGS, CallEvent.call_id.in_(calls), dry_run=False)
    return len(cleared), len(found) - len(cleared)


def _caller_keys(session: Session, calls: ColumnElement[bool], *, tz: ZoneInfo, dry_run: bool) -> int:
    """Replace the callers' keyed hashes of `calls` with a random token per caller and month."""
    rows = session.execute(
        select(Call.id, Call.started_at, Call.caller_key).where(
            calls, Call.caller_key.is_not(None), not_(Call.caller_key.startswith(TOKEN_PREFIX))
        )
    ).all()
    if dry_run or not rows:
        return len(rows)
    tokens: dict[tuple[str, str], str] = {}
    changes = [
        {
            "id": call_id,
            "caller_key": tokens.setdefault(
                (started_at.astimezone(tz).strftime("%Y-%m"), str(key)), TOKEN_PREFIX + secrets.token_hex(14)
            ),
        }
        for call_id, started_at, key in rows
    ]
    session.execute(update(Call), changes)
    return len(changes)


def audit(session: Session, action: PrivacyAction, counts: Counts, *, by: str, now: datetime) -> PrivacyAudit:
    """Record that `by` did `action` at `now`, and how many of each kind it touched."""
    row = PrivacyAudit(
        at=now, action=action, by=by[:200], counts=dict(counts), status="done", finished_at=now
    )
    session.add(row)
    return row
