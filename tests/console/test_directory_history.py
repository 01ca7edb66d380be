"""An association's change history names its fields as the forms do and says its values as users read them."""

from __future__ import annotations

import html
import re

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from directory.models import Association, Service
from tests.console.conftest import Browser

JARDINIERS = "Les Jardiniers de la Brenne"


def history(page: str) -> list[tuple[str, list[tuple[str, str, str]]]]:
    """Each change of the page's history, newest first: its summary and its (field, before, after) rows."""
    section = page.split('<section id="history"', 1)[1]
    changes = []
    for item in re.findall(r"<li>(.*?)</li>", section, re.S):
        summary = (
            re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", item.split("<details>")[0])).split(" · ")[1].strip()
        )
        rows = re.findall(r"<dt>(.*?)</dt>\s*<dd><del>(.*?)</del><br><ins>(.*?)</ins></dd>", item, re.S)
        changes.append((html.unescape(summary), [tuple(html.unescape(part) for part in row) for row in rows]))
    return changes  # type: ignore[return-value]


def test_changes_read_in_the_words_of_the_forms(as_staff: Browser, sessions: sessionmaker[Session]) -> None:
    """Booleans, days, dates, addresses, states and communes of a change are French, not codes or JSON."""
    with sessions() as session:
        association = session.scalar(select(Association).where(Association.name == JARDINIERS))
        assert association is not None
        service_id = session.scalar(select(Service.id).where(Service.association_id == association.id))
        page = f"/directory/{association.id}"
    service_page = f"{page}/services/{service_id}"
    general = {
        "section": "general",
        "name": JARDINIERS,
        "priority": "20",
        "street_address": "1 place de la Mairie",
        "postal_code": "36300",
        "city": "Le Blanc",
    }  # "active" left out: unticked
    posts = [
        (page, general),
        (page, {"section": "hours", "hours-tue": "09:00-12:30 13:30-17:30"}),
        (
            page,
            {
                "section": "closures",
                "closure-rows": "1",
                "closure-0-from": "2026-12-24",
                "closure-0-to": "2027-01-01",
                "closure-0-reason": "Fêtes",
            },
        ),
        (
            page,
            {
                "section": "phones",
                "phone-rows": "1",
                "phone-0-number": "02 61 91 20 02",
                "phone-0-description": "Accueil",
            },
        ),
        (service_page, {"section": "general", "category": "EXTERIEUR", "status": "temporarily_closed"}),
        (service_page, {"section": "coverage", "commune": "36018"}),
    ]
    for url, form in posts:
        assert as_staff.post(url, form, token_from=url).status_code == 302, form

    assert history(as_staff.text(page)) == [
        (
            "sam (console) : services",
            [
                (
                    "Service « Jardinage, petit bricolage et déménagement » : communes couvertes",
                    "Ciron, Douadic, Le Blanc, Mézières-en-Brenne, Pouligny-Saint-Pierre, Rosnay, Ruffec",
                    "Le Blanc",
                )
            ],
        ),
        (
            "sam (console) : services",
            [
                (
                    "Service « Jardinage, petit bricolage et déménagement » : état",
                    "Actif",
                    "Fermé temporairement",
                )
            ],
        ),
        (
            "sam (console) : téléphones",
            [
                (
                    "Téléphones",
                    "02 61 91 20 02, composé par le serveur vocal",
                    "02 61 91 20 02 (Accueil)",
                )
            ],
        ),
        (
            "sam (console) : fermetures",
            [("Fermetures", "—", "du 24/12/2026 au 01/01/2027 (Fêtes)")],
        ),
        ("sam (console) : horaires", [("Horaires", "—", "mardi 09:00-12:30, 13:30-17:30")]),
        (
            "sam (console) : active, priorité, adresse",
            [
                ("Active", "oui", "non"),
                ("Priorité", "10", "20"),
                ("Adresse", "—", "1 place de la Mairie, 36300 Le Blanc"),
            ],
        ),
    ]
