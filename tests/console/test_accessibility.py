"""axe-core on every page of the console, in a real browser: no serious or critical violation anywhere."""

from __future__ import annotations

from playwright.sync_api import Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from call_log.models import Call
from directory.models import Association, ServiceCategory
from ivr.simulator.call import CallSimulator
from ivr.simulator.callers import DialOutcome, Keys, ScriptedCaller
from tests.console.browser import accessibility_problems, sign_in


def test_every_page_has_no_serious_accessibility_violation(
    page: Page, live_server: str, simulator: CallSimulator, sessions: sessionmaker[Session]
) -> None:
    """Every page an admin can open, with data on it, passes axe-core (serious and critical impacts)."""
    placed = simulator.place_call(ScriptedCaller([Keys("0")], dials=[DialOutcome("completed", 60)]))
    with sessions() as session:
        call_id = session.scalars(select(Call.id).where(Call.call_sid == placed.call_sid)).one()
        association = session.scalars(select(Association).order_by(Association.id)).first()
        assert association is not None
        assert association.services
        association_id, service_id = association.id, association.services[0].id
    pages = [
        "/",
        "/log",
        f"/calls/{call_id}",
        "/calls/new",
        "/callbacks",
        "/find?category=MAISON&commune=",
        f"/find?category=EXTERIEUR&commune=Rosnay+%2836300%29&call={call_id}",
        "/referrals",
        "/directory",
        f"/directory/{association_id}",
        f"/directory/{association_id}/services/{service_id}",
        f"/directory/{association_id}/services/new",
        "/directory/new",
        "/directory/coverage",
        "/reports/",
        "/admin/users",
        "/settings/line",
        "/settings/calendar",
        "/settings/operators",
        "/settings/prompts",
        "/settings/menu",
        "/settings/history",
        "/duty",
    ]
    page.goto(f"{live_server}/login")
    problems = {"/login": accessibility_problems(page)}
    sign_in(page, live_server, "ada")
    for path in pages:
        page.goto(f"{live_server}{path}")
        expect(page.locator("main")).to_be_visible()
        problems[path] = accessibility_problems(page)
    assert {path: found for path, found in problems.items() if found} == {}


def test_typing_selects_a_sub_service(
    page: Page, live_server: str, simulator: CallSimulator, sessions: sessionmaker[Session]
) -> None:
    """On a record, typing the first letters of a sub-category selects it (the list is grouped by family,
    each option by its own words); on the directory's filter too."""
    placed = simulator.place_call(ScriptedCaller([Keys("0")], dials=[DialOutcome("completed", 60)]))
    with sessions() as session:
        call_id = session.scalars(select(Call.id).where(Call.call_sid == placed.call_sid)).one()
        families = len(
            session.scalars(select(ServiceCategory).where(ServiceCategory.parent_code.is_(None))).all()
        )
    sign_in(page, live_server, "sam")
    page.goto(f"{live_server}/calls/{call_id}")
    service = page.get_by_label("Service demandé")
    expect(service).to_be_focused()
    page.keyboard.type("Repas")
    expect(service).to_have_value("MAISON.LINGE")
    expect(page.locator("#category_code optgroup")).to_have_count(families)
    page.goto(f"{live_server}/directory")
    category = page.get_by_label("Service", exact=True)
    category.focus()
    page.keyboard.type("Petit b")
    expect(category).to_have_value("EXTERIEUR.BRICOLAGE")
