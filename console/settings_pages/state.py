"""What the settings pages share: the settings calls hear now, and a change kept as a new version.

The pages read the settings afresh (a console page is not on a call's path) and change them through
`ivr.staff_settings`, so that a change is validated by config.yaml's own schema and kept with who and when.
A refused change comes back as French lines, each naming the setting in the console's words.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import current_app

from console.access import current_account
from console.context import effective, now
from console.settings_pages.prompt_words import PROMPT_NAMES
from foundation.config import Config
from foundation.config.values import DAY_NAMES_FR, DAYS
from foundation.db import transaction
from foundation.runtime import runtime
from ivr.models import SettingsVersion
from ivr.staff_settings import Effective, EffectiveCache, SettingsRefusedError, change


def base() -> Config:
    """config.yaml, as this process read it: what the settings pages show as the default."""
    cache: EffectiveCache = current_app.extensions["ivr.settings"]
    return cache.base


def settings_now() -> Effective:
    """The settings calls hear now, read in a transaction of their own."""
    with runtime().sessions() as session:
        return effective(session)


@dataclass(frozen=True)
class Refused:
    """A change the schema refused: each problem as (path, French line naming the setting)."""

    problems: list[tuple[str, str]]

    def at(self, prefix: str) -> list[str]:
        """The lines about a setting and what it holds (`hours.mon`, `menu.options`)."""
        return [
            line
            for path, line in self.problems
            if path == prefix or path.startswith((prefix + ".", prefix + "["))
        ]


def apply(edit: Callable[[dict[str, Any]], None], summary: str) -> SettingsVersion | Refused:
    """The current settings changed by `edit`, kept as a new version by the signed-in user; or why not."""
    try:
        with transaction(runtime().sessions) as session:
            return change(session, base(), edit, by=current_account().username, now=now(), summary=summary)
    except SettingsRefusedError as refused:
        return Refused([explained(problem) for problem in refused.problems])


def replace_in(
    items: list[dict[str, Any]], matches: Callable[[dict[str, Any]], bool], new: dict[str, Any] | None
) -> int:
    """Put `new` in place of the first item that `matches` (remove it when `new` is None); its index.

    LookupError when no item matches: someone changed or removed it meanwhile.
    """
    for index, old in enumerate(items):
        if matches(old):
            if new is None:
                del items[index]
            else:
                items[index] = {**old, **new}
            return index
    raise LookupError("changed meanwhile")


# A problem line is "path : why"; the path is the YAML path of the setting.
_PROBLEM = re.compile(r"^(?P<path>[a-z_]+(?:[.\[][^ ]*)?) : (?P<why>.*)$", re.S)
_SECTIONS = {
    "hours": "Horaires",
    "calendar": "Calendrier",
    "operators": "Téléphones des opérateurs",
    "menu": "Menu",
    "prompts": "Messages",
}
_FIELDS = {
    **dict(zip(DAYS, DAY_NAMES_FR, strict=True)),
    "closures": "fermeture",
    "start": "début",
    "end": "fin",
    "reason": "motif",
    "message": "message",
    "name": "nom",
    "phone": "numéro",
    "account": "compte",
    "options": "choix",
    "say": "texte",
    "key": "touche",
    "category": "service",
    "greeting": "accueil",
    "prompt": "invitation",
    "closed_on_holidays": "jours fériés",
}


def explained(problem: str) -> tuple[str, str]:
    """(path, line) for a problem of the schema: 'menu.options : …' reads 'Menu, choix : …'."""
    found = _PROBLEM.match(problem)
    if found is None:
        return "", problem
    path = found["path"]
    return path, f"{setting_words(path)} : {found['why']}"


def setting_words(path: str) -> str:
    """A YAML path in the console's words: 'calendar.closures[1].end' is 'Calendrier, fermeture 2, fin'."""
    prompt = re.match(r"(?:prompts\.[a-z_]+|menu\.(?:greeting|prompt))$", path)
    if prompt:
        return f"Messages, {PROMPT_NAMES[path].lower()}" if path in PROMPT_NAMES else "Messages"
    parts = re.findall(r"[a-z_]+|\[\d+\]", path)
    words: list[str] = []
    for part in parts:
        if part.startswith("["):
            if words:
                words[-1] += f" {int(part[1:-1]) + 1}"
            continue
        if not words:
            words.append(_SECTIONS.get(part, part))
        else:
            words.append(_FIELDS.get(part, part.replace("_", " ")))
    return ", ".join(words)
