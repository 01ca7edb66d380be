"""No caller stranded: whatever fails in a voice webhook, the answer still gets the caller to a human.

Twilio's own failure mode ("an application error has occurred", then hang-up) must be unreachable: a
failed webhook answers the next safe step, built without the database, and Twilio's fallback URL rings
the operators.
"""

from __future__ import annotations

import logging

from flask import Response, g, request
from werkzeug.exceptions import HTTPException

from call_log.codes import EventKind, TransferTarget
from call_log.privacy import mask_numbers
from ivr import twiml
from ivr.webhooks.blueprint import answer, bp, line_voice
from ivr.webhooks.events import log_event, log_failure
from ivr.webhooks.settings import known_runtime
from ivr.webhooks.transfers import dial_operators
from ivr.webhooks.voicemail import record_message

logger = logging.getLogger(__name__)


@bp.errorhandler(Exception)
def rescue(error: Exception) -> Response | tuple[str, int]:
    """Whatever failed, answer TwiML that still reaches a human (or the voicemail, or a goodbye)."""
    if isinstance(error, HTTPException) and error.code is not None and error.code < 500:
        return error.description or "", error.code
    log_failure(logger, "Webhook %s failed; the caller is sent on without it", request.path)
    g.webhook_failed = True
    if request.endpoint in {"ivr.status", "ivr.recording_status"}:
        return "", 204
    log_event(
        EventKind.WEBHOOK_ERROR,
        {"endpoint": request.endpoint or "", "error": mask_numbers(repr(error))[:500]},
    )
    return _emergency()


def failed_here() -> bool:
    """Whether this request's webhook failed and was answered by `rescue` (its status says nothing)."""
    return bool(g.get("webhook_failed"))


def _emergency() -> Response:
    """The next safe step for the caller, built without the database."""
    rt = known_runtime()
    voice, prompts = line_voice(rt.config), rt.config.prompts
    endpoint = request.endpoint or ""
    if endpoint in {"ivr.voicemail", "ivr.recording_status"}:
        return answer(twiml.goodbye(voice, [prompts.thanks_message]))
    if endpoint in {"ivr.whisper", "ivr.whisper_answer"}:
        return answer(twiml.bridge())
    if endpoint in {"ivr.callback_number", "ivr.record"} or (
        endpoint == "ivr.dial_result" and request.args.get("stage") == TransferTarget.OPERATORS
    ):
        return answer(record_message(rt, closed=False, texts=[prompts.voicemail]))
    return answer(dial_operators(rt, [prompts.technical_problem], whisper=None))


@bp.post("/fallback")
def fallback() -> Response:
    """Twilio's fallback URL: the primary webhook failed; log it and get the caller to a human."""
    # Twilio's ErrorUrl is a URL it fetched: one written before numbers stayed server-side may hold one.
    error = {
        "code": request.form.get("ErrorCode", "")[:20],
        "url": mask_numbers(request.form.get("ErrorUrl", "")[:500]),
    }
    logger.error("Twilio reported error %(code)s on %(url)s; answering from the fallback URL", error)
    # The answer waits for nothing: the event goes to the journal, replayed into the log within seconds.
    log_event(EventKind.TWILIO_ERROR, error, database=False)
    rt = known_runtime()
    return answer(dial_operators(rt, [rt.config.prompts.technical_problem], whisper=None))
