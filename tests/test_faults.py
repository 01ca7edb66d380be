"""Faults of the database during calls (issue 12): no caller waits or is stranded, nothing is lost.

Each test starts a real `helpline serve`, begins one call, breaks the database (a SQLite write lock held by
another process, a read-only or missing SQLite file, a PostgreSQL cluster stopped, hung by SIGSTOP, or
with the call table locked), places more calls over HTTP, then mends it. While the database is broken,
every webhook answers valid TwiML within the database budget and the callers reach the operators or the
voicemail; /health says what is wrong. Once it is mended, the server's journal replays on its own and
every call, event and callback request of those calls is in the database exactly once.

The line is kept open by the config (every day, all day, no holidays) rather than by `helpline line open`:
that override lives in the database, which these tests break.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import psycopg
import pytest
import requests
import yaml
from sqlalchemy import select

from call_log.models import Call
from helpline.db import make_engine, make_session_factory
from ivr.simulator.call import CallSimulator, SimulatedCall
from ivr.simulator.callers import (
    DialOutcome,
    GatherPrompt,
    HangUp,
    Keys,
    RecordOutcome,
    ScriptedCaller,
    Silence,
    Speech,
)
from ivr.simulator.transports import HttpTransport, WebhookResponse
from tests.conftest import AUTH_TOKEN, EXAMPLE_CONFIG, REQUIRE_POSTGRESQL
from tests.live_server import HELPLINE, LiveServer, helpline, live_server, root_obeying_file_modes, server_env
from tests.pg_cluster import PostgresCluster, postgresql_bin_dir, throwaway_cluster
from tests.sqlite_faults import FileFault, companions, file_fault, write_lock_held
from tests.test_calls import journey

BUDGET_S = 1.0
# A webhook (or /health) answered later than this has overrun its database budget.
ANSWER_LIMIT_S = BUDGET_S + 1.0
REPLAY_INTERVAL_S = 0.5
# Upper bound for the journal to empty itself once the database is back (a few replay intervals suffice).
REPLAYED_WITHIN_S = 15.0

HELPLINE_NUMBER = "+33261911000"
CALLER_NUMBER = "+33639980001"
OPERATORS = ["+33261911001", "+33261911002"]
# Who takes a MAISON request from Ciron when the directory can be read.
MAISON_ASSOCIATION = ["+33261912001"]
ANSWER = DialOutcome("completed", duration_s=40)
NO_ANSWER = DialOutcome("no-answer")
MESSAGE_S = 20
THANKS = "Merci, votre message est enregistré. Nous vous rappellerons. Au revoir."

# The event each webhook adds to its call (the whisper itself adds none); each <Dial> adds a transfer.
EVENT_OF_WEBHOOK = {
    "/ivr/voice": "call_started",
    "/ivr/menu": "menu_input",
    "/ivr/dial-result": "dial_result",
    "/ivr/callback-number": "callback_number",
    "/ivr/voicemail": "voicemail",
    "/ivr/recording-status": "recording_status",
    "/ivr/status": "status",
}
# Twilio's callbacks, answered 204 (no TwiML); every other webhook answers 200 with TwiML.
STATUS_CALLBACKS = {"/ivr/status", "/ivr/recording-status"}
# The safety net may log that it answered a webhook; that event is about the fault, not the call.
FAULT_EVENTS = {"webhook_error"}


# --- calls ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Script:
    """A call placed during a fault: what the caller does, and whether it ends in the voicemail."""

    name: str
    inputs: tuple[Keys | Silence | Speech | HangUp, ...]
    dials: tuple[DialOutcome, ...]
    records: tuple[RecordOutcome, ...] = ()

    @property
    def leaves_a_message(self) -> bool:
        """Whether the caller ends at the voicemail and records a message."""
        return bool(self.records)

    def caller(self) -> ScriptedCaller:
        """A fresh caller playing this script."""
        return ScriptedCaller(self.inputs, self.dials, self.records)


# Chooses a service and answers the questions: needs the directory (the association) or the operators.
SERVICE = Script("service", tuple(journey("1")), (ANSWER,))
# Asks for an operator with 0, who answers.
OPERATOR = Script("operator", (Keys("0"),), (ANSWER,))
# Asks for an operator, nobody answers, confirms the callback number (if asked) and leaves a message.
VOICEMAIL = Script("voicemail", (Keys("0"), Keys("1")), (NO_ANSWER,), (RecordOutcome(MESSAGE_S),))
DURING_THE_FAULT = (SERVICE, OPERATOR, VOICEMAIL)


@dataclass(frozen=True)
class PlacedCall:
    """A script and the call the simulator placed with it."""

    script: Script
    call: SimulatedCall


class TimedTransport:
    """HTTP delivery that times every webhook and fails one not answered within ANSWER_LIMIT_S."""

    def __init__(self) -> None:
        """No request yet."""
        self._http = HttpTransport(timeout=ANSWER_LIMIT_S)
        self.timings: list[tuple[str, float]] = []

    def post(self, url: str, params: Mapping[str, str], headers: Mapping[str, str]) -> WebhookResponse:
        """POST as HttpTransport does, and keep how long the answer took."""
        started = time.monotonic()
        try:
            response = self._http.post(url, params, headers)
        except requests.Timeout:
            raise AssertionError(
                f"POST {urlsplit(url).path} gave no answer within {ANSWER_LIMIT_S} s "
                f"(database budget {BUDGET_S} s): Twilio would keep the caller waiting"
            ) from None
        self.timings.append((urlsplit(url).path, round(time.monotonic() - started, 3)))
        return response


def fault_simulator(server: LiveServer) -> CallSimulator:
    """A simulator calling `server` over HTTP from CALLER_NUMBER, timing every webhook."""
    return CallSimulator(
        TimedTransport(), base_url=server.url, auth_token=AUTH_TOKEN, to=HELPLINE_NUMBER, from_=CALLER_NUMBER
    )


class _CallerWaitingInTheMenu(ScriptedCaller):
    """A scripted caller who, at the first menu, says so and waits to be told to go on."""

    def __init__(self, script: Script, in_menu: threading.Event, go_on: threading.Event) -> None:
        super().__init__(script.inputs, script.dials, script.records)
        self._in_menu, self._go_on = in_menu, go_on

    def gather(self, prompt: GatherPrompt) -> Keys | Silence | Speech | HangUp:
        """Wait at the first Gather until go_on is set, then answer from the script."""
        if not self._in_menu.is_set():
            self._in_menu.set()
            assert self._go_on.wait(60), "the test never let the call in the menu go on"
        return super().gather(prompt)


class CallsAcrossAFault:
    """Calls around a fault: one begun before it (it waits in the menu), the others placed during it.

    Enter it before the fault, call `place()` inside the fault: the waiting call goes on and the
    DURING_THE_FAULT calls are placed at the same time; `place()` returns every call once they all ended.
    """

    def __init__(self, simulator: CallSimulator) -> None:
        """Calls to be placed by `simulator`."""
        self.simulator = simulator
        self._pool = ThreadPoolExecutor(max_workers=len(DURING_THE_FAULT) + 1)
        self._in_menu, self._go_on = threading.Event(), threading.Event()
        self._begun: Future[SimulatedCall] | None = None

    def __enter__(self) -> CallsAcrossAFault:
        """Begin the first call (an operator call) and wait until it is in the menu."""
        caller = _CallerWaitingInTheMenu(OPERATOR, self._in_menu, self._go_on)
        self._begun = self._pool.submit(self.simulator.place_call, caller)
        if not self._in_menu.wait(30):
            self.__exit__(None, None, None)
            self._begun.result(timeout=0)  # shows why the call ended before the menu, if it did
            raise AssertionError("the call begun before the fault did not reach the menu within 30 s")
        return self

    def place(self) -> list[PlacedCall]:
        """Let the waiting call go on, place the other calls, and return them all once they ended."""
        assert self._begun is not None
        self._go_on.set()
        during = [
            (script, self._pool.submit(self.simulator.place_call, script.caller()))
            for script in DURING_THE_FAULT
        ]
        placed = [PlacedCall(OPERATOR, self._begun.result(timeout=120))]
        return placed + [PlacedCall(script, future.result(timeout=120)) for script, future in during]

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self._go_on.set()
        self._pool.shutdown(wait=True)


# --- what the callers got -------------------------------------------------------------------------------


def assert_answered_in_time(simulator: CallSimulator) -> None:
    """Every webhook of the calls answered within the budget plus a second."""
    assert isinstance(simulator.transport, TimedTransport)
    late = [(path, seconds) for path, seconds in simulator.transport.timings if seconds >= ANSWER_LIMIT_S]
    assert late == [], f"webhooks answered after {ANSWER_LIMIT_S} s (budget {BUDGET_S} s)"


def recording_sids(call: SimulatedCall) -> list[str]:
    """The recordings the caller left (Twilio posts their sid to the Record action)."""
    return [
        params["RecordingSid"]
        for url, params, _status in call.requests
        if urlsplit(url).path == "/ivr/voicemail" and "RecordingSid" in params
    ]


def unexpected_statuses(call: SimulatedCall) -> list[tuple[str, int]]:
    """The requests of the call answered otherwise than Twilio expects: 204 to a callback, else 200."""
    wrong = []
    for url, _params, status in call.requests:
        path = urlsplit(url).path
        if status != (204 if path in STATUS_CALLBACKS else 200):
            wrong.append((path, status))
    return wrong


def assert_callers_helped(placed: list[PlacedCall], *, directory_readable: bool) -> None:
    """Each caller reached a human (one <Dial>) or left a message and was thanked; no request failed.

    A service request rings the operators when the directory cannot be read; when it can, it may ring
    its association instead (the design leaves that choice open while the rotation cannot be written).
    """
    reached = {}
    expected = {}
    for number, (script, call) in enumerate((p.script, p.call) for p in placed):
        key = f"{number}:{script.name}"
        reached[key] = (
            [d.numbers for d in call.dialled],
            len(recording_sids(call)),
            unexpected_statuses(call),
        )
        rings = OPERATORS
        if script is SERVICE and directory_readable and call.dialled and call.dialled[0].numbers != OPERATORS:
            rings = MAISON_ASSOCIATION
        expected[key] = ([rings], 1 if script.leaves_a_message else 0, [])
        if script.leaves_a_message:
            assert call.heard[-1] == THANKS, f"{key} was not thanked for the message: {call.heard}"
    assert reached == expected


# --- /health and the journal ----------------------------------------------------------------------------


def health(server: LiveServer) -> tuple[int, dict[str, Any]]:
    """GET /health: its status code and JSON body; fails if it does not answer within the limit."""
    try:
        response = requests.get(f"{server.url}/health", timeout=ANSWER_LIMIT_S)
    except requests.Timeout:
        raise AssertionError(
            f"GET /health gave no answer within {ANSWER_LIMIT_S} s (budget {BUDGET_S} s)"
        ) from None
    return response.status_code, response.json()


def assert_degraded(server: LiveServer, database: str, *, writes_refused: bool = True) -> None:
    """/health answers 503 'degraded' within the limit, names the database's state, counts pending writes.

    Without `writes_refused`, writes may still succeed (through connections opened before a chmod) and
    nothing need be pending: /health still says what a new connection would meet.
    """
    code, body = health(server)
    journal = body.get("journal") or {}
    seen = (code, body.get("status"), body.get("database"))
    assert seen == (503, "degraded", database), f"/health during the fault: {code} {body}"
    if not writes_refused:
        return
    assert journal.get("pending", 0) > 0, f"/health during the fault: {code} {body}"
    assert isinstance(journal["oldest_age_s"], float), body
    assert journal["oldest_age_s"] >= 0, body


def assert_writes_pending(server: LiveServer) -> None:
    """/health answers within the limit and counts writes waiting in the journal."""
    code, body = health(server)
    assert (body.get("journal") or {}).get("pending", 0) > 0, f"/health during the fault: {code} {body}"


def wait_until_replayed(server: LiveServer) -> dict[str, Any]:
    """Poll /health until the database is back and the journal is empty; fails after REPLAYED_WITHIN_S."""
    deadline = time.monotonic() + REPLAYED_WITHIN_S
    while True:
        code, body = health(server)
        if code == 200 and (body.get("journal") or {}).get("pending") == 0:
            return body
        if time.monotonic() > deadline:
            raise AssertionError(
                f"the journal was not replayed within {REPLAYED_WITHIN_S} s of the recovery: "
                f"/health {code} {body}"
            )
        time.sleep(0.1)


def journal_command(env: Mapping[str, str], action: str) -> subprocess.CompletedProcess[str]:
    """Run `helpline journal <action>` with the server's environment."""
    return subprocess.run(
        [HELPLINE, "journal", action], env=dict(env), capture_output=True, text=True, timeout=60
    )


# --- what the database holds ----------------------------------------------------------------------------


@dataclass(frozen=True)
class LoggedCall:
    """What the database holds of one call: how many rows, its summary, its events and callbacks."""

    rows: int
    status: str | None = None
    duration_s: int | None = None
    outcome: str | None = None
    events: dict[str, int] = field(default_factory=dict)
    repeated_dedup_keys: list[str] = field(default_factory=list)
    callbacks: list[tuple[str, str, int | None]] = field(default_factory=list)


def expected_record(placed: PlacedCall) -> LoggedCall:
    """What the database must hold of a call, from what the simulator saw of it."""
    call = placed.call
    events = Counter(
        EVENT_OF_WEBHOOK[path]
        for path in (urlsplit(url).path for url, _params, _status in call.requests)
        if path in EVENT_OF_WEBHOOK
    )
    events["transfer"] = len(call.dialled)
    events["transfer_accepted"] = sum(
        1
        for url, params, _status in call.requests
        if urlsplit(url).path == "/ivr/whisper-answer" and params.get("Digits") == "1"
    )
    if placed.script.leaves_a_message:
        outcome = "voicemail"
    elif call.dialled and call.dialled[-1].numbers == OPERATORS:
        outcome = "connected_operator"
    else:
        outcome = "connected_association"
    return LoggedCall(
        rows=1,
        status="completed",
        duration_s=call.duration_s,
        outcome=outcome,
        events={kind: count for kind, count in sorted(events.items()) if count},
        callbacks=[(CALLER_NUMBER, sid, MESSAGE_S) for sid in recording_sids(call)],
    )


def logged_records(database_url: str, placed: list[PlacedCall]) -> dict[str, LoggedCall]:
    """What the database holds of each placed call, by CallSid."""
    engine = make_engine(database_url)
    try:
        with make_session_factory(engine)() as session:
            found = {}
            for sid in (p.call.call_sid for p in placed):
                rows = session.scalars(select(Call).where(Call.call_sid == sid)).all()
                if len(rows) != 1:
                    found[sid] = LoggedCall(rows=len(rows))
                    continue
                [row] = rows
                events = Counter(event.kind for event in row.events if event.kind not in FAULT_EVENTS)
                keys = Counter(event.dedup_key for event in row.events if event.dedup_key is not None)
                found[sid] = LoggedCall(
                    rows=1,
                    status=row.status,
                    duration_s=row.duration_s,
                    outcome=row.outcome,
                    events=dict(sorted(events.items())),
                    repeated_dedup_keys=sorted(key for key, count in keys.items() if count > 1),
                    callbacks=[
                        (c.callback_number, c.recording_sid, c.recording_duration_s) for c in row.callbacks
                    ],
                )
            return found
    finally:
        engine.dispose()


def assert_logged_once(database_url: str, placed: list[PlacedCall]) -> None:
    """Every placed call is in the database once, with all its events and callback requests, once each."""
    found = logged_records(database_url, placed)
    wrong = {
        f"{p.script.name} call {p.call.call_sid}": {"in the database": found[sid], "expected": expected}
        for p in placed
        if found[sid := p.call.call_sid] != (expected := expected_record(p))
    }
    assert wrong == {}, "calls of the fault not logged exactly once:\n" + "\n".join(
        f"{name}:\n  in the database: {both['in the database']}\n  expected:        {both['expected']}"
        for name, both in wrong.items()
    )


def assert_recovered(server: LiveServer, database_url: str, placed: list[PlacedCall]) -> None:
    """The journal empties by itself, everything is logged once, and replaying again changes nothing."""
    body = wait_until_replayed(server)
    assert body == {
        "status": "ok",
        "database": "ok",
        "journal": {"pending": 0, "oldest_age_s": None, "stale": False},
        "scheme": "http",
    }
    assert_logged_once(database_url, placed)
    replay = journal_command(server.env, "replay")
    assert replay.returncode == 0, f"helpline journal replay: {replay.stdout}{replay.stderr}"
    status = journal_command(server.env, "status")
    assert status.returncode == 0, f"helpline journal status: {status.stdout}{status.stderr}"
    assert_logged_once(database_url, placed)


# --- servers --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def always_open_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example config.yaml with the line open every day, all day, holidays included."""
    config = yaml.safe_load(EXAMPLE_CONFIG.read_text(encoding="utf-8"))
    config["hours"] = {day: ["00:00-24:00"] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    config["calendar"] |= {"closed_on_holidays": False, "closures": []}
    path = tmp_path_factory.mktemp("config") / "config.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path


def fault_env(tmp_path: Path, database_url: str, config: Path) -> dict[str, str]:
    """A server's environment: the always-open config, a budget of BUDGET_S, a journal in tmp_path."""
    journal = tmp_path / "journal"
    journal.mkdir()
    return server_env(
        tmp_path,
        database_url,
        HELPLINE_CONFIG=str(config),
        HELPLINE_DB_BUDGET_S=str(BUDGET_S),
        HELPLINE_JOURNAL_DIR=str(journal),
        HELPLINE_JOURNAL_REPLAY_S=str(REPLAY_INTERVAL_S),
    )


@contextmanager
def healthy_server(env: Mapping[str, str], tmp_path: Path, **options: Any) -> Iterator[LiveServer]:
    """A server that answered /health 200 with an empty journal before the fault."""
    with live_server(env, log_path=tmp_path / "server.log", **options) as server:
        code, body = health(server)
        assert code == 200, f"/health before the fault: {code} {body}"
        yield server


def sqlite_database(tmp_path: Path, config: Path) -> tuple[Path, dict[str, str]]:
    """A migrated SQLite file in its own folder, and the environment of a server on it."""
    database = tmp_path / "db" / "helpline.sqlite3"
    env = fault_env(tmp_path, f"sqlite:///{database}", config)
    helpline("db", "upgrade", env=env)
    return database, env


# --- SQLite ---------------------------------------------------------------------------------------------


def test_sqlite_write_lock_held_by_another_process(tmp_path: Path, always_open_config: Path) -> None:
    """Another process holds the write lock: callers are answered in time, /health says 'locked', and
    the journal writes everything once the lock is released."""
    database, env = sqlite_database(tmp_path, always_open_config)
    with healthy_server(env, tmp_path) as server:
        simulator = fault_simulator(server)
        with CallsAcrossAFault(simulator) as calls, write_lock_held(database):
            placed = calls.place()
            assert_answered_in_time(simulator)
            # Readers are not blocked by a writer (WAL): the directory can still be read.
            assert_callers_helped(placed, directory_readable=True)
            assert_degraded(server, "locked")
        assert_recovered(server, env["HELPLINE_DATABASE_URL"], placed)


def assert_server_cannot_write(database: Path) -> None:
    """Check the fault itself: a process run as the server is cannot open the database for writing."""
    if os.geteuid() != 0:
        assert not os.access(database, os.W_OK)
        return
    probe = subprocess.run(
        [*root_obeying_file_modes(), sys.executable, "-c", f"open({str(database)!r}, 'r+b')"],
        capture_output=True,
        text=True,
    )
    assert "PermissionError" in probe.stderr, f"the server could still write {database}: {probe.stderr}"


@pytest.mark.parametrize("fault", ["read_only", "missing"])
def test_sqlite_file_read_only_or_missing(tmp_path: Path, always_open_config: Path, fault: FileFault) -> None:
    """The database file made read-only, or moved away: callers are answered in time, /health names the
    fault, no empty database is created, and the journal writes everything once the file is back."""
    database, env = sqlite_database(tmp_path, always_open_config)
    # Root ignores file modes: the server keeps root's files but loses the capabilities that ignore them.
    with healthy_server(env, tmp_path, obey_file_modes=os.geteuid() == 0) as server:
        simulator = fault_simulator(server)
        with CallsAcrossAFault(simulator) as calls, file_fault(database, fault):
            if fault == "read_only":
                assert_server_cannot_write(database)
            placed = calls.place()
            assert_answered_in_time(simulator)
            assert_callers_helped(placed, directory_readable=fault == "read_only")
            # The server's pooled connections, opened before the chmod, may go on writing: nothing is lost.
            assert_degraded(server, fault, writes_refused=fault == "missing")
            if fault == "missing":
                assert companions(database) == [], "the server created a new, empty database"
        assert_recovered(server, env["HELPLINE_DATABASE_URL"], placed)


# --- PostgreSQL -----------------------------------------------------------------------------------------

TEMPLATE = "helpline_template"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory, always_open_config: Path) -> Iterator[PostgresCluster]:
    """A throwaway PostgreSQL cluster with a migrated template database, removed at the end."""
    bin_dir = postgresql_bin_dir()
    missing = (
        "PostgreSQL's initdb is not installed (/usr/lib/postgresql/*/bin)"
        if bin_dir is None
        else "the throwaway PostgreSQL cluster needs root (to run it as the postgres user)"
        if os.geteuid() != 0
        else None
    )
    if missing is not None:
        if REQUIRE_POSTGRESQL:
            pytest.fail(f"HELPLINE_TEST_REQUIRE_POSTGRESQL=1 but {missing}")
        pytest.skip(f"{missing}: the PostgreSQL fault tests need a cluster of their own")
    assert bin_dir is not None
    with throwaway_cluster(bin_dir) as started:
        with psycopg.connect(started.url().replace("+psycopg", ""), autocommit=True) as admin:
            admin.execute(f"CREATE DATABASE {TEMPLATE}")
        home = tmp_path_factory.mktemp("pg-migrate")
        helpline("db", "upgrade", env=fault_env(home, started.url(TEMPLATE), always_open_config))
        yield started


@pytest.fixture
def pg_url(cluster: PostgresCluster) -> str:
    """A fresh database of the cluster, a copy of the migrated template."""
    name = f"faults_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(cluster.url().replace("+psycopg", ""), autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
    return cluster.url(name)


@contextmanager
def table_locked(database_url: str, table: str) -> Iterator[None]:
    """Another session holds `table` in ACCESS EXCLUSIVE mode (no read, no write) during the block."""
    with psycopg.connect(database_url.replace("+psycopg", "")) as holder:
        holder.execute(f'LOCK TABLE "{table}" IN ACCESS EXCLUSIVE MODE')  # psycopg opened a transaction
        try:
            yield
        finally:
            holder.rollback()


def pg_fault(cluster: PostgresCluster, url: str, fault: str) -> AbstractContextManager[object]:
    """The named fault of the cluster, as a context manager."""
    if fault == "stopped":
        return cluster.stopped()
    if fault == "hung":
        return cluster.frozen()
    return table_locked(url, "call")


@pytest.mark.postgresql
@pytest.mark.parametrize(
    ("fault", "database", "directory_readable"),
    [
        pytest.param("stopped", "unreachable", False, id="stopped"),
        pytest.param("hung", "timeout", False, id="sigstop"),
        # SELECT 1 still works with one table locked: /health's verdict on the database is not pinned.
        pytest.param("call_table_locked", None, True, id="call-table-locked"),
    ],
)
def test_postgresql_fault(
    cluster: PostgresCluster,
    pg_url: str,
    tmp_path: Path,
    always_open_config: Path,
    fault: str,
    database: str | None,
    directory_readable: bool,
) -> None:
    """PostgreSQL stopped (pg_ctl stop -m fast), hung (SIGSTOP of every process) or with the call table
    locked: callers are answered in time, /health says so, and once it is back the journal writes
    everything once."""
    env = fault_env(tmp_path, pg_url, always_open_config)
    with healthy_server(env, tmp_path) as server:
        simulator = fault_simulator(server)
        with CallsAcrossAFault(simulator) as calls, pg_fault(cluster, pg_url, fault):
            placed = calls.place()
            assert_answered_in_time(simulator)
            assert_callers_helped(placed, directory_readable=directory_readable)
            if database is None:
                assert_writes_pending(server)
            else:
                assert_degraded(server, database)
        assert_recovered(server, pg_url, placed)
