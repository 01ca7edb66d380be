"""Fixtures of the public site's tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from foundation.config import Config, Reports, Smtp, WebForm
from foundation.settings import Settings
from helpline.app import create_app
from tests.conftest import FakeClock

MakeClient = Callable[..., FlaskClient]


@pytest.fixture
def make_client(
    engine: Any, settings: Settings, example_config: Config, clock: FakeClock
) -> Iterator[MakeClient]:
    """Test clients of apps on the test database whose config's web_form (and SMTP server) the test sets."""
    apps: list[Flask] = []

    def make(*, smtp: Smtp | None = None, **web_form: Any) -> FlaskClient:
        update: dict[str, Any] = {"web_form": WebForm(**web_form)}
        if smtp is not None:
            update["reports"] = Reports(smtp=smtp)
        app = create_app(settings, config=example_config.model_copy(update=update), clock=clock)
        app.config["TESTING"] = True
        apps.append(app)
        return app.test_client()

    yield make
    for app in apps:
        app.extensions["helpline"].engine.dispose()
