"""The coverage matrix, the operators' candidates and the voice menu's routing come from one rule."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from call_log.record import Place, open_manual_contact, update_record
from directory.coverage import coverage_matrix
from directory.models import Association, Commune, Phone, Service, ServiceArea, ServiceCategory
from directory.routing import route
from directory.snapshot import DirectoryCache
from tests.console.browser import sign_in
from tests.console.conftest import Browser

PARIS = ZoneInfo("Europe/Paris")
TUESDAY_10H = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
LINGE = "36096"
NEW = "Jardins de Lingé"


def add_gardener_in_linge(sessions: sessionmaker[Session]) -> None:
    """An association just added: a gardening sub-category service covering Lingé only."""
    with sessions() as session, session.begin():
        association = Association(name=NEW, priority=5, active=True)
        association.phones.append(Phone(number="+33261912345", ivr=True))
        service = Service(name="Tonte et taille", category_code="EXTERIEUR.JARDINAGE", status="active")
        service.areas.append(ServiceArea(commune_insee=LINGE))
        association.services.append(service)
        session.add(association)


@pytest.mark.parametrize("top_level_only", [True, False])
def test_every_cell_of_the_matrix_is_what_routing_offers(
    sessions: sessionmaker[Session], top_level_only: bool
) -> None:
    """For every commune x category, the matrix counts exactly the candidates of route(), hours aside."""
    add_gardener_in_linge(sessions)
    # Through the voice menu's kept directory, read once (test_directory_snapshot pins that it routes as
    # reading the directory does): 2,000 cells, not 2,000 reads of the directory.
    kept = DirectoryCache()
    with sessions() as session:
        matrix = coverage_matrix(session, top_level_only=top_level_only)
        routed = {
            (commune.insee, category.code): len(
                route(
                    session,
                    category=category.code,
                    commune_insee=commune.insee,
                    at=None,
                    tz=PARIS,
                    cache=kept,
                )
            )
            for commune in matrix.communes
            for category in matrix.categories
        }
    assert {key: matrix.count(*key) for key in routed} == routed
    assert matrix.count(LINGE, "EXTERIEUR" if top_level_only else "EXTERIEUR.JARDINAGE") == 1


def test_an_association_just_added_shows_in_all_three(
    sessions: sessionmaker[Session], as_operator: Browser
) -> None:
    """The matrix, a record's proposed associations and the voice menu all offer the new association."""
    add_gardener_in_linge(sessions)
    with sessions() as session, session.begin():
        call = open_manual_contact(
            session, channel="phone", started_at=TUESDAY_10H, caller="", by="olivia", now=TUESDAY_10H
        )
        linge = session.get_one(Commune, LINGE)
        values = {"category_code": "EXTERIEUR", **Place.of_commune(linge).fields()}
        update_record(session, call, values, by="olivia", now=TUESDAY_10H)
        call_id = call.id
    with sessions() as session:
        assert coverage_matrix(session, top_level_only=True).count(LINGE, "EXTERIEUR") == 1
        voice = route(session, category="EXTERIEUR", commune_insee=LINGE, at=TUESDAY_10H, tz=PARIS)
        assert [candidate.name for candidate in voice] == [NEW]
    html = as_operator.text(f"/calls/{call_id}")
    proposed = html.split('<optgroup label="Proposées pour ce service et cette commune">')[1]
    assert proposed.split("</optgroup>")[0].count("<option") == 1
    assert f">{NEW}</option>" in proposed.split("</optgroup>")[0]


def test_coverage_page_names_categories_and_counts_the_new_association(
    page: Page,
    live_server: str,
    sessions: sessionmaker[Session],
    shot: Callable[[Page, str], None],
) -> None:
    """Columns carry the categories' labels, not codes; Lingé x the garden counts the new association."""
    add_gardener_in_linge(sessions)
    with sessions() as session:
        categories = list(
            session.scalars(
                select(ServiceCategory)
                .where(ServiceCategory.parent_code.is_(None))
                .order_by(ServiceCategory.code)
            )
        )
    sign_in(page, live_server, "sam")
    page.goto(f"{live_server}/directory/coverage")
    table = page.locator("table.coverage")
    headers = table.get_by_role("columnheader")
    expect(headers).to_have_count(len(categories) + 1)
    for category in categories:
        expect(table.get_by_role("columnheader", name=category.label, exact=True)).to_be_visible()
    expect(table).not_to_contain_text("COURSES_REPAS")
    garden = [c.code for c in categories].index("EXTERIEUR")
    expect(page.locator(f"#commune-{LINGE} td").nth(garden)).to_have_text("1")
    shot(page, "coverage")
