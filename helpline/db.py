"""Engines and session factories: how the composition root opens the database (SQLite or PostgreSQL)."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite database URL; None for another database or an in-memory one."""
    parsed = make_url(url)
    if not parsed.drivername.startswith("sqlite") or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database.removeprefix("file:"))


def make_engine(url: str, *, create: bool = False, **options: Any) -> Engine:
    """An engine for `url`; SQLite gets WAL, foreign keys and a busy timeout.

    A SQLite file is opened only if it exists, unless `create`: a mistyped or deleted database then fails
    loudly instead of coming back empty.
    """
    # A failed statement's error shows its SQL, not its values: callers' numbers stay out of the logs.
    options.setdefault("hide_parameters", True)
    path = sqlite_file(url)
    if path is not None:
        if not create and not url.startswith("sqlite:///file:"):
            url = f"sqlite:///file:{quote(str(path))}?mode=rw&uri=true"
        engine = create_engine(url, poolclass=NullPool, connect_args={"timeout": 15}, **options)
        event.listen(engine, "connect", _sqlite_pragmas)
        # pysqlite's own transaction handling breaks SAVEPOINTs; IMMEDIATE takes the write lock up front so
        # that two writers wait for each other (busy timeout) instead of failing on lock upgrade.
        event.listen(engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN IMMEDIATE"))
        return engine
    return create_engine(url, pool_pre_ping=True, **options)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit."""
    return sessionmaker(engine, expire_on_commit=False)
