"""Whole calls through the simulator: signed requests, TwiML executed verb by verb, the log checked."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from call_log.models import Call, CallEvent
from call_log.recording import find_call
from foundation.config import Config
from foundation.journal import Journal, Replayed
from foundation.settings import Settings
from helpline.app import create_app
from ivr.simulator.call import CallSimulator, SimulatedCall
from ivr.simulator.callers import DialOutcome, HangUp, Keys, RecordOutcome, ScriptedCaller, Silence, Speech
from ivr.simulator.transports import FlaskClientTransport
from tests.conftest import AUTH_TOKEN, PUBLIC_URL, FakeClock

HELPLINE_NUMBER = "+33261911000"
OPERATORS = ["+33261911001", "+33261911002"]
ANSWER = DialOutcome("completed", duration_s=95)
NO_ANSWER = DialOutcome("no-answer")
BUSY = DialOutcome("busy")
RETRY_TIMESTAMP = "Tue, 24 Nov 2026 09:02:00 +0000"
GREETING = "Bonjour, ici le 1001 services."


def journey(
    *menu_keys: str, postal_code: str = "36300", commune: str = "Ciron", who: str = "2"
) -> list[Keys | Speech]:
    """A caller choosing with `menu_keys`, then answering the questions: Ciron (36300), for a relative."""
    return [*(Keys(key) for key in menu_keys), Keys(postal_code), Speech(commune), Keys(who)]


def make_simulator(app: Flask) -> CallSimulator:
    """A simulator posting to the app in-process, signing as Twilio does."""
    return CallSimulator(
        FlaskClientTransport(app.test_client()),
        base_url=PUBLIC_URL,
        auth_token=AUTH_TOKEN,
        to=HELPLINE_NUMBER,
    )


@pytest.fixture
def simulator(app: Flask) -> CallSimulator:
    """The simulator for the test app."""
    return make_simulator(app)


@pytest.fixture
def logged(sessions: sessionmaker[Session]) -> Callable[[str], Call]:
    """Read a call (with its events) back from the database."""

    def read(call_sid: str) -> Call:
        with sessions() as session:
            call = find_call(session, call_sid)
            assert call is not None, f"call {call_sid} was not logged"
            _ = call.events, call.association, call.transfers, call.referrals, call.callbacks
            return call

    return read


def kinds(call: Call) -> list[str]:
    """The kinds of a call's events, in order."""
    return [event.kind for event in call.events]


@pytest.mark.parametrize(
    ("key", "category", "association", "phone"),
    [
        ("1", "MAISON", "Brenne Aide à Domicile", "+33261912001"),
        ("2", "EXTERIEUR", "Les Jardiniers de la Brenne", "+33261912002"),
        ("3", "ENFANTS", "Brenne Enfance Services", "+33261912003"),
        ("4", "AUTONOMIE", "Brenne Aide à Domicile", "+33261912001"),
        ("5", "COURSES_REPAS", "Repas et Courses en Brenne", "+33261912004"),
        ("6", "TRANSPORT", "Mobilité Solidaire Brenne", "+33261912005"),
    ],
)
def test_each_choice_reaches_its_association(
    simulator: CallSimulator,
    logged: Callable[[str], Call],
    key: str,
    category: str,
    association: str,
    phone: str,
) -> None:
    """One key transfers to the association offering that category, with the helpline as caller ID."""
    call = simulator.place_call(ScriptedCaller(journey(key), dials=[ANSWER]))

    assert call.heard[0] == GREETING
    assert call.heard[-1] == f"Je vous passe {association}."
    assert [(d.numbers, d.caller_id, d.timeout) for d in call.dialled] == [([phone], HELPLINE_NUMBER, 20)]
    assert call.ended_by == "hangup-verb"
    assert call.status_callback_status == 204
    record = logged(call.call_sid)
    assert (record.category_code, record.association.name if record.association else None) == (
        category,
        association,
    )
    assert (record.outcome, record.status, record.menu_path) == (
        "connected_association",
        "completed",
        f"{key} 36300 ~ 2",
    )
    assert (record.postal_code, record.commune_insee, record.in_territory, record.beneficiary) == (
        "36300",
        "36053",
        True,
        "relative",
    )
    assert record.duration_s == call.duration_s
    assert record.caller == "+336******01"
    assert kinds(record) == [
        "call_started",
        *["menu_input"] * 4,
        "transfer",
        "transfer_accepted",
        "dial_result",
        "status",
    ]
    assert [(t.target, t.association_id, t.result) for t in record.transfers] == [
        ("association", record.association_id, "completed")
    ]
    assert [(r.association_id, r.source, r.follow_up) for r in record.referrals] == [
        (record.association_id, "ivr", "pending")
    ]


def test_no_answer_then_next_association_then_operators_then_voicemail(
    simulator: CallSimulator, logged: Callable[[str], Call]
) -> None:
    """Each association in turn, then all operators at once, then a voicemail with a callback request."""
    call = simulator.place_call(
        ScriptedCaller(
            [*journey("1"), Keys("1")],
            dials=[NO_ANSWER, BUSY, NO_ANSWER],
            records=[RecordOutcome(duration_s=25)],
        )
    )

    assert [d.numbers for d in call.dialled] == [["+33261912001"], ["+33261912004"], OPERATORS]
    assert call.heard[-7:] == [
        "Je vous passe Brenne Aide à Domicile.",
        "Cette association n'est pas disponible. J'essaie Repas et Courses en Brenne.",
        "L'association n'est pas disponible. Un conseiller va vous répondre.",
        "Nos conseillers sont tous occupés.",
        "Nous vous rappellerons au 06 39 98 00 01. "
        "Tapez 1 pour confirmer, ou tapez un autre numéro suivi de dièse.",
        "Laissez votre nom et votre demande après le bip, puis tapez dièse.",
        "Merci, votre message est enregistré. Nous vous rappellerons. Au revoir.",
    ]
    record = logged(call.call_sid)
    assert record.outcome == "voicemail"
    assert [(t.attempt, t.target, t.result) for t in record.transfers] == [
        (1, "association", "no-answer"),
        (2, "association", "busy"),
        (3, "operators", "no-answer"),
    ]
    assert record.referrals == []
    [callback] = record.callbacks
    assert (callback.callback_number, callback.recording_duration_s, callback.state) == (
        "+33639980001",
        25,
        "open",
    )
    assert callback.recording_url.startswith("https://api.twilio.com/2010-04-01/Accounts/AC")


@pytest.mark.parametrize("failure", [BUSY, DialOutcome("failed"), NO_ANSWER])
def test_association_failure_goes_to_an_operator(
    simulator: CallSimulator, logged: Callable[[str], Call], failure: DialOutcome
) -> None:
    """Busy, failed or unanswered (and no other association): the operators take the call."""
    call = simulator.place_call(ScriptedCaller(journey("3"), dials=[failure, ANSWER]))

    assert [d.numbers for d in call.dialled] == [["+33261912003"], OPERATORS]
    record = logged(call.call_sid)
    assert record.outcome == "connected_operator"
    assert [(t.target, t.result) for t in record.transfers] == [
        ("association", failure.status),
        ("operators", "completed"),
    ]


def test_empty_voicemail_is_not_a_message(simulator: CallSimulator, logged: Callable[[str], Call]) -> None:
    """A caller who says nothing at the beep hears that no message was taken; no callback request."""
    call = simulator.place_call(
        ScriptedCaller([Keys("0"), Silence()], dials=[NO_ANSWER], records=[RecordOutcome(duration_s=0)])
    )

    assert call.heard[-1] == "Nous n'avons pas reçu de message. Merci de rappeler plus tard. Au revoir."
    record = logged(call.call_sid)
    assert (record.outcome, record.callbacks) == ("missed", [])


def test_zero_reaches_the_operators(simulator: CallSimulator, logged: Callable[[str], Call]) -> None:
    """'0' rings every operator at once; they hear the call's number before taking it."""
    call = simulator.place_call(ScriptedCaller([Keys("0")], dials=[ANSWER]))

    assert call.heard[-1] == "Un conseiller va vous répondre. Restez en ligne."
    assert [(d.numbers, d.timeout) for d in call.dialled] == [(OPERATORS, 25)]
    record = logged(call.call_sid)
    assert call.whispers == [
        f"Appel du 1001 services, appel numéro {record.id}. demande à préciser. Tapez 1 pour prendre l'appel."
    ]
    assert (record.outcome, record.menu_path, record.category_code) == ("connected_operator", "0", None)
    assert record.events[2].payload == {
        "target": "operators",
        "association_id": None,
        "category": None,
        "reason": "asked",
    }


def test_star_repeats_the_menu(simulator: CallSimulator, logged: Callable[[str], Call]) -> None:
    """'*' plays the menu again (without the greeting), then a choice still routes."""
    call = simulator.place_call(ScriptedCaller(journey("*", "2"), dials=[ANSWER]))

    assert call.heard.count("Jardinage, bricolage, tapez 2.") == 2
    assert call.heard.count(GREETING) == 1
    assert logged(call.call_sid).menu_path == "* 2 36300 ~ 2"


def test_wrong_keys_up_to_the_limit(simulator: CallSimulator, logged: Callable[[str], Call]) -> None:
    """A wrong key is re-asked with a hint; the second goes to an operator."""
    call = simulator.place_call(ScriptedCaller([Keys("8"), Keys("9")], dials=[ANSWER]))

    assert call.heard.count("Cette touche ne correspond à aucun choix.") == 2
    assert [d.numbers for d in call.dialled] == [OPERATORS]
    record = logged(call.call_sid)
    assert (record.outcome, record.menu_path) == ("connected_operator", "8 9")
    assert [e.payload["reason"] for e in record.events if e.kind == "transfer"] == ["wrong_keys"]


def test_silence_up_to_the_limit(simulator: CallSimulator, logged: Callable[[str], Call]) -> None:
    """No key is re-asked with a hint; the second silence goes to an operator."""
    call = simulator.place_call(ScriptedCaller([Silence(), Silence()], dials=[ANSWER]))

    assert call.heard.count("Je n'ai rien entendu.") == 2
    assert [d.numbers for d in call.dialled] == [OPERATORS]
    record = logged(call.call_sid)
    assert record.outcome == "connected_operator"
    assert [e.payload.get("timeout") for e in record.events if e.kind == "menu_input"] == [True, True]


def test_wrong_key_and_silence_are_counted_separately(
    simulator: CallSimulator, logged: Callable[[str], Call]
) -> None:
    """One wrong key and one silence still leave the caller in the menu to choose."""
    call = simulator.place_call(ScriptedCaller([Keys("7"), Silence(), *journey("5")], dials=[ANSWER]))

    assert [d.numbers for d in call.dialled] == [["+33261912004"]]
    assert logged(call.call_sid).outcome == "connected_association"


def test_hang_up_in_the_menu(simulator: CallSimulator, logged: Callable[[str], Call]) -> None:
    """A caller who hangs up before choosing is logged as abandoned in the menu."""
    call = simulator.place_call(ScriptedCaller([HangUp()]))

    assert call.ended_by == "caller-hangup"
    record = logged(call.call_sid)
    assert (record.outcome, record.status) == ("abandoned_in_menu", "completed")


@pytest.mark.parametrize("signature", ["forged", "missing"])
def test_unsigned_requests_are_refused(
    simulator: CallSimulator,
    sessions: sessionmaker[Session],
    caplog: pytest.LogCaptureFixture,
    signature: str,
) -> None:
    """A request with a forged or missing X-Twilio-Signature gets 403, is logged, and records nothing."""
    params = {"CallSid": "CA" + "f" * 32, "From": "+33639980001", "To": HELPLINE_NUMBER}
    with caplog.at_level(logging.WARNING, logger="ivr.webhooks"):
        response = simulator.post(
            "/ivr/voice", params, forge_signature=signature == "forged", sign=signature == "forged"
        )

    assert response.status == 403
    assert {"forged": "invalid", "missing": "missing"}[signature] + " X-Twilio-Signature" in caplog.text
    assert f"{PUBLIC_URL}/ivr/voice" in caplog.text
    with sessions() as session:
        assert session.scalars(select(Call)).all() == []


def test_signature_covers_the_query_string(simulator: CallSimulator) -> None:
    """Changing the menu state in a signed URL breaks the signature (the state cannot be forged)."""
    signed = simulator.post(
        "/ivr/menu?node=&wrong=0&silent=0&path=", {"CallSid": "CA" + "1" * 32, "Digits": "1"}
    )
    assert signed.status == 200
    forged = simulator.post(
        "/ivr/menu?node=&wrong=0&silent=0&path=",
        {"CallSid": "CA" + "1" * 32, "Digits": "1"},
        forge_signature=True,
    )
    assert forged.status == 403


def test_duplicate_and_out_of_order_status_callbacks(
    simulator: CallSimulator, logged: Callable[[str], Call]
) -> None:
    """Repeated and late callbacks leave one consistent record: completed, with the right duration."""
    call = simulator.place_call(ScriptedCaller(journey("1"), dials=[ANSWER]))
    first = logged(call.call_sid)

    for status, sequence, duration in [
        ("completed", 1, call.duration_s),  # Twilio's retry: a new sequence number, same facts
        ("ringing", 0, None),  # a late 'ringing'
        ("in-progress", 5, None),  # a late 'in-progress' with a higher sequence number
        ("completed", 1, call.duration_s),  # the retry, twice
    ]:
        response = simulator.post_status(
            call.call_sid, status, sequence_number=sequence, duration_s=duration, Timestamp=RETRY_TIMESTAMP
        )
        assert response.status == 204

    record = logged(call.call_sid)
    assert (record.status, record.duration_s, record.ended_at) == (
        "completed",
        call.duration_s,
        first.ended_at,
    )
    assert record.outcome == "connected_association"
    assert kinds(record).count("status") == 4  # the exact retry of a request adds no event


def test_retried_voice_request_logs_one_call(app: Flask, sessions: sessionmaker[Session]) -> None:
    """Twilio retrying the very same request gives one call and one event."""
    simulator = make_simulator(app)
    params = {
        "CallSid": "CA" + "2" * 32,
        "From": "+33639980001",
        "To": HELPLINE_NUMBER,
        "CallStatus": "ringing",
    }
    assert simulator.post("/ivr/voice", params).status == 200
    assert simulator.post("/ivr/voice", params).status == 200
    with sessions() as session:
        assert session.scalar(select(Call.id).where(Call.call_sid == params["CallSid"])) is not None
        assert len(session.scalars(select(CallEvent)).all()) == 1


def test_broken_directory_still_reaches_an_operator(
    simulator: CallSimulator, sessions: sessionmaker[Session], logged: Callable[[str], Call]
) -> None:
    """If the directory lookup fails, the caller hears an apology and the operators ring."""
    with sessions() as session, session.begin():
        session.execute(text("ALTER TABLE service RENAME TO service_gone"))

    call = simulator.place_call(ScriptedCaller(journey("1"), dials=[ANSWER]))

    assert "Nous rencontrons un problème technique. Un conseiller va vous répondre." in call.heard
    assert [d.numbers for d in call.dialled] == [OPERATORS]
    record = logged(call.call_sid)
    transfers = [e.payload for e in record.events if e.kind == "transfer"]
    assert transfers == [
        {
            "target": "operators",
            "association_id": None,
            "category": "MAISON",
            "reason": "directory_unavailable",
        }
    ]
    assert record.outcome == "connected_operator"


@pytest.mark.parametrize("journal", ["usable", "refused"])
def test_broken_database_never_fails_the_caller(
    example_config: Config, clock: FakeClock, caplog: pytest.LogCaptureFixture, tmp_path: Path, journal: str
) -> None:
    """With no usable database at all, the caller still gets the menu, the operators and the voicemail.

    What could not be written waits in the journal; if even the journal refuses it, the log line holds
    the voicemail's recording for replay by hand.
    """
    (tmp_path / "not-a-directory").write_text("")
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'missing' / 'helpline.sqlite3'}",
        twilio_auth_token=AUTH_TOKEN,
        public_url=PUBLIC_URL,
        journal_dir=tmp_path / ("journal" if journal == "usable" else "not-a-directory"),
    )
    app = create_app(settings, config=example_config, clock=clock)
    simulator = make_simulator(app)

    with caplog.at_level(logging.ERROR):
        call = simulator.place_call(
            ScriptedCaller(
                [*journey("4"), Keys("1")], dials=[NO_ANSWER], records=[RecordOutcome(duration_s=12)]
            )
        )

    assert call.heard[0] == GREETING
    assert "Nous rencontrons un problème technique. Un conseiller va vous répondre." in call.heard
    assert [d.numbers for d in call.dialled] == [OPERATORS]
    assert call.heard[-1] == "Merci, votre message est enregistré. Nous vous rappellerons. Au revoir."
    assert call.status_callback_status == 204
    if journal == "refused":
        assert "The journal refused voicemail for call" in caplog.text
        assert "https://api.twilio.com/" in caplog.text  # the recording's URL, for replay by hand
        return
    kinds = [entry.data["kind"] for entry in Journal(settings.journal_path()).entries()]
    assert kinds[0] == "call_started"
    assert kinds.count("voicemail") == 1
    assert kinds[-1] == "status"


def test_fallback_url_answers_with_the_operators(
    simulator: CallSimulator,
    logged: Callable[[str], Call],
    caplog: pytest.LogCaptureFixture,
    replay: Callable[[], Replayed],
) -> None:
    """Twilio's fallback URL rings the operators at once; its event reaches the log through the journal."""
    sid = "CA" + "3" * 32
    with caplog.at_level(logging.ERROR, logger="ivr.webhooks"):
        response = simulator.post(
            "/ivr/fallback",
            {
                "CallSid": sid,
                "ErrorCode": "11200",
                "ErrorUrl": f"{PUBLIC_URL}/ivr/voice",
                "From": "+33639980001",
            },
        )

    assert response.status == 200
    assert response.content_type.startswith("text/xml")
    assert "<Number>+33261911001</Number><Number>+33261911002</Number>" in response.body
    assert "Twilio reported error 11200" in caplog.text
    assert replay() == Replayed(written=1, rejected=0, left=0)
    assert logged(sid).events[0].payload == {"code": "11200", "url": f"{PUBLIC_URL}/ivr/voice"}


@pytest.mark.parametrize(
    ("path", "form"),
    [
        ("/ivr/menu?node=%00&wrong=abc&path=%ff", {"CallSid": "CA" + "4" * 32, "Digits": "\u00e9\u00e9"}),
        ("/ivr/menu", {}),
        ("/ivr/dial-result?stage=nowhere", {"DialCallStatus": "???"}),
        ("/ivr/voicemail", {"RecordingDuration": "-5", "CallSid": "nope"}),
        ("/ivr/voice", {"CallSid": "CA" + "5" * 500, "From": "x" * 300}),
    ],
)
def test_garbage_still_answers_valid_twiml(simulator: CallSimulator, path: str, form: dict[str, str]) -> None:
    """A signed request with nonsense parameters still gets valid TwiML, never an error."""
    from ivr.simulator.twiml import parse_twiml

    response = simulator.post(path, form)

    assert response.status == 200
    parse_twiml(PUBLIC_URL + path, response)  # raises InvalidTwiML unless Twilio would accept it


def test_every_document_is_valid_twiml(simulator: CallSimulator) -> None:
    """The simulator validated every document of a long call (it raises on invalid TwiML)."""
    call: SimulatedCall = simulator.place_call(
        ScriptedCaller(
            [Keys("8"), Keys("*"), Silence(), *journey("6"), Silence()],
            dials=[BUSY, NO_ANSWER],
            records=[RecordOutcome(40)],
        )
    )
    assert call.documents == 12
    assert call.heard[-1] == "Merci, votre message est enregistré. Nous vous rappellerons. Au revoir."
