"""What callers hear: every prompt of the menu and of `prompts`, its default, a preview, and its length.

Each prompt is saved on its own, so that two people rewording two prompts never undo each other. A prompt
on the path of a caller who wants one service is flagged when that path takes more than 30 s before the
ring (`ivr.speaking_time`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from console.context import effective
from console.settings_pages.prompt_words import PLACEHOLDERS, PROMPT_GROUPS, PROMPT_NAMES, anchor_of
from console.settings_pages.recordings_page import RecordingView, recordings_in_use
from console.settings_pages.state import Refused, apply, base, settings_now
from foundation.config import Config
from foundation.config.menu import placeholders
from foundation.runtime import runtime
from ivr.recordings import MAX_BYTES, recordable_prompts
from ivr.speaking_time import one_service_path, path_limit, seconds


@dataclass(frozen=True)
class PromptView:
    """One prompt as the page shows it."""

    key: str
    name: str
    text: str
    default: str
    seconds: float
    parts: dict[str, str]
    # Seconds it takes on the one-service path when that path is too long, else None.
    too_long: float | None
    recordable: bool = False
    recording: RecordingView | None = None

    @property
    def anchor(self) -> str:
        """The prompt's id in the page."""
        return anchor_of(self.key)


def text_of(config: Config, key: str) -> str:
    """The text of prompt `key` ('menu.greeting', 'prompts.voicemail') in `config`."""
    section, name = key.split(".")
    found: str = getattr(getattr(config, section), name)
    return found


def path_seconds(config: Config) -> tuple[float, dict[str, float]]:
    """How long a one-service caller hears the line before the ring, and each prompt's share of it."""
    path = one_service_path(config)
    return sum(share for _, share in path), dict(path)


def views(
    config: Config, typed: dict[str, str] | None = None, recorded: dict[str, RecordingView] | None = None
) -> list[tuple[str, list[PromptView]]]:
    """Every prompt by group, as `config` says it (or as it was just typed), with its recording if any."""
    recordable = set(recordable_prompts(config))
    total, shares = path_seconds(config)
    defaults = base()
    groups = []
    for group, prompts in PROMPT_GROUPS:
        shown = []
        for key, name in prompts:
            text = (typed or {}).get(key, text_of(config, key))
            default = text_of(defaults, key)
            parts = {part: PLACEHOLDERS.get(part, part) for part in sorted(placeholders(default))}
            flagged = shares.get(key) if total > path_limit(config) else None
            recording = (recorded or {}).get(key)
            spoken = recording.seconds if recording else seconds(text)
            view = PromptView(key, name, text, default, spoken, parts, flagged, key in recordable, recording)
            shown.append(view)
        groups.append((group, shown))
    return groups


def _default(key: str) -> str:
    """The text a prompt has when nothing sets it: config.yaml's, else the schema's."""
    return text_of(base(), key)


def prompts_page() -> ResponseReturnValue:
    """Every prompt, with its form."""
    return _render()


def _render(
    *, typed: dict[str, str] | None = None, errors: Any = None, status: int = 200
) -> ResponseReturnValue:
    with runtime().sessions() as session:
        heard = effective(session)
        recorded = recordings_in_use(session, dict(heard.recordings))
    config = heard.config
    total, _ = path_seconds(config)
    return (
        render_template(
            "console/settings/prompts.html",
            groups=views(config, typed, recorded),
            max_mb=MAX_BYTES // 1_000_000,
            total=total,
            limit=path_limit(config),
            errors=errors or {},
        ),
        status,
    )


def save_prompt(key: str) -> ResponseReturnValue:
    """A prompt's new text (or its default again)."""
    if key not in PROMPT_NAMES:
        abort(404)
    text = " ".join(request.form.get("text", "").split())
    if request.form.get("reset") == "1":
        text = _default(key)
    if not text:
        return _render(
            typed={key: text}, errors={key: [f"{PROMPT_NAMES[key]} : le texte est obligatoire."]}, status=400
        )
    section, name = key.split(".")
    result = apply(
        lambda document: document[section].update({name: text}), f"Message « {PROMPT_NAMES[key]} »"
    )
    if isinstance(result, Refused):
        return _render(
            typed={key: text},
            errors={key: result.at(key) or [line for _, line in result.problems]},
            status=400,
        )
    heard = settings_now()
    total, _ = path_seconds(heard.config)
    flash(f"« {PROMPT_NAMES[key]} » enregistré : le prochain appel l'entend.", "success")
    if key in heard.recordings:
        flash(
            f"« {PROMPT_NAMES[key]} » : l'enregistrement est toujours joué à la place du texte ; "
            "retirez-le pour faire entendre le nouveau texte.",
            "error",
        )
    limit = path_limit(heard.config)
    if total > limit:
        flash(
            f"Attention : un appelant qui veut un seul service entend maintenant environ {total:.0f} s "
            f"avant la sonnerie ({limit:.0f} s au plus). Raccourcissez les messages signalés.",
            "error",
        )
    return redirect(url_for("console.settings.prompts_page") + "#" + anchor_of(key))
