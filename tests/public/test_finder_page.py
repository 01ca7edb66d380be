"""/trouver: the associations that serve a need in a commune, decided by the voice menu's routing, with
what the public may know of them; the directory as HSDS open data; never a staff note anywhere."""

from __future__ import annotations

import html as markup
import json
import re
from urllib.parse import urlencode

import pytest
from flask import Flask
from sqlalchemy.orm import Session, sessionmaker

from directory.routing import route
from foundation.config import Config
from tests.directory_support import RICH_DIRECTORY, replace_directory
from tests.public.test_public_site import PUBLIC_DOWNLOADS, PUBLIC_PAGES

# A staff note that must never reach a public page.
STAFF_NOTE = "NOTE-INTERNE-7731 ne pas diffuser"
# The rich test directory, with the staff note on an association (and as a closure's reason: the staff's
# words too), and a service of the inactive association.
DIRECTORY = (
    RICH_DIRECTORY.read_text(encoding="utf-8")
    .replace("notes: Conventionnée par le département", f"notes: {STAFF_NOTE}")
    .replace("reason: Fermeture estivale", "reason: NOTE-INTERNE travaux du local")
    + "    services:\n      - name: Ménage en sommeil\n        category: MAISON\n        communes: all\n"
)


@pytest.fixture
def directory(sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    """The test database with DIRECTORY as its directory."""
    with sessions() as session, session.begin():
        replace_directory(session, DIRECTORY)
    return sessions


def found_names(html: str) -> list[str]:
    """The associations a results page lists, in its order."""
    return [markup.unescape(name) for name in re.findall(r'<h3 id="found-\d+">([^<]+)</h3>', html)]


def results(html: str) -> str:
    """The results part of the page (the form's lists name every category)."""
    return html.partition('id="found-title"')[2].partition("</section>")[0]


def search(app: Flask, service: str, commune: str) -> tuple[int, str]:
    """Send the search form; the status and the page."""
    response = app.test_client().get("/trouver?" + urlencode({"service": service, "commune": commune}))
    return response.status_code, response.get_data(as_text=True)


def test_the_page_lists_what_routing_decides(
    app: Flask, directory: sessionmaker[Session], example_config: Config
) -> None:
    """Home help in Ciron: the associations `route` returns (hours aside), with their service, phones, hours,
    fees and who it is for; not the inactive association's service."""
    status, html = search(app, "MAISON", "Ciron (36300)")
    assert status == 200
    with directory() as session:
        routed = route(
            session, category="MAISON", commune_insee="36053", at=None, tz=example_config.helpline.tz
        )
    assert found_names(html) == [candidate.name for candidate in routed] == ["Brenne Aide à Domicile"]
    text = markup.unescape(results(html))
    assert "Ménage et repassage" in text
    assert '<a href="tel:+33261912001">02 61 91 20 01</a> (Accueil (standard))' in text
    assert "Lundi 09:00-12:30 13:30-17:30" in text
    assert "Tarif horaire selon revenus ; crédit d'impôt de 50 %" in text
    assert "Toute personne du territoire" in text
    assert "https://brenne-aide.example.org" in text
    assert "Ménage en sommeil" not in text
    assert 'href="/demande">Faire une demande en ligne</a>' in html
    assert 'href="tel:+33261911000"' in html


def test_only_active_services_are_listed(app: Flask, directory: sessionmaker[Session]) -> None:
    """Le Blanc: gardening, not the inactive small repairs; care for the elderly is temporarily closed."""
    status, html = search(app, "EXTERIEUR", "Le Blanc (36300)")
    assert (status, found_names(html)) == (200, ["Les Jardiniers de la Brenne"])
    assert "Jardinage" in results(html)
    assert "Petit bricolage" not in results(html)
    status, html = search(app, "AUTONOMIE", "Ciron (36300)")
    assert (status, found_names(html)) == (200, [])
    assert "Aucune association de l'annuaire ne propose ce service dans cette commune." in html


def test_a_commune_outside_the_territory_is_told_to_call(
    app: Flask, directory: sessionmaker[Session]
) -> None:
    """« Hors territoire »: no list, the way to reach the helpline instead."""
    status, html = search(app, "MAISON", "Hors territoire")
    assert status == 200
    assert "Pour une personne qui habite ailleurs, appelez-nous" in html
    assert found_names(html) == []


@pytest.mark.parametrize(
    ("service", "commune", "message"),
    [
        ("", "Ciron", "Choisissez un service dans la liste."),
        ("PLOMBERIE", "Ciron", "Choisissez un service dans la liste."),
        ("MAISON", "Paris", "« Paris » n'est pas une commune du territoire : choisissez-la dans la liste."),
    ],
)
def test_a_search_that_cannot_be_read_says_what_to_fix(
    app: Flask, directory: sessionmaker[Session], service: str, commune: str, message: str
) -> None:
    """A service outside the list or an unknown commune: 400, a French message, no list."""
    status, html = search(app, service, commune)
    assert status == 400
    assert message in markup.unescape(html)
    assert found_names(html) == []


def test_the_hsds_download_is_the_published_directory(app: Flask, directory: sessionmaker[Session]) -> None:
    """Open data: the HSDS 3.0 export (its schema is checked in test_directory_hsds) of active associations
    and their services that are not inactive, as a file to download."""
    response = app.test_client().get("/donnees/annuaire-hsds.json")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    assert response.headers["Content-Disposition"] == 'attachment; filename="annuaire-hsds.json"'
    assert response.headers["Cache-Control"] == "public, max-age=3600"
    organizations = json.loads(response.get_data(as_text=True))
    services = {o["name"]: [(s["name"], s["status"]) for s in o["services"]] for o in organizations}
    assert services == {
        "Brenne Aide à Domicile": [
            ("Aide aux personnes âgées", "temporarily closed"),
            ("Ménage et repassage", "active"),
        ],
        "Les Jardiniers de la Brenne": [("Jardinage", "active")],
    }
    assert 'href="/donnees/annuaire-hsds.json"' in app.test_client().get("/trouver").get_data(as_text=True)


def test_no_public_page_shows_a_staff_note(app: Flask, directory: sessionmaker[Session]) -> None:
    """The staff note is on none of the public pages, search results or downloads (nor is the priority)."""
    client = app.test_client()
    searches = [
        "/trouver?" + urlencode({"service": service, "commune": commune})
        for service in ("MAISON", "AUTONOMIE", "EXTERIEUR")
        for commune in ("", "Ciron (36300)", "Le Blanc (36300)")
    ]
    for page in [*PUBLIC_PAGES, *PUBLIC_DOWNLOADS, *searches]:
        response = client.get(page)
        assert response.status_code == 200, page
        text = markup.unescape(response.get_data(as_text=True))
        assert STAFF_NOTE not in text, page
        assert "NOTE-INTERNE" not in text, page
        assert "priority" not in text, page
