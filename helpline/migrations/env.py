"""Alembic environment: migrates the connection it is given, or HELPLINE_DATABASE_URL."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from foundation.settings import Settings
from helpline.db import make_engine
from helpline.schema import metadata


def run_migrations(connection: Connection) -> None:
    """Run the migrations on an open connection (batch mode lets SQLite alter tables)."""
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    run_migrations(connection)
else:
    url = context.config.get_main_option("sqlalchemy.url") or Settings.from_env().database_url
    engine = make_engine(url, create=True)
    with engine.connect() as opened:
        run_migrations(opened)
    engine.dispose()
