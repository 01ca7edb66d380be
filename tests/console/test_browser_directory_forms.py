"""The directory's edit pages in a real browser: typed work is never lost without a word, the long list
of communes can be searched, French hours are read, and a refused save leads the keyboard to the field."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session, sessionmaker

from directory.storage import load_associations
from tests.console.browser import accessibility_problems, sign_in

Shot = Callable[[Page, str], None]


def service_page(sessions: sessionmaker[Session], association: str) -> str:
    """The path of the first service of the association called `association`."""
    with sessions() as session:
        [found] = [a for a in load_associations(session) if a.name == association]
        return f"/directory/{found.id}/services/{found.services[0].id}"


def test_saving_one_section_warns_before_losing_another(
    page: Page, live_server: str, sessions: sessionmaker[Session], shot: Shot
) -> None:
    """Typed in « Ce que propose le service », then *Enregistrer la couverture*: the page says what would be
    lost and posts nothing; the person goes back, or saves anyway."""
    path = service_page(sessions, "Brenne Enfance Services")
    sign_in(page, live_server, "sam")
    page.goto(f"{live_server}{path}")
    page.get_by_label("Tarifs").fill("12 € de l'heure")
    page.get_by_role("button", name="Enregistrer la couverture").click()
    warning = page.locator("#coverage .unsaved-warning")
    expect(warning).to_contain_text("Vous avez modifié « Ce que propose le service » sans l'enregistrer")
    expect(warning).to_be_focused()
    shot(page, "1-warned")
    assert page.get_by_label("Tarifs").input_value() == "12 € de l'heure"  # nothing was posted
    warning.get_by_role("button", name="Revenir à « Ce que propose le service »").click()
    expect(page.get_by_label("Nom", exact=True)).to_be_focused()
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    expect(page.get_by_text("Modifications enregistrées", exact=False)).to_be_visible()
    expect(page.get_by_label("Tarifs")).to_have_value("12 € de l'heure")
    page.wait_for_load_state()  # the page's script guards the forms' submits once it has run

    # With nothing else typed, a section saves at once; saving anyway is one more click.
    page.get_by_label("Tarifs").fill("13 € de l'heure")
    page.locator("#hours").get_by_label("Lundi").fill("9h-12h 14h-17h")
    page.get_by_role("button", name="Enregistrer les horaires").click()
    page.locator("#hours .unsaved-warning").get_by_role("button", name="Enregistrer quand même").click()
    expect(page.locator("#hours").get_by_label("Lundi")).to_have_value("09:00-12:00 14:00-17:00")
    expect(page.get_by_label("Tarifs")).to_have_value("12 € de l'heure")


def test_what_was_typed_before_the_page_s_script_ran_still_counts(
    page: Page, live_server: str, sessions: sessionmaker[Session]
) -> None:
    """On a slow page the person types before the script runs: saving another section still warns."""
    path = service_page(sessions, "Brenne Enfance Services")
    sign_in(page, live_server, "sam")
    # The document is parsed (readyState "interactive") and its deferred script has not run yet.
    page.add_init_script(
        """document.addEventListener("readystatechange", () => {
            if (document.readyState !== "interactive") return;
            document.querySelector("[name=fees]").value = "typed early";
        });"""
    )
    page.goto(f"{live_server}{path}")
    expect(page.get_by_label("Tarifs")).to_have_value("typed early")
    page.get_by_role("button", name="Enregistrer la couverture").click()
    expect(page.locator("#coverage .unsaved-warning")).to_contain_text("« Ce que propose le service »")


def test_communes_are_searched_and_ticked_from_the_keyboard(
    page: Page, live_server: str, sessions: sessionmaker[Session], shot: Shot
) -> None:
    """Typing « ciron » leaves one commune of the 51; Enter ticks it; the count says so."""
    path = service_page(sessions, "Brenne Enfance Services")
    sign_in(page, live_server, "sam")
    page.goto(f"{live_server}{path}")
    coverage = page.locator("#coverage")
    search = coverage.get_by_label("Chercher une commune (nom ou code postal)")
    search.fill("ciron")
    visible = coverage.locator("label.commune:visible")
    expect(visible).to_have_count(1)
    expect(visible).to_contain_text("Ciron")
    ticked = coverage.get_by_role("checkbox", name="Ciron")
    was = ticked.is_checked()
    search.press("Enter")
    assert ticked.is_checked() is not was
    expect(coverage.locator(".commune-search .hint")).to_contain_text("1 commune sur")
    search.fill("36300")
    assert coverage.locator("label.commune:visible").count() > 1
    shot(page, "searched")
    assert accessibility_problems(page) == []


def test_a_refused_save_leads_to_the_field_to_correct(
    page: Page, live_server: str, sessions: sessionmaker[Session], shot: Shot
) -> None:
    """Hours that cannot be read: the summary takes the focus, links to the field, which carries its error."""
    path = service_page(sessions, "Brenne Enfance Services")
    sign_in(page, live_server, "sam")
    page.goto(f"{live_server}{path}")
    page.locator("#hours").get_by_label("Mardi").fill("le matin")
    page.get_by_role("button", name="Enregistrer les horaires").click()
    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Rien n'a été enregistré : corrigez le champ signalé.")
    summary.get_by_role("link", name="Horaires du mardi invalides").click()
    field = page.locator("#hours-tue")
    expect(field).to_be_focused()
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_have_accessible_description(
        "Horaires du mardi invalides : écrivez par exemple « 9h-12h30 13h30-17h », sans chevauchement."
    )
    shot(page, "error")
    assert accessibility_problems(page) == []


def test_a_new_association_starts_at_its_name(page: Page, live_server: str) -> None:
    """The page of a new association puts the keyboard on its first field."""
    sign_in(page, live_server, "sam")
    page.goto(f"{live_server}/directory/new")
    expect(page.get_by_label("Nom")).to_be_focused()
