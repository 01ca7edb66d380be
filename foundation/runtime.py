"""What a running app holds for its blueprints: settings, config, database sessions and the clock."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from foundation.clock import Clock
from foundation.config import Config
from foundation.gate import DatabaseGate
from foundation.journal import Journal
from foundation.settings import Settings


@dataclass(frozen=True)
class Runtime:
    """The app's shared, read-only state, built once by the app factory.

    `sessions` serve the console and the jobs. A voice webhook uses `voice_writes` and `voice_reads`
    (read-only: no write lock) through `gate`, within its database budget; what they cannot write goes to
    `journal`.
    """

    settings: Settings
    config: Config
    engine: Engine
    sessions: sessionmaker[Session]
    clock: Clock
    gate: DatabaseGate
    journal: Journal
    voice_writes: sessionmaker[Session]
    voice_reads: sessionmaker[Session]


def runtime() -> Runtime:
    """The runtime of the current Flask app."""
    found: Runtime = current_app.extensions["helpline"]
    return found
