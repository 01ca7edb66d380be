"""/health: whether the database is there, answers, and takes writes; and what waits in the journal.

For a load balancer or a monitor: 200 only when the database is usable, else 503, always within the
voice webhooks' database budget, and always with a JSON body that says which of these it is:
missing (a SQLite file that is not there: never re-created here), read_only, locked (another writer
holds it), unreachable (refused or gone), timeout (no answer in time), error (anything else).
The body also says the scheme the app saw the request in: behind a proxy terminating HTTPS, "http" means
the app does not trust the proxy's X-Forwarded-Proto (HELPLINE_TRUSTED_PROXIES), which `helpline doctor`
reports.
"""

from __future__ import annotations

from enum import StrEnum

from flask import Flask, Response, jsonify, request
from sqlalchemy import Engine, text

from foundation.gate import DatabaseUnavailableError
from foundation.runtime import Runtime
from helpline.db import budgeted, heal_sqlite_companions, make_engine, sqlite_file


class DatabaseState(StrEnum):
    """What /health says of the database."""

    OK = "ok"
    MISSING = "missing"
    READ_ONLY = "read_only"
    LOCKED = "locked"
    UNREACHABLE = "unreachable"
    TIMEOUT = "timeout"
    ERROR = "error"


def register_health(app: Flask, rt: Runtime) -> None:
    """Add GET /health to the app."""

    # SQLite is probed on a new connection: a pooled one keeps writing to a file made read-only since.
    url = rt.settings.database_url
    probed = make_engine(url, pooled=False) if sqlite_file(url) is not None else rt.engine

    @app.get("/health")
    def health() -> tuple[Response, int]:
        """The database's state and the journal's backlog; 503 when the database is not usable."""
        state = database_state(rt, probed)
        backlog = rt.journal.backlog()
        now = rt.clock()
        age = backlog.age_s(now)
        body = {
            "status": "ok" if state == DatabaseState.OK else "degraded",
            "database": state.value,
            "journal": {
                "pending": backlog.pending,
                "oldest_age_s": None if age is None else round(age, 1),
                "stale": backlog.is_stale(now),
            },
            "scheme": request.scheme,
        }
        return jsonify(body), 200 if state == DatabaseState.OK else 503


def database_state(rt: Runtime, probed: Engine) -> DatabaseState:
    """Try a write that is rolled back on `probed`, within the budget; what it says of the database."""
    path = sqlite_file(rt.settings.database_url)
    if path is not None and not path.exists():
        return DatabaseState.MISSING
    heal_sqlite_companions(rt.settings.database_url)
    engine = budgeted(probed, rt.settings.database_budget_s)
    try:
        rt.gate.probe(lambda: probe_writes(engine), timeout=rt.settings.database_budget_s)
    except DatabaseUnavailableError as unavailable:
        return state_of_error(unavailable)
    except Exception as error:
        return state_of_error(error)
    return DatabaseState.OK


def probe_writes(engine: Engine) -> None:
    """Try a write that is rolled back; raises what the database says when it refuses or does not answer."""
    (_sqlite_probe if engine.dialect.name == "sqlite" else _postgresql_probe)(engine)


def _sqlite_probe(engine: Engine) -> None:
    # The transaction is rolled back when the connection closes.
    with engine.connect() as connection:
        # BEGIN IMMEDIATE (see helpline.db) waits for the write lock; rewriting a header field with its
        # own value is a write that a read-only file refuses.
        version = connection.exec_driver_sql("PRAGMA user_version").scalar_one()
        connection.exec_driver_sql(f"PRAGMA user_version = {int(version)}")


def _postgresql_probe(engine: Engine) -> None:
    with engine.connect() as connection:
        if connection.execute(text("SHOW transaction_read_only")).scalar_one() == "on":
            raise PermissionError("read_only")
        # The lock every insert into the log takes: refused at once if someone holds the tables.
        connection.execute(text("LOCK TABLE call, call_event IN ROW EXCLUSIVE MODE NOWAIT"))


def state_of_error(error: BaseException) -> DatabaseState:
    """The state an error says, from its message and its cause's (driver errors are strings)."""
    causes: list[BaseException] = [error]
    while causes[-1].__cause__ is not None and len(causes) < 5:
        causes.append(causes[-1].__cause__)
    said = " ".join(f"{cause.__class__.__name__} {cause}" for cause in causes).lower()
    if isinstance(error, PermissionError) or any(isinstance(c, PermissionError) for c in causes):
        return DatabaseState.READ_ONLY
    checks = (
        (("readonly", "read-only", "read only"), DatabaseState.READ_ONLY),
        (("locked", "locknotavailable", "could not obtain lock", "lock timeout"), DatabaseState.LOCKED),
        (("did not answer", "timeout", "timed out", "canceling statement"), DatabaseState.TIMEOUT),
        (("unable to open", "no such table"), DatabaseState.MISSING),
        (
            ("connection", "refused", "could not connect", "server closed", "terminating"),
            DatabaseState.UNREACHABLE,
        ),
    )
    for words, state in checks:
        if any(word in said for word in words):
            return state
    return DatabaseState.ERROR
