"""Caller paths of the menu engine that tests/test_menu.py leaves unpinned (issue 11's surviving mutants)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from foundation.config import Config, Menu, MenuOption
from ivr.flow import Flow, menu_lines
from ivr.menu import Ask, CallState, Keys, NoInput, Route, Said, ToOperator, next_step
from ivr.speech import Match, SpeechMatcher
from tests.test_menu import make_flow, play

# An utterance the example vocabulary scores between speech.confirm and speech.accept: it is confirmed.
UNCLEAR = "garde d'enfants et repassage"
UNCLEAR_CATEGORY = "ENFANTS.GARDE_DOMICILE"


class FixedMatcher(SpeechMatcher):
    """A matcher giving every utterance the same match, so that a score can sit exactly on a threshold."""

    def __init__(self, match: Match) -> None:
        super().__init__(())
        self.fixed = match

    def match(self, utterance: str) -> Match | None:
        """The fixed match, whatever was said."""
        return self.fixed


def with_questions(config: Config, **questions: bool) -> Flow:
    """The example journey with the observatory's questions switched as given."""
    return make_flow(config.model_copy(update={"questions": config.questions.model_copy(update=questions)}))


@pytest.fixture
def flow(example_config: Config) -> Flow:
    """The example journey: postal code and beneficiary questions, speech on, no 'heard from'."""
    return make_flow(example_config)


@pytest.fixture
def menu_only(example_config: Config) -> Flow:
    """The example journey with every question switched off."""
    return with_questions(example_config, commune=False, beneficiary=False)


@pytest.fixture
def heard(example_config: Config) -> Flow:
    """The example journey with the third question, how the caller heard of the number, switched on."""
    return with_questions(example_config, heard_from=True)


@pytest.fixture
def deep(example_config: Config) -> Flow:
    """A menu two levels deep: key 1 opens 'Maison', whose key 2 opens 'Linge'; no questions."""
    menu = Menu(
        greeting="Bonjour.",
        options=[
            MenuOption(
                key="1",
                say="Maison, tapez 1.",
                options=[
                    MenuOption(key="1", say="Ménage, tapez 1.", category="MAISON.MENAGE"),
                    MenuOption(
                        key="2",
                        say="Linge, tapez 2.",
                        options=[
                            MenuOption(key="1", say="Repassage, tapez 1.", category="MAISON.LINGE"),
                            MenuOption(key="2", say="Couture, tapez 2.", category="MAISON"),
                        ],
                    ),
                ],
            ),
            MenuOption(key="2", say="Jardin, tapez 2.", category="EXTERIEUR"),
        ],
    )
    questions = example_config.questions.model_copy(update={"commune": False, "beneficiary": False})
    return make_flow(example_config.model_copy(update={"menu": menu, "questions": questions}))


def speech_flow(flow: Flow, score: float, *, runner_up: float = 0.0) -> Flow:
    """`flow` whose speech matcher scores every utterance MAISON.LINGE at `score`."""
    rival = "ENFANTS" if runner_up else None
    return replace(flow, matcher=FixedMatcher(Match("MAISON.LINGE", score, rival, runner_up)))


# The speech confirmation ("Vous cherchez : ... ? Si oui, tapez 1. Sinon, tapez 2.")


def test_wrong_key_at_the_confirmation_asks_again_then_operator(menu_only: Flow) -> None:
    """A key other than 1 or 2 at the confirmation re-asks it with a hint, then an operator."""
    assert play(menu_only, Said(UNCLEAR), Keys("5")) == Ask(
        CallState(phase="confirm", category=UNCLEAR_CATEGORY, wrong=1, path="~ 5"), hint="wrong_key"
    )
    assert play(menu_only, Said(UNCLEAR), Keys("5"), Keys("7")) == ToOperator(
        "wrong_keys", CallState(phase="confirm", category=UNCLEAR_CATEGORY, wrong=2, path="~ 5 7")
    )


def test_speech_at_the_confirmation_is_a_wrong_answer(menu_only: Flow) -> None:
    """Words instead of a key at the confirmation count as a wrong answer; the guessed service is kept."""
    assert play(menu_only, Said(UNCLEAR), Said("oui")) == Ask(
        CallState(phase="confirm", category=UNCLEAR_CATEGORY, wrong=1, path="~ ~"), hint="wrong_key"
    )


def test_one_without_a_guessed_service_is_a_wrong_answer(menu_only: Flow) -> None:
    """'1' at a confirmation whose URL lost the guessed service is a wrong answer, not a route to nothing."""
    state = CallState(phase="confirm", path="~")
    assert next_step(menu_only, state, Keys("1")) == Ask(
        CallState(phase="confirm", wrong=1, path="~ 1"), hint="wrong_key"
    )


def test_silence_at_the_confirmation_asks_again_then_operator(menu_only: Flow) -> None:
    """No key at the confirmation re-asks it with a hint; the silence limit reaches an operator."""
    assert play(menu_only, Said(UNCLEAR), NoInput()) == Ask(
        CallState(phase="confirm", category=UNCLEAR_CATEGORY, silent=1, path="~"), hint="silence"
    )
    assert play(menu_only, Said(UNCLEAR), NoInput(), NoInput()) == ToOperator(
        "silences", CallState(phase="confirm", category=UNCLEAR_CATEGORY, silent=2, path="~")
    )


def test_confirmed_service_goes_on_to_the_questions(flow: Flow) -> None:
    """'1' at the confirmation chooses the guessed service and asks the first question."""
    assert play(flow, Said(UNCLEAR), Keys("1")) == Ask(
        CallState(phase="postal", category=UNCLEAR_CATEGORY, path="~ 1")
    )


# The "for whom" question ("Pour vous, tapez 1. Pour un proche, tapez 2.")


def test_wrong_key_for_whom_asks_again_then_skips_the_question(flow: Flow) -> None:
    """A key other than 1 or 2 for whom re-asks once with a hint, then the question is skipped."""
    assert play(flow, Keys("1"), NoInput()) == Ask(CallState(phase="who", category="MAISON", path="1"))
    assert play(flow, Keys("1"), NoInput(), Keys("3")) == Ask(
        CallState(phase="who", category="MAISON", wrong=1, path="1 3"), hint="wrong_key"
    )
    assert play(flow, Keys("1"), NoInput(), Keys("3"), Keys("7")) == Route(
        CallState(category="MAISON", path="1 3 7")
    )


def test_speech_for_whom_is_a_wrong_answer(flow: Flow) -> None:
    """Words instead of a key for whom count as a wrong answer; no beneficiary is recorded."""
    assert play(flow, Keys("1"), NoInput(), Said("pour ma mère")) == Ask(
        CallState(phase="who", category="MAISON", wrong=1, path="1 ~"), hint="wrong_key"
    )


@pytest.mark.parametrize(("key", "beneficiary"), [("1", "self"), ("2", "relative")])
def test_each_key_for_whom_is_recorded(flow: Flow, key: str, beneficiary: str) -> None:
    """'1' records the caller, '2' a relative, and the call is routed."""
    assert play(flow, Keys("6"), NoInput(), Keys(key)) == Route(
        CallState(category="TRANSPORT", path=f"6 {key}", beneficiary=beneficiary)
    )


# How the caller heard of the number (questions.heard_from)


def test_heard_from_is_asked_after_for_whom(heard: Flow) -> None:
    """With heard_from on, the beneficiary's answer leads to the third question, not to the transfer."""
    assert play(heard, Keys("5"), NoInput(), Keys("2")) == Ask(
        CallState(phase="heard", category="COURSES_REPAS", path="5 2", beneficiary="relative")
    )


@pytest.mark.parametrize(
    ("key", "value"),
    [("1", "town_hall"), ("2", "shop"), ("3", "press"), ("4", "word_of_mouth"), ("5", "internet"),
     ("6", "other")],
)  # fmt: skip
def test_each_heard_from_answer_is_recorded(heard: Flow, key: str, value: str) -> None:
    """Each configured key records its answer, and the call is routed."""
    assert play(heard, Keys("5"), NoInput(), NoInput(), Keys(key)) == Route(
        CallState(category="COURSES_REPAS", path=f"5 {key}", heard_from=value)
    )


def test_wrong_key_at_heard_from_asks_again_then_routes(heard: Flow) -> None:
    """A key no answer has re-asks once with a hint, then the call is routed without an answer."""
    assert play(heard, Keys("5"), NoInput(), NoInput(), Keys("8")) == Ask(
        CallState(phase="heard", category="COURSES_REPAS", wrong=1, path="5 8"), hint="wrong_key"
    )
    assert play(heard, Keys("5"), NoInput(), NoInput(), Keys("8"), Said("la mairie")) == Route(
        CallState(category="COURSES_REPAS", path="5 8 ~")
    )


def test_silence_at_heard_from_routes_without_an_answer(heard: Flow) -> None:
    """No key at the third question skips it: the call is routed at once."""
    assert play(heard, Keys("5"), NoInput(), NoInput(), NoInput()) == Route(
        CallState(category="COURSES_REPAS", path="5")
    )


def test_heard_from_alone_is_asked_right_after_the_choice(example_config: Config) -> None:
    """With the other questions off, the chosen service leads straight to the third question."""
    only_heard = with_questions(example_config, commune=False, beneficiary=False, heard_from=True)
    assert play(only_heard, Keys("2")) == Ask(CallState(phase="heard", category="EXTERIEUR", path="2"))
    assert play(only_heard, Keys("2"), Keys("1")) == Route(
        CallState(category="EXTERIEUR", path="2 1", heard_from="town_hall")
    )


def test_heard_from_follows_the_commune_when_for_whom_is_off(example_config: Config) -> None:
    """Without the beneficiary question, the commune's name leads to the third question."""
    no_who = with_questions(example_config, beneficiary=False, heard_from=True)
    assert play(no_who, Keys("1"), Keys("36300"), Said("Ciron")) == Ask(
        CallState(
            phase="heard", category="MAISON", path="1 36300 ~", postal_code="36300", insee="36053",
            territory="in", departement="36",
        )
    )  # fmt: skip


def test_heard_from_switched_off_is_never_asked(flow: Flow) -> None:
    """With heard_from off, the beneficiary's answer routes the call."""
    assert play(flow, Keys("5"), NoInput(), Keys("1")) == Route(
        CallState(category="COURSES_REPAS", path="5 1", beneficiary="self")
    )


# Going back with "#"


def test_back_from_two_levels_deep_goes_up_one_level(deep: Flow) -> None:
    """'#' in a sub-menu of a sub-menu goes back to its parent sub-menu, a second '#' to the main menu."""
    assert play(deep, Keys("1"), Keys("2")) == Ask(CallState(node="1.2", path="1 2"))
    assert play(deep, Keys("1"), Keys("2"), Keys("#")) == Ask(CallState(node="1", path="1 2 #"))
    assert play(deep, Keys("1"), Keys("2"), Keys("#"), Keys("#")) == Ask(CallState(path="1 2 # #"))
    assert play(deep, Keys("1"), Keys("2"), Keys("#"), Keys("1")) == Route(
        CallState(category="MAISON.MENAGE", path="1 2 # 1")
    )


def test_keys_two_levels_deep_are_that_menus_own(deep: Flow) -> None:
    """The deepest menu routes its own keys and says its own options."""
    assert play(deep, Keys("1"), Keys("2"), Keys("2")) == Route(CallState(category="MAISON", path="1 2 2"))
    assert play(deep, Keys("1"), Keys("2"), Keys("1")) == Route(
        CallState(category="MAISON.LINGE", path="1 2 1")
    )
    assert menu_lines(deep, "1.2") == ("Repassage, tapez 1.", "Couture, tapez 2.", deep.prompt)


def test_wrong_key_two_levels_deep_stays_in_that_menu(deep: Flow) -> None:
    """A wrong key in the deepest menu re-asks that menu, not the main one."""
    assert play(deep, Keys("1"), Keys("2"), Keys("9")) == Ask(
        CallState(node="1.2", wrong=1, path="1 2 9"), hint="wrong_key"
    )


def test_back_at_the_main_menu_stays_there(deep: Flow) -> None:
    """'#' at the main menu asks the main menu again, counting nothing."""
    assert play(deep, Keys("8"), Keys("#")) == Ask(CallState(path="8 #"))


def test_back_at_the_confirmation_returns_to_the_main_menu(menu_only: Flow) -> None:
    """'#' at the speech confirmation forgets the guessed service and asks the main menu."""
    assert play(menu_only, Said(UNCLEAR), Keys("#")) == Ask(CallState(path="~ #"))


# The speech thresholds (speech.accept 0.85, speech.confirm 0.6 in the example config)


@pytest.mark.parametrize(
    ("score", "runner_up", "confidence", "expected"),
    [
        (0.85, 0.6, 1.0, "route"),  # exactly speech.accept
        (0.849, 0.6, 1.0, "confirm"),
        (0.85, 0.6, 0.4, "route"),  # the recogniser's confidence at its floor
        (0.85, 0.6, 0.399, "confirm"),
        (1.0, 0.75, 1.0, "route"),  # a clear margin over another family
        (1.0, 0.85, 1.0, "confirm"),  # another family almost as likely
        (0.85, 0.65, 1.0, "route"),  # a margin of exactly 0.2, which floating point makes 0.19999...
        (1.0, 0.8, 1.0, "route"),
        (0.85, 0.651, 1.0, "confirm"),
        (0.6, 0.0, 1.0, "confirm"),  # exactly speech.confirm
        (0.599, 0.0, 1.0, "not_understood"),
    ],
)
def test_speech_thresholds(
    menu_only: Flow, score: float, runner_up: float, confidence: float, expected: str
) -> None:
    """A match routes from speech.accept (clear, well heard), is confirmed from speech.confirm, else not."""
    step = play(speech_flow(menu_only, score, runner_up=runner_up), Said("repassage", confidence))
    outcomes = {
        "route": Route(CallState(category="MAISON.LINGE", path="~")),
        "confirm": Ask(CallState(phase="confirm", category="MAISON.LINGE", path="~")),
        "not_understood": Ask(CallState(wrong=1, path="~"), hint="not_understood"),
    }
    assert step == outcomes[expected]


def test_thresholds_come_from_the_config(example_config: Config) -> None:
    """speech.accept and speech.confirm of config.yaml are the flow's thresholds."""
    speech = example_config.speech.model_copy(update={"accept": 0.95, "confirm": 0.7})
    flow = with_questions(
        example_config.model_copy(update={"speech": speech}), commune=False, beneficiary=False
    )
    assert (flow.accept, flow.confirm) == (0.95, 0.7)
    assert play(speech_flow(flow, 0.9), Said("repassage")) == Ask(
        CallState(phase="confirm", category="MAISON.LINGE", path="~")
    )
    assert play(speech_flow(flow, 0.65), Said("repassage")) == Ask(
        CallState(wrong=1, path="~"), hint="not_understood"
    )


def test_speech_off_is_not_understood(example_config: Config) -> None:
    """With speech disabled, whatever is said is re-asked as not understood, then an operator."""
    speech = example_config.speech.model_copy(update={"enabled": False})
    flow = with_questions(
        example_config.model_copy(update={"speech": speech}), commune=False, beneficiary=False
    )
    assert flow.matcher is None
    assert play(flow, Said("repassage")) == Ask(CallState(wrong=1, path="~"), hint="not_understood")
    assert play(flow, Said("repassage"), Said("ménage")) == ToOperator(
        "not_understood", CallState(wrong=2, path="~ ~")
    )


# What compile_flow takes from config.yaml


def test_the_flow_keeps_the_configured_sentences_and_labels(flow: Flow) -> None:
    """The flow keeps the config's greeting and reminder of the reserved keys, and the taxonomy's labels."""
    assert (flow.greeting, flow.prompt) == ("Bonjour, ici le 1001 services.", "Un conseiller, tapez 0.")
    assert flow.labels["MAISON.LINGE"] == "Repassage et blanchissage"
    assert menu_lines(flow, "")[-1] == "Un conseiller, tapez 0."


# Counters and answers between phases


def test_a_silence_at_the_menu_does_not_count_at_the_questions(flow: Flow, deep: Flow) -> None:
    """Moving to another menu or question starts its silence and wrong-key counts afresh."""
    assert play(flow, NoInput(), Keys("1")) == Ask(CallState(phase="postal", category="MAISON", path="1"))
    assert play(deep, NoInput(), Keys("8"), Keys("1")) == Ask(CallState(node="1", path="8 1"))


def test_silence_at_the_commune_name_keeps_the_postal_code(flow: Flow) -> None:
    """No name said after a shared postal code: the code is kept and the next question is asked."""
    assert play(flow, Keys("1"), Keys("36300"), NoInput()) == Ask(
        CallState(
            phase="who", category="MAISON", path="1 36300", postal_code="36300", territory="unknown",
            departement="36",
        )
    )  # fmt: skip


# The state in the URLs the app writes into its own TwiML


def test_to_params_writes_what_is_known_and_always_the_counters() -> None:
    """Empty answers are left out of the URL; the node and both counters are always written."""
    assert CallState().to_params() == {"phase": "menu", "node": "", "wrong": "0", "silent": "0"}
    assert CallState(phase="who", category="MAISON", path="1").to_params() == {
        "phase": "who", "node": "", "wrong": "0", "silent": "0", "path": "1", "cat": "MAISON",
    }  # fmt: skip


def test_no_parameters_read_as_the_start_of_a_call() -> None:
    """A URL without state is the first step of a call."""
    assert CallState.from_params({}) == CallState()


@pytest.mark.parametrize(
    ("node", "read"),
    [
        ("../../etc", ""),
        ("X", ""),
        ("1.x", ""),
        ("1.2.3.4.5.6.7.8.9.12", "1.2.3.4.5.6.7.8.9.12"),  # 20 characters, the longest kept
        ("1.2.3.4.5.6.7.8.9.123", ""),
    ],
)
def test_a_menu_node_from_a_url_is_digits_and_dots_of_limited_length(node: str, read: str) -> None:
    """A node that is not digits 1-9 joined by dots, or longer than 20 characters, reads as the main menu."""
    assert CallState.from_params({"node": node}).node == read


@pytest.mark.parametrize(("value", "read"), [("0", 0), ("99", 99), ("100", 0), ("-1", 0), ("1x", 0)])
def test_counters_from_a_url_are_at_most_two_digits(value: str, read: int) -> None:
    """A wrong-key or silence count is read only as a number of one or two digits."""
    state = CallState.from_params({"wrong": value, "silent": value})
    assert (state.wrong, state.silent) == (read, read)


@pytest.mark.parametrize(
    ("key", "value", "kept"),
    [
        ("cat", "A" * 60, True),
        ("cat", "A" * 61, False),
        ("cp", "36300", True),
        ("cp", "363000", False),
        ("cp", "3630X", False),
        ("insee", "2A004", True),  # Corsica
        ("insee", "2a004", False),
        ("insee", "360531", False),
        ("insee", "3605X", False),
        ("terr", "unknown", True),
        ("terr", "unknownn", False),
        ("terr", "X", False),
        ("dep", "2B", True),
        ("dep", "2b", False),
        ("dep", "9740", False),
        ("dep", "3X", False),
        ("heard", "a" * 40, True),
        ("heard", "a" * 41, False),
        ("heard", "X", False),
    ],
)
def test_answers_from_a_url_are_checked_for_length_and_characters(key: str, value: str, kept: bool) -> None:
    """Each answer read from a URL keeps to its length and alphabet; anything else reads as unknown."""
    params = CallState(
        category="MAISON", postal_code="36300", insee="36053", territory="in", departement="36",
        heard_from="press",
    ).to_params()  # fmt: skip
    names = {"cat": "category", "cp": "postal_code", "insee": "insee", "terr": "territory",
             "dep": "departement", "heard": "heard_from"}  # fmt: skip
    read = getattr(CallState.from_params({**params, key: value}), names[key])
    assert read == (value if kept else None)
