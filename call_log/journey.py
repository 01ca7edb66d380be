"""What the voice journey writes in the call log: transfers and how they went, voicemails, recordings.

Each function takes a Session and never commits: the webhook that calls it owns the transaction (and only
calls it for an event that is new, so that a retried Twilio request changes nothing).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from call_log.codes import EventKind, Outcome, ReferralSource, TransferTarget
from call_log.models import Call, CallbackRequest, CallEvent, TransferAttempt
from call_log.record import new_referral
from directory.routing import record_offer

# Twilio's RecordingStatus once the recording's file is final.
RECORDING_COMPLETED = "completed"


def start_transfer(session: Session, call: Call, *, association_id: int | None, now: datetime) -> int:
    """Record that the call rings an association (or, with None, the operators); the attempt's number.

    An association also takes its turn in the rotation among its equals. The webhook records each attempt
    with its `transfer` event, so the n-th attempt is the one of the call's n-th `transfer` event.
    """
    last = session.scalar(select(func.max(TransferAttempt.attempt)).where(TransferAttempt.call_id == call.id))
    attempt = (last or 0) + 1
    session.add(
        TransferAttempt(
            call_id=call.id,
            attempt=attempt,
            target=TransferTarget.OPERATORS if association_id is None else TransferTarget.ASSOCIATION,
            association_id=association_id,
            started_at=now,
        )
    )
    if association_id is not None:
        record_offer(session, association_id, at=now)
        call.association_id = association_id
    if call.outcome in (None, Outcome.ABANDONED_IN_MENU):
        # What it stays if nobody answers and no message is left. An outcome set already is not undone:
        # an attempt that reaches the log late (a write held up by a hung database) is not the last word.
        call.outcome = Outcome.MISSED
    return attempt


def attempt_of(session: Session, call: Call, transfer_event: CallEvent) -> int:
    """The number of the attempt that `transfer_event` started: the rank of the call's `transfer` events."""
    rank = session.scalar(
        select(func.count())
        .select_from(CallEvent)
        .where(
            CallEvent.call_id == call.id,
            CallEvent.kind == EventKind.TRANSFER,
            CallEvent.seq <= transfer_event.seq,
        )
    )
    return rank or 0


def end_transfer(
    session: Session,
    call: Call,
    *,
    target: str,
    attempt: int | None,
    result: str,
    duration_s: int | None,
    association_id: int | None,
    connected: bool,
    now: datetime,
    consent: bool = False,
    contact_number: str | None = None,
) -> None:
    """Record how transfer `attempt` ended; an association that took the call gets the referral.

    `consent` is the caller's answer to whether the association may get `contact_number` to call back.

    Without its number (the attempt waited in the journal, so the dial's URL could not carry it), it is
    the call's latest attempt to that target that has not ended: Twilio rings one after the other.
    """
    query = select(TransferAttempt).where(TransferAttempt.call_id == call.id)
    if attempt is not None:
        query = query.where(TransferAttempt.attempt == attempt)
    else:
        query = query.where(
            TransferAttempt.target == target,
            TransferAttempt.association_id.is_(None)
            if association_id is None
            else TransferAttempt.association_id == association_id,
            TransferAttempt.result.is_(None),
        )
    transfer = session.scalar(query.order_by(TransferAttempt.attempt.desc()).limit(1))
    if transfer is not None:
        transfer.result, transfer.duration_s = result, duration_s
    if connected and target == TransferTarget.ASSOCIATION:
        call.outcome, call.association_id = Outcome.CONNECTED_ASSOCIATION, association_id
        new_referral(
            session,
            call,
            association_id=association_id,
            source=ReferralSource.IVR,
            now=now,
            consent=consent,
            contact_number=contact_number,
        )
    elif connected and call.outcome != Outcome.UNMET:
        call.outcome = Outcome.CONNECTED_OPERATOR


def leave_voicemail(
    session: Session,
    call: Call,
    *,
    after_hours: bool,
    callback_number: str,
    recording_url: str,
    recording_sid: str,
    duration_s: int | None,
    now: datetime,
) -> None:
    """Record the caller's voicemail as a request for the operators to call back."""
    call.outcome = Outcome.AFTER_HOURS_VOICEMAIL if after_hours else Outcome.VOICEMAIL
    session.add(
        CallbackRequest(
            call_id=call.id,
            created_at=now,
            callback_number=callback_number,
            recording_url=recording_url,
            recording_sid=recording_sid,
            recording_duration_s=duration_s,
        )
    )


def finish_recording(
    session: Session, *, recording_sid: str, status: str, recording_url: str, duration_s: int | None
) -> None:
    """Keep a completed recording's final URL and duration on the callback request it belongs to."""
    callback = session.scalar(select(CallbackRequest).where(CallbackRequest.recording_sid == recording_sid))
    if callback is not None and status == RECORDING_COMPLETED:
        callback.recording_url = recording_url or callback.recording_url
        callback.recording_duration_s = duration_s or callback.recording_duration_s
