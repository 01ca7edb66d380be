"""Faults of a SQLite database file: a write lock held by another process, a read-only or missing file."""

from __future__ import annotations

import select
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

# Another process holding the write lock: it takes it, says so, and keeps it until its stdin closes.
_LOCK_HOLDER = """
import sqlite3, sys
connection = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=10)
connection.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
sys.stdin.read()
connection.execute("ROLLBACK")
"""

FileFault = Literal["read_only", "missing"]


def companions(database: Path) -> list[Path]:
    """The database file and its WAL and shared-memory files, those that exist."""
    candidates = [
        database,
        database.with_name(database.name + "-wal"),
        database.with_name(database.name + "-shm"),
    ]
    return [path for path in candidates if path.exists()]


def is_write_locked(database: Path) -> bool:
    """Whether another connection holds the write lock now (a write transaction cannot start at once)."""
    connection = sqlite3.connect(database, isolation_level=None, timeout=0)
    try:
        connection.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as error:
        if "locked" in str(error):
            return True
        raise
    finally:
        connection.close()
    return False


class WriteLock:
    """Another writer on the SQLite file, in this process, holding its write lock until released."""

    def __init__(self, path: Path) -> None:
        self._connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._connection.execute("BEGIN IMMEDIATE")

    def release(self) -> None:
        """Commit nothing and let the others write."""
        self._connection.execute("ROLLBACK")
        self._connection.close()


@contextmanager
def write_lock_held(database: Path, *, timeout: float = 10) -> Iterator[subprocess.Popen[str]]:
    """A second process holds a write transaction (BEGIN IMMEDIATE) on `database` during the block."""
    with subprocess.Popen(
        [sys.executable, "-c", _LOCK_HOLDER, str(database)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as holder:
        assert holder.stdin is not None
        assert holder.stdout is not None
        try:
            ready, _, _ = select.select([holder.stdout], [], [], timeout)
            said = holder.stdout.readline() if ready else ""
            assert said == "locked\n", f"the lock holder did not take the lock: {said!r}"
            assert is_write_locked(database), "the lock holder says it holds the lock, but a writer gets in"
            yield holder
        finally:
            holder.stdin.close()  # the holder rolls back and exits
            try:
                holder.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                holder.kill()
                holder.wait()
        errors = holder.stderr.read() if holder.stderr else ""
    assert holder.returncode == 0, f"the lock holder failed: {errors}"


@contextmanager
def file_fault(database: Path, fault: FileFault) -> Iterator[None]:
    """`database` made read-only (its WAL and shm too) or missing during the block, then restored.

    A missing database is moved aside, with its WAL and shm files, into a sibling folder, and moved back
    after the block: the data is kept, but the server cannot find it.
    """
    files = companions(database)
    if fault == "read_only":
        modes = {path: path.stat().st_mode & 0o7777 for path in files}
        for path in files:
            path.chmod(0o444)
        try:
            yield
        finally:
            for path, mode in modes.items():
                path.chmod(mode)
        return
    aside = database.parent / f"{database.name}.aside"
    aside.mkdir()
    for path in files:
        path.rename(aside / path.name)
    try:
        yield
    finally:
        for path in files:
            (aside / path.name).replace(path)
        aside.rmdir()
