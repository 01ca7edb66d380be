"""Every TwiML document the helpline answers, built in one place with twilio's VoiceResponse.

Functions here are pure: they get the texts, numbers and URLs, and return a VoiceResponse.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from twilio.twiml.voice_response import VoiceResponse

from foundation.config import Config
from foundation.text import without_controls


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
    """Say each text: every text the line speaks comes here, rid of what XML cannot carry."""
    for text in texts:
        spoken = without_controls(text)
        if spoken:
            target.say(spoken, voice=voice.voice, language=voice.language)


def ask(
    voice: Voice,
    texts: Sequence[str],
    *,
    action: str,
    on_silence: str,
    timeout_s: int,
    num_digits: int | None = 1,
    speech_hints: Sequence[str] | None = None,
    speech_only: bool = False,
) -> VoiceResponse:
    """Say `texts` while listening for keys (and speech if hinted); silence falls through to `on_silence`.

    Single-key questions take '#' as a key (back); longer answers end with '#'.
    """
    response = VoiceResponse()
    options: dict[str, object] = {}
    if speech_hints is not None:
        options = {
            "input": "speech" if speech_only else "dtmf speech",
            "language": voice.language,
            "speech_timeout": "auto",
            "hints": _hints(speech_hints),
        }
    gather = response.gather(
        input=options.pop("input", "dtmf"),
        num_digits=num_digits,
        finish_on_key="" if num_digits == 1 else "#",
        timeout=timeout_s,
        action=action,
        method="POST",
        **options,
    )
    _say(gather, voice, texts)
    response.redirect(on_silence, method="POST")
    return response


def _hints(phrases: Sequence[str], limit: int = 1000) -> str | None:
    """Whole phrases, comma-separated, within Twilio's length limit."""
    kept: list[str] = []
    for phrase in map(without_controls, phrases):
        if len(", ".join([*kept, phrase])) > limit:
            break
        kept.append(phrase)
    return ", ".join(kept) or None


def dial(
    voice: Voice,
    texts: Sequence[str],
    numbers: Sequence[str],
    *,
    action: str,
    caller_id: str,
    timeout_s: int,
    whisper: str | None = None,
) -> VoiceResponse:
    """Say `texts`, then ring every number at once; the first to answer and accept the whisper is bridged.

    A screened dial answers the caller's leg only on the bridge, so the caller hears the ring, not silence,
    while the called party listens to the whisper.
    """
    response = VoiceResponse()
    _say(response, voice, texts)
    screened = {"answer_on_bridge": True} if whisper else {}
    with response.dial(
        action=action, method="POST", timeout=timeout_s, caller_id=caller_id, **screened
    ) as dial_verb:
        for number in numbers:
            dial_verb.number(number, url=whisper, method="POST" if whisper else None)
    return response


def whisper(voice: Voice, text: str, *, action: str, timeout_s: int) -> VoiceResponse:
    """What the called party hears before the bridge: press 1 to take the call, anything else declines it."""
    response = VoiceResponse()
    gather = response.gather(input="dtmf", num_digits=1, timeout=timeout_s, action=action, method="POST")
    _say(gather, voice, [text])
    response.hangup()
    return response


def bridge() -> VoiceResponse:
    """An empty document: the whisper is over and the two parties are connected."""
    return VoiceResponse()


def record_voicemail(
    voice: Voice,
    texts: Sequence[str],
    *,
    action: str,
    status_callback: str,
    max_length_s: int,
    no_message: str,
) -> VoiceResponse:
    """Say `texts`, record until '#' or silence, and say `no_message` if nothing was recorded."""
    response = VoiceResponse()
    _say(response, voice, texts)
    response.record(
        action=action,
        method="POST",
        max_length=max_length_s,
        finish_on_key="#",
        play_beep=True,
        recording_status_callback=status_callback,
        recording_status_callback_method="POST",
    )
    _say(response, voice, [no_message])
    response.hangup()
    return response


def goodbye(voice: Voice, texts: Sequence[str]) -> VoiceResponse:
    """Say `texts` and hang up."""
    response = VoiceResponse()
    _say(response, voice, texts)
    response.hangup()
    return response
