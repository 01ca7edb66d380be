"""What the caller hears at each question of the journey, and how the question listens for the answer.

Pure: the journey's webhook adds the action URLs and renders the question with `twiml.ask`.
"""

from __future__ import annotations

from dataclasses import dataclass

from foundation.config import Prompts
from ivr.flow import ROOT, Flow, menu_lines
from ivr.menu import Ask
from ivr.places import communes_for


@dataclass(frozen=True)
class Question:
    """The texts of one question; keys it waits for (None: any number, ended by '#'); words it expects."""

    texts: list[str]
    num_digits: int | None = 1
    speech_hints: list[str] | None = None
    speech_only: bool = False


def question(step: Ask, flow: Flow, prompts: Prompts, *, greeting: bool = False) -> Question:
    """The question `step` asks: the menu, a confirmation, or one of the observatory's questions."""
    state = step.state
    hints = {
        "wrong_key": prompts.wrong_key,
        "silence": prompts.silence,
        "not_understood": prompts.not_understood,
    }
    hint = hints[step.hint] if step.hint else ""
    if state.phase == "menu":
        texts = [flow.greeting if greeting else "", hint, *menu_lines(flow, state.node)]
        if flow.matcher is not None and state.node == ROOT:
            texts.insert(2, prompts.speech_hint)
            return Question(texts, speech_hints=flow.matcher.hints())
        return Question(texts)
    if state.phase == "confirm":
        label = flow.labels.get(state.category or "", state.category or "")
        return Question([hint, prompts.speech_confirm.format(label=label)])
    if state.phase == "postal":
        texts = [prompts.postal_code_invalid if step.hint == "wrong_key" else hint, prompts.postal_code]
        return Question(texts, num_digits=5)
    if state.phase == "commune":
        communes = communes_for(state.postal_code or "")
        return Question(
            [*([prompts.commune_name_again] if step.hint else []), prompts.commune_name],
            num_digits=None,
            speech_hints=[commune.name for commune in communes],
            speech_only=True,
        )
    if state.phase == "who":
        return Question([hint, prompts.beneficiary])
    if state.phase == "consent":
        return Question([hint, prompts.contact_consent])
    return Question([hint, prompts.heard_from, *(option.say for option in flow.heard_from)])
