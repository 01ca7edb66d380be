"""The line now: open, closed or on its hours, until when, and what callers hear while it is closed.

The same state as `helpline line open|close|auto` (`ivr.line`): a call hears it from its next webhook.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from call_log.codes import LineState
from console.access import current_account, current_user_or_none
from console.context import now, tz
from console.settings_pages.state import settings_now
from foundation.db import transaction
from foundation.runtime import runtime
from foundation.text import check_no_controls
from ivr.hours import Override, line_status
from ivr.line import current_override, set_override

logger = logging.getLogger(__name__)

MODES = {
    "auto": "Selon les horaires et le calendrier",
    "open": "Ouverte maintenant, quels que soient les horaires",
    "closed": "Fermée maintenant",
}
MESSAGE_MAX = 500


@dataclass(frozen=True)
class Forced:
    """The line forced open or closed by staff, as every console page announces it."""

    mode: str
    until: datetime | None
    message: str


def forced_now() -> Forced | None:
    """The staff's override if it applies now (for the banner of every page), else None."""
    if current_user_or_none() is None:
        return None
    try:
        # A read-only, budgeted read: the page may hold a transaction of its own (SQLite's write lock).
        with runtime().voice_reads() as session:
            override = current_override(session)
    except Exception:
        logger.warning("Could not read the line's override for the banner", exc_info=True)
        return None
    if override is None or not override.active(now()):
        return None
    return Forced(override.mode, override.until, override.message)


def line() -> ResponseReturnValue:
    """The line's state now, and the form that forces it."""
    return _render({}, {})


def _render(values: dict[str, str], errors: dict[str, str], status: int = 200) -> ResponseReturnValue:
    with runtime().sessions() as session:
        override = current_override(session)
    config = settings_now().config
    moment = now()
    found = line_status(config, moment, override=override)
    active = override if override is not None and override.active(moment) else None
    shown = {
        "mode": active.mode if active else "auto",
        "until": f"{active.until.astimezone(tz()):%Y-%m-%dT%H:%M}" if active and active.until else "",
        "message": active.message if active else "",
        **values,
    }
    return (
        render_template(
            "console/settings/line.html",
            modes=MODES,
            state=LineState.label_of(found.reason),
            is_open=found.open,
            reopens_at=found.reopens_at,
            default_message=config.prompts.closed_override,
            values=shown,
            errors=errors,
        ),
        status,
    )


def save_line() -> ResponseReturnValue:
    """Force the line open or closed, or give it back to its hours."""
    values = {name: request.form.get(name, "").strip() for name in ("mode", "until", "message")}
    errors: dict[str, str] = {}
    mode = values["mode"]
    if mode not in MODES:
        errors["mode"] = "Choisissez l'un des trois états de la ligne."
    until: datetime | None = None
    if mode != "auto" and values["until"]:
        try:
            until = datetime.fromisoformat(values["until"]).replace(tzinfo=tz())
        except ValueError:
            errors["until"] = "Donnez une date et une heure, comme le 24/12/2026 à 18:00."
        else:
            if until <= now():
                errors["until"] = "Cette date est déjà passée : donnez une fin à venir, ou aucune."
    message = values["message"] if mode == "closed" else ""
    if len(message) > MESSAGE_MAX:
        errors["message"] = f"Le message fait {len(message)} caractères : {MESSAGE_MAX} au plus."
    else:
        try:
            check_no_controls(message)
        except ValueError as invisible:
            errors["message"] = f"Le message {invisible}."
    if errors:
        return _render(values, errors, 400)
    forced: Literal["open", "closed"] = "open" if mode == "open" else "closed"
    override = None if mode == "auto" else Override(forced, until, " ".join(message.split()))
    with transaction(runtime().sessions) as session:
        set_override(session, override, by=current_account().username, now=now())
    flash(_said(override), "success")
    return redirect(url_for("console.settings.line"))


def _said(override: Override | None) -> str:
    if override is None:
        return "La ligne suit à nouveau ses horaires et son calendrier."
    state = "ouverte" if override.mode == "open" else "fermée"
    if override.until is None:
        return f"La ligne est {state} jusqu'à ce que l'équipe la rende à ses horaires."
    return f"La ligne est {state} jusqu'au {override.until.astimezone(tz()):%d/%m/%Y à %H:%M}."
