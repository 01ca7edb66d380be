"""The voice journey's engine, as a pure function: no app, no database, no clock."""

from __future__ import annotations

from dataclasses import replace

import pytest

from directory.reference import taxonomy
from foundation.config import Config, Menu, MenuOption
from ivr.flow import Flow, compile_flow, menu_lines
from ivr.menu import Ask, CallState, Keys, NoInput, Route, Said, Step, ToOperator, next_step, start


def make_flow(config: Config) -> Flow:
    """The flow the app compiles from a config and the shipped taxonomy."""
    rows = [row for row in taxonomy() if row.code != "AUTRE"]
    return compile_flow(
        config,
        labels={row.code: row.label for row in rows},
        speech_phrases={row.code: [row.label, *(row.synonyms if row.parent_code else ())] for row in rows},
    )


@pytest.fixture
def flow(example_config: Config) -> Flow:
    """The example config's journey: six categories, postal code and beneficiary questions, speech on."""
    return make_flow(example_config)


@pytest.fixture
def menu_only(example_config: Config) -> Flow:
    """The example journey with every question switched off."""
    questions = example_config.questions.model_copy(update={"commune": False, "beneficiary": False})
    return make_flow(example_config.model_copy(update={"questions": questions}))


@pytest.fixture
def nested(example_config: Config) -> Flow:
    """A menu with a sub-menu under key 1 and an operator option on 9, no questions."""
    menu = Menu(
        greeting="Bonjour.",
        options=[
            MenuOption(
                key="1",
                say="Maison, tapez 1.",
                options=[
                    MenuOption(key="1", say="Ménage, tapez 1.", category="MAISON.MENAGE"),
                    MenuOption(key="2", say="Repassage, tapez 2.", category="MAISON.LINGE"),
                ],
            ),
            MenuOption(key="9", say="Autre demande, tapez 9.", operator=True),
        ],
    )
    questions = example_config.questions.model_copy(update={"commune": False, "beneficiary": False})
    return make_flow(example_config.model_copy(update={"menu": menu, "questions": questions}))


def play(flow: Flow, *inputs: Keys | Said | NoInput) -> Step:
    """The step after a sequence of inputs from the start of a call."""
    step: Step = start()
    for given in inputs:
        assert isinstance(step, Ask), f"the journey ended at {step} before {given}"
        step = next_step(flow, step.state, given)
    return step


@pytest.mark.parametrize(
    ("key", "category"),
    [("1", "MAISON"), ("2", "EXTERIEUR"), ("3", "ENFANTS"), ("4", "AUTONOMIE"), ("5", "COURSES_REPAS"),
     ("6", "TRANSPORT")],
)  # fmt: skip
def test_each_key_routes_to_its_category(menu_only: Flow, key: str, category: str) -> None:
    """Without questions, each option of the main menu routes to its category at once."""
    assert play(menu_only, Keys(key)) == Route(CallState(category=category, path=key))


def test_choice_then_questions_then_route(flow: Flow) -> None:
    """A key, a postal code shared by several communes, the commune's name, 'for a relative': route."""
    assert play(flow, Keys("1")) == Ask(CallState(phase="postal", category="MAISON", path="1"))
    asked_name = play(flow, Keys("1"), Keys("36300"))
    assert asked_name == Ask(
        CallState(
            phase="commune", category="MAISON", path="1 36300", postal_code="36300", territory="unknown",
            departement="36",
        )
    )  # fmt: skip
    assert play(flow, Keys("1"), Keys("36300"), Said("Ciron"), Keys("2")) == Route(
        CallState(
            category="MAISON", path="1 36300 ~ 2", postal_code="36300", insee="36053", territory="in",
            departement="36", beneficiary="relative",
        )
    )  # fmt: skip


def test_postal_code_outside_the_territory(flow: Flow) -> None:
    """A postal code outside the park is recorded as such, with its département; no name is asked."""
    step = play(flow, Keys("4"), Keys("75015"))
    assert step == Ask(
        CallState(
            phase="who", category="AUTONOMIE", path="4 75015", postal_code="75015", territory="out",
            departement="75",
        )
    )  # fmt: skip


def test_unrecognised_commune_name_keeps_the_postal_code(flow: Flow) -> None:
    """A name matching none of the code's communes, twice: the postal code is kept, the commune unknown."""
    step = play(flow, Keys("2"), Keys("36170"), Said("Châteauroux"), Said("Châteauroux"), Keys("1"))
    assert isinstance(step, Route)
    assert (step.state.postal_code, step.state.insee, step.state.territory) == ("36170", None, "unknown")


def test_timeouts_skip_the_questions(flow: Flow) -> None:
    """Silence at every question skips it: nothing blocks the transfer."""
    step = play(flow, Keys("3"), NoInput(), NoInput())
    assert step == Route(CallState(category="ENFANTS", path="3"))


def test_bad_postal_codes_then_move_on(flow: Flow) -> None:
    """An invalid postal code is asked again once with a hint, then the question is skipped."""
    first = play(flow, Keys("1"), Keys("123"))
    assert first == Ask(CallState(phase="postal", category="MAISON", path="1 123", wrong=1), hint="wrong_key")
    assert play(flow, Keys("1"), Keys("123"), Keys("99999")) == Ask(
        CallState(phase="who", category="MAISON", path="1 123 99999")
    )


@pytest.mark.parametrize(
    ("said", "category", "beneficiary"),
    [
        ("repassage", "MAISON.LINGE", None),
        ("quelqu'un pour garder les enfants", "ENFANTS.GARDE_DOMICILE", None),
        ("aide à domicile pour ma mère", "AUTONOMIE.AUXILIAIRE_DE_VIE", "relative"),
        ("REPASAGE", "MAISON.LINGE", None),
        ("tondre la pelouse", "EXTERIEUR.JARDINAGE", None),
    ],
)
def test_clear_speech_routes(menu_only: Flow, said: str, category: str, beneficiary: str | None) -> None:
    """A clear spoken request routes to the category (accents, case and typos forgiven), and says for whom."""
    expected = CallState(category=category, path="~", beneficiary=beneficiary)
    assert play(menu_only, Said(said)) == Route(expected)


def test_unclear_speech_asks_for_a_key_to_confirm(menu_only: Flow) -> None:
    """Two services in one sentence: the best is confirmed with 1; 2 goes back to the menu."""
    confirm = play(menu_only, Said("garde d'enfants et repassage"))
    assert confirm == Ask(CallState(phase="confirm", category="ENFANTS.GARDE_DOMICILE", path="~"))
    assert play(menu_only, Said("garde d'enfants et repassage"), Keys("1")) == Route(
        CallState(category="ENFANTS.GARDE_DOMICILE", path="~ 1")
    )
    assert play(menu_only, Said("garde d'enfants et repassage"), Keys("2")) == Ask(CallState(path="~ 2"))


def test_low_recognition_confidence_is_confirmed(menu_only: Flow) -> None:
    """Even a clear word is confirmed when Twilio was unsure it heard it."""
    step = play(menu_only, Said("repassage", confidence=0.2))
    assert step == Ask(CallState(phase="confirm", category="MAISON.LINGE", path="~"))


def test_speech_without_match_reprompts_then_operator(menu_only: Flow) -> None:
    """Words matching no service re-ask the menu (keys), then an operator takes over."""
    assert play(menu_only, Said("bonjour madame")) == Ask(CallState(wrong=1, path="~"), hint="not_understood")
    assert play(menu_only, Said("bonjour madame"), Said("xyzzy")) == ToOperator(
        "not_understood", CallState(wrong=2, path="~ ~")
    )


def test_zero_reaches_an_operator_from_anywhere(flow: Flow, nested: Flow) -> None:
    """'0' is an operator from the main menu, a sub-menu and every question."""
    assert play(flow, Keys("0")) == ToOperator("asked", CallState(path="0"))
    assert isinstance(play(nested, Keys("1"), Keys("0")), ToOperator)
    assert isinstance(play(flow, Keys("1"), Keys("0")), ToOperator)
    assert isinstance(play(flow, Keys("1"), NoInput(), Keys("0")), ToOperator)


def test_star_repeats_without_counting(flow: Flow) -> None:
    """'*' asks the same thing again and counts neither a wrong key nor a silence."""
    assert play(flow, Keys("8"), Keys("*")) == Ask(CallState(wrong=1, path="8 *"))
    assert play(flow, Keys("1"), Keys("*")) == Ask(CallState(phase="postal", category="MAISON", path="1 *"))


def test_submenu_then_back(nested: Flow) -> None:
    """A sub-menu routes its own keys, and '#' goes back to the parent menu."""
    inside = play(nested, Keys("1"))
    assert inside == Ask(CallState(node="1", path="1"))
    assert play(nested, Keys("1"), Keys("2")) == Route(CallState(category="MAISON.LINGE", path="1 2"))
    assert play(nested, Keys("1"), Keys("#")) == Ask(CallState(path="1 #"))
    assert menu_lines(nested, "1") == ("Ménage, tapez 1.", "Repassage, tapez 2.", nested.prompt)


def test_back_from_a_question_returns_to_the_menu(flow: Flow) -> None:
    """'#' alone at a question (an empty entry) goes back to the main menu, answers forgotten."""
    assert play(flow, Keys("1"), Keys("")) == Ask(CallState(path="1 #"))


def test_operator_option(nested: Flow) -> None:
    """An option configured as 'operator: true' transfers to the operators."""
    assert play(nested, Keys("9")) == ToOperator("option", CallState(path="9"))


def test_wrong_keys_then_operator(flow: Flow) -> None:
    """A wrong key re-asks with a hint; the configured number of wrong keys goes to an operator."""
    assert play(flow, Keys("8")) == Ask(CallState(wrong=1, path="8"), hint="wrong_key")
    assert play(flow, Keys("8"), Keys("9")) == ToOperator("wrong_keys", CallState(wrong=2, path="8 9"))


def test_silences_then_operator(flow: Flow) -> None:
    """No key re-asks with a hint; the configured number of silences goes to an operator."""
    assert play(flow, NoInput()) == Ask(CallState(silent=1), hint="silence")
    assert play(flow, NoInput(), NoInput()) == ToOperator("silences", CallState(silent=2))


def test_wrong_keys_and_silences_are_counted_separately(flow: Flow) -> None:
    """One wrong key and one silence reach neither limit of two."""
    assert play(flow, Keys("8"), NoInput()) == Ask(CallState(wrong=1, silent=1, path="8"), hint="silence")


def test_heard_from_question_when_enabled(example_config: Config) -> None:
    """The optional third question records how the caller heard of the number."""
    questions = example_config.questions.model_copy(update={"heard_from": True})
    flow = make_flow(example_config.model_copy(update={"questions": questions}))
    step = play(flow, Keys("5"), Keys("36290"), Said("Mézières-en-Brenne"), Keys("1"), Keys("4"))
    assert step == Route(
        CallState(
            category="COURSES_REPAS", path="5 36290 ~ 1 4", postal_code="36290", insee="36123",
            territory="in", departement="36", beneficiary="self", heard_from="word_of_mouth",
        )
    )  # fmt: skip


@pytest.mark.parametrize(
    "params",
    [
        {"node": "../../etc", "wrong": "x", "silent": "-1", "phase": "admin"},
        {"node": "7.7.7", "wrong": "999999", "cat": "<script>", "cp": "abcde"},
        {},
        {"node": "1", "path": "x" * 500, "who": "everyone", "terr": "mars"},
    ],
)
def test_garbage_state_restarts_the_menu(flow: Flow, params: dict[str, str]) -> None:
    """Unreadable state in a URL never fails: the caller is back at the main menu."""
    state = CallState.from_params(params)
    assert (state.phase, state.wrong, state.category, state.postal_code, state.beneficiary) == (
        "menu", 0, None, None, None,
    )  # fmt: skip
    assert len(state.path) <= 60
    assert isinstance(next_step(flow, state, Keys("1")), Ask)


def test_state_round_trips_through_url_parameters() -> None:
    """What to_params writes, from_params reads back."""
    state = CallState(
        phase="who", node="1.2", wrong=1, silent=2, path="1 2 8", category="MAISON.LINGE",
        postal_code="36300", insee="36053", territory="in", departement="36", beneficiary="relative",
        heard_from="press",
    )  # fmt: skip
    assert CallState.from_params(state.to_params()) == state


def test_multi_digit_input_is_a_wrong_key(flow: Flow) -> None:
    """More than one key at once in a menu is not an option; it counts as a wrong key."""
    assert play(flow, Keys("12")) == Ask(CallState(wrong=1, path="12"), hint="wrong_key")


def test_beneficiary_said_with_the_service_is_not_asked(flow: Flow) -> None:
    """'du repassage pour ma mère': the postal code is asked, then the transfer, for a relative."""
    step = play(flow, Said("du repassage pour ma mère"), NoInput())
    assert step == Route(CallState(category="MAISON.LINGE", path="~", beneficiary="relative"))


def test_commune_not_understood_is_asked_once_more(flow: Flow) -> None:
    """A commune name not understood is asked again with a hint, once; then the next question."""
    commune = CallState(
        phase="commune", category="MAISON", path="1 36300 ~", postal_code="36300", territory="unknown",
        departement="36", wrong=1,
    )  # fmt: skip
    assert play(flow, Keys("1"), Keys("36300"), Said("Paris")) == Ask(commune, hint="not_understood")
    again = play(flow, Keys("1"), Keys("36300"), Said("Paris"), Said("Paris"))
    assert again == Ask(replace(commune, phase="who", path="1 36300 ~ ~", wrong=0))
