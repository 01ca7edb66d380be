"""The database gate: database work that must not keep a caller waiting, bounded in time.

A webhook has a budget of database time. Its work runs on the gate's threads and the webhook waits at most
what is left of its budget: a database that is locked, slow or hung then costs the caller that long and no
longer, whatever the driver does (a hung PostgreSQL answers no query, and no client timeout would fire).
After a failure the gate stays shut for a moment, so that the callers that follow are answered at once
instead of each waiting out its budget; then one request at a time tries again, and its success opens it.
Reads and writes have their own state: a SQLite file locked by a writer can still be read.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TypeVar

from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

logger = logging.getLogger(__name__)

T = TypeVar("T")

# What says the database itself is unusable (locked, read-only, gone, timed out), not a bug of ours.
UNUSABLE_ERRORS = (OperationalError, InterfaceError, PoolTimeout, OSError)


class Access(StrEnum):
    """What the work does: reads only, or writes."""

    READ = "read"
    WRITE = "write"


def _is_schema_error(error: BaseException) -> bool:
    """A table or column that is not there: a schema to upgrade, not a database that is down."""
    return "no such table" in str(error) or "no such column" in str(error)


class DatabaseUnavailableError(Exception):
    """The database did not do the work within the budget, or is known to be unusable right now."""


@dataclass
class _State:
    shut_until: float = 0.0
    failing: bool = False
    probing: bool = False


class WritersLock:
    """A lock file the writing processes of one SQLite database take turns on.

    SQLite's own busy handler lets a writer that finds the database locked sleep 1, 2, 5, ... up to 100 ms
    between tries, so that a write of another process that ended long ago still costs the waiter its
    sleep. The one thread of each process that writes (the gate's one writer) polls this lock every half
    millisecond instead, until its deadline. The file is opened for each write and closed after it (some
    microseconds): no descriptor is kept, none is shared with a forked child. Without the file (a folder
    that cannot be written), writes simply go to SQLite's busy handler.
    """

    POLL_S = 0.0005

    def __init__(self, path: Path) -> None:
        self._path = path
        self._warned = False

    @contextmanager
    def held(self, deadline: float) -> Iterator[None]:
        """Hold the lock for the block; FutureTimeout if another process holds it past `deadline`."""
        try:
            fd = os.open(self._path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except OSError:
            if not self._warned:
                self._warned = True
                logger.warning(
                    "No writers' lock file at %s: writes wait in SQLite's busy handler", self._path
                )
            yield
            return
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise FutureTimeout from None
                    time.sleep(self.POLL_S)
            yield
        finally:
            os.close(fd)  # and the lock with it


class DatabaseGate:
    """Runs database work on its own threads, waiting at most a given time for it."""

    def __init__(
        self,
        *,
        threads: int = 8,
        pause_s: float = 3.0,
        one_writer: bool = False,
        writers_lock: Path | None = None,
    ) -> None:
        """`threads` bounds the work in flight; after a failure the gate stays shut `pause_s` seconds.

        With `one_writer` (SQLite, which takes one writer at a time), this process's writes queue here, in
        order, rather than in SQLite's busy handler, which sleeps longer and longer while it waits; with
        `writers_lock` too, the writes of every process sharing that file take turns on it (see WritersLock).
        """
        # Reads have their own threads: they never wait behind writes queued for SQLite's one writer.
        self._executors = {
            access: ThreadPoolExecutor(max_workers=threads, thread_name_prefix=f"database-{access}")
            for access in Access
        }
        self._writer = threading.Lock() if one_writer else None
        self._writers = WritersLock(writers_lock) if one_writer and writers_lock is not None else None
        self._pause_s = pause_s
        self._lock = threading.Lock()
        self._states = {access: _State() for access in Access}
        self._abandoned: list[Future[object]] = []

    def run(self, work: Callable[[], T], *, timeout: float, access: Access = Access.WRITE) -> T:
        """What `work` returns, if it finishes within `timeout` seconds; else DatabaseUnavailableError.

        An error that says the database is unusable shuts the gate and becomes DatabaseUnavailableError; any
        other error is raised as it is. Work that timed out may still finish later: it must be idempotent.
        """
        self._admit(access)
        return self._wait(work, timeout=timeout, access=access, queue=True)

    def probe(self, work: Callable[[], T], *, timeout: float, access: Access = Access.WRITE) -> T:
        """Like `run`, even while the gate is shut and without queueing (a health check, a replay): a
        success opens the gate."""
        return self._wait(work, timeout=timeout, access=access, queue=False)

    def abandoned_work(self) -> int:
        """Work that timed out and is still running (held by a hung database): it may still finish.

        A replay waits for it to end, so that a write held up does not land after later ones.
        """
        with self._lock:
            self._abandoned = [future for future in self._abandoned if not future.done()]
            return len(self._abandoned)

    def is_failing(self, access: Access = Access.WRITE) -> bool:
        """Whether the last attempt of this kind failed."""
        with self._lock:
            return self._states[access].failing

    def opened(self) -> None:
        """The database took work again (a replay succeeded): let every request through."""
        with self._lock:
            for state in self._states.values():
                state.shut_until, state.failing, state.probing = 0.0, False, False

    def _admit(self, access: Access) -> None:
        with self._lock:
            state = self._states[access]
            if not state.failing:
                return
            if time.monotonic() < state.shut_until or state.probing:
                raise DatabaseUnavailableError(f"the database failed recently ({access})")
            state.probing = True  # this request tries again; the others wait for its outcome

    def _wait(self, work: Callable[[], T], *, timeout: float, access: Access, queue: bool) -> T:
        if timeout <= 0:
            self._settle(access, ok=False, release_only=True)
            raise DatabaseUnavailableError("no database time left for this request")
        deadline = time.monotonic() + timeout
        writer = self._writer if access == Access.WRITE and queue else None

        def one_at_a_time() -> T:
            assert writer is not None
            if not writer.acquire(timeout=max(0.0, deadline - time.monotonic())):
                raise FutureTimeout
            try:
                if self._writers is None:
                    return work()
                with self._writers.held(deadline):
                    return work()
            finally:
                writer.release()

        future = self._executors[access].submit(work if writer is None else one_at_a_time)
        try:
            result = future.result(timeout=timeout)
        except FutureTimeout:
            if not future.cancel():  # work not started yet never runs; work started may still finish
                with self._lock:
                    self._abandoned.append(future)  # type: ignore[arg-type]
            self._settle(access, ok=False)
            raise DatabaseUnavailableError(f"the database did not answer within {timeout:.2f} s") from None
        except UNUSABLE_ERRORS as error:
            if _is_schema_error(error):
                self._settle(access, ok=True)
                raise
            self._settle(access, ok=False)
            raise DatabaseUnavailableError(
                f"the database refused the work: {error.__class__.__name__}"
            ) from error
        except BaseException:
            self._settle(access, ok=True)
            raise
        self._settle(access, ok=True)
        return result

    def _settle(self, access: Access, *, ok: bool, release_only: bool = False) -> None:
        with self._lock:
            state = self._states[access]
            state.probing = False
            if release_only:
                return
            if ok:
                state.failing, state.shut_until = False, 0.0
            else:
                if not state.failing:
                    logger.warning("Database %s failed: the gate shuts for %.1f s", access, self._pause_s)
                state.failing, state.shut_until = True, time.monotonic() + self._pause_s

    def shutdown(self) -> None:
        """Stop taking work (work in flight is abandoned, not awaited)."""
        for executor in self._executors.values():
            executor.shutdown(wait=False, cancel_futures=True)
