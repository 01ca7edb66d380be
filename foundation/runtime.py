"""What a running app holds for its blueprints: settings, config, database sessions and the clock."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from foundation.clock import Clock
from foundation.config import Config
from foundation.settings import Settings


@dataclass(frozen=True)
class Runtime:
    """The app's shared, read-only state, built once by the app factory."""

    settings: Settings
    config: Config
    engine: Engine
    sessions: sessionmaker[Session]
    clock: Clock


def runtime() -> Runtime:
    """The runtime of the current Flask app."""
    found: Runtime = current_app.extensions["helpline"]
    return found
