"""One simulated call's run: its TwiML executed verb by verb, as Twilio does, for the caller and whispers."""

from __future__ import annotations

import io
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, Protocol
from urllib.parse import urljoin, urlsplit

import mutagen

from ivr.simulator.callers import (
    Caller,
    DialOutcome,
    DialRequest,
    GatherPrompt,
    HangUp,
    Keys,
    RecordRequest,
    Speech,
    WhisperParty,
)
from ivr.simulator.errors import SimulationLimit, SimulatorError, WebhookError
from ivr.simulator.transports import MediaResponse, WebhookResponse
from ivr.simulator.twiml import parse_twiml


class TwilioSide(Protocol):
    """What a call's run needs of the simulator: its signed requests and the call's fixed parameters."""

    to: str
    account_sid: str
    max_documents: int

    def post(self, path_or_url: str, params: Mapping[str, str]) -> WebhookResponse:
        """POST `params` to the app, signed as Twilio signs."""

    def get(self, url: str) -> MediaResponse:
        """GET a media URL, as Twilio fetches what a <Play> plays."""

    def base_params(self, call_sid: str, status: str, from_: str, to: str, direction: str) -> dict[str, str]:
        """The parameters Twilio sends with every request about a call."""


EndReason = Literal["hangup-verb", "end-of-document", "caller-hangup"]

_WORDS_PER_SECOND = 2.5
# The audio types Twilio's <Play> accepts (its TwiML reference); anything else is its error 13420.
PLAYABLE_TYPES = frozenset(
    {
        "audio/mpeg",
        "audio/wav",
        "audio/wave",
        "audio/x-wav",
        "audio/aiff",
        "audio/x-aifc",
        "audio/x-aiff",
        "audio/x-gsm",
        "audio/gsm",
        "audio/ulaw",
    }
)


@dataclass
class _Document:
    url: str
    root: ET.Element


@dataclass
class Leg:
    """One side of the call run by TwiML: the caller's, or a dialled party's whisper."""

    party: Caller
    params: dict[str, str]  # Twilio's base parameters, sent with every request of this leg
    transcript: list[str]
    is_caller: bool


def new_sid(prefix: str) -> str:
    """A new Twilio-style SID: `prefix` and 32 lowercase hex digits."""
    return prefix + uuid.uuid4().hex


def _int(element: ET.Element, name: str, default: int) -> int:
    return int(element.get(name, default))  # values were validated with the document


class CallRun:
    """The state of one call while its TwiML runs."""

    def __init__(self, simulator: TwilioSide, call_sid: str) -> None:
        """Run call `call_sid` through `simulator`, from a clock at 0 s and nothing heard yet."""
        self.sim = simulator
        self.call_sid = call_sid
        self.clock = 0.0
        self.spoken = 0.0
        self.heard: list[str] = []
        self.whispers: list[str] = []
        self.requests: list[tuple[str, dict[str, str], int]] = []
        self.documents = 0
        self.dialled: list[DialRequest] = []
        # What Twilio's debugger would show: the warnings of verbs it skipped.
        self.warnings: list[str] = []

    def send(self, url: str, params: dict[str, str]) -> WebhookResponse:
        """POST a signed request and log it."""
        response = self.sim.post(url, params)
        self.requests.append((url, params, response.status))
        return response

    def fetch(self, leg: Leg, url: str, extra: Mapping[str, str], method: str = "POST") -> _Document:
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

    def run_leg(self, leg: Leg, document: _Document) -> EndReason:
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

    def _verb(self, leg: Leg, verb: ET.Element, url: str) -> _Document | EndReason | None:
        if verb.tag == "Say":
            text = (verb.text or "").strip()
            for _ in range(max(1, _int(verb, "loop", 1))):
                self._hear(leg, text, seconds=max(1.0, len(text.split()) / _WORDS_PER_SECOND))
        elif verb.tag == "Play":
            played = self._media(urljoin(url, (verb.text or "").strip()))
            if played is not None:
                for _ in range(max(1, _int(verb, "loop", 1))):
                    self._hear(leg, *played)
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

    def _hear(self, leg: Leg, text: str, seconds: float) -> None:
        leg.party.hear(text)
        leg.transcript.append(text)
        self.clock += seconds
        if leg.is_caller:
            self.spoken += seconds

    def _media(self, url: str) -> tuple[str, float] | None:
        """Fetch what a <Play> plays: what the party hears ("[audio <path>]") and for how long.

        As Twilio: a GET without the call's parameters; a file it cannot fetch (an HTTP error) or play
        (not an audio type) is a warning in its debugger (11200, 13420), and the <Play> is skipped.
        """
        response = self.sim.get(url)
        media_type = response.content_type.split(";")[0].strip().lower()
        if response.status != 200:
            self.warnings.append(f"11200 HTTP retrieval failure: GET {url} answered {response.status}")
            return None
        if media_type not in PLAYABLE_TYPES:
            self.warnings.append(f"13420 Play: invalid Content-Type {response.content_type!r} from {url}")
            return None
        return f"[audio {urlsplit(url).path}]", _audio_seconds(response.body)

    def _gather(self, leg: Leg, gather: ET.Element, url: str) -> _Document | EndReason | None:
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

    def _dial(self, leg: Leg, dial: ET.Element, url: str) -> _Document | EndReason | None:
        numbers = dial.findall("Number")
        request = DialRequest(
            numbers=[(n.text or "").strip() for n in numbers] or [(dial.text or "").strip()],
            caller_id=dial.get("callerId"),
            timeout=_int(dial, "timeout", 30),
            whisper_urls=[urljoin(url, n.attrib["url"]) if "url" in n.attrib else None for n in numbers]
            or [None],
            answer_on_bridge=dial.get("answerOnBridge") == "true",
        )
        self.dialled.append(request)
        outcome = leg.party.dial(request)
        if isinstance(outcome, HangUp):
            # The caller hung up while it rang: Twilio ends the call and does not request the Dial action.
            return "caller-hangup"
        status, duration = outcome.status, outcome.duration_s if outcome.status == "completed" else 0
        bridged = status == "completed"
        child_sid = new_sid("CA")
        whisper_url = request.whisper_urls[0]
        # Without distinct answer times, the first <Number> is the one that answers.
        if bridged and whisper_url is not None:
            started = self.clock
            method = numbers[0].get("method", "POST")
            bridged = self._whisper(request, whisper_url, method, child_sid, outcome)
            if not bridged:
                # Twilio hangs up the child leg: it was answered (completed) but never bridged to the caller.
                duration = round(self.clock - started)
        self.clock += duration if bridged else request.timeout if status == "no-answer" else 0
        if "action" not in dial.attrib:
            return None
        dialled = {
            "DialCallStatus": status,
            "DialCallSid": child_sid,
            "DialCallDuration": str(duration),
            "DialBridged": "true" if bridged else "false",
        }
        return self.fetch(leg, urljoin(url, dial.attrib["action"]), dialled, dial.get("method", "POST"))

    def _whisper(
        self, request: DialRequest, url: str, method: str, child_sid: str, outcome: DialOutcome
    ) -> bool:
        """Play a <Number url> whisper to the answering party; True if it ends by bridging the call."""
        params = self.sim.base_params(
            child_sid, "in-progress", request.caller_id or self.sim.to, request.numbers[0], "outbound-dial"
        )
        params["ParentCallSid"] = self.call_sid
        party = outcome.answering or WhisperParty(outcome.whisper_keys)
        leg = Leg(party, params, self.whispers, is_caller=False)
        # A whisper that runs to its end bridges the call; one that hangs up (a <Hangup>, or the party
        # hanging up) ends the child leg and leaves the caller unanswered.
        return self.run_leg(leg, self.fetch(leg, url, {}, method)) == "end-of-document"

    def _record(self, leg: Leg, record: ET.Element, url: str) -> _Document | EndReason | None:
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
        sid = new_sid("RE")
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


def _audio_seconds(body: bytes) -> float:
    """How long an audio file plays (its header read with mutagen; 1 s when it cannot be read)."""
    try:
        audio = mutagen.File(io.BytesIO(body))
    except mutagen.MutagenError:
        audio = None
    length = audio.info.length if audio is not None and audio.info is not None else 0.0
    return float(length) if length > 0 else 1.0


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
