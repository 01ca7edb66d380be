"""Every TwiML document the helpline answers, built in one place with twilio's VoiceResponse.

Functions here are pure: they get the texts, numbers and URLs, and return a VoiceResponse.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from twilio.twiml.voice_response import VoiceResponse

from helpline.config import Config


@dataclass(frozen=True)
class Voice:
    """How the line speaks."""

    voice: str
    language: str

    @classmethod
    def of(cls, config: Config) -> Voice:
        """The voice configured for the helpline."""
        return cls(config.helpline.voice, config.helpline.language)


def _say(target: VoiceResponse, voice: Voice, texts: Sequence[str]) -> None:
    for text in texts:
        if text:
            target.say(text, voice=voice.voice, language=voice.language)


def ask_keys(
    voice: Voice, texts: Sequence[str], *, action: str, on_silence: str, timeout_s: int
) -> VoiceResponse:
    """Say `texts` while listening for one key; silence falls through to `on_silence`."""
    response = VoiceResponse()
    # finishOnKey="" so that '#' (back) is a key like the others instead of ending the input.
    gather = response.gather(
        input="dtmf", num_digits=1, finish_on_key="", timeout=timeout_s, action=action, method="POST"
    )
    _say(gather, voice, texts)
    response.redirect(on_silence, method="POST")
    return response


def dial(
    voice: Voice,
    texts: Sequence[str],
    numbers: Sequence[str],
    *,
    action: str,
    caller_id: str,
    timeout_s: int,
) -> VoiceResponse:
    """Say `texts`, then ring every number at once; the first to answer is bridged."""
    response = VoiceResponse()
    _say(response, voice, texts)
    with response.dial(action=action, method="POST", timeout=timeout_s, caller_id=caller_id) as dial_verb:
        for number in numbers:
            dial_verb.number(number)
    return response


def record_voicemail(
    voice: Voice, texts: Sequence[str], *, action: str, max_length_s: int, no_message: str
) -> VoiceResponse:
    """Say `texts`, record until '#' or silence, and say `no_message` if nothing was recorded."""
    response = VoiceResponse()
    _say(response, voice, texts)
    response.record(action=action, method="POST", max_length=max_length_s, finish_on_key="#", play_beep=True)
    _say(response, voice, [no_message])
    response.hangup()
    return response


def goodbye(voice: Voice, texts: Sequence[str]) -> VoiceResponse:
    """Say `texts` and hang up."""
    response = VoiceResponse()
    _say(response, voice, texts)
    response.hangup()
    return response
