"""The voicemail: read back the number we will call back (or take another), record, and queue the callback.

The number never travels in a URL (Twilio logs every URL it fetches): a typed one is kept on the call row,
and the voicemail's callback request takes it from there, or else the caller's own number from Twilio's form.
"""

from __future__ import annotations

from flask import Response, request, url_for
from twilio.twiml.voice_response import VoiceResponse

from call_log.codes import EventKind
from foundation.runtime import Runtime
from ivr import twiml
from ivr.journey_writes import JourneyAction
from ivr.phone import say_number, typed_number
from ivr.webhooks.blueprint import answer, bp, caller_number, int_param, line_voice
from ivr.webhooks.events import log_event
from ivr.webhooks.settings import voice_runtime


def ask_callback_number(rt: Runtime, *, closed: bool, texts: list[str]) -> VoiceResponse:
    """Read back the number we will call back and let the caller confirm it (1) or type another (then #)."""
    prompts = rt.config.prompts
    number = caller_number()
    question = (
        prompts.callback_number.format(number=say_number(number))
        if number
        else prompts.callback_number_missing
    )
    flag = "1" if closed else ""
    return twiml.ask(
        line_voice(rt.config),
        [*texts, question],
        action=url_for("ivr.callback_number", closed=flag),
        on_silence=url_for("ivr.record", closed=flag),
        timeout_s=rt.config.menu.gather_timeout_s,
        num_digits=None,
    )


@bp.post("/callback-number")
def callback_number() -> Response:
    """The caller confirmed their number or typed another one: now the voicemail."""
    rt = voice_runtime()
    digits = request.form.get("Digits", "")[:20]
    typed = typed_number(digits) if digits and digits != "1" else None
    log_event(
        EventKind.CALLBACK_NUMBER,
        {
            "confirmed": digits == "1",
            "typed": typed is not None,
            "unusable": bool(digits) and digits != "1" and typed is None,
        },
        action=JourneyAction.CALLBACK_NUMBER,
        args={"typed": typed},
    )
    return answer(
        record_message(
            rt,
            closed=bool(request.args.get("closed")),
            texts=[rt.config.prompts.voicemail],
        )
    )


@bp.post("/record")
def record() -> Response:
    """No answer to the number question: record the voicemail for the number we have."""
    rt = voice_runtime()
    return answer(
        record_message(
            rt,
            closed=bool(request.args.get("closed")),
            texts=[rt.config.prompts.voicemail],
        )
    )


def record_message(rt: Runtime, *, closed: bool, texts: list[str]) -> VoiceResponse:
    """Say `texts`, then record the caller's message to be called back."""
    return twiml.record_voicemail(
        line_voice(rt.config),
        texts,
        action=url_for("ivr.voicemail", closed="1" if closed else ""),
        status_callback=url_for("ivr.recording_status"),
        max_length_s=rt.config.transfer.voicemail_max_s,
        no_message=rt.config.prompts.no_message,
    )


@bp.post("/voicemail")
def voicemail() -> Response:
    """A voicemail was recorded: a callback request for the operators; thank the caller and hang up."""
    rt = voice_runtime()
    form = request.form
    duration = int_param(form.get("RecordingDuration"))
    url, sid = form.get("RecordingUrl", "")[:500], form.get("RecordingSid", "")[:64]
    voice = line_voice(rt.config)
    # An unreadable duration with a recording is still a message: the caller was about to be thanked.
    if duration == 0 or (duration is None and not url):
        log_event(EventKind.VOICEMAIL_EMPTY, {"recording_sid": sid})
        return answer(twiml.goodbye(voice, [rt.config.prompts.no_message]))
    closed = bool(request.args.get("closed"))
    log_event(
        EventKind.VOICEMAIL,
        {"recording_url": url, "recording_sid": sid, "duration_s": duration},
        action=JourneyAction.LEAVE_VOICEMAIL,
        args={
            "after_hours": closed,
            "caller_number": caller_number(),
            "recording_url": url,
            "recording_sid": sid,
            "duration_s": duration,
        },
    )
    return answer(twiml.goodbye(voice, [rt.config.prompts.thanks_message]))
