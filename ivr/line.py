"""The line's live settings: the staff's override, and the keyed hash that pseudonymises callers."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from call_log.models import Call
from ivr.hours import Override
from ivr.models import LineSetting

OVERRIDE_KEY = "override"


# Read by every new call: built once, run on the session's connection (the ORM's load costs more).
_OVERRIDE = select(LineSetting.value).where(LineSetting.key == OVERRIDE_KEY)


def current_override(session: Session) -> Override | None:
    """The override staff set, if any (expired ones included: `Override.active` tells).

    Read on the connection, without the session's autoflush: an override set in the same session is seen
    only after a flush.
    """
    value = session.connection().scalar(_OVERRIDE)
    if not isinstance(value, dict) or value.get("mode") not in {"open", "closed"}:
        return None
    until = value.get("until")
    return Override(
        mode=value["mode"],
        until=datetime.fromisoformat(until) if until else None,
        message=value.get("message", ""),
    )


def set_override(session: Session, override: Override | None, *, by: str, now: datetime) -> None:
    """Force the line open or closed (None: back to its hours); takes effect on the next call."""
    setting = session.get(LineSetting, OVERRIDE_KEY) or LineSetting(key=OVERRIDE_KEY)
    setting.value = (
        {}
        if override is None
        else {
            "mode": override.mode,
            "until": override.until.isoformat() if override.until else None,
            "message": override.message,
        }
    )
    setting.updated_at, setting.updated_by = now, by
    session.add(setting)


def caller_key(number: str, *, secret: str | None) -> str | None:
    """A keyed hash of the caller's full number, to count distinct callers without keeping the number.

    The key is a secret from the environment (`Settings.caller_key_secret`), never kept in the database;
    None without a secret, or if the number is not in E.164 form.
    """
    if not number.startswith("+") or not secret:
        return None
    return hmac.new(secret.encode(), number.encode(), hashlib.sha256).hexdigest()[:32]


def pseudonymise(call: Call, number: str, *, secret: str | None) -> None:
    """Keep on the call the keyed hash of its caller's full number (see `caller_key`)."""
    call.caller_key = caller_key(number, secret=secret)
