"""Who is on a leg of a simulated call: what they hear, and how they answer Gather, Dial and Record."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal, Protocol

import phonenumbers

from ivr.simulator.errors import SimulatorError
from ivr.simulator.twiml import DTMF_KEYS

DialStatus = Literal["completed", "no-answer", "busy", "failed", "canceled"]


@dataclass(frozen=True)
class Keys:
    """The caller types these DTMF keys, e.g. "1" or "36300#"."""

    digits: str

    def __post_init__(self) -> None:
        """Refuse keys a phone keypad does not have."""
        if not DTMF_KEYS.fullmatch(self.digits):
            raise ValueError(f"Keys accept only 0-9, * and #, not {self.digits!r}.")


@dataclass(frozen=True)
class Silence:
    """The caller presses nothing, so the Gather times out."""


@dataclass(frozen=True)
class Speech:
    """The caller says these words."""

    text: str
    confidence: float = 0.9


@dataclass(frozen=True)
class HangUp:
    """The caller hangs up."""


@dataclass(frozen=True)
class DialOutcome:
    """What the dialled party does; "completed" means it answered (and, if bridged, talked `duration_s`).

    A screened call is bridged only if the party takes it at the whisper's Gather: `whisper_keys` are the
    keys it presses ("1" takes the call); None presses nothing, as a voicemail that picked up does (the
    Gather times out); `HangUp()` hangs up during the whisper. `answering`, if given, is who hears the
    whisper and answers its Gather instead (the person at the keyboard in `helpline simulate`).
    """

    status: DialStatus
    duration_s: int = 0
    whisper_keys: str | HangUp | None = "1"
    answering: Caller | None = field(default=None, compare=False)


# The called party's voicemail picks up: it hears the whisper, presses nothing.
VOICEMAIL_PICKS_UP = DialOutcome("completed", 30, whisper_keys=None)
# The called party answers, then hangs up during the whisper.
HANGS_UP_IN_WHISPER = DialOutcome("completed", 30, whisper_keys=HangUp())


@dataclass(frozen=True)
class RecordOutcome:
    """The caller speaks `duration_s` seconds (0: says nothing), then presses `finish_key`."""

    duration_s: int
    finish_key: str = "#"


@dataclass(frozen=True)
class GatherPrompt:
    """What a <Gather> says and how it listens."""

    texts: list[str]
    num_digits: int | None = None
    finish_on_key: str = "#"
    timeout: int = 5
    input_modes: frozenset[str] = frozenset({"dtmf"})
    language: str = "en-US"
    hints: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class DialRequest:
    """Who a <Dial> rings; `whisper_urls` holds each <Number>'s absolute url attribute, or None."""

    numbers: list[str]
    caller_id: str | None = None
    timeout: int = 30
    whisper_urls: list[str | None] = field(default_factory=list)
    # answerOnBridge: the caller's leg is answered only on the bridge, and hears the ring until then.
    answer_on_bridge: bool = False


@dataclass(frozen=True)
class RecordRequest:
    """How a <Record> records."""

    max_length: int = 3600
    finish_on_key: str = "1234567890*#"
    timeout: int = 5
    play_beep: bool = True


class Caller(Protocol):
    """Whoever is on a leg of the call: hears the texts and answers the verbs."""

    def hear(self, text: str) -> None:
        """Hear one <Say> text ("[audio <path>]" for a <Play> of a file at that path)."""
        ...

    def gather(self, prompt: GatherPrompt) -> Keys | Silence | Speech | HangUp:
        """Answer a <Gather>."""
        ...

    def dial(self, dial: DialRequest) -> DialOutcome | HangUp:
        """Say what the dialled party does (or hang up while it rings)."""
        ...

    def record(self, request: RecordRequest) -> RecordOutcome | HangUp:
        """Leave a message at a <Record> (or hang up)."""
        ...


class ScriptedCaller:
    """A caller answering from scripts; when one runs out it hangs up, or the dialled party doesn't answer."""

    def __init__(
        self,
        inputs: Iterable[Keys | Silence | Speech | HangUp],
        dials: Iterable[DialOutcome | HangUp] = (),
        records: Iterable[RecordOutcome | HangUp] = (),
    ) -> None:
        """Answer Gathers with `inputs`, Dials with `dials` and Records with `records`, in order."""
        self._inputs = iter(inputs)
        self._dials = iter(dials)
        self._records = iter(records)
        self.heard: list[str] = []
        self.prompts: list[GatherPrompt] = []

    def hear(self, text: str) -> None:
        """Keep the text in `heard`."""
        self.heard.append(text)

    def gather(self, prompt: GatherPrompt) -> Keys | Silence | Speech | HangUp:
        """The next scripted input, or HangUp."""
        self.prompts.append(prompt)
        return next(self._inputs, HangUp())

    def dial(self, dial: DialRequest) -> DialOutcome | HangUp:
        """The next scripted dial outcome, or no answer."""
        return next(self._dials, DialOutcome("no-answer"))

    def record(self, request: RecordRequest) -> RecordOutcome | HangUp:
        """The next scripted recording, or HangUp."""
        return next(self._records, HangUp())


# The commands typed in the terminal, in French (the English ones of earlier versions still work).
HANG_UP = (":raccrocher", ":hangup")
SAY = (":dire ", ":say ")
_GATHER_QUESTION = "Touches (ou :silence, :dire mots, :raccrocher) > "
_GATHER_HELP = (
    "Tapez des touches (0-9, * ou #), une ligne vide ou :silence, :dire suivi de mots, ou :raccrocher."
)
_DIAL_QUESTION = (
    "Au bout du fil : r (décroche), n (ne répond pas), o (occupé), e (échec), "
    ":raccrocher (vous raccrochez) > "
)
_DIAL_ANSWERS: dict[str, DialStatus] = {"r": "completed", "n": "no-answer", "o": "busy", "e": "failed"}
_WHISPER_QUESTION = (
    "Vous êtes le correspondant : 1 (prendre l'appel), ligne vide (la messagerie décroche), :raccrocher > "
)
_RECORD_QUESTION = "Secondes de message (0 = raccroche sans message) > "


class InteractiveCaller:
    """A caller driven from the terminal: prints what it hears and asks the user (in French) what to do.

    When a phone rings the user also plays the called party: picks up, hears the whisper, and takes the
    call with 1, lets the voicemail take it, or hangs up.
    """

    def __init__(
        self,
        input_fn: Callable[[str], str] = input,
        output_fn: Callable[[str], None] = print,
        *,
        names: Mapping[str, str] | None = None,
    ) -> None:
        """Ask with `input_fn` and show with `output_fn`; `names` says whose phone a number is."""
        self._input = input_fn
        self._output = output_fn
        self._names = dict(names or {})

    def hear(self, text: str) -> None:
        """Print the text."""
        self._output(f"🔊 {text}")

    def gather(self, prompt: GatherPrompt) -> Keys | Silence | Speech | HangUp:
        """Ask for keys, silence, words or a hang-up until the answer makes sense."""
        while (answer := _typed_answer(self._ask(_GATHER_QUESTION), speech=True)) is None:
            self._output(_GATHER_HELP)
        return answer

    def dial(self, dial: DialRequest) -> DialOutcome | HangUp:
        """Say who the helpline rings and ask what happens; a call taken lasts 60 s."""
        called = ", ".join(self._called(number) for number in dial.numbers)
        self._output(f"📞 Le 1001 services appelle {called}…")
        while True:
            line = self._ask(_DIAL_QUESTION)
            if line is None or line in HANG_UP:
                return HangUp()
            status = _DIAL_ANSWERS.get(line.lower())
            if status == "completed":
                called_party = _InteractiveCalledParty(self._ask, self._output)
                return DialOutcome("completed", 60, answering=called_party)
            if status is not None:
                return DialOutcome(status)
            self._output("Répondez r, n, o, e ou :raccrocher.")

    def record(self, request: RecordRequest) -> RecordOutcome | HangUp:
        """Ask how many seconds the caller speaks; 0 hangs up without a message."""
        while True:
            line = self._ask(_RECORD_QUESTION)
            if line is None or line == "0":
                return HangUp()
            if re.fullmatch(r"[0-9]+", line):
                return RecordOutcome(int(line))
            self._output("Entrez un nombre de secondes, par exemple 12 (0 pour raccrocher).")

    def _called(self, number: str) -> str:
        shown = _spaced(number)
        return f"{self._names[number]} ({shown})" if number in self._names else shown

    def _ask(self, question: str) -> str | None:
        try:
            return self._input(question).strip()
        except EOFError:
            # Ctrl-D at the terminal: the caller hangs up.
            return None


def _typed_answer(line: str | None, *, speech: bool) -> Keys | Silence | Speech | HangUp | None:
    """What a line typed at a Gather means (None at the end of input hangs up); None if nothing."""
    if line is None or line in HANG_UP:
        return HangUp()
    if line in ("", ":silence"):
        return Silence()
    said = next((line[len(command) :].strip() for command in SAY if line.startswith(command)), "")
    if speech and said:
        return Speech(said)
    return Keys(line) if DTMF_KEYS.fullmatch(line) else None


def _spaced(number: str) -> str:
    """+33261912001 as people write it: +33 2 61 91 20 01."""
    try:
        parsed = phonenumbers.parse(number)
    except phonenumbers.NumberParseException:
        return number
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


class WhisperParty:
    """The dialled party while its whisper plays: listens, and presses `keys` at a Gather."""

    def __init__(self, keys: str | HangUp | None) -> None:
        """Press `keys` at every whisper Gather; None presses nothing; HangUp() hangs up."""
        self.keys = keys
        self.heard: list[str] = []

    def hear(self, text: str) -> None:
        """Keep the text in `heard`."""
        self.heard.append(text)

    def gather(self, prompt: GatherPrompt) -> Keys | Silence | Speech | HangUp:
        """Press the keys, nothing, or hang up."""
        if isinstance(self.keys, HangUp):
            return HangUp()
        return Keys(self.keys) if self.keys else Silence()

    def dial(self, dial: DialRequest) -> DialOutcome | HangUp:
        """Refuse: a whisper only talks to the dialled party."""
        raise SimulatorError("A whisper cannot <Dial>, it only plays to the dialled party.")

    def record(self, request: RecordRequest) -> RecordOutcome | HangUp:
        """Refuse: a whisper only talks to the dialled party."""
        raise SimulatorError("A whisper cannot <Record> in this simulator.")


class _InteractiveCalledParty(WhisperParty):
    """The called party in the terminal: hears the whisper, then takes the call, lets it go, or hangs up."""

    def __init__(self, ask: Callable[[str], str | None], output_fn: Callable[[str], None]) -> None:
        super().__init__(None)
        self._ask = ask
        self._output = output_fn

    def hear(self, text: str) -> None:
        """Print the whisper."""
        self._output(f"🔔 (annonce au correspondant) {text}")

    def gather(self, prompt: GatherPrompt) -> Keys | Silence | Speech | HangUp:
        """Keys typed take or decline the call; an empty line is the voicemail, which presses nothing."""
        while (answer := _typed_answer(self._ask(_WHISPER_QUESTION), speech=False)) is None:
            self._output("Tapez 1, une ligne vide ou :raccrocher.")
        return answer
