"""Screening: the called party hears the request and presses 1 to take the call, before the bridge."""

from __future__ import annotations

from flask import Response, request, url_for

from call_log.codes import EventKind, TransferTarget
from ivr import twiml
from ivr.menu import CallState
from ivr.transfer_plan import describe_request
from ivr.webhooks.blueprint import answer, bp, line_voice
from ivr.webhooks.events import log_event
from ivr.webhooks.settings import flow, voice_runtime

WHISPER_TIMEOUT_S = 8


@bp.post("/whisper")
def whisper() -> Response:
    """What an association or an operator hears before being connected; they must press 1 to take the call."""
    rt = voice_runtime()
    prompts = rt.config.prompts
    request_text = describe_request(CallState.from_params(request.args), flow())
    if request.args.get("target") == TransferTarget.OPERATORS:
        text = prompts.whisper_operator.format(
            call=request.args.get("call") or "sans numéro", request=request_text
        )
    else:
        text = prompts.whisper_association.format(request=request_text)
    return answer(
        twiml.whisper(
            line_voice(rt.config), text, action=url_for("ivr.whisper_answer"), timeout_s=WHISPER_TIMEOUT_S
        )
    )


@bp.post("/whisper-answer")
def whisper_answer() -> Response:
    """1 connects the caller; anything else declines (the Dial then counts as not answered)."""
    if request.form.get("Digits") == "1":
        # The console shows who is on the line: the event goes to the caller's call, the parent leg.
        log_event(
            EventKind.TRANSFER_ACCEPTED,
            {"target": request.args.get("target", "")},
            call_sid=request.form.get("ParentCallSid", ""),
        )
        return answer(twiml.bridge())
    return answer(twiml.goodbye(line_voice(voice_runtime().config), []))
