"""The journal and the database gate: what could not be written is kept on disk, and waits are bounded."""

from __future__ import annotations

import fcntl
import multiprocessing
import os
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from call_log.models import Call
from call_log.writes import CallWrite, apply_write
from foundation import journal as journal_module
from foundation.db import transaction
from foundation.gate import Access, DatabaseGate, DatabaseUnavailableError
from foundation.journal import REJECTED, DatabaseStillUnavailableError, Entry, Journal, Replayed
from ivr.journey_writes import journey_actions
from ivr.line import caller_key

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    """A moment `seconds` after T0."""
    return T0 + timedelta(seconds=seconds)


def test_entries_survive_the_process_and_replay_once_in_order(tmp_path: Path) -> None:
    """Appended entries are on disk for a new Journal (a restart); a replay gives them oldest first, once."""
    first = Journal(tmp_path)
    first.append("call_write", {"n": 2}, at=at(2))
    first.append("call_write", {"n": 1}, at=at(1))
    other = Journal(tmp_path)  # another process, or this one after a restart
    other.append("call_write", {"n": 3}, at=at(3))

    seen: list[int] = []
    restarted = Journal(tmp_path)
    assert restarted.backlog().pending == 3
    assert restarted.backlog().oldest == at(1)
    assert restarted.replay(lambda entry: seen.append(entry.data["n"])) == Replayed(3, 0, 0)
    assert seen == [1, 2, 3]
    assert restarted.backlog().pending == 0
    assert restarted.replay(lambda entry: seen.append(entry.data["n"])) == Replayed(0, 0, 0)
    assert seen == [1, 2, 3]
    # The process that wrote before the replay goes on writing: into a new file, nothing lost.
    first.append("call_write", {"n": 4}, at=at(4))
    assert [entry.data["n"] for entry in Journal(tmp_path).entries()] == [4]


def test_a_refusing_database_keeps_the_rest_for_later(tmp_path: Path) -> None:
    """The database stops taking writes half-way: what was written goes, the rest stays, in order."""
    journal = Journal(tmp_path)
    for n in range(5):
        journal.append("call_write", {"n": n}, at=at(n))
    written: list[int] = []

    def apply(entry: Entry) -> None:
        if entry.data["n"] == 2:
            raise DatabaseStillUnavailableError("gone again")
        written.append(entry.data["n"])

    assert journal.replay(apply) == Replayed(written=2, rejected=0, left=3)
    assert [entry.data["n"] for entry in journal.entries()] == [2, 3, 4]
    assert journal.replay(lambda entry: written.append(entry.data["n"])) == Replayed(3, 0, 0)
    assert written == [0, 1, 2, 3, 4]


def test_an_entry_the_database_rejects_is_set_aside(tmp_path: Path) -> None:
    """A write the database refuses as wrong cannot block the others: it goes to rejected.jsonl."""
    journal = Journal(tmp_path)
    for n in range(3):
        journal.append("call_write", {"n": n}, at=at(n))

    def apply(entry: Entry) -> None:
        if entry.data["n"] == 1:
            raise ValueError("not a write we know")

    assert journal.replay(apply) == Replayed(written=2, rejected=1, left=0)
    assert journal.backlog().pending == 0
    assert '"n": 1' in (tmp_path / REJECTED).read_text()


def test_a_line_cut_short_is_left_out(tmp_path: Path) -> None:
    """A crash in the middle of a line (never acknowledged to the caller) does not stop the replay."""
    journal = Journal(tmp_path)
    journal.append("call_write", {"n": 1}, at=at(1))
    [path] = tmp_path.glob("*.jsonl")
    with path.open("a") as handle:
        handle.write('{"at": "2026-11-24T09:00:02+00:00", "kind": "call_wr')
    assert [entry.data for entry in journal.entries()] == [{"n": 1}]


def test_an_append_during_a_replay_goes_to_a_new_file(tmp_path: Path) -> None:
    """While a replay holds this process's file, the next entry starts another file: none is lost."""
    journal = Journal(tmp_path)
    journal.append("call_write", {"n": 1}, at=at(1))
    replaying, release = threading.Event(), threading.Event()
    replayed: list[int] = []

    def slow(entry: Entry) -> None:
        replaying.set()
        release.wait(5)
        replayed.append(entry.data["n"])

    thread = threading.Thread(target=journal.replay, args=(slow,))
    thread.start()
    assert replaying.wait(5)
    started = time.monotonic()
    journal.append("call_write", {"n": 2}, at=at(2))
    assert time.monotonic() - started < 0.5  # the append did not wait for the replay
    release.set()
    thread.join(5)
    assert replayed == [1]
    assert [entry.data["n"] for entry in journal.entries()] == [2]


def _append_many(directory: str, name: str, count: int) -> None:
    journal = Journal(Path(directory))
    for n in range(count):
        journal.append("call_write", {"who": name, "n": n}, at=at(n))


def test_processes_appending_while_another_replays_lose_nothing(tmp_path: Path) -> None:
    """Two processes append 200 entries each while this one replays again and again: 400 once each."""
    context = multiprocessing.get_context("spawn")
    writers = [context.Process(target=_append_many, args=(str(tmp_path), name, 200)) for name in "ab"]
    for writer in writers:
        writer.start()
    seen: list[tuple[str, int]] = []
    journal = Journal(tmp_path)
    while any(writer.is_alive() for writer in writers):
        journal.replay(lambda entry: seen.append((entry.data["who"], entry.data["n"])))
    for writer in writers:
        writer.join()
    journal.replay(lambda entry: seen.append((entry.data["who"], entry.data["n"])))
    assert sorted(seen) == sorted((name, n) for name in "ab" for n in range(200))


def test_the_gate_bounds_the_wait_then_answers_at_once() -> None:
    """Hung work costs its budget once; while the gate is shut, the next requests are refused at once."""
    gate = DatabaseGate(pause_s=0.5)
    hang = threading.Event()
    started = time.monotonic()
    with pytest.raises(DatabaseUnavailableError, match=r"did not answer within 0\.30 s"):
        gate.run(lambda: hang.wait(5), timeout=0.3)
    assert 0.3 <= time.monotonic() - started < 0.6
    started = time.monotonic()
    with pytest.raises(DatabaseUnavailableError, match="failed recently"):
        gate.run(lambda: "never run", timeout=1.0)
    assert time.monotonic() - started < 0.05
    # Reads have their own state: a SQLite file locked by a writer can still be read.
    assert gate.run(lambda: "read", timeout=1.0, access=Access.READ) == "read"
    time.sleep(0.55)
    assert gate.run(lambda: "back", timeout=1.0) == "back"  # one request tries again, and opens it
    assert not gate.is_failing()
    hang.set()
    gate.shutdown()


def test_the_gate_tells_an_unusable_database_from_a_bug() -> None:
    """A locked or gone database shuts the gate; a bug of ours is raised as it is and shuts nothing."""
    gate = DatabaseGate(pause_s=10)

    def locked() -> None:
        raise OperationalError("BEGIN IMMEDIATE", {}, Exception("database is locked"))

    def bug() -> None:
        raise KeyError("no such field")

    with pytest.raises(KeyError):
        gate.run(bug, timeout=1)
    assert not gate.is_failing()
    with pytest.raises(DatabaseUnavailableError, match="OperationalError"):
        gate.run(locked, timeout=1)
    assert gate.is_failing()
    # A health check probes even while the gate is shut; its success opens the gate for everyone.
    assert gate.probe(lambda: "ok", timeout=1) == "ok"
    assert gate.run(lambda: "open", timeout=1) == "open"
    gate.shutdown()


def test_holds_sees_an_append_made_within_the_same_mtime_tick(tmp_path: Path) -> None:
    """Another process's append is seen even when the file's mtime did not change (a coarse clock tick).

    The kernel stamps mtimes from a coarse clock: two appends a few milliseconds apart can leave the same
    mtime, and a call whose first write waits in the journal must still send its next writes there.
    """
    writer, reader = Journal(tmp_path), Journal(tmp_path)
    writer.append("call_write", {"call_sid": "CA1"}, at=at(1))
    assert reader.holds("call_sid", "CA1")
    (path,) = tmp_path.glob("*.jsonl")
    stamp = path.stat().st_mtime_ns
    writer.append("call_write", {"call_sid": "CA2"}, at=at(2))
    os.utime(path, ns=(stamp, stamp))  # the same tick as the first append
    assert reader.holds("call_sid", "CA2")
    assert not reader.holds("call_sid", "CA3")


def test_work_that_timed_out_before_it_started_never_runs() -> None:
    """Work still queued behind a hung one when its time runs out is dropped: the caller journals it."""
    gate = DatabaseGate(threads=1)
    hung, ran = threading.Event(), threading.Event()
    try:
        with pytest.raises(DatabaseUnavailableError):
            gate.run(hung.wait, timeout=0.1)
        with pytest.raises(DatabaseUnavailableError):
            gate.probe(ran.set, timeout=0.1)  # queued behind the hung work
        hung.set()
        time.sleep(0.2)
        assert not ran.is_set()
        assert gate.abandoned_work() == 0
    finally:
        hung.set()
        gate.shutdown()


def test_a_replay_waits_for_an_append_in_progress_and_keeps_a_calls_order(tmp_path: Path) -> None:
    """A call's first write is in one process's file, being appended to; its next one in another's file.

    Replaying the second without the first would end a transfer before it began (a burst on PostgreSQL
    numbered the operators' attempt before the associations'): the replay waits for the append.
    """
    first, second = Journal(tmp_path), Journal(tmp_path)
    first.append("call_write", {"call_sid": "CA1", "n": 1}, at=at(1))
    second.append("call_write", {"call_sid": "CA1", "n": 2}, at=at(2))
    [appending] = [path for path in tmp_path.glob("*.jsonl") if '"n": 1' in path.read_text()]
    seen: list[int] = []
    with appending.open("a") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)  # as `append` holds it while it writes and fsyncs
        releaser = threading.Timer(0.3, fcntl.flock, args=(handle.fileno(), fcntl.LOCK_UN))
        releaser.start()
        started = time.monotonic()
        replayed = Journal(tmp_path).replay(lambda entry: seen.append(entry.data["n"]))
        releaser.join()
    assert time.monotonic() - started >= 0.3
    assert (replayed, seen) == (Replayed(2, 0, 0), [1, 2])


def test_an_append_that_never_ends_leaves_the_whole_round_for_later(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file locked longer than an append takes: nothing is replayed (not the other files either)."""
    monkeypatch.setattr(journal_module, "APPEND_WAIT_S", 0.1)
    first, second = Journal(tmp_path), Journal(tmp_path)
    first.append("call_write", {"n": 1}, at=at(1))
    second.append("call_write", {"n": 2}, at=at(2))
    stuck = min(tmp_path.glob("*.jsonl"))
    seen: list[int] = []
    with stuck.open("a") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        assert Journal(tmp_path).replay(lambda entry: seen.append(entry.data["n"])) == Replayed(0, 0, 2)
    assert seen == []
    assert Journal(tmp_path).replay(lambda entry: seen.append(entry.data["n"])) == Replayed(2, 0, 0)
    assert seen == [1, 2]


def test_one_process_replays_at_a_time(tmp_path: Path) -> None:
    """Two replays at once would share the files out, and a call's writes with them: the second waits."""
    Journal(tmp_path).append("call_write", {"n": 1}, at=at(1))
    replaying, release = threading.Event(), threading.Event()

    def slow(_entry: Entry) -> None:
        replaying.set()
        release.wait(5)

    thread = threading.Thread(target=Journal(tmp_path).replay, args=(slow,))
    thread.start()
    try:
        assert replaying.wait(5)
        Journal(tmp_path).append("call_write", {"n": 2}, at=at(2))
        seen: list[int] = []
        assert Journal(tmp_path).replay(lambda entry: seen.append(entry.data["n"])) == Replayed(0, 0, 2)
        assert seen == []
    finally:
        release.set()
        thread.join(5)
    assert [entry.data["n"] for entry in Journal(tmp_path).entries()] == [2]


def test_holds_looks_again_when_a_replay_rewrites_a_file_under_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A replay keeps what is left in a new file and deletes the old ones: holds must not miss both."""
    journal = Journal(tmp_path)
    journal.append("call_write", {"call_sid": "CA1"}, at=at(1))
    listed = sorted(tmp_path.glob("*.jsonl"))
    journal.replay(_refuse)  # rewrites the entry into a new file, deletes the one listed
    stale = iter([listed])
    real_files = Journal._files
    monkeypatch.setattr(Journal, "_files", lambda self: next(stale, None) or real_files(self))
    assert Journal(tmp_path).holds("call_sid", "CA1")


def _refuse(_entry: Entry) -> None:
    raise DatabaseStillUnavailableError("still down")


def test_a_call_start_journaled_by_the_previous_version_still_keys_its_caller(
    sessions: sessionmaker[Session],
) -> None:
    """Before the caller's key went in the call's INSERT, /ivr/voice's write named the pseudonymise action
    with the number in its arguments: such an entry, replayed after an upgrade, still keys the caller."""
    number = "+33639980042"
    data = {
        "call_sid": "CA" + "7" * 32,
        "kind": "call_started",
        "payload": {"caller": "+336******42", "to": "+33261911000", "line": "open"},
        "dedup_key": "call_started",
        "opening": {"caller": "+336******42", "caller_country": "FR", "called": "+33261911000"},
        "summary": {"caller_area": "FR-36", "after_hours": False},
        "action": "pseudonymise",
        "args": {"number": number},
    }
    with transaction(sessions) as session:
        applied = apply_write(
            session, CallWrite.from_data(data, at=T0), journey_actions(caller_key_secret="a-secret")
        )
        assert applied is not None
    with sessions() as session:
        call = session.scalars(select(Call)).one()
        assert (call.caller_key, call.caller_area) == (caller_key(number, secret="a-secret"), "FR-36")
