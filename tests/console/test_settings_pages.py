"""The settings pages through the console's forms: who may change what, refusals that name the setting in
French and keep nothing, edits that meet a change made meanwhile, and what every page says about the line."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from datetime import date, time

from flask import Flask
from sqlalchemy.orm import Session, sessionmaker

from call_log.models import Call
from console.context import opening_hours
from console.settings_pages.prompt_words import PROMPT_NAMES
from foundation.config.menu import Prompts
from foundation.db import transaction
from ivr.simulator.call import SimulatedCall
from ivr.simulator.callers import HangUp, ScriptedCaller
from ivr.staff_settings import change, history
from tests import test_journey
from tests.conftest import FakeClock
from tests.console.conftest import Browser
from tests.test_journey import PARIS, at

place = test_journey.place  # the fixture that places a call through the simulator
Place = Callable[..., tuple[SimulatedCall, Call]]
SETTINGS_PAGES = ("line", "calendar", "operators", "prompts", "menu", "history")


def _versions(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return len(history(session))


def _errors(page: str) -> list[str]:
    """The lines of the summary of what to correct."""
    summary = re.search(r'id="error-summary">(.*?)</div>', page, re.S)
    assert summary is not None, "no summary of errors on the page"
    return [
        html.unescape(re.sub(r"\s+", " ", line).strip())
        for line in re.findall(r"<li>(.*?)</li>", summary.group(1), re.S)
    ]


def test_every_prompt_has_a_french_name() -> None:
    assert {key for key in PROMPT_NAMES if key.startswith("prompts.")} == {
        f"prompts.{name}" for name in Prompts.model_fields
    }


def test_operators_reach_the_duty_page_only_and_switch_only_their_own_phone(
    as_operator: Browser,
    browser_factory: Callable[[str], Browser],
    sessions: sessionmaker[Session],
    clock: FakeClock,
    app: Flask,
) -> None:
    as_staff = browser_factory("sam")
    for page in SETTINGS_PAGES:
        assert as_operator.get(f"/settings/{page}").status_code == 403
    assert as_operator.post("/settings/line", {"mode": "closed"}, token_from="/duty").status_code == 403
    page = as_operator.text("/duty")
    assert "Mettre hors garde" not in page  # no phone is tied to olivia's account yet
    refused = as_operator.post("/duty", {"phone": "+33261911001", "on_duty": "0"}, token_from="/duty")
    assert refused.status_code == 403
    assert _versions(sessions) == 0

    config = app.extensions["helpline"].config
    with transaction(sessions) as session:
        change(
            session,
            config,
            lambda d: d["operators"][0].update(account="olivia"),
            by="sam",
            now=clock(),
            summary="",
        )
    assert "Mettre hors garde : Accueil Le Blanc" in as_operator.text("/duty")
    done = as_operator.post("/duty", {"phone": "+33261911001", "on_duty": "0"}, token_from="/duty")
    assert done.status_code == 302
    assert (
        as_operator.post("/duty", {"phone": "+33261911002", "on_duty": "0"}, token_from="/duty").status_code
        == 403
    )
    # Staff may switch any phone; with none on duty, every page says where the calls go.
    assert (
        as_staff.post("/duty", {"phone": "+33261911002", "on_duty": "0"}, token_from="/duty").status_code
        == 302
    )
    for page in ("/", "/callbacks", "/settings/prompts"):
        assert "Aucun téléphone d'opérateur n'est de garde" in as_staff.text(page)
    with sessions() as session:
        assert [v.created_by for v in history(session)] == ["sam", "olivia", "sam"]


def test_a_refused_change_names_the_setting_in_french_and_keeps_nothing(
    as_staff: Browser, sessions: sessionmaker[Session]
) -> None:
    response = as_staff.post(
        "/settings/prompts/prompts.connecting_association",
        {"text": "Je vous passe {nom}."},
        token_from="/settings/prompts",
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert _errors(page) == [
        "Messages, mise en relation avec l'association : {nom} n'est pas une partie que le menu sait dire "
        "ici (possibles : {name})"
    ]
    assert "connecting_association :" not in page
    assert "prompts." not in _errors(page)[0]

    response = as_staff.post(
        "/settings/calendar/closures",
        {"start": "2026-12-12", "end": "2026-12-10", "reason": "Inventaire", "message": "Fermé."},
        token_from="/settings/calendar",
    )
    assert response.status_code == 400
    assert _errors(response.get_data(as_text=True)) == [
        "Calendrier, fermeture 2 : la fermeture finit (2026-12-10) avant de commencer (2026-12-12)"
    ]
    response = as_staff.post(
        "/settings/operators",
        {"name": "Accueil Ciron", "phone": "02 61 91 10 01", "account": ""},
        token_from="/settings/operators",
    )
    assert _errors(response.get_data(as_text=True)) == ["Numéro : ce téléphone sonne déjà."]
    response = as_staff.post(
        "/settings/operators",
        {"name": "Accueil Ciron", "phone": "12", "account": "nobody"},
        token_from="/settings/operators",
    )
    assert _errors(response.get_data(as_text=True)) == [
        "Numéro : « 12 » n'est pas un numéro de téléphone, comme 02 61 91 10 01.",
        "Compte : ce compte n'existe pas ou est désactivé.",
    ]
    assert _versions(sessions) == 0


def test_the_last_phone_cannot_be_removed_and_an_edit_that_meets_a_change_made_meanwhile_is_not_applied(
    as_staff: Browser, sessions: sessionmaker[Session]
) -> None:
    token = "/settings/operators"
    assert (
        as_staff.post(
            "/settings/operators/change", {"was": "+33261911002", "remove": "1"}, token_from=token
        ).status_code
        == 302
    )
    refused = as_staff.post(
        "/settings/operators/change", {"was": "+33261911001", "remove": "1"}, token_from=token
    )
    assert refused.status_code == 400
    assert "il faut au moins un téléphone d'opérateur" in html.unescape(refused.get_data(as_text=True))
    assert _versions(sessions) == 1

    # Someone else removed the closure this form was showing: nothing is changed, the page says why.
    gone = as_staff.post(
        "/settings/calendar/closures/change",
        {
            "was": "2026-12-20|2026-12-21|Autre",
            "start": "2026-12-20",
            "end": "2026-12-21",
            "reason": "Autre",
            "message": "Fermé.",
        },
        token_from="/settings/calendar",
    )
    assert gone.status_code == 302
    assert "modifiée ou retirée entre-temps" in as_staff.text("/settings/calendar")
    assert _versions(sessions) == 1


def test_the_line_cannot_be_forced_until_a_past_moment(as_staff: Browser, clock: FakeClock) -> None:
    at(clock, 2026, 11, 30, 10, 0)
    response = as_staff.post(
        "/settings/line",
        {"mode": "closed", "until": "2026-11-30T09:00", "message": ""},
        token_from="/settings/line",
    )
    assert response.status_code == 400
    assert _errors(response.get_data(as_text=True)) == [
        "Cette date est déjà passée : donnez une fin à venir, ou aucune."
    ]
    assert 'id="line-forced"' not in as_staff.text("/settings/line")


def test_the_history_says_what_each_version_changed_before_and_after(as_staff: Browser) -> None:
    as_staff.post(
        "/settings/calendar/hours",
        {
            "mon": "9h-12h",
            "tue": "fermé",
            "wed": "9h-12h30 13h30-17h30",
            "thu": "9h-12h30 13h30-17h30",
            "fri": "9h-12h30 13h30-17h30",
        },
        token_from="/settings/calendar",
    )
    page = as_staff.text("/settings/history")
    rows = re.findall(r"<tr><td>(.*?)</td><td><del>(.*?)</del></td><td><ins>(.*?)</ins></td></tr>", page)
    assert rows[:2] == [
        ("Horaires, lundi", "09:00-12:30 13:30-17:30", "09:00-12:00"),
        ("Horaires, mardi", "09:00-12:30 13:30-17:30", "—"),
    ]
    assert "Horaires d&#39;ouverture" in page or "Horaires d'ouverture" in page


def test_callback_deadlines_follow_the_hours_staff_set(
    sessions: sessionmaker[Session], clock: FakeClock, app: Flask
) -> None:
    """The callbacks' working hours are the staff's, not config.yaml's."""
    config = app.extensions["helpline"].config
    with transaction(sessions) as session:
        change(
            session,
            config,
            lambda d: d.update(hours={"mon": ["09:00-10:00"]}),
            by="sam",
            now=clock(),
            summary="",
        )
    with app.test_request_context(), sessions() as session:
        week = opening_hours(session)
    spans = week.spans_on(date(2026, 11, 30))
    assert [(start.astimezone(PARIS).time(), end.astimezone(PARIS).time()) for start, end in spans] == [
        (time(9, 0), time(10, 0))
    ]
    assert week.spans_on(date(2026, 12, 1)) == []


def test_staff_open_the_line_at_night_and_give_it_back_to_its_hours(
    as_staff: Browser, clock: FakeClock, place: Place
) -> None:
    at(clock, 2026, 11, 30, 20, 0)  # a Monday evening: closed by the hours
    assert place(ScriptedCaller([HangUp()]))[0].heard[0] == "Le 1001 services est fermé en ce moment."
    opened = as_staff.post(
        "/settings/line", {"mode": "open", "until": "", "message": "ignoré"}, token_from="/settings/line"
    )
    assert opened.status_code == 302
    page = html.unescape(as_staff.text("/settings/line"))
    assert "La ligne est ouverte par l'équipe, quels que soient les horaires jusqu'à nouvel ordre." in page
    assert place(ScriptedCaller([HangUp()]))[0].heard[0] == "Bonjour, ici le 1001 services."
    as_staff.post("/settings/line", {"mode": "auto"}, token_from="/settings/line")
    assert 'id="line-forced"' not in as_staff.text("/")
    assert place(ScriptedCaller([HangUp()]))[0].heard[0] == "Le 1001 services est fermé en ce moment."
