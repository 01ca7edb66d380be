"""A console operators can trust, in a real browser: typed work kept, records that say what happened,
filters that filter, referrals paged, and manual entries that can be called back."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from playwright.sync_api import Dialog, Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from call_log.models import Call, Referral
from call_log.privacy import mask
from call_log.record import Place, add_referral, open_manual_contact, update_record
from directory.models import Association, Commune
from ivr.line import pseudonymise
from ivr.simulator.call import CallSimulator
from ivr.simulator.callers import DialOutcome, DialRequest, HangUp, Keys, ScriptedCaller, Speech
from tests.conftest import FakeClock
from tests.console.browser import sign_in

OPERATORS = ("+33261911001", "+33261911002")
# A fictional number (ARCEP's block for fiction), as typed and as stored.
TYPED, E164, MASKED = "02 61 91 12 34", "+33261911234", "+332******34"
# The masked number as the console shows it: grouped as French people write numbers.
SHOWN = "02 ** ** ** 34"


def manual_contact(
    sessions: sessionmaker[Session], clock: FakeClock, *, number: str = "", commune: str | None = None
) -> int:
    """A phone contact entered by hand (from `number`, in `commune`), as the manual entry page stores it."""
    with sessions() as session, session.begin():
        call = open_manual_contact(
            session,
            channel="phone",
            started_at=clock(),
            caller=mask(number) if number else "",
            by="olivia",
            now=clock(),
            callback_number=number or None,
        )
        if number:
            pseudonymise(call, number, secret="test-caller-hash-secret")
        if commune:
            place = Place.of_commune(session.get_one(Commune, commune))
            update_record(session, call, place.fields(), by="olivia", now=clock())
        return call.id


def test_orienter_saves_what_was_typed_in_the_record(
    page: Page,
    live_server: str,
    sessions: sessionmaker[Session],
    clock: FakeClock,
    shot: Callable[[Page, str], None],
) -> None:
    """Orienter before Enregistrer saves the record's service, commune and notes with the referral."""
    call_id = manual_contact(sessions, clock)
    sign_in(page, live_server, "olivia")
    page.goto(f"{live_server}/calls/{call_id}")
    page.get_by_label("Service demandé").select_option("EXTERIEUR")
    page.get_by_label("Commune (nom ou code postal)").fill("Paris")
    page.get_by_label("Notes").fill("Haie à tailler chez sa mère.")
    page.get_by_label("Orienter vers").select_option(label="Les Jardiniers de la Brenne")
    page.get_by_role("button", name="Orienter").click()
    # A commune to fix: nothing is saved, and nothing typed is lost.
    expect(page.locator("#commune-error")).to_contain_text("« Paris » n'est pas une commune du territoire")
    expect(page.get_by_label("Notes")).to_have_value("Haie à tailler chez sa mère.")
    expect(page.get_by_label("Service demandé")).to_have_value("EXTERIEUR")
    shot(page, "1-commune-to-fix")
    page.get_by_label("Commune (nom ou code postal)").fill("Rosnay (36300)")
    page.get_by_label("Orienter vers").select_option(label="Les Jardiniers de la Brenne")
    page.get_by_role("button", name="Orienter").click()
    expect(
        page.get_by_text("Fiche enregistrée. Orientation vers Les Jardiniers de la Brenne enregistrée.")
    ).to_be_visible()
    expect(page.get_by_label("Notes")).to_have_value("Haie à tailler chez sa mère.")
    expect(page.get_by_label("Commune (nom ou code postal)")).to_have_value("Rosnay (36300)")
    shot(page, "2-saved-with-referral")
    with sessions() as session:
        call = session.get_one(Call, call_id)
        assert (call.category_code, call.commune_insee, call.notes) == (
            "EXTERIEUR",
            "36173",
            "Haie à tailler chez sa mère.",
        )
        [referral] = session.scalars(select(Referral).where(Referral.call_id == call_id)).all()
        assert (referral.category_code, referral.created_by) == ("EXTERIEUR", "olivia")


def test_leaving_a_record_with_unsaved_changes_asks_first(
    page: Page, live_server: str, sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    """A link away from a record with typed, unsaved changes asks before leaving; staying keeps them."""
    call_id = manual_contact(sessions, clock)
    sign_in(page, live_server, "olivia")
    page.goto(f"{live_server}/calls/{call_id}")
    page.get_by_role("link", name="Tableau").click()
    expect(page).to_have_url(f"{live_server}/")  # nothing typed: no question
    page.goto(f"{live_server}/calls/{call_id}")
    page.get_by_label("Notes").fill("Rappeler demain matin.")
    asked: list[str] = []

    def stay(dialog: Dialog) -> None:
        asked.append(dialog.type)
        dialog.dismiss()

    page.on("dialog", stay)
    page.get_by_role("link", name="Tableau").click()
    expect(page.get_by_label("Notes")).to_have_value("Rappeler demain matin.")
    assert asked == ["beforeunload"]
    assert page.url == f"{live_server}/calls/{call_id}"
    page.get_by_role("button", name="Enregistrer la fiche").click()
    expect(page.get_by_text("Fiche enregistrée.")).to_be_visible()
    assert asked == ["beforeunload"]


class WorkWhileOperatorsRing(ScriptedCaller):
    """A caller whose associations ring out; while the operators' phones ring, `operator` works."""

    def __init__(self, operator: Callable[[], None]) -> None:
        """Ask for home help in Ciron; every association rings out, the operators answer."""
        super().__init__(
            [Keys("1"), Keys("36300"), Speech("Ciron"), Keys("1")],
            dials=[DialOutcome("no-answer")] * 5,
        )
        self.operator = operator

    def dial(self, dial: DialRequest) -> DialOutcome | HangUp:
        """Associations ring out; the operators' dial is answered after `operator` has worked."""
        if set(dial.numbers) & set(OPERATORS):
            self.operator()
            return DialOutcome("completed", 120)
        return super().dial(dial)


def test_a_live_record_says_who_was_rung_and_presets_no_outcome(
    page: Page,
    live_server: str,
    simulator: CallSimulator,
    sessions: sessionmaker[Session],
    shot: Callable[[Page, str], None],
) -> None:
    """An association that never answered is not "transferred to"; a live call's outcome is left open."""
    sign_in(page, live_server, "olivia")

    def operator() -> None:
        page.goto(f"{live_server}/")
        page.locator("tr.live").get_by_role("link", name="Fiche n°").click()
        transfers = page.locator("#transfers")
        expect(transfers).to_contain_text(
            "Association sonnée sans réponse : Brenne Aide à Domicile (pas de réponse)"
        )
        expect(transfers).to_contain_text("Sonne chez les opérateurs")
        expect(transfers).not_to_contain_text("Mis en relation")
        expect(page.get_by_label("Issue")).to_have_value("")
        expect(page.get_by_label("Issue")).to_have_accessible_description(
            "Appel en cours : laissez vide, l'issue sera connue à la fin de l'appel."
        )
        shot(page, "1-live-record")
        page.get_by_label("Notes").fill("Aide ménagère deux heures par semaine.")
        page.get_by_role("button", name="Enregistrer la fiche").click()
        expect(page.get_by_text("Fiche enregistrée.")).to_be_visible()
        expect(page.get_by_label("Issue")).to_have_value("")

    placed = simulator.place_call(WorkWhileOperatorsRing(operator))
    with sessions() as session:
        call = session.scalars(select(Call).where(Call.call_sid == placed.call_sid)).one()
        assert (call.outcome, call.notes) == ("connected_operator", "Aide ménagère deux heures par semaine.")
    page.reload()
    expect(page.locator("#transfers")).to_contain_text("Pris par un opérateur")
    expect(page.get_by_label("Issue")).to_have_value("connected_operator")
    shot(page, "2-after-the-call")


def test_manual_entry_keeps_a_callback_number_and_fits_outcomes_to_the_channel(
    page: Page, live_server: str, sessions: sessionmaker[Session], shot: Callable[[Page, str], None]
) -> None:
    """The number typed stays callable (masked in the log); a letter cannot end as a voicemail message."""
    sign_in(page, live_server, "olivia")
    page.get_by_role("link", name="Nouvelle saisie").click()
    outcomes = page.get_by_label("Issue").locator("option")
    expect(outcomes).to_have_text(
        [
            "—",
            "Mis en relation avec une association",
            "Pris par un opérateur",
            "Message laissé (opérateurs occupés)",
            "Aucune association pour ce service",
        ]
    )
    page.get_by_label("Issue").select_option("voicemail")
    page.get_by_label("Type de contact").select_option("letter")
    expect(page.get_by_label("Issue")).to_have_value("")  # a letter leaves no voicemail message
    expect(page.get_by_label("Issue").locator("option:not([disabled])")).to_have_text(
        ["—", "Pris par un opérateur", "Aucune association pour ce service"]
    )
    shot(page, "1-letter-outcomes")
    page.get_by_label("Reçu le").fill("2026-11-23T14:00")
    page.get_by_label("Numéro de la personne (facultatif)").fill(TYPED)
    page.get_by_label("Issue").select_option("connected_operator")
    page.get_by_role("button", name="Enregistrer le contact").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Contact n°")
    expect(page.locator("#callback-number")).to_have_text(TYPED)
    expect(page.get_by_label("Issue").locator("option")).to_have_text(
        ["—", "Pris par un opérateur", "Aucune association pour ce service"]
    )
    shot(page, "2-record")
    with sessions() as session:
        call = session.scalars(select(Call).where(Call.channel == "letter")).one()
        assert (call.caller, call.callback_number, call.outcome) == (MASKED, E164, "connected_operator")
        assert len(call.caller_key or "") == 32
    expect(page.locator(".facts")).to_contain_text(f"Appelant{SHOWN}")


def test_log_filters_by_place_and_number_or_says_why_not(
    page: Page,
    live_server: str,
    simulator: CallSimulator,
    sessions: sessionmaker[Session],
    clock: FakeClock,
    shot: Callable[[Page, str], None],
) -> None:
    """A commune with its postal code, a postal code, a number filter the log; a bad one shows nothing."""
    simulator.from_ = E164
    for _ in range(2):
        simulator.place_call(ScriptedCaller([Keys("0")], dials=[DialOutcome("completed", 60)]))
        clock.advance(3600)
    ciron = manual_contact(sessions, clock, number=E164, commune="36053")
    rosnay = manual_contact(sessions, clock, number="+33639980001", commune="36173")
    with sessions() as session:
        voice = session.scalars(select(Call.id).where(Call.channel == "ivr").order_by(Call.id)).all()
    sign_in(page, live_server, "sam")
    page.goto(f"{live_server}/log")
    rows = page.locator("table.log tbody tr")

    page.locator("#commune").fill("Ciron 36300")
    page.get_by_role("button", name="Filtrer").click()
    expect(page.locator("#count")).to_have_text("1 appel")
    expect(rows.first.get_by_role("link")).to_have_text(str(ciron))
    page.locator("#commune").fill("36300")
    page.get_by_role("button", name="Filtrer").click()
    expect(page.locator("#count")).to_have_text("2 appels")
    expect(rows.get_by_role("link")).to_have_text([str(rosnay), str(ciron)])

    page.locator("#commune").fill("")
    page.get_by_label("Téléphone de l'appelant").fill(TYPED)
    page.get_by_role("button", name="Filtrer").click()
    expect(page.locator("#count")).to_have_text("3 appels")
    expect(rows.get_by_role("link")).to_have_text([str(ciron), str(voice[1]), str(voice[0])])
    for n in range(3):
        expect(rows.nth(n)).to_contain_text(SHOWN)
    shot(page, "1-by-number")

    page.get_by_label("Téléphone de l'appelant").fill("")
    page.locator("#commune").fill("Paris")
    page.get_by_role("button", name="Filtrer").click()
    expect(page.locator("#unreadable")).to_contain_text("Aucun appel n'est affiché ni exporté")
    expect(page.locator("#commune-error")).to_have_text(
        "« Paris » : aucune commune du territoire ni aucun code postal ne correspond."
    )
    expect(page.locator("#count")).to_have_text("0 appels")
    expect(page.get_by_role("link", name="Exporter en CSV")).to_have_count(0)
    shot(page, "2-unreadable")
    export = page.request.get(f"{live_server}/log/export.csv?commune=Paris")
    assert (export.status, export.headers["content-type"]) == (400, "text/html; charset=utf-8")

    # The record of a returning caller links the earlier contacts from the same number.
    page.goto(f"{live_server}/calls/{ciron}")
    earlier = page.locator("#earlier")
    expect(earlier.get_by_role("link")).to_have_text([f"Appel n° {voice[1]}", f"Appel n° {voice[0]}"])
    earlier.get_by_role("link", name=f"Appel n° {voice[0]}").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Appel n° {voice[0]}")
    expect(page.locator("#earlier")).to_have_count(0)  # the first contact of the number


def test_referrals_are_paged_filtered_and_updating_one_comes_back_to_it(
    page: Page,
    live_server: str,
    sessions: sessionmaker[Session],
    clock: FakeClock,
    shot: Callable[[Page, str], None],
) -> None:
    """400 referrals: 50 a page, filtered by association; Mettre à jour returns to the same page and row."""
    with sessions() as session, session.begin():
        enfance, transport = (
            session.scalars(select(Association).where(Association.name == name)).one()
            for name in ("Brenne Enfance Services", "Mobilité Solidaire Brenne")
        )
        for n in range(400):
            moment = clock() - timedelta(minutes=400 - n)
            call = open_manual_contact(
                session, channel="visit", started_at=moment, caller="", by="olivia", now=moment
            )
            add_referral(session, call, enfance if n % 4 else transport, by="olivia", now=moment)
        enfance_id = enfance.id
    sign_in(page, live_server, "sam")
    page.goto(f"{live_server}/referrals")
    rows = page.locator("#referrals tbody tr")
    expect(rows).to_have_count(50)
    expect(page.locator("#count")).to_have_text("400 orientations · page 1 sur 8")

    page.locator("#state").select_option("dropped")
    page.get_by_role("button", name="Filtrer").click()
    expect(page.locator("#count")).to_have_text("0 orientations")
    page.locator("#state").select_option("pending")
    page.locator("#association").select_option(label="Brenne Enfance Services")
    page.get_by_role("button", name="Filtrer").click()
    expect(page.locator("#count")).to_have_text("300 orientations · page 1 sur 6")
    page.get_by_role("link", name="Suivante →").click()
    expect(page.locator(".pages")).to_contain_text("Page 2 / 6")
    expect(rows).to_have_count(50)
    expect(rows.locator("td:nth-child(3)")).to_have_text(["Brenne Enfance Services"] * 50)
    page.locator("#state").select_option("")  # every state: the row stays listed once updated
    page.get_by_role("button", name="Filtrer").click()
    page.get_by_role("link", name="Suivante →").click()
    with sessions() as session:
        target = session.scalars(
            select(Referral.id)
            .where(Referral.association_id == enfance_id)
            .order_by(Referral.created_at.desc(), Referral.id.desc())
            .offset(60)
        ).first()
    row = page.locator(f"#referral-{target}")
    row.get_by_label("Suivi").select_option("dropped")
    row.get_by_label("Note").fill("Ne souhaite plus de garde.")
    row.get_by_role("button", name="Mettre à jour").click()
    expect(page.get_by_text("Suivi : Abandonnée.")).to_be_visible()
    expect(page).to_have_url(f"{live_server}/referrals?association={enfance_id}&page=2#referral-{target}")
    expect(page.locator("#count")).to_have_text("300 orientations · page 2 sur 6")
    expect(row).to_be_in_viewport()
    expect(row).to_contain_text("Abandonnée")
    shot(page, "1-back-on-page-2")
    with sessions() as session:
        assert session.get_one(Referral, target).follow_up == "dropped"
