"""A throwaway PostgreSQL cluster that a test starts, stops, freezes and removes itself.

The cluster runs as the `postgres` system user (PostgreSQL refuses to run as root) in a directory of its
own under the system's temporary folder: pytest's tmp_path is private to root, so postgres could not
enter it. It listens on 127.0.0.1 on a free port and trusts local connections; fsync is off, since
nothing in it needs to survive a crash of the machine.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from glob import glob
from pathlib import Path

from tests.live_server import free_port

SYSTEM_USER = "postgres"


def postgresql_bin_dir() -> Path | None:
    """The folder of the newest installed PostgreSQL's initdb and pg_ctl, or None if there is none."""
    found = sorted(glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda path: int(Path(path).parts[4]))
    return Path(found[-1]).parent if found else None


@dataclass
class PostgresCluster:
    """A running cluster: where it lives, its port, and how to break and mend it."""

    bin_dir: Path
    root: Path  # owned by postgres: the data directory, the socket and the server's log are inside
    port: int

    @property
    def data_dir(self) -> Path:
        """The cluster's data directory (PGDATA)."""
        return self.root / "data"

    @property
    def log_path(self) -> Path:
        """What the postmaster printed."""
        return self.root / "postgresql.log"

    def url(self, database: str = "postgres") -> str:
        """The SQLAlchemy URL of `database` on this cluster, as the superuser."""
        return f"postgresql+psycopg://{SYSTEM_USER}@127.0.0.1:{self.port}/{database}"

    def pg_ctl(self, *args: str, timeout: float = 60) -> None:
        """Run pg_ctl on this cluster as postgres; raises with the server's log if it fails."""
        command = ["runuser", "-u", SYSTEM_USER, "--", str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir)]
        result = subprocess.run([*command, *args], capture_output=True, text=True, timeout=timeout)
        if result.returncode != 0:
            raise RuntimeError(
                f"pg_ctl {' '.join(args)} failed:\n{result.stdout}{result.stderr}\n{self.log()}"
            )

    def start(self) -> None:
        """Start the cluster and wait until it accepts connections."""
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1"
        self.pg_ctl("start", "--wait", "--log", str(self.log_path), "-o", options)

    def stop(self, mode: str = "fast") -> None:
        """Stop the cluster (`fast`: abort open transactions and disconnect clients)."""
        self.pg_ctl("stop", "--wait", "-m", mode)

    def is_running(self) -> bool:
        """Whether a postmaster of this cluster is alive."""
        return self.postmaster_pid() is not None

    def postmaster_pid(self) -> int | None:
        """The postmaster's pid, from postmaster.pid, if that process is alive."""
        try:
            pid = int((self.data_dir / "postmaster.pid").read_text().split("\n", 1)[0])
        except (FileNotFoundError, ValueError):
            return None
        return pid if Path(f"/proc/{pid}").exists() else None

    def processes(self) -> list[int]:
        """The postmaster and every process it forked (backends, checkpointer, WAL writer...)."""
        postmaster = self.postmaster_pid()
        if postmaster is None:
            return []
        return [postmaster, *_children(postmaster)]

    @contextmanager
    def stopped(self) -> Iterator[None]:
        """The cluster shut down (`pg_ctl stop -m fast`) inside the block, started again after it."""
        self.stop("fast")
        try:
            yield
        finally:
            self.start()

    @contextmanager
    def frozen(self) -> Iterator[list[int]]:
        """Every process of the cluster SIGSTOPped inside the block (a hung server), SIGCONTinued after.

        The block receives the pids; each is checked to be really stopped (state T) before it runs, so
        that a test cannot pass because the fault never happened.
        """
        postmaster = self.postmaster_pid()
        assert postmaster is not None, "the cluster is not running: nothing to freeze"
        # The postmaster first: once it is stopped it forks no new backend, so the list below is complete.
        os.kill(postmaster, signal.SIGSTOP)
        pids = self.processes()
        for pid in pids:
            os.kill(pid, signal.SIGSTOP)
        try:
            _wait_for(lambda: all(_state(pid) in {"T", None} for pid in pids), "the cluster to stop", 5)
            yield pids
        finally:
            for pid in pids:
                _signal_if_alive(pid, signal.SIGCONT)


def _children(parent: int) -> list[int]:
    """The pids whose parent is `parent` (from /proc/<pid>/stat, field 4)."""
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        if int(fields[1]) == parent:
            children.append(int(stat.parent.name))
    return children


def _state(pid: int) -> str | None:
    """The process state letter (R, S, T...) of `pid`, or None if it has exited."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return None


def _signal_if_alive(pid: int, signum: signal.Signals) -> None:
    with suppress(ProcessLookupError):
        os.kill(pid, signum)


def _wait_for(condition: Callable[[], bool], what: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


@contextmanager
def throwaway_cluster(bin_dir: Path) -> Iterator[PostgresCluster]:
    """initdb a new cluster, start it, and at the end stop it (immediately) and delete it, even on failure."""
    root = Path(tempfile.mkdtemp(prefix="helpline-pg-"))
    shutil.chown(root, SYSTEM_USER, SYSTEM_USER)
    cluster = PostgresCluster(bin_dir, root, free_port())
    try:
        subprocess.run(
            [
                "runuser", "-u", SYSTEM_USER, "--", str(bin_dir / "initdb"),
                "-D", str(cluster.data_dir), "--auth=trust", "--username", SYSTEM_USER,
                "--encoding=UTF8", "--locale=C", "--no-sync",
            ],
            capture_output=True, text=True, timeout=120, check=True,
        )  # fmt: skip
        with (cluster.data_dir / "postgresql.conf").open("a") as conf:
            conf.write(
                "fsync = off\nfull_page_writes = off\nsynchronous_commit = off\nmax_connections = 50\n"
            )
        cluster.start()
        yield cluster
    finally:
        # A frozen cluster cannot even be stopped: wake it first, then stop it without waiting for clients.
        for pid in cluster.processes():
            _signal_if_alive(pid, signal.SIGCONT)
        if cluster.is_running():
            try:
                cluster.stop("immediate")
            except (RuntimeError, subprocess.TimeoutExpired):
                for pid in cluster.processes():
                    _signal_if_alive(pid, signal.SIGKILL)
        shutil.rmtree(root, ignore_errors=True)
