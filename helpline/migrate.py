"""Creating and migrating the database, and giving a new one its reference data and example directory."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import Engine

from directory.seed import load_example_directory, sync_reference_data
from foundation.config import Config
from foundation.db import transaction
from helpline.db import make_session_factory


@dataclass(frozen=True)
class UpgradeReport:
    """What `upgrade_database` did."""

    associations_added: int


def alembic_config() -> AlembicConfig:
    """Alembic's configuration pointing at the shipped migrations."""
    config = AlembicConfig()
    config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    return config


def upgrade_database(engine: Engine, config: Config) -> UpgradeReport:
    """Migrate to the latest schema, refresh reference data, load the example directory if it is empty."""
    alembic = alembic_config()
    with engine.begin() as connection:
        alembic.attributes["connection"] = connection
        command.upgrade(alembic, "head")
    with transaction(make_session_factory(engine)) as session:
        sync_reference_data(session)
        added = load_example_directory(session, config.example_directory)
    return UpgradeReport(associations_added=added)
