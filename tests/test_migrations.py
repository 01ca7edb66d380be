"""The Alembic migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from helpline.migrate import alembic_config
from helpline.schema import metadata


def test_one_head() -> None:
    """Parallel branches are merged: a new database has one line of migrations to follow."""
    assert ScriptDirectory.from_config(alembic_config()).get_heads() == ["0015_partner_notices"]


def test_migrated_schema_matches_the_models(engine: Engine) -> None:
    """After `upgrade head`, autogenerate finds nothing to add, drop or change."""
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
    assert differences == []
