"""Twilio's webhooks: the voice journey, transfers with screening, voicemail, status and fallback callbacks.

Thin adapters: the menu engine decides, `twiml` renders, `call_log` and `directory` record and route. Two
rules hold everywhere: a voice webhook always answers valid TwiML that leads to a human, a voicemail or a
spoken goodbye, and writing the call log never delays or breaks the call (a failed write is logged and the
caller goes on).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from typing import Any

import phonenumbers
from flask import Blueprint, Flask, Response, current_app, request, url_for
from phonenumbers import geocoder
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from twilio.request_validator import RequestValidator
from twilio.twiml.voice_response import VoiceResponse
from werkzeug.exceptions import HTTPException

from call_log.models import Call, CallbackRequest, Referral, TransferAttempt
from call_log.privacy import stored_caller
from call_log.recording import add_event, apply_status, open_call
from directory.reference import taxonomy
from directory.routing import Candidate, record_offer, route
from foundation.config import Config
from foundation.runtime import Runtime, runtime
from ivr import twiml
from ivr.hours import LineStatus, line_status, say_reopening
from ivr.line import caller_key, current_override
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
    menu_lines,
    next_step,
    start,
)
from ivr.places import communes_for
from ivr.sms import SmsSender, TwilioSms, can_receive_sms, referral_text

logger = logging.getLogger(__name__)

bp = Blueprint("ivr", __name__, url_prefix="/ivr")

CONNECTED = frozenset({"completed", "answered"})
WHISPER_TIMEOUT_S = 8


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


def _flow() -> Flow:
    flow: Flow = current_app.extensions["ivr.flow"]
    return flow


# --- security ---------------------------------------------------------------------------------------


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


# --- never strand a caller -------------------------------------------------------------------------


@bp.errorhandler(Exception)
def rescue(error: Exception) -> Response | tuple[str, int]:
    """Whatever failed, answer TwiML that still reaches a human (or the voicemail, or a goodbye)."""
    if isinstance(error, HTTPException) and error.code is not None and error.code < 500:
        return error.description or "", error.code
    logger.exception("Webhook %s failed; the caller is sent on without it", request.path)
    if request.endpoint in {"ivr.status", "ivr.recording_status"}:
        return "", 204
    _log("webhook_error", {"endpoint": request.endpoint or "", "error": repr(error)[:500]})
    return _emergency()


def _emergency() -> Response:
    """The next safe step for the caller, built without the database."""
    rt = runtime()
    voice, prompts = twiml.Voice.of(rt.config), rt.config.prompts
    endpoint = request.endpoint or ""
    if endpoint in {"ivr.voicemail", "ivr.recording_status"}:
        return _twiml(twiml.goodbye(voice, [prompts.thanks_message]))
    if endpoint in {"ivr.whisper", "ivr.whisper_answer"}:
        return _twiml(twiml.bridge())
    if endpoint in {"ivr.callback_number", "ivr.record"} or (
        endpoint == "ivr.dial_result" and request.args.get("stage") == "operators"
    ):
        return _twiml(_record(rt, callback=_caller_number(), closed=False, texts=[prompts.voicemail]))
    return _twiml(_dial_operators(rt, [prompts.technical_problem], whisper=None))


@bp.post("/fallback")
def fallback() -> Response:
    """Twilio's fallback URL: the primary webhook failed; log it and get the caller to a human."""
    error = {"code": request.form.get("ErrorCode", ""), "url": request.form.get("ErrorUrl", "")}
    logger.error("Twilio reported error %(code)s on %(url)s; answering from the fallback URL", error)
    _log("twilio_error", error)
    rt = runtime()
    return _twiml(_dial_operators(rt, [rt.config.prompts.technical_problem], whisper=None))


# --- the voice journey -------------------------------------------------------------------------------


@bp.post("/voice")
def voice() -> Response:
    """A new call: log it, then the main menu, or, when the line is closed, say so and take a message."""
    rt = runtime()
    now = rt.clock()
    form = request.form
    number = form.get("From", "")
    status = _line_status(rt)
    caller = stored_caller(number, rt.config.privacy.caller_number, secret=rt.settings.caller_hash_secret)
    country, area = _caller_place(number, form.get("FromCountry", ""))

    def pseudonymise(session: Session, call: Call) -> None:
        call.caller_key = caller_key(session, number, secret=rt.settings.caller_hash_secret, now=now)

    _log(
        "call_started",
        {"caller": caller, "to": form.get("To", ""), "line": status.reason},
        opening={"caller": caller, "caller_country": country, "called": form.get("To", "")[:20]},
        summary={"caller_area": area, "after_hours": not status.open}
        | ({} if status.open else {"outcome": "after_hours_no_message"}),
        then=pseudonymise,
    )
    if not status.open:
        return _twiml(_closed(rt, status))
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


def _caller_place(number: str, country: str) -> tuple[str, str]:
    """Where the caller is: country code, and for French landlines the area the number belongs to."""
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return country[:2], ""
    region = phonenumbers.region_code_for_number(parsed) or country
    area = geocoder.description_for_number(parsed, "fr") if region == "FR" else ""
    return (region or "")[:2], area[:100]


def _closed(rt: Runtime, status: LineStatus) -> VoiceResponse:
    prompts = rt.config.prompts
    said = {
        "night": prompts.closed_night,
        "weekend": prompts.closed_weekend,
        "holiday": prompts.closed_holiday,
        "override": status.message or prompts.closed_override,
        "closure": status.message,
    }
    texts = [said.get(status.reason) or prompts.closed_night]
    if status.reopens_at is not None:
        texts.append(f"Nous rouvrirons {say_reopening(status.reopens_at, rt.clock(), rt.config)}.")
    return _ask_callback_number(rt, closed=True, texts=texts)


@bp.post("/menu")
def menu() -> Response:
    """An answer in the journey (keys, words, or nothing before the timeout): the engine says what is next."""
    state = CallState.from_params(request.args)
    form = request.form
    given: Input
    if request.args.get("timeout"):
        given = NoInput()
    elif form.get("SpeechResult"):
        given = Said(form["SpeechResult"][:300], _float(form.get("Confidence"), default=1.0))
    else:
        given = Keys(form.get("Digits", "")[:20])
    _log(
        "menu_input",
        {
            "phase": state.phase,
            "node": state.node,
            "digits": given.digits if isinstance(given, Keys) else None,
            "speech": given.text if isinstance(given, Said) else None,
            "timeout": isinstance(given, NoInput),
        },
    )
    step = next_step(_flow(), state, given)
    if isinstance(step, Ask):
        return _ask(step)
    return _transfer(step)


def _ask(step: Ask, *, greeting: bool = False) -> Response:
    """Render a question of the journey: the menu, a confirmation, or one of the observatory's questions."""
    rt, flow = runtime(), _flow()
    prompts, state = rt.config.prompts, step.state
    hints = {
        "wrong_key": prompts.wrong_key,
        "silence": prompts.silence,
        "not_understood": prompts.not_understood,
    }
    hint = hints[step.hint] if step.hint else ""
    speech: list[str] | None = None
    num_digits: int | None = 1
    texts: list[str]
    if state.phase == "menu":
        texts = [flow.greeting if greeting else "", hint, *menu_lines(flow, state.node)]
        if flow.matcher is not None and state.node == "":
            texts.insert(2, prompts.speech_hint)
            speech = flow.matcher.hints()
    elif state.phase == "confirm":
        label = flow.labels.get(state.category or "", state.category or "")
        texts = [hint, prompts.speech_confirm.format(label=label)]
    elif state.phase == "postal":
        texts = [prompts.postal_code_invalid if step.hint == "wrong_key" else hint, prompts.postal_code]
        num_digits = 5
    elif state.phase == "commune":
        texts, num_digits = [prompts.commune_name], None
        speech = [commune.name for commune in communes_for(state.postal_code or "")]
    elif state.phase == "who":
        texts = [hint, prompts.beneficiary]
    else:
        texts = [hint, prompts.heard_from, *(option.say for option in flow.heard_from)]
    params: dict[str, Any] = state.to_params()
    return _twiml(
        twiml.ask(
            twiml.Voice.of(rt.config),
            texts,
            action=url_for("ivr.menu", **params),
            on_silence=url_for("ivr.menu", timeout="1", **params),
            timeout_s=rt.config.menu.gather_timeout_s,
            num_digits=num_digits,
            speech_hints=speech,
            speech_only=state.phase == "commune",
        )
    )


def _observatory(state: CallState) -> dict[str, Any]:
    """The call summary's fields that the journey collected."""
    return {
        "category_code": state.category,
        "postal_code": state.postal_code,
        "commune_insee": state.insee,
        "in_territory": {"in": True, "out": False}.get(state.territory or ""),
        "departement": state.departement,
        "beneficiary": state.beneficiary,
        "heard_from": state.heard_from,
        "menu_path": state.path,
    }


def _transfer(step: Route | ToOperator, *, tried: tuple[int, ...] = ()) -> Response:
    """Ring the next association that can take the request, else the operators."""
    rt = runtime()
    prompts = rt.config.prompts
    state = step.state
    if isinstance(step, ToOperator):
        intro = {"wrong_keys": prompts.wrong_key, "silences": prompts.silence}.get(step.reason, "")
        return _to_operators(rt, state, [intro, prompts.connecting_operator], reason=step.reason)
    category = state.category or ""
    if state.territory == "out" and not tried:
        # Associations of the directory serve the park's communes; an operator can orient the caller.
        _log("out_of_territory", {"postal_code": state.postal_code, "departement": state.departement})
        return _to_operators(rt, state, [prompts.out_of_territory], reason="out_of_territory")
    with rt.sessions() as session:
        candidates = [
            c
            for c in route(session, category=category, commune_insee=state.insee, at=rt.clock())
            if c.association_id not in tried
        ]
    if not candidates and not tried:
        _log(
            "unmet_demand",
            {"category": category, "commune_insee": state.insee, "postal_code": state.postal_code},
            summary=_observatory(state) | {"outcome": "unmet"},
        )
        return _to_operators(rt, state, [prompts.no_association], reason="unmet")
    if not candidates:
        return _to_operators(rt, state, [prompts.association_unavailable], reason="associations_unavailable")
    candidate = candidates[0]
    attempt, _call_id = _start_attempt(rt, state, candidate=candidate)
    intro = prompts.next_association if tried else prompts.connecting_association
    params: dict[str, Any] = state.to_params()
    return _twiml(
        twiml.dial(
            twiml.Voice.of(rt.config),
            [intro.format(name=candidate.name)],
            [candidate.phone],
            action=url_for(
                "ivr.dial_result",
                stage="association",
                association=str(candidate.association_id),
                attempt=str(attempt or ""),
                tried=",".join(str(i) for i in (*tried, candidate.association_id)),
                **params,
                # The text after a referral needs them; the signed URL carries them, no lookup needed.
                **(_referral_params(candidate) if _sms() else {}),
            ),
            caller_id=rt.config.helpline.number,
            timeout_s=rt.config.transfer.association_timeout_s,
            whisper=url_for("ivr.whisper", target="association", **params),
        )
    )


def _to_operators(rt: Runtime, state: CallState, texts: list[str], *, reason: str) -> Response:
    attempt, call_id = _start_attempt(rt, state, candidate=None, reason=reason)
    whisper = url_for("ivr.whisper", target="operators", call=str(call_id or ""), **state.to_params())
    return _twiml(_dial_operators(rt, texts, whisper=whisper, attempt=attempt))


def _start_attempt(
    rt: Runtime, state: CallState, *, candidate: Candidate | None, reason: str = ""
) -> tuple[int | None, int | None]:
    """Record a transfer attempt and the association's turn in the rotation; its number and the call's id."""
    logged: list[tuple[int, int]] = []

    def record(session: Session, call: Call) -> None:
        now = rt.clock()
        last = session.scalar(
            select(func.max(TransferAttempt.attempt)).where(TransferAttempt.call_id == call.id)
        )
        attempt = (last or 0) + 1
        session.add(
            TransferAttempt(
                call_id=call.id,
                attempt=attempt,
                target="association" if candidate else "operators",
                association_id=candidate.association_id if candidate else None,
                started_at=now,
            )
        )
        for name, value in _observatory(state).items():
            setattr(call, name, value)
        if candidate is not None:
            record_offer(session, candidate.association_id, at=now)
            call.association_id = candidate.association_id
        if call.outcome != "unmet":
            call.outcome = "missed"  # what it stays if nobody answers and no message is left
        logged.append((attempt, call.id))

    payload = {
        "target": "association" if candidate else "operators",
        "association_id": candidate.association_id if candidate else None,
        "category": state.category,
    } | ({"reason": reason} if reason else {})
    _log("transfer", payload, then=record)
    return logged[0] if logged else (None, None)


def _dial_operators(
    rt: Runtime, texts: list[str], *, whisper: str | None, attempt: int | None = None
) -> VoiceResponse:
    return twiml.dial(
        twiml.Voice.of(rt.config),
        texts,
        [operator.phone for operator in rt.config.operators],
        action=url_for("ivr.dial_result", stage="operators", attempt=str(attempt or "")),
        caller_id=rt.config.helpline.number,
        timeout_s=rt.config.transfer.operators_timeout_s,
        whisper=whisper,
    )


@bp.post("/dial-result")
def dial_result() -> Response:
    """How a transfer went: bridged, or on to the next fallback (associations, operators, voicemail)."""
    rt = runtime()
    prompts = rt.config.prompts
    stage = "association" if request.args.get("stage") == "association" else "operators"
    status = request.form.get("DialCallStatus", "")[:20]
    duration = _int(request.form.get("DialCallDuration"))
    attempt = _int(request.args.get("attempt"))
    association_id = _int(request.args.get("association"))
    answered = status in CONNECTED

    def update(session: Session, call: Call) -> None:
        transfer = session.scalar(
            select(TransferAttempt).where(
                TransferAttempt.call_id == call.id, TransferAttempt.attempt == attempt
            )
        )
        if transfer is not None:
            transfer.result, transfer.duration_s = status, duration
        if answered and stage == "association":
            call.outcome, call.association_id = "connected_association", association_id
            session.add(
                Referral(
                    call_id=call.id,
                    association_id=association_id,
                    category_code=call.category_code,
                    created_at=rt.clock(),
                    source="ivr",
                )
            )
        elif answered and call.outcome != "unmet":
            call.outcome = "connected_operator"

    payload = {"stage": stage, "status": status, "duration_s": duration, "attempt": attempt}
    _log(
        "dial_result",
        payload | ({"association_id": association_id} if stage == "association" else {}),
        then=update,
    )
    voice = twiml.Voice.of(rt.config)
    if answered:
        if stage == "association":
            _text_the_referral(rt)
        return _twiml(twiml.goodbye(voice, []))
    if request.form.get("CallStatus") == "completed":
        return _twiml(twiml.goodbye(voice, []))  # the caller hung up while it rang
    if stage == "association":
        tried = tuple(int(part) for part in request.args.get("tried", "").split(",") if part.isdigit())[:10]
        return _transfer(Route(CallState.from_params(request.args)), tried=tried)
    return _twiml(_ask_callback_number(rt, closed=False, texts=[prompts.operators_busy]))


def _referral_params(candidate: Candidate) -> dict[str, Any]:
    return {"name": candidate.name, "phone": candidate.phone}


def _sms() -> SmsSender | None:
    sender: SmsSender | None = current_app.extensions.get("ivr.sms")
    return sender


def _text_the_referral(rt: Runtime) -> None:
    """Text the caller the association's name and number, if enabled; a failure only costs the text."""
    sender, to = _sms(), _caller_number()
    name, phone = request.args.get("name", ""), request.args.get("phone", "")
    if sender is None or not (name and phone) or not can_receive_sms(to):
        return
    try:
        sid = sender.send(to=to, body=referral_text(rt.config.sms.text, name=name, phone=phone))
    except Exception as exc:
        logger.exception("Could not text the referral to the caller")
        _log("sms_failed", {"error": repr(exc)[:300]})
        return
    _log("sms_sent", {"message_sid": sid})


# --- screening: the called party hears the request and presses 1 --------------------------------------


@bp.post("/whisper")
def whisper() -> Response:
    """What an association or an operator hears before being connected; they must press 1 to take the call."""
    rt = runtime()
    prompts = rt.config.prompts
    request_text = describe_request(CallState.from_params(request.args), _flow())
    if request.args.get("target") == "operators":
        text = prompts.whisper_operator.format(
            call=request.args.get("call") or "sans numéro", request=request_text
        )
    else:
        text = prompts.whisper_association.format(request=request_text)
    return _twiml(
        twiml.whisper(
            twiml.Voice.of(rt.config), text, action=url_for("ivr.whisper_answer"), timeout_s=WHISPER_TIMEOUT_S
        )
    )


@bp.post("/whisper-answer")
def whisper_answer() -> Response:
    """1 connects the caller; anything else declines (the Dial then counts as not answered)."""
    if request.form.get("Digits") == "1":
        # The console shows who is on the line: the event goes to the caller's call, the parent leg.
        _log(
            "transfer_accepted",
            {"target": request.args.get("target", "")},
            call_sid=request.form.get("ParentCallSid", ""),
        )
        return _twiml(twiml.bridge())
    return _twiml(twiml.goodbye(twiml.Voice.of(runtime().config), []))


def describe_request(state: CallState, flow: Flow) -> str:
    """The request in a few words for the whisper, e.g. 'Repassage et blanchissage, commune de Ciron'.

    Built from the journey's state alone, so that the whisper needs no database.
    """
    parts: list[str] = []
    if state.category:
        parts.append(flow.labels.get(state.category, state.category))
    commune = next((c for c in communes_for(state.postal_code or "") if c.insee == state.insee), None)
    if commune is not None:
        parts.append(f"commune de {commune.name}")
    elif state.territory == "out" and state.postal_code:
        parts.append(f"hors du territoire, code postal {' '.join(state.postal_code)}")
    elif state.postal_code:
        parts.append(f"code postal {' '.join(state.postal_code)}")
    if state.beneficiary:
        parts.append({"self": "pour lui-même", "relative": "pour un proche"}[state.beneficiary])
    return ", ".join(parts) if parts else "demande à préciser"


# --- voicemail and callbacks ---------------------------------------------------------------------------


def _ask_callback_number(rt: Runtime, *, closed: bool, texts: list[str]) -> VoiceResponse:
    """Read back the number we will call back and let the caller confirm it (1) or type another (then #)."""
    prompts = rt.config.prompts
    number = _caller_number()
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


def say_number(number: str) -> str:
    """A number as it is read aloud: '06 39 98 00 01' for French numbers, international form otherwise."""
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return " ".join(number)
    style = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if parsed.country_code == 33
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return str(phonenumbers.format_number(parsed, style))


def _typed_number(digits: str) -> str | None:
    """A number typed on the keypad (French national or international with 00), in E.164, if valid."""
    try:
        parsed = phonenumbers.parse("+" + digits[2:] if digits.startswith("00") else digits, "FR")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(parsed):
        return None
    return str(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164))


@bp.post("/callback-number")
def callback_number() -> Response:
    """The caller confirmed their number or typed another one: now the voicemail."""
    rt = runtime()
    digits = request.form.get("Digits", "")[:20]
    number = _caller_number()
    typed = _typed_number(digits) if digits and digits != "1" else None
    _log(
        "callback_number",
        {
            "confirmed": digits == "1",
            "typed": typed is not None,
            "unusable": bool(digits) and digits != "1" and typed is None,
        },
    )
    return _twiml(
        _record(
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
    callback = _usable_number(request.args.get("cb", ""))
    return _twiml(
        _record(
            rt,
            callback=callback,
            closed=bool(request.args.get("closed")),
            texts=[rt.config.prompts.voicemail],
        )
    )


def _record(rt: Runtime, *, callback: str, closed: bool, texts: list[str]) -> VoiceResponse:
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
    duration = _int(form.get("RecordingDuration")) or 0
    voice = twiml.Voice.of(rt.config)
    if duration <= 0:
        _log("voicemail_empty", {"recording_sid": form.get("RecordingSid", "")[:64]})
        return _twiml(twiml.goodbye(voice, [rt.config.prompts.no_message]))
    callback = request.args.get("cb", "")
    closed = bool(request.args.get("closed"))
    payload = {
        "recording_url": form.get("RecordingUrl", "")[:500],
        "recording_sid": form.get("RecordingSid", "")[:64],
        "duration_s": duration,
    }

    def create(session: Session, call: Call) -> None:
        call.outcome = "after_hours_voicemail" if closed else "voicemail"
        session.add(
            CallbackRequest(
                call_id=call.id,
                created_at=rt.clock(),
                callback_number=_usable_number(callback),
                recording_url=payload["recording_url"],
                recording_sid=payload["recording_sid"],
                recording_duration_s=duration,
            )
        )

    _log("voicemail", payload, then=create)
    return _twiml(twiml.goodbye(voice, [rt.config.prompts.thanks_message]))


@bp.post("/recording-status")
def recording_status() -> tuple[str, int]:
    """Twilio's recording status callback: keep the final recording URL on the callback request."""
    form = request.form
    sid = form.get("RecordingSid", "")[:64]
    payload = {
        "status": form.get("RecordingStatus", "")[:20],
        "recording_sid": sid,
        "recording_url": form.get("RecordingUrl", "")[:500],
        "duration_s": _int(form.get("RecordingDuration")),
    }

    def update(session: Session, call: Call) -> None:
        callback = session.scalar(select(CallbackRequest).where(CallbackRequest.recording_sid == sid))
        if callback is not None and payload["status"] == "completed":
            callback.recording_url = str(payload["recording_url"]) or callback.recording_url
            callback.recording_duration_s = (
                _int(form.get("RecordingDuration")) or callback.recording_duration_s
            )

    _log("recording_status", payload, then=update)
    return "", 204


@bp.post("/status")
def status() -> tuple[str, int]:
    """Twilio's status callback: the call's final status and duration, whatever order callbacks come in."""
    form = request.form
    call_status = form.get("CallStatus", "")[:20]
    sequence = _int(form.get("SequenceNumber"))
    duration = _int(form.get("CallDuration"))
    now = runtime().clock()

    def update(session: Session, call: Call) -> None:
        apply_status(call, status=call_status, sequence=sequence, duration_s=duration, now=now)

    _log("status", {"status": call_status, "sequence": sequence, "duration_s": duration}, then=update)
    return "", 204


# --- helpers ----------------------------------------------------------------------------------------


def _twiml(response: VoiceResponse) -> Response:
    return Response(str(response), mimetype="text/xml")


def _int(value: str | None) -> int | None:
    return int(value) if value is not None and value.isdigit() and len(value) < 10 else None


def _float(value: str | None, *, default: float) -> float:
    try:
        number = float(value) if value is not None else default
    except ValueError:
        return default
    return min(max(number, 0.0), 1.0)


def _caller_number() -> str:
    return _usable_number(request.form.get("From", ""))


def _usable_number(number: str) -> str:
    """`number` if it is an E.164 number we can call back, else '' (withheld, garbage)."""
    return number if number.startswith("+") and number[1:].isdigit() and len(number) <= 16 else ""


def _dedup_key(kind: str) -> str:
    """Identifies the `kind` event of this exact Twilio request: a retry carries the same URL and form."""
    digest = hashlib.sha256(f"{kind}\0{request.full_path}".encode())
    for key, value in sorted(request.form.items(multi=True)):
        digest.update(f"\0{key}={value}".encode())
    return digest.hexdigest()[:40]


def _log(
    kind: str,
    payload: dict[str, Any],
    *,
    opening: dict[str, str] | None = None,
    summary: dict[str, Any] | None = None,
    then: Callable[[Session, Call], None] | None = None,
    call_sid: str | None = None,
) -> None:
    """Record an event of this request's call, and update its summary, without ever failing the call.

    The summary is only updated when the event is new, so that a retried request changes nothing.
    """
    call_sid = call_sid if call_sid is not None else request.form.get("CallSid", "")
    if not call_sid.startswith("CA") or len(call_sid) > 64:
        logger.warning("No usable CallSid in %s; %s not logged: %s", request.path, kind, payload)
        return
    rt = runtime()
    try:
        with rt.sessions() as session, session.begin():
            now = rt.clock()
            call = open_call(session, call_sid=call_sid, now=now, **(opening or {}))
            event = add_event(session, call, kind, payload, now=now, dedup_key=_dedup_key(kind))
            if event is None:
                return
            for name, value in (summary or {}).items():
                setattr(call, name, value)
            if then is not None:
                then(session, call)
    except Exception:
        # The caller must go on; the request itself is in the log line for replay by hand.
        logger.exception("Could not log %s for call %s: %s", kind, call_sid, payload)
