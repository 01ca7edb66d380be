"""What each question of the journey says and listens for, as a pure function of the step."""

from __future__ import annotations

import pytest

from foundation.config import Config
from ivr.flow import Flow
from ivr.menu import Ask, CallState
from ivr.questions import Question, question
from tests.test_menu import make_flow


@pytest.fixture
def flow(example_config: Config) -> Flow:
    """The example config's journey, speech on."""
    return make_flow(example_config)


def test_main_menu_greets_once_and_listens_for_speech(flow: Flow, example_config: Config) -> None:
    """The first menu starts with the greeting and the speech hint; keys and words are both heard."""
    prompts = example_config.prompts
    first = question(Ask(CallState()), flow, prompts, greeting=True)
    assert first.texts[:3] == [flow.greeting, "", prompts.speech_hint]
    assert (first.num_digits, first.speech_only) == (1, False)
    assert first.speech_hints
    again = question(Ask(CallState(), hint="silence"), flow, prompts)
    assert again.texts[:3] == ["", prompts.silence, prompts.speech_hint]


def test_postal_code_question(flow: Flow, example_config: Config) -> None:
    """The postal code takes five keys; after a wrong one the caller hears that it is not recognised."""
    prompts = example_config.prompts
    state = CallState(phase="postal", category="MAISON")
    assert question(Ask(state), flow, prompts) == Question(["", prompts.postal_code], num_digits=5)
    assert question(Ask(state, hint="wrong_key"), flow, prompts).texts == [
        prompts.postal_code_invalid,
        prompts.postal_code,
    ]


def test_commune_question_listens_for_the_names_of_that_postal_code(
    flow: Flow, example_config: Config
) -> None:
    """The commune's name is only spoken, with the communes of the postal code as hints."""
    asked = question(Ask(CallState(phase="commune", postal_code="36300")), flow, example_config.prompts)
    assert (asked.texts, asked.num_digits, asked.speech_only) == (
        [example_config.prompts.commune_name],
        None,
        True,
    )
    assert asked.speech_hints is not None
    assert asked.speech_hints[:2] == ["Ciron", "Concremiers"]


def test_confirmation_names_the_category(flow: Flow, example_config: Config) -> None:
    """Unclear speech is confirmed with the category's label, yes on 1."""
    asked = question(Ask(CallState(phase="confirm", category="MAISON")), flow, example_config.prompts)
    assert asked == Question(
        ["", "Vous cherchez : Ménage, linge et entretien de la maison ? Si oui, tapez 1. Sinon, tapez 2."]
    )
