"""Transfers: ring the associations that can take the request, one after the other, then the operators.

`transfer_plan` decides who is rung next; here the directory is read, the attempt logged, the `<Dial>`
rendered, and its result sends the caller on down the chain (or texts them the association's number).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from flask import Response, request, url_for
from sqlalchemy.orm import Session
from twilio.twiml.voice_response import VoiceResponse

from call_log.codes import EventKind, TransferTarget
from call_log.journey import attempt_of, end_transfer, start_transfer
from call_log.models import Call, CallEvent
from call_log.privacy import mask_numbers
from directory.routing import Candidate, route
from foundation.runtime import Runtime, runtime
from ivr import twiml
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
from ivr.webhooks.blueprint import answer, bp, caller_number, int_param, sms_sender
from ivr.webhooks.events import log_event, log_failure
from ivr.webhooks.voicemail import ask_callback_number

logger = logging.getLogger(__name__)


def transfer(step: Route | ToOperator, *, tried: tuple[int, ...] = ()) -> Response:
    """Ring the next association that can take the request, else the operators."""
    rt = runtime()
    prompts = rt.config.prompts
    state = step.state
    candidates: Sequence[Candidate] = ()
    plan: Transfer | None = operators_first(step, prompts, tried=tried)
    if plan is None:
        candidates = _candidates(rt, state)
        plan = next_association(state, prompts, tried=tried, candidates=candidates)
    if isinstance(plan, RingOperators):
        if plan.event is not None:
            log_event(plan.event.kind, plan.event.payload, summary=plan.event.summary)
        return _to_operators(rt, state, plan.texts, reason=plan.reason)
    attempt = _start_attempt(rt, state, candidate=plan.candidate)
    if attempt.association_id != plan.candidate.association_id:
        # A retry, after the first request gave the next turn in the rotation to an equal: ring whom the
        # first one rang, so that the answer is the same.
        first = [c for c in candidates if c.association_id == attempt.association_id]
        replan = next_association(state, prompts, tried=tried, candidates=first) if first else plan
        plan = replan if isinstance(replan, RingAssociation) else plan
    candidate = plan.candidate
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
                attempt=str(attempt.number or ""),
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


def _candidates(rt: Runtime, state: CallState) -> Sequence[Candidate]:
    """The directory's candidates for the request now."""
    with rt.sessions() as session:
        return route(
            session,
            category=state.category or "",
            commune_insee=state.insee,
            at=rt.clock(),
            tz=rt.config.helpline.tz,
        )


def _to_operators(rt: Runtime, state: CallState, texts: Sequence[str], *, reason: OperatorReason) -> Response:
    attempt = _start_attempt(rt, state, candidate=None, reason=reason)
    whisper = url_for(
        "ivr.whisper", target=TransferTarget.OPERATORS, call=str(attempt.call_id or ""), **state.to_params()
    )
    return answer(dial_operators(rt, texts, whisper=whisper, attempt=attempt.number))


@dataclass(frozen=True)
class _Attempt:
    """A transfer attempt as logged: its number, the call's id, the association it rings (None: operators).

    When the log could not be written, the number and the call's id are None.
    """

    number: int | None
    call_id: int | None
    association_id: int | None


def _start_attempt(
    rt: Runtime, state: CallState, *, candidate: Candidate | None, reason: str = ""
) -> _Attempt:
    """Log a transfer attempt with what the journey collected; a retried request gets the first one's."""
    association_id = candidate.association_id if candidate else None
    payload = {
        "target": TransferTarget.ASSOCIATION if candidate else TransferTarget.OPERATORS,
        "association_id": association_id,
        "category": state.category,
    } | ({"reason": reason} if reason else {})

    def record(session: Session, call: Call) -> _Attempt:
        attempt = start_transfer(session, call, association_id=association_id, now=rt.clock())
        # The journey's answers go on the call after the attempt is numbered, so that its query does
        # not flush them half-way.
        for name, value in observatory(state).items():
            setattr(call, name, value)
        return _Attempt(attempt, call.id, association_id)

    def recorded(session: Session, call: Call, event: CallEvent) -> _Attempt:
        # Twilio retried a request that timed out: answer with the attempt the first one started.
        logged = event.payload.get("association_id")
        return _Attempt(
            attempt_of(session, call, event), call.id, logged if isinstance(logged, int) else None
        )

    logged = log_event(EventKind.TRANSFER, payload, then=record, again=recorded)
    return logged or _Attempt(None, None, association_id)


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
    status = result_of_dial(request.form.get("DialCallStatus", "")[:20], request.form.get("DialBridged"))
    duration = int_param(request.form.get("DialCallDuration"))
    attempt = int_param(request.args.get("attempt"))
    association_id = int_param(request.args.get("association"))
    after = after_dial(stage, status, request.form.get("CallStatus", ""))
    payload = {"stage": stage, "status": status, "duration_s": duration, "attempt": attempt}
    log_event(
        EventKind.DIAL_RESULT,
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
        log_failure(logger, "Could not text the referral to the caller")
        log_event(EventKind.SMS_FAILED, {"error": mask_numbers(repr(exc))[:300]})
        return
    log_event(EventKind.SMS_SENT, {"message_sid": sid})
