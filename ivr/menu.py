"""The voice journey's engine: a pure function from (flow, state, what the caller did) to the next step.

No Flask, no database, no clock. The state travels in the URLs the app writes into its own TwiML (Twilio
signs them), so a step needs nothing but its arguments. The journey: the main menu (keys or speech, a
sub-menu maybe, a confirmation when speech is unclear), then the observatory's questions (where the service is
needed, for whom, how they heard of the number), each skipped by a timeout, then the transfer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, ClassVar, Literal

from call_log.codes import Beneficiary
from foundation.text import is_ascii_digits
from ivr.flow import ROOT, Flow, child_id
from ivr.places import TERRITORIES, is_postal_code, match_commune, place_from_postal_code
from ivr.speech import beneficiary_in

OPERATOR_KEY, REPEAT_KEY, BACK_KEY = "0", "*", "#"
MAX_PATH_LENGTH = 60
# A spoken match is clear when it leads the runner-up by this much (compared rounded: 0.85 - 0.65 is
# 0.19999999999999996 in floating point).
SPEECH_MARGIN = 0.2
Phase = Literal["menu", "confirm", "postal", "commune", "who", "heard", "consent"]
PHASES: tuple[Phase, ...] = ("menu", "confirm", "postal", "commune", "who", "heard", "consent")
Hint = Literal["wrong_key", "silence", "not_understood"]
BENEFICIARY_KEYS = {"1": Beneficiary.SELF, "2": Beneficiary.RELATIVE}
CONSENT_KEYS = {"1": "yes", "2": "no"}  # may the association get the caller's number (asked last)


@dataclass(frozen=True)
class CallState:
    """Where a caller is in the journey and what they told us so far."""

    phase: Phase = "menu"
    node: str = ROOT
    wrong: int = 0
    silent: int = 0
    path: str = ""
    category: str | None = None
    postal_code: str | None = None
    insee: str | None = None
    territory: str | None = None
    departement: str | None = None
    beneficiary: str | None = None
    heard_from: str | None = None
    consent: str | None = None  # a value of CONSENT_KEYS

    _PARAMS: ClassVar[dict[str, str]] = {
        "phase": "phase", "node": "node", "wrong": "wrong", "silent": "silent", "path": "path",
        "category": "cat", "postal_code": "cp", "insee": "insee", "territory": "terr",
        "departement": "dep", "beneficiary": "who", "heard_from": "heard", "consent": "ok",
    }  # fmt: skip

    def to_params(self) -> dict[str, Any]:
        """The state as URL query parameters (empty ones left out)."""
        params: dict[str, Any] = {}
        for name, key in self._PARAMS.items():
            value = getattr(self, name)
            if value not in (None, "") or name in {"node", "wrong", "silent"}:
                params[key] = str(value if value is not None else "")
        return params

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> CallState:
        """Read a state from URL parameters; anything unreadable gives the start of the menu."""

        def text(key: str, limit: int, allowed: str) -> str | None:
            value = params.get(key, "")
            return value if value and len(value) <= limit and all(c in allowed for c in value) else None

        def count(key: str) -> int:
            value = params.get(key, "0")
            return int(value) if is_ascii_digits(value) and len(value) < 3 else 0

        phase = params.get("phase", "menu")
        node = params.get("node", ROOT)
        if len(node) > 20 or any(part not in "123456789" for part in node.split(".") if node):
            node = ROOT
        upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ_."
        return cls(
            phase=phase if phase in PHASES else "menu",
            node=node,
            wrong=count("wrong"),
            silent=count("silent"),
            path=params.get("path", "")[-MAX_PATH_LENGTH:],
            category=text("cat", 60, upper),
            postal_code=text("cp", 5, "0123456789"),
            insee=text("insee", 5, "0123456789AB"),
            territory=text("terr", 7, "inoutnkw"),
            departement=text("dep", 3, "0123456789AB"),
            beneficiary=params.get("who") if params.get("who") in BENEFICIARY_KEYS.values() else None,
            heard_from=text("heard", 40, "abcdefghijklmnopqrstuvwxyz_"),
            consent=params.get("ok") if params.get("ok") in CONSENT_KEYS.values() else None,
        )

    def pressed(self, key: str) -> CallState:
        """This state with `key` appended to the path of what the caller did."""
        return replace(self, path=f"{self.path} {key}".strip()[-MAX_PATH_LENGTH:])

    def in_phase(self, phase: Phase, node: str = ROOT) -> CallState:
        """This state moved to another phase, counters reset."""
        return replace(self, phase=phase, node=node, wrong=0, silent=0)


@dataclass(frozen=True)
class Keys:
    """Keys the caller typed (Twilio's Digits)."""

    digits: str


@dataclass(frozen=True)
class Said:
    """Words the caller said (Twilio's SpeechResult and Confidence)."""

    text: str
    confidence: float = 1.0


@dataclass(frozen=True)
class NoInput:
    """The caller did nothing before the timeout."""


Input = Keys | Said | NoInput


@dataclass(frozen=True)
class Ask:
    """Say the current phase's prompt and wait; `hint` says why it is asked again."""

    state: CallState
    hint: Hint | None = None


@dataclass(frozen=True)
class Route:
    """The caller's request is complete: transfer to an association offering the category."""

    state: CallState


@dataclass(frozen=True)
class ToOperator:
    """Transfer to the operators, and why."""

    reason: Literal["asked", "option", "wrong_keys", "silences", "not_understood"]
    state: CallState


Step = Ask | Route | ToOperator


def start() -> Ask:
    """The first step of every call: the main menu."""
    return Ask(CallState())


def next_step(flow: Flow, state: CallState, given: Input) -> Step:
    """What happens when the caller does `given` in `state`."""
    if isinstance(given, Keys):
        key = given.digits.strip()
        state = state.pressed(key or "#")
        # "0" reaches an operator and "*" repeats from anywhere; "#" goes back (an empty entry ended by '#').
        if key == OPERATOR_KEY:
            return ToOperator("asked", state)
        if key == REPEAT_KEY:
            return Ask(state)
        if key in {"", BACK_KEY}:
            return _back(flow, state)
        given = Keys(key)
    elif isinstance(given, Said):
        state = state.pressed("~")
    handler = {
        "menu": _in_menu,
        "confirm": _in_confirm,
        "postal": _in_postal,
        "commune": _in_commune,
        "who": _in_who,
        "heard": _in_heard,
        "consent": _in_consent,
    }[state.phase]
    return handler(flow, state, given)


def _back(flow: Flow, state: CallState) -> Step:
    if state.phase == "menu":
        node = flow.node(state.node)
        return Ask(replace(state.in_phase("menu", node.parent or ROOT)))
    return Ask(replace(CallState(path=state.path)))


def _silence(flow: Flow, state: CallState, *, skip: bool) -> Step:
    """No input: a question is skipped; a menu is asked again, up to the limit, then an operator."""
    if skip:
        return _after(flow, state)
    silent = replace(state, silent=state.silent + 1)
    if silent.silent >= flow.max_silences:
        return ToOperator("silences", silent)
    return Ask(silent, hint="silence")


def _wrong(flow: Flow, state: CallState, hint: Hint = "wrong_key", *, skip: bool = False) -> Step:
    """A wrong answer: asked again up to the limit, then an operator (menus) or the next step (questions)."""
    wrong = replace(state, wrong=state.wrong + 1)
    if wrong.wrong >= flow.max_wrong_keys:
        if skip:
            return _after(flow, wrong)
        return ToOperator("not_understood" if hint == "not_understood" else "wrong_keys", wrong)
    return Ask(wrong, hint=hint)


def _in_menu(flow: Flow, state: CallState, given: Input) -> Step:
    if isinstance(given, NoInput):
        return _silence(flow, state, skip=False)
    if isinstance(given, Said):
        match = flow.matcher.match(given.text) if flow.matcher else None
        if match is None or match.score < flow.confirm:
            return _wrong(flow, state, "not_understood")
        # "Du repassage pour ma mère" already says for whom: that question is not asked.
        state = replace(state, beneficiary=beneficiary_in(given.text) or state.beneficiary)
        clear = match.score >= flow.accept and round(match.score - match.runner_up_score, 6) >= SPEECH_MARGIN
        if clear and given.confidence >= 0.4:
            return _chosen(flow, state, match.category)
        return Ask(replace(state.in_phase("confirm"), category=match.category))
    node = flow.node(state.node)
    option = node.options.get(given.digits)
    if option is None:
        return _wrong(flow, state)
    if option.category is not None:
        return _chosen(flow, state, option.category)
    if option.operator:
        return ToOperator("option", state)
    return Ask(state.in_phase("menu", child_id(node.id, given.digits)))


def _in_confirm(flow: Flow, state: CallState, given: Input) -> Step:
    if isinstance(given, NoInput):
        return _silence(flow, state, skip=False)
    if isinstance(given, Keys) and given.digits == "1" and state.category:
        return _chosen(flow, state, state.category)
    if isinstance(given, Keys) and given.digits == "2":
        return Ask(CallState(path=state.path))
    return _wrong(flow, state)


def _chosen(flow: Flow, state: CallState, category: str) -> Step:
    """The service is known: on to the first question asked, or straight to the transfer."""
    return _after(flow, replace(state, category=category, phase="confirm"))


# The questions in the order they are asked; each returns whether it is asked with this flow.
_QUESTIONS: tuple[tuple[Phase, str], ...] = (("postal", "ask_commune"), ("who", "ask_beneficiary"))


def _after(flow: Flow, state: CallState) -> Step:
    """The next question after the current phase, or the transfer when none is left."""
    order: list[Phase] = [phase for phase, setting in _QUESTIONS if getattr(flow, setting)]
    last: tuple[tuple[Phase, object], ...] = (("heard", flow.heard_from), ("consent", flow.ask_consent))
    order += [phase for phase, asked in last if asked]
    current = "postal" if state.phase == "commune" else state.phase
    later = order[order.index(current) + 1 :] if current in order else order
    if state.phase in {"menu", "confirm"}:
        later = order
    later = [phase for phase in later if not (phase == "who" and state.beneficiary)]  # already said
    return Ask(state.in_phase(later[0])) if later else Route(state.in_phase("menu"))


def _in_postal(flow: Flow, state: CallState, given: Input) -> Step:
    if isinstance(given, NoInput):
        return _silence(flow, state, skip=True)
    if not isinstance(given, Keys) or not is_postal_code(given.digits):
        return _wrong(flow, state, skip=True)
    place, ask_name = place_from_postal_code(given.digits)
    answered = replace(
        state,
        postal_code=place.postal_code,
        insee=place.commune_insee,
        territory=TERRITORIES[place.in_territory],
        departement=place.departement,
    )
    if ask_name:
        return Ask(answered.in_phase("commune"))
    return _after(flow, answered)


def _in_commune(flow: Flow, state: CallState, given: Input) -> Step:
    if isinstance(given, Said) and state.postal_code:
        commune = match_commune(state.postal_code, given.text)
        state = replace(state, beneficiary=beneficiary_in(given.text) or state.beneficiary)
        if commune is not None:
            return _after(flow, replace(state, insee=commune.insee, territory="in"))
        if state.wrong == 0:
            return Ask(replace(state, wrong=1), hint="not_understood")  # once more, with a hint
    # Not understood twice, or nothing said: the postal code is kept, the commune stays unknown.
    return _after(flow, state)


def _in_who(flow: Flow, state: CallState, given: Input) -> Step:
    return _keyed(flow, state, given, BENEFICIARY_KEYS, "beneficiary")


def _in_heard(flow: Flow, state: CallState, given: Input) -> Step:
    return _keyed(flow, state, given, {o.key: o.value for o in flow.heard_from}, "heard_from")


def _in_consent(flow: Flow, state: CallState, given: Input) -> Step:
    return _keyed(flow, state, given, CONSENT_KEYS, "consent")


def _keyed(flow: Flow, state: CallState, given: Input, keys: Mapping[str, str], name: str) -> Step:
    """A question answered with a key: a timeout or a wrong key (past the limit) skips it."""
    if isinstance(given, NoInput):
        return _silence(flow, state, skip=True)
    answer = keys.get(given.digits) if isinstance(given, Keys) else None
    if answer is None:
        return _wrong(flow, state, skip=True)
    return _after(flow, replace(state, **{name: answer}))  # type: ignore[arg-type]
