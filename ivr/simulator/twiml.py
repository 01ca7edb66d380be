"""TwiML as Twilio accepts it: the elements, attributes and values of the verbs the simulator runs."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from ivr.simulator.errors import InvalidTwiML
from ivr.simulator.transports import WebhookResponse

# The keys of a phone keypad.
DTMF_KEYS = re.compile(r"[0-9*#]*")

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
    elif name == "finishOnKey" and (not DTMF_KEYS.fullmatch(value) or (tag == "Gather" and len(value) > 1)):
        problem = "keys among 0-9, * and #" if tag == "Record" else "one key among 0-9, * and #, or empty"
    if problem:
        raise InvalidTwiML(url, f"{name}={value!r} on <{tag}> must be {problem}")
