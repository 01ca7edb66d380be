"""The journal: an append-only local store of what the database could not take, replayed once it can.

Each process appends to its own file (JSON lines, fsynced before the caller is answered), holding an
exclusive lock on it for the time of each append. Replaying locks the files it takes, so a process that
finds its file locked (being replayed) or deleted (replayed) starts a new one: nothing is appended to a
file being replayed. A file is deleted once every entry in it went into the database; what the database
refuses as wrong (not as unavailable) is set aside in `rejected.jsonl` for a person to look at, so that
it cannot block the rest.
One process replays at a time (a lock file of the directory), and it takes every file or none: a call's
writes can be spread over the files of several processes, and are only in order if all are replayed
together. Replaying must be idempotent: an entry can be replayed twice (a replay interrupted half-way).
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

logger = logging.getLogger(__name__)

SUFFIX = ".jsonl"
REJECTED = "rejected.jsonl"
# Held by the process that replays (never matches SUFFIX, so it is not a journal file).
REPLAY_LOCK = ".replay.lock"
# How long a replay waits for an append to end (a write and an fsync) before it gives up its round.
APPEND_WAIT_S = 2.0
# A backlog older than this is reported: the database has been refusing writes for a while.
STALE_AFTER_S = 300.0


@dataclass(frozen=True)
class Entry:
    """One write waiting for the database: when it was made, and what it is (JSON-compatible)."""

    at: datetime
    kind: str
    data: dict[str, Any]


@dataclass(frozen=True)
class Backlog:
    """What waits in the journal: how many entries, and since when."""

    pending: int
    oldest: datetime | None

    def age_s(self, now: datetime) -> float | None:
        """How long the oldest entry has waited."""
        return None if self.oldest is None else max(0.0, (now - self.oldest).total_seconds())

    def is_stale(self, now: datetime) -> bool:
        """Whether the oldest entry has waited longer than STALE_AFTER_S."""
        age = self.age_s(now)
        return age is not None and age > STALE_AFTER_S


@dataclass(frozen=True)
class Replayed:
    """What a replay did: entries written, set aside as rejected, and left for later."""

    written: int
    rejected: int
    left: int


class DatabaseStillUnavailableError(Exception):
    """Raised by a replay's `apply` when the database cannot take the entry now: stop, retry later."""


class Journal:
    """The journal files of one directory; this process appends to its own."""

    def __init__(self, directory: Path) -> None:
        """Keep the journal in `directory` (created if needed, on first use)."""
        self.directory = directory
        self._lock = threading.Lock()
        self._path: Path | None = None
        # The values of a data key in each file, as of its identity and size (see `holds`).
        self._values: dict[tuple[Path, str], tuple[tuple[int, int], set[str]]] = {}

    def append(self, kind: str, data: dict[str, Any], *, at: datetime) -> None:
        """Write an entry durably (fsynced) before returning; raises OSError if the disk refuses it."""
        line = (_line(Entry(at.astimezone(UTC), kind, data)) + "\n").encode()
        with self._lock:
            for _attempt in range(10):
                if self._path is None:
                    self.directory.mkdir(parents=True, exist_ok=True)
                    self._path = self._new_path()
                descriptor = os.open(self._path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
                try:
                    try:
                        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    except BlockingIOError:
                        self._path = None  # being replayed: start another file
                        continue
                    if os.fstat(descriptor).st_nlink == 0:
                        self._path = None  # replayed and deleted since the last append
                        continue
                    os.write(descriptor, line)
                    os.fsync(descriptor)
                    return
                finally:
                    os.close(descriptor)
            raise OSError(f"could not append to the journal in {self.directory}")

    def backlog(self) -> Backlog:
        """How many entries wait, in every file of the directory, and the time of the oldest."""
        waiting = self.entries()
        return Backlog(len(waiting), min((entry.at for entry in waiting), default=None))

    def entries(self) -> list[Entry]:
        """Every entry waiting, in every file of the directory, oldest first."""
        return sorted((entry for path in self._files() for entry in _read(path)), key=lambda entry: entry.at)

    def holds(self, key: str, value: str) -> bool:
        """Whether an entry waiting has `value` at `key` of its data (a call's writes keep their order).

        Costs one directory listing when nothing waits; files are read again only when they changed. A
        file only grows (a rewrite is a new file), so its inode and size say whether it changed: its mtime
        would not, as the kernel's coarse clock gives two appends a few milliseconds apart the same one.
        """
        for _listing in range(10):
            found, vanished, files = False, False, self._files()
            for gone in [cached for cached in self._values if cached[0] not in files]:
                del self._values[gone]
            for path in files:
                try:
                    status = path.stat()
                except FileNotFoundError:
                    vanished = True
                    continue
                stamp = (status.st_ino, status.st_size)
                cached = self._values.get((path, key))
                if cached is None or cached[0] != stamp:
                    cached = (stamp, {str(entry.data.get(key)) for entry in _read(path)})
                    self._values[(path, key)] = cached
                found = found or value in cached[1]
            if found or not vanished:
                return found
            # A replay rewrote or removed a file since the listing: what it kept is in a file that
            # listing missed, so look again.
        return True  # the directory never held still: say it holds, the write goes after the others

    def replay(self, apply: Callable[[Entry], None]) -> Replayed:
        """Give every entry of every file to `apply`, oldest first; delete what went in.

        Nothing to do (no file at all) costs one directory listing. While another process replays, or an
        append does not end in time, nothing is replayed: the round is left to the next one.

        `apply` raises DatabaseStillUnavailableError to stop (the rest stays for the next replay), or any
        other error to reject that entry (set aside, logged). Entries are replayed in the order they were
        made, across files.
        """
        if not self._files():
            return Replayed(0, 0, 0)
        with self._replaying() as replaying, self._claimed(replaying) as claimed:
            if claimed is None:
                return Replayed(0, 0, self.backlog().pending)  # another replay, or a long append
            entries = sorted(
                ((entry, path, index) for path in claimed for index, entry in enumerate(_read(path))),
                key=lambda item: (item[0].at, str(item[1]), item[2]),
            )
            written = rejected = 0
            for position, (entry, _path, _index) in enumerate(entries):
                try:
                    apply(entry)
                except DatabaseStillUnavailableError:
                    self._keep_from(claimed, [e for e, _, _ in entries[position:]])
                    return Replayed(written, rejected, len(entries) - position)
                except Exception:
                    logger.exception("Journal entry rejected by the database (kept in %s)", REJECTED)
                    self._reject(entry)
                    rejected += 1
                else:
                    written += 1
            for path in claimed:
                path.unlink(missing_ok=True)
            return Replayed(written, rejected, 0)

    def _new_path(self) -> Path:
        # Named by time first, so that a listing is roughly in the order files were started.
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        return self.directory / f"{stamp}-{os.getpid()}-{uuid.uuid4().hex[:8]}{SUFFIX}"

    def _files(self) -> list[Path]:
        if not self.directory.is_dir():
            return []
        return sorted(path for path in self.directory.glob(f"*{SUFFIX}") if path.name != REJECTED)

    @contextmanager
    def _replaying(self) -> Iterator[bool]:
        """Whether this process is the one replaying the directory, until the block ends."""
        self.directory.mkdir(parents=True, exist_ok=True)
        with (self.directory / REPLAY_LOCK).open("a") as lock:
            try:
                fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
            else:
                yield True

    @contextmanager
    def _claimed(self, replaying: bool) -> Iterator[list[Path] | None]:
        """Every journal file, locked by this replay until the block ends; None if one could not be.

        A file is locked by its process only for the time of an append, so it is waited for: a file left
        out could hold the first writes of a call whose next writes are in the files taken.
        """
        handles: list[tuple[Path, IO[str]]] = []
        try:
            for path in self._files() if replaying else []:
                try:
                    handle = path.open("r+", encoding="utf-8")
                except FileNotFoundError:
                    continue  # rewritten by a replay since the listing: the new file is taken next round
                handles.append((path, handle))
                if not _lock_within(handle, APPEND_WAIT_S):
                    replaying = False
                    break
            if not replaying:
                yield None
                return
            yield [path for path, handle in handles if os.fstat(handle.fileno()).st_nlink > 0]
        finally:
            for _path, held in handles:
                held.close()

    def _keep_from(self, claimed: list[Path], left: list[Entry]) -> None:
        """Rewrite the claimed files as one file holding only the entries not written yet."""
        if not left:
            return
        stamp = left[0].at.strftime("%Y%m%dT%H%M%S%f")
        target = self.directory / f"{stamp}-left-{uuid.uuid4().hex[:8]}{SUFFIX}"
        temporary = target.with_suffix(".tmp")
        with temporary.open("w", encoding="utf-8") as handle:
            for entry in left:
                handle.write(_line(entry) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        temporary.rename(target)
        for path in claimed:
            path.unlink(missing_ok=True)

    def _reject(self, entry: Entry) -> None:
        with (self.directory / REJECTED).open("a", encoding="utf-8") as handle:
            handle.write(_line(entry) + "\n")
            handle.flush()
            os.fsync(handle.fileno())


def _lock_within(handle: IO[str], seconds: float) -> bool:
    """Lock the file exclusively, waiting up to `seconds` for the process appending to it."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.005)


def _line(entry: Entry) -> str:
    return json.dumps({"at": entry.at.isoformat(), "kind": entry.kind, "data": entry.data}, default=str)


def _read(path: Path) -> Iterator[Entry]:
    """The entries of a file; a last line without its end (being written, or cut by a crash) is left out."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return
    for number, line in enumerate(text.split("\n")[:-1], start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            yield Entry(datetime.fromisoformat(raw["at"]), str(raw["kind"]), dict(raw["data"]))
        except (ValueError, KeyError, TypeError):
            logger.error("Journal %s line %d is unreadable and skipped", path.name, number)
