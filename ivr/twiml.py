"""Every TwiML document the helpline answers, built in one place with twilio's VoiceResponse.

Functions here are pure: they get the texts, numbers and URLs, and return a VoiceResponse. A text staff
recorded (`Recorded`) is played from the app's URL instead of said.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

from twilio.twiml.voice_response import VoiceResponse

from foundation.config import Config
from foundation.text import without_controls


class Recorded(str):
    """A prompt's text that staff recorded: equal to the text, and played from `audio_path` of the app.

    The text stays what the prompt says, for logs and for a line that cannot play it (no public URL).
    """

    audio_path: str

    def __new__(cls, text: str, audio_path: str) -> Recorded:
        """The text `text`, recorded in the file the app serves at `audio_path`."""
        made = super().__new__(cls, text)
        made.audio_path = audio_path
        return made

    def __getnewargs__(self) -> tuple[str, str]:  # type: ignore[override]
        """Copies (pickle, deepcopy) keep the audio path."""
        return str(self), self.audio_path


@dataclass(frozen=True)
class Voice:
    """How the line speaks; `media_base` is the app's public URL, where Twilio fetches recorded prompts."""

    voice: str
    language: str
    media_base: str = ""

    @classmethod
    def of(cls, config: Config, *, media_base: str = "") -> Voice:
        """The voice configured for the helpline (recorded prompts played from `media_base`, if given)."""
        return cls(config.helpline.voice, config.helpline.language, media_base.rstrip("/"))


def _say(target: VoiceResponse, voice: Voice, texts: Sequence[str]) -> None:
    """Say each text: every text the line speaks comes here, rid of what XML cannot carry.

    A recorded text is a <Play> of its absolute URL (Twilio fetches it: a path alone would be resolved
    against the webhook's URL, which is right only by chance).
    """
    for text in texts:
        if isinstance(text, Recorded) and voice.media_base:
            target.play(voice.media_base + text.audio_path)
            continue
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
            "hints": _hints(tuple(speech_hints)),
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


@functools.lru_cache(maxsize=64)
def _hints(phrases: tuple[str, ...], limit: int = 1000) -> str | None:
    """Whole phrases, comma-separated, within Twilio's length limit (the same few lists on every step)."""
    kept: list[str] = []
    length = -len(", ")
    for phrase in map(without_controls, phrases):
        length += len(", ") + len(phrase)
        if length > limit:
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
