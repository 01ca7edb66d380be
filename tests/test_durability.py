"""A locked or missing database: callers are answered within the budget, and nothing written is lost.

The app runs in this process with a short database budget; another connection holds SQLite's write lock
(as another process would: SQLite locks connections, not processes). The faults that need a real server
process, another system user or a throwaway PostgreSQL cluster are in test_faults.py.
"""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from call_log.models import Call, CallbackRequest, CallEvent, TransferAttempt
from call_log.recording import find_call
from foundation.config import Config
from foundation.journal import Replayed
from foundation.settings import Settings
from helpline.app import create_app
from helpline.cli import main
from helpline.db import budgeted, make_session_factory, sqlite_file
from helpline.replay import replay_journal, replay_round
from ivr.simulator.call import CallSimulator, SimulatedCall
from ivr.simulator.callers import (
    DialOutcome,
    DialRequest,
    GatherPrompt,
    HangUp,
    Keys,
    RecordOutcome,
    ScriptedCaller,
    Silence,
    Speech,
)
from ivr.simulator.transports import FlaskClientTransport
from tests.conftest import AUTH_TOKEN, EXAMPLE_CONFIG, PUBLIC_URL, FakeClock
from tests.report_mail import RECIPIENTS, Mailbox, mailing_config
from tests.sqlite_faults import WriteLock
from tests.test_calls import ANSWER, NO_ANSWER, OPERATORS, journey

BUDGET_S = 0.5
# What a request may take beyond the budget: the menu's own work, on a loaded test machine.
SLACK_S = 1.0
ASSOCIATION = "+33261912001"  # Brenne Aide à Domicile, home help in Ciron


class TimedTransport(FlaskClientTransport):
    """The in-process transport, timing each webhook."""

    def __init__(self, client: object) -> None:
        super().__init__(client)
        self.times: list[tuple[str, float]] = []

    def post(self, url: str, params: dict[str, str], headers: dict[str, str]):  # type: ignore[no-untyped-def]
        started = time.monotonic()
        response = super().post(url, params, headers)
        self.times.append((url.split("?")[0].removeprefix(PUBLIC_URL), time.monotonic() - started))
        return response


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """SQLite only: its write lock is what these tests hold (PostgreSQL's faults are in test_faults.py)."""
    return f"sqlite:///{tmp_path / 'helpline.sqlite3'}"


@pytest.fixture
def sqlite_url(database_url: str) -> str:
    """The SQLite database's URL."""
    return database_url


@pytest.fixture
def budget_s() -> float:
    """The webhooks' database budget."""
    return BUDGET_S


@pytest.fixture
def budget_app(
    engine: object,
    settings: Settings,
    sqlite_url: str,
    example_config: Config,
    clock: FakeClock,
    budget_s: float,
) -> Iterator[Flask]:
    """The app on the test database with a short database budget."""
    app = create_app(replace(settings, database_budget_s=budget_s), config=example_config, clock=clock)
    yield app
    app.extensions["helpline"].engine.dispose()


@pytest.fixture
def transport(budget_app: Flask) -> TimedTransport:
    """The timed transport to the app."""
    return TimedTransport(budget_app.test_client())


@pytest.fixture
def simulator(transport: TimedTransport) -> CallSimulator:
    """A simulator signing as Twilio does, through the timed transport."""
    return CallSimulator(transport, base_url=PUBLIC_URL, auth_token=AUTH_TOKEN, to="+33261911000")


@pytest.fixture
def write_lock(sqlite_url: str) -> Iterator[Callable[[], WriteLock]]:
    """Take the database's write lock (released at the end of the test if still held)."""
    held: list[WriteLock] = []

    def take() -> WriteLock:
        path = sqlite_file(sqlite_url)
        assert path is not None
        held.append(WriteLock(path))
        return held[-1]

    yield take
    for lock in held:
        with contextlib.suppress(sqlite3.ProgrammingError):  # released by the test
            lock.release()


def read(sessions: sessionmaker[Session], call_sid: str) -> Call:
    """A call with its events, transfers and callbacks."""
    with sessions() as session:
        call = find_call(session, call_sid)
        assert call is not None, f"call {call_sid} is not in the database"
        _ = call.events, call.transfers, call.callbacks
        return call


def counts(sessions: sessionmaker[Session]) -> tuple[int, int, int, int]:
    """Rows of the call log: calls, events, transfer attempts, callback requests (read without a lock)."""
    engine = sessions.kw["bind"]
    with make_session_factory(budgeted(engine, 1.0, read_only=True))() as session:
        return tuple(  # type: ignore[return-value]
            session.scalar(select(func.count()).select_from(model)) or 0
            for model in (Call, CallEvent, TransferAttempt, CallbackRequest)
        )


def journeys(simulator: CallSimulator) -> list[SimulatedCall]:
    """Three callers: one reaches an association, one the operators, one leaves a message."""
    return [
        simulator.place_call(ScriptedCaller(journey("1"), dials=[ANSWER])),
        simulator.place_call(ScriptedCaller([Keys("0")], dials=[ANSWER])),
        simulator.place_call(
            ScriptedCaller([Keys("0"), Keys("1")], dials=[NO_ANSWER], records=[RecordOutcome(duration_s=20)])
        ),
    ]


def what_is_kept(call: Call) -> tuple[object, ...]:
    """What the log keeps of a call, whatever its CallSid and ids: its summary, timeline and attempts."""
    summary = tuple(
        getattr(call, name)
        for name in (
            "caller",
            "caller_key",
            "called",
            "status",
            "outcome",
            "category_code",
            "commune_insee",
            "beneficiary",
            "association_id",
            "callback_number",
        )
    )
    timeline = tuple(event.kind for event in call.events)
    attempts = tuple((t.attempt, t.target, t.association_id, t.result) for t in call.transfers)
    callbacks = tuple(
        (c.callback_number, bool(c.recording_sid), c.recording_duration_s) for c in call.callbacks
    )
    return summary, timeline, attempts, callbacks


def test_calls_while_another_writer_holds_the_lock(
    simulator: CallSimulator,
    transport: TimedTransport,
    budget_app: Flask,
    sessions: sessionmaker[Session],
    write_lock: Callable[[], WriteLock],
) -> None:
    """Every webhook answers within the budget and reaches a human or the voicemail; nothing is lost.

    The same calls placed with the database free are the reference: once the journal is replayed, the
    log holds exactly what it would have held, and replaying again adds nothing.
    """
    reference = [what_is_kept(read(sessions, call.call_sid)) for call in journeys(simulator)]
    before = counts(sessions)
    transport.times.clear()

    lock = write_lock()
    during = journeys(simulator)

    slowest = max(seconds for _, seconds in transport.times)
    assert slowest < BUDGET_S + SLACK_S, transport.times
    # The directory is read without the write lock: the caller still reaches the association.
    assert [[d.numbers for d in call.dialled] for call in during] == [
        [[ASSOCIATION]],
        [OPERATORS],
        [OPERATORS],
    ]
    assert during[2].heard[-1] == "Merci, votre message est enregistré. Nous vous rappellerons. Au revoir."
    rt = budget_app.extensions["helpline"]
    waiting = rt.journal.backlog().pending
    assert waiting == sum(len(kept[1]) for kept in reference)  # one entry per event of the timelines
    assert counts(sessions) == before

    lock.release()
    assert replay_journal(rt) == Replayed(written=waiting, rejected=0, left=0)
    assert [what_is_kept(read(sessions, call.call_sid)) for call in during] == reference
    after = counts(sessions)
    assert after == tuple(2 * n for n in before)
    assert replay_journal(rt) == Replayed(0, 0, 0)
    assert counts(sessions) == after


def test_a_replay_made_twice_adds_nothing(
    simulator: CallSimulator,
    budget_app: Flask,
    sessions: sessionmaker[Session],
    write_lock: Callable[[], WriteLock],
    tmp_path: Path,
) -> None:
    """A replay interrupted after writing (the files still there) is replayed again: nothing is doubled."""
    lock = write_lock()
    during = journeys(simulator)
    lock.release()
    rt = budget_app.extensions["helpline"]
    saved = tmp_path / "saved"
    shutil.copytree(rt.journal.directory, saved)
    first = replay_journal(rt)
    once = counts(sessions)
    shutil.rmtree(rt.journal.directory)
    shutil.copytree(saved, rt.journal.directory)
    assert replay_journal(rt) == first
    assert counts(sessions) == once
    assert once[0] == len(during)


class ReleasingCaller(ScriptedCaller):
    """A caller whose call finds the database free again once the association's phone rings."""

    def __init__(self, lock: WriteLock, app: Flask, clock: FakeClock, inputs: list[Keys | Speech]) -> None:
        super().__init__(inputs, dials=[ANSWER])
        self.lock, self.app, self.clock = lock, app, clock

    def gather(self, prompt: GatherPrompt) -> Keys | Silence | Speech | HangUp:
        """A second passes between answers."""
        self.clock.advance(1)
        return super().gather(prompt)

    def dial(self, dial: DialRequest) -> DialOutcome | HangUp:
        """Free the database while it rings; a monitor's health check finds it back (the gate opens)."""
        self.lock.release()
        assert self.app.test_client().get("/health").status_code == 200
        self.clock.advance(1)
        return super().dial(dial)


@pytest.mark.parametrize("budget_s", [2.0])  # reads must succeed: room for a loaded test machine
def test_a_call_half_written_later_keeps_its_order(
    simulator: CallSimulator,
    budget_app: Flask,
    sessions: sessionmaker[Session],
    write_lock: Callable[[], WriteLock],
    clock: FakeClock,
) -> None:
    """The database comes back mid-call: the rest of the call follows its start into the journal.

    Written at once, the dial's result would find no attempt to end (it waits in the journal).
    """
    caller = ReleasingCaller(write_lock(), budget_app, clock, journey("1"))
    placed = simulator.place_call(caller)
    rt = budget_app.extensions["helpline"]
    kinds = [entry.data["kind"] for entry in rt.journal.entries()]
    assert kinds == [
        "call_started",
        *["menu_input"] * 4,
        "transfer",
        "transfer_accepted",
        "dial_result",
        "status",
    ]
    replay_journal(rt)
    record = read(sessions, placed.call_sid)
    assert [event.kind for event in record.events] == kinds
    assert [(t.target, t.result) for t in record.transfers] == [("association", "completed")]
    assert record.outcome == "connected_association"


def test_health_says_what_is_wrong(
    budget_app: Flask, sqlite_url: str, write_lock: Callable[[], WriteLock], tmp_path: Path
) -> None:
    """200 when the database takes writes; 503 with the reason, within the budget, when it does not."""
    client = budget_app.test_client()
    healthy = client.get("/health")
    assert (healthy.status_code, healthy.json) == (
        200,
        {
            "status": "ok",
            "database": "ok",
            "journal": {"pending": 0, "oldest_age_s": None, "stale": False},
            "scheme": "http",
        },
    )
    lock = write_lock()
    started = time.monotonic()
    locked = client.get("/health")
    assert time.monotonic() - started < BUDGET_S + SLACK_S
    assert (locked.status_code, locked.json["database"]) == (503, "locked")
    lock.release()
    assert client.get("/health").status_code == 200

    path = sqlite_file(sqlite_url)
    assert path is not None
    path.rename(tmp_path / "moved.sqlite3")
    missing = client.get("/health")
    assert (missing.status_code, missing.json["database"]) == (503, "missing")
    assert not path.exists()  # never re-created as an empty database


def test_fallback_answers_without_the_database(
    simulator: CallSimulator, transport: TimedTransport, write_lock: Callable[[], WriteLock]
) -> None:
    """Twilio's fallback URL rings the operators at once, even with the database locked."""
    write_lock()
    response = simulator.post("/ivr/fallback", {"CallSid": "CA" + "7" * 32, "ErrorCode": "11200"})
    assert response.status == 200
    assert "<Number>+33261911001</Number>" in response.body
    assert transport.times[-1][1] < 0.2


def test_the_journal_from_the_command_line(
    simulator: CallSimulator, sqlite_url: str, settings: Settings, write_lock: Callable[[], WriteLock]
) -> None:
    """`helpline journal status` says what waits; `replay` writes it, and fails while the database refuses."""
    env = {
        "HELPLINE_DATABASE_URL": sqlite_url,
        "HELPLINE_CONFIG": str(EXAMPLE_CONFIG),
        "HELPLINE_JOURNAL_DIR": str(settings.journal_path()),
        "HELPLINE_DB_BUDGET_S": str(BUDGET_S),
    }
    runner = CliRunner()
    lock = write_lock()
    simulator.place_call(ScriptedCaller([HangUp()]))
    status = runner.invoke(main, ["journal", "status"], env=env, catch_exceptions=False)
    assert status.exit_code == 0
    assert (
        "2 enregistrement(s) en attente de la base de données, le plus ancien du 24/11/2026 à 10:00:00."
        in (status.output)
    )
    assert "  1 × Appel reçu\n" in status.output
    assert "  1 × Statut de l'appel\n" in status.output
    refused = runner.invoke(main, ["journal", "replay"], env=env, catch_exceptions=False)
    assert refused.exit_code == 1
    assert "2 enregistrement(s) en attente : la base ne répond toujours pas." in refused.output
    lock.release()
    replayed = runner.invoke(main, ["journal", "replay"], env=env, catch_exceptions=False)
    assert (replayed.exit_code, replayed.output) == (
        0,
        "2 enregistrement(s) recopié(s) dans la base de données.\n",
    )
    empty = runner.invoke(main, ["journal", "status"], env=env, catch_exceptions=False)
    assert "Aucun enregistrement en attente : tout est dans la base de données." in empty.output


def test_a_budget_that_is_not_a_number_is_named(sqlite_url: str) -> None:
    """A bad HELPLINE_DB_BUDGET_S stops the command with the variable's name and what is valid."""
    env = {
        "HELPLINE_DATABASE_URL": sqlite_url,
        "HELPLINE_CONFIG": str(EXAMPLE_CONFIG),
        "HELPLINE_DB_BUDGET_S": "vite",
    }
    result = CliRunner().invoke(main, ["journal", "status"], env=env)
    assert result.exit_code == 1
    assert result.output == (
        "helpline: HELPLINE_DB_BUDGET_S doit être un nombre de secondes entre 0,2 et 10 "
        "(valeur reçue : « vite »)\n"
    )


def test_a_backlog_waiting_too_long_is_e_mailed_once(
    engine: object,
    settings: Settings,
    sqlite_url: str,
    example_config: Config,
    clock: FakeClock,
    mailbox: Mailbox,
    tmp_path: Path,
    write_lock: Callable[[], WriteLock],
) -> None:
    """Past 5 minutes of backlog, the staff get one e-mail, however many replay rounds fail after."""
    config = mailing_config(example_config, port=mailbox.port, output_dir=tmp_path / "reports")
    app = create_app(replace(settings, database_budget_s=BUDGET_S), config=config, clock=clock)
    rt = app.extensions["helpline"]
    simulator = CallSimulator(
        FlaskClientTransport(app.test_client()), base_url=PUBLIC_URL, auth_token=AUTH_TOKEN
    )
    lock = write_lock()
    simulator.place_call(ScriptedCaller([HangUp()]))
    replay_round(rt)
    assert mailbox.messages == []  # a fresh backlog is not news yet
    clock.advance(301)
    replay_round(rt)
    replay_round(rt)
    [received] = mailbox.wait(1)
    assert received.rcpt_tos == RECIPIENTS
    assert received.message["Subject"] == (
        "1001 services : le journal des appels n'est plus enregistré dans la base"
    )
    body = received.message.get_content()
    assert "Depuis le 24/11/2026 à 10:00, la base de données du 1001 services" in body
    assert "2 enregistrement(s) d'appels attendent" in body
    time.sleep(0.5)
    assert len(mailbox.messages) == 1
    lock.release()
    replay_round(rt)
    assert rt.journal.backlog().pending == 0
    app.extensions["helpline"].engine.dispose()
