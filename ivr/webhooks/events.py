"""This request's event in the call log, written without ever failing the call.

Twilio retries requests, so each event carries a key derived from the request: a retry adds nothing and
changes nothing. A write that fails is logged, with its payload for replay by hand, and the caller goes on.
"""

from __future__ import annotations

import hashlib
import logging
import traceback
from collections.abc import Callable
from typing import Any, TypeVar

from flask import request
from sqlalchemy.orm import Session

from call_log.models import Call, CallEvent
from call_log.privacy import mask_numbers
from call_log.recording import add_event, find_event, open_call
from foundation.runtime import runtime

logger = logging.getLogger(__name__)

T = TypeVar("T")


def log_event(
    kind: str,
    payload: dict[str, Any] | Callable[[Session, Call], dict[str, Any] | None],
    *,
    opening: dict[str, str] | None = None,
    summary: dict[str, Any] | None = None,
    then: Callable[[Session, Call], T] | None = None,
    again: Callable[[Session, Call, CallEvent], T] | None = None,
    call_sid: str | None = None,
) -> T | None:
    """Record an event of this request's call, update its summary, then run `then`; never fails the call.

    The summary is only updated, and `then` only run, when the event is new, so that a retried request
    changes nothing; a retry runs `again` instead, with the event the first request logged, so that it can
    answer what the first one answered. Returns what `then` (or `again`) returned, or None.

    `payload` can be decided in the same transaction, by a function of the session and the call: what it
    reads and what `then` writes cannot be interleaved with a concurrent request (the rotation among
    equal associations relies on it). If it returns None, no event is logged and `then` is not run.
    """
    call_sid = call_sid if call_sid is not None else request.form.get("CallSid", "")
    if not call_sid.startswith("CA") or len(call_sid) > 64:
        logger.warning("No usable CallSid in %s; %s not logged: %s", request.path, kind, payload)
        return None
    rt = runtime()
    result: T | None = None
    try:
        with rt.sessions() as session, session.begin():
            now = rt.clock()
            call = open_call(session, call_sid=call_sid, now=now, **(opening or {}))
            dedup_key = _dedup_key(kind)
            decided = payload(session, call) if callable(payload) else payload
            if decided is None:
                return None
            event = add_event(session, call, kind, decided, now=now, dedup_key=dedup_key)
            if event is None:
                logged = find_event(session, call, dedup_key) if again is not None else None
                return again(session, call, logged) if again is not None and logged is not None else None
            for name, value in (summary or {}).items():
                setattr(call, name, value)
            if then is not None:
                result = then(session, call)
    except Exception:
        # The caller must go on; the request itself is in the log line for replay by hand.
        log_failure(logger, "Could not log %s for call %s: %s", kind, call_sid, payload)
    return result


def log_failure(log: logging.Logger, message: str, *args: object) -> None:
    """Log `message` and the exception being handled, with every phone number in them masked."""
    log.error("%s\n%s", mask_numbers(message % args), mask_numbers(traceback.format_exc().rstrip()))


def _dedup_key(kind: str) -> str:
    """Identifies the `kind` event of this exact Twilio request: a retry carries the same URL and form."""
    digest = hashlib.sha256(f"{kind}\0{request.full_path}".encode())
    for key, value in sorted(request.form.items(multi=True)):
        digest.update(f"\0{key}={value}".encode())
    return digest.hexdigest()[:40]
