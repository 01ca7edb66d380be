"""A real `helpline serve` (gunicorn) in a child process, for tests that go over HTTP and break things."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

from tests.conftest import AUTH_TOKEN, EXAMPLE_CONFIG

# The `helpline` command of the virtualenv running the tests.
HELPLINE = str(Path(sys.executable).with_name("helpline"))


def free_port() -> int:
    """A TCP port nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class LiveServer:
    """A running `helpline serve`: its base URL, its environment, its output so far."""

    url: str
    env: dict[str, str]
    process: subprocess.Popen[str]
    log_path: Path

    def log(self) -> str:
        """What the server printed (stdout and stderr)."""
        return self.log_path.read_text(errors="replace")


def helpline(*args: str, env: Mapping[str, str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run a `helpline` command with `env` (e.g. `db upgrade`); raises if it fails."""
    return subprocess.run(
        [HELPLINE, *args], env=dict(env), capture_output=True, text=True, timeout=timeout, check=True
    )


def server_env(tmp_path: Path, database_url: str, **extra: str) -> dict[str, str]:
    """The environment of a server on `database_url` with the example config and the tests' Twilio token."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("HELPLINE_")}
    return (
        env
        | {
            "HELPLINE_CONFIG": str(EXAMPLE_CONFIG),
            "HELPLINE_DATABASE_URL": database_url,
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "HELPLINE_SECRET_KEY": "live-server-tests",
            "HOME": str(tmp_path),
        }
        | extra
    )


@contextmanager
def live_server(
    env: Mapping[str, str],
    *,
    workers: int | None = 2,
    ready_timeout: float = 30.0,
    log_path: Path,
    user: str | None = None,
    obey_file_modes: bool = False,
    public_url: str | None = None,
) -> Iterator[LiveServer]:
    """Start `helpline serve` with `env`, wait until /health answers (any status), stop it at the end.

    The public URL is the server's own address, so that simulated Twilio requests are signed for it,
    unless `public_url` gives another (a reverse proxy's in front of it).
    `workers=None` leaves the number of workers to `helpline serve`'s default.
    With `user`, the server runs as that system user (root only): for faults root would not see, such
    as a file made read-only. That user must be able to read the interpreter, the virtualenv and the
    checkout, which a venv made from a Python under /root (pyenv) or a clone in a private folder
    (mktemp -d) does not allow. `obey_file_modes` reaches the same faults without another user: the
    server stays root but without the capabilities that let root ignore file modes.
    """
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    full_env = dict(env) | {"HELPLINE_PUBLIC_URL": public_url or url}
    command = [HELPLINE, "serve", "--port", str(port)]
    if workers is not None:
        command += ["--workers", str(workers)]
    if obey_file_modes:
        command = [*root_obeying_file_modes(), *command]
    if user is not None:
        runuser = shutil.which("runuser")
        assert runuser is not None, "runuser is needed to run the server as another user"
        command = [runuser, "-u", user, "--", *command]
    with log_path.open("w") as log:
        process = subprocess.Popen(
            command, env=full_env, stdout=log, stderr=subprocess.STDOUT, text=True, start_new_session=True
        )
    server = LiveServer(url, full_env, process, log_path)
    try:
        _wait_ready(server, ready_timeout)
        yield server
    finally:
        _stop(process)


def root_obeying_file_modes() -> list[str]:
    """The command prefix that runs a program as root without CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH.

    Such a process is refused what file modes refuse its owner (root), e.g. writing a file chmodded 0444,
    while it still reads everything root owns. The capabilities leave the bounding set too, so that no
    child process (gunicorn's workers) gets them back.
    """
    setpriv = shutil.which("setpriv")
    assert setpriv is not None, "setpriv (util-linux) is needed to run the server bound by file modes"
    dropped = "-dac_override,-dac_read_search"
    return [setpriv, f"--inh-caps={dropped}", f"--bounding-set={dropped}", "--"]


def _wait_ready(server: LiveServer, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"helpline serve exited with {server.process.returncode}:\n{server.log()}")
        try:
            requests.get(f"{server.url}/health", timeout=2)
        except requests.RequestException:
            time.sleep(0.1)
            continue
        return
    raise RuntimeError(f"helpline serve did not answer within {timeout} s:\n{server.log()}")


def _stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)
