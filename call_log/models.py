"""Tables of the call log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import JSON

from directory.models import Association
from helpline.db import Base, UTCDateTime

# How a call ended for the caller. While a call is in progress its outcome is what it would be if the
# caller hung up now: None in the menu (then "abandoned_in_menu"), "missed" while a phone rings.
OUTCOMES = (
    "connected_association",
    "connected_operator",
    "voicemail",
    "missed",
    "abandoned_in_menu",
    "failed",
)


class Call(Base):
    """One call (or contact): the summary that the events build up."""

    __tablename__ = "call"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_sid: Mapped[str] = mapped_column(String(64), unique=True)
    channel: Mapped[str] = mapped_column(String(20), default="ivr")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    caller: Mapped[str] = mapped_column(String(80), default="")
    caller_country: Mapped[str] = mapped_column(String(2), default="")
    called: Mapped[str] = mapped_column(String(20), default="")
    status: Mapped[str] = mapped_column(String(20), default="ringing")
    status_sequence: Mapped[int | None] = mapped_column(Integer)
    duration_s: Mapped[int | None] = mapped_column(Integer)
    category_code: Mapped[str | None] = mapped_column(ForeignKey("service_category.code"), index=True)
    association_id: Mapped[int | None] = mapped_column(
        ForeignKey("association.id", ondelete="SET NULL"), index=True
    )
    outcome: Mapped[str | None] = mapped_column(String(40), index=True)
    menu_path: Mapped[str] = mapped_column(String(100), default="")
    commune_insee: Mapped[str | None] = mapped_column(String(5))

    association: Mapped[Association | None] = relationship()
    events: Mapped[list[CallEvent]] = relationship(
        back_populates="call", order_by="CallEvent.seq", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Call {self.call_sid} {self.status} {self.outcome}>"


class CallEvent(Base):
    """One step of a call's timeline; never updated once written."""

    __tablename__ = "call_event"
    __table_args__ = (
        UniqueConstraint("call_id", "seq"),
        UniqueConstraint("call_id", "dedup_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("call.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Identifies the Twilio request that produced the event, so that a retried request adds nothing.
    dedup_key: Mapped[str | None] = mapped_column(String(64))

    call: Mapped[Call] = relationship(back_populates="events")

    def __repr__(self) -> str:
        return f"<CallEvent {self.seq} {self.kind}>"
