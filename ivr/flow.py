"""The voice menu as the engine walks it: config.yaml's menu tree compiled once, indexed by node id.

Pure like the engine (ivr.menu): built at start and whenever the settings change, then only read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from foundation.config import Config, HeardFromOption, MenuOption
from ivr.speech import SpeechMatcher

ROOT = ""


@dataclass(frozen=True)
class MenuNode:
    """One menu the caller can be in: what is said and which key does what."""

    id: str
    lines: tuple[str, ...]
    options: Mapping[str, MenuOption]
    parent: str | None


@dataclass(frozen=True)
class Flow:
    """Everything the engine needs from config.yaml and the taxonomy, compiled once at start."""

    greeting: str
    prompt: str
    nodes: Mapping[str, MenuNode]
    max_wrong_keys: int
    max_silences: int
    labels: Mapping[str, str]
    matcher: SpeechMatcher | None = None
    accept: float = 0.85
    confirm: float = 0.6
    ask_commune: bool = True
    ask_beneficiary: bool = True
    heard_from: tuple[HeardFromOption, ...] = ()
    ask_consent: bool = False

    def node(self, node_id: str) -> MenuNode:
        """The node with this id, or the main menu for an id the menu does not have."""
        return self.nodes.get(node_id) or self.nodes[ROOT]


def compile_flow(
    config: Config, *, labels: Mapping[str, str], speech_phrases: Mapping[str, Sequence[str]]
) -> Flow:
    """Index the configured menu tree by node id and build the speech vocabulary."""
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
                add(child_id(node_id, option.key), option.options, node_id)

    menu = config.menu
    add(ROOT, menu.options, None)
    questions = config.questions
    return Flow(
        greeting=menu.greeting,
        prompt=menu.prompt,
        nodes=nodes,
        max_wrong_keys=menu.max_wrong_keys,
        max_silences=menu.max_silences,
        labels=dict(labels),
        matcher=SpeechMatcher(speech_phrases.items()) if config.speech.enabled else None,
        accept=config.speech.accept,
        confirm=config.speech.confirm,
        ask_commune=questions.commune,
        ask_beneficiary=questions.beneficiary,
        heard_from=tuple(questions.heard_from_options) if questions.heard_from else (),
        ask_consent=questions.contact_consent,
    )


def child_id(node_id: str, key: str) -> str:
    """The id of the sub-menu that `key` opens at `node_id`."""
    return f"{node_id}.{key}" if node_id else key


def menu_lines(flow: Flow, node_id: str) -> tuple[str, ...]:
    """What the caller hears at a menu node: each option, then the reminder of the reserved keys."""
    return (*flow.node(node_id).lines, flow.prompt)
