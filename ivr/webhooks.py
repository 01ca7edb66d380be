"""Twilio's webhooks: the voice menu, transfers, voicemail, status and fallback callbacks.

Thin adapters: the menu engine decides, `twiml` renders, `call_log` records. Two rules hold everywhere:
a voice webhook always answers valid TwiML that leads to a human or a voicemail, and writing the call log
never delays or breaks the call (a failed write is logged and the caller goes on).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Flask, Response, abort, request, url_for
from sqlalchemy.orm import Session
from twilio.request_validator import RequestValidator
from twilio.twiml.voice_response import VoiceResponse

from call_log.models import Call
from call_log.privacy import stored_caller
from call_log.recording import add_event, apply_status, open_call
from directory.routing import route
from helpline.runtime import Runtime, runtime
from ivr import twiml
from ivr.menu import (
    Ask,
    CompiledMenu,
    MenuState,
    Route,
    Step,
    ToOperator,
    compile_menu,
    menu_lines,
    next_step,
    start,
)

logger = logging.getLogger(__name__)

bp = Blueprint("ivr", __name__, url_prefix="/ivr")

CONNECTED = frozenset({"completed", "answered"})


def init_app(app: Flask) -> None:
    """Register the webhooks and compile the menu of the app's config."""
    app.extensions["ivr.menu"] = compile_menu(app.extensions["helpline"].config.menu)
    app.register_blueprint(bp)


def _menu() -> CompiledMenu:
    from flask import current_app

    menu: CompiledMenu = current_app.extensions["ivr.menu"]
    return menu


# --- security ---------------------------------------------------------------------------------------


@bp.before_request
def check_twilio_signature() -> None:
    """Refuse (403) any request not signed by Twilio with our auth token, unless checks are off for dev."""
    settings = runtime().settings
    if settings.skip_signature_check:
        return
    signature = request.headers.get("X-Twilio-Signature", "")
    url = signed_url()
    token = settings.twilio_auth_token
    if token and signature and RequestValidator(token).validate(url, request.form, signature):
        return
    logger.warning(
        "Refused %s %s from %s: %s",
        request.method,
        url,
        request.remote_addr,
        "missing X-Twilio-Signature" if not signature else "invalid X-Twilio-Signature",
    )
    abort(403)


def signed_url() -> str:
    """The URL Twilio signed: HELPLINE_PUBLIC_URL (or this request's host) + path + query."""
    base = runtime().settings.public_url or request.host_url.rstrip("/")
    query = request.query_string.decode("latin-1")
    return f"{base}{request.path}" + (f"?{query}" if query else "")


# --- never strand a caller -------------------------------------------------------------------------


@bp.errorhandler(Exception)
def rescue(error: Exception) -> Response | tuple[str, int]:
    """Whatever failed, answer TwiML that still reaches a human (or the voicemail, or a goodbye)."""
    from werkzeug.exceptions import HTTPException

    if isinstance(error, HTTPException) and error.code == 403:
        return "Forbidden: this URL only answers requests signed by Twilio.\n", 403
    logger.exception("Webhook %s failed; the caller is sent on without it", request.path)
    if request.endpoint == "ivr.status":
        return "", 204
    _log("webhook_error", {"endpoint": request.endpoint or "", "error": repr(error)[:500]})
    return _emergency()


def _emergency() -> Response:
    rt = runtime()
    voice, prompts = twiml.Voice.of(rt.config), rt.config.prompts
    if request.endpoint == "ivr.voicemail":
        return _twiml(twiml.goodbye(voice, [prompts.thanks_message]))
    if request.endpoint == "ivr.dial_result" and request.args.get("stage") == "operators":
        return _twiml(_voicemail(rt))
    return _twiml(_dial_operators(rt, [prompts.technical_problem]))


@bp.post("/fallback")
def fallback() -> Response:
    """Twilio's fallback URL: the primary webhook failed; log it and get the caller to a human."""
    error = {"code": request.form.get("ErrorCode", ""), "url": request.form.get("ErrorUrl", "")}
    logger.error("Twilio reported error %(code)s on %(url)s; answering from the fallback URL", error)
    _log("twilio_error", error)
    rt = runtime()
    return _twiml(_dial_operators(rt, [rt.config.prompts.technical_problem]))


# --- the voice journey -------------------------------------------------------------------------------


@bp.post("/voice")
def voice() -> Response:
    """A new call: log it, greet, and play the main menu."""
    rt = runtime()
    form = request.form
    caller = stored_caller(
        form.get("From", ""), rt.config.privacy.caller_number, secret=rt.settings.caller_hash_secret
    )
    _log(
        "call_started",
        {"caller": caller, "to": form.get("To", "")},
        opening={
            "caller": caller,
            "caller_country": form.get("FromCountry", "")[:2],
            "called": form.get("To", "")[:20],
        },
    )
    return _answer(start(), greeting=True)


@bp.post("/menu")
def menu() -> Response:
    """A key pressed in a menu (or nothing before the timeout): the engine says what comes next."""
    state = MenuState.from_params(request.args)
    pressed = None if request.args.get("timeout") else request.form.get("Digits", "")
    _log("menu_input", {"node": state.node, "digits": pressed, "timeout": pressed is None})
    return _answer(next_step(_menu(), state, pressed))


def _answer(step: Step, *, greeting: bool = False) -> Response:
    rt = runtime()
    prompts = rt.config.prompts
    if isinstance(step, Ask):
        hint = {"wrong_key": prompts.wrong_key, "silence": prompts.silence, None: ""}[step.hint]
        texts = [_menu().greeting if greeting else "", hint, *menu_lines(_menu(), step.state.node)]
        params: dict[str, Any] = dict(step.state.to_params())
        return _twiml(
            twiml.ask_keys(
                twiml.Voice.of(rt.config),
                texts,
                action=url_for("ivr.menu", **params),
                on_silence=url_for("ivr.menu", timeout="1", **params),
                timeout_s=rt.config.menu.gather_timeout_s,
            )
        )
    if isinstance(step, Route):
        return _route(rt, step)
    return _to_operators(rt, step)


def _route(rt: Runtime, step: Route) -> Response:
    """Transfer to the first association offering the chosen category (or to the operators if none)."""
    with rt.sessions() as session:
        candidates = [
            (c.association_id, c.name, c.phone)
            for c in route(session, category=step.category, commune_insee=None, at=rt.clock())
        ]
    if not candidates:
        _log(
            "no_association",
            {"category": step.category},
            summary={"category_code": step.category, "menu_path": step.state.path, "outcome": "missed"},
        )
        return _twiml(_dial_operators(rt, [rt.config.prompts.no_association]))
    association_id, name, phone = candidates[0]
    _log(
        "transfer",
        {"target": "association", "association_id": association_id, "category": step.category},
        summary={
            "category_code": step.category,
            "association_id": association_id,
            "menu_path": step.state.path,
            "outcome": "missed",
        },
    )
    return _twiml(
        twiml.dial(
            twiml.Voice.of(rt.config),
            [rt.config.prompts.connecting_association.format(name=name)],
            [phone],
            action=url_for("ivr.dial_result", stage="association", association=str(association_id)),
            caller_id=rt.config.helpline.number,
            timeout_s=rt.config.transfer.association_timeout_s,
        )
    )


def _to_operators(rt: Runtime, step: ToOperator) -> Response:
    prompts = rt.config.prompts
    intro = {"wrong_keys": prompts.wrong_key, "silences": prompts.silence}.get(step.reason, "")
    _log(
        "transfer",
        {"target": "operators", "reason": step.reason},
        summary={"menu_path": step.state.path, "outcome": "missed"},
    )
    return _twiml(_dial_operators(rt, [intro, prompts.connecting_operator]))


def _dial_operators(rt: Runtime, texts: list[str]) -> VoiceResponse:
    return twiml.dial(
        twiml.Voice.of(rt.config),
        texts,
        [operator.phone for operator in rt.config.operators],
        action=url_for("ivr.dial_result", stage="operators"),
        caller_id=rt.config.helpline.number,
        timeout_s=rt.config.transfer.operators_timeout_s,
    )


@bp.post("/dial-result")
def dial_result() -> Response:
    """How a transfer went: bridged, or on to the next fallback (association → operators → voicemail)."""
    rt = runtime()
    prompts = rt.config.prompts
    stage = request.args.get("stage", "operators")
    status = request.form.get("DialCallStatus", "")
    answered = status in CONNECTED
    payload = {"stage": stage, "status": status, "duration_s": _int(request.form.get("DialCallDuration"))}
    if stage == "association":
        payload["association_id"] = _int(request.args.get("association"))
    outcome = f"connected_{'association' if stage == 'association' else 'operator'}" if answered else "missed"
    _log("dial_result", payload, summary={"outcome": outcome})
    if answered:
        return _twiml(twiml.goodbye(twiml.Voice.of(rt.config), []))
    if stage == "association":
        return _twiml(_dial_operators(rt, [prompts.association_unavailable]))
    return _twiml(_voicemail(rt))


def _voicemail(rt: Runtime) -> VoiceResponse:
    prompts = rt.config.prompts
    return twiml.record_voicemail(
        twiml.Voice.of(rt.config),
        [prompts.voicemail],
        action=url_for("ivr.voicemail"),
        max_length_s=rt.config.transfer.voicemail_max_s,
        no_message=prompts.no_message,
    )


@bp.post("/voicemail")
def voicemail() -> Response:
    """A voicemail was recorded: keep where it is, thank the caller and hang up."""
    rt = runtime()
    form = request.form
    _log(
        "voicemail",
        {
            "recording_url": form.get("RecordingUrl", ""),
            "recording_sid": form.get("RecordingSid", ""),
            "duration_s": _int(form.get("RecordingDuration")),
        },
        summary={"outcome": "voicemail"},
    )
    return _twiml(twiml.goodbye(twiml.Voice.of(rt.config), [rt.config.prompts.thanks_message]))


@bp.post("/status")
def status() -> tuple[str, int]:
    """Twilio's status callback: the call's final status and duration, whatever order callbacks come in."""
    form = request.form
    call_status = form.get("CallStatus", "")
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
) -> None:
    """Record an event of this request's call, and update its summary, without ever failing the call.

    The summary is only updated when the event is new, so that a retried request changes nothing.
    """
    call_sid = request.form.get("CallSid", "")
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
