"""Plays Twilio's role in a voice call: signs webhooks, checks and executes the TwiML the app answers.

Used by the tests (through Flask's test client) and by the terminal command (over HTTP, with a person
typing the keys). It follows Twilio's documented behaviour closely enough that a call which works here
works on Twilio, and it fails loudly where Twilio would play its "application error" message.
"""

from __future__ import annotations

import math
import re
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any, Literal, Protocol
from urllib.parse import urljoin, urlsplit

import phonenumbers
import requests
from twilio.request_validator import RequestValidator

EndReason = Literal["hangup-verb", "end-of-document", "caller-hangup"]
DialStatus = Literal["completed", "no-answer", "busy", "failed", "canceled"]

_DTMF_KEYS = re.compile(r"[0-9*#]*")
_WORDS_PER_SECOND = 2.5


# --- errors ------------------------------------------------------------------------------------------


class SimulatorError(Exception):
    """Base class of every failure the simulator reports."""


class InvalidTwiML(SimulatorError):  # noqa: N818 -- the name other modules and tests use
    """The app answered something Twilio would refuse as TwiML."""

    def __init__(self, url: str, problem: str) -> None:
        """Name the webhook URL and what is wrong in its answer."""
        super().__init__(f"Invalid TwiML from {url}: {problem}.")
        self.url = url
        self.problem = problem


class WebhookError(SimulatorError):
    """The app answered a TwiML webhook with an HTTP status other than 200."""

    def __init__(self, url: str, status: int, body: str) -> None:
        """Keep the status and body so that a failing test shows what the app said."""
        super().__init__(
            f"Webhook {url} answered HTTP {status} instead of 200, so Twilio would play its application "
            f"error: {body[:300]!r}."
        )
        self.url = url
        self.status = status
        self.body = body


class SimulationLimit(SimulatorError):  # noqa: N818 -- the name other modules and tests use
    """The call fetched more TwiML documents than allowed: the app probably loops forever."""

    def __init__(self, limit: int) -> None:
        """Say which limit was exceeded."""
        super().__init__(f"The call needed more than {limit} TwiML documents: the app must be looping.")
        self.limit = limit


# --- transports --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WebhookResponse:
    """What the app answered to one webhook request."""

    status: int
    content_type: str
    body: str


class Transport(Protocol):
    """Delivers one form POST to the app and returns its answer."""

    def post(self, url: str, params: Mapping[str, str], headers: Mapping[str, str]) -> WebhookResponse:
        """POST `params` as a form to the absolute `url` with `headers`."""
        ...


class FlaskClientTransport:
    """Delivers webhooks through a Flask test client, without a network."""

    def __init__(self, client: Any) -> None:
        """Wrap a flask.testing.FlaskClient (duck-typed to keep Flask out of this module)."""
        self._client = client

    def post(self, url: str, params: Mapping[str, str], headers: Mapping[str, str]) -> WebhookResponse:
        """POST through the test client so that Flask sees exactly `url` (the URL that was signed)."""
        parts = urlsplit(url)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        response = self._client.post(
            path, data=dict(params), headers=dict(headers), base_url=f"{parts.scheme}://{parts.netloc}"
        )
        return WebhookResponse(
            status=int(response.status_code),
            content_type=str(response.content_type or ""),
            body=str(response.get_data(as_text=True)),
        )


class HttpTransport:
    """Delivers webhooks over real HTTP with requests."""

    def __init__(self, *, timeout: float = 15.0) -> None:
        """Give up after `timeout` seconds, as Twilio does after 15 s."""
        self._timeout = timeout

    def post(self, url: str, params: Mapping[str, str], headers: Mapping[str, str]) -> WebhookResponse:
        """POST the form over HTTP and decode the answer."""
        # No redirects: the signature covers the URL, so a redirected webhook is a bug to see, not to hide.
        response = requests.post(
            url, data=dict(params), headers=dict(headers), timeout=self._timeout, allow_redirects=False
        )
        content_type = response.headers.get("Content-Type", "")
        if "charset=" not in content_type.lower():
            # requests would assume ISO-8859-1 for text/* without a charset, but XML's default is UTF-8.
            response.encoding = "utf-8"
        return WebhookResponse(response.status_code, content_type, response.text)


# --- the caller --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Keys:
    """The caller types these DTMF keys, e.g. "1" or "36300#"."""

    digits: str

    def __post_init__(self) -> None:
        """Refuse keys a phone keypad does not have."""
        if not _DTMF_KEYS.fullmatch(self.digits):
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
    """What the dialled party does; "completed" means it answered and talked for `duration_s`."""

    status: DialStatus
    duration_s: int = 0
    # The keys the answering party presses at a whisper's Gather; None presses nothing.
    whisper_keys: str | None = "1"


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
        """Hear one <Say> text ("[audio]" for a <Play>)."""
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


_GATHER_QUESTION = "Touches (ou :silence, :say mots, :hangup) > "
_GATHER_HELP = "Tapez des touches (0-9, * ou #), une ligne vide ou :silence, :say suivi de mots, ou :hangup."
_DIAL_QUESTION = "Le correspondant : r (répond), n (ne répond pas), o (occupé), e (échec) > "
_DIAL_ANSWERS: dict[str, DialStatus] = {"r": "completed", "n": "no-answer", "o": "busy", "e": "failed"}
_RECORD_QUESTION = "Secondes de message (0 = raccroche sans message) > "


class InteractiveCaller:
    """A caller driven from the terminal: prints what it hears and asks the user (in French) what to do."""

    def __init__(
        self, input_fn: Callable[[str], str] = input, output_fn: Callable[[str], None] = print
    ) -> None:
        """Ask with `input_fn` and show with `output_fn`."""
        self._input = input_fn
        self._output = output_fn

    def hear(self, text: str) -> None:
        """Print the text."""
        self._output(f"🔊 {text}")

    def gather(self, prompt: GatherPrompt) -> Keys | Silence | Speech | HangUp:
        """Ask for keys, silence, words or a hang-up until the answer makes sense."""
        while True:
            line = self._ask(_GATHER_QUESTION)
            if line is None or line == ":hangup":
                return HangUp()
            if line in ("", ":silence"):
                return Silence()
            if line.startswith(":say ") and line[5:].strip():
                return Speech(line[5:].strip())
            if _DTMF_KEYS.fullmatch(line):
                return Keys(line)
            self._output(_GATHER_HELP)

    def dial(self, dial: DialRequest) -> DialOutcome | HangUp:
        """Show the numbers and ask what the dialled party does; an answered call lasts 60 s."""
        self._output(f"📞 Appel de {', '.join(dial.numbers)}")
        while True:
            line = self._ask(_DIAL_QUESTION)
            if line is None:
                return HangUp()
            status = _DIAL_ANSWERS.get(line.lower())
            if status == "completed":
                return DialOutcome("completed", 60)
            if status is not None:
                return DialOutcome(status)
            self._output("Répondez r, n, o ou e.")

    def record(self, request: RecordRequest) -> RecordOutcome | HangUp:
        """Ask how many seconds the caller speaks; 0 hangs up without a message."""
        while True:
            line = self._ask(_RECORD_QUESTION)
            if line is None or line == "0":
                return HangUp()
            if re.fullmatch(r"[0-9]+", line):
                return RecordOutcome(int(line))
            self._output("Entrez un nombre de secondes, par exemple 12 (0 pour raccrocher).")

    def _ask(self, question: str) -> str | None:
        try:
            return self._input(question).strip()
        except EOFError:
            # Ctrl-D at the terminal: the caller hangs up.
            return None


class WhisperParty:
    """The dialled party while its whisper plays: listens, and presses `keys` at a Gather."""

    def __init__(self, keys: str | None) -> None:
        """Press `keys` at every whisper Gather; None presses nothing."""
        self.keys = keys
        self.heard: list[str] = []

    def hear(self, text: str) -> None:
        """Keep the text in `heard`."""
        self.heard.append(text)

    def gather(self, prompt: GatherPrompt) -> Keys | Silence | Speech | HangUp:
        """Press the keys, or nothing."""
        return Keys(self.keys) if self.keys else Silence()

    def dial(self, dial: DialRequest) -> DialOutcome | HangUp:
        """Refuse: a whisper only talks to the dialled party."""
        raise SimulatorError("A whisper cannot <Dial>, it only plays to the dialled party.")

    def record(self, request: RecordRequest) -> RecordOutcome | HangUp:
        """Refuse: a whisper only talks to the dialled party."""
        raise SimulatorError("A whisper cannot <Record> in this simulator.")


# --- TwiML validation --------------------------------------------------------------------------------

_ATTRIBUTES: dict[str, frozenset[str]] = {
    name: frozenset(attributes.split())
    for name, attributes in {
        "Response": "",
        "Say": "voice language loop",
        "Play": "loop digits",
        "Pause": "length",
        "Gather": "action method timeout speechTimeout maxSpeechTime profanityFilter finishOnKey numDigits "
        "partialResultCallback partialResultCallbackMethod language hints bargeIn debug actionOnEmptyResult "
        "speechModel enhanced input",
        "Dial": "action method timeout hangupOnStar timeLimit callerId record trim recordingStatusCallback "
        "recordingStatusCallbackMethod recordingStatusCallbackEvent answerOnBridge ringTone recordingTrack "
        "sequential",
        "Number": "sendDigits url method statusCallbackEvent statusCallback statusCallbackMethod byoc",
        "Record": "action method timeout finishOnKey maxLength playBeep trim recordingStatusCallback "
        "recordingStatusCallbackMethod recordingStatusCallbackEvent transcribe transcribeCallback",
        "Redirect": "method",
        "Hangup": "",
        "Reject": "reason",
    }.items()
}
_VERBS = frozenset({"Say", "Play", "Pause", "Gather", "Dial", "Record", "Redirect", "Hangup", "Reject"})
_CHILDREN: dict[str, frozenset[str]] = {
    "Response": _VERBS,
    "Gather": frozenset({"Say", "Play", "Pause"}),
    "Dial": frozenset({"Number"}),
}
_WITH_TEXT = frozenset({"Say", "Play", "Dial", "Number", "Redirect"})
_POSITIVE_INTS = frozenset({"numDigits", "timeout", "maxLength", "length", "timeLimit"})
_BOOLEANS = frozenset(
    {
        "actionOnEmptyResult",
        "playBeep",
        "hangupOnStar",
        "answerOnBridge",
        "bargeIn",
        "profanityFilter",
        "enhanced",
        "debug",
        "transcribe",
        "sequential",
    }
)
_INPUTS = frozenset({"dtmf", "speech", "dtmf speech", "speech dtmf"})


def parse_twiml(url: str, response: WebhookResponse) -> ET.Element:
    """Check an answer as Twilio would and return its <Response> element, or raise InvalidTwiML."""
    media_type = response.content_type.split(";")[0].strip().lower()
    if media_type not in ("text/xml", "application/xml"):
        raise InvalidTwiML(url, f"Content-Type is {response.content_type!r}, not text/xml or application/xml")
    try:
        root = ET.fromstring(response.body)
    except ET.ParseError as error:
        raise InvalidTwiML(url, f"the body is not well-formed XML ({error})") from error
    if root.tag != "Response":
        raise InvalidTwiML(url, f"the root element is <{root.tag}>, not <Response>")
    _validate(url, root)
    return root


def _validate(url: str, element: ET.Element) -> None:
    tag = element.tag
    if tag not in _ATTRIBUTES:
        raise InvalidTwiML(url, f"unknown TwiML element <{tag}>")
    for name, value in element.attrib.items():
        if name not in _ATTRIBUTES[tag]:
            raise InvalidTwiML(url, f"unknown attribute {name!r} on <{tag}>")
        _check_value(url, tag, name, value)
    texts = [element.text or "", *(child.tail or "" for child in element)]
    if tag not in _WITH_TEXT and any(text.strip() for text in texts):
        raise InvalidTwiML(url, f"<{tag}> cannot contain text")
    if tag in ("Redirect", "Number") and not (element.text or "").strip():
        raise InvalidTwiML(url, f"<{tag}> has no URL or number")
    if tag == "Dial" and not (element.text or "").strip() and len(element) == 0:
        raise InvalidTwiML(url, "<Dial> has no number to call")
    for child in element:
        if child.tag in _ATTRIBUTES and child.tag not in _CHILDREN.get(tag, frozenset()):
            raise InvalidTwiML(url, f"<{child.tag}> is not allowed inside <{tag}>")
        _validate(url, child)


def _check_value(url: str, tag: str, name: str, value: str) -> None:
    problem = None
    if name in _POSITIVE_INTS:
        # Record's timeout=0 is documented: it turns off the end-on-silence detection.
        minimum = 0 if (tag, name) == ("Record", "timeout") else 1
        if not re.fullmatch(r"[0-9]+", value) or int(value) < minimum:
            problem = f"an integer >= {minimum}"
    elif name == "loop" and not re.fullmatch(r"[0-9]+", value):
        problem = "an integer >= 0"
    elif (name == "method" or name.endswith("Method")) and value.upper() not in ("GET", "POST"):
        problem = "GET or POST"
    elif name == "input" and value not in _INPUTS:
        problem = "dtmf, speech or both"
    elif name in _BOOLEANS and value not in ("true", "false"):
        problem = "true or false"
    elif name == "finishOnKey" and (not _DTMF_KEYS.fullmatch(value) or (tag == "Gather" and len(value) > 1)):
        problem = "keys among 0-9, * and #" if tag == "Record" else "one key among 0-9, * and #, or empty"
    if problem:
        raise InvalidTwiML(url, f"{name}={value!r} on <{tag}> must be {problem}")


# --- executing TwiML ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SimulatedCall:
    """The record of one simulated call, once it has ended."""

    call_sid: str
    heard: list[str]
    whispers: list[str]
    requests: list[tuple[str, dict[str, str], int]]
    documents: int
    dialled: list[DialRequest]
    ended_by: EndReason
    duration_s: int
    spoken_seconds: float
    status_callback_status: int

    @property
    def heard_text(self) -> str:
        """Everything the caller heard, one text per line."""
        return "\n".join(self.heard)


@dataclass
class _Document:
    url: str
    root: ET.Element


@dataclass
class _Leg:
    """One side of the call run by TwiML: the caller's, or a dialled party's whisper."""

    party: Caller
    params: dict[str, str]  # Twilio's base parameters, sent with every request of this leg
    transcript: list[str]
    is_caller: bool


def _sid(prefix: str) -> str:
    return prefix + uuid.uuid4().hex


def _int(element: ET.Element, name: str, default: int) -> int:
    return int(element.get(name, default))  # values were validated with the document


class CallSimulator:
    """Plays Twilio's role for whole calls against the app's voice webhooks."""

    def __init__(
        self,
        transport: Transport,
        *,
        base_url: str,
        auth_token: str | None,
        to: str = "+33261910000",
        from_: str = "+33639980001",
        voice_path: str = "/ivr/voice",
        status_path: str = "/ivr/status",
        max_documents: int = 60,
        account_sid: str | None = None,
        signing: bool = True,
    ) -> None:
        """Call the app at `base_url` from `from_` to the helpline number `to`, signing with `auth_token`."""
        self.transport = transport
        self.base_url = base_url.rstrip("/")
        self.auth_token = auth_token
        self.to = to
        self.from_ = from_
        self.voice_path = voice_path
        self.status_path = status_path
        self.max_documents = max_documents
        self.account_sid = account_sid or _sid("AC")
        self._validator = RequestValidator(auth_token) if auth_token and signing else None
        self._sequence: dict[str, int] = {}

    def url(self, path_or_url: str) -> str:
        """The absolute URL of a path of the app (an absolute URL is kept as is)."""
        return path_or_url if urlsplit(path_or_url).scheme else self.base_url + path_or_url

    def place_call(self, caller: Caller, *, call_sid: str | None = None) -> SimulatedCall:
        """Run a whole inbound call with `caller`, then post the final status callback."""
        run = _CallRun(self, call_sid or _sid("CA"))
        leg = _Leg(
            caller,
            self.base_params(run.call_sid, "ringing", self.from_, self.to, "inbound"),
            run.heard,
            is_caller=True,
        )
        ended_by = run.run_leg(leg, run.fetch(leg, self.url(self.voice_path), {}))
        duration = round(run.clock)
        status_url = self.url(self.status_path)
        callback = run.send(status_url, self._status_params(run.call_sid, "completed", None, duration, {}))
        return SimulatedCall(
            call_sid=run.call_sid,
            heard=run.heard,
            whispers=run.whispers,
            requests=run.requests,
            documents=run.documents,
            dialled=run.dialled,
            ended_by=ended_by,
            duration_s=duration,
            spoken_seconds=run.spoken,
            status_callback_status=callback.status,
        )

    def post(
        self, path_or_url: str, params: Mapping[str, str], *, forge_signature: bool = False, sign: bool = True
    ) -> WebhookResponse:
        """POST `params` as Twilio would: signed (or unsigned, or with a forged signature, for tests)."""
        url = self.url(path_or_url)
        headers = {"Content-Type": "application/x-www-form-urlencoded", "User-Agent": "TwilioProxy/1.1"}
        if forge_signature:
            forger = RequestValidator(f"forged-{self.auth_token or ''}")
            headers["X-Twilio-Signature"] = str(forger.compute_signature(url, dict(params)))
        elif sign and self._validator is not None:
            headers["X-Twilio-Signature"] = str(self._validator.compute_signature(url, dict(params)))
        return self.transport.post(url, dict(params), headers)

    def post_status(
        self,
        call_sid: str,
        status: str,
        *,
        sequence_number: int | None = None,
        duration_s: int | None = None,
        **extra: str,
    ) -> WebhookResponse:
        """POST a status callback for `call_sid`; the sequence number counts on per call unless given."""
        params = self._status_params(call_sid, status, sequence_number, duration_s, extra)
        return self.post(self.status_path, params)

    def base_params(self, call_sid: str, status: str, from_: str, to: str, direction: str) -> dict[str, str]:
        """The parameters Twilio sends with every request about a call."""
        params = {
            "AccountSid": self.account_sid,
            "ApiVersion": "2010-04-01",
            "CallSid": call_sid,
            "CallStatus": status,
            "Direction": direction,
            "From": from_,
            "To": to,
            "Caller": from_,
            "Called": to,
        }
        for prefix, number in (("From", from_), ("Caller", from_), ("To", to), ("Called", to)):
            params |= {
                f"{prefix}Country": _country(number),
                f"{prefix}City": "",
                f"{prefix}State": "",
                f"{prefix}Zip": "",
            }
        return params

    def _status_params(
        self,
        call_sid: str,
        status: str,
        sequence: int | None,
        duration_s: int | None,
        extra: Mapping[str, str],
    ) -> dict[str, str]:
        if sequence is None:
            sequence = self._sequence.get(call_sid, 0)
        self._sequence[call_sid] = sequence + 1
        params = self.base_params(call_sid, status, self.from_, self.to, "inbound")
        params |= {
            "SequenceNumber": str(sequence),
            "Timestamp": format_datetime(datetime.now(UTC)),
            "CallbackSource": "call-progress-events",
        }
        if duration_s is not None:
            params |= {"CallDuration": str(duration_s), "Duration": str(math.ceil(duration_s / 60))}
        return params | dict(extra)


def _country(number: str) -> str:
    if number.startswith("+33"):
        return "FR"
    try:
        return phonenumbers.region_code_for_number(phonenumbers.parse(number)) or ""
    except phonenumbers.NumberParseException:
        return ""


class _CallRun:
    """The state of one call while its TwiML runs."""

    def __init__(self, simulator: CallSimulator, call_sid: str) -> None:
        self.sim = simulator
        self.call_sid = call_sid
        self.clock = 0.0
        self.spoken = 0.0
        self.heard: list[str] = []
        self.whispers: list[str] = []
        self.requests: list[tuple[str, dict[str, str], int]] = []
        self.documents = 0
        self.dialled: list[DialRequest] = []

    def send(self, url: str, params: dict[str, str]) -> WebhookResponse:
        """POST a signed request and log it."""
        response = self.sim.post(url, params)
        self.requests.append((url, params, response.status))
        return response

    def fetch(self, leg: _Leg, url: str, extra: Mapping[str, str], method: str = "POST") -> _Document:
        """Request the next TwiML document of a leg and check it."""
        if method.upper() != "POST":
            raise SimulatorError(f"{url} is to be fetched with {method}, but the simulator only sends POST.")
        if self.documents >= self.sim.max_documents:
            raise SimulationLimit(self.sim.max_documents)
        self.documents += 1
        response = self.send(url, leg.params | dict(extra))
        leg.params["CallStatus"] = "in-progress"  # only the first request of a call is "ringing"
        if response.status != 200:
            raise WebhookError(url, response.status, response.body)
        return _Document(url, parse_twiml(url, response))

    def run_leg(self, leg: _Leg, document: _Document) -> EndReason:
        """Execute documents until the leg ends."""
        while True:
            for verb in document.root:
                result = self._verb(leg, verb, document.url)
                if isinstance(result, _Document):
                    document = result  # a new document replaces the rest of the current one
                    break
                if result is not None:
                    return result
            else:
                return "end-of-document"

    def _verb(self, leg: _Leg, verb: ET.Element, url: str) -> _Document | EndReason | None:
        if verb.tag == "Say":
            for _ in range(max(1, _int(verb, "loop", 1))):
                self._hear(leg, (verb.text or "").strip(), spoken=True)
        elif verb.tag == "Play":
            for _ in range(max(1, _int(verb, "loop", 1))):
                self._hear(leg, "[audio]", spoken=False)
        elif verb.tag == "Pause":
            self.clock += _int(verb, "length", 1)
        elif verb.tag == "Gather":
            return self._gather(leg, verb, url)
        elif verb.tag == "Dial":
            return self._dial(leg, verb, url)
        elif verb.tag == "Record":
            return self._record(leg, verb, url)
        elif verb.tag == "Redirect":
            return self.fetch(leg, urljoin(url, (verb.text or "").strip()), {}, verb.get("method", "POST"))
        else:  # Hangup, Reject
            return "hangup-verb"
        return None

    def _hear(self, leg: _Leg, text: str, *, spoken: bool) -> None:
        leg.party.hear(text)
        leg.transcript.append(text)
        if spoken:
            seconds = max(1.0, len(text.split()) / _WORDS_PER_SECOND)
            self.clock += seconds
            if leg.is_caller:
                self.spoken += seconds

    def _gather(self, leg: _Leg, gather: ET.Element, url: str) -> _Document | EndReason | None:
        before = len(leg.transcript)
        for child in gather:
            self._verb(leg, child, url)
        num_digits = int(gather.attrib["numDigits"]) if "numDigits" in gather.attrib else None
        prompt = GatherPrompt(
            texts=leg.transcript[before:],
            num_digits=num_digits,
            finish_on_key=gather.get("finishOnKey", "#"),
            timeout=_int(gather, "timeout", 5),
            input_modes=frozenset(gather.get("input", "dtmf").split()),
            language=gather.get("language", "en-US"),
            hints=[hint.strip() for hint in gather.get("hints", "").split(",") if hint.strip()],
        )
        answer = leg.party.gather(prompt)
        action = urljoin(url, gather.get("action", url))
        method = gather.get("method", "POST")
        if isinstance(answer, HangUp):
            return "caller-hangup"
        if isinstance(answer, Speech) and "speech" in prompt.input_modes:
            speech = {"SpeechResult": answer.text, "Confidence": str(answer.confidence)}
            return self.fetch(leg, action, speech, method)
        if isinstance(answer, Keys) and "dtmf" in prompt.input_modes:
            digits, finished_on = _collect(answer.digits, prompt.finish_on_key, num_digits)
            if digits:
                if not finished_on and len(digits) != num_digits:
                    self.clock += prompt.timeout  # Twilio waits for more keys before giving up
                return self.fetch(leg, action, {"Digits": digits, "FinishedOnKey": finished_on}, method)
        # Nothing usable came in: Twilio waits out the timeout, then moves on to the next verb.
        self.clock += prompt.timeout
        if gather.get("actionOnEmptyResult") == "true":
            return self.fetch(leg, action, {"Digits": ""}, method)
        return None

    def _dial(self, leg: _Leg, dial: ET.Element, url: str) -> _Document | EndReason | None:
        numbers = dial.findall("Number")
        request = DialRequest(
            numbers=[(n.text or "").strip() for n in numbers] or [(dial.text or "").strip()],
            caller_id=dial.get("callerId"),
            timeout=_int(dial, "timeout", 30),
            whisper_urls=[urljoin(url, n.attrib["url"]) if "url" in n.attrib else None for n in numbers]
            or [None],
        )
        self.dialled.append(request)
        outcome = leg.party.dial(request)
        if isinstance(outcome, HangUp):
            return "caller-hangup"
        status, duration = outcome.status, outcome.duration_s if outcome.status == "completed" else 0
        child_sid = _sid("CA")
        whisper_url = request.whisper_urls[0]
        # Without distinct answer times, the first <Number> is the one that answers.
        if status == "completed" and whisper_url is not None:
            method = numbers[0].get("method", "POST")
            if not self._whisper(request, whisper_url, method, child_sid, outcome.whisper_keys):
                status, duration = "no-answer", 0
        self.clock += duration if status == "completed" else request.timeout if status == "no-answer" else 0
        if "action" not in dial.attrib:
            return None
        dialled = {"DialCallStatus": status, "DialCallSid": child_sid, "DialCallDuration": str(duration)}
        return self.fetch(leg, urljoin(url, dial.attrib["action"]), dialled, dial.get("method", "POST"))

    def _whisper(self, request: DialRequest, url: str, method: str, child_sid: str, keys: str | None) -> bool:
        """Play a <Number url> whisper to the answering party; True if it ends by bridging the call."""
        params = self.sim.base_params(
            child_sid, "in-progress", request.caller_id or self.sim.to, request.numbers[0], "outbound-dial"
        )
        params["ParentCallSid"] = self.call_sid
        leg = _Leg(WhisperParty(keys), params, self.whispers, is_caller=False)
        # A whisper that runs to its end bridges the call; one that hangs up leaves the caller unanswered.
        return self.run_leg(leg, self.fetch(leg, url, {}, method)) == "end-of-document"

    def _record(self, leg: _Leg, record: ET.Element, url: str) -> _Document | EndReason | None:
        request = RecordRequest(
            max_length=_int(record, "maxLength", 3600),
            finish_on_key=record.get("finishOnKey", "1234567890*#"),
            timeout=_int(record, "timeout", 5),
            play_beep=record.get("playBeep", "true") == "true",
        )
        outcome = leg.party.record(request)
        if isinstance(outcome, HangUp):
            return "caller-hangup"
        if outcome.duration_s <= 0:
            self.clock += request.timeout  # nothing recorded: Twilio skips the action, goes to the next verb
            return None
        duration = min(outcome.duration_s, request.max_length)
        self.clock += duration
        sid = _sid("RE")
        recording = {
            "RecordingUrl": f"https://api.twilio.com/2010-04-01/Accounts/{self.sim.account_sid}/Recordings/{sid}",
            "RecordingSid": sid,
            "RecordingDuration": str(duration),
        }
        action = urljoin(url, record.get("action", url))
        method = record.get("method", "POST")
        document = self.fetch(leg, action, recording | {"Digits": outcome.finish_key}, method)
        if "recordingStatusCallback" in record.attrib:
            if record.get("recordingStatusCallbackMethod", "POST").upper() != "POST":
                raise SimulatorError("The simulator only sends recordingStatusCallback with POST.")
            self.send(
                urljoin(url, record.attrib["recordingStatusCallback"]),
                {
                    "AccountSid": self.sim.account_sid,
                    "CallSid": self.call_sid,
                    **recording,
                    "RecordingStatus": "completed",
                    "RecordingChannels": "1",
                    "RecordingSource": "RecordVerb",
                },
            )
        return document


def _collect(typed: str, finish_on_key: str, num_digits: int | None) -> tuple[str, str]:
    """The digits a Gather keeps from `typed`, and the finish key that ended it ("" if none)."""
    digits = ""
    for key in typed:
        if finish_on_key and key == finish_on_key:
            return digits, key
        digits += key
        if num_digits is not None and len(digits) >= num_digits:
            break
    return digits, ""
