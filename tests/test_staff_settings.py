"""Settings staff change while the line runs: kept as versions, heard from the next call, restorable."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from sqlalchemy.orm import Session, sessionmaker

from call_log.models import Call
from foundation.config import Config
from foundation.config.staff import staff_document
from foundation.db import transaction
from ivr.simulator.call import SimulatedCall
from ivr.simulator.callers import DialOutcome, HangUp, Keys, ScriptedCaller
from ivr.staff_settings import SettingsRefusedError, change, head, history, restore, save
from ivr.webhooks.settings import warm
from tests import test_journey
from tests.conftest import FakeClock
from tests.test_journey import at

Place = Callable[..., tuple[SimulatedCall, Call]]
place = test_journey.place  # the fixture that places a call through the simulator


def _change(
    sessions: sessionmaker[Session], config: Config, clock: FakeClock, edit: Callable[[dict[str, Any]], None]
) -> int:
    with transaction(sessions) as session:
        return change(session, config, edit, by="equipe", now=clock(), summary="test").id


def test_a_changed_greeting_is_heard_by_the_next_call_and_restoring_brings_it_back(
    place: Place, app: Flask, clock: FakeClock, sessions: sessionmaker[Session]
) -> None:
    at(clock, 2026, 11, 30, 10, 0)
    config: Config = app.extensions["helpline"].config
    result, _ = place(ScriptedCaller([HangUp()]))
    assert result.heard[0] == "Bonjour, ici le 1001 services."

    first = _change(sessions, config, clock, lambda d: d["menu"].update(greeting="Bonjour, ici Brenne."))
    result, _ = place(ScriptedCaller([HangUp()]))
    assert result.heard[0] == "Bonjour, ici Brenne."

    with transaction(sessions) as session:
        restored = restore(session, config, first, by="equipe", now=clock())
        assert restored.restored_from == first
    _change(sessions, config, clock, lambda d: d["menu"].update(greeting="Salut."))
    assert place(ScriptedCaller([HangUp()]))[0].heard[0] == "Salut."
    with transaction(sessions) as session:
        restore(session, config, first, by="equipe", now=clock())
        assert [version.summary for version in history(session)][:2] == [
            f"Retour à la version {first}",
            "test",
        ]
    assert place(ScriptedCaller([HangUp()]))[0].heard[0] == "Bonjour, ici Brenne."


def test_an_operator_off_duty_is_not_rung(
    place: Place, app: Flask, clock: FakeClock, sessions: sessionmaker[Session]
) -> None:
    at(clock, 2026, 11, 30, 10, 0)
    config: Config = app.extensions["helpline"].config
    result, _ = place(ScriptedCaller([Keys("0")], dials=[DialOutcome("completed", 5)]))
    assert result.dialled[0].numbers == ["+33261911001", "+33261911002"]

    _change(sessions, config, clock, lambda d: d["operators"][0].update(on_duty=False))
    result, _ = place(ScriptedCaller([Keys("0")], dials=[DialOutcome("completed", 5)]))
    assert result.dialled[0].numbers == ["+33261911002"]

    _change(sessions, config, clock, lambda d: d["operators"][1].update(on_duty=False))
    result, _ = place(ScriptedCaller([Keys("0"), HangUp()]))
    assert result.dialled == []
    assert "Nos conseillers sont tous occupés." in result.heard


def test_a_closure_added_by_staff_is_heard_that_day(
    place: Place, app: Flask, clock: FakeClock, sessions: sessionmaker[Session]
) -> None:
    at(clock, 2026, 11, 30, 10, 0)
    config: Config = app.extensions["helpline"].config
    closure = {"start": "2026-11-30", "end": "2026-11-30", "reason": "Deuil", "message": "Fermé ce jour."}
    _change(sessions, config, clock, lambda d: d["calendar"]["closures"].append(closure))
    result, _ = place(ScriptedCaller([HangUp()]))
    assert result.heard[0] == "Fermé ce jour."


@pytest.mark.parametrize(
    ("edit", "problem"),
    [
        (
            lambda d: d["menu"]["options"].append(
                {"key": "7", "say": "Autre, tapez 7.", "category": "MAISON"}
            ),
            "menu.options : un menu propose au plus 6 choix énoncés, pas 7",
        ),
        (
            lambda d: d["hours"].update(mon=["12:00-09:00"]),
            "hours.mon : « 12:00-09:00 » finit avant de commencer",
        ),
        (lambda d: d["menu"]["options"][0].update(category="NOPE"), "« NOPE » n'est pas une catégorie"),
    ],
)
def test_an_invalid_change_is_refused_and_names_the_setting(
    app: Flask,
    clock: FakeClock,
    sessions: sessionmaker[Session],
    edit: Callable[[dict[str, Any]], None],
    problem: str,
) -> None:
    config: Config = app.extensions["helpline"].config
    with pytest.raises(SettingsRefusedError) as refused, transaction(sessions) as session:
        change(session, config, edit, by="equipe", now=clock(), summary="test")
    assert problem in "\n".join(refused.value.problems)
    with sessions() as session:
        assert history(session) == []


def test_a_version_that_no_longer_validates_is_skipped_for_the_last_good_one(
    place: Place, app: Flask, clock: FakeClock, sessions: sessionmaker[Session]
) -> None:
    at(clock, 2026, 11, 30, 10, 0)
    config: Config = app.extensions["helpline"].config
    _change(sessions, config, clock, lambda d: d["menu"].update(greeting="Bonjour, bonne version."))
    with transaction(sessions) as session:
        bad = save(session, config, staff_document(config), by="equipe", now=clock(), summary="test")
        bad.document = {"menu": {"options": []}}  # as if a later schema refused it
    result, _ = place(ScriptedCaller([HangUp()]))
    assert result.heard[0] == "Bonjour, bonne version."


def test_a_server_process_loads_the_settings_at_start(
    app: Flask, sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    """A worker compiles what calls hear before its first call, not during it."""
    config: Config = app.extensions["helpline"].config
    _change(sessions, config, clock, lambda d: d["menu"].update(greeting="Bonjour, ici Brenne."))
    warm(app)
    cache = app.extensions["ivr.settings"]
    with sessions() as session:
        number = head(session)

    def loaded_again() -> Any:
        raise AssertionError("the settings were loaded again by the first call")

    assert cache.get(number, loaded_again).config.menu.greeting == "Bonjour, ici Brenne."
