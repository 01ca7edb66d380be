"""Tables of the voice line: what staff change while it runs (the override, versioned settings, recorded
prompts) and secrets."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import JSON

from foundation.db import Base, UTCDateTime


class LineSetting(Base):
    """A named setting of the line, changed without a restart (read at each call)."""

    __tablename__ = "line_setting"

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by: Mapped[str] = mapped_column(String(80), default="")


class SettingsVersion(Base):
    """One version of the settings staff change from the console (see `foundation.config.staff`).

    The newest version is what calls hear; an older one is never changed, and restoring it adds a new
    version with its content. `document` has config.yaml's shape for the staff sections; `recordings` maps a
    prompt's key ('menu.greeting', 'prompts.voicemail') to the recorded file played instead of its text.
    """

    __tablename__ = "settings_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(80), default="")
    summary: Mapped[str] = mapped_column(String(300), default="")
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    recordings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    restored_from: Mapped[int | None] = mapped_column(ForeignKey("settings_version.id"), nullable=True)


class PromptRecording(Base):
    """An audio file staff uploaded for one prompt, served to Twilio's <Play>; kept once uploaded."""

    __tablename__ = "prompt_recording"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    prompt: Mapped[str] = mapped_column(String(60))
    filename: Mapped[str] = mapped_column(String(200), default="")
    content_type: Mapped[str] = mapped_column(String(40))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    size: Mapped[int] = mapped_column(Integer)
    duration_ms: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    uploaded_by: Mapped[str] = mapped_column(String(80), default="")
