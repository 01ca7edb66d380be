"""The console in a real browser (Debian's chromium, headless, driven by Playwright) against a real server.

The fixtures (chromium, live_server, page, shot) come from tests/console/browser.py through conftest.py;
screenshots of each step go to test-output/console-screenshots/ for review.
"""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from call_log.models import Call, CallbackRequest, Referral
from ivr.simulator.call import CallSimulator
from ivr.simulator.callers import DialOutcome, DialRequest, HangUp, Keys, RecordOutcome, ScriptedCaller
from tests.conftest import FakeClock
from tests.console.browser import PASSWORD, sign_in


class PickUpFromTheBoard(ScriptedCaller):
    """A caller pressing 0; while the operators' phones ring, `operator` does their part in the browser."""

    def __init__(self, operator: Callable[[], None]) -> None:
        """Press 0; at the ring, run `operator`, then answer."""
        super().__init__([Keys("0")], dials=[DialOutcome("completed", 180)])
        self.operator = operator

    def dial(self, dial: DialRequest) -> DialOutcome | HangUp:
        """The operator works in the console while the call is live, then the call is bridged."""
        self.operator()
        return super().dial(dial)


def test_operator_takes_a_call_from_the_board_and_completes_it(
    page: Page,
    live_server: str,
    simulator: CallSimulator,
    sessions: sessionmaker[Session],
    shot: Callable[[Page, str], None],
) -> None:
    """A simulated call appears live on the board; its record is one click away, completed with a referral."""
    sign_in(page, live_server, "olivia")
    expect(page.get_by_text("Aucun appel en cours")).to_be_visible()
    shot(page, "1-board-empty")

    def operator() -> None:
        row = page.locator("tr.live.with-operator")
        expect(row).to_contain_text("Vers les opérateurs")  # appears by itself: the board polls
        shot(page, "2-board-live-call")
        row.get_by_role("link", name="Fiche n°").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("En cours")
        expect(page.get_by_label("Service demandé")).to_be_focused()
        page.get_by_label("Service demandé").select_option("EXTERIEUR")
        page.get_by_label("Commune (nom ou code postal)").fill("Rosnay (36300)")
        page.get_by_label("Pour qui").select_option("relative")
        page.get_by_label("Connu par").select_option("town_hall")
        page.get_by_label("Issue").select_option("connected_operator")
        page.get_by_label("Notes").fill("Taille de haie pour sa mère, à Rosnay.")
        page.get_by_role("button", name="Enregistrer la fiche").click()
        expect(page.get_by_text("Fiche enregistrée.")).to_be_visible()
        proposed = page.locator('optgroup[label="Proposées pour ce service et cette commune"] option')
        expect(proposed.first).to_have_text("Les Jardiniers de la Brenne")
        page.get_by_label("Orienter vers").select_option(label="Les Jardiniers de la Brenne")
        page.get_by_role("button", name="Orienter").click()
        expect(page.get_by_text("Orientation vers Les Jardiniers de la Brenne enregistrée.")).to_be_visible()
        expect(page.locator(".history")).to_contain_text("Commune : — → Rosnay")
        shot(page, "3-record-completed")

    placed = simulator.place_call(PickUpFromTheBoard(operator))

    with sessions() as session:
        call = session.scalars(select(Call).where(Call.call_sid == placed.call_sid)).one()
        assert (call.category_code, call.commune_insee, call.beneficiary, call.heard_from, call.outcome) == (
            "EXTERIEUR",
            "36173",
            "relative",
            "town_hall",
            "connected_operator",
        )
        [referral] = session.scalars(select(Referral).where(Referral.call_id == call.id)).all()
        assert (referral.created_by, referral.follow_up) == ("olivia", "pending")
    page.get_by_role("link", name="Tableau").click()
    expect(page.locator(f"#call-{call.id}")).to_contain_text("Pris par un opérateur")
    shot(page, "4-board-after-call")


def test_operator_enters_a_manual_contact(
    page: Page, live_server: str, sessions: sessionmaker[Session], shot: Callable[[Page, str], None]
) -> None:
    """A letter is entered from the 'Nouvelle saisie' page and becomes a record with its history."""
    sign_in(page, live_server, "olivia")
    page.get_by_role("link", name="Nouvelle saisie").click()
    expect(page.get_by_label("Type de contact")).to_be_focused()
    page.get_by_label("Type de contact").select_option("letter")
    page.get_by_label("Reçu le").fill("2026-11-23T14:00")
    page.get_by_label("Service demandé").select_option("COURSES_REPAS")
    page.get_by_label("Ou hors territoire : département").fill("37")
    page.get_by_label("Pour qui").select_option("relative")
    page.get_by_label("Notes").fill("Courrier de son fils, à Tours.")
    shot(page, "1-form")
    page.get_by_role("button", name="Enregistrer le contact").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Contact n°")
    expect(page.locator(".history")).to_contain_text("olivia a saisi ce contact (courrier)")
    expect(page.locator(".history")).to_contain_text("Département : — → 37")
    shot(page, "2-record")
    with sessions() as session:
        call = session.scalars(select(Call).where(Call.channel == "letter")).one()
        assert (call.in_territory, call.departement, call.category_code) == (False, "37", "COURSES_REPAS")


def test_operator_works_the_callback_queue(
    page: Page,
    live_server: str,
    simulator: CallSimulator,
    sessions: sessionmaker[Session],
    clock: FakeClock,
    shot: Callable[[Page, str], None],
) -> None:
    """Voicemails wait oldest first, the overdue one highlighted; an operator takes one and closes it."""
    for _ in range(2):
        simulator.place_call(
            ScriptedCaller(
                [Keys("0"), Keys("1")], dials=[DialOutcome("no-answer")], records=[RecordOutcome(20)]
            )
        )
        clock.advance(3 * 3600)
    with sessions() as session:
        first, second = session.scalars(select(CallbackRequest).order_by(CallbackRequest.id)).all()
    sign_in(page, live_server, "olivia")
    expect(page.get_by_text("dont 1 en retard")).to_be_visible()
    page.get_by_role("link", name="Rappels", exact=True).click()
    rows = page.locator("table.queue tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_have_attribute("id", f"callback-{first.id}")
    expect(rows.nth(0)).to_have_class("overdue")
    expect(rows.nth(0)).to_contain_text("En retard")
    expect(rows.nth(1)).not_to_have_class("overdue")
    expect(rows.nth(0).locator("audio")).to_have_attribute("src", f"{first.recording_url}.mp3")
    shot(page, "1-queue")

    page.locator(f"#take-{first.id}").click()
    expect(page.locator(f"#callback-{first.id}")).to_contain_text("par olivia")
    page.locator(f"#result-{first.id}").select_option("done")
    page.locator(f"#notes-{first.id}").fill("Rappelée, orientée vers une association.")
    page.locator(f"#report-{first.id}").click()
    expect(page.get_by_text("Rappel : joint·e : fait.")).to_be_visible()
    expect(page.locator(f"#closed-{first.id}")).to_contain_text("Fait")
    expect(page.locator("table.queue tbody tr").first).to_have_attribute("id", f"callback-{second.id}")
    shot(page, "2-after-callback")
    with sessions() as session:
        done = session.get_one(CallbackRequest, first.id)
        assert (done.state, done.assigned_to, done.attempts) == ("done", "olivia", 1)


def test_operator_is_refused_the_admin_page(
    page: Page, live_server: str, shot: Callable[[Page, str], None]
) -> None:
    """An operator typing the accounts page's address gets a 403 page, and no link to it."""
    sign_in(page, live_server, "olivia")
    expect(page.get_by_role("link", name="Comptes")).to_have_count(0)
    response = page.goto(f"{live_server}/admin/users")
    assert response is not None
    assert response.status == 403
    expect(page.get_by_text("Cette page n'est pas accessible avec votre rôle.")).to_be_visible()
    shot(page, "refused")


def test_form_without_csrf_token_is_refused(
    page: Page, live_server: str, sessions: sessionmaker[Session], shot: Callable[[Page, str], None]
) -> None:
    """A form whose CSRF token was removed is refused with 400, and nothing is saved."""
    sign_in(page, live_server, "olivia")
    page.get_by_role("link", name="Nouvelle saisie").click()
    page.get_by_label("Notes").fill("Ne doit pas être enregistré.")
    page.evaluate("document.querySelector('main form input[name=csrf_token]').remove()")
    with page.expect_response(lambda response: response.request.method == "POST") as posted:
        page.get_by_role("button", name="Enregistrer le contact").click()
    assert posted.value.status == 400
    expect(page.get_by_text("Le formulaire a expiré")).to_be_visible()
    shot(page, "refused")
    with sessions() as session:
        assert session.scalars(select(Call)).all() == []


def test_signed_out_visitor_is_sent_to_login_then_back(
    page: Page, live_server: str, shot: Callable[[Page, str], None]
) -> None:
    """A signed-out visitor asking for the callbacks lands on the login page, then on the callbacks."""
    page.goto(f"{live_server}/callbacks")
    expect(page).to_have_url(f"{live_server}/login?next=/callbacks")
    shot(page, "login")
    page.get_by_label("Identifiant").fill("olivia")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page).to_have_url(f"{live_server}/callbacks")
    expect(page.get_by_role("heading", level=1)).to_have_text("Messages à rappeler")
    page.get_by_role("button", name="Se déconnecter").click()
    expect(page).to_have_url(f"{live_server}/login")
    page.goto(f"{live_server}/")
    expect(page).to_have_url(f"{live_server}/login?next=/")


def test_layout_fits_a_laptop_screen(page: Page, live_server: str, shot: Callable[[Page, str], None]) -> None:
    """At 1366x768 no console page scrolls sideways."""
    sign_in(page, live_server, "ada")
    for path in ("/", "/calls/new", "/callbacks", "/referrals", "/log", "/admin/users"):
        page.goto(f"{live_server}{path}")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 1366, f"{path} is {width}px wide"
        shot(page, path.strip("/").replace("/", "-") or "board")
