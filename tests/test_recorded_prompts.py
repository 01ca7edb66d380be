"""Recorded prompts: uploads checked, played with <Play> from a URL the app serves, text said without them."""

from __future__ import annotations

import io
import wave
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import delete
from sqlalchemy.orm import Session, sessionmaker
from twilio.request_validator import RequestValidator

from call_log.models import Call
from foundation.config import Config
from foundation.config.staff import staff_document
from foundation.db import transaction
from ivr.models import PromptRecording
from ivr.recordings import RecordingRefusedError, audio_path, check_audio, recordable_prompts, store
from ivr.simulator.call import CallSimulator, SimulatedCall
from ivr.simulator.callers import HangUp, ScriptedCaller
from ivr.simulator.transports import FlaskClientTransport
from ivr.staff_settings import change, save
from ivr.webhooks.audio import audio_key
from tests import test_journey
from tests.conftest import AUTH_TOKEN, PUBLIC_URL, FakeClock
from tests.test_journey import at

Place = Callable[..., tuple[SimulatedCall, Call]]
place = test_journey.place  # the fixture that places a call through the simulator

# 28 silent MPEG-2 layer III frames (8 kbit/s, 16 kHz, mono; header FF F3 18 C0, then 32 zero bytes each,
# written by hand): 1.008 s.
SILENT_MP3 = (Path(__file__).parent / "data" / "silence-1s.mp3").read_bytes()
GREETING = "Bonjour, ici le 1001 services."


def wav(seconds: float, *, rate: int = 8000) -> bytes:
    """A silent WAV of `seconds`: 16-bit PCM, mono."""
    out = io.BytesIO()
    with wave.open(out, "wb") as audio:
        audio.setnchannels(1)
        audio.setsampwidth(2)
        audio.setframerate(rate)
        audio.writeframes(bytes(2 * round(rate * seconds)))
    return out.getvalue()


# --- checking uploads ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filename", "data", "refusal"),
    [
        ("accueil.mp3", b"Bonjour, ceci est un texte.", "Ce fichier n'est ni un WAV ni un MP3."),
        ("accueil.wav", wav(75), "L'enregistrement dure 75 s : 60 s au plus."),
        ("accueil.wav", wav(0.2), "L'enregistrement dure 0,2 s : 0,3 s au moins."),
        ("accueil.mp3", b"", "Le fichier est vide."),
        ("accueil.mp3", SILENT_MP3 * 6000, "Le fichier fait 6,0 Mo : 5 Mo au plus."),
        ("accueil.mp3", bytes([0xFF, 0xF3]) + bytes(100), "Ce fichier MP3 est illisible."),
        ("accueil.wav", b"RIFF\x00\x00\x00\x00WAVEfmt ", "Ce fichier WAV est illisible ou n'est pas en PCM"),
    ],
)
def test_an_upload_that_cannot_be_played_is_refused_with_a_sentence_for_staff(
    filename: str, data: bytes, refusal: str
) -> None:
    """A text renamed .mp3, too long, too short, empty, too big, unreadable: refused, saying why."""
    with pytest.raises(RecordingRefusedError) as refused:
        check_audio(filename, data)
    assert str(refused.value).startswith(refusal)


def test_wav_and_mp3_are_recognised_by_their_content_with_their_length() -> None:
    """A WAV (even named .mp3) and a small MP3 pass, with their type and length in ms."""
    assert check_audio("accueil.mp3", wav(2.5)) == ("audio/wav", 2500)
    assert check_audio("accueil.wav", wav(60)) == ("audio/wav", 60_000)
    assert check_audio("accueil", SILENT_MP3) == ("audio/mpeg", 1008)


def test_recordable_prompts_are_the_menu_and_the_sentences_without_a_variable_part(
    example_config: Config,
) -> None:
    """The greeting, the menu prompt and fixed sentences can be recorded; '{name}' sentences cannot."""
    prompts = recordable_prompts(example_config)
    assert prompts["menu.greeting"] == example_config.menu.greeting
    assert prompts["prompts.voicemail"] == example_config.prompts.voicemail
    assert "menu.prompt" in prompts
    assert "prompts.connecting_association" not in prompts  # "Je vous passe {name}."
    assert "prompts.callback_number" not in prompts


@pytest.mark.parametrize("prompt", ["prompts.connecting_association", "prompts.nope", "menu.options"])
def test_storing_for_a_prompt_that_cannot_be_recorded_is_refused(
    sessions: sessionmaker[Session], clock: FakeClock, prompt: str
) -> None:
    """A prompt key that names no recordable prompt is refused, and nothing is kept."""
    refusal = "n'est pas un message que l'on peut enregistrer"
    with pytest.raises(RecordingRefusedError, match=refusal), transaction(sessions) as session:
        store(session, prompt, "a.wav", wav(1), by="equipe", now=clock())
    with sessions() as session:
        assert session.query(PromptRecording).count() == 0


# --- what calls hear ------------------------------------------------------------------------------


def _record(
    sessions: sessionmaker[Session], config: Config, clock: FakeClock, prompt: str, data: bytes
) -> tuple[int, str]:
    """Store `data` for `prompt` and make a new version play it; (recording id, its served path)."""
    with transaction(sessions) as session:
        recording = store(session, prompt, "accueil.wav", data, by="equipe", now=clock())
        save(
            session,
            config,
            staff_document(config),
            by="equipe",
            now=clock(),
            summary="Message enregistré",
            recordings={prompt: recording.id},
        )
        path = audio_path(recording.id, recording.sha256, AUTH_TOKEN, content_type=recording.content_type)
        return recording.id, path


def voice_twiml(app: Flask) -> ET.Element:
    """The TwiML /ivr/voice answers a new call, signed as Twilio signs it."""
    simulator = CallSimulator(
        FlaskClientTransport(app.test_client()), base_url=PUBLIC_URL, auth_token=AUTH_TOKEN, to="+33261911000"
    )
    params = simulator.base_params("CA" + "0" * 32, "ringing", "+33639980001", "+33261911000", "inbound")
    response = simulator.post("/ivr/voice", params)
    assert response.status == 200
    return ET.fromstring(response.body)


def test_a_recorded_greeting_is_played_from_a_url_the_app_serves(
    place: Place, app: Flask, clock: FakeClock, sessions: sessionmaker[Session]
) -> None:
    """The greeting becomes a <Play> of an absolute URL; the app serves the same bytes there to anyone."""
    at(clock, 2026, 11, 30, 10, 0)
    config: Config = app.extensions["helpline"].config
    data = wav(2)
    _, path = _record(sessions, config, clock, "menu.greeting", data)
    assert audio_key(app.extensions["helpline"].settings) == AUTH_TOKEN

    gather = voice_twiml(app).find("Gather")
    assert gather is not None
    assert (gather[0].tag, gather[0].text) == ("Play", PUBLIC_URL + path)
    result, _ = place(ScriptedCaller([HangUp()]))
    assert result.heard[0] == f"[audio {path}]"
    assert result.warnings == []

    served = app.test_client().get(path)  # no login: Twilio has none
    assert (served.status_code, served.content_type, served.data) == (200, "audio/wav", data)
    assert served.headers["Content-Length"] == str(len(data))
    assert "max-age=31536000" in served.headers["Cache-Control"]
    etag = served.headers["ETag"]
    assert app.test_client().get(path, headers={"If-None-Match": etag}).status_code == 304
    head = app.test_client().head(path)
    assert (head.status_code, head.data, head.headers["Content-Length"]) == (200, b"", str(len(data)))


def test_an_audio_url_with_a_wrong_token_is_refused_unless_twilio_signed_it(
    app: Flask, clock: FakeClock, sessions: sessionmaker[Session]
) -> None:
    """Another token, another id or another name: 404; a request signed by Twilio is served."""
    config: Config = app.extensions["helpline"].config
    number, path = _record(sessions, config, clock, "menu.greeting", wav(1))
    token = path.rsplit("/", 1)[1].split(".")[0]
    wrong = f"/ivr/audio/{number}/{'0' * 32}.wav"
    client = app.test_client()
    for refused in (wrong, f"/ivr/audio/{number + 1}/{token}.wav", f"/ivr/audio/{number}/{token}.ogg"):
        assert client.get(refused).status_code == 404, refused
    signature = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC_URL + wrong, {})
    assert client.get(wrong, headers={"X-Twilio-Signature": signature}).status_code == 200
    forged = RequestValidator("not-the-token").compute_signature(PUBLIC_URL + wrong, {})
    assert client.get(wrong, headers={"X-Twilio-Signature": forged}).status_code == 404


def test_a_served_recording_is_served_again_without_the_database(
    app: Flask, clock: FakeClock, sessions: sessionmaker[Session]
) -> None:
    """Once served, a recording comes from the process's cache: its row is not read again."""
    config: Config = app.extensions["helpline"].config
    data = wav(1)
    _, path = _record(sessions, config, clock, "menu.greeting", data)
    client = app.test_client()
    assert client.get(path).data == data
    with transaction(sessions) as session:
        session.execute(delete(PromptRecording))
    assert client.get(path).data == data


def test_removing_the_recording_brings_the_text_back(
    place: Place, app: Flask, clock: FakeClock, sessions: sessionmaker[Session]
) -> None:
    """A version without the recording says the greeting again."""
    at(clock, 2026, 11, 30, 10, 0)
    config: Config = app.extensions["helpline"].config
    _, path = _record(sessions, config, clock, "menu.greeting", SILENT_MP3)
    assert path.endswith(".mp3")
    assert place(ScriptedCaller([HangUp()]))[0].heard[0] == f"[audio {path}]"
    with transaction(sessions) as session:
        save(session, config, staff_document(config), by="equipe", now=clock(), summary="t", recordings={})
    result, _ = place(ScriptedCaller([HangUp()]))
    assert result.heard[0] == GREETING
    assert voice_twiml(app).find("Gather/Play") is None


def test_a_recording_whose_row_is_gone_falls_back_to_the_text(
    place: Place, app: Flask, clock: FakeClock, sessions: sessionmaker[Session]
) -> None:
    """A version naming a recording that no longer exists says the text (and plays nothing that fails)."""
    at(clock, 2026, 11, 30, 10, 0)
    config: Config = app.extensions["helpline"].config
    _record(sessions, config, clock, "menu.greeting", wav(1))
    with transaction(sessions) as session:
        session.execute(delete(PromptRecording))
    # The next version keeps the mapping (a change of another setting keeps the recorded prompts).
    asked = "Faites votre choix, s'il vous plaît."
    with transaction(sessions) as session:
        version = change(
            session, config, lambda d: d["menu"].update(prompt=asked), by="equipe", now=clock(), summary="t"
        )
        assert version.recordings != {}
    result, _ = place(ScriptedCaller([HangUp()]))
    assert (result.heard[0], result.warnings) == (GREETING, [])
    assert asked in result.heard  # that version is what the call heard, not the last good one


def test_a_recorded_sentence_is_played_where_it_is_said(
    place: Place, app: Flask, clock: FakeClock, sessions: sessionmaker[Session]
) -> None:
    """A recorded prompts.<name> (the closed-at-night message) is played instead of said."""
    at(clock, 2026, 11, 24, 20, 0)
    config: Config = app.extensions["helpline"].config
    _, path = _record(sessions, config, clock, "prompts.closed_night", wav(3))
    result, _ = place(ScriptedCaller([HangUp()]))
    assert result.heard[0] == f"[audio {path}]"
    assert "Le 1001 services est fermé en ce moment." not in result.heard
