"""Shared fixtures: a real database (SQLite file, and PostgreSQL when configured), the app, the simulator."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import Engine, create_engine, make_url, text
from sqlalchemy.orm import Session, sessionmaker

from foundation.config import Config
from foundation.db import transaction
from foundation.journal import Replayed
from foundation.settings import Settings
from helpline.app import create_app, load_helpline_config
from helpline.db import make_engine, make_session_factory
from helpline.migrate import upgrade_database
from helpline.replay import replay_journal
from tests.pg_pool import PostgresqlPool
from tests.report_dataset import insert_dataset
from tests.report_mail import Mailbox, SmtpServer

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_CONFIG = ROOT / "config.yaml"
CALLER_HASH_SECRET = "test-caller-hash-secret"
AUTH_TOKEN = "test-auth-token-0123456789abcdef"
PUBLIC_URL = "https://helpline.example.org"
POSTGRESQL_URL = os.environ.get("HELPLINE_TEST_DATABASE_URL", "")
REQUIRE_POSTGRESQL = os.environ.get("HELPLINE_TEST_REQUIRE_POSTGRESQL") == "1"
# A test database's commits do not wait for the disk (6 ms each here): what a commit makes visible to
# other connections, and in what order, is unchanged; only a crash of the machine could lose the last ones,
# and no test survives that. The durability tests that kill PostgreSQL run their own cluster (pg_cluster).
QUICK_COMMITS = 'ALTER DATABASE "{database}" SET synchronous_commit = off'


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move the clock forward."""
        self.now += timedelta(seconds=seconds)


@pytest.fixture(scope="session")
def example_config() -> Config:
    """The example config.yaml shipped at the top of the project, its privacy notice off.

    The example tells callers about their data (privacy.notice: true); the suite's calls go without it, so
    that what they hear and how long they last stay the journey's alone. tests/test_privacy_notice.py
    turns it on.
    """
    config = load_helpline_config(Settings(config_path=EXAMPLE_CONFIG))
    return config.model_copy(update={"privacy": config.privacy.model_copy(update={"notice": False})})


class Templates:
    """A migrated database with the example directory, built once per test process and copied per test.

    Migrating takes 0.15 s on SQLite and 0.35 s on PostgreSQL; a copy takes a few milliseconds (a file) or
    40 (PostgreSQL's CREATE DATABASE ... TEMPLATE). Each is built by `upgrade_database` itself, so a copy
    is what a test migrating its own database would get.
    """

    def __init__(self, config: Config, folder: Path) -> None:
        self.config, self.folder = config, folder
        self._sqlite: Path | None = None
        self._postgresql: str | None = None

    def sqlite(self, target: Path) -> None:
        """Make `target` a copy of the migrated SQLite database."""
        if self._sqlite is None:
            built = self.folder / "template.sqlite3"
            self._migrate(f"sqlite:///{built}")
            self._sqlite = built
        shutil.copyfile(self._sqlite, target)

    def postgresql(self, admin: Engine, database: str) -> None:
        """Create `database` on the server as a copy of the migrated one."""
        if self._postgresql is None:
            name = f"template_{uuid.uuid4().hex[:12]}"
            with admin.connect() as connection:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
            self._migrate(make_url(POSTGRESQL_URL).set(database=name).render_as_string(hide_password=False))
            self._postgresql = name
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{database}" TEMPLATE "{self._postgresql}"'))
            connection.execute(text(QUICK_COMMITS.format(database=database)))

    def drop(self, admin: Engine | None) -> None:
        """Drop the PostgreSQL template, if one was made."""
        if self._postgresql is not None and admin is not None:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{self._postgresql}" WITH (FORCE)'))

    def _migrate(self, url: str) -> None:
        engine = make_engine(url, create=True)
        try:
            upgrade_database(engine, self.config)
        finally:
            engine.dispose()  # a template must have no connection left when it is copied


@pytest.fixture(scope="session")
def postgresql_admin() -> Iterator[Engine | None]:
    """An engine on the PostgreSQL server that creates and drops the tests' databases, if configured."""
    if not POSTGRESQL_URL:
        yield None
        return
    admin = create_engine(POSTGRESQL_URL, isolation_level="AUTOCOMMIT")
    yield admin
    admin.dispose()


@pytest.fixture(scope="session")
def templates(
    example_config: Config, tmp_path_factory: pytest.TempPathFactory, postgresql_admin: Engine | None
) -> Iterator[Templates]:
    """The migrated databases the tests' databases are copied from."""
    made = Templates(example_config, tmp_path_factory.mktemp("templates"))
    yield made
    made.drop(postgresql_admin)


@pytest.fixture(scope="session")
def postgresql_pool(postgresql_admin: Engine | None, templates: Templates) -> Iterator[PostgresqlPool | None]:
    """This test process's reusable migrated PostgreSQL databases (tests/pg_pool.py), if configured."""
    if postgresql_admin is None:
        yield None
        return
    pool = PostgresqlPool(
        postgresql_admin, POSTGRESQL_URL, lambda name: templates.postgresql(postgresql_admin, name)
    )
    yield pool
    pool.close()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])
def database_url(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    postgresql_admin: Engine | None,
    postgresql_pool: PostgresqlPool | None,
) -> Iterator[str]:
    """A database: a SQLite file, or a database of its own on the PostgreSQL server.

    Empty, unless the test also asks for `engine`: a PostgreSQL test then gets one of the pool's migrated
    databases at once (the `engine` fixture makes SQLite's copy of the template).
    """
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'helpline.sqlite3'}"
        return
    if postgresql_admin is None or postgresql_pool is None:
        if REQUIRE_POSTGRESQL:
            pytest.fail("HELPLINE_TEST_REQUIRE_POSTGRESQL=1 but HELPLINE_TEST_DATABASE_URL is not set")
        pytest.skip("set HELPLINE_TEST_DATABASE_URL to run the PostgreSQL variant")
    if "engine" in request.node.fixturenames:
        name = postgresql_pool.take()
        try:
            yield make_url(POSTGRESQL_URL).set(database=name).render_as_string(hide_password=False)
        finally:
            postgresql_pool.give_back(name)
        return
    name = f"test_{uuid.uuid4().hex[:12]}"
    with postgresql_admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
        connection.execute(text(QUICK_COMMITS.format(database=name)))
    try:
        yield make_url(POSTGRESQL_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with postgresql_admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def engine(database_url: str, templates: Templates) -> Iterator[Engine]:
    """The database migrated to the latest schema, with the example directory loaded (a template's copy).

    On PostgreSQL, `database_url` already is such a database (one of the pool's).
    """
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        assert url.database is not None
        templates.sqlite(Path(url.database))
    engine = make_engine(database_url, create=True)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    """Sessions on the test database."""
    return make_session_factory(engine)


@pytest.fixture
def october(sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    """Sessions on the database holding the hand-built month of tests/report_dataset.py."""
    with transaction(sessions) as session:
        insert_dataset(session)
    return sessions


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    """A real SMTP server on 127.0.0.1, and what it receives."""
    with SmtpServer() as received:
        yield received


@pytest.fixture
def clock() -> FakeClock:
    """A clock set on a Tuesday of November 2026 at 10:00 in Paris."""
    return FakeClock(datetime(2026, 11, 24, 9, 0, tzinfo=UTC))


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """Settings of a production-like app: signatures checked against a known token, its own journal."""
    return Settings(
        config_path=EXAMPLE_CONFIG,
        database_url=database_url,
        twilio_auth_token=AUTH_TOKEN,
        public_url=PUBLIC_URL,
        # Callers' hashes are keyed from the environment only: without it calls get no caller_key.
        caller_hash_secret=CALLER_HASH_SECRET,
        journal_dir=tmp_path / "journal",
        # Generous, so that a loaded test machine does not send writes to the journal; the tests of the
        # budget itself set their own.
        database_budget_s=10.0,
    )


@pytest.fixture
def replay(app: Flask) -> Callable[[], Replayed]:
    """Replay the app's journal into its database now (the server does it every few seconds)."""
    return lambda: replay_journal(app.extensions["helpline"])


@pytest.fixture
def app(engine: Engine, settings: Settings, example_config: Config, clock: FakeClock) -> Iterator[Flask]:
    """The helpline app on the migrated test database."""
    app = create_app(settings, config=example_config, clock=clock)
    app.config["TESTING"] = True
    yield app
    app.extensions["helpline"].engine.dispose()


@pytest.fixture
def build_app(engine: Engine, example_config: Config, clock: FakeClock) -> Iterator[Callable[..., Flask]]:
    """Build app instances on the test database, as each server process does; closed at the end."""
    built: list[Flask] = []

    def build(settings: Settings, config: Config | None = None) -> Flask:
        app = create_app(settings, config=config or example_config, clock=clock)
        app.config["TESTING"] = True
        built.append(app)
        return app

    yield build
    for app in built:
        app.extensions["helpline"].engine.dispose()
