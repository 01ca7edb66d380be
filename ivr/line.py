"""The line's live settings: the staff's open/closed override, and the key that pseudonymises callers."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from call_log.models import Call
from ivr.hours import Override
from ivr.models import LineSetting

OVERRIDE_KEY = "override"
CALLER_KEY_SALT = "caller_key_salt"


def current_override(session: Session) -> Override | None:
    """The override staff set, if any (expired ones included: `Override.active` tells)."""
    setting = session.get(LineSetting, OVERRIDE_KEY)
    if setting is None or setting.value.get("mode") not in {"open", "closed"}:
        return None
    until = setting.value.get("until")
    return Override(
        mode=setting.value["mode"],
        until=datetime.fromisoformat(until) if until else None,
        message=setting.value.get("message", ""),
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


def caller_key(session: Session, number: str, *, secret: str | None, now: datetime) -> str | None:
    """A keyed hash of the caller's full number, to count distinct callers without keeping the number.

    The key is HELPLINE_CALLER_HASH_SECRET if set, else a random salt kept in the database.
    """
    if not number.startswith("+"):
        return None
    return _keyed(secret or _salt(session, now), number)


def known_caller_key(session: Session, number: str, *, secret: str | None) -> str | None:
    """The key `caller_key` gives `number`, to find its calls; it writes nothing (a search is read-only).

    None if the number is not in E.164 form, or if no key exists yet: then no call has a key either.
    """
    if not number.startswith("+"):
        return None
    setting = session.get(LineSetting, CALLER_KEY_SALT)
    key = secret or (str(setting.value["salt"]) if setting is not None else None)
    return _keyed(key, number) if key else None


def _keyed(key: str, number: str) -> str:
    return hmac.new(key.encode(), number.encode(), hashlib.sha256).hexdigest()[:32]


def pseudonymise(session: Session, call: Call, number: str, *, secret: str | None, now: datetime) -> None:
    """Keep on the call the keyed hash of its caller's full number (see `caller_key`)."""
    call.caller_key = caller_key(session, number, secret=secret, now=now)


def stored_salt(session: Session) -> str | None:
    """The salt that keys callers' hashes when no secret is set, if one was committed already."""
    setting = session.get(LineSetting, CALLER_KEY_SALT)
    return str(setting.value["salt"]) if setting is not None else None


def _salt(session: Session, now: datetime) -> str:
    found = stored_salt(session)
    if found is not None:
        return found
    try:
        with session.begin_nested():
            session.add(
                LineSetting(key=CALLER_KEY_SALT, value={"salt": secrets.token_hex(32)}, updated_at=now)
            )
    except IntegrityError:
        pass  # another request created it first
    created = stored_salt(session)
    assert created is not None
    return created
