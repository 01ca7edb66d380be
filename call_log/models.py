"""Tables of the call log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import JSON

from call_log.codes import CallbackState, CallStatus, Channel, FollowUpState, NoticeResult
from directory.models import Association
from foundation.db import Base, UTCDateTime

# The observatory of demand: where the person who needs the service lives, for whom, how the caller heard
# of the number. The voice menu asks them, operators complete them, exports and reports read them.
PLACE_FIELDS = ("commune_insee", "postal_code", "in_territory", "departement")
OBSERVATORY_FIELDS = (*PLACE_FIELDS, "beneficiary", "heard_from")


class Call(Base):
    """One call (or contact): the summary that the events build up."""

    __tablename__ = "call"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_sid: Mapped[str] = mapped_column(String(64), unique=True)
    channel: Mapped[str] = mapped_column(String(20), default=Channel.IVR)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    caller: Mapped[str] = mapped_column(String(80), default="")
    caller_country: Mapped[str] = mapped_column(String(2), default="")
    called: Mapped[str] = mapped_column(String(20), default="")
    status: Mapped[str] = mapped_column(String(20), default=CallStatus.RINGING)
    status_sequence: Mapped[int | None] = mapped_column(Integer)
    duration_s: Mapped[int | None] = mapped_column(Integer)
    category_code: Mapped[str | None] = mapped_column(ForeignKey("service_category.code"), index=True)
    association_id: Mapped[int | None] = mapped_column(
        ForeignKey("association.id", ondelete="SET NULL"), index=True
    )
    outcome: Mapped[str | None] = mapped_column(String(40), index=True)  # an Outcome
    menu_path: Mapped[str] = mapped_column(String(100), default="")
    # The observatory: where the service is needed, for whom, how the caller heard of the number.
    commune_insee: Mapped[str | None] = mapped_column(String(5), index=True)
    postal_code: Mapped[str | None] = mapped_column(String(5))
    in_territory: Mapped[bool | None] = mapped_column(Boolean)
    departement: Mapped[str | None] = mapped_column(String(3))
    beneficiary: Mapped[str | None] = mapped_column(String(20))
    heard_from: Mapped[str | None] = mapped_column(String(40))
    # Where the caller is: the area libphonenumber gives for the number (a French landline's region).
    caller_area: Mapped[str] = mapped_column(String(100), default="")
    # A keyed hash of the full number, to count distinct callers whatever the privacy setting shows.
    caller_key: Mapped[str | None] = mapped_column(String(32), index=True)
    after_hours: Mapped[bool] = mapped_column(Boolean, default=False)
    # The number the caller typed to be called back on, kept here rather than in a URL (Twilio logs those)
    # until the voicemail makes it a callback request; None: call back the number the call came from.
    callback_number: Mapped[str | None] = mapped_column(String(20))
    notes: Mapped[str] = mapped_column(Text, default="")

    association: Mapped[Association | None] = relationship()
    events: Mapped[list[CallEvent]] = relationship(
        # In the order they happened: a write replayed from the journal comes in later than it was made.
        back_populates="call",
        order_by="[CallEvent.at, CallEvent.seq]",
        cascade="all, delete-orphan",
    )
    transfers: Mapped[list[TransferAttempt]] = relationship(
        back_populates="call", order_by="TransferAttempt.attempt", cascade="all, delete-orphan"
    )
    referrals: Mapped[list[Referral]] = relationship(
        back_populates="call", order_by="Referral.id", cascade="all, delete-orphan"
    )
    callbacks: Mapped[list[CallbackRequest]] = relationship(
        back_populates="call", order_by="CallbackRequest.id", cascade="all, delete-orphan"
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


class TransferAttempt(Base):
    """One time the IVR rang someone for the caller: an association, or all operators at once."""

    __tablename__ = "transfer_attempt"
    __table_args__ = (UniqueConstraint("call_id", "attempt"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("call.id", ondelete="CASCADE"), index=True)
    attempt: Mapped[int] = mapped_column(Integer)
    target: Mapped[str] = mapped_column(String(20))  # a TransferTarget
    association_id: Mapped[int | None] = mapped_column(
        ForeignKey("association.id", ondelete="SET NULL"), index=True
    )
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Twilio's DialCallStatus (completed, no-answer, busy, failed, canceled), or None while ringing.
    result: Mapped[str | None] = mapped_column(String(20))
    duration_s: Mapped[int | None] = mapped_column(Integer)

    call: Mapped[Call] = relationship(back_populates="transfers")
    association: Mapped[Association | None] = relationship()


class Referral(Base):
    """A caller sent to an association (by the IVR or an operator), and how the association followed up."""

    __tablename__ = "referral"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("call.id", ondelete="CASCADE"), index=True)
    association_id: Mapped[int | None] = mapped_column(
        ForeignKey("association.id", ondelete="SET NULL"), index=True
    )
    category_code: Mapped[str | None] = mapped_column(ForeignKey("service_category.code"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    source: Mapped[str] = mapped_column(String(20))  # a ReferralSource
    created_by: Mapped[str] = mapped_column(String(80), default="")
    follow_up: Mapped[str] = mapped_column(String(20), default=FollowUpState.PENDING, index=True)
    contacted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    quote_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    notes: Mapped[str] = mapped_column(Text, default="")
    # Whether the person agreed that the association gets their number to call them back, and that number
    # (in full: the association needs it); without consent the association's notice carries no contact.
    contact_consent: Mapped[bool] = mapped_column(Boolean, default=False)
    contact_number: Mapped[str | None] = mapped_column(String(20))
    # The latest follow-up the association gave through its personal link (None: never used it).
    link_answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    call: Mapped[Call] = relationship(back_populates="referrals")
    association: Mapped[Association | None] = relationship()
    notices: Mapped[list[ReferralNotice]] = relationship(
        back_populates="referral", order_by="ReferralNotice.id", cascade="all, delete-orphan"
    )


class ReferralNotice(Base):
    """One message sent (or tried) to an association about a referral: the notice, then maybe a reminder.

    The row is also the claim: (referral, purpose, channel) is unique, so with several processes exactly one
    sends each message.
    """

    __tablename__ = "referral_notice"
    __table_args__ = (UniqueConstraint("referral_id", "purpose", "channel"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referral.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(20))  # a NoticePurpose
    channel: Mapped[str] = mapped_column(String(20))  # a NoticeChannel
    to: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    result: Mapped[str] = mapped_column(String(20), default=NoticeResult.SENDING)  # a NoticeResult
    error: Mapped[str] = mapped_column(Text, default="")

    referral: Mapped[Referral] = relationship(back_populates="notices")


class CallbackRequest(Base):
    """A voicemail to call back: the operators' queue, oldest first."""

    __tablename__ = "callback_request"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("call.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    # The number to call back, in full: the operators need it, whatever the call log shows.
    callback_number: Mapped[str] = mapped_column(String(20), default="")
    recording_url: Mapped[str] = mapped_column(String(500), default="")
    recording_sid: Mapped[str] = mapped_column(String(64), default="")
    recording_duration_s: Mapped[int | None] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(20), default=CallbackState.OPEN, index=True)
    assigned_to: Mapped[str | None] = mapped_column(String(80))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    notes: Mapped[str] = mapped_column(Text, default="")

    call: Mapped[Call] = relationship(back_populates="callbacks")


class PrivacyAudit(Base):
    """One purge, erasure or export of personal data: when, by whom or what, how many of each kind.

    The daily purge claims its day here (`claim` is unique), so that one process runs it.
    """

    __tablename__ = "privacy_audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    action: Mapped[str] = mapped_column(String(20))  # a PrivacyAction
    by: Mapped[str] = mapped_column(String(200))
    claim: Mapped[str | None] = mapped_column(String(40), unique=True)
    status: Mapped[str] = mapped_column(String(20), default="done")  # running, done or failed
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    counts: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    error: Mapped[str] = mapped_column(Text, default="")

    def __repr__(self) -> str:
        return f"<PrivacyAudit {self.action} {self.at} {self.counts}>"


class RecordRead(Base):
    """A console user opened or exported a call's record: its audit trail of reads (see call_log.reads)."""

    __tablename__ = "record_read"
    __table_args__ = (Index("ix_record_read_call_id_by_at", "call_id", "by", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("call.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    by: Mapped[str] = mapped_column(String(80))
    via: Mapped[str] = mapped_column(String(20))  # a ReadVia

    def __repr__(self) -> str:
        return f"<RecordRead {self.call_id} {self.by} {self.at}>"


class WebSubmission(Base):
    """One request the public form accepted, counted while recent to limit what one address may send.

    The address is kept only as a keyed hash, and only as long as it counts (see `call_log.web_requests`).
    """

    __tablename__ = "web_submission"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_key: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
