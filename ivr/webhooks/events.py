"""This request's event in the call log, written without ever failing or holding up the call.

Twilio retries requests, so each event carries a key derived from the request: a retry adds nothing and
changes nothing. The write is data (`CallWrite`): made within what is left of the request's database
budget, or, when the database refuses it or does not take it in time, kept in the journal, replayed into
the database later, and the caller goes on at once.
"""

from __future__ import annotations

import hashlib
import logging
import time
import traceback
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from flask import current_app, g, request
from sqlalchemy.orm import Session

from call_log.models import Call, CallEvent
from call_log.privacy import mask_numbers
from call_log.writes import JOURNAL_KIND, Action, Applied, CallWrite, apply_write
from foundation.gate import Access, DatabaseUnavailableError
from foundation.runtime import Runtime, runtime
from ivr.journey_writes import JourneyAction
from ivr.staff_settings import head
from ivr.webhooks.blueprint import bp

logger = logging.getLogger(__name__)

T = TypeVar("T")

Decide = Callable[[Session, Call], dict[str, Any] | None]


@bp.before_request
def _start_the_budget() -> None:
    g.database_deadline = time.monotonic() + runtime().settings.database_budget_s


def budget_left() -> float:
    """Seconds of database time this request may still spend."""
    deadline = g.get("database_deadline")
    if deadline is None:
        deadline = g.database_deadline = time.monotonic() + runtime().settings.database_budget_s
    return float(deadline) - time.monotonic()


def read_database(work: Callable[[Session], T]) -> T:
    """What `work` reads, in a read-only transaction within the request's budget; else an exception."""
    rt = runtime()

    def read() -> T:
        with rt.voice_reads() as session, session.begin():
            return work(session)

    return rt.gate.run(read, timeout=budget_left(), access=Access.READ)


def log_event(
    kind: str,
    payload: dict[str, Any] | Decide,
    *,
    opening: dict[str, str] | None = None,
    summary: dict[str, Any] | None = None,
    action: JourneyAction | None = None,
    args: dict[str, Any] | None = None,
    again: Callable[[Session, Call, CallEvent], object] | None = None,
    call_sid: str | None = None,
    database: bool = True,
    share: float = 1.0,
) -> Applied | None:
    """Record an event of this request's call, update its summary and run `action`; never fails the call.

    The summary is only updated, and the action only run, when the event is new, so that a retried
    request changes nothing; a retry runs `again` instead, with the event the first request logged, so
    that it can answer what the first one answered. Returns what was applied, or None when the write went
    to the journal (or nowhere: no usable CallSid).

    `payload` can be decided in the same transaction, by a function of the session and the call: what it
    reads and what the action writes cannot be interleaved with a concurrent request (the rotation among
    equal associations relies on it). If it returns None, no event is logged and nothing is run.
    With `database=False` the write goes straight to the journal (an answer that must not wait at all);
    `share` is the part of the request's remaining budget this write may take (the rest is kept for what
    the request does if it fails).
    """
    call_sid = call_sid if call_sid is not None else request.form.get("CallSid", "")
    if not call_sid.startswith("CA") or len(call_sid) > 64:
        logger.warning("No usable CallSid in %s; %s not logged: %s", request.path, kind, _shown(payload))
        return None
    rt = runtime()
    write = CallWrite(
        call_sid=call_sid,
        kind=kind,
        payload=payload if isinstance(payload, dict) else {},
        dedup_key=_dedup_key(kind),
        at=rt.clock(),
        opening=opening or {},
        summary=summary or {},
        action=action,
        args=args or {},
    )
    decided: list[dict[str, Any]] = []

    def deciding(session: Session, call: Call) -> dict[str, Any] | None:
        assert callable(payload)
        chosen = payload(session, call)
        if chosen is not None:
            decided.append(chosen)
        return chosen

    named = actions()  # read here: the work runs on the gate's threads, outside the app's context
    # The settings' version, read in the same transaction when this request has not read it yet: the
    # answer that follows the write then waits for the database once, not twice (see settings.live).
    wants_version = "staff_settings" not in g and "settings_head" not in g
    versions: list[int | None] = []

    def make() -> Applied | None:
        with rt.voice_writes() as session, session.begin():
            if wants_version:
                versions[:] = [head(session)]
            return apply_write(
                session,
                write,
                named,
                decide=deciding if callable(payload) else None,
                again=again,
            )

    why = "straight to the journal"
    if database and rt.journal.holds("call_sid", call_sid):
        # Earlier writes of this call wait in the journal: this one follows them, so that the call's
        # writes are made in order (a dial's result after the attempt it ends).
        database, why = False, "earlier writes of the call wait in the journal"
    if database:
        try:
            applied = rt.gate.run(make, timeout=budget_left() * share, access=Access.WRITE)
            if versions:
                g.settings_head = versions[0]
            return applied
        except DatabaseUnavailableError as unavailable:
            why = str(unavailable)
        except Exception:
            log_failure(logger, "Could not log %s for call %s", kind, call_sid)
            why = "the write failed"
    if callable(payload):
        if not decided:
            return None  # nothing was decided, so there is nothing to keep
        write = write.with_payload(decided[-1])
    logger.warning("%s of call %s kept in the journal (%s)", kind, call_sid, why)
    keep(rt, write)
    return None


def keep(rt: Runtime, write: CallWrite) -> None:
    """Put the write in the journal; if even that fails, its payload goes in the log for replay by hand."""
    try:
        rt.journal.append(JOURNAL_KIND, write.to_data(), at=write.at)
    except OSError:
        log_failure(
            logger,
            "The journal refused %s for call %s too; it is LOST unless replayed by hand: %s",
            write.kind,
            write.call_sid,
            write.payload,
        )


def actions() -> Mapping[str, Action]:
    """The journey's named actions, as `init_app` set them up with the app's secrets."""
    found: Mapping[str, Action] = current_app.extensions["ivr.actions"]
    return found


def log_failure(log: logging.Logger, message: str, *args: object) -> None:
    """Log `message` and the exception being handled, with every phone number in them masked."""
    log.error("%s\n%s", mask_numbers(message % args), mask_numbers(traceback.format_exc().rstrip()))


def _shown(payload: dict[str, Any] | Decide) -> str:
    return mask_numbers(str(payload)) if isinstance(payload, dict) else "(decided in its transaction)"


def _dedup_key(kind: str) -> str:
    """Identifies the `kind` event of this exact Twilio request: a retry carries the same URL and form."""
    digest = hashlib.sha256(f"{kind}\0{request.full_path}".encode())
    for key, value in sorted(request.form.items(multi=True)):
        digest.update(f"\0{key}={value}".encode())
    return digest.hexdigest()[:40]
