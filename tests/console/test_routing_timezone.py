"""The console proposes associations by their hours read in the helpline's timezone (config.yaml)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from flask import Flask
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from call_log.record import open_manual_contact
from foundation.config import Config
from foundation.db import transaction
from foundation.settings import Settings
from helpline.app import create_app
from tests.conftest import FakeClock
from tests.console.conftest import Browser
from tests.directory_support import replace_directory
from tests.test_directory_routing import HOURS

# 18:30 in Paris, when every association of HOURS is closed but "Sans horaires"; 14:30 in Cayenne.
TUESDAY_17H30_UTC = datetime(2026, 11, 24, 17, 30, tzinfo=UTC)
_PROPOSED = re.compile(r'<optgroup label="Proposées pour ce service et cette commune">(.*?)</optgroup>', re.S)


@pytest.fixture(params=["Europe/Paris", "America/Cayenne"])
def timezone(request: pytest.FixtureRequest) -> str:
    """The helpline's timezone in config.yaml."""
    return str(request.param)


@pytest.fixture
def app(
    engine: Engine, settings: Settings, example_config: Config, clock: FakeClock, timezone: str
) -> Iterator[Flask]:
    """The helpline app with config.yaml's helpline.timezone set to `timezone`."""
    helpline = example_config.helpline.model_copy(update={"timezone": timezone})
    app = create_app(settings, config=example_config.model_copy(update={"helpline": helpline}), clock=clock)
    app.config["TESTING"] = True
    yield app
    app.extensions["helpline"].engine.dispose()


def test_referral_candidates_follow_the_helplines_timezone(
    as_staff: Browser, sessions: sessionmaker[Session], clock: FakeClock, timezone: str
) -> None:
    """At 17:30 UTC only the association without hours is open in Paris; in Cayenne, Matin's ironing too."""
    clock.now = TUESDAY_17H30_UTC
    with transaction(sessions) as session:
        replace_directory(session, HOURS)
        call = open_manual_contact(
            session, channel="phone", started_at=clock.now, caller="", by="sam", now=clock.now
        )
        call.category_code, call.commune_insee = "MAISON.LINGE", "36018"
        call_id = call.id

    page = as_staff.text(f"/calls/{call_id}")

    proposed = _PROPOSED.search(page)
    assert proposed is not None
    names = re.findall(r"<option [^>]*>([^<]+)</option>", proposed.group(1))
    assert (
        names == {"Europe/Paris": ["Sans horaires"], "America/Cayenne": ["Matin", "Sans horaires"]}[timezone]
    )
