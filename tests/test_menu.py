"""The menu engine, as a pure function: no app, no database."""

from __future__ import annotations

import pytest

from helpline.config import Config, Menu, MenuOption
from ivr.menu import (
    Ask,
    CompiledMenu,
    MenuState,
    Route,
    ToOperator,
    compile_menu,
    menu_lines,
    next_step,
    start,
)


@pytest.fixture
def menu(example_config: Config) -> CompiledMenu:
    """The example config's main menu (six categories, two wrong keys and two silences allowed)."""
    return compile_menu(example_config.menu)


@pytest.fixture
def nested() -> CompiledMenu:
    """A menu with a sub-menu under key 1."""
    return compile_menu(
        Menu(
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
    )


@pytest.mark.parametrize(
    ("key", "category"),
    [
        ("1", "MAISON"),
        ("2", "EXTERIEUR"),
        ("3", "ENFANTS"),
        ("4", "AUTONOMIE"),
        ("5", "COURSES_REPAS"),
        ("6", "TRANSPORT"),
    ],
)
def test_each_key_routes_to_its_category(menu: CompiledMenu, key: str, category: str) -> None:
    """Each option of the main menu routes to the category config.yaml gives it."""
    assert next_step(menu, start().state, key) == Route(category, MenuState(path=key))


def test_zero_reaches_an_operator(menu: CompiledMenu) -> None:
    """'0' is an operator from the main menu."""
    assert next_step(menu, MenuState(), "0") == ToOperator("asked", MenuState(path="0"))


def test_zero_reaches_an_operator_from_a_submenu(nested: CompiledMenu) -> None:
    """'0' is an operator from any menu, sub-menus included."""
    inside = next_step(nested, MenuState(), "1")
    assert inside == Ask(MenuState(node="1", path="1"))
    assert next_step(nested, inside.state, "0") == ToOperator("asked", MenuState(node="1", path="1 0"))


def test_star_repeats_without_counting(menu: CompiledMenu) -> None:
    """'*' asks the same menu again and counts neither a wrong key nor a silence."""
    state = MenuState(wrong=1, silent=1, path="8")
    assert next_step(menu, state, "*") == Ask(MenuState(wrong=1, silent=1, path="8 *"))


def test_submenu_then_back(nested: CompiledMenu) -> None:
    """A sub-menu routes its own keys, and '#' goes back to the parent menu."""
    inside = MenuState(node="1", path="1")
    assert next_step(nested, inside, "2") == Route("MAISON.LINGE", MenuState(node="1", path="1 2"))
    assert next_step(nested, inside, "#") == Ask(MenuState(node="", path="1 #"))
    assert menu_lines(nested, "1") == ("Ménage, tapez 1.", "Repassage, tapez 2.", nested.prompt)


def test_operator_option(nested: CompiledMenu) -> None:
    """An option configured as 'operator: true' transfers to the operators."""
    assert next_step(nested, MenuState(), "9") == ToOperator("option", MenuState(path="9"))


def test_wrong_keys_then_operator(menu: CompiledMenu) -> None:
    """A wrong key re-asks with a hint; the configured number of wrong keys goes to an operator."""
    first = next_step(menu, MenuState(), "8")
    assert first == Ask(MenuState(wrong=1, path="8"), hint="wrong_key")
    assert next_step(menu, first.state, "9") == ToOperator("wrong_keys", MenuState(wrong=2, path="8 9"))


def test_silences_then_operator(menu: CompiledMenu) -> None:
    """No key re-asks with a hint; the configured number of silences goes to an operator."""
    first = next_step(menu, MenuState(), None)
    assert first == Ask(MenuState(silent=1), hint="silence")
    assert next_step(menu, first.state, None) == ToOperator("silences", MenuState(silent=2))


def test_wrong_keys_and_silences_are_counted_separately(menu: CompiledMenu) -> None:
    """One wrong key and one silence reach neither limit of two."""
    step = next_step(menu, MenuState(), "8")
    assert isinstance(step, Ask)
    step = next_step(menu, step.state, None)
    assert step == Ask(MenuState(wrong=1, silent=1, path="8"), hint="silence")


@pytest.mark.parametrize(
    "params",
    [
        {"node": "../../etc", "wrong": "x", "silent": "-1"},
        {"node": "7.7.7", "wrong": "999999"},
        {},
        {"node": "1", "path": "x" * 500},
    ],
)
def test_garbage_state_restarts_the_menu(menu: CompiledMenu, params: dict[str, str]) -> None:
    """Unreadable state in a URL never fails: the caller is back at the main menu."""
    state = MenuState.from_params(params)
    assert state.wrong == 0
    assert len(state.path) <= 60
    assert isinstance(next_step(menu, state, "1"), Route)


def test_state_round_trips_through_url_parameters() -> None:
    """What to_params writes, from_params reads back."""
    state = MenuState(node="1.2", wrong=1, silent=2, path="1 2 8")
    assert MenuState.from_params(state.to_params()) == state


def test_multi_digit_input_is_a_wrong_key(menu: CompiledMenu) -> None:
    """More than one key at once is not an option; it counts as a wrong key."""
    assert next_step(menu, MenuState(), "12") == Ask(MenuState(wrong=1, path="12"), hint="wrong_key")
