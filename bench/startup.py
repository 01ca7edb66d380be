"""Start-up: how soon a fresh `helpline serve` answers its first call, beside a bare gunicorn app.

    python bench/startup.py                 # 3 rounds, 50,000 demo calls last month (its report is due)
    python bench/startup.py --rounds 5 --calls 100000

Each round starts, in turn: a bare gunicorn app (a constant `<Response/>`, the same worker settings as
`helpline serve`: 2 gthread workers x 4 threads) and `helpline serve --dev` on a SQLite file whose last
month has calls and no report yet, so that the missed month's catch-up is due at every start (its report
run is deleted before each start). Printed for each: the time from the command to the first answered
POST /ivr/voice, then the slowest and the median of the 20 calls that follow at once (the catch-up, when
a worker builds it, competes with them), and each helpline worker's own start, from its fork to ready
(app built, settings warm: gunicorn's master imported the modules before it forked; a worker that
replaces a dead one starts the same way). Also `helpline --help` beside `python -c "import click"`. The
load average of the run is printed with the figures. To compare with an older tree, run this script with
PYTHONPATH pointing at that tree's checkout (every command runs in a scratch folder, so PYTHONPATH wins).
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
HELPLINE = str(Path(sys.executable).with_name("helpline"))
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
BARE_APP = """
def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/xml")])
    return [b'<?xml version="1.0" encoding="UTF-8"?><Response/>']
"""
FOLLOWING = 20


def free_port() -> int:
    """A TCP port nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def voice_call(number: int) -> dict[str, str]:
    """The form of a new call's first webhook, as Twilio posts it."""
    return {
        "CallSid": f"CA{os.getpid():08d}{number:024d}",
        "AccountSid": "AC" + "0" * 32,
        "CallStatus": "ringing",
        "Direction": "inbound",
        "From": "+33639980001",
        "To": "+33261911000",
    }


def serve(command: list[str], env: dict[str, str], url: str, folder: Path) -> tuple[float, float, float]:
    """Start `command` in `folder`; (seconds to the first answered call, slowest and median of the next)."""
    log = folder / "server.log"
    started = time.perf_counter()
    with log.open("w") as output:
        process = subprocess.Popen(
            command, env=env, cwd=folder, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        number = 0
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{command[0]} exited with {process.returncode}:\n{log.read_text()}")
            number += 1
            try:
                if requests.post(f"{url}/ivr/voice", data=voice_call(number), timeout=30).status_code == 200:
                    break
            except requests.ConnectionError:
                time.sleep(0.02)
        first = time.perf_counter() - started
        following = []
        for _ in range(FOLLOWING):
            number += 1
            sent = time.perf_counter()
            requests.post(f"{url}/ivr/voice", data=voice_call(number), timeout=30).raise_for_status()
            following.append(time.perf_counter() - sent)
        return first, max(following), statistics.median(following)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def workers_ready(log: Path) -> list[float]:
    """The seconds each worker of a run took from its fork to ready, as helpline/server.py logs them."""
    found = re.findall(r"Worker ready ([0-9.]+) s after its fork", log.read_text(errors="replace"))
    return [float(seconds) for seconds in found]


def command_time(command: list[str], env: dict[str, str], folder: Path, repeat: int) -> float:
    """The median wall time of running `command` in `folder`."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run(command, env=env, cwd=folder, check=True, capture_output=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    """Set up the database, then run the rounds and print the figures."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--calls", type=int, default=50_000, help="demo calls in last month")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        database = folder / "helpline.sqlite3"
        env = {key: value for key, value in os.environ.items() if not key.startswith("HELPLINE_")} | {
            "HELPLINE_CONFIG": str(ROOT / "config.yaml"),
            "HELPLINE_DATABASE_URL": f"sqlite:///{database}",
            "HELPLINE_SECRET_KEY": "startup-bench",
            "HELPLINE_JOURNAL_DIR": str(folder / "journal"),
            "HOME": str(folder),
        }
        subprocess.run([HELPLINE, "db", "upgrade"], env=env, cwd=folder, check=True, capture_output=True)
        subprocess.run(
            [HELPLINE, "demo-data", "--calls", str(options.calls), "--months", "1", "--seed", "1"],
            env=env,
            cwd=folder,
            check=True,
            capture_output=True,
        )
        (folder / "bare.py").write_text(BARE_APP)
        contenders: dict[str, Callable[[int], list[str]]] = {
            "bare gunicorn, constant <Response/>": lambda port: [
                GUNICORN,
                "--chdir",
                str(folder),
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "2",
                "--worker-class",
                "gthread",
                "--threads",
                "4",
                "bare:app",
            ],
            "helpline serve --dev (report due)": lambda port: [
                HELPLINE,
                "serve",
                "--dev",
                "--port",
                str(port),
            ],
        }
        results: dict[str, list[tuple[float, float, float]]] = {name: [] for name in contenders}
        readiness: list[float] = []
        load_before = os.getloadavg()
        for _ in range(options.rounds):
            for name, command in contenders.items():
                # The missed month stays missed: every start has its catch-up to do.
                with sqlite3.connect(database) as connection:
                    connection.execute("DELETE FROM report_run")
                port = free_port()
                url = f"http://127.0.0.1:{port}"
                run_env = env | {"HELPLINE_PUBLIC_URL": url}
                results[name].append(serve(command(port), run_env, url, folder))
                readiness += workers_ready(folder / "server.log")
        help_time = command_time([HELPLINE, "--help"], env, folder, 5)
        click_time = command_time([sys.executable, "-c", "import click"], env, folder, 5)
        load_after = os.getloadavg()
    loads = " / ".join(" ".join(f"{value:.2f}" for value in load) for load in (load_before, load_after))
    print(
        f"{options.rounds} rounds; {options.calls:,} calls last month; load average {loads} (before / after)"
    )
    print(f"  {'':38s} {'first call':>11s} {'next 20: max':>13s} {'median':>8s}   (medians of the rounds)")
    for name, runs in results.items():
        first, slowest, median = (statistics.median(values) for values in zip(*runs, strict=True))
        print(f"  {name:38s} {first:9.2f} s {slowest * 1000:10.0f} ms {median * 1000:5.0f} ms")
    if readiness:
        print(
            f"  a helpline worker, from its fork to ready (app built, settings warm): median "
            f"{statistics.median(readiness):.2f} s, slowest {max(readiness):.2f} s of {len(readiness)}"
            f" (target: under 1 s)"
        )
    print(f"  helpline --help {help_time:6.2f} s   (python -c 'import click': {click_time:.2f} s)")


if __name__ == "__main__":
    main()
