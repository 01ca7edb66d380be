"""Twilio's webhooks: the voice journey, transfers with screening, voicemail, status and fallback callbacks.

Thin adapters: the menu engine and the transfer plan decide, `twiml` renders, `call_log` and `directory`
record and route. Two rules hold everywhere: a voice webhook always answers valid TwiML that leads to a
human, a voicemail or a spoken goodbye, and writing the call log never delays or breaks the call (a failed
write is logged and the caller goes on).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from flask import Blueprint, Flask, Response, current_app, request, url_for
from sqlalchemy.orm import Session
from twilio.request_validator import RequestValidator
from twilio.twiml.voice_response import VoiceResponse
from werkzeug.exceptions import HTTPException

from call_log.codes import Outcome, TransferTarget
from call_log.journey import end_transfer, finish_recording, leave_voicemail, start_transfer
from call_log.models import Call
from call_log.privacy import stored_caller
from call_log.recording import add_event, apply_status, open_call
from directory.reference import taxonomy
from directory.routing import Candidate, route
from foundation.config import Config
from foundation.runtime import Runtime, runtime
from ivr import twiml
from ivr.hours import LineStatus, closed_texts, line_status
from ivr.line import current_override, pseudonymise
from ivr.menu import (
    Ask,
    CallState,
    Flow,
    Input,
    Keys,
    NoInput,
    Route,
    Said,
    ToOperator,
    compile_flow,
    next_step,
    start,
)
from ivr.phone import caller_place, say_number, typed_number, usable_number
from ivr.questions import question
from ivr.sms import SmsSender, TwilioSms, can_receive_sms, referral_text
from ivr.transfer_plan import (
    OperatorReason,
    RingOperators,
    Transfer,
    after_dial,
    describe_request,
    next_association,
    observatory,
    operators_first,
    parse_tried,
    tried_param,
)

logger = logging.getLogger(__name__)


# --- the blueprint and what every webhook shares -------------------------------------------------------

bp = Blueprint("ivr", __name__, url_prefix="/ivr")


def flow() -> Flow:
    """The voice journey compiled from the app's config (see `init_app`)."""
    compiled: Flow = current_app.extensions["ivr.flow"]
    return compiled


def sms_sender() -> SmsSender | None:
    """What texts the caller, or None when texts are off."""
    sender: SmsSender | None = current_app.extensions.get("ivr.sms")
    return sender


def answer(response: VoiceResponse) -> Response:
    """The HTTP answer carrying a TwiML document."""
    return Response(str(response), mimetype="text/xml")


def int_param(value: str | None) -> int | None:
    """A whole number from Twilio's form or our own URL, or None when it is missing or not one."""
    return int(value) if value is not None and value.isdigit() and len(value) < 10 else None


def caller_number() -> str:
    """The caller's number if we can call it back, else ''."""
    return usable_number(request.form.get("From", ""))


# --- registration --------------------------------------------------------------------------------------


def init_app(app: Flask) -> None:
    """Register the webhooks and compile the voice journey of the app's config."""
    config: Config = app.extensions["helpline"].config
    rows = [row for row in taxonomy() if row.code != "AUTRE"]
    app.extensions["ivr.flow"] = compile_flow(
        config,
        labels={row.code: row.label for row in taxonomy()},
        # A category answers to its label; a sub-category to its label and its synonyms.
        speech_phrases={row.code: [row.label, *(row.synonyms if row.parent_code else ())] for row in rows},
    )
    settings = app.extensions["helpline"].settings
    app.extensions["ivr.sms"] = None
    if config.sms.enabled:
        if settings.twilio_account_sid and settings.twilio_auth_token:
            app.extensions["ivr.sms"] = TwilioSms(
                account_sid=settings.twilio_account_sid,
                auth_token=settings.twilio_auth_token,
                from_=config.helpline.number,
            )
        else:
            logger.warning(
                "sms.enabled is set but TWILIO_ACCOUNT_SID or TWILIO_AUTH_TOKEN is not: no texts sent."
            )
    app.register_blueprint(bp)


# --- security ------------------------------------------------------------------------------------------


@bp.before_request
def check_twilio_signature() -> Response | None:
    """Refuse (403) any request not signed by Twilio with our auth token, unless checks are off for dev."""
    settings = runtime().settings
    if settings.skip_signature_check:
        return None
    signature = request.headers.get("X-Twilio-Signature", "")
    url = signed_url()
    token = settings.twilio_auth_token
    if token and signature and RequestValidator(token).validate(url, request.form, signature):
        return None
    logger.warning(
        "Refused %s %s from %s: %s",
        request.method,
        url,
        request.remote_addr,
        "missing X-Twilio-Signature" if not signature else "invalid X-Twilio-Signature",
    )
    return Response(
        "Forbidden: this URL only answers requests signed by Twilio.\n", 403, mimetype="text/plain"
    )


def signed_url() -> str:
    """The URL Twilio signed: HELPLINE_PUBLIC_URL (or this request's host) + path + query."""
    base = runtime().settings.public_url or request.host_url.rstrip("/")
    query = request.query_string.decode("latin-1")
    return f"{base}{request.path}" + (f"?{query}" if query else "")


# --- never strand a caller -----------------------------------------------------------------------------


@bp.errorhandler(Exception)
def rescue(error: Exception) -> Response | tuple[str, int]:
    """Whatever failed, answer TwiML that still reaches a human (or the voicemail, or a goodbye)."""
    if isinstance(error, HTTPException) and error.code is not None and error.code < 500:
        return error.description or "", error.code
    logger.exception("Webhook %s failed; the caller is sent on without it", request.path)
    if request.endpoint in {"ivr.status", "ivr.recording_status"}:
        return "", 204
    log_event("webhook_error", {"endpoint": request.endpoint or "", "error": repr(error)[:500]})
    return _emergency()


def _emergency() -> Response:
    """The next safe step for the caller, built without the database."""
    rt = runtime()
    voice, prompts = twiml.Voice.of(rt.config), rt.config.prompts
    endpoint = request.endpoint or ""
    if endpoint in {"ivr.voicemail", "ivr.recording_status"}:
        return answer(twiml.goodbye(voice, [prompts.thanks_message]))
    if endpoint in {"ivr.whisper", "ivr.whisper_answer"}:
        return answer(twiml.bridge())
    if endpoint in {"ivr.callback_number", "ivr.record"} or (
        endpoint == "ivr.dial_result" and request.args.get("stage") == TransferTarget.OPERATORS
    ):
        return answer(record_message(rt, callback=caller_number(), closed=False, texts=[prompts.voicemail]))
    return answer(dial_operators(rt, [prompts.technical_problem], whisper=None))


@bp.post("/fallback")
def fallback() -> Response:
    """Twilio's fallback URL: the primary webhook failed; log it and get the caller to a human."""
    error = {"code": request.form.get("ErrorCode", ""), "url": request.form.get("ErrorUrl", "")}
    logger.error("Twilio reported error %(code)s on %(url)s; answering from the fallback URL", error)
    log_event("twilio_error", error)
    rt = runtime()
    return answer(dial_operators(rt, [rt.config.prompts.technical_problem], whisper=None))


# --- the voice journey ---------------------------------------------------------------------------------


@bp.post("/voice")
def voice() -> Response:
    """A new call: log it, then the main menu, or, when the line is closed, say so and take a message."""
    rt = runtime()
    now = rt.clock()
    form = request.form
    number = form.get("From", "")
    status = _line_status(rt)
    secret = rt.settings.caller_hash_secret
    caller = stored_caller(number, rt.config.privacy.caller_number, secret=secret)
    country, area = caller_place(number, form.get("FromCountry", ""))
    log_event(
        "call_started",
        {"caller": caller, "to": form.get("To", ""), "line": status.reason},
        opening={"caller": caller, "caller_country": country, "called": form.get("To", "")[:20]},
        summary={"caller_area": area, "after_hours": not status.open}
        | ({} if status.open else {"outcome": Outcome.AFTER_HOURS_NO_MESSAGE}),
        then=lambda session, call: pseudonymise(session, call, number, secret=secret, now=now),
    )
    if not status.open:
        texts = closed_texts(rt.config, status, rt.clock())
        return answer(ask_callback_number(rt, closed=True, texts=texts))
    return _ask(start(), greeting=True)


def _line_status(rt: Runtime) -> LineStatus:
    """Open or closed now; an unreadable schedule or override fails open (callers reach the menu)."""
    now = rt.clock()
    try:
        with rt.sessions() as session:
            override = current_override(session)
    except Exception:
        logger.exception("Could not read the line's override; using the hours alone")
        override = None
    try:
        return line_status(rt.config, now, override=override)
    except Exception:
        logger.exception("Could not compute opening hours; the line stays open")
        return LineStatus(open=True, reason="open")


@bp.post("/menu")
def menu() -> Response:
    """An answer in the journey (keys, words, or nothing before the timeout): the engine says what is next."""
    state = CallState.from_params(request.args)
    form = request.form
    given: Input
    if request.args.get("timeout"):
        given = NoInput()
    elif form.get("SpeechResult"):
        given = Said(form["SpeechResult"][:300], _confidence(form.get("Confidence"), default=1.0))
    else:
        given = Keys(form.get("Digits", "")[:20])
    log_event(
        "menu_input",
        {
            "phase": state.phase,
            "node": state.node,
            "digits": given.digits if isinstance(given, Keys) else None,
            "speech": given.text if isinstance(given, Said) else None,
            "timeout": isinstance(given, NoInput),
        },
    )
    step = next_step(flow(), state, given)
    if isinstance(step, Ask):
        return _ask(step)
    return transfer(step)


def _ask(step: Ask, *, greeting: bool = False) -> Response:
    """Render a question of the journey, its answer (or silence) coming back to the menu webhook."""
    rt = runtime()
    asked = question(step, flow(), rt.config.prompts, greeting=greeting)
    params: dict[str, Any] = step.state.to_params()
    return answer(
        twiml.ask(
            twiml.Voice.of(rt.config),
            asked.texts,
            action=url_for("ivr.menu", **params),
            on_silence=url_for("ivr.menu", timeout="1", **params),
            timeout_s=rt.config.menu.gather_timeout_s,
            num_digits=asked.num_digits,
            speech_hints=asked.speech_hints,
            speech_only=asked.speech_only,
        )
    )


def _confidence(value: str | None, *, default: float) -> float:
    """Twilio's speech Confidence, between 0 and 1; `default` when missing or unreadable."""
    try:
        number = float(value) if value is not None else default
    except ValueError:
        return default
    return min(max(number, 0.0), 1.0)


# --- transfers -----------------------------------------------------------------------------------------


def transfer(step: Route | ToOperator, *, tried: tuple[int, ...] = ()) -> Response:
    """Ring the next association that can take the request, else the operators."""
    rt = runtime()
    prompts = rt.config.prompts
    state = step.state
    plan = operators_first(step, prompts, tried=tried) or _next_association(rt, state, tried=tried)
    if isinstance(plan, RingOperators):
        if plan.event is not None:
            log_event(plan.event.kind, plan.event.payload, summary=plan.event.summary)
        return _to_operators(rt, state, plan.texts, reason=plan.reason)
    candidate = plan.candidate
    attempt, _call_id = _start_attempt(rt, state, candidate=candidate)
    params: dict[str, Any] = state.to_params()
    return answer(
        twiml.dial(
            twiml.Voice.of(rt.config),
            [plan.text],
            [candidate.phone],
            action=url_for(
                "ivr.dial_result",
                stage=TransferTarget.ASSOCIATION,
                association=str(candidate.association_id),
                attempt=str(attempt or ""),
                tried=tried_param(plan.tried),
                **params,
                # The text after a referral needs them; the signed URL carries them, no lookup needed.
                **(_referral_params(candidate) if sms_sender() else {}),
            ),
            caller_id=rt.config.helpline.number,
            timeout_s=rt.config.transfer.association_timeout_s,
            whisper=url_for("ivr.whisper", target=TransferTarget.ASSOCIATION, **params),
        )
    )


def _next_association(rt: Runtime, state: CallState, *, tried: tuple[int, ...]) -> Transfer:
    """The directory's candidates for the request now, and the plan's choice among them."""
    with rt.sessions() as session:
        candidates = route(session, category=state.category or "", commune_insee=state.insee, at=rt.clock())
    return next_association(state, rt.config.prompts, tried=tried, candidates=candidates)


def _to_operators(rt: Runtime, state: CallState, texts: Sequence[str], *, reason: OperatorReason) -> Response:
    attempt, call_id = _start_attempt(rt, state, candidate=None, reason=reason)
    whisper = url_for(
        "ivr.whisper", target=TransferTarget.OPERATORS, call=str(call_id or ""), **state.to_params()
    )
    return answer(dial_operators(rt, texts, whisper=whisper, attempt=attempt))


def _start_attempt(
    rt: Runtime, state: CallState, *, candidate: Candidate | None, reason: str = ""
) -> tuple[int | None, int | None]:
    """Log a transfer attempt with what the journey collected; its number and the call's id, if logged."""
    association_id = candidate.association_id if candidate else None
    payload = {
        "target": TransferTarget.ASSOCIATION if candidate else TransferTarget.OPERATORS,
        "association_id": association_id,
        "category": state.category,
    } | ({"reason": reason} if reason else {})

    def record(session: Session, call: Call) -> tuple[int, int]:
        attempt = start_transfer(session, call, association_id=association_id, now=rt.clock())
        # The journey's answers go on the call after the attempt is numbered, so that its query does
        # not flush them half-way.
        for name, value in observatory(state).items():
            setattr(call, name, value)
        return attempt, call.id

    return log_event("transfer", payload, then=record) or (None, None)


def dial_operators(
    rt: Runtime, texts: Sequence[str], *, whisper: str | None, attempt: int | None = None
) -> VoiceResponse:
    """Say `texts`, then ring every operator at once (screened by `whisper`, if given)."""
    return twiml.dial(
        twiml.Voice.of(rt.config),
        texts,
        [operator.phone for operator in rt.config.operators],
        action=url_for("ivr.dial_result", stage=TransferTarget.OPERATORS, attempt=str(attempt or "")),
        caller_id=rt.config.helpline.number,
        timeout_s=rt.config.transfer.operators_timeout_s,
        whisper=whisper,
    )


@bp.post("/dial-result")
def dial_result() -> Response:
    """How a transfer went: bridged, or on to the next fallback (associations, operators, voicemail)."""
    rt = runtime()
    stage = (
        TransferTarget.ASSOCIATION
        if request.args.get("stage") == TransferTarget.ASSOCIATION
        else TransferTarget.OPERATORS
    )
    status = request.form.get("DialCallStatus", "")[:20]
    duration = int_param(request.form.get("DialCallDuration"))
    attempt = int_param(request.args.get("attempt"))
    association_id = int_param(request.args.get("association"))
    after = after_dial(stage, status, request.form.get("CallStatus", ""))
    payload = {"stage": stage, "status": status, "duration_s": duration, "attempt": attempt}
    log_event(
        "dial_result",
        payload | ({"association_id": association_id} if stage == TransferTarget.ASSOCIATION else {}),
        then=lambda session, call: end_transfer(
            session,
            call,
            target=stage,
            attempt=attempt,
            result=status,
            duration_s=duration,
            association_id=association_id,
            connected=after == "connected",
            now=rt.clock(),
        ),
    )
    voice = twiml.Voice.of(rt.config)
    if after == "connected" and stage == TransferTarget.ASSOCIATION:
        _text_the_referral(rt)
    if after in {"connected", "caller_left"}:
        return answer(twiml.goodbye(voice, []))
    if after == "next_association":
        tried = parse_tried(request.args.get("tried", ""))
        return transfer(Route(CallState.from_params(request.args)), tried=tried)
    return answer(ask_callback_number(rt, closed=False, texts=[rt.config.prompts.operators_busy]))


def _referral_params(candidate: Candidate) -> dict[str, Any]:
    return {"name": candidate.name, "phone": candidate.phone}


def _text_the_referral(rt: Runtime) -> None:
    """Text the caller the association's name and number, if enabled; a failure only costs the text."""
    sender, to = sms_sender(), caller_number()
    name, phone = request.args.get("name", ""), request.args.get("phone", "")
    if sender is None or not (name and phone) or not can_receive_sms(to):
        return
    try:
        sid = sender.send(to=to, body=referral_text(rt.config.sms.text, name=name, phone=phone))
    except Exception as exc:
        logger.exception("Could not text the referral to the caller")
        log_event("sms_failed", {"error": repr(exc)[:300]})
        return
    log_event("sms_sent", {"message_sid": sid})


# --- screening: the called party hears the request and presses 1 ---------------------------------------

WHISPER_TIMEOUT_S = 8


@bp.post("/whisper")
def whisper() -> Response:
    """What an association or an operator hears before being connected; they must press 1 to take the call."""
    rt = runtime()
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
            twiml.Voice.of(rt.config), text, action=url_for("ivr.whisper_answer"), timeout_s=WHISPER_TIMEOUT_S
        )
    )


@bp.post("/whisper-answer")
def whisper_answer() -> Response:
    """1 connects the caller; anything else declines (the Dial then counts as not answered)."""
    if request.form.get("Digits") == "1":
        # The console shows who is on the line: the event goes to the caller's call, the parent leg.
        log_event(
            "transfer_accepted",
            {"target": request.args.get("target", "")},
            call_sid=request.form.get("ParentCallSid", ""),
        )
        return answer(twiml.bridge())
    return answer(twiml.goodbye(twiml.Voice.of(runtime().config), []))


# --- voicemail and callbacks ---------------------------------------------------------------------------


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
        twiml.Voice.of(rt.config),
        [*texts, question],
        action=url_for("ivr.callback_number", closed=flag),
        on_silence=url_for("ivr.record", closed=flag, cb=number),
        timeout_s=rt.config.menu.gather_timeout_s,
        num_digits=None,
    )


@bp.post("/callback-number")
def callback_number() -> Response:
    """The caller confirmed their number or typed another one: now the voicemail."""
    rt = runtime()
    digits = request.form.get("Digits", "")[:20]
    number = caller_number()
    typed = typed_number(digits) if digits and digits != "1" else None
    log_event(
        "callback_number",
        {
            "confirmed": digits == "1",
            "typed": typed is not None,
            "unusable": bool(digits) and digits != "1" and typed is None,
        },
    )
    return answer(
        record_message(
            rt,
            callback=typed or number,
            closed=bool(request.args.get("closed")),
            texts=[rt.config.prompts.voicemail],
        )
    )


@bp.post("/record")
def record() -> Response:
    """No answer to the number question: record the voicemail for the number we have."""
    rt = runtime()
    callback = usable_number(request.args.get("cb", ""))
    return answer(
        record_message(
            rt,
            callback=callback,
            closed=bool(request.args.get("closed")),
            texts=[rt.config.prompts.voicemail],
        )
    )


def record_message(rt: Runtime, *, callback: str, closed: bool, texts: list[str]) -> VoiceResponse:
    """Say `texts`, then record the caller's message for a callback to `callback`."""
    return twiml.record_voicemail(
        twiml.Voice.of(rt.config),
        texts,
        action=url_for("ivr.voicemail", cb=callback, closed="1" if closed else ""),
        status_callback=url_for("ivr.recording_status"),
        max_length_s=rt.config.transfer.voicemail_max_s,
        no_message=rt.config.prompts.no_message,
    )


@bp.post("/voicemail")
def voicemail() -> Response:
    """A voicemail was recorded: a callback request for the operators; thank the caller and hang up."""
    rt = runtime()
    form = request.form
    duration = int_param(form.get("RecordingDuration")) or 0
    voice = twiml.Voice.of(rt.config)
    if duration <= 0:
        log_event("voicemail_empty", {"recording_sid": form.get("RecordingSid", "")[:64]})
        return answer(twiml.goodbye(voice, [rt.config.prompts.no_message]))
    callback = usable_number(request.args.get("cb", ""))
    closed = bool(request.args.get("closed"))
    url, sid = form.get("RecordingUrl", "")[:500], form.get("RecordingSid", "")[:64]
    log_event(
        "voicemail",
        {"recording_url": url, "recording_sid": sid, "duration_s": duration},
        then=lambda session, call: leave_voicemail(
            session,
            call,
            after_hours=closed,
            callback_number=callback,
            recording_url=url,
            recording_sid=sid,
            duration_s=duration,
            now=rt.clock(),
        ),
    )
    return answer(twiml.goodbye(voice, [rt.config.prompts.thanks_message]))


# --- status callbacks ----------------------------------------------------------------------------------


@bp.post("/recording-status")
def recording_status() -> tuple[str, int]:
    """Twilio's recording status callback: keep the final recording URL on the callback request."""
    form = request.form
    recording_state = form.get("RecordingStatus", "")[:20]
    sid = form.get("RecordingSid", "")[:64]
    url = form.get("RecordingUrl", "")[:500]
    duration = int_param(form.get("RecordingDuration"))
    log_event(
        "recording_status",
        {"status": recording_state, "recording_sid": sid, "recording_url": url, "duration_s": duration},
        then=lambda session, _call: finish_recording(
            session, recording_sid=sid, status=recording_state, recording_url=url, duration_s=duration
        ),
    )
    return "", 204


@bp.post("/status")
def status() -> tuple[str, int]:
    """Twilio's status callback: the call's final status and duration, whatever order callbacks come in."""
    form = request.form
    call_status = form.get("CallStatus", "")[:20]
    sequence = int_param(form.get("SequenceNumber"))
    duration = int_param(form.get("CallDuration"))
    now = runtime().clock()
    log_event(
        "status",
        {"status": call_status, "sequence": sequence, "duration_s": duration},
        then=lambda _session, call: apply_status(
            call, status=call_status, sequence=sequence, duration_s=duration, now=now
        ),
    )
    return "", 204


# --- the call log, never failing the call --------------------------------------------------------------

T = TypeVar("T")


def log_event(
    kind: str,
    payload: dict[str, Any],
    *,
    opening: dict[str, str] | None = None,
    summary: dict[str, Any] | None = None,
    then: Callable[[Session, Call], T] | None = None,
    call_sid: str | None = None,
) -> T | None:
    """Record an event of this request's call, update its summary, then run `then`; never fails the call.

    The summary is only updated, and `then` only run, when the event is new, so that a retried request
    changes nothing. Returns what `then` returned, or None.
    """
    call_sid = call_sid if call_sid is not None else request.form.get("CallSid", "")
    if not call_sid.startswith("CA") or len(call_sid) > 64:
        logger.warning("No usable CallSid in %s; %s not logged: %s", request.path, kind, payload)
        return None
    rt = runtime()
    result: T | None = None
    try:
        with rt.sessions() as session, session.begin():
            now = rt.clock()
            call = open_call(session, call_sid=call_sid, now=now, **(opening or {}))
            event = add_event(session, call, kind, payload, now=now, dedup_key=_dedup_key(kind))
            if event is None:
                return None
            for name, value in (summary or {}).items():
                setattr(call, name, value)
            if then is not None:
                result = then(session, call)
    except Exception:
        # The caller must go on; the request itself is in the log line for replay by hand.
        logger.exception("Could not log %s for call %s: %s", kind, call_sid, payload)
    return result


def _dedup_key(kind: str) -> str:
    """Identifies the `kind` event of this exact Twilio request: a retry carries the same URL and form."""
    digest = hashlib.sha256(f"{kind}\0{request.full_path}".encode())
    for key, value in sorted(request.form.items(multi=True)):
        digest.update(f"\0{key}={value}".encode())
    return digest.hexdigest()[:40]
