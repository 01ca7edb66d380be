"""SQLite's writing processes take turns on a lock file: a waiter gets it as soon as it is free, or gives
up at its deadline (the write then goes to the journal); a forked process never shares its parent's."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path

import pytest

from foundation.gate import Access, DatabaseGate, DatabaseUnavailableError, WritersLock

# Another process holding the lock until its stdin closes.
_HOLDER = """
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)
fcntl.flock(fd, fcntl.LOCK_EX)
print("held", flush=True)
sys.stdin.read()
"""


def test_a_writer_waits_for_another_process_then_gets_the_lock_at_once(tmp_path: Path) -> None:
    """Held elsewhere: the gate's write waits out its budget and is refused; released: it runs at once."""
    path = tmp_path / ".helpline.sqlite3.writers-lock"
    gate = DatabaseGate(one_writer=True, writers_lock=path)
    with subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    ) as holder:
        assert holder.stdin is not None
        assert holder.stdout is not None
        assert holder.stdout.readline() == "held\n"
        started = time.monotonic()
        with pytest.raises(DatabaseUnavailableError):
            gate.run(lambda: "written", timeout=0.3, access=Access.WRITE)
        assert 0.25 < time.monotonic() - started < 1.0
        assert gate.run(lambda: "read", timeout=0.3, access=Access.READ) == "read"  # reads take no turn
        holder.stdin.close()
        holder.wait(timeout=10)
    gate.opened()
    started = time.monotonic()
    assert gate.run(lambda: "written", timeout=1.0, access=Access.WRITE) == "written"
    assert time.monotonic() - started < 0.1


def test_a_forked_process_takes_its_own_turn(tmp_path: Path) -> None:
    """A lock taken through the parent's descriptor would be the parent's too: the child waits for it."""
    lock = WritersLock(tmp_path / "lock")
    with lock.held(time.monotonic() + 1):
        pass
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # the child: the parent holds the lock, so the child must time out
        os.close(read)
        try:
            with lock.held(time.monotonic() + 0.2):
                os.write(write, b"got it")
        except FutureTimeout:
            os.write(write, b"waited")
        os._exit(0)
    os.close(write)
    with lock.held(time.monotonic() + 1):
        os.waitpid(child, 0)
    assert os.read(read, 16) == b"waited"


def test_without_a_lock_file_writes_still_go(tmp_path: Path) -> None:
    """A folder that cannot be written (here: none): no lock, the write goes through SQLite's own waiting."""
    gate = DatabaseGate(one_writer=True, writers_lock=tmp_path / "no such folder" / "lock")
    assert gate.run(lambda: "written", timeout=1.0, access=Access.WRITE) == "written"
