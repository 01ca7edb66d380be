"""The settings' history: each change with who, when, what it changed (before and after), and a restore.

Restoring adds a new version with the old one's content (`ivr.staff_settings.restore`), so the history
only grows and a restore can itself be undone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue

from console.access import current_account
from console.context import now
from console.settings_pages.state import base, explained, setting_words, settings_now
from foundation.config.staff import staff_document
from foundation.db import transaction
from foundation.runtime import runtime
from ivr.models import SettingsVersion
from ivr.staff_settings import SettingsRefusedError, history, restore


@dataclass(frozen=True)
class Change:
    """One setting a version changed: its name in the console's words, before and after."""

    setting: str
    before: str
    after: str


def flattened(value: Any, path: str = "") -> dict[str, Any]:
    """Every leaf of a settings document by its YAML path ('menu.options[0].say')."""
    if isinstance(value, dict):
        found: dict[str, Any] = {}
        for key, inner in value.items():
            found.update(flattened(inner, f"{path}.{key}" if path else str(key)))
        return found
    if isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
        found = {}
        for index, inner in enumerate(value):
            found.update(flattened(inner, f"{path}[{index}]"))
        return found
    return {path: value}


def _shown(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, list):
        return " ".join(str(item) for item in value) or "—"
    return str(value)


def changes(before: dict[str, Any], after: dict[str, Any]) -> list[Change]:
    """What differs from `before` to `after`, setting by setting."""
    old, new = flattened(before), flattened(after)
    return [
        Change(setting_words(path), _shown(old.get(path)), _shown(new.get(path)))
        # In the document's order (the week's days, the menu's options), then what the newer one dropped.
        for path in [*new, *(path for path in old if path not in new)]
        if old.get(path) != new.get(path)
    ]


def history_page() -> ResponseReturnValue:
    """The versions, newest first, each with what it changed."""
    with runtime().sessions() as session:
        versions = history(session, limit=101)
    first = staff_document(base())
    rows = []
    for index, version in enumerate(versions[:100]):
        previous = versions[index + 1].document if index + 1 < len(versions) else first
        rows.append((version, changes(previous, version.document)))
    return render_template(
        "console/settings/history.html",
        rows=rows,
        live=settings_now().version,
    )


def restore_version(number: int) -> ResponseReturnValue:
    """Make an earlier version what callers hear again."""
    try:
        with transaction(runtime().sessions) as session:
            if session.get(SettingsVersion, number) is None:
                abort(404)
            created = restore(session, base(), number, by=current_account().username, now=now())
    except SettingsRefusedError as refused:
        why = " ".join(explained(problem)[1] for problem in refused.problems)
        flash(f"La version {number} ne peut plus servir : {why}", "error")
        return redirect(url_for("console.settings.history_page"))
    flash(
        f"Version {number} rétablie (enregistrée comme version {created.id}) : le prochain appel l'entend.",
        "success",
    )
    return redirect(url_for("console.settings.history_page"))
