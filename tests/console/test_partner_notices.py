"""Associations hear of each referral by text (Twilio REST API) and e-mail, reminded once; staff see it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from flask import Flask
from markupsafe import escape
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from call_log.models import Call, Referral, ReferralNotice
from call_log.partner_notices import INTERRUPTED, UNEXPLAINED, PartnerNoticeJob, claim
from call_log.record import open_manual_contact
from directory.models import Association
from foundation.config import Config
from foundation.db import transaction
from foundation.settings import Settings
from helpline.app import create_app
from helpline.partners import partner_notice_job
from ivr.simulator.call import CallSimulator
from ivr.simulator.callers import DialOutcome, Keys, ScriptedCaller, Speech
from ivr.simulator.transports import FlaskClientTransport
from ivr.sms import TWILIO_REASONS, TwilioSms
from tests.conftest import PUBLIC_URL, FakeClock
from tests.console.conftest import HELPLINE_NUMBER, Browser
from tests.report_mail import Mailbox, mailing_config
from tests.test_directory_cli import run
from tests.twilio_stub import ACCOUNT_SID, AUTH_TOKEN, TwilioStub

ASSOCIATION = "Brenne Aide à Domicile"
ITS_MOBILE = "+33639980021"
ITS_ADDRESS = "accueil@brenne-aide.example.org"
SERVICE = "Ménage, linge et entretien de la maison"
LINK = re.compile(re.escape(PUBLIC_URL) + r"/suivi/[\w.-]+")


@pytest.fixture
def app(
    engine: Engine,
    settings: Settings,
    example_config: Config,
    clock: FakeClock,
    mailbox: Mailbox,
    tmp_path: Path,
) -> Iterator[Flask]:
    """The app with Twilio credentials (the stub's account) and a mail server, so both channels are on."""
    config = mailing_config(example_config, port=mailbox.port, output_dir=tmp_path / "reports")
    stubbed = replace(settings, twilio_account_sid=ACCOUNT_SID, twilio_auth_token=AUTH_TOKEN)
    app = create_app(stubbed, config=config, clock=clock)
    app.config["TESTING"] = True
    yield app
    app.extensions["helpline"].engine.dispose()


@pytest.fixture
def twilio() -> TwilioStub:
    """Twilio's REST API, in the process."""
    return TwilioStub()


@pytest.fixture
def job(app: Flask, twilio: TwilioStub) -> PartnerNoticeJob:
    """The partners' notice job as the server wires it, its texts going to the stub."""
    return partner_notice_job(app.extensions["helpline"], str(app.secret_key), http_client=twilio)


@pytest.fixture
def notified(sessions: sessionmaker[Session]) -> int:
    """The association the voice menu rings first, told by text and by e-mail; its id."""
    return _notified(sessions)


def _notified(sessions: sessionmaker[Session]) -> int:
    with transaction(sessions) as session:
        association = session.scalars(select(Association).where(Association.name == ASSOCIATION)).one()
        association.notify_sms, association.notify_email = ITS_MOBILE, ITS_ADDRESS
        return association.id


def _voice_referral(app: Flask, *then: Keys) -> str:
    """A caller asks for housework in Ciron for a relative (then answers `then`), and the association
    takes the call."""
    simulator = CallSimulator(
        FlaskClientTransport(app.test_client()),
        base_url=PUBLIC_URL,
        auth_token=AUTH_TOKEN,
        to=HELPLINE_NUMBER,
    )
    call = simulator.place_call(
        ScriptedCaller(
            [Keys("1"), Keys("36300"), Speech("Ciron"), Keys("2"), *then],
            dials=[DialOutcome("completed", 60)],
        )
    )
    return call.call_sid


def _notices(sessions: sessionmaker[Session]) -> list[tuple[str, str, str, str]]:
    with sessions() as session:
        rows = session.scalars(select(ReferralNotice).order_by(ReferralNotice.id))
        return [(n.purpose, n.channel, n.to, n.result) for n in rows]


def test_a_voice_referral_texts_and_emails_the_association_once(
    app: Flask,
    job: PartnerNoticeJob,
    twilio: TwilioStub,
    mailbox: Mailbox,
    notified: int,
    sessions: sessionmaker[Session],
) -> None:
    """After the voice menu's referral, one text and one e-mail say the request and the link, no number."""
    _voice_referral(app)
    assert twilio.messages == []  # nothing leaves from the call's own requests

    assert job.run() == 2
    [(to, body)] = twilio.messages
    [link] = LINK.findall(body)
    assert to == ITS_MOBILE
    assert body == (
        f"1001 services vous oriente une personne : {SERVICE}, Ciron, pour un proche, "
        "le 24/11/2026 à 10:00.\n"
        "Numéro : non transmis (la personne n'a pas donné son accord).\n"
        f"Dites-nous la suite : {link}"
    )
    [mail] = mailbox.wait(1)
    assert mail.rcpt_tos == [ITS_ADDRESS]
    assert mail.message["Subject"] == f"1001 services : nouvelle orientation ({SERVICE}, Ciron)"
    text = mail.message.get_content()
    assert link in text
    assert "39 98 00 01" not in text  # the caller's number
    assert "39 98 00 01" not in body
    assert app.test_client().get(link.removeprefix(PUBLIC_URL)).status_code == 200

    assert job.run() == 0
    assert len(twilio.messages) == 1
    assert len(mailbox.messages) == 1
    assert _notices(sessions) == [
        ("notice", "sms", ITS_MOBILE, "sent"),
        ("notice", "email", ITS_ADDRESS, "sent"),
    ]


@pytest.mark.parametrize("key", ["1", "2"])
def test_the_caller_says_whether_the_association_gets_their_number(
    engine: Engine,
    settings: Settings,
    example_config: Config,
    clock: FakeClock,
    mailbox: Mailbox,
    tmp_path: Path,
    twilio: TwilioStub,
    sessions: sessionmaker[Session],
    key: str,
) -> None:
    """With the consent question on, 1 passes the caller's number to the association, 2 does not."""
    questions = example_config.questions.model_copy(update={"contact_consent": True})
    config = mailing_config(
        example_config.model_copy(update={"questions": questions}), port=mailbox.port, output_dir=tmp_path
    )
    stubbed = replace(settings, twilio_account_sid=ACCOUNT_SID, twilio_auth_token=AUTH_TOKEN)
    app = create_app(stubbed, config=config, clock=clock)
    app.config["TESTING"] = True
    _notified(sessions)
    job = partner_notice_job(app.extensions["helpline"], str(app.secret_key), http_client=twilio)
    call_sid = _voice_referral(app, Keys(key))
    assert job.run() == 2
    [(_, body)] = twilio.messages
    assert ("Numéro : 06 39 98 00 01 (la personne accepte que vous la rappeliez)." in body) is (key == "1")
    with sessions() as session:
        [referral] = session.scalars(select(Referral))
        assert referral.call.call_sid == call_sid
        assert referral.contact_number == ("+33639980001" if key == "1" else None)
        # The number came from Twilio's form: no URL the app wrote carries it, nor any event.
        assert "+33639980001" not in str([e.payload for e in referral.call.events])
    if key == "1":
        # The number passed is the person's data: found and erased with the rest.
        erased = run(settings.database_url, "privacy", "erase", "+33639980001", "--yes")
        assert erased.exit_code == 0, erased.output
        with sessions() as session:
            assert session.scalars(select(Referral.contact_number)).one() is None
    app.extensions["helpline"].engine.dispose()


def _manual_contact(sessions: sessionmaker[Session], clock: FakeClock) -> int:
    """A contact on the direct line, with the number to call the person back on."""
    with transaction(sessions) as session:
        call = open_manual_contact(
            session,
            channel="phone",
            started_at=clock(),
            caller="+336******05",
            callback_number="+33639980005",
            by="olivia",
            now=clock(),
        )
        call.category_code, call.commune_insee, call.beneficiary = "MAISON", "36053", "self"
        return call.id


@pytest.mark.parametrize("consent", [True, False])
def test_the_number_goes_only_with_consent(
    as_operator: Browser,
    job: PartnerNoticeJob,
    twilio: TwilioStub,
    mailbox: Mailbox,
    notified: int,
    sessions: sessionmaker[Session],
    clock: FakeClock,
    consent: bool,
) -> None:
    """The operator ticks the person's consent: the notice carries their number; unticked, it does not."""
    call_id = _manual_contact(sessions, clock)
    form = {"association_id": str(notified)} | ({"contact_consent": "y"} if consent else {})
    assert as_operator.post(f"/calls/{call_id}/referrals", form).status_code == 302

    assert job.run() == 2
    [(_, body)] = twilio.messages
    mail = mailbox.wait(1)[0].message.get_content()
    for text in (body, mail):
        assert ("06 39 98 00 05" in text) is consent
        assert "+33639980005" not in text
        assert ("non transmis" in text) is not consent
    with sessions() as session:
        [referral] = session.scalars(select(Referral).where(Referral.call_id == call_id))
        assert (referral.contact_consent, referral.contact_number) == (
            (True, "+33639980005") if consent else (False, None)
        )


def test_one_reminder_after_24_working_hours(
    app: Flask,
    as_staff: Browser,
    job: PartnerNoticeJob,
    twilio: TwilioStub,
    mailbox: Mailbox,
    notified: int,
    sessions: sessionmaker[Session],
    clock: FakeClock,
) -> None:
    """Still pending 24 working hours later: one reminder by each channel, however often the job runs."""
    _voice_referral(app)
    assert job.run() == 2
    clock.advance(23 * 3600)  # Wednesday 10:00 less an hour: not yet due
    assert job.run() == 0
    clock.advance(2 * 3600)
    assert job.run() == 2
    assert job.run() == 0
    assert [to for to, _ in twilio.messages] == [ITS_MOBILE, ITS_MOBILE]
    reminder = twilio.messages[1][1]
    assert reminder.startswith(
        f"1001 services : l'orientation du 24/11/2026 à 10:00 ({SERVICE}, Ciron, pour un proche) "
        "est encore sans contact.\nOù en est-elle ? https://helpline.example.org/suivi/"
    )
    # (Unfolded: a long encoded subject comes back with a doubled space where it was folded.)
    assert [" ".join(str(m.message["Subject"]).split()) for m in mailbox.wait(2)] == [
        f"1001 services : nouvelle orientation ({SERVICE}, Ciron)",
        "1001 services : relance pour l'orientation du 24/11/2026 à 10:00",
    ]
    assert [(purpose, channel) for purpose, channel, _, _ in _notices(sessions)] == [
        ("notice", "sms"),
        ("notice", "email"),
        ("reminder", "sms"),
        ("reminder", "email"),
    ]
    page = as_staff.text("/referrals")
    assert "Relance (pas de contact après 24 h ouvrées) · Texto : Envoyé le 25/11 11:00" in page
    assert "Nouvelle orientation · Courriel : Envoyé le 24/11 10:00" in page
    assert "Réponses par le lien : 0 orientation suivie par" in page
    [link] = [found.removeprefix(PUBLIC_URL) for found in LINK.findall(reminder)]
    association = app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', association.get(link).get_data(as_text=True))
    assert token is not None
    answered = association.post(link, data={"state": "contacted", "csrf_token": token.group(1)})
    assert answered.status_code == 302
    page = as_staff.text("/referrals")
    assert "Réponses par le lien : 1 orientation suivie par" in page
    assert "Réponse par le lien le 25/11 11:00" in page
    with sessions() as session:
        call_id = session.scalars(select(Referral.call_id)).one()
    record = as_staff.text(f"/calls/{call_id}")
    assert f"{ASSOCIATION} (lien de suivi) a ouvert le lien de suivi de l&#39;orientation" in record
    assert f"{ASSOCIATION} (lien de suivi) a mis à jour le suivi de l&#39;orientation" in record


def test_a_failed_text_is_kept_for_staff_and_not_retried(
    app: Flask,
    as_staff: Browser,
    job: PartnerNoticeJob,
    twilio: TwilioStub,
    notified: int,
    sessions: sessionmaker[Session],
    mailbox: Mailbox,
) -> None:
    """Twilio refusing the credentials costs the text only: the e-mail goes, staff see the failure."""
    refused = TwilioSms(
        account_sid=ACCOUNT_SID, auth_token="wrong", from_=HELPLINE_NUMBER, http_client=twilio
    )
    broken = replace(job, texts=refused)
    _voice_referral(app)
    assert broken.run() == 1
    assert broken.run() == 0
    assert twilio.messages == []
    assert len(mailbox.wait(1)) == 1
    with sessions() as session:
        failed = session.scalars(select(ReferralNotice).where(ReferralNotice.channel == "sms")).one()
        assert (failed.result, failed.sent_at is not None) == ("failed", True)
        assert failed.error == TWILIO_REASONS[20003]
        assert session.scalars(select(Call.outcome)).one() == "connected_association"
    shown = f"Nouvelle orientation · Texto : Échec le 24/11 10:00 ({TWILIO_REASONS[20003]})"
    assert str(escape(shown)) in as_staff.text("/referrals")


class _BrokenTexts:
    def send(self, *, to: str, body: str) -> str:
        raise RuntimeError(f"socket closed while sending to {to}")


def test_an_unexpected_failure_is_said_in_french(
    app: Flask, job: PartnerNoticeJob, notified: int, sessions: sessionmaker[Session], mailbox: Mailbox
) -> None:
    """A failure nobody explained: staff read a French line, the English (and the number) stay in the log."""
    _voice_referral(app)
    assert replace(job, texts=_BrokenTexts()).run() == 1
    assert len(mailbox.wait(1)) == 1
    with sessions() as session:
        failed = session.scalars(select(ReferralNotice).where(ReferralNotice.channel == "sms")).one()
        assert (failed.result, failed.error) == ("failed", UNEXPLAINED)


def test_staff_say_in_the_directory_where_an_association_hears_of_referrals(
    as_staff: Browser, sessions: sessionmaker[Session], database_url: str, tmp_path: Path
) -> None:
    """The association page sets its mobile and address (a bad one refused in French); a CSV import keeps
    them, a YAML file sets them."""
    association_id = _notified(sessions)
    page = f"/directory/{association_id}"
    general = {"section": "general", "name": ASSOCIATION, "priority": "10", "active": "1"}
    refused = as_staff.post(
        page, general | {"notify_sms": "12", "notify_email": ITS_ADDRESS}, token_from=page
    )
    assert refused.status_code == 400
    assert "Numéro invalide : un mobile, comme 06 39 98 00 21." in refused.get_data(as_text=True)
    saved = as_staff.post(
        page, general | {"notify_sms": "06 39 98 00 22", "notify_email": ITS_ADDRESS}, token_from=page
    )
    assert saved.status_code == 302
    assert 'value="+33639980022"' in as_staff.text(page)

    def stored() -> tuple[str, str]:
        with sessions() as session:
            association = session.get_one(Association, association_id)
            return association.notify_sms, association.notify_email

    assert stored() == ("+33639980022", ITS_ADDRESS)
    csv_file = tmp_path / "annuaire.csv"
    assert (
        run(database_url, "directory", "export", "--format", "csv", "--output", str(csv_file)).exit_code == 0
    )
    csv_file.write_text(csv_file.read_text(encoding="utf-8-sig").replace(";10;", ";20;"), encoding="utf-8")
    imported = run(database_url, "directory", "import", str(csv_file))
    assert imported.exit_code == 0, imported.output
    assert "2 modifiée(s)" in imported.output  # priorities changed, not where it hears of referrals
    assert stored() == ("+33639980022", ITS_ADDRESS)
    yaml_file = tmp_path / "annuaire.yaml"
    assert (
        run(database_url, "directory", "export", "--format", "yaml", "--output", str(yaml_file)).exit_code
        == 0
    )
    exported = yaml_file.read_text(encoding="utf-8")
    assert "notify:\n    sms: '+33639980022'\n    email: accueil@brenne-aide.example.org\n" in exported
    yaml_file.write_text(exported.replace("sms: '+33639980022'\n    ", ""), encoding="utf-8")
    assert run(database_url, "directory", "import", str(yaml_file)).exit_code == 0
    assert stored() == ("", ITS_ADDRESS)


def test_two_workers_never_send_the_same_message(
    app: Flask, notified: int, sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    """The notice's row is the claim: a second process claiming the same message gets nothing."""
    _voice_referral(app)
    with sessions() as first, sessions() as second:
        referral = first.scalars(select(Referral)).one()
        mine = claim(first, referral, purpose="notice", channel="sms", to=ITS_MOBILE, now=clock())
        first.commit()
        theirs = claim(
            second,
            second.get_one(Referral, referral.id),
            purpose="notice",
            channel="sms",
            to=ITS_MOBILE,
            now=clock(),
        )
        second.commit()
    assert mine is not None
    assert theirs is None
    assert _notices(sessions) == [("notice", "sms", ITS_MOBILE, "sending")]


def test_a_message_whose_sender_stopped_is_shown_failed_and_not_sent_again(
    app: Flask, job: PartnerNoticeJob, twilio: TwilioStub, notified: int, clock: FakeClock, mailbox: Mailbox
) -> None:
    """A claim never settled (the process stopped mid-send): after 15 minutes the job says it failed, so
    staff call the association; it is not sent again (it may have arrived)."""
    _voice_referral(app)
    with transaction(job.sessions) as session:
        referral = session.scalars(select(Referral)).one()
        for channel, to in (("sms", ITS_MOBILE), ("email", ITS_ADDRESS)):
            claim(session, referral, purpose="notice", channel=channel, to=to, now=clock())
    clock.advance(14 * 60)
    assert job.run() == 0
    assert [result for *_, result in _notices(job.sessions)] == ["sending", "sending"]
    clock.advance(2 * 60)
    assert job.run() == 0
    assert (twilio.messages, mailbox.messages) == ([], [])
    with job.sessions() as session:
        rows = session.scalars(select(ReferralNotice).order_by(ReferralNotice.id))
        assert [(row.result, row.error) for row in rows] == [("failed", INTERRUPTED)] * 2
