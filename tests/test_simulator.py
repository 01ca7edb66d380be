"""The call simulator plays Twilio faithfully: signatures, parameters, TwiML checks and verb semantics."""

from __future__ import annotations

import io
import re
import threading
import wave
from collections.abc import Callable, Iterator
from email.utils import parsedate_to_datetime
from typing import Any

import pytest
from flask import Flask, Request, Response, abort, request
from twilio.request_validator import RequestValidator
from twilio.twiml.voice_response import VoiceResponse
from werkzeug.serving import make_server

from ivr.simulator.call import CallSimulator, SimulatedCall, StatusCallbacks
from ivr.simulator.callers import (
    HANGS_UP_IN_WHISPER,
    VOICEMAIL_PICKS_UP,
    DialOutcome,
    DialRequest,
    GatherPrompt,
    HangUp,
    InteractiveCaller,
    Keys,
    RecordOutcome,
    RecordRequest,
    ScriptedCaller,
    Silence,
    Speech,
)
from ivr.simulator.errors import InvalidTwiML, SimulationLimit, WebhookError
from ivr.simulator.transports import FlaskClientTransport, HttpTransport

TOKEN = "0123456789abcdef0123456789abcdef"
BASE = "http://helpline.test"
Route = str | Callable[[Request], "str | Response"]


class App:
    """A tiny Twilio-facing app: each route answers fixed TwiML (or computes it), behind a signature check."""

    def __init__(self, routes: dict[str, Route], media: dict[str, tuple[bytes, str]] | None = None) -> None:
        """Serve `routes` (path → TwiML, or a function of the request); /ivr/status answers 204.

        `media` (path → content and type) answers GETs, unsigned, as media files are served.
        """
        self.routes = {"/ivr/status": lambda _: Response("", status=204), **routes}
        self.media = media or {}
        self.seen: list[tuple[str, dict[str, str]]] = []
        self.fetched: list[tuple[str, dict[str, str]]] = []
        self.flask = Flask(__name__)
        self.flask.add_url_rule("/<path:path>", view_func=self.answer, methods=["POST"])
        self.flask.add_url_rule("/<path:path>", view_func=self.serve, methods=["GET"])

    def serve(self, path: str) -> Response:
        """A media file, or 404; the request is logged with its headers."""
        self.fetched.append((request.url, dict(request.headers)))
        if f"/{path}" not in self.media:
            abort(404)
        data, content_type = self.media[f"/{path}"]
        return Response(data, mimetype=content_type)

    def answer(self, path: str) -> Response:
        """Check the signature like the real app (403 if bad), log the request and answer the route."""
        signature = request.headers.get("X-Twilio-Signature", "")
        if not RequestValidator(TOKEN).validate(request.url, request.form, signature):
            abort(403)
        self.seen.append((request.url, request.form.to_dict()))
        route = self.routes.get(f"/{path}")
        if route is None:
            abort(404)
        result = route(request) if callable(route) else route
        return result if isinstance(result, Response) else Response(result, mimetype="text/xml")

    def simulator(self, **options: Any) -> CallSimulator:
        """A simulator calling this app through the Flask test client."""
        return CallSimulator(
            FlaskClientTransport(self.flask.test_client()), base_url=BASE, auth_token=TOKEN, **options
        )

    def call(self, *inputs: Any, dials: tuple[Any, ...] = (), records: tuple[Any, ...] = ()) -> SimulatedCall:
        """Place one call with a scripted caller."""
        return self.simulator().place_call(ScriptedCaller(inputs, dials, records))

    def posted(self, path: str) -> list[dict[str, str]]:
        """The forms posted to `path` (query string included), in order."""
        return [form for url, form in self.seen if url == BASE + path]


def twiml(body: str) -> str:
    """A TwiML document around `body`, as VoiceResponse writes it."""
    return f'<?xml version="1.0" encoding="UTF-8"?><Response>{body}</Response>'


MENU = twiml(
    '<Gather numDigits="1" action="/ivr/menu?node=main"><Say>Bienvenue.</Say><Say>Tapez 1.</Say></Gather>'
    "<Say>Vous n'avez rien tapé.</Say>"
)


def echo_digits(req: Request) -> str:
    """Say back the Digits and FinishedOnKey posted."""
    return twiml(f"<Say>Reçu {req.form.get('Digits', '')!r} {req.form.get('FinishedOnKey', '')!r}</Say>")


# --- signing and parameters ------------------------------------------------------------------------


def test_voice_request_is_signed_over_the_full_url_and_carries_twilio_parameters() -> None:
    """The first request is a verifiable signed POST to the voice URL with Twilio's inbound-call params."""
    signatures: list[str] = []

    def voice(req: Request) -> str:
        signatures.append(req.headers["X-Twilio-Signature"])
        assert req.content_type == "application/x-www-form-urlencoded"
        return twiml("<Say>Bonjour</Say>")

    app = App({"/ivr/voice": voice})
    call = app.call()
    url, form = app.seen[0]
    assert url == f"{BASE}/ivr/voice"
    assert signatures == [RequestValidator(TOKEN).compute_signature(url, form)]
    assert form["CallStatus"] == "ringing"
    assert form["Direction"] == "inbound"
    assert form["ApiVersion"] == "2010-04-01"
    assert (form["From"], form["Caller"], form["To"], form["Called"]) == (
        "+33639980001",
        "+33639980001",
        "+33261910000",
        "+33261910000",
    )
    assert (form["FromCountry"], form["ToCountry"], form["FromCity"], form["ToZip"]) == ("FR", "FR", "", "")
    assert form["CallSid"] == call.call_sid
    assert call.heard == ["Bonjour"]


def test_sids_have_twilio_format_and_the_account_is_fixed_per_simulator() -> None:
    """CallSid is CA + 32 lowercase hex, AccountSid AC + 32 hex and the same for every call of a simulator."""
    app = App({"/ivr/voice": twiml("")})
    simulator = app.simulator()
    first = simulator.place_call(ScriptedCaller([]))
    second = simulator.place_call(ScriptedCaller([]))
    assert re.fullmatch(r"CA[0-9a-f]{32}", first.call_sid)
    assert first.call_sid != second.call_sid
    accounts = {form["AccountSid"] for _, form in app.seen}
    assert len(accounts) == 1
    assert re.fullmatch(r"AC[0-9a-f]{32}", accounts.pop())


def test_other_countries_come_from_phonenumbers() -> None:
    """A non-French caller gets its country from the phonenumbers package."""
    app = App({"/ivr/voice": twiml("")})
    app.simulator(from_="+14155550100").place_call(ScriptedCaller([]))
    assert app.seen[0][1]["FromCountry"] == "US"


def test_forged_missing_and_disabled_signatures_are_refused() -> None:
    """A forged or missing signature gets 403, and a non-signing simulator fails the call loudly."""
    app = App({"/ivr/voice": twiml("")})
    simulator = app.simulator()
    assert simulator.post("/ivr/voice", {"CallSid": "CA1"}).status == 200
    assert simulator.post("/ivr/voice", {"CallSid": "CA1"}, forge_signature=True).status == 403
    assert simulator.post("/ivr/voice", {"CallSid": "CA1"}, sign=False).status == 403
    with pytest.raises(WebhookError) as error:
        app.simulator(signing=False).place_call(ScriptedCaller([]))
    assert error.value.status == 403


# --- Gather ----------------------------------------------------------------------------------------


def test_gather_posts_the_keys_to_its_action_and_follows_the_new_document() -> None:
    """Keys are posted as Digits to the resolved action; verbs after the Gather are not executed."""
    app = App({"/ivr/voice": MENU, "/ivr/menu": echo_digits})
    call = app.call(Keys("1"))
    assert app.posted("/ivr/menu?node=main")[0]["Digits"] == "1"
    assert app.posted("/ivr/menu?node=main")[0]["CallStatus"] == "in-progress"
    assert call.heard == ["Bienvenue.", "Tapez 1.", "Reçu '1' ''"]
    assert call.ended_by == "end-of-document"
    assert call.documents == 2


def test_gather_keeps_num_digits_keys() -> None:
    """With numDigits, only the first numDigits keys are posted."""
    app = App({"/ivr/voice": twiml('<Gather numDigits="2" action="/echo"/>'), "/echo": echo_digits})
    assert app.call(Keys("123")).heard == ["Reçu '12' ''"]


def test_gather_stops_at_finish_on_key() -> None:
    """The keys before finishOnKey are posted, with FinishedOnKey."""
    app = App({"/ivr/voice": twiml('<Gather action="/echo"/>'), "/echo": echo_digits})
    assert app.call(Keys("36300#9")).heard == ["Reçu '36300' '#'"]


def test_empty_finish_on_key_makes_hash_an_ordinary_key() -> None:
    """finishOnKey="" lets '#' be collected as a digit."""
    gather = '<Gather numDigits="1" finishOnKey="" action="/echo"/>'
    app = App({"/ivr/voice": twiml(gather), "/echo": echo_digits})
    assert app.call(Keys("#")).heard == ["Reçu '#' ''"]


def test_gather_silence_falls_through_to_the_next_verb() -> None:
    """Silence posts nothing, waits the timeout and runs the verb after the Gather."""
    app = App({"/ivr/voice": MENU})
    call = app.call(Silence())
    assert app.posted("/ivr/menu?node=main") == []
    assert call.heard == ["Bienvenue.", "Tapez 1.", "Vous n'avez rien tapé."]
    # 1 s + 1 s (at least a second each) + 5 s timeout + 1.6 s (4 words at 2.5 words/s), rounded
    assert call.duration_s == 9
    assert call.spoken_seconds == pytest.approx(3.6)


def test_gather_action_on_empty_result_posts_empty_digits() -> None:
    """actionOnEmptyResult="true" posts Digits="" on silence."""
    gather = '<Gather actionOnEmptyResult="true" action="/echo"/><Say>Jamais dit.</Say>'
    app = App({"/ivr/voice": twiml(gather), "/echo": echo_digits})
    assert app.call(Silence()).heard == ["Reçu '' ''"]


def test_gather_without_action_posts_to_the_current_document() -> None:
    """A Gather without action posts back to the URL of its own document."""
    app = App({"/ivr/voice": lambda req: echo_digits(req) if "Digits" in req.form else twiml("<Gather/>")})
    call = app.call(Keys("7#"))
    assert app.seen[1][0] == f"{BASE}/ivr/voice"
    assert call.heard == ["Reçu '7' '#'"]


def test_speech_is_posted_only_where_speech_is_accepted() -> None:
    """Speech posts SpeechResult and Confidence with input="dtmf speech", and counts as silence otherwise."""

    def echo_speech(req: Request) -> str:
        """Say back the speech posted."""
        return twiml(f"<Say>{req.form['SpeechResult']} {req.form['Confidence']}</Say>")

    speech = twiml('<Gather input="dtmf speech" language="fr-FR" hints="logement, emploi" action="/s"/>')
    app = App({"/ivr/voice": speech, "/s": echo_speech})
    caller = ScriptedCaller([Speech("logement", 0.75)])
    call = app.simulator().place_call(caller)
    assert call.heard == ["logement 0.75"]
    assert caller.prompts[0].input_modes == {"dtmf", "speech"}
    assert (caller.prompts[0].language, caller.prompts[0].hints) == ("fr-FR", ["logement", "emploi"])
    assert App({"/ivr/voice": MENU}).call(Speech("un")).heard[-1] == "Vous n'avez rien tapé."


def test_gather_prompt_reports_what_the_gather_says_and_expects() -> None:
    """The caller gets the Gather's texts, numDigits, finishOnKey, timeout and defaults."""
    gather = '<Gather numDigits="3" finishOnKey="*" timeout="7"><Say>A</Say><Play>x.mp3</Play><Pause/>'
    caller = ScriptedCaller([])
    app = App({"/ivr/voice": twiml(gather + "</Gather>")}, media={"/ivr/x.mp3": (wav(0.5), "audio/wav")})
    app.simulator().place_call(caller)
    prompt = caller.prompts[0]
    assert (prompt.texts, prompt.num_digits) == (["A", "[audio /ivr/x.mp3]"], 3)
    assert (prompt.finish_on_key, prompt.timeout) == ("*", 7)
    assert (prompt.input_modes, prompt.language) == (frozenset({"dtmf"}), "en-US")


# --- Play ------------------------------------------------------------------------------------------


def wav(seconds: float) -> bytes:
    """A silent WAV of `seconds` (8 kHz, 16-bit, mono)."""
    out = io.BytesIO()
    with wave.open(out, "wb") as audio:
        audio.setnchannels(1)
        audio.setsampwidth(2)
        audio.setframerate(8000)
        audio.writeframes(bytes(2 * round(8000 * seconds)))
    return out.getvalue()


def test_play_fetches_the_file_with_a_get_and_the_caller_hears_it_for_its_length() -> None:
    """<Play> is a GET of its URL (resolved against the document's), unsigned, without call parameters."""
    app = App(
        {"/ivr/voice": twiml('<Play>https://media.test/a/bonjour.wav</Play><Play loop="2">b.wav</Play>')},
        media={"/a/bonjour.wav": (wav(4.0), "audio/x-wav"), "/ivr/b.wav": (wav(2.0), "audio/wav")},
    )
    call = app.call()
    assert call.heard == ["[audio /a/bonjour.wav]", "[audio /ivr/b.wav]", "[audio /ivr/b.wav]"]
    assert [url for url, _ in app.fetched] == ["https://media.test/a/bonjour.wav", f"{BASE}/ivr/b.wav"]
    assert "X-Twilio-Signature" not in app.fetched[0][1]
    assert (call.duration_s, call.spoken_seconds, call.warnings) == (8, 8.0, [])


@pytest.mark.parametrize(
    ("media", "warning"),
    [
        ({}, f"11200 HTTP retrieval failure: GET {BASE}/ivr/gone.mp3 answered 404"),
        (
            {"/ivr/gone.mp3": (b"<html/>", "text/html")},
            f"13420 Play: invalid Content-Type 'text/html; charset=utf-8' from {BASE}/ivr/gone.mp3",
        ),
    ],
)
def test_a_play_that_cannot_be_fetched_or_played_is_skipped_with_a_warning(
    media: dict[str, tuple[bytes, str]], warning: str
) -> None:
    """As Twilio: the failed <Play> is a warning in its debugger, and the call goes on with the next verb."""
    call = App({"/ivr/voice": twiml("<Play>gone.mp3</Play><Say>Ensuite.</Say>")}, media=media).call()
    assert (call.heard, call.ended_by) == (["Ensuite."], "end-of-document")
    assert call.warnings == [warning]


def test_caller_hanging_up_at_a_gather_ends_the_call() -> None:
    """HangUp at a Gather ends the call without posting the action, then the status callback is posted."""
    app = App({"/ivr/voice": MENU})
    call = app.call(HangUp())
    assert call.ended_by == "caller-hangup"
    assert call.heard == ["Bienvenue.", "Tapez 1."]
    assert [url for url, _, _ in call.requests] == [f"{BASE}/ivr/voice", f"{BASE}/ivr/status"]


# --- Dial ------------------------------------------------------------------------------------------


def dial_result(req: Request) -> str:
    """Say back the Dial outcome posted."""
    form = req.form
    return twiml(f"<Say>{form['DialCallStatus']} {form['DialCallDuration']}</Say>")


def test_dial_posts_the_outcome_to_its_action() -> None:
    """The Dial action gets DialCallStatus, DialCallDuration and a CA DialCallSid, and answers the caller."""
    response = VoiceResponse()
    dial = response.dial(action="/ivr/dial-result?stage=operators", caller_id="+33261910000", timeout=20)
    dial.number("+33600000001")
    dial.number("+33600000002")
    response.say("Jamais dit.")
    app = App({"/ivr/voice": str(response), "/ivr/dial-result": dial_result})
    answered = app.call(dials=(DialOutcome("completed", 42),))
    unanswered = app.call(dials=(DialOutcome("busy", 42),))
    assert answered.heard == ["completed 42"]
    assert unanswered.heard == ["busy 0"]
    assert answered.dialled == [
        DialRequest(["+33600000001", "+33600000002"], "+33261910000", 20, [None, None])
    ]
    posted = app.posted("/ivr/dial-result?stage=operators")
    assert re.fullmatch(r"CA[0-9a-f]{32}", posted[0]["DialCallSid"])
    assert [form["DialBridged"] for form in posted] == ["true", "false"]
    assert answered.duration_s == 43  # 42 s of conversation, then one second of speech


def test_unscripted_dial_is_not_answered_and_dial_without_action_continues() -> None:
    """Without a dial script nobody answers; without action the next verb runs after the ring timeout."""
    app = App({"/ivr/voice": twiml("<Dial>+33600000001</Dial><Say>Personne.</Say>")})
    call = app.call()
    assert call.heard == ["Personne."]
    assert call.dialled[0].numbers == ["+33600000001"]
    assert call.duration_s == 31  # 30 s of ringing, then one second of speech


WHISPER_DIAL = twiml(
    '<Dial action="/dialled"><Number url="/whisper" method="POST">+33600000001</Number></Dial>'
)
WHISPER = twiml(
    '<Gather numDigits="1" action="/whisper/answer"><Say>Appel du 1001 services, tapez 1.</Say></Gather>'
    "<Hangup/>"
)


def whisper_answer(req: Request) -> str:
    """Bridge the call if the dialled party pressed 1, else hang up on it."""
    return twiml("") if req.form.get("Digits") == "1" else twiml("<Hangup/>")


def whisper_app() -> App:
    """An app dialling one number with a press-1 whisper."""
    return App(
        {
            "/ivr/voice": WHISPER_DIAL,
            "/whisper": WHISPER,
            "/whisper/answer": whisper_answer,
            "/dialled": dial_result,
        }
    )


def test_whisper_pressing_1_bridges_the_call() -> None:
    """The whisper runs on the child leg; pressing 1 bridges, so the caller's Dial action sees completed."""
    app = whisper_app()
    call = app.call(dials=(DialOutcome("completed", 30),))
    assert call.whispers == ["Appel du 1001 services, tapez 1."]
    assert call.heard == ["completed 30"]
    whisper_form = app.posted("/whisper")[0]
    assert whisper_form["CallSid"] == app.posted("/dialled")[0]["DialCallSid"]
    assert app.posted("/dialled")[0]["DialBridged"] == "true"
    assert whisper_form["ParentCallSid"] == call.call_sid
    assert (whisper_form["Direction"], whisper_form["To"]) == ("outbound-dial", "+33600000001")
    assert app.posted("/whisper/answer")[0]["Digits"] == "1"
    assert call.dialled[0].whisper_urls == [f"{BASE}/whisper"]


@pytest.mark.parametrize(
    ("outcome", "seconds", "answered_whisper"),
    [
        # The voicemail hears the whisper (2.4 s) and waits out its Gather (5 s); Twilio then hangs up.
        (VOICEMAIL_PICKS_UP, 7, []),
        (HANGS_UP_IN_WHISPER, 2, []),
        (DialOutcome("completed", 30, "2"), 2, ["2"]),
    ],
    ids=["voicemail", "hangs-up", "presses-2"],
)
def test_whisper_not_accepted_is_completed_but_not_bridged(
    outcome: DialOutcome, seconds: int, answered_whisper: list[str]
) -> None:
    """Answered but not taken at the whisper: Twilio reports completed, DialBridged=false, the leg's time."""
    app = whisper_app()
    call = app.call(dials=(outcome,))
    assert call.heard == [f"completed {seconds}"]
    assert app.posted("/dialled")[0]["DialBridged"] == "false"
    assert [form["Digits"] for form in app.posted("/whisper/answer")] == answered_whisper
    assert call.whispers == ["Appel du 1001 services, tapez 1."]


def test_screened_dial_with_answer_on_bridge_is_read() -> None:
    """answerOnBridge="true" on a <Dial> reaches the dialled party's request."""
    app = App({"/ivr/voice": twiml('<Dial answerOnBridge="true" action="/dialled">+33600000001</Dial>')})
    app.routes["/dialled"] = dial_result
    call = app.call(dials=(DialOutcome("busy"),))
    assert call.dialled[0].answer_on_bridge is True
    assert call.heard == ["busy 0"]


def test_caller_hanging_up_while_it_rings_requests_no_dial_action() -> None:
    """A caller who hangs up during the ring ends the call: Twilio does not request the Dial action."""
    app = whisper_app()
    call = app.call(dials=(HangUp(),))
    assert call.ended_by == "caller-hangup"
    assert app.posted("/dialled") == []
    assert app.posted("/whisper") == []


# --- Record ----------------------------------------------------------------------------------------


RECORD = twiml(
    '<Record action="/ivr/voicemail" maxLength="120" finishOnKey="#" recordingStatusCallback="/rec"/>'
    "<Say>Aucun message.</Say><Hangup/>"
)


def test_record_posts_the_recording_then_the_recording_status_callback() -> None:
    """A message posts RecordingUrl/Sid/Duration and Digits to the action, then the recording callback."""
    app = App(
        {
            "/ivr/voice": RECORD,
            "/ivr/voicemail": twiml("<Say>Merci.</Say>"),
            "/rec": lambda _: Response("", status=204),
        }
    )
    call = app.call(records=(RecordOutcome(200),))
    form = app.posted("/ivr/voicemail")[0]
    assert re.fullmatch(
        r"https://api\.twilio\.com/2010-04-01/Accounts/AC[0-9a-f]{32}/Recordings/RE[0-9a-f]{32}",
        form["RecordingUrl"],
    )
    assert form["RecordingUrl"].endswith(form["RecordingSid"])
    assert (form["RecordingDuration"], form["Digits"]) == ("120", "#")
    callback = app.posted("/rec")[0]
    assert (callback["RecordingStatus"], callback["RecordingSid"]) == ("completed", form["RecordingSid"])
    assert call.heard == ["Merci."]
    assert [status for url, _, status in call.requests if url == f"{BASE}/rec"] == [204]


def test_record_of_nothing_falls_through_and_hangup_ends_the_call() -> None:
    """A zero-length recording posts nothing and runs the next verbs; hanging up at a Record ends the call."""
    app = App({"/ivr/voice": RECORD})
    silent = app.call(records=(RecordOutcome(0),))
    assert silent.heard == ["Aucun message."]
    assert silent.ended_by == "hangup-verb"
    gone = app.call(records=(HangUp(),))
    assert (gone.heard, gone.ended_by) == ([], "caller-hangup")
    assert app.posted("/ivr/voicemail") == []


def test_record_request_carries_the_record_attributes() -> None:
    """The caller is asked with the Record's maxLength, finishOnKey, timeout and playBeep."""
    asked: list[RecordRequest] = []

    class Recorder(ScriptedCaller):
        def record(self, request: RecordRequest) -> RecordOutcome | HangUp:
            asked.append(request)
            return HangUp()

    app = App({"/ivr/voice": twiml('<Record maxLength="60" timeout="0" playBeep="false"/>')})
    app.simulator().place_call(Recorder([]))
    assert asked == [RecordRequest(max_length=60, finish_on_key="1234567890*#", timeout=0, play_beep=False)]


# --- Redirect, Hangup, end of document, status callback --------------------------------------------


def test_redirect_is_resolved_against_the_current_document() -> None:
    """A relative Redirect is posted relative to the current document's URL and replaces it."""
    app = App(
        {
            "/ivr/voice": twiml("<Redirect>menu?timeout=1</Redirect><Say>Jamais dit.</Say>"),
            "/ivr/menu": twiml("<Say>Menu.</Say>"),
        }
    )
    call = app.call()
    assert app.seen[1][0] == f"{BASE}/ivr/menu?timeout=1"
    assert call.heard == ["Menu."]


@pytest.mark.parametrize("verb", ["<Hangup/>", '<Reject reason="busy"/>'])
def test_hangup_ends_the_call_and_later_verbs_are_not_run(verb: str) -> None:
    """<Hangup/> and <Reject/> end the call at once."""
    call = App({"/ivr/voice": twiml(f"<Say>Au revoir.</Say>{verb}<Say>Jamais dit.</Say>")}).call()
    assert (call.heard, call.ended_by) == (["Au revoir."], "hangup-verb")


def test_status_callback_reports_the_simulated_duration() -> None:
    """The final status callback carries CallDuration, Duration in minutes, SequenceNumber and a timestamp."""
    app = App({"/ivr/voice": twiml('<Say>un deux trois quatre cinq</Say><Pause length="3"/>')})
    call = app.call()
    status = app.posted("/ivr/status")[0]
    assert (call.ended_by, call.duration_s, call.status_callback_status) == ("end-of-document", 5, 204)
    assert (status["CallStatus"], status["CallDuration"], status["Duration"]) == ("completed", "5", "1")
    assert (status["SequenceNumber"], status["CallbackSource"]) == ("0", "call-progress-events")
    assert parsedate_to_datetime(status["Timestamp"]).tzinfo is not None
    assert status["CallSid"] == call.call_sid


def test_post_status_numbers_callbacks_in_sequence() -> None:
    """post_status counts SequenceNumber up per call and passes extra parameters."""
    app = App({})
    simulator = app.simulator()
    simulator.post_status("CA1", "ringing")
    simulator.post_status("CA1", "completed", duration_s=61, ErrorCode="")
    sent = app.posted("/ivr/status")
    assert [form["SequenceNumber"] for form in sent] == ["0", "1"]
    assert (sent[1]["CallDuration"], sent[1]["Duration"], sent[1]["ErrorCode"]) == ("61", "2", "")


def test_status_callbacks_arrive_early_late_out_of_order_and_twice() -> None:
    """Status callbacks go before the first webhook and after the end as planned; a retry is identical."""
    app = App({"/ivr/voice": twiml("<Say>Bonjour.</Say>")})
    plan = StatusCallbacks(before=("ringing",), after=("completed", "in-progress", "completed", "ringing"))
    call = app.simulator().place_call(ScriptedCaller([]), status_callbacks=plan)

    paths = [url.removeprefix(BASE) for url, _ in app.seen]
    assert paths == ["/ivr/status", "/ivr/voice", *["/ivr/status"] * 4]
    sent = app.posted("/ivr/status")
    assert [(form["CallStatus"], form["SequenceNumber"]) for form in sent] == [
        ("ringing", "0"),
        ("completed", "2"),
        ("in-progress", "1"),
        ("completed", "2"),
        ("ringing", "0"),
    ]
    assert sent[1] == sent[3]  # Twilio's retry posts the very same request
    assert sent[0] == sent[4]
    assert (sent[1]["CallDuration"], "CallDuration" in sent[2]) == (str(call.duration_s), False)
    assert {form["CallSid"] for form in sent} == {call.call_sid}
    assert (call.status_callback_status, len(call.requests)) == (204, 6)


def test_status_callbacks_can_be_left_out() -> None:
    """A call planned without status callbacks posts none, and says so with status 0."""
    app = App({"/ivr/voice": twiml("<Hangup/>")})
    call = app.simulator().place_call(ScriptedCaller([]), status_callbacks=StatusCallbacks(after=()))
    assert (app.posted("/ivr/status"), call.status_callback_status) == ([], 0)


# --- TwiML and HTTP checks -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (twiml("<Sms>x</Sms>"), "unknown TwiML element <Sms>"),
        (twiml('<Say colour="red">x</Say>'), "unknown attribute 'colour' on <Say>"),
        ("<Reponse><Say>x</Say></Reponse>", "the root element is <Reponse>, not <Response>"),
        (twiml("<Gather><Dial>+33600000001</Dial></Gather>"), "<Dial> is not allowed inside <Gather>"),
        (twiml('<Gather numDigits="0"/>'), "numDigits='0' on <Gather> must be an integer >= 1"),
        (twiml('<Redirect method="PUT">/x</Redirect>'), "method='PUT' on <Redirect> must be GET or POST"),
        (twiml('<Gather input="keys"/>'), "input='keys' on <Gather> must be dtmf, speech or both"),
        (twiml("bonjour"), "<Response> cannot contain text"),
        (twiml("<Say>x</Say"), "the body is not well-formed XML"),
        (Response(twiml(""), mimetype="text/html"), "Content-Type is 'text/html; charset=utf-8'"),
    ],
)
def test_invalid_twiml_is_refused(answer: str | Response, message: str) -> None:
    """Whatever Twilio would refuse as TwiML raises InvalidTwiML naming the problem."""
    app = App({"/ivr/voice": lambda _: answer})
    with pytest.raises(InvalidTwiML, match=re.escape(message)):
        app.call()


def test_http_error_raises_webhook_error() -> None:
    """An HTTP 500 from a TwiML webhook raises WebhookError with the status and body."""
    app = App({"/ivr/voice": lambda _: Response("boom", status=500)})
    with pytest.raises(WebhookError) as error:
        app.call()
    assert (error.value.status, error.value.body) == (500, "boom")


def test_document_limit_stops_an_endless_loop() -> None:
    """An app that redirects forever hits SimulationLimit after max_documents documents."""
    app = App({"/ivr/voice": twiml("<Redirect>/ivr/voice</Redirect>")})
    with pytest.raises(SimulationLimit, match="more than 5 TwiML documents"):
        app.simulator(max_documents=5).place_call(ScriptedCaller([]))
    assert len(app.seen) == 5


# --- callers ---------------------------------------------------------------------------------------


def test_scripted_caller_runs_out_politely() -> None:
    """When scripts run out, gather and record hang up and dial is not answered."""
    caller = ScriptedCaller([Keys("1")])
    assert caller.gather(GatherPrompt([])) == Keys("1")
    assert caller.gather(GatherPrompt([])) == HangUp()
    assert caller.dial(DialRequest(["+33600000001"])) == DialOutcome("no-answer")
    assert caller.record(RecordRequest()) == HangUp()


def test_keys_refuse_what_a_keypad_does_not_have() -> None:
    """Keys only accept 0-9, * and #."""
    with pytest.raises(ValueError, match="only 0-9"):
        Keys("1a")


def test_interactive_caller_asks_in_french_and_re_asks_on_bad_input() -> None:
    """The terminal caller prints what it hears, parses keys and commands, and re-asks with help."""
    answers = iter(
        ["x", "12#", "", ":dire bonjour", ":raccrocher", "?", "r", "o", ":hangup", "abc", "0", "15"]
    )
    asked: list[str] = []
    shown: list[str] = []

    def ask(question: str) -> str:
        asked.append(question)
        return next(answers)

    caller = InteractiveCaller(ask, shown.append, names={"+33261912001": "Brenne Aide à Domicile"})
    caller.hear("Bonjour")
    results = [caller.gather(GatherPrompt(["Tapez 1."])) for _ in range(4)]
    assert results == [Keys("12#"), Silence(), Speech("bonjour"), HangUp()]
    dial = DialRequest(["+33261912001"])
    dials = [caller.dial(dial), caller.dial(DialRequest(["+33600000001"])), caller.dial(dial)]
    assert dials == [DialOutcome("completed", 60), DialOutcome("busy"), HangUp()]
    assert (caller.record(RecordRequest()), caller.record(RecordRequest())) == (HangUp(), RecordOutcome(15))
    assert asked[0] == "Touches (ou :silence, :dire mots, :raccrocher) > "
    assert shown[0] == "🔊 Bonjour"
    assert shown[1].startswith("Tapez des touches")
    assert shown[2] == "📞 Le 1001 services appelle Brenne Aide à Domicile (+33 2 61 91 20 01)…"
    assert shown[3:5] == [
        "Répondez r, n, o, e ou :raccrocher.",
        "📞 Le 1001 services appelle +33 6 00 00 00 01…",
    ]


@pytest.mark.parametrize(
    ("typed", "whisper_answer"),
    [("1", Keys("1")), ("", Silence()), (":raccrocher", HangUp()), (":hangup", HangUp())],
)
def test_interactive_called_party_hears_the_whisper_and_answers_it(
    typed: str, whisper_answer: Keys | Silence | HangUp
) -> None:
    """The user who picks up is the called party: sees the whisper, then takes, lets go or hangs up."""
    answers = iter(["r", "?", typed])
    shown: list[str] = []
    caller = InteractiveCaller(lambda _question: next(answers), shown.append)
    outcome = caller.dial(DialRequest(["+33261912001"]))
    assert isinstance(outcome, DialOutcome)
    assert outcome.answering is not None
    outcome.answering.hear("Appel du 1001 services.")
    assert outcome.answering.gather(GatherPrompt(["Appel du 1001 services."], num_digits=1)) == whisper_answer
    assert shown[1:] == [
        "🔔 (annonce au correspondant) Appel du 1001 services.",
        "Tapez 1, une ligne vide ou :raccrocher.",
    ]


def test_interactive_caller_hangs_up_at_end_of_input() -> None:
    """Ctrl-D (EOF) at any question hangs up."""

    def eof(question: str) -> str:
        """The user pressed Ctrl-D."""
        raise EOFError

    caller = InteractiveCaller(eof, lambda text: None)
    assert caller.gather(GatherPrompt([])) == HangUp()
    assert caller.dial(DialRequest(["+33600000001"])) == HangUp()


# --- over HTTP -------------------------------------------------------------------------------------


@pytest.fixture
def served_app() -> Iterator[tuple[App, str]]:
    """The menu app served over real HTTP on a free local port, and its base URL."""
    app = App({"/ivr/voice": MENU, "/ivr/menu": echo_digits})
    server = make_server("127.0.0.1", 0, app.flask)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield app, f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_call_over_real_http(served_app: tuple[App, str]) -> None:
    """HttpTransport places a whole signed call against a real server, UTF-8 text included."""
    app, base_url = served_app
    simulator = CallSimulator(HttpTransport(), base_url=base_url, auth_token=TOKEN)
    call = simulator.place_call(ScriptedCaller([Keys("1")]))
    assert call.heard == ["Bienvenue.", "Tapez 1.", "Reçu '1' ''"]
    assert [status for _, _, status in call.requests] == [200, 200, 204]
    assert app.seen[1][0] == f"{base_url}/ivr/menu?node=main"
