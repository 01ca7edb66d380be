"""Recorded prompts: audio files staff upload to be played instead of a prompt's text-to-speech.

What the console calls (names and signatures it relies on):

- `recordable_prompts(config)`: which prompts can be recorded, with their current text;
- `store(session, prompt, filename, data, *, by, now)`: checks an upload (`check_audio`) and keeps it, or
  raises `RecordingRefusedError` with a French sentence for staff;
- `audio_path(recording_id, sha256, key)`: the path the app serves the file at (to listen to it);
- then `ivr.staff_settings.save(..., recordings={prompt_key: recording_id})` makes calls play it.

A recording is played only where its prompt is said as it is: a text with a {placeholder} has a part that
changes from call to call, which a recording cannot say. The file is served from a capability URL: its
token is an HMAC of the recording's id and content, so only URLs the app wrote can be fetched, and a new
file has a new URL (Twilio caches what it fetched, by URL).
"""

from __future__ import annotations

import hashlib
import hmac
import io
import string
import wave
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from mutagen import MutagenError
from mutagen.mp3 import MP3
from sqlalchemy import select
from sqlalchemy.orm import Session

from foundation.config import Config
from foundation.config.menu import Prompts
from ivr.models import PromptRecording
from ivr.twiml import Recorded

MAX_BYTES = 5_000_000
MIN_DURATION_MS = 300
MAX_DURATION_MS = 60_000
WAV, MP3_TYPE = "audio/wav", "audio/mpeg"
_EXTENSIONS = {WAV: "wav", MP3_TYPE: "mp3"}
# Where the app serves the files (the adapter `ivr.webhooks.audio` routes it).
AUDIO_PREFIX = "/ivr/audio"
_MENU_PROMPTS = ("menu.greeting", "menu.prompt")


class RecordingRefusedError(ValueError):
    """An upload that cannot be played to callers; the message says why, in French, for staff."""


def _has_placeholder(text: str) -> bool:
    return any(field is not None for _, field, _, _ in string.Formatter().parse(text))


def _prompt_keys() -> list[str]:
    """Every prompt a recording may stand for: the menu's greeting and prompt, the fixed sentences."""
    fixed = [
        f"prompts.{name}"
        for name, field in Prompts.model_fields.items()
        if isinstance(field.default, str) and not _has_placeholder(field.default)
    ]
    return [*_MENU_PROMPTS, *fixed]


def _text_of(config: Config, key: str) -> str:
    section, name = key.split(".", 1)
    text: str = getattr(config.menu if section == "menu" else config.prompts, name)
    return text


def recordable_prompts(config: Config) -> dict[str, str]:
    """Prompt key ('menu.greeting', 'prompts.voicemail'...) → its text now, for each prompt one may record."""
    # Whether a sentence has a variable part is the code's doing (it fills the default's placeholders):
    # a brace staff typed in is said as it is, so the default texts decide.
    return {key: str(_text_of(config, key)) for key in _prompt_keys()}


def _seconds(duration_ms: int) -> str:
    """A duration for staff, in French: '75 s', '0,2 s'."""
    return f"{duration_ms / 1000:.1f}".rstrip("0").rstrip(".").replace(".", ",") + " s"


def _wav_duration_ms(data: bytes) -> int:
    try:
        with wave.open(io.BytesIO(data), "rb") as audio:
            frames, rate = audio.getnframes(), audio.getframerate()
    except (wave.Error, EOFError, ValueError) as unreadable:
        raise RecordingRefusedError(
            "Ce fichier WAV est illisible ou n'est pas en PCM : "
            "enregistrez-le en WAV PCM (16 bits, mono) ou en MP3."
        ) from unreadable
    if rate <= 0 or frames <= 0:
        raise RecordingRefusedError("Ce fichier WAV ne contient aucun son.")
    return round(frames * 1000 / rate)


def _mp3_duration_ms(data: bytes) -> int:
    try:
        info = MP3(io.BytesIO(data)).info  # type: ignore[no-untyped-call]
    except (MutagenError, ValueError, EOFError) as unreadable:
        raise RecordingRefusedError("Ce fichier MP3 est illisible.") from unreadable
    length: float = info.length if info is not None else 0.0
    return round(length * 1000)


def _is_mp3(data: bytes) -> bool:
    """An ID3 tag, or an MPEG audio layer III frame's sync at the very start."""
    if data.startswith(b"ID3"):
        return True
    return len(data) >= 4 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0 and (data[1] >> 1) & 0b11 == 0b01


def check_audio(filename: str, data: bytes) -> tuple[str, int]:
    """The content type and length (ms) of an upload Twilio can play; RecordingRefusedError otherwise.

    The format is read from the content, not from `filename` (kept only to name the file to staff).
    """
    if not data:
        raise RecordingRefusedError("Le fichier est vide.")
    if len(data) > MAX_BYTES:
        size = f"{len(data) / 1_000_000:.1f}".replace(".", ",")
        raise RecordingRefusedError(f"Le fichier fait {size} Mo : {MAX_BYTES // 1_000_000} Mo au plus.")
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        content_type, duration_ms = WAV, _wav_duration_ms(data)
    elif _is_mp3(data):
        content_type, duration_ms = MP3_TYPE, _mp3_duration_ms(data)
    else:
        raise RecordingRefusedError("Ce fichier n'est ni un WAV ni un MP3.")
    if duration_ms < MIN_DURATION_MS:
        raise RecordingRefusedError(
            f"L'enregistrement dure {_seconds(duration_ms)} : {_seconds(MIN_DURATION_MS)} au moins."
        )
    if duration_ms > MAX_DURATION_MS:
        raise RecordingRefusedError(
            f"L'enregistrement dure {_seconds(duration_ms)} : {_seconds(MAX_DURATION_MS)} au plus."
        )
    return content_type, duration_ms


def store(
    session: Session, prompt: str, filename: str, data: bytes, *, by: str, now: datetime
) -> PromptRecording:
    """Check `data` and keep it as a recording of `prompt`; RecordingRefusedError says what is wrong.

    Kept, not yet heard: calls play it once a settings version maps `prompt` to it (`staff_settings.save`).
    """
    if prompt not in _prompt_keys():
        raise RecordingRefusedError(
            f"« {prompt} » n'est pas un message que l'on peut enregistrer "
            "(il n'existe pas, ou une partie change à chaque appel)."
        )
    content_type, duration_ms = check_audio(filename, data)
    recording = PromptRecording(
        prompt=prompt,
        filename=filename[:200],
        content_type=content_type,
        data=data,
        size=len(data),
        duration_ms=duration_ms,
        sha256=hashlib.sha256(data).hexdigest(),
        uploaded_at=now,
        uploaded_by=by[:80],
    )
    session.add(recording)
    session.flush()
    return recording


def audio_token(recording_id: int, sha256: str, key: str) -> str:
    """The capability token of one recording's content: an HMAC of its id and digest."""
    message = f"{recording_id}:{sha256}".encode()
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()[:32]


def token_matches(recording_id: int, sha256: str, key: str, token: str) -> bool:
    """Whether `token` is the recording's token (compared in constant time)."""
    return hmac.compare_digest(audio_token(recording_id, sha256, key), token)


def audio_path(recording_id: int, sha256: str, key: str, *, content_type: str = MP3_TYPE) -> str:
    """The URL path the app serves a recording at: /ivr/audio/<id>/<token>.<ext>.

    The extension is for people reading the URL (Twilio goes by the Content-Type served).
    """
    extension = _EXTENSIONS.get(content_type, "mp3")
    return f"{AUDIO_PREFIX}/{recording_id}/{audio_token(recording_id, sha256, key)}.{extension}"


@dataclass(frozen=True)
class Audio:
    """A recording's content as served."""

    sha256: str
    content_type: str
    data: bytes


def load_audio(session: Session, recording_id: int) -> Audio | None:
    """The content of recording `recording_id`, or None if there is none."""
    row = session.get(PromptRecording, recording_id)
    return Audio(row.sha256, row.content_type, row.data) if row is not None else None


def playable(session: Session, recordings: Mapping[str, int], key: str) -> dict[str, tuple[int, str]]:
    """Prompt key → (recording id, audio path), for the recordings of `recordings` whose file exists.

    One read, without the files' content.
    """
    found = {
        row.id: row
        for row in session.execute(
            select(PromptRecording.id, PromptRecording.sha256, PromptRecording.content_type).where(
                PromptRecording.id.in_(set(recordings.values()))
            )
        )
    }
    return {
        prompt: (
            number,
            audio_path(number, found[number].sha256, key, content_type=found[number].content_type),
        )
        for prompt, number in recordings.items()
        if number in found
    }


def with_recordings(config: Config, paths: Mapping[str, str]) -> Config:
    """`config` whose recordable prompts in `paths` (prompt key → audio path) are `Recorded` texts.

    A key that names no recordable prompt (any more) keeps its text. model_copy does not validate again,
    so the str subclass reaches the TwiML as it is.
    """
    recordable = recordable_prompts(config)
    chosen = {key: Recorded(recordable[key], path) for key, path in paths.items() if key in recordable}
    menu = {key.split(".", 1)[1]: text for key, text in chosen.items() if key.startswith("menu.")}
    prompts = {key.split(".", 1)[1]: text for key, text in chosen.items() if key.startswith("prompts.")}
    if not chosen:
        return config
    return config.model_copy(
        update={
            "menu": config.menu.model_copy(update=menu),
            "prompts": config.prompts.model_copy(update=prompts),
        }
    )
