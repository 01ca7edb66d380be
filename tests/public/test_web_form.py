"""The public request form /demande: a routed contact of channel web, referred or queued; robots, floods and
oversized requests refused; errors shown with what was typed kept."""

from __future__ import annotations

import html as markup
import logging
import re
import socket
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.test import TestResponse

from call_log.codes import CallbackState, Channel, EventKind, FollowUpState, Outcome, ReferralSource
from call_log.models import Call, CallbackRequest, Referral, WebSubmission
from call_log.web_requests import WEB_FORM
from console.accounts import create_user
from foundation.config import Smtp
from tests.conftest import FakeClock
from tests.directory_support import replace_directory
from tests.public.conftest import MakeClient
from tests.report_mail import Mailbox

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
SENDER = "1001 services <contact@example.org>"
# A request for home help for a relative in Ciron, where two associations of the example directory work.
REQUEST = {
    "category_code": "MAISON",
    "commune": "Ciron (36300)",
    "departement": "",
    "beneficiary": "relative",
    "phone": "06 39 98 00 01",
    "email": "camille.martin@example.org",
    "reach_times": ["morning", "evening"],
    "heard_from": "internet",
    "message": "Ménage chaque semaine pour ma mère, 84 ans, à partir de janvier.",
    "consent": "y",
    "website": "",
}


def send(client: FlaskClient, fields: dict[str, Any], *, address: str = "192.0.2.10") -> TestResponse:
    """Open the form, then post it with its CSRF token, from `address`."""
    page = client.get("/demande", environ_base={"REMOTE_ADDR": address}).get_data(as_text=True)
    token = _CSRF.search(page)
    assert token is not None
    return client.post(
        "/demande", data={**fields, "csrf_token": token.group(1)}, environ_base={"REMOTE_ADDR": address}
    )


def web_calls(sessions: sessionmaker[Session]) -> list[Call]:
    """The contacts of channel web, oldest first (referrals, callbacks and events loaded)."""
    with sessions() as session:
        calls = list(session.scalars(select(Call).where(Call.channel == Channel.WEB).order_by(Call.id)))
        for call in calls:
            _ = call.referrals, call.callbacks, call.events
            for referral in call.referrals:
                _ = referral.association
        return calls


def count(sessions: sessionmaker[Session], model: Any) -> int:
    """How many rows the table of `model` holds."""
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_a_request_becomes_a_web_contact_with_the_observatory_fields(
    make_client: MakeClient, sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    """Queue mode: the contact is recorded (channel web, place, for whom, heard from, how to reach) and waits
    in the operators' callback queue; the person lands on the thank-you page."""
    response = send(make_client(mode="queue"), REQUEST)
    assert response.status_code == 302
    assert response.headers["Location"] == "/demande/merci"
    [call] = web_calls(sessions)
    assert (call.category_code, call.commune_insee, call.postal_code) == ("MAISON", "36053", "36300")
    assert (call.in_territory, call.departement, call.beneficiary, call.heard_from) == (
        True,
        "36",
        "relative",
        "internet",
    )
    assert call.started_at == clock.now
    assert call.callback_number == "+33639980001"
    assert call.caller == "+336******01"  # the example config's privacy setting: masked
    assert call.caller_key is not None
    assert call.outcome is None
    assert call.notes == (
        "Demande reçue par le formulaire en ligne.\n"
        "Courriel : camille.martin@example.org\n"
        "Joignable : Le matin, En fin de journée (après 17 h)\n"
        "Message : Ménage chaque semaine pour ma mère, 84 ans, à partir de janvier."
    )
    assert [(e.kind, e.payload.get("by")) for e in call.events] == [
        (EventKind.MANUAL_ENTRY, WEB_FORM),
        (EventKind.RECORD_UPDATED, WEB_FORM),
    ]
    assert call.referrals == []
    [callback] = call.callbacks
    assert (callback.state, callback.callback_number) == (CallbackState.OPEN, "+33639980001")
    assert count(sessions, WebSubmission) == 1


def test_refer_mode_refers_to_the_association_routing_names(
    make_client: MakeClient, sessions: sessionmaker[Session]
) -> None:
    """Refer mode: the operators' referral (pending follow-up, its history entry) to the first association
    routing offers for home help in Ciron; nothing queued."""
    assert send(make_client(mode="refer"), REQUEST).status_code == 302
    [call] = web_calls(sessions)
    [referral] = call.referrals
    assert referral.association is not None
    assert referral.association.name == "Brenne Aide à Domicile"
    assert (referral.source, referral.created_by, referral.follow_up) == (
        ReferralSource.WEB,
        WEB_FORM,
        FollowUpState.PENDING,
    )
    assert referral.category_code == "MAISON"
    added = [e.payload for e in call.events if e.kind == EventKind.REFERRAL_ADDED]
    assert added == [
        {
            "by": WEB_FORM,
            "referral_id": referral.id,
            "association_id": referral.association_id,
            "association": "Brenne Aide à Domicile",
            "contact_consent": True,
        }
    ]
    assert call.callbacks == []


EQUALS = """
associations:
  - name: Ménage Brenne Nord
    priority: 10
    phones: [{number: "+33261912101", ivr: true}]
    services: [{name: Ménage, category: MAISON, communes: all}]
  - name: Ménage Brenne Sud
    priority: 10
    phones: [{number: "+33261912102", ivr: true}]
    services: [{name: Ménage, category: MAISON, communes: all}]
"""


def test_equals_take_turns_in_refer_mode(make_client: MakeClient, sessions: sessionmaker[Session]) -> None:
    """Two associations of the same priority: three requests go to one, the other, then the first again."""
    with sessions() as session, session.begin():
        replace_directory(session, EQUALS)
    client = make_client(mode="refer")
    for address in ("192.0.2.1", "192.0.2.2", "192.0.2.3"):
        assert send(client, REQUEST, address=address).status_code == 302
    names = [
        referral.association.name
        for call in web_calls(sessions)
        for referral in call.referrals
        if referral.association
    ]
    assert names == ["Ménage Brenne Nord", "Ménage Brenne Sud", "Ménage Brenne Nord"]


def test_a_request_no_association_takes_is_queued_even_in_refer_mode(
    make_client: MakeClient, sessions: sessionmaker[Session]
) -> None:
    """Gardening in Azay-le-Ferron: no association of the directory works there, so a person answers it."""
    fields = {**REQUEST, "category_code": "EXTERIEUR", "commune": "Azay-le-Ferron"}
    assert send(make_client(mode="refer"), fields).status_code == 302
    [call] = web_calls(sessions)
    assert call.referrals == []
    assert [callback.state for callback in call.callbacks] == [CallbackState.OPEN]
    assert call.outcome == Outcome.UNMET
    assert call.commune_insee == "36010"


def test_a_person_outside_the_territory_is_queued(
    make_client: MakeClient, sessions: sessionmaker[Session]
) -> None:
    """« Hors territoire » with a département: recorded as outside (the observatory's second geography)."""
    fields = {**REQUEST, "commune": "hors territoire", "departement": "37", "phone": "", "reach_times": []}
    assert send(make_client(mode="refer"), fields).status_code == 302
    [call] = web_calls(sessions)
    assert (call.commune_insee, call.in_territory, call.departement) == (None, False, "37")
    assert (call.callback_number, call.caller, call.caller_key) == (None, "", None)
    assert call.referrals == []
    [callback] = call.callbacks
    assert callback.callback_number == ""
    assert call.outcome is None


def test_the_queued_request_is_where_operators_look(
    make_client: MakeClient, sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    """The callback queue lists the request, with a link to its record (which shows the e-mail)."""
    client = make_client(mode="queue")
    assert send(client, {**REQUEST, "phone": ""}).status_code == 302
    [call] = web_calls(sessions)
    with sessions() as session, session.begin():
        create_user(
            session, username="olivia", password="correct horse battery", role="operator", now=clock()
        )
    login = client.get("/login").get_data(as_text=True)
    token = _CSRF.search(login)
    assert token is not None
    signed_in = client.post(
        "/login",
        data={"username": "olivia", "password": "correct horse battery", "csrf_token": token.group(1)},
    )
    assert signed_in.status_code == 302
    queue = client.get("/callbacks").get_data(as_text=True)
    assert f'href="/calls/{call.id}">voir la fiche</a>' in queue
    assert "par courriel (voir la fiche)" in queue
    record = client.get(f"/calls/{call.id}")
    assert record.status_code == 200
    assert "Courriel : camille.martin@example.org" in record.get_data(as_text=True)
    assert "Demande reçue par le formulaire en ligne du site" in record.get_data(as_text=True)


def test_the_person_gets_an_acknowledgement_by_email(
    make_client: MakeClient, sessions: sessionmaker[Session], mailbox: Mailbox
) -> None:
    """An e-mail to the address typed: the service, the commune and who will call back; never the message."""
    smtp = Smtp(host="127.0.0.1", port=mailbox.port, sender=SENDER)
    assert send(make_client(mode="refer", smtp=smtp), REQUEST).status_code == 302
    [received] = mailbox.wait(1)
    assert received.rcpt_tos == ["camille.martin@example.org"]
    message = received.message
    assert message["Subject"] == "1001 services : nous avons bien reçu votre demande"
    body = message.get_content()
    assert (
        "Nous avons bien reçu votre demande : Ménage, linge et entretien de la maison, pour Ciron (36300)."
        in body
    )
    assert "Nous l'avons transmise à Brenne Aide à Domicile, qui vous recontactera." in body
    assert "au 02 61 91 20 01" in body
    assert "84 ans" not in body
    assert len(web_calls(sessions)) == 1


def test_no_acknowledgement_without_an_email(make_client: MakeClient, mailbox: Mailbox) -> None:
    """A request with a phone only sends no e-mail (and one with an address would: see above)."""
    smtp = Smtp(host="127.0.0.1", port=mailbox.port, sender=SENDER)
    client = make_client(smtp=smtp)
    assert send(client, {**REQUEST, "email": ""}).status_code == 302
    assert send(client, REQUEST, address="192.0.2.99").status_code == 302
    assert [m.rcpt_tos for m in mailbox.wait(1)] == [["camille.martin@example.org"]]


def test_a_mail_failure_loses_nothing(make_client: MakeClient, sessions: sessionmaker[Session]) -> None:
    """With the mail server down the request is still recorded and the person still thanked."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    smtp = Smtp(host="127.0.0.1", port=closed_port, sender=SENDER, timeout_s=2)
    response = send(make_client(smtp=smtp), REQUEST)
    assert response.status_code == 302
    assert len(web_calls(sessions)) == 1


def test_a_filled_hidden_field_is_thanked_and_stored_nowhere(
    make_client: MakeClient, sessions: sessionmaker[Session], caplog: pytest.LogCaptureFixture
) -> None:
    """A robot (the hidden field filled) sees the thank-you page; nothing is recorded, the log says why."""
    with caplog.at_level(logging.INFO, logger="console.public.request_page"):
        response = send(make_client(mode="refer"), {**REQUEST, "website": "http://spam.example"})
    assert (response.status_code, response.headers["Location"]) == (302, "/demande/merci")
    assert web_calls(sessions) == []
    assert (
        count(sessions, WebSubmission) == count(sessions, Referral) == count(sessions, CallbackRequest) == 0
    )
    assert "hidden field was filled" in caplog.text


def test_the_sixth_request_within_the_hour_is_refused(
    make_client: MakeClient, sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    """Five requests an hour per address, counted in the database (two app processes share the count): the
    sixth gets a French 429 page with what was typed kept; another address, or an hour later, goes through."""
    first, second = make_client(), make_client()
    for number in range(5):
        assert send(first if number % 2 else second, REQUEST).status_code == 302
    refused = send(first, {**REQUEST, "message": "Une sixième demande"})
    assert refused.status_code == 429
    html = refused.get_data(as_text=True)
    assert "Trop de demandes en peu de temps" in html
    assert "Une sixième demande</textarea>" in html
    assert len(web_calls(sessions)) == 5
    assert send(second, REQUEST, address="192.0.2.77").status_code == 302
    clock.advance(3601)
    assert send(first, REQUEST).status_code == 302
    assert len(web_calls(sessions)) == 7


def test_a_request_too_large_is_refused(make_client: MakeClient, sessions: sessionmaker[Session]) -> None:
    """A body over web_form.max_request_kb: a French 413 page, nothing stored."""
    response = send(make_client(max_request_kb=16), {**REQUEST, "message": "x" * 20_000})
    assert response.status_code == 413
    html = response.get_data(as_text=True)
    assert '<html lang="fr">' in html
    assert "Votre demande est trop longue" in html
    assert web_calls(sessions) == []


def test_errors_are_shown_with_what_was_typed(
    make_client: MakeClient, sessions: sessionmaker[Session]
) -> None:
    """A commune outside the list, no way to reach the person, no consent: 400, a summary linking each field,
    each message tied to its field, everything typed still there; nothing stored."""
    fields = {key: value for key, value in REQUEST.items() if key != "consent"}
    fields.update(commune="Châteauroux", phone="", email="")
    response = send(make_client(), fields)
    assert response.status_code == 400
    html = markup.unescape(response.get_data(as_text=True))
    assert 'class="error-summary" role="alert" tabindex="-1" autofocus' in html
    assert (
        '<a href="#commune">« Châteauroux » n\'est pas une commune du territoire : choisissez-la dans la '
        "liste, ou « Hors territoire ».</a>"
    ) in html
    assert '<a href="#phone">Indiquez un téléphone ou une adresse de courriel' in html
    assert '<a href="#consent">Cochez cette case' in html
    assert 'aria-describedby="commune-hint commune-error"' in html
    assert 'aria-describedby="consent-error" aria-invalid="true"' in html
    assert 'value="Châteauroux"' in html
    assert "à partir de janvier.</textarea>" in html
    assert (
        '<input checked id="beneficiary-1" name="beneficiary" required type="radio" value="relative">' in html
    )
    assert '<input checked id="reach_times-2" name="reach_times" type="checkbox" value="evening">' in html
    assert '<option selected value="MAISON">' in html
    assert web_calls(sessions) == []
    assert count(sessions, WebSubmission) == 0
    # A question with no answer: each of its radio buttons says so to a screen reader.
    missing = send(make_client(), {key: value for key, value in REQUEST.items() if key != "beneficiary"})
    html = missing.get_data(as_text=True)
    assert '<input aria-invalid="true" id="beneficiary-0" name="beneficiary" required type="radio"' in html


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"phone": "12"}, "phone", "Ce numéro n'est pas valide"),
        ({"email": "camille@"}, "email", "Cette adresse de courriel n'est pas valide"),
        ({"category_code": "NOPE"}, "category_code", ""),
        (
            {"commune": "Hors territoire", "departement": "99"},
            "departement",
            "Ce n'est pas un numéro de département",
        ),
        ({"message": "x" * 2001}, "message", "Votre message dépasse 2000 caractères"),
        ({"beneficiary": ""}, "beneficiary", "Dites pour qui est cette demande."),
        ({"commune": ""}, "commune", "Indiquez la commune de la personne"),
    ],
)
def test_each_field_is_checked(
    make_client: MakeClient,
    sessions: sessionmaker[Session],
    changes: dict[str, str],
    field: str,
    message: str,
) -> None:
    """Each wrong answer is a 400 whose summary links to the field, with a French message; nothing stored."""
    response = send(make_client(), {**REQUEST, **changes})
    assert response.status_code == 400
    html = markup.unescape(response.get_data(as_text=True))
    assert f'<li><a href="#{field}">{message}' in html
    assert web_calls(sessions) == []


def test_a_form_without_its_token_is_shown_again(
    make_client: MakeClient, sessions: sessionmaker[Session]
) -> None:
    """Posted without a CSRF token (a page left open too long): the form again, as typed, nothing stored."""
    response = make_client().post("/demande", data=REQUEST)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "La page était ouverte depuis trop longtemps" in html
    assert "à partir de janvier.</textarea>" in html
    assert web_calls(sessions) == []


def test_nothing_sent_can_be_read_back(make_client: MakeClient) -> None:
    """The thank-you page is the same for everyone: nothing of the request is on it."""
    client = make_client()
    response = send(client, REQUEST)
    thanks = client.get(response.headers["Location"]).get_data(as_text=True)
    for typed in ("camille.martin", "06 39 98", "Ciron", "84 ans", "Ménage"):
        assert typed not in thanks
    assert thanks == make_client().get("/demande/merci").get_data(as_text=True)
