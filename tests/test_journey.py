"""The whole voice journey through the simulator: hours, speech, questions, screening, fallbacks."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker
from twilio.http import HttpClient
from twilio.http.response import Response as TwilioResponse

from call_log.models import Call
from call_log.recording import find_call
from foundation.config import Calendar, Closure, Config, Sms
from foundation.db import transaction
from foundation.settings import Settings
from helpline.app import create_app
from ivr.hours import Override
from ivr.line import set_override
from ivr.simulator.call import CallSimulator, SimulatedCall
from ivr.simulator.callers import DialOutcome, HangUp, Keys, RecordOutcome, ScriptedCaller, Silence, Speech
from ivr.simulator.transports import FlaskClientTransport
from ivr.sms import TwilioSms
from tests.conftest import AUTH_TOKEN, PUBLIC_URL, FakeClock

PARIS = ZoneInfo("Europe/Paris")
OPERATORS = ["+33261911001", "+33261911002"]
ANSWER = DialOutcome("completed", duration_s=60)
NO_ANSWER = DialOutcome("no-answer")
THANKS = "Merci, votre message est enregistré. Nous vous rappellerons. Au revoir."
READ_BACK = (
    "Nous vous rappellerons au 06 39 98 00 01. "
    "Tapez 1 pour confirmer, ou tapez un autre numéro suivi de dièse."
)


@pytest.fixture
def place(app: Flask) -> Callable[..., tuple[SimulatedCall, Call]]:
    """Place a call with a scripted caller and read its record back."""
    simulator = CallSimulator(
        FlaskClientTransport(app.test_client()), base_url=PUBLIC_URL, auth_token=AUTH_TOKEN, to="+33261911000"
    )
    sessions = app.extensions["helpline"].sessions

    def call(caller: ScriptedCaller, *, from_: str = "+33639980001") -> tuple[SimulatedCall, Call]:
        simulator.from_ = from_
        result = simulator.place_call(caller)
        with sessions() as session:
            record = find_call(session, result.call_sid)
            assert record is not None
            _ = record.events, record.transfers, record.referrals, record.callbacks, record.association
        return result, record

    return call


def at(clock: FakeClock, *moment: int) -> None:
    """Set the clock to a Paris local time."""
    clock.now = datetime(*moment, tzinfo=PARIS)  # type: ignore[misc]


# --- opening hours --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "message", "reopening"),
    [
        ((2026, 11, 24, 20, 0), "Le 1001 services est fermé en ce moment.", "Nous rouvrirons demain à 9 h."),
        ((2026, 11, 28, 10, 0), "Le 1001 services est fermé le week-end.", "Nous rouvrirons lundi à 9 h."),
        (
            (2026, 11, 11, 10, 0),
            "Le 1001 services est fermé aujourd'hui, jour férié.",
            "Nous rouvrirons demain à 9 h.",
        ),
        (
            (2026, 12, 28, 10, 0),
            "Le 1001 services est fermé pour les fêtes de fin d'année.",
            "Nous rouvrirons le 4 janvier à 9 h.",
        ),
    ],
)
def test_closed_line_says_why_and_takes_a_message(
    place: Callable[..., tuple[SimulatedCall, Call]],
    clock: FakeClock,
    moment: tuple[int, ...],
    message: str,
    reopening: str,
) -> None:
    """Night, weekend, holiday, closure: the reason's message, when it reopens, then a voicemail."""
    at(clock, *moment)
    result, record = place(ScriptedCaller([Keys("1")], records=[RecordOutcome(30)]))

    assert result.heard == [
        message,
        reopening,
        READ_BACK,
        "Laissez votre nom et votre demande après le bip, puis tapez dièse.",
        THANKS,
    ]
    assert result.dialled == []
    assert (record.outcome, record.after_hours) == ("after_hours_voicemail", True)
    assert [(c.callback_number, c.recording_duration_s) for c in record.callbacks] == [("+33639980001", 30)]


def test_closed_and_no_message(place: Callable[..., tuple[SimulatedCall, Call]], clock: FakeClock) -> None:
    """A caller who hangs up at the closed message leaves no callback request."""
    at(clock, 2026, 11, 24, 20, 0)
    _result, record = place(ScriptedCaller([HangUp()]))
    assert (record.outcome, record.callbacks) == ("after_hours_no_message", [])


def test_staff_override(
    place: Callable[..., tuple[SimulatedCall, Call]], clock: FakeClock, sessions: sessionmaker[Session]
) -> None:
    """Closed by staff with their own message; opened by staff on a Sunday; back to the hours after."""
    with transaction(sessions) as session:
        set_override(session, Override("closed", message="Fermé pour l'inventaire."), by="staff", now=clock())
    result, _ = place(ScriptedCaller([HangUp()]))
    assert result.heard[0] == "Fermé pour l'inventaire."

    at(clock, 2026, 11, 29, 11, 0)
    with transaction(sessions) as session:
        set_override(session, Override("open"), by="staff", now=clock())
    result, _ = place(ScriptedCaller([HangUp()]))
    assert result.heard[0] == "Bonjour, ici le 1001 services."

    with transaction(sessions) as session:
        set_override(session, None, by="staff", now=clock())
    result, _ = place(ScriptedCaller([HangUp()]))
    assert result.heard[0] == "Le 1001 services est fermé le week-end."


def test_unreadable_override_fails_open(app: Flask, engine: Engine) -> None:
    """If the override cannot be read (its table is gone), the line follows its hours: open, not closed.

    The call's writes do not need that table (the caller's key comes from the environment, not from a salt
    stored there): they reach the database at once.
    """
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE line_setting")
    simulator = CallSimulator(
        FlaskClientTransport(app.test_client()), base_url=PUBLIC_URL, auth_token=AUTH_TOKEN, to="+33261911000"
    )
    result = simulator.place_call(ScriptedCaller([HangUp()]))
    assert result.heard[0] == "Bonjour, ici le 1001 services."
    assert list(app.extensions["helpline"].journal.entries()) == []
    with Session(engine) as session:
        call = session.scalars(select(Call).where(Call.call_sid == result.call_sid)).one()
        assert [event.kind for event in call.events] == ["call_started", "status"]


# --- speech and questions ---------------------------------------------------------------------------------


def test_clear_speech_then_questions_then_screened_transfer(
    place: Callable[..., tuple[SimulatedCall, Call]],
) -> None:
    """'repassage' routes to ironing; the association hears the request and presses 1."""
    result, record = place(
        ScriptedCaller([Speech("repassage"), Keys("36300"), Speech("Ciron"), Keys("2")], dials=[ANSWER])
    )

    assert result.heard[-4:] == [
        "Le code postal de la commune concernée ?",
        "Le nom de la commune ?",
        "Pour vous, tapez 1. Pour un proche, tapez 2.",
        "Je vous passe Brenne Aide à Domicile.",
    ]
    assert result.whispers == [
        "Appel du 1001 services : Repassage et blanchissage, commune de Ciron, pour un proche. "
        "Tapez 1 pour prendre l'appel."
    ]
    assert (record.category_code, record.commune_insee, record.in_territory, record.beneficiary) == (
        "MAISON.LINGE",
        "36053",
        True,
        "relative",
    )
    assert record.outcome == "connected_association"
    kinds = [event.kind for event in record.events]
    assert kinds.index("transfer") < kinds.index("transfer_accepted") < kinds.index("dial_result")


def test_menu_offers_speech_with_hints(app: Flask) -> None:
    """The main menu listens for keys and French speech, hinted with the taxonomy's words."""
    simulator = CallSimulator(
        FlaskClientTransport(app.test_client()), base_url=PUBLIC_URL, auth_token=AUTH_TOKEN
    )
    body = simulator.post("/ivr/voice", {"CallSid": "CA" + "6" * 32, "From": "+33639980001"}).body
    assert 'input="dtmf speech"' in body
    assert 'language="fr-FR"' in body
    assert "repassage" in body.split('hints="')[1].split('"')[0]


def test_unclear_speech_is_confirmed(place: Callable[..., tuple[SimulatedCall, Call]]) -> None:
    """Two services in one sentence: the caller confirms the first with 1."""
    result, record = place(
        ScriptedCaller(
            [Speech("garde d'enfants et repassage"), Keys("1"), Silence(), Silence()], dials=[ANSWER]
        )
    )
    assert (
        "Vous cherchez : Garde d'enfants à domicile, baby-sitting ? Si oui, tapez 1. Sinon, tapez 2."
        in result.heard
    )
    assert (record.category_code, record.postal_code, record.beneficiary) == (
        "ENFANTS.GARDE_DOMICILE",
        None,
        None,
    )
    assert record.outcome == "connected_association"


def test_speech_not_understood_then_keys(place: Callable[..., tuple[SimulatedCall, Call]]) -> None:
    """Words matching nothing: 'not understood', the menu again, and the keys still work."""
    result, record = place(
        ScriptedCaller([Speech("euh bonjour"), Keys("6"), Silence(), Silence()], dials=[ANSWER])
    )
    assert "Je n'ai pas compris." in result.heard
    assert record.category_code == "TRANSPORT"


def test_out_of_territory_postal_code(place: Callable[..., tuple[SimulatedCall, Call]]) -> None:
    """A Paris postal code is recorded as outside the territory; an operator orients the caller."""
    result, record = place(ScriptedCaller([Keys("1"), Keys("75015"), Keys("1")], dials=[ANSWER]))

    assert (
        "Le 1001 services oriente vers les associations du Parc de la Brenne. Un conseiller va vous répondre."
        in result.heard
    )
    assert result.dialled[0].numbers == OPERATORS
    assert (record.postal_code, record.in_territory, record.departement, record.commune_insee) == (
        "75015",
        False,
        "75",
        None,
    )
    assert result.whispers[0].startswith(
        f"Appel du 1001 services, appel numéro {record.id}. Ménage, linge et entretien de la maison, "
        "hors du territoire, code postal 7 5 0 1 5, pour lui-même."
    )


def test_unmet_demand(place: Callable[..., tuple[SimulatedCall, Call]]) -> None:
    """No association covers gardening in Azay-le-Ferron: said kindly, an operator, logged as unmet."""
    result, record = place(
        ScriptedCaller([Keys("2"), Keys("36290"), Speech("Azay le Ferron"), Keys("1")], dials=[ANSWER])
    )
    assert (
        "Aucune association ne propose encore ce service dans votre commune. Un conseiller va vous répondre."
        in result.heard
    )
    assert (record.outcome, record.commune_insee) == ("unmet", "36010")
    assert "unmet_demand" in [event.kind for event in record.events]
    assert [(t.target, t.result) for t in record.transfers] == [("operators", "completed")]


# --- fallbacks (screening: tests/test_screening.py) ---------------------------------------------------------


def test_typed_callback_number(place: Callable[..., tuple[SimulatedCall, Call]]) -> None:
    """After nobody answers, the caller types another number to be called back on."""
    _result, record = place(
        ScriptedCaller([Keys("0"), Keys("0639980002#")], dials=[NO_ANSWER], records=[RecordOutcome(15)])
    )
    assert [c.callback_number for c in record.callbacks] == ["+33639980002"]


def test_withheld_number_asks_for_one(place: Callable[..., tuple[SimulatedCall, Call]]) -> None:
    """A caller with a withheld number is asked to type the number to call back."""
    result, record = place(
        ScriptedCaller([Keys("0"), Keys("0254370000#")], dials=[NO_ANSWER], records=[RecordOutcome(15)]),
        from_="anonymous",
    )
    assert "Tapez le numéro où vous rappeler, suivi de dièse." in result.heard
    assert record.caller == "anonymous"
    assert [c.callback_number for c in record.callbacks] == ["+33254370000"]


def test_recording_status_callback_completes_the_callback(
    app: Flask, sessions: sessionmaker[Session]
) -> None:
    """Twilio's recording status callback stores the final recording URL on the callback request."""
    simulator = CallSimulator(
        FlaskClientTransport(app.test_client()), base_url=PUBLIC_URL, auth_token=AUTH_TOKEN
    )
    call = simulator.place_call(
        ScriptedCaller([Keys("0"), Keys("1")], dials=[NO_ANSWER], records=[RecordOutcome(9)])
    )
    with sessions() as session:
        record = find_call(session, call.call_sid)
        assert record is not None
        [callback] = record.callbacks
    final_url = "https://api.twilio.com/2010-04-01/Accounts/AC0/Recordings/RE0final"
    response = simulator.post(
        "/ivr/recording-status",
        {
            "CallSid": call.call_sid,
            "RecordingSid": callback.recording_sid,
            "RecordingStatus": "completed",
            "RecordingUrl": final_url,
            "RecordingDuration": "9",
        },
    )
    assert response.status == 204
    with sessions() as session:
        record = find_call(session, call.call_sid)
        assert record is not None
        assert [c.recording_url for c in record.callbacks] == [final_url]


# --- where the caller is, and ergonomics ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "country", "area"),
    [("+33254370000", "FR", "Le Blanc"), ("+33145000000", "FR", "Paris"), ("+41446681800", "CH", "")],
)
def test_where_the_caller_is(
    place: Callable[..., tuple[SimulatedCall, Call]], number: str, country: str, area: str
) -> None:
    """The caller's country, and for French landlines their area, come free from the number."""
    _result, record = place(ScriptedCaller([HangUp()]), from_=number)
    assert (record.caller_country, record.caller_area) == (country, area)
    assert record.caller_key is not None
    assert len(record.caller_key) == 32


def test_same_caller_same_key(place: Callable[..., tuple[SimulatedCall, Call]]) -> None:
    """Two calls from one number share a caller key (distinct callers), without keeping the number."""
    _, first = place(ScriptedCaller([HangUp()]))
    _, second = place(ScriptedCaller([HangUp()]))
    _, other = place(ScriptedCaller([HangUp()]), from_="+33639980009")
    assert first.caller_key == second.caller_key != other.caller_key
    assert first.caller == "+336******01"


def test_time_spoken_before_the_association_rings(place: Callable[..., tuple[SimulatedCall, Call]]) -> None:
    """A caller who wants one service hears at most ~30 s of speech before the association's phone rings."""
    result, record = place(
        ScriptedCaller([Keys("1"), Keys("36300"), Speech("Ciron"), Keys("2")], dials=[ANSWER])
    )
    spoken = result.spoken_seconds
    print(f"\nspoken before the association rings: {spoken:.1f} s")
    assert record.outcome == "connected_association"
    assert spoken <= 30


@pytest.fixture
def closing_config(example_config: Config) -> Config:
    """The example config with a one-day closure today (24 November 2026)."""
    closure = Closure(start=date(2026, 11, 24), end=date(2026, 11, 24), reason="Formation", message="Fermé.")
    return example_config.model_copy(update={"calendar": Calendar(closures=[closure])})


def test_closure_from_config(
    closing_config: Config, settings: Settings, engine: Engine, clock: FakeClock
) -> None:
    """A closure in config.yaml closes the line with its own message on that day only."""
    app = create_app(settings, config=closing_config, clock=clock)
    simulator = CallSimulator(
        FlaskClientTransport(app.test_client()), base_url=PUBLIC_URL, auth_token=AUTH_TOKEN
    )
    assert simulator.place_call(ScriptedCaller([HangUp()])).heard[0] == "Fermé."
    app.extensions["helpline"].engine.dispose()


class StubTwilioApi(HttpClient):  # type: ignore[misc]
    """The REST client's transport, answering like Twilio's Messages API without any network."""

    def __init__(self) -> None:
        super().__init__(logger=logging.getLogger("tests.twilio"), is_async=False)
        self.requests: list[tuple[str, str, dict[str, object]]] = []

    def request(self, method: str, uri: str, **kwargs: Any) -> TwilioResponse:
        """Record the request; answer 201 with a queued message."""
        self.requests.append((method, uri, dict(kwargs.get("data") or {})))
        body = {
            "sid": "SM" + "0" * 32,
            "status": "queued",
            "to": kwargs["data"]["To"],
            "body": kwargs["data"]["Body"],
        }
        return TwilioResponse(201, json.dumps(body))


def test_referral_text_message(
    example_config: Config, settings: Settings, engine: Engine, clock: FakeClock
) -> None:
    """With SMS on, a caller connected to an association gets its name and number by text."""
    config = example_config.model_copy(update={"sms": Sms(enabled=True)})
    app = create_app(replace(settings, twilio_account_sid="AC" + "1" * 32), config=config, clock=clock)
    api = StubTwilioApi()
    app.extensions["ivr.sms"] = TwilioSms(
        account_sid="AC" + "1" * 32, auth_token=AUTH_TOKEN, from_="+33261911000", http_client=api
    )
    simulator = CallSimulator(
        FlaskClientTransport(app.test_client()), base_url=PUBLIC_URL, auth_token=AUTH_TOKEN
    )

    call = simulator.place_call(
        ScriptedCaller([Keys("1"), Keys("36300"), Speech("Ciron"), Keys("2")], dials=[ANSWER])
    )

    assert api.requests == [
        (
            "POST",
            f"https://api.twilio.com/2010-04-01/Accounts/AC{'1' * 32}/Messages.json",
            {
                "To": "+33639980001",
                "From": "+33261911000",
                "Body": "1001 services : Brenne Aide à Domicile, 02 61 91 20 01. Bonne journée !",
            },
        )
    ]
    # What the text says is looked up when it is sent: no URL of the call carries it.
    [dial_result] = [url for url, _, _ in call.requests if "/ivr/dial-result" in url]
    assert "Brenne" not in dial_result
    assert "33261912001" not in dial_result
    with app.extensions["helpline"].sessions() as session:
        record = find_call(session, call.call_sid)
        assert record is not None
        assert [e.payload for e in record.events if e.kind == "sms_sent"] == [
            {"message_sid": "SM" + "0" * 32}
        ]
    app.extensions["helpline"].engine.dispose()


def test_no_text_to_a_landline(
    example_config: Config, settings: Settings, engine: Engine, clock: FakeClock
) -> None:
    """Texts go to mobiles only: a landline caller gets none."""
    config = example_config.model_copy(update={"sms": Sms(enabled=True)})
    app = create_app(settings, config=config, clock=clock)
    api = StubTwilioApi()
    app.extensions["ivr.sms"] = TwilioSms(
        account_sid="AC" + "1" * 32, auth_token=AUTH_TOKEN, from_="+33261911000", http_client=api
    )
    simulator = CallSimulator(
        FlaskClientTransport(app.test_client()),
        base_url=PUBLIC_URL,
        auth_token=AUTH_TOKEN,
        from_="+33254370000",
    )
    simulator.place_call(
        ScriptedCaller([Keys("1"), Keys("36300"), Speech("Ciron"), Keys("2")], dials=[ANSWER])
    )
    assert api.requests == []
    app.extensions["helpline"].engine.dispose()
