"""The settings staff change while the line runs: versions kept in the database, and what a call hears.

Each change is a new `SettingsVersion`, with who, when and a summary; restoring an older version adds a new
one with its content, so that the history only grows. What a call hears is the newest version laid over
config.yaml (`foundation.config.staff`), compiled once per process and version: a webhook reads only the
newest version's number (`head`), and a version that cannot be read or no longer validates is skipped for
the last good one (the file's config at worst), so that the line keeps answering.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from directory.reference import taxonomy
from foundation.config import Config
from foundation.config.errors import format_error
from foundation.config.staff import StaffDocumentError, staff_document, with_staff_document
from ivr.flow import Flow, compile_flow
from ivr.models import SettingsVersion
from ivr.recordings import playable, recordable_prompts, with_recordings

logger = logging.getLogger(__name__)

# How many older versions a process tries when the newest one no longer validates.
FALLBACK_DEPTH = 5


class SettingsRefusedError(ValueError):
    """A change that does not validate; `problems` are French lines naming each setting and why."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def categories() -> list[str]:
    """The service categories a menu key may send (the taxonomy's codes)."""
    return [row.code for row in taxonomy()]


def build_flow(config: Config) -> Flow:
    """The voice journey compiled from `config`, with the taxonomy's words for speech."""
    rows = [row for row in taxonomy() if row.code != "AUTRE"]
    return compile_flow(
        config,
        labels={row.code: row.label for row in taxonomy()},
        # A category answers to its label; a sub-category to its label and its synonyms.
        speech_phrases={row.code: [row.label, *(row.synonyms if row.parent_code else ())] for row in rows},
    )


def validated(base: Config, document: Mapping[str, Any]) -> Config:
    """`base` with `document`'s sections, or SettingsRefusedError naming every bad setting."""
    try:
        return with_staff_document(base, document, categories=categories())
    except ValidationError as invalid:
        raise SettingsRefusedError(
            [format_error(error) for error in invalid.errors(include_url=False)]
        ) from None
    except StaffDocumentError as invalid:
        raise SettingsRefusedError([str(invalid)]) from None


@dataclass(frozen=True)
class Effective:
    """What calls hear: the settings of one version (None: config.yaml alone), compiled.

    `recordings` are the recorded prompts played (prompt key → recording id): in `config` (and so in
    `flow`) their texts are `ivr.twiml.Recorded`.
    """

    version: int | None
    config: Config
    flow: Flow
    recordings: Mapping[str, int] = field(default_factory=dict)


def version_recordings(version: SettingsVersion) -> dict[str, int]:
    """The recordings a version maps its prompts to (prompt key → recording id)."""
    return {str(key): int(value) for key, value in (version.recordings or {}).items()}


def effective(
    base: Config, version: SettingsVersion | None, *, audio: Mapping[str, tuple[int, str]] | None = None
) -> Effective:
    """The settings of `version` over `base`; raises SettingsRefusedError if they no longer validate.

    `audio` (prompt key → recording id and audio path, see `recordings.playable`) are the recordings whose
    file exists: those prompts are played, the others said.
    """
    if version is None:
        return Effective(None, base, build_flow(base))
    config = with_recordings(
        validated(base, version.document), {key: path for key, (_, path) in (audio or {}).items()}
    )
    played = {key: number for key, (number, _) in (audio or {}).items() if key in recordable_prompts(config)}
    return Effective(version.id, config, build_flow(config), played)


_HEAD = select(func.max(SettingsVersion.id))


def head(session: Session) -> int | None:
    """The number of the newest version, None while staff changed nothing (one indexed read).

    Read by every voice webhook: a statement built once, on the session's connection (no ORM round).
    """
    found: int | None = session.connection().scalar(_HEAD)
    return found


def newest(session: Session) -> SettingsVersion | None:
    """The newest version, or None."""
    return session.scalars(select(SettingsVersion).order_by(SettingsVersion.id.desc()).limit(1)).first()


def current(session: Session, base: Config, *, audio_key: str | None = None) -> Effective:
    """What calls hear now, read afresh: the newest version that validates, else config.yaml.

    With `audio_key` (the key of the audio URLs' tokens), the version's recorded prompts whose file still
    exists are played (one more read, without the files); without it, every prompt is said.
    """
    for version in session.scalars(
        select(SettingsVersion).order_by(SettingsVersion.id.desc()).limit(FALLBACK_DEPTH)
    ):
        recorded = version_recordings(version)
        audio: dict[str, tuple[int, str]] = {}
        if audio_key is not None and recorded:
            audio = playable(session, recorded, audio_key)
            for key in sorted(recorded.keys() - audio.keys()):
                logger.warning("Recording %s of %s is gone: its text is said instead", recorded[key], key)
        try:
            return effective(base, version, audio=audio)
        except SettingsRefusedError as refused:
            logger.error("Settings version %s is not valid any more, skipped: %s", version.id, refused)
    return effective(base, None)


def save(
    session: Session,
    base: Config,
    document: Mapping[str, Any],
    *,
    by: str,
    now: datetime,
    summary: str,
    recordings: Mapping[str, int] | None = None,
    restored_from: int | None = None,
) -> SettingsVersion:
    """Keep `document` (the staff sections, whole) as the newest version; refused if it does not validate.

    `recordings` default to the newest version's: a change of the calendar keeps the recorded prompts.
    """
    config = validated(base, document)
    if recordings is None:
        latest = newest(session)
        recordings = dict(latest.recordings) if latest is not None else {}
    version = SettingsVersion(
        created_at=now,
        created_by=by[:80],
        summary=summary[:300],
        # Stored as the schema writes it back: what was validated, in config.yaml's shape.
        document=staff_document(config),
        recordings=dict(recordings),
        restored_from=restored_from,
    )
    session.add(version)
    session.flush()
    return version


def change(
    session: Session,
    base: Config,
    edit: Callable[[dict[str, Any]], None],
    *,
    by: str,
    now: datetime,
    summary: str,
) -> SettingsVersion:
    """A new version from the current settings changed by `edit` (which changes the document in place)."""
    document = staff_document(current(session, base).config)
    edit(document)
    return save(session, base, document, by=by, now=now, summary=summary)


def restore(session: Session, base: Config, number: int, *, by: str, now: datetime) -> SettingsVersion:
    """Make version `number` what calls hear again, as a new version; KeyError if there is none."""
    old = session.get(SettingsVersion, number)
    if old is None:
        raise KeyError(number)
    return save(
        session,
        base,
        old.document,
        by=by,
        now=now,
        summary=f"Retour à la version {number}",
        recordings=old.recordings,
        restored_from=number,
    )


def history(session: Session, *, limit: int = 100) -> list[SettingsVersion]:
    """The versions, newest first."""
    return list(session.scalars(select(SettingsVersion).order_by(SettingsVersion.id.desc()).limit(limit)))


class EffectiveCache:
    """What calls hear, per process: compiled once per version, checked against the newest version's number.

    `get` takes the newest version's number a request read; a number not seen before loads and compiles the
    settings once (the newest version that validates). When the number cannot be read (the database is slow
    or down), `last` is what calls hear: the last good settings. `audio_key` keys the recorded prompts' URLs:
    every loader of a process (webhooks, console) goes through `load`, so that a version is compiled with its
    recordings whoever loads it first.
    """

    def __init__(self, base: Config, *, audio_key: str | None = None) -> None:
        self._base = base
        self._audio_key = audio_key
        self._lock = threading.Lock()
        self._seen: tuple[int | None, Effective] | None = None

    @property
    def base(self) -> Config:
        """config.yaml, as the process read it."""
        return self._base

    @property
    def audio_key(self) -> str | None:
        """The key of the recorded prompts' URLs (None: recordings are not played)."""
        return self._audio_key

    def load(self, session: Session) -> Effective:
        """What calls hear now, read afresh in `session` (with the recorded prompts whose file exists)."""
        return current(session, self._base, audio_key=self._audio_key)

    def last(self) -> Effective:
        """The settings last loaded (config.yaml's before any)."""
        seen = self._seen
        if seen is None:
            seen = self._seen = (None, effective(self._base, None))
        return seen[1]

    def get(self, head_number: int | None, load: Callable[[], Effective]) -> Effective:
        """The settings for the newest version `head_number`, calling `load` once for a number not seen."""
        seen = self._seen
        if seen is not None and seen[0] == head_number:
            return seen[1]
        with self._lock:
            seen = self._seen
            if seen is not None and seen[0] == head_number:
                return seen[1]
            loaded = load()
            self._seen = (head_number, loaded)
            return loaded
