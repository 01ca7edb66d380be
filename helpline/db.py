"""Engines and session factories: how the composition root opens the database (SQLite or PostgreSQL)."""

from __future__ import annotations

import os
import stat
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import Connection, Engine, create_engine, event, make_url
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry, NullPool


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite database URL; None for another database or an in-memory one."""
    parsed = make_url(url)
    if not parsed.drivername.startswith("sqlite") or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database.removeprefix("file:"))


# Execution options of the sessions a voice webhook uses (see `budgeted`).
BUDGET_OPTION = "helpline_budget_s"
READ_ONLY_OPTION = "helpline_read_only"
# The share of a time budget spent waiting for a lock: the wait ends in the lock's own error (locked), not
# in the gate's timeout (no answer), and the gate's thread is free again in time.
LOCK_SHARE = 0.8
# How long an ordinary transaction (console, commands) waits for SQLite's write lock.
SQLITE_BUSY_TIMEOUT_S = 15


def heal_sqlite_companions(url: str) -> list[Path]:
    """Give the WAL and shared-memory files of a SQLite database its mode back, if they lost write.

    Made while the database file was read-only, they keep that mode; SQLite then stays read-only after
    the file is made writable again, until someone notices. Returns the files healed.
    """
    database = sqlite_file(url)
    if database is None:
        return []
    try:
        mode = database.stat().st_mode & 0o777
    except OSError:
        return []
    if not mode & stat.S_IWUSR:
        return []
    healed = []
    for suffix in ("-wal", "-shm"):
        companion = database.with_name(database.name + suffix)
        try:
            found = companion.stat()
            if not found.st_mode & stat.S_IWUSR and found.st_uid == os.geteuid():
                companion.chmod(mode)
                healed.append(companion)
        except OSError:
            continue
    return healed


def make_engine(url: str, *, create: bool = False, pooled: bool = False, **options: Any) -> Engine:
    """An engine for `url`; SQLite gets WAL, foreign keys and a busy timeout.

    A SQLite file is opened only if it exists, unless `create`: a mistyped or deleted database then fails
    loudly instead of coming back empty. With `pooled` (the server's app), its connections are kept
    (opening one, and the WAL checkpoint when the last one closes, cost more than the statements of a
    webhook), and a pooled connection is dropped when the file it was opened on is no longer at that
    path: writes never go to a file that was moved or deleted. Without, each use opens a connection (a
    command, or a health check: does the file take writes for a new connection?).
    Connections with the BUDGET_OPTION wait for locks at most that long (SQLite's busy timeout;
    PostgreSQL's statement and lock timeouts); with READ_ONLY_OPTION, a SQLite transaction does not take
    the write lock.
    """
    # A failed statement's error shows its SQL, not its values: callers' numbers stay out of the logs.
    options.setdefault("hide_parameters", True)
    path = sqlite_file(url)
    if path is not None:
        if not create and not url.startswith("sqlite:///file:"):
            url = f"sqlite:///file:{quote(str(path))}?mode=rw&uri=true"
        pool: dict[str, Any] = (
            {"pool_size": 8, "max_overflow": 16, "pool_timeout": 5} if pooled else {"poolclass": NullPool}
        )
        engine = create_engine(
            url,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S, "check_same_thread": False},
            **pool,
            **options,
        )
        event.listen(engine, "connect", _sqlite_connected(path))
        event.listen(engine, "checkout", _same_sqlite_file(path))
        event.listen(engine, "begin", _sqlite_begin)
        event.listen(engine, "handle_error", _drop_read_only_connections)
        # Kept connections are closed when the engine goes, not left to the garbage collector.
        weakref.finalize(engine, engine.pool.dispose)
        return engine
    # No ping before each use (a round trip per request): a connection the server dropped fails its
    # statement, the pool then opens new ones, and a webhook's write goes to the journal meanwhile.
    engine = create_engine(url, pool_recycle=3600, connect_args={"connect_timeout": 5}, **options)
    event.listen(engine, "begin", _postgresql_begin)
    return engine


def budgeted(engine: Engine, seconds: float, *, read_only: bool = False) -> Engine:
    """The engine for work given `seconds` in all (and, read-only, taking no lock).

    Its transactions wait for a lock LOCK_SHARE of that: the wait ends in the lock's own error, before the
    gate gives up on the work.
    """
    return engine.execution_options(**{BUDGET_OPTION: seconds * LOCK_SHARE, READ_ONLY_OPTION: read_only})


def _file_identity(path: Path) -> tuple[int, int] | None:
    try:
        found = path.stat()
    except OSError:
        return None
    return found.st_dev, found.st_ino


def _sqlite_connected(path: Path) -> Callable[[Any, ConnectionPoolEntry], None]:
    def connected(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        _sqlite_pragmas(dbapi_connection)
        record.info["file"] = _file_identity(path)

    return connected


def _same_sqlite_file(path: Path) -> Callable[[Any, ConnectionPoolEntry, Any], None]:
    def checkout(_dbapi_connection: Any, record: ConnectionPoolEntry, _proxy: Any) -> None:
        if record.info.get("file") != _file_identity(path):
            # The pool drops this connection and opens another, which fails if the file is gone.
            raise DisconnectionError(f"{path} is not the file this connection was opened on")

    return checkout


def _drop_read_only_connections(context: ExceptionContext) -> None:
    """A connection opened while the file was read-only stays so: the pool drops it, like a lost one."""
    if "readonly database" in str(context.original_exception):
        context.is_disconnect = True


def _sqlite_begin(connection: Connection) -> None:
    options = connection.get_execution_options()
    budget = options.get(BUDGET_OPTION)
    milliseconds = int(float(budget) * 1000) if budget else SQLITE_BUSY_TIMEOUT_S * 1000
    info = connection.connection.info
    if info.get("busy_timeout_ms") != milliseconds:  # pooled connections serve both kinds of session
        connection.exec_driver_sql(f"PRAGMA busy_timeout = {milliseconds}")
        info["busy_timeout_ms"] = milliseconds
    # pysqlite's own transaction handling breaks SAVEPOINTs; IMMEDIATE takes the write lock up front so
    # that two writers wait for each other (busy timeout) instead of failing on lock upgrade. A read-only
    # transaction takes no lock: with WAL it reads while another process writes.
    connection.exec_driver_sql("BEGIN" if options.get(READ_ONLY_OPTION) else "BEGIN IMMEDIATE")


def _postgresql_begin(connection: Connection) -> None:
    budget = connection.get_execution_options().get(BUDGET_OPTION)
    milliseconds = str(max(1, int(float(budget) * 1000))) if budget else "0"  # 0: no limit
    info = connection.connection.info
    if info.get("timeouts_ms") != milliseconds:
        # For the connection's session, not the transaction: a pooled connection pays this round trip
        # only when it goes from a console session to a webhook's, or back.
        connection.exec_driver_sql(
            "SELECT set_config('statement_timeout', %(ms)s, false),"
            " set_config('lock_timeout', %(ms)s, false)",
            {"ms": milliseconds},
        )
        info["timeouts_ms"] = milliseconds


def _sqlite_pragmas(dbapi_connection: Any) -> None:
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit."""
    return sessionmaker(engine, expire_on_commit=False)
