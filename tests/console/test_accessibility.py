"""axe-core on every page of the console, in a real browser: no serious or critical violation anywhere."""

from __future__ import annotations

from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from call_log.models import Call
from call_log.record import add_referral
from directory.models import Association, ServiceCategory
from foundation.db import transaction
from helpline.partners import partner_links
from ivr.simulator.call import CallSimulator
from ivr.simulator.callers import DialOutcome, Keys, ScriptedCaller
from tests.conftest import FakeClock
from tests.console.browser import accessibility_problems, sign_in


def test_every_page_has_no_serious_accessibility_violation(
    page: Page,
    live_server: str,
    simulator: CallSimulator,
    sessions: sessionmaker[Session],
    app: Flask,
    clock: FakeClock,
) -> None:
    """Every page an admin can open, with data on it, passes axe-core (serious and critical impacts)."""
    placed = simulator.place_call(ScriptedCaller([Keys("0")], dials=[DialOutcome("completed", 60)]))
    with sessions() as session:
        call_id = session.scalars(select(Call.id).where(Call.call_sid == placed.call_sid)).one()
        association = session.scalars(select(Association).order_by(Association.id)).first()
        assert association is not None
        assert association.services
        association_id, service_id = association.id, association.services[0].id
    with transaction(sessions) as session:
        call = session.get_one(Call, call_id)
        referral = add_referral(
            session, call, session.get_one(Association, association_id), by="ada", now=clock()
        )
        token = partner_links(app.extensions["helpline"], str(app.secret_key)).token(referral.id)
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
        "/admin/confidentialite",
        "/confidentialite",
    ]
    page.goto(f"{live_server}/login")
    problems = {"/login": accessibility_problems(page)}
    # The association's personal link, opened without an account.
    page.goto(f"{live_server}/suivi/{token}")
    expect(page.locator("h1")).to_have_text("Suivi d'une orientation")
    problems["/suivi/<token>"] = accessibility_problems(page)
    sign_in(page, live_server, "ada")
    for path in pages:
        page.goto(f"{live_server}{path}")
        expect(page.locator("main")).to_be_visible()
        problems[path] = accessibility_problems(page)
    # The rights pages after a search and after an erasure (posted forms), the simulated call's number.
    page.goto(f"{live_server}/admin/confidentialite")
    page.get_by_label("Numéro de téléphone ou adresse de courriel de la personne").fill("06 39 98 00 01")
    page.get_by_role("button", name="Chercher").click()
    expect(page.locator("#tied")).to_be_visible()
    problems["/admin/confidentialite (numéro trouvé)"] = accessibility_problems(page)
    page.get_by_label("Pour confirmer, retapez le numéro").fill("06 39 98 00 01")
    page.get_by_role("button", name="Effacer définitivement").click()
    expect(page.locator("#erased")).to_be_visible()
    problems["/admin/confidentialite/effacer"] = accessibility_problems(page)
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


def test_public_pages_have_no_serious_accessibility_violation(page: Page, live_server: str) -> None:
    """The public site at a phone's size, signed out: the request form (empty, then sent with mistakes: the
    summary of what to fix takes the focus), its thank-you page, and the service finder with results."""
    page.set_viewport_size({"width": 375, "height": 740})
    problems = {}
    for path in ("/demande", "/trouver", "/trouver?service=MAISON&commune=Ciron+%2836300%29"):
        page.goto(f"{live_server}{path}")
        expect(page.locator("main")).to_be_visible()
        problems[path] = accessibility_problems(page)
    page.goto(f"{live_server}/demande")
    page.get_by_label("La commune de la personne qui a besoin du service").fill("Ciron (36300)")
    page.get_by_role("button", name="Envoyer ma demande").click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link", name="Choisissez le service dont vous avez besoin.")).to_be_visible()
    problems["/demande (erreurs)"] = accessibility_problems(page)
    page.get_by_label("Le service dont vous avez besoin").select_option("MAISON")
    page.get_by_label("Pour un proche (parent, ami, voisin…)").check()
    page.get_by_label("Votre adresse de courriel").fill("camille.martin@example.org")
    page.get_by_label("J'accepte que mes réponses soient enregistrées").check()
    page.get_by_role("button", name="Envoyer ma demande").click()
    expect(page.get_by_role("heading", name="Merci, votre demande est envoyée")).to_be_visible()
    problems["/demande/merci"] = accessibility_problems(page)
    assert {path: found for path, found in problems.items() if found} == {}
