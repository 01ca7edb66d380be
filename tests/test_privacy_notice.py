"""Telling callers: the greeting's privacy notice, key 9's information, and the config that guards key 9."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import yaml
from flask import Flask
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from call_log.recording import find_call
from console.accounts import create_user
from directory.reference import category_codes
from foundation.config import Config, Retention
from foundation.settings import Settings
from helpline.app import create_app
from helpline.config import ConfigError, parse_config
from ivr.simulator.call import CallSimulator
from ivr.simulator.callers import DialOutcome, Keys, ScriptedCaller, Speech
from ivr.simulator.transports import FlaskClientTransport
from ivr.speaking_time import NOTICE_ALLOWANCE_S, PATH_LIMIT_S, one_service_path, path_limit, seconds
from tests.conftest import AUTH_TOKEN, EXAMPLE_CONFIG, PUBLIC_URL, FakeClock
from tests.console.browser import PASSWORD
from tests.console.conftest import Browser

NOTICE = "Vos réponses sont enregistrées pour améliorer le service ; tapez 9 pour en savoir plus."
MENU = ["Ménage, repassage, tapez 1.", "Un conseiller, tapez 0."]


def _simulator(app: Flask) -> CallSimulator:
    return CallSimulator(
        FlaskClientTransport(app.test_client()), base_url=PUBLIC_URL, auth_token=AUTH_TOKEN, to="+33261911000"
    )


@pytest.fixture
def shipped_config() -> Config:
    """config.yaml as shipped: the notice is on."""
    return parse_config(EXAMPLE_CONFIG.read_text(encoding="utf-8"), categories=category_codes())


@pytest.fixture
def app_with_notice(
    engine: Engine, settings: Settings, shipped_config: Config, clock: FakeClock
) -> Iterator[Flask]:
    """The helpline app with the shipped config, retention periods set to 30, 15 and 60 days."""
    privacy = shipped_config.privacy.model_copy(
        update={"retention": Retention(identifying_days=30, recordings_days=15, notes_days=60)}
    )
    app = create_app(settings, config=shipped_config.model_copy(update={"privacy": privacy}), clock=clock)
    app.config["TESTING"] = True
    yield app
    app.extensions["helpline"].engine.dispose()


def test_the_shipped_config_has_the_notice_on_the_schema_off(shipped_config: Config) -> None:
    """config.yaml turns the notice on; a config that says nothing of it has it off."""
    assert (shipped_config.privacy.notice, shipped_config.privacy.notice_text) == (True, NOTICE)
    data = yaml.safe_load(EXAMPLE_CONFIG.read_text(encoding="utf-8"))
    del data["privacy"]
    assert parse_config(yaml.safe_dump(data, allow_unicode=True)).privacy.notice is False


def test_greeting_says_the_notice_and_9_informs_then_the_menu_again(
    app_with_notice: Flask, sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    """The notice follows the greeting; 9 says what is kept, for how long (from the config), the rights and
    that 0 reaches an operator, then the main menu again, where 0 still reaches one; the record's history
    says what 9 was."""
    call = _simulator(app_with_notice).place_call(
        ScriptedCaller([Keys("9"), Keys("0")], dials=[DialOutcome("completed", 30)])
    )
    heard = call.heard
    assert heard[:2] == ["Bonjour, ici le 1001 services.", NOTICE]
    information = next(text for text in heard if text.startswith("Le 1001 services garde de votre appel"))
    assert "Votre numéro est effacé au bout de 1 mois, vos messages vocaux au bout de 15 jours" in information
    assert "les notes et vos paroles au bout de 2 mois." in information
    assert "Vous pouvez demander à connaître ou à effacer vos données, ou vous opposer" in information
    assert "tapez 0 pour parler à un conseiller." in information
    after = heard[heard.index(information) + 1 :]
    assert after[after.index(MENU[0]) - 1] == "Dites ce que vous cherchez, ou tapez :"
    assert MENU[1] in after
    assert heard.count(NOTICE) == 1  # the menu said again, without the greeting
    with sessions() as session:
        record = find_call(session, call.call_sid)
        assert record is not None
        assert (record.menu_path, record.outcome) == ("9 0", "connected_operator")
        create_user(session, username="sam", password=PASSWORD, role="staff", display_name="Sam", now=clock())
        session.commit()
    staff = Browser(app_with_notice.test_client())
    assert staff.login("sam").status_code == 302
    page = staff.text(f"/calls/{record.id}").replace("&#39;", "'")
    assert "L'appelant a tapé 9 au menu principal : informations sur ses données personnelles" in page


def test_the_notice_has_its_allowance_and_the_journey_keeps_its_30_seconds(app_with_notice: Flask) -> None:
    """With the shipped notice, a one-service caller hears the journey's 30 s and the notice's 6 s at most,
    as the prompts page counts them (the notice on its own line)."""
    shipped = app_with_notice.extensions["helpline"].config
    call = _simulator(app_with_notice).place_call(
        ScriptedCaller(
            [Keys("1"), Keys("36300"), Speech("Ciron"), Keys("2")], dials=[DialOutcome("completed", 30)]
        )
    )
    path = dict(one_service_path(shipped))
    assert NOTICE in call.heard
    assert path["privacy.notice_text"] == seconds(NOTICE) <= NOTICE_ALLOWANCE_S
    assert call.spoken_seconds - path["privacy.notice_text"] <= PATH_LIMIT_S
    assert call.spoken_seconds <= path_limit(shipped) == PATH_LIMIT_S + NOTICE_ALLOWANCE_S


def test_without_the_notice_9_is_a_wrong_key(app: Flask) -> None:
    """Notice off (the suite's example config): the greeting has no notice and 9 is no choice."""
    call = _simulator(app).place_call(
        ScriptedCaller([Keys("9"), Keys("0")], dials=[DialOutcome("completed")])
    )
    assert NOTICE not in call.heard
    assert not any(text.startswith("Le 1001 services garde") for text in call.heard)
    assert "Cette touche ne correspond à aucun choix." in call.heard


def test_a_menu_option_on_9_is_refused_while_the_notice_is_on() -> None:
    """With privacy.notice on, a main-menu option on key 9 fails at start, naming the option and the key."""
    data = yaml.safe_load(EXAMPLE_CONFIG.read_text(encoding="utf-8"))
    data["menu"]["options"][5]["key"] = 9
    with pytest.raises(ConfigError) as caught:
        parse_config(yaml.safe_dump(data, allow_unicode=True), categories=category_codes())
    assert (
        "menu.options[5] : la touche 9 est gardée pour les informations sur les données personnelles "
        "(privacy.notice: true)"
    ) in str(caught.value)
    data["privacy"]["notice"] = False
    config = parse_config(yaml.safe_dump(data, allow_unicode=True), categories=category_codes())
    assert config.menu.options[5].key == "9"
