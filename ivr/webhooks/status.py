"""Twilio's status callbacks, for the call and for its recording: they update the log and answer 204."""

from __future__ import annotations

from flask import request

from call_log.codes import EventKind
from ivr.journey_writes import JourneyAction
from ivr.webhooks.blueprint import bp, int_param
from ivr.webhooks.events import log_event


@bp.post("/recording-status")
def recording_status() -> tuple[str, int]:
    """Twilio's recording status callback: keep the final recording URL on the callback request."""
    form = request.form
    recording_state = form.get("RecordingStatus", "")[:20]
    sid = form.get("RecordingSid", "")[:64]
    url = form.get("RecordingUrl", "")[:500]
    duration = int_param(form.get("RecordingDuration"))
    log_event(
        EventKind.RECORDING_STATUS,
        {"status": recording_state, "recording_sid": sid, "recording_url": url, "duration_s": duration},
        action=JourneyAction.FINISH_RECORDING,
        args={"recording_sid": sid, "status": recording_state, "recording_url": url, "duration_s": duration},
    )
    return "", 204


@bp.post("/status")
def status() -> tuple[str, int]:
    """Twilio's status callback: the call's final status and duration, whatever order callbacks come in."""
    form = request.form
    call_status = form.get("CallStatus", "")[:20]
    sequence = int_param(form.get("SequenceNumber"))
    duration = int_param(form.get("CallDuration"))
    log_event(
        EventKind.STATUS,
        {"status": call_status, "sequence": sequence, "duration_s": duration},
        action=JourneyAction.APPLY_STATUS,
        args={"status": call_status, "sequence": sequence, "duration_s": duration},
    )
    return "", 204
