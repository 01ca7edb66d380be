"""Tables of the voice line: settings staff change while it runs (the open/closed override) and secrets."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String
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
