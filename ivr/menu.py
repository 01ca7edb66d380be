"""The menu engine: a pure function from (menu, where the caller is, what they did) to the next step.

No Flask, no database. The state travels in the URLs the app writes into its own TwiML, so a step needs
nothing but its arguments.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Literal

from helpline.config import Menu, MenuOption

ROOT = ""
OPERATOR_KEY, REPEAT_KEY, BACK_KEY = "0", "*", "#"
MAX_PATH_LENGTH = 60
Hint = Literal["wrong_key", "silence"]


@dataclass(frozen=True)
class MenuNode:
    """One menu the caller can be in: what is said and which key does what."""

    id: str
    lines: tuple[str, ...]
    options: Mapping[str, MenuOption]
    parent: str | None


@dataclass(frozen=True)
class CompiledMenu:
    """The menu tree of config.yaml, indexed by node id ('' is the main menu, '2' the sub-menu of key 2)."""

    greeting: str
    prompt: str
    nodes: Mapping[str, MenuNode]
    max_wrong_keys: int
    max_silences: int

    def node(self, node_id: str) -> MenuNode:
        """The node with this id, or the main menu for an id the menu does not have."""
        return self.nodes.get(node_id) or self.nodes[ROOT]


def compile_menu(menu: Menu) -> CompiledMenu:
    """Index the configured menu tree by node id."""
    nodes: dict[str, MenuNode] = {}

    def add(node_id: str, options: list[MenuOption], parent: str | None) -> None:
        nodes[node_id] = MenuNode(
            id=node_id,
            lines=tuple(option.say for option in options),
            options={option.key: option for option in options},
            parent=parent,
        )
        for option in options:
            if option.options is not None:
                add(_child(node_id, option.key), option.options, node_id)

    add(ROOT, menu.options, None)
    return CompiledMenu(
        greeting=menu.greeting,
        prompt=menu.prompt,
        nodes=nodes,
        max_wrong_keys=menu.max_wrong_keys,
        max_silences=menu.max_silences,
    )


def _child(node_id: str, key: str) -> str:
    return f"{node_id}.{key}" if node_id else key


@dataclass(frozen=True)
class MenuState:
    """Where a caller is in the menu and how many wrong keys and silences they had there."""

    node: str = ROOT
    wrong: int = 0
    silent: int = 0
    path: str = ""

    def to_params(self) -> dict[str, str]:
        """The state as URL query parameters."""
        return {"node": self.node, "wrong": str(self.wrong), "silent": str(self.silent), "path": self.path}

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> MenuState:
        """Read a state from URL parameters; anything unreadable gives the start of the menu."""

        def count(name: str) -> int:
            value = params.get(name, "0")
            return int(value) if value.isdigit() and len(value) < 3 else 0

        node = params.get("node", ROOT)
        if len(node) > 20 or any(part not in "123456789" for part in node.split(".") if node):
            node = ROOT
        path = params.get("path", "")[-MAX_PATH_LENGTH:]
        return cls(node=node, wrong=count("wrong"), silent=count("silent"), path=path)

    def pressed(self, key: str) -> MenuState:
        """This state with `key` appended to the path of keys pressed."""
        path = f"{self.path} {key}".strip()[-MAX_PATH_LENGTH:]
        return replace(self, path=path)


@dataclass(frozen=True)
class Ask:
    """Say a menu and wait for a key; `hint` says why it is asked again."""

    state: MenuState
    hint: Hint | None = None


@dataclass(frozen=True)
class Route:
    """The caller chose a service category: transfer to an association offering it."""

    category: str
    state: MenuState


@dataclass(frozen=True)
class ToOperator:
    """Transfer to the operators, and why."""

    reason: Literal["asked", "option", "wrong_keys", "silences"]
    state: MenuState


Step = Ask | Route | ToOperator


def start() -> Ask:
    """The first step of every call: the main menu."""
    return Ask(MenuState())


def next_step(menu: CompiledMenu, state: MenuState, pressed: str | None) -> Step:
    """What happens when the caller presses `pressed` (None: nothing before the timeout) in `state`."""
    node = menu.node(state.node)
    state = replace(state, node=node.id)
    if pressed is None:
        silent = replace(state, silent=state.silent + 1)
        if silent.silent >= menu.max_silences:
            return ToOperator("silences", silent)
        return Ask(silent, hint="silence")

    key = pressed.strip()
    state = state.pressed(key or "?")
    if key == OPERATOR_KEY:
        return ToOperator("asked", state)
    if key == REPEAT_KEY:
        return Ask(state)
    if key == BACK_KEY:
        return Ask(replace(state, node=node.parent or ROOT, wrong=0, silent=0))
    option = node.options.get(key)
    if option is None:
        wrong = replace(state, wrong=state.wrong + 1)
        if wrong.wrong >= menu.max_wrong_keys:
            return ToOperator("wrong_keys", wrong)
        return Ask(wrong, hint="wrong_key")
    if option.category is not None:
        return Route(option.category, state)
    if option.operator:
        return ToOperator("option", state)
    return Ask(replace(state, node=_child(node.id, key), wrong=0, silent=0))


def menu_lines(menu: CompiledMenu, node_id: str) -> tuple[str, ...]:
    """What the caller hears at a node: each option, then the reminder of the reserved keys."""
    return (*menu.node(node_id).lines, menu.prompt)
