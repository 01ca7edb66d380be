"""Recorded prompts: a WAV or MP3 file played instead of a prompt's text-to-speech, and its removal.

The file is checked (`ivr.recordings.store`: format by content, size, length) and kept; a new settings
version then maps the prompt to it, so that the next call plays it, and removing it is a new version
without it (the call says the text again). Every upload stays in the database: restoring an older version
brings its recordings back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from flask import abort, current_app, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select
from sqlalchemy.orm import Session, load_only

from console.access import current_account
from console.context import effective, now
from console.settings_pages.prompt_words import PROMPT_NAMES, anchor_of
from console.settings_pages.state import base
from foundation.config.staff import staff_document
from foundation.db import transaction
from foundation.runtime import runtime
from ivr.models import PromptRecording
from ivr.recordings import MAX_BYTES, RecordingRefusedError, audio_path, recordable_prompts, store
from ivr.staff_settings import EffectiveCache, save


@dataclass(frozen=True)
class RecordingView:
    """A recording in use, as the prompts page shows it."""

    filename: str
    seconds: float
    uploaded_at: datetime
    uploaded_by: str
    path: str


def recordings_in_use(session: Session, recordings: dict[str, int]) -> dict[str, RecordingView]:
    """Prompt key → the recording played for it (without the files' content)."""
    cache: EffectiveCache = current_app.extensions["ivr.settings"]
    if not recordings or cache.audio_key is None:
        return {}
    columns = (
        PromptRecording.id,
        PromptRecording.filename,
        PromptRecording.duration_ms,
        PromptRecording.uploaded_at,
        PromptRecording.uploaded_by,
        PromptRecording.sha256,
        PromptRecording.content_type,
    )
    rows = {
        row.id: row
        for row in session.scalars(
            select(PromptRecording)
            .options(load_only(*columns))
            .where(PromptRecording.id.in_(set(recordings.values())))
        )
    }
    return {
        key: RecordingView(
            row.filename,
            row.duration_ms / 1000,
            row.uploaded_at,
            row.uploaded_by,
            audio_path(row.id, row.sha256, cache.audio_key, content_type=row.content_type),
        )
        for key, number in recordings.items()
        if (row := rows.get(number)) is not None
    }


def _with_recordings(change: Callable[[dict[str, int]], object], summary: str) -> None:
    """A new version of the settings in force with their recordings changed by `change`."""
    with transaction(runtime().sessions) as session:
        now_heard = effective(session)
        recordings = dict(now_heard.recordings)
        change(recordings)
        save(
            session,
            base(),
            staff_document(now_heard.config),
            by=current_account().username,
            now=now(),
            summary=summary,
            recordings=recordings,
        )


def _back(key: str) -> ResponseReturnValue:
    return redirect(url_for("console.settings.prompts_page") + "#" + anchor_of(key))


def upload_recording(key: str) -> ResponseReturnValue:
    """Check an uploaded file and play it for this prompt from the next call."""
    if key not in recordable_prompts(base()):
        abort(404)
    name = PROMPT_NAMES[key]
    if (request.content_length or 0) > MAX_BYTES + 100_000:
        flash(f"« {name} » : le fichier dépasse {MAX_BYTES // 1_000_000} Mo ; rien n'a été changé.", "error")
        return _back(key)
    upload = request.files.get("audio")
    if upload is None or not upload.filename:
        flash(f"« {name} » : choisissez un fichier WAV ou MP3 à envoyer.", "error")
        return _back(key)
    data = upload.read(MAX_BYTES + 1)
    try:
        with transaction(runtime().sessions) as session:
            recording = store(session, key, upload.filename, data, by=current_account().username, now=now())
            number = recording.id
    except RecordingRefusedError as refused:
        flash(f"« {name} » : {refused} Rien n'a été changé.", "error")
        return _back(key)
    _with_recordings(lambda recordings: recordings.update({key: number}), f"Enregistrement « {name} »")
    flash(f"« {name} » : l'enregistrement {upload.filename} est joué dès le prochain appel.", "success")
    return _back(key)


def remove_recording(key: str) -> ResponseReturnValue:
    """Say the prompt's text again instead of its recording, from the next call."""
    if key not in PROMPT_NAMES:
        abort(404)
    name = PROMPT_NAMES[key]
    _with_recordings(lambda recordings: recordings.pop(key, None), f"Enregistrement retiré « {name} »")
    flash(f"« {name} » : l'enregistrement est retiré ; les appelants entendent le texte.", "success")
    return _back(key)
