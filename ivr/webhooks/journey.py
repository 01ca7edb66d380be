"""The voice journey: a new call, then each answer in the menu and the observatory's questions.

The menu engine decides the next step from the state in the signed URL and what the caller did;
`questions` says what each question says, and the step ends in a question or a transfer.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from flask import Response, request, url_for

from call_log.codes import EventKind, Outcome
from call_log.privacy import mask_numbers, mask_spoken, stored_caller
from foundation.config import PRIVACY_KEY
from foundation.gate import DatabaseUnavailableError
from foundation.runtime import Runtime
from ivr import twiml
from ivr.hours import LineStatus, Override, closed_texts, line_status
from ivr.line import caller_key, current_override
from ivr.menu import Ask, CallState, Input, Keys, NoInput, Said, next_step, start
from ivr.phone import caller_place
from ivr.privacy_notice import asks_information, information, notice
from ivr.questions import question
from ivr.staff_settings import head
from ivr.webhooks.blueprint import answer, bp, line_voice
from ivr.webhooks.events import log_event, read_database
from ivr.webhooks.settings import flow, known, settled, voice_runtime
from ivr.webhooks.transfers import transfer
from ivr.webhooks.voicemail import ask_callback_number

logger = logging.getLogger(__name__)


@bp.post("/voice")
def voice() -> Response:
    """A new call: log it, then the main menu, or, when the line is closed, say so and take a message."""
    override = _read_override_and_settings()
    rt = voice_runtime()
    form = request.form
    number = form.get("From", "")
    status = _line_status(rt, override)
    secret = rt.settings.caller_hash_secret
    caller = stored_caller(number, rt.config.privacy.caller_number, secret=secret)
    country, area = caller_place(number, form.get("FromCountry", ""))
    # The event's payload is shown and exported as it is: the number in it is masked whatever the row keeps.
    shown = stored_caller(number, "masked") if caller.startswith("+") else caller
    log_event(
        EventKind.CALL_STARTED,
        {"caller": shown, "to": mask_numbers(form.get("To", "")[:20]), "line": status.reason},
        opening={"caller": caller, "caller_country": country, "called": form.get("To", "")[:20]},
        # The keyed hash goes in the call's INSERT (no UPDATE after it): the write needs no full number.
        summary={
            "caller_area": area,
            "after_hours": not status.open,
            "caller_key": caller_key(number, secret=rt.settings.caller_key_secret),
        }
        | ({} if status.open else {"outcome": Outcome.AFTER_HOURS_NO_MESSAGE}),
    )
    if not status.open:
        texts = closed_texts(rt.config, status, rt.clock())
        return answer(ask_callback_number(rt, closed=True, texts=texts))
    return _ask(start(), greeting=True)


def _read_override_and_settings() -> Override | None:
    """The staff's override, reading the settings' version in the same transaction (one wait, not two).

    Unreadable, the line goes by its hours, with the settings last known (it fails open).
    """
    try:
        override, number = read_database(lambda session: (current_override(session), head(session)))
    except DatabaseUnavailableError as unavailable:
        logger.warning("Could not read the line's override (%s); using the hours alone", unavailable)
        known()
        return None
    except Exception:
        logger.exception("Could not read the line's override; using the hours alone")
        known()
        return None
    settled(number)
    return override


def _line_status(rt: Runtime, override: Override | None) -> LineStatus:
    """Open or closed now; an unreadable schedule fails open (callers reach the menu)."""
    try:
        return line_status(rt.config, rt.clock(), override=override)
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
        EventKind.MENU_INPUT,
        {
            "phase": state.phase,
            "node": state.node,
            "digits": given.digits if isinstance(given, Keys) else None,
            "speech": mask_spoken(given.text) if isinstance(given, Said) else None,
            "timeout": isinstance(given, NoInput),
        },
    )
    config = voice_runtime().config
    if asks_information(config, flow(), state, given):
        # The privacy key: what is kept and the rights, then the main menu again.
        return _ask(Ask(state.pressed(PRIVACY_KEY)), before=[information(config)])
    step = next_step(flow(), state, given)
    if isinstance(step, Ask):
        return _ask(step)
    return transfer(step)


def _ask(step: Ask, *, greeting: bool = False, before: Sequence[str] = ()) -> Response:
    """Render a question of the journey, its answer (or silence) coming back to the menu webhook.

    The greeting is followed by the privacy notice, if on; `before` is said ahead of the question.
    """
    rt = voice_runtime()
    asked = question(step, flow(), rt.config.prompts, greeting=greeting)
    texts = [*before, *asked.texts[:1], *(notice(rt.config) if greeting else []), *asked.texts[1:]]
    params: dict[str, Any] = step.state.to_params()
    return answer(
        twiml.ask(
            line_voice(rt.config),
            texts,
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
