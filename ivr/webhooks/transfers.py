"""Transfers: ring the associations that can take the request, one after the other, then the operators.

`transfer_plan` decides who is rung next; here the directory is read, the attempt logged, the `<Dial>`
rendered, and its result sends the caller on down the chain (or texts them the association's number).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from flask import Response, current_app, request, url_for
from sqlalchemy.orm import Session
from twilio.twiml.voice_response import VoiceResponse

from call_log.codes import EventKind, TransferTarget
from call_log.journey import attempt_of
from call_log.models import Call, CallEvent
from call_log.privacy import mask_numbers
from call_log.writes import Applied
from directory.routing import Candidate, lock_rotation, reached, route
from directory.snapshot import DirectoryCache
from foundation.config.staff import on_duty
from foundation.runtime import Runtime
from ivr import twiml
from ivr.journey_writes import JourneyAction
from ivr.menu import CallState, Route, ToOperator
from ivr.sms import can_receive_sms, referral_text
from ivr.transfer_plan import (
    OperatorReason,
    RingAssociation,
    RingOperators,
    Transfer,
    after_dial,
    next_association,
    observatory,
    operators_first,
    parse_tried,
    result_of_dial,
    tried_param,
)
from ivr.webhooks.blueprint import answer, bp, caller_number, int_param, line_voice, sms_sender
from ivr.webhooks.events import log_event, log_failure, read_database
from ivr.webhooks.settings import voice_runtime
from ivr.webhooks.voicemail import ask_callback_number

logger = logging.getLogger(__name__)

# The part of a transfer's database budget the rotation's transaction may take: the rest is kept to read
# the directory on its own if that transaction cannot be made (a busy database still routes the caller).
ROTATION_SHARE = 0.6


def transfer(step: Route | ToOperator, *, tried: tuple[int, ...] = ()) -> Response:
    """Ring the next association that can take the request, else the operators."""
    rt = voice_runtime()
    state = step.state
    first = operators_first(step, rt.config.prompts, tried=tried)
    plan = _ring_next_association(rt, state, tried=tried) if first is None else first
    if isinstance(plan, RingOperators):
        if plan.event is not None:
            log_event(plan.event.kind, plan.event.payload, summary=plan.event.summary)
        return _to_operators(rt, state, plan.texts, reason=plan.reason)
    ringing, attempt = plan
    candidate = ringing.candidate
    params: dict[str, Any] = state.to_params()
    return answer(
        twiml.dial(
            line_voice(rt.config),
            [ringing.text],
            [candidate.phone],
            action=url_for(
                "ivr.dial_result",
                stage=TransferTarget.ASSOCIATION,
                association=str(candidate.association_id),
                service=str(candidate.service_id or ""),
                attempt=str(attempt.number or ""),
                tried=tried_param(ringing.tried),
                **params,
            ),
            caller_id=rt.config.helpline.number,
            timeout_s=rt.config.transfer.association_timeout_s,
            whisper=url_for("ivr.whisper", target=TransferTarget.ASSOCIATION, **params),
        )
    )


@dataclass(frozen=True)
class _Attempt:
    """A transfer attempt as logged: its number, the call's id, the association it rings (None: operators).

    When the log could not be written, the number and the call's id are None.
    """

    number: int | None
    call_id: int | None
    association_id: int | None


def _ring_next_association(
    rt: Runtime, state: CallState, *, tried: tuple[int, ...]
) -> tuple[RingAssociation, _Attempt] | RingOperators:
    """Choose the association to ring and log the attempt, in one transaction; else the operators' plan.

    Equal associations take turns: the rotation is locked, the directory read and the offer recorded in
    the same transaction, so two calls at once for the same request are offered two equals. A retried
    request rings whom the first one rang, so that the answer is the same. When that transaction cannot
    be made (the database is locked or down), the directory is read on its own, without the rotation's
    lock, and the attempt waits in the journal.
    """
    prompts = rt.config.prompts
    decided: list[Transfer] = []
    candidates: list[Candidate] = []
    cache = directory_cache()  # read here: the work runs on the gate's threads, outside the app's context

    def choose(session: Session, call: Call) -> dict[str, Any] | None:
        lock_rotation(session, category=state.category or "")
        candidates[:] = _route(rt, session, state, cache)
        plan = next_association(state, prompts, tried=tried, candidates=candidates)
        decided.append(plan)
        if not isinstance(plan, RingAssociation):
            return None  # the operators' plan logs its own transfer
        return _transfer_payload(state, plan.candidate.association_id)

    applied = log_event(
        EventKind.TRANSFER,
        choose,
        action=JourneyAction.START_TRANSFER,
        args=_start_args(state),
        again=_again,
        share=ROTATION_SHARE,
    )
    if not decided:
        return _ring_without_rotation(rt, state, tried=tried)
    plan = decided[-1]
    if not isinstance(plan, RingAssociation):
        return plan
    attempt = _attempt(applied, plan.candidate.association_id)
    if attempt.association_id != plan.candidate.association_id:
        first = [c for c in candidates if c.association_id == attempt.association_id]
        replan = next_association(state, prompts, tried=tried, candidates=first) if first else plan
        plan = replan if isinstance(replan, RingAssociation) else plan
    return plan, attempt


def _ring_without_rotation(
    rt: Runtime, state: CallState, *, tried: tuple[int, ...]
) -> tuple[RingAssociation, _Attempt] | RingOperators:
    """The directory read in a read-only transaction; the attempt journaled if the log cannot take it."""
    prompts = rt.config.prompts
    cache = directory_cache()
    try:
        candidates = read_database(lambda session: _route(rt, session, state, cache))
    except Exception:
        log_failure(logger, "Could not read the directory; the operators take the call")
        return RingOperators((prompts.technical_problem,), reason="directory_unavailable")
    plan = next_association(state, prompts, tried=tried, candidates=candidates)
    if not isinstance(plan, RingAssociation):
        return plan
    association_id = plan.candidate.association_id
    applied = log_event(
        EventKind.TRANSFER,
        _transfer_payload(state, association_id),
        action=JourneyAction.START_TRANSFER,
        args=_start_args(state),
        again=_again,
    )
    return plan, _attempt(applied, association_id)


def _route(rt: Runtime, session: Session, state: CallState, cache: DirectoryCache) -> list[Candidate]:
    return route(
        session,
        category=state.category or "",
        commune_insee=state.insee,
        at=rt.clock(),
        tz=rt.config.helpline.tz,
        cache=cache,
    )


def directory_cache() -> DirectoryCache:
    """The directory this process keeps for routing calls (see directory.snapshot)."""
    found: DirectoryCache = current_app.extensions["ivr.directory"]
    return found


def _to_operators(rt: Runtime, state: CallState, texts: Sequence[str], *, reason: OperatorReason) -> Response:
    applied = log_event(
        EventKind.TRANSFER,
        _transfer_payload(state, None) | {"reason": reason},
        action=JourneyAction.START_TRANSFER,
        args=_start_args(state),
        again=_again,
    )
    attempt = _attempt(applied, None)
    whisper = url_for(
        "ivr.whisper", target=TransferTarget.OPERATORS, call=str(attempt.call_id or ""), **state.to_params()
    )
    return answer(dial_operators(rt, texts, whisper=whisper, attempt=attempt.number))


def _transfer_payload(state: CallState, association_id: int | None) -> dict[str, Any]:
    return {
        "target": TransferTarget.ASSOCIATION if association_id is not None else TransferTarget.OPERATORS,
        "association_id": association_id,
        "category": state.category,
    }


def _start_args(state: CallState) -> dict[str, Any]:
    """What the attempt's action puts on the call: the journey's answers."""
    return {"observatory": observatory(state)}


def _again(session: Session, call: Call, event: CallEvent) -> _Attempt:
    """Twilio retried a request that timed out: the attempt the first one started."""
    logged = event.payload.get("association_id")
    return _Attempt(attempt_of(session, call, event), call.id, logged if isinstance(logged, int) else None)


def _attempt(applied: Applied | None, association_id: int | None) -> _Attempt:
    """The attempt as logged: new, a retry's first one, or unnumbered (journaled)."""
    if applied is None:
        return _Attempt(None, None, association_id)
    if isinstance(applied.result, _Attempt):
        return applied.result
    number = applied.result if isinstance(applied.result, int) else None
    return _Attempt(number, applied.call_id, association_id)


def dial_operators(
    rt: Runtime, texts: Sequence[str], *, whisper: str | None, attempt: int | None = None
) -> VoiceResponse:
    """Say `texts`, then ring every operator on duty at once (screened by `whisper`, if given).

    With nobody on duty, the caller leaves a message for a callback, as when nobody answers.
    """
    phones = [operator.phone for operator in on_duty(rt.config)]
    if not phones:
        return ask_callback_number(rt, closed=False, texts=[rt.config.prompts.operators_busy])
    return twiml.dial(
        line_voice(rt.config),
        texts,
        phones,
        action=url_for("ivr.dial_result", stage=TransferTarget.OPERATORS, attempt=str(attempt or "")),
        caller_id=rt.config.helpline.number,
        timeout_s=rt.config.transfer.operators_timeout_s,
        whisper=whisper,
    )


@bp.post("/dial-result")
def dial_result() -> Response:
    """How a transfer went: bridged, or on to the next fallback (associations, operators, voicemail)."""
    stage = (
        TransferTarget.ASSOCIATION
        if request.args.get("stage") == TransferTarget.ASSOCIATION
        else TransferTarget.OPERATORS
    )
    status = result_of_dial(request.form.get("DialCallStatus", "")[:20], request.form.get("DialBridged"))
    duration = int_param(request.form.get("DialCallDuration"))
    attempt = int_param(request.args.get("attempt"))
    association_id = int_param(request.args.get("association"))
    after = after_dial(stage, status, request.form.get("CallStatus", ""))
    # The caller's answer travels in the signed URL; their number comes from Twilio's form, never a URL.
    consent = CallState.from_params(request.args).consent == "yes"
    payload = {"stage": stage, "status": status, "duration_s": duration, "attempt": attempt}
    log_event(
        EventKind.DIAL_RESULT,
        payload | ({"association_id": association_id} if stage == TransferTarget.ASSOCIATION else {}),
        action=JourneyAction.END_TRANSFER,
        args={
            "target": stage,
            "attempt": attempt,
            "result": status,
            "duration_s": duration,
            "association_id": association_id,
            "connected": after == "connected",
            "consent": consent,
            "contact_number": caller_number() if consent else None,
        },
    )
    rt = voice_runtime()  # after the write, which read the settings' version with it
    voice = line_voice(rt.config)
    if after == "connected" and stage == TransferTarget.ASSOCIATION:
        _text_the_referral(rt)
    if after in {"connected", "caller_left"}:
        return answer(twiml.goodbye(voice, []))
    if after == "next_association":
        tried = parse_tried(request.args.get("tried", ""))
        return transfer(Route(CallState.from_params(request.args)), tried=tried)
    return answer(ask_callback_number(rt, closed=False, texts=[rt.config.prompts.operators_busy]))


def _text_the_referral(rt: Runtime) -> None:
    """Text the caller the association's name and number, if enabled; a failure only costs the text."""
    sender, to = sms_sender(), caller_number()
    association_id = int_param(request.args.get("association"))
    if sender is None or association_id is None or not can_receive_sms(to):
        return
    service_id = int_param(request.args.get("service"))
    try:
        found = read_database(
            lambda session: reached(session, association_id=association_id, service_id=service_id)
        )
    except Exception:
        log_failure(logger, "Could not look up the association to text the caller")
        return
    if found is None:
        return
    name, phone = found
    try:
        sid = sender.send(to=to, body=referral_text(rt.config.sms.text, name=name, phone=phone))
    except Exception as exc:
        log_failure(logger, "Could not text the referral to the caller")
        log_event(EventKind.SMS_FAILED, {"error": mask_numbers(repr(exc))[:300]})
        return
    log_event(EventKind.SMS_SENT, {"message_sid": sid})
