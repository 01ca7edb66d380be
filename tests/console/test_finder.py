"""The directory at hand: operators find who can take a request exactly as the voice menu would route it."""

from __future__ import annotations

import html
import re
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from call_log.codes import EventKind
from call_log.models import Call, CallEvent, Referral
from directory.models import Commune
from directory.routing import route
from ivr.simulator.call import CallSimulator
from ivr.simulator.callers import DialOutcome, Keys, ScriptedCaller
from ivr.sms import TwilioSms
from tests.conftest import AUTH_TOKEN, FakeClock
from tests.console.browser import accessibility_problems, sign_in
from tests.console.conftest import Browser
from tests.test_journey import StubTwilioApi

PARIS = ZoneInfo("Europe/Paris")


def found_names(page: str) -> list[str]:
    """The associations a finder page lists, in order."""
    return [html.unescape(name) for name in re.findall(r'<h3 id="found-\d+">\d+\. ([^<]+?) <span', page)]


@pytest.mark.parametrize("category", ["EXTERIEUR", "EXTERIEUR.BRICOLAGE", "AUTONOMIE", "MAISON"])
def test_the_finder_lists_what_the_voice_menu_would_ring(
    as_operator: Browser, sessions: sessionmaker[Session], clock: FakeClock, category: str
) -> None:
    """For every commune, the page lists the candidates of the routing function, in its order."""
    with sessions() as session:
        communes = list(session.scalars(select(Commune).order_by(Commune.name)))
        expected = {
            c.insee: [
                found.name
                for found in route(session, category=category, commune_insee=c.insee, at=clock(), tz=PARIS)
            ]
            for c in communes
        }
    assert any(expected.values())
    for commune in communes[:: max(1, len(communes) // 8)]:
        page = as_operator.text(f"/find?category={category}&commune={commune.name} ({commune.postal_code})")
        assert found_names(page) == expected[commune.insee], commune.name


def test_the_finder_says_what_it_cannot_read(as_operator: Browser) -> None:
    """No service, or a commune outside the territory: the page says why and lists nothing."""
    page = html.unescape(as_operator.text("/find?category=&commune=Ciron"))
    assert "Choisissez le service demandé." in page
    assert found_names(page) == []
    page = html.unescape(as_operator.text("/find?category=MAISON&commune=Paris"))
    assert "« Paris » n'est pas une commune du territoire" in page
    assert found_names(page) == []


def test_an_operator_refers_a_call_from_the_finder(
    page: Page, live_server: str, simulator: CallSimulator, sessions: sessionmaker[Session]
) -> None:
    """Opened for a call, the finder shows hours, fees and phones, and refers the call in one click."""
    placed = simulator.place_call(ScriptedCaller([Keys("0")], dials=[DialOutcome("completed", 60)]))
    with sessions() as session:
        call_id = session.scalars(select(Call.id).where(Call.call_sid == placed.call_sid)).one()
    sign_in(page, live_server, "olivia")
    page.get_by_role("link", name="Trouver une association").click()
    expect(page.get_by_label("Service demandé")).to_be_focused()
    page.goto(f"{live_server}/calls/{call_id}")
    page.get_by_role("link", name="Voir les associations disponibles").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Trouver une association")
    page.get_by_label("Service demandé").select_option("EXTERIEUR")
    page.get_by_label("Commune (nom ou code postal)").fill("Rosnay (36300)")
    page.get_by_role("button", name="Chercher").click()
    first = page.locator("article.found").first
    expect(first).to_contain_text("Les Jardiniers de la Brenne")
    expect(first).to_contain_text("Horaires")
    assert accessibility_problems(page) == []
    first.get_by_role(
        "button", name=f"Orienter l'appel n° {call_id} vers Les Jardiniers de la Brenne"
    ).click()
    expect(page.get_by_text("Orientation vers Les Jardiniers de la Brenne enregistrée.")).to_be_visible()
    with sessions() as session:
        [referral] = session.scalars(select(Referral).where(Referral.call_id == call_id)).all()
        assert (referral.created_by, referral.follow_up) == ("olivia", "pending")


def test_an_operator_texts_the_caller_an_association(
    app: Flask, as_operator: Browser, simulator: CallSimulator, sessions: sessionmaker[Session]
) -> None:
    """With texts on, the finder texts the name and the number the menu dials, through Twilio's REST API,
    and the call's history says so; a landline or a typo is refused before anything is sent."""
    api = StubTwilioApi()
    app.extensions["ivr.sms"] = TwilioSms(
        account_sid="AC" + "1" * 32, auth_token=AUTH_TOKEN, from_="+33261911000", http_client=api
    )
    placed = simulator.place_call(ScriptedCaller([Keys("0")], dials=[DialOutcome("completed", 60)]))
    with sessions() as session:
        call_id = session.scalars(select(Call.id).where(Call.call_sid == placed.call_sid)).one()
    finder = f"/find?category=EXTERIEUR&commune=Rosnay+(36300)&call={call_id}"
    page = as_operator.text(finder)
    association = re.search(
        r'name="association" value="(\d+)">\s*<input type="hidden" name="service" value="(\d+)"', page
    )
    assert association is not None
    form = {
        "association": association[1],
        "service": association[2],
        "category": "EXTERIEUR",
        "commune": "Rosnay (36300)",
        "call": str(call_id),
    }
    refused = as_operator.post("/find/text", {**form, "to": "02 61 91 00 00"}, token_from=finder)
    assert refused.status_code == 302
    assert "Tapez un numéro de portable" in html.unescape(as_operator.text(finder))
    assert api.requests == []

    sent = as_operator.post("/find/text", {**form, "to": "06 39 98 00 07"}, token_from=finder)
    assert sent.headers["Location"] == finder
    told = html.unescape(as_operator.text(finder))
    assert "Texto envoyé au 06 ** ** ** 07 : Les Jardiniers de la Brenne, 02 61 91 20 02." in told
    assert [(uri.rsplit("/", 1)[1], data["To"], data["Body"]) for _, uri, data in api.requests] == [
        (
            "Messages.json",
            "+33639980007",
            "1001 services : Les Jardiniers de la Brenne, 02 61 91 20 02. Bonne journée !",
        )
    ]
    with sessions() as session:
        payloads = session.scalars(
            select(CallEvent.payload).where(
                CallEvent.call_id == call_id, CallEvent.kind == EventKind.SMS_SENT
            )
        ).all()
        assert payloads == [
            {"message_sid": "SM" + "0" * 32, "by": "olivia", "association": "Les Jardiniers de la Brenne"}
        ]
