"""Administrators find and erase what is tied to a number in the console, audited as the CLI does."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from call_log.models import Call, CallbackRequest, CallEvent, PrivacyAudit, RecordRead, Referral
from console.privacy_pages import RECORDINGS_EXTENSION
from directory.models import Association
from foundation.db import transaction
from ivr.line import caller_key
from tests.conftest import CALLER_HASH_SECRET
from tests.console.conftest import Browser
from tests.public.test_rights_by_email import EMAIL_ONLY
from tests.public.test_web_form import send, web_calls

NUMBER = "+33639980001"
OTHER = "+33639980009"
PAGE = "/admin/confidentialite"
RECORDING = "RE" + "3" * 32


class DeletedRecordings:
    """The voicemails' store at Twilio, as a fake that deletes every recording asked."""

    def __init__(self) -> None:
        """Nothing deleted yet."""
        self.deleted: list[str] = []

    def delete(self, sid: str) -> bool:
        """Delete `sid` (always works)."""
        self.deleted.append(sid)
        return True


def _call(session: Session, sid: str, at: datetime, number: str) -> None:
    association = session.scalars(select(Association)).first()
    call = Call(
        call_sid=sid,
        started_at=at,
        caller="+336******01",
        caller_key=caller_key(number, secret=CALLER_HASH_SECRET),
        notes="Mme Dupont, rappeler le soir",
        category_code="MAISON",
        commune_insee="36018",
        in_territory=True,
        outcome="voicemail",
    )
    call.callbacks.append(
        CallbackRequest(
            created_at=at,
            callback_number=number,
            recording_sid=RECORDING,
            recording_url=f"https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/{RECORDING}",
        )
    )
    call.referrals.append(Referral(association=association, created_at=at, source="operator", notes="devis"))
    call.events.append(CallEvent(seq=1, at=at, kind="menu_input", payload={"speech": "du ménage"}))
    session.add(call)


@pytest.fixture
def calls(sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    """Two calls tied to NUMBER (by its keyed hash and a callback number), one of another person."""
    with transaction(sessions) as session:
        _call(session, "CA" + "1" * 32, datetime(2026, 10, 2, 8, 0, tzinfo=UTC), NUMBER)
        _call(session, "CA" + "2" * 32, datetime(2026, 11, 20, 14, 30, tzinfo=UTC), NUMBER)
        _call(session, "CA" + "3" * 32, datetime(2026, 11, 21, 9, 0, tzinfo=UTC), OTHER)
    return sessions


@pytest.fixture
def as_admin(browser: Browser) -> Browser:
    """Signed in as ada, an administrator."""
    assert browser.login("ada").status_code == 302
    return browser


def _audits(sessions: sessionmaker[Session]) -> list[tuple[str, str, dict[str, int]]]:
    with sessions() as session:
        return [(row.action, row.by, row.counts) for row in session.scalars(select(PrivacyAudit))]


def test_only_administrators_reach_the_pages(browser: Browser, calls: sessionmaker[Session]) -> None:
    """Operators and staff get 403 on the rights pages; the admin's menu links to them."""
    browser.login("sam")
    assert browser.get(PAGE).status_code == 403
    assert "Droits des personnes" not in browser.text("/")
    browser.post("/logout", {})
    browser.login("ada")
    assert 'href="/admin/confidentialite"' in browser.text("/")


def test_find_lists_counts_and_dates_not_content(as_admin: Browser, calls: sessionmaker[Session]) -> None:
    """The number typed as people say it shows how much is tied to it, and when; no note, no words said."""
    response = as_admin.post(PAGE, {"numero": "06 39 98 00 01"}, token_from=PAGE)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Lié au numéro 06 39 98 00 01" in html
    assert "<dt>Appels et contacts</dt><dd>2</dd>" in html
    assert "<dt>Premier</dt><dd>02/10/2026 10:00</dd>" in html
    assert "<dt>Dernier</dt><dd>20/11/2026 15:30</dd>" in html
    assert "<dt>Messages vocaux</dt><dd>2</dd>" in html
    assert "<dt>Notes écrites</dt><dd>4</dd>" in html
    assert "<dt>Paroles transcrites</dt><dd>2</dd>" in html
    assert "Dupont" not in html
    assert "ménage" not in html
    assert _audits(calls) == []


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        (
            "bonjour",
            "« bonjour » n'est pas un numéro de téléphone comme 02 61 91 00 01 ou +33261910001, "
            "ni une adresse de courriel.",
        ),
        ("camille@", "« camille@ » n'est pas une adresse de courriel comme prenom.nom@exemple.fr."),
        ("", "Indiquez le numéro de téléphone ou l'adresse de courriel de la personne."),
    ],
)
def test_a_bad_number_is_refused_in_french(
    as_admin: Browser, calls: sessionmaker[Session], typed: str, message: str
) -> None:
    """What is not a phone number gets 400 and says what to type; nothing is looked up or erased."""
    response = as_admin.post(PAGE, {"numero": typed}, token_from=PAGE)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True).replace("&#39;", "'")
    erase = as_admin.post(f"{PAGE}/effacer", {"numero": typed, "confirmation": typed}, token_from=PAGE)
    assert erase.status_code == 400
    assert _audits(calls) == []


@pytest.mark.parametrize(("form", "start"), [("texte", "1001 services : données liées"), ("json", "{")])
def test_export_is_the_cli_file_and_is_audited(
    as_admin: Browser, calls: sessionmaker[Session], form: str, start: str
) -> None:
    """The download is call_log.rights' export, as `privacy find` writes it; audited with ada's name."""
    response = as_admin.post(f"{PAGE}/export", {"numero": NUMBER, "format": form}, token_from=PAGE)
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith('attachment; filename="donnees-personnelles.')
    text = response.get_data(as_text=True)
    assert text.startswith(start)
    assert text.count("Mme Dupont, rappeler le soir") == 2
    assert "CA" + "3" * 32 not in text  # the other person's call
    assert _audits(calls) == [("find", "ada", {"calls": 2})]
    with calls() as session:
        reads = session.execute(select(RecordRead.by, RecordRead.via)).all()
    assert reads == [("ada", "rights_export"), ("ada", "rights_export")]


def test_erase_needs_the_number_typed_again(as_admin: Browser, calls: sessionmaker[Session]) -> None:
    """A confirmation that is not the same number erases nothing and says so."""
    response = as_admin.post(
        f"{PAGE}/effacer", {"numero": NUMBER, "confirmation": "06 39 98 00 02"}, token_from=PAGE
    )
    assert response.status_code == 400
    assert (
        "Retapez le numéro 06 39 98 00 01 pour confirmer l'effacement ; rien n'a été effacé."
        in response.get_data(as_text=True).replace("&#39;", "'")
    )
    with calls() as session:
        assert session.scalar(select(Call.notes).where(Call.call_sid == "CA" + "1" * 32)) != ""
    assert _audits(calls) == []


def test_erase_clears_the_person_and_says_what(
    app: Flask, as_admin: Browser, calls: sessionmaker[Session]
) -> None:
    """Confirmed, the erasure clears the two calls (the other person's stays), deletes the voicemails at
    Twilio, shows the counts and is audited with ada's name; the number then finds nothing."""
    store = DeletedRecordings()
    app.extensions[RECORDINGS_EXTENSION] = store
    response = as_admin.post(
        f"{PAGE}/effacer", {"numero": NUMBER, "confirmation": "06 39 98 00 01"}, token_from=PAGE
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "2 appel(s) lié(s) à ce numéro. Effacé :" in html
    for line in [
        "numéros de rappel : 2",
        "messages vocaux : 2",
        "notes écrites : 4",
        "paroles transcrites : 2",
    ]:
        assert f"<li>{line}</li>" in html.replace("&#39;", "'")
    assert store.deleted == [RECORDING, RECORDING]
    with calls() as session:
        rows = {call.call_sid: call for call in session.scalars(select(Call))}
        assert [rows["CA" + n * 32].notes for n in "123"] == ["", "", "Mme Dupont, rappeler le soir"]
        assert rows["CA" + "1" * 32].category_code == "MAISON"
    ((action, by, counts),) = _audits(calls)
    assert (action, by, counts["calls"], counts["recordings"]) == ("erase", "ada", 2, 2)
    again = as_admin.post(PAGE, {"numero": NUMBER}, token_from=PAGE)
    assert "Aucune donnée n'est liée à ce numéro." in again.get_data(as_text=True).replace("&#39;", "'")


def test_administrators_find_a_web_request_by_its_address(
    browser: Browser, sessions: sessionmaker[Session]
) -> None:
    """What is tied to the address a web request gave, then its erasure after typing it again."""
    assert send(browser.client, EMAIL_ONLY).status_code == 302
    assert browser.login("ada").status_code == 302
    page = "/admin/confidentialite"
    found = browser.post(page, {"numero": "camille.martin@example.org"}, token_from=page)
    html = found.get_data(as_text=True).replace("&#39;", "'")
    assert found.status_code == 200
    assert "Lié à l'adresse camille.martin@example.org" in html
    assert '<input type="hidden" name="numero" value="camille.martin@example.org">' in html
    erased = browser.post(
        f"{page}/effacer",
        {"numero": "camille.martin@example.org", "confirmation": "CAMILLE.MARTIN@example.org"},
        token_from=page,
    )
    html = erased.get_data(as_text=True).replace("&#39;", "'")
    assert "<h1>Effacement pour l'adresse camille.martin@example.org</h1>" in html
    assert "1 appel(s) lié(s) à cette adresse. Effacé :" in html
    [call] = web_calls(sessions)
    assert not call.notes
