"""The voice journey's actions on the call log, by name, so that a write can wait in the journal.

A webhook's write names its action and gives its arguments as data (see `call_log.writes.CallWrite`);
these are the functions the names stand for, made now or when the journal is replayed.
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy.orm import Session

from call_log.journey import end_transfer, finish_recording, leave_voicemail, start_transfer
from call_log.models import Call
from call_log.recording import apply_status
from call_log.writes import Action, CallWrite
from ivr.line import pseudonymise


class JourneyAction(StrEnum):
    """What a voice webhook's write does besides its event and summary."""

    # No longer written (the caller's key is in the new call's INSERT); kept so that older journals replay.
    PSEUDONYMISE = "pseudonymise"
    START_TRANSFER = "start_transfer"
    END_TRANSFER = "end_transfer"
    CALLBACK_NUMBER = "callback_number"
    LEAVE_VOICEMAIL = "leave_voicemail"
    FINISH_RECORDING = "finish_recording"
    APPLY_STATUS = "apply_status"


def journey_actions(*, caller_key_secret: str | None) -> dict[str, Action]:
    """Each action's function; the secret that keys callers' hashes never goes in the journal."""

    def pseudonymise_caller(_session: Session, call: Call, write: CallWrite) -> None:
        pseudonymise(call, str(write.args["number"]), secret=caller_key_secret)

    return {
        JourneyAction.PSEUDONYMISE: pseudonymise_caller,
        JourneyAction.START_TRANSFER: _start_transfer,
        JourneyAction.END_TRANSFER: _end_transfer,
        JourneyAction.CALLBACK_NUMBER: _callback_number,
        JourneyAction.LEAVE_VOICEMAIL: _leave_voicemail,
        JourneyAction.FINISH_RECORDING: _finish_recording,
        JourneyAction.APPLY_STATUS: _apply_status,
    }


def _start_transfer(session: Session, call: Call, write: CallWrite) -> int:
    """Number the attempt (to the event's association, or the operators), then put on the call what the
    journey collected; the attempt's number."""
    association_id = write.payload.get("association_id")
    attempt = start_transfer(
        session,
        call,
        association_id=association_id if isinstance(association_id, int) else None,
        now=write.at,
    )
    # After the attempt is numbered, so that its query does not flush the answers half-way.
    for name, value in dict(write.args["observatory"]).items():
        setattr(call, name, value)
    return attempt


def _end_transfer(session: Session, call: Call, write: CallWrite) -> None:
    end_transfer(
        session,
        call,
        target=write.args["target"],
        attempt=write.args["attempt"],
        result=write.args["result"],
        duration_s=write.args["duration_s"],
        association_id=write.args["association_id"],
        connected=bool(write.args["connected"]),
        now=write.at,
        # Absent from writes journaled before the consent question existed: no consent.
        consent=bool(write.args.get("consent")),
        contact_number=write.args.get("contact_number"),
    )


def _callback_number(_session: Session, call: Call, write: CallWrite) -> None:
    call.callback_number = write.args["typed"]


def _leave_voicemail(session: Session, call: Call, write: CallWrite) -> None:
    leave_voicemail(
        session,
        call,
        after_hours=bool(write.args["after_hours"]),
        # A number typed earlier in the call wins over the one it came from.
        callback_number=call.callback_number or str(write.args["caller_number"]),
        recording_url=write.args["recording_url"],
        recording_sid=write.args["recording_sid"],
        duration_s=write.args["duration_s"],
        now=write.at,
    )


def _finish_recording(session: Session, _call: Call, write: CallWrite) -> None:
    finish_recording(
        session,
        recording_sid=write.args["recording_sid"],
        status=write.args["status"],
        recording_url=write.args["recording_url"],
        duration_s=write.args["duration_s"],
    )


def _apply_status(_session: Session, call: Call, write: CallWrite) -> None:
    apply_status(
        call,
        status=write.args["status"],
        sequence=write.args["sequence"],
        duration_s=write.args["duration_s"],
        now=write.at,
    )
