"""axe-core on every page of the console, in a real browser: no serious or critical violation anywhere."""

from __future__ import annotations

from playwright.sync_api import Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from call_log.models import Call
from directory.models import Association
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
    ]
    page.goto(f"{live_server}/login")
    problems = {"/login": accessibility_problems(page)}
    sign_in(page, live_server, "ada")
    for path in pages:
        page.goto(f"{live_server}{path}")
        expect(page.locator("main")).to_be_visible()
        problems[path] = accessibility_problems(page)
    assert {path: found for path, found in problems.items() if found} == {}
