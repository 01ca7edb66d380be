"""The association's personal link: no login, only what it needs, each answer once, bad links refused."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from call_log.models import CallEvent, Referral
from call_log.record import add_referral, open_manual_contact
from directory.models import Association
from foundation.db import transaction
from helpline.partners import partner_links
from ivr.simulator.call import CallSimulator
from ivr.simulator.callers import DialOutcome, Keys, ScriptedCaller, Speech
from ivr.simulator.transports import FlaskClientTransport
from reports.aggregate import build_report
from tests.conftest import AUTH_TOKEN, PUBLIC_URL, FakeClock

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def referral_id(sessions: sessionmaker[Session], clock: FakeClock) -> int:
    """Ironing in Ciron for the caller, referred by an operator, with a staff note on the call."""
    with transaction(sessions) as session:
        call = open_manual_contact(
            session,
            channel="phone",
            started_at=clock(),
            caller="+336******07",
            callback_number="+33639980007",
            by="olivia",
            now=clock(),
        )
        call.category_code, call.commune_insee, call.beneficiary = "MAISON", "36053", "self"
        call.notes = "Note interne : la dame est sourde"
        association = session.scalars(select(Association).order_by(Association.id)).first()
        assert association is not None
        return add_referral(session, call, association, by="olivia", now=clock()).id


def _link(app: Flask, referral_id: int) -> str:
    return "/suivi/" + partner_links(app.extensions["helpline"], str(app.secret_key)).token(referral_id)


def _answer(client: FlaskClient, link: str, **form: str) -> int:
    """Post the page's form as the association's phone would: with the page's CSRF token."""
    page = client.get(link).get_data(as_text=True)
    found = _CSRF.search(page)
    assert found is not None
    return client.post(link, data={**form, "csrf_token": found.group(1)}).status_code


def _history(sessions: sessionmaker[Session], referral_id: int) -> list[tuple[str, dict[str, object]]]:
    with sessions() as session:
        referral = session.get_one(Referral, referral_id)
        events = session.scalars(
            select(CallEvent).where(CallEvent.call_id == referral.call_id).order_by(CallEvent.seq)
        )
        return [(e.kind, e.payload) for e in events if e.kind.startswith("referral_")]


def test_the_link_shows_the_request_and_nothing_else(
    app: Flask, referral_id: int, sessions: sessionmaker[Session]
) -> None:
    """Without any sign-in: service, commune, for whom, date; no number without consent, no staff note."""
    response = app.test_client().get(_link(app, referral_id))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for shown in ("Ménage, linge et entretien de la maison", "Ciron", "Pour soi-même", "24/11/2026 à 10:00"):
        assert shown in html
    assert "non transmis" in html
    assert "39 98 00 07" not in html
    assert "sourde" not in html
    assert 'href="tel:+33261911000"' in html
    assert [kind for kind, _ in _history(sessions, referral_id)] == ["referral_added", "referral_link_viewed"]


def test_each_answer_counts_once_and_never_goes_back(
    app: Flask, referral_id: int, sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    """Contacted, then again (nothing new), then quote sent, then contacted again (kept at quote sent)."""
    client, link = app.test_client(), _link(app, referral_id)
    assert _answer(client, link, state="contacted") == 302
    clock.advance(3600)
    assert _answer(client, link, state="contacted") == 302
    assert _answer(client, link, state="quote_sent") == 302
    assert _answer(client, link, state="contacted") == 302
    with sessions() as session:
        referral = session.get_one(Referral, referral_id)
        assert referral.follow_up == "quote_sent"
        assert referral.contacted_at == clock.now.replace(hour=9)  # the first answer's time, UTC
        assert referral.quote_sent_at == referral.link_answered_at == clock()
    changes = [p for kind, p in _history(sessions, referral_id) if kind == "referral_follow_up"]
    assert [(p["by"], p["changes"]["follow_up"]) for p in changes] == [  # type: ignore[index]
        ("Brenne Aide à Domicile (lien de suivi)", {"before": "pending", "after": "contacted"}),
        ("Brenne Aide à Domicile (lien de suivi)", {"before": "contacted", "after": "quote_sent"}),
    ]


def test_no_follow_up_with_a_reason(app: Flask, referral_id: int, sessions: sessionmaker[Session]) -> None:
    """Pas donné suite, out of area, with a word: the referral is dropped with the reason in its notes."""
    client, link = app.test_client(), _link(app, referral_id)
    assert (
        _answer(client, link, state="dropped", reason="out_of_area", details="Nous couvrons Le Blanc") == 302
    )
    assert (
        _answer(client, link, state="dropped", reason="out_of_area", details="Nous couvrons Le Blanc") == 302
    )
    with sessions() as session:
        referral = session.get_one(Referral, referral_id)
        assert (referral.follow_up, referral.notes) == (
            "dropped",
            "Pas de suite donnée : Hors de notre secteur (Nous couvrons Le Blanc)",
        )
    assert [kind for kind, _ in _history(sessions, referral_id)].count("referral_follow_up") == 1
    assert _answer(client, link, state="dropped", reason="nonsense") == 400


def test_tampered_expired_and_unsigned_answers_are_refused(
    app: Flask, referral_id: int, sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    """A changed token: 404; one past 30 days: 410; a post without the form's token: 400; nothing shown."""
    client, link = app.test_client(), _link(app, referral_id)
    tampered = link[:-3] + ("AAA" if not link.endswith("AAA") else "BBB")
    other = _link(app, referral_id + 1000)
    for refused, status, words in ((tampered, 404, "pas valable"), (other, 404, "pas valable")):
        response = client.get(refused)
        assert response.status_code == status
        html = response.get_data(as_text=True)
        assert words in html
        assert "Ciron" not in html
    assert client.post(link, data={"state": "contacted"}).status_code == 400
    clock.advance(31 * 86400)
    expired = client.get(link)
    assert expired.status_code == 410
    assert "Ce lien a expiré" in expired.get_data(as_text=True)
    assert "Ciron" not in expired.get_data(as_text=True)
    with sessions() as session:
        assert session.get_one(Referral, referral_id).follow_up == "pending"
    assert [kind for kind, _ in _history(sessions, referral_id)] == ["referral_added"]


def test_the_report_counts_the_answers_of_the_link(
    app: Flask, sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    """Quote sent through the link the same day: the month's funnel and the association's row count it."""
    simulator = CallSimulator(
        FlaskClientTransport(app.test_client()), base_url=PUBLIC_URL, auth_token=AUTH_TOKEN
    )
    simulator.place_call(
        ScriptedCaller(
            [Keys("1"), Keys("36300"), Speech("Ciron"), Keys("2")], dials=[DialOutcome("completed", 60)]
        )
    )
    with sessions() as session:
        [referral_id] = session.scalars(select(Referral.id))
    client, link = app.test_client(), _link(app, referral_id)
    clock.advance(2 * 3600)
    assert _answer(client, link, state="quote_sent") == 302
    with sessions() as session:
        report = build_report(
            session, "2026-11", tz=ZoneInfo("Europe/Paris"), helpline_name="1001 services", now=clock()
        )
    funnel = report.table("funnel")
    stage = [c.name for c in funnel.columns].index("stage")
    calls = [c.name for c in funnel.columns].index("calls")
    counts = {row[stage]: row[calls] for row in funnel.rows}
    assert (counts["referred"], counts["contacted_24h"], counts["quote"]) == (1, 1, 1)
    associations = report.table("associations")
    names = [c.name for c in associations.columns]
    [row] = [r for r in associations.rows if r[names.index("association")] == "Brenne Aide à Domicile"]
    assert [row[names.index(n)] for n in ("referrals", "contacted_24h", "quotes")] == [1, 1, 1]
