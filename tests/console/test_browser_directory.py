"""The directory and the monthly report in a real browser (Debian's chromium, headless, via Playwright).

The fixtures (chromium, live_server, page, shot) come from tests/console/browser.py through conftest.py;
screenshots of each step go to test-output/console-screenshots/ for review.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import time
from pathlib import Path
from zoneinfo import ZoneInfo

from openpyxl import load_workbook
from playwright.sync_api import Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from directory.entries import AssociationEntry, HoursEntry, PhoneEntry
from directory.models import DirectoryChange
from directory.routing import route
from directory.storage import entry_of, load_associations
from foundation.db import transaction
from tests.conftest import FakeClock
from tests.console.browser import sign_in
from tests.report_dataset import insert_dataset

PARIS = ZoneInfo("Europe/Paris")

Shot = Callable[[Page, str], None]


def open_directory(page: Page, live_server: str) -> None:
    """Sign in as sam (staff) and open the directory from the console's menu."""
    sign_in(page, live_server, "sam")
    page.get_by_role("link", name="Annuaire", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Annuaire des associations")


def open_association(page: Page, name: str) -> None:
    """From the directory's list, open the page of the association called `name`."""
    page.get_by_role("link", name=name, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)


def association_entry(sessions: sessionmaker[Session], name: str) -> AssociationEntry:
    """The association called `name` as the database holds it now (a fresh session)."""
    with sessions() as session:
        [association] = [a for a in load_associations(session) if a.name == name]
        return entry_of(association)


def test_staff_search_the_directory_by_name(page: Page, live_server: str, shot: Shot) -> None:
    """Searching 'mobilite' (no accent) lists Mobilité Solidaire Brenne alone; 'Tout afficher' lists all 5."""
    open_directory(page, live_server)
    rows = page.locator("table.directory tbody tr")
    expect(rows).to_have_count(5)
    expect(page.locator("p.counters")).to_have_text("5 associations sur 5")
    page.get_by_label("Nom", exact=True).fill("mobilite")
    page.get_by_role("button", name="Chercher").click()
    expect(page).to_have_url(f"{live_server}/directory?q=mobilite&category=&commune=&state=")
    expect(page.locator("p.counters")).to_have_text("1 association sur 5")
    expect(rows).to_have_count(1)
    expect(rows.first.locator("td")).to_have_text(
        [
            "Mobilité Solidaire Brenne",
            "Active",
            "100",
            "Transport et accompagnement (tout le territoire)",
            "02 61 91 20 05",
        ]
    )
    shot(page, "1-search")
    page.get_by_role("link", name="Tout afficher").click()
    expect(page.locator("p.counters")).to_have_text("5 associations sur 5")
    open_association(page, "Mobilité Solidaire Brenne")
    shot(page, "2-association")


def test_staff_change_the_ivr_number_and_the_hours(
    page: Page, live_server: str, sessions: sessionmaker[Session], shot: Shot
) -> None:
    """A second number made the IVR's, then Tuesday's hours: both saved, both in the change history."""
    name = "Brenne Aide à Domicile"
    open_directory(page, live_server)
    open_association(page, name)
    expect(page.get_by_label("Numéro 1", exact=True)).to_have_value("+33261912001")
    expect(page.get_by_label("Le serveur vocal compose le numéro 1", exact=True)).to_be_checked()
    page.get_by_label("Numéro 2", exact=True).fill("02 61 91 12 34")
    page.get_by_label("Description du numéro 2", exact=True).fill("Permanence")
    page.get_by_label("Le serveur vocal compose le numéro 2", exact=True).check()
    page.get_by_role("button", name="Enregistrer les téléphones").click()
    expect(
        page.get_by_text("Modifications enregistrées : elles comptent dès le prochain appel.")
    ).to_be_visible()
    expect(page.get_by_label("Numéro 2", exact=True)).to_have_value("+33261911234")
    expect(page.get_by_label("Le serveur vocal compose le numéro 2", exact=True)).to_be_checked()

    page.get_by_label("Mardi", exact=True).fill("09:00-12:30 13:30-17:30")
    page.get_by_role("button", name="Enregistrer les horaires").click()
    expect(
        page.get_by_text("Modifications enregistrées : elles comptent dès le prochain appel.")
    ).to_be_visible()
    expect(page.get_by_label("Mardi", exact=True)).to_have_value("09:00-12:30 13:30-17:30")

    entry = association_entry(sessions, name)
    assert entry.phones == (
        PhoneEntry("+33261912001", "", False),
        PhoneEntry("+33261911234", "Permanence", True),
    )
    assert entry.hours == (
        HoursEntry(1, time(9, 0), time(12, 30)),
        HoursEntry(1, time(13, 30), time(17, 30)),
    )
    with sessions() as session:
        done = session.scalars(select(DirectoryChange).order_by(DirectoryChange.id)).all()
        assert [(c.association_name, c.action, c.actor, c.source) for c in done] == [
            (name, "update", "sam", "console"),
            (name, "update", "sam", "console"),
        ]

    history = page.locator("ol.history > li")
    expect(history).to_have_count(2)
    expect(history.nth(0)).to_contain_text("sam (console) : horaires")
    expect(history.nth(1)).to_contain_text("sam (console) : téléphones")
    history.nth(1).get_by_text("Avant / après").click()
    expect(history.nth(1).locator("del")).to_have_text("02 61 91 20 01, composé par le serveur vocal")
    expect(history.nth(1).locator("ins")).to_have_text(
        "02 61 91 20 01 ; 02 61 91 12 34 (Permanence), composé par le serveur vocal"
    )
    history.nth(0).get_by_text("Avant / après").click()
    expect(history.nth(0).locator("del")).to_have_text("—")
    expect(history.nth(0).locator("ins")).to_have_text("mardi 09:00-12:30, 13:30-17:30")
    shot(page, "history")


def test_staff_add_a_service_with_its_communes(
    page: Page, live_server: str, sessions: sessionmaker[Session], clock: FakeClock, shot: Shot
) -> None:
    """A gardening service for Ciron and Rosnay is added to an association and offered there only."""
    name = "Mobilité Solidaire Brenne"
    open_directory(page, live_server)
    open_association(page, name)
    page.get_by_role("link", name="Ajouter un service").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Nouveau service · {name}")
    page.get_by_label("Catégorie").select_option("EXTERIEUR.JARDINAGE")
    expect(page.get_by_label("État")).to_have_value("active")
    page.get_by_label("Ciron 36300", exact=True).check()
    page.get_by_label("Rosnay 36300", exact=True).check()
    shot(page, "1-form")
    page.get_by_role("button", name="Ajouter le service").click()
    expect(page.get_by_text("Service « Petits travaux de jardinage » ajouté.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Petits travaux de jardinage · {name}")
    coverage = page.locator("#coverage")
    expect(coverage.get_by_role("checkbox", checked=True)).to_have_count(2)
    expect(coverage.get_by_label("Ciron 36300", exact=True)).to_be_checked()
    expect(coverage.get_by_label("Rosnay 36300", exact=True)).to_be_checked()
    shot(page, "2-service")

    [gardening, transport] = association_entry(sessions, name).services
    assert (transport.category, gardening.name, gardening.category, gardening.status, gardening.communes) == (
        "TRANSPORT",
        "Petits travaux de jardinage",
        "EXTERIEUR.JARDINAGE",
        "active",
        ("36053", "36173"),
    )
    with sessions() as session:
        offered = {
            insee: [
                c.name
                for c in route(
                    session, category="EXTERIEUR.JARDINAGE", commune_insee=insee, at=clock(), tz=PARIS
                )
            ]
            for insee in ("36053", "36173", "36018")
        }
    assert offered == {
        "36053": ["Les Jardiniers de la Brenne", name],
        "36173": ["Les Jardiniers de la Brenne", name],
        "36018": ["Les Jardiniers de la Brenne"],
    }

    page.get_by_role("link", name=f"← {name}").click()
    services = page.locator("table.services tbody tr")
    expect(services).to_have_count(2)
    expect(services.nth(0).locator("td")).to_have_text(
        [
            "Petits travaux de jardinage",
            "Petits travaux de jardinage",
            "Actif",
            "2 communes",
            "Ceux de l'association",
        ]
    )
    expect(services.nth(1).locator("td")).to_have_text(
        [
            "Transport et accompagnement",
            "Transport et accompagnement",
            "Actif",
            "Tout le territoire",
            "Ceux de l'association",
        ]
    )
    shot(page, "3-association")


def test_staff_download_the_coverage_gaps(page: Page, live_server: str, shot: Shot) -> None:
    """The coverage page counts 237 gaps; its CSV downloads as couverture.csv, header row first."""
    open_directory(page, live_server)
    page.get_by_role("link", name="Couverture du territoire").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Couverture du territoire")
    expect(page.locator("p.hint")).to_contain_text("237 manques.")
    expect(page.locator("table.coverage td.gap")).to_have_count(237)
    shot(page, "matrix")
    with page.expect_download() as downloading:
        page.get_by_role("link", name="Télécharger (CSV)").click()
    download = downloading.value
    assert download.suggested_filename == "couverture.csv"
    lines = Path(download.path()).read_text(encoding="utf-8").splitlines()
    assert lines[0] == (
        "\ufeffCode INSEE;Commune;Code postal;Parc;Aide aux personnes âgées ou handicapées;"
        "Autre demande ou vous ne savez pas;Courses et repas;Démarches administratives et informatique;"
        "Enfants : garde, sorties d'école, soutien scolaire et loisirs;"
        "Jardinage, petit bricolage et déménagement;Ménage, linge et entretien de la maison;"
        "Soins et santé à domicile (orientation);Transport et accompagnement"
    )
    assert len(lines) == 62


def test_operator_is_refused_the_directory(page: Page, live_server: str, shot: Shot) -> None:
    """An operator sees no 'Annuaire' link, and the directory's addresses answer 403."""
    sign_in(page, live_server, "olivia")
    expect(page.get_by_role("link", name="Annuaire")).to_have_count(0)
    for path in ("/directory", "/directory/coverage.csv"):
        response = page.goto(f"{live_server}{path}")
        assert response is not None
        assert response.status == 403
        expect(page.get_by_text("Cette page n'est pas accessible avec votre rôle.")).to_be_visible()
    shot(page, "refused")


def test_staff_read_a_month_report_and_download_it(
    page: Page, live_server: str, sessions: sessionmaker[Session], shot: Shot
) -> None:
    """Staff pick a month, read its report framed in the page, and download its four files."""
    with transaction(sessions) as session:
        insert_dataset(session)
    sign_in(page, live_server, "sam")
    page.get_by_role("link", name="Rapport mensuel").click()
    month = page.get_by_label("Mois")
    expect(month).to_have_value("2026-10")
    month.fill("2026-09")
    page.get_by_role("button", name="Afficher").click()
    expect(page).to_have_url(f"{live_server}/reports/?month=2026-09")
    expect(page.locator("iframe.report")).to_have_attribute("title", "Rapport de septembre 2026")
    report = page.frame_locator("iframe.report")
    expect(report.get_by_text("Septembre 2026", exact=True)).to_be_visible()
    month.fill("2026-10")
    page.get_by_role("button", name="Afficher").click()
    expect(page).to_have_url(f"{live_server}/reports/?month=2026-10")
    expect(report.get_by_text("Octobre 2026", exact=True)).to_be_visible()
    expect(report.get_by_text("Bélâbre").first).to_be_visible()
    shot(page, "report")

    files = {}
    for label in (
        "Page imprimable (HTML)",
        "Tableau long (CSV)",
        "Classeur (XLSX)",
        "Données ouvertes (CSV)",
    ):
        with page.expect_download() as downloading:
            page.get_by_role("link", name=label).click()
        download = downloading.value
        files[download.suggested_filename] = Path(download.path()).read_bytes()
    assert sorted(files) == [
        "demande-2026-10.csv",
        "demande-2026-10.html",
        "demande-2026-10.xlsx",
        "opendata-demande-2026-10.csv",
    ]
    assert files["demande-2026-10.html"].decode().splitlines()[0] == "<!doctype html>"
    assert files["demande-2026-10.csv"].decode().splitlines()[0] == (
        "\ufeffMois du rapport;Tableau;Indicateur;Mois;Service;Service précis;Zone;Code INSEE;"
        "Commune ou département;Pour qui;Issue;Source;Jour;Heure;Étape;Raison;Association;Mesure;Valeur"
    )
    assert load_workbook(io.BytesIO(files["demande-2026-10.xlsx"]))["Chiffres clés"]["C2"].value == 10
    assert files["opendata-demande-2026-10.csv"].decode().splitlines()[0] == (
        "month,category_code,category_label,commune_insee,commune_name,calls,suppressed"
    )
