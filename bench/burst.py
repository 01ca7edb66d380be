"""Time a burst of simultaneous calls against `helpline serve`, beside a bare gunicorn app under that load.

    python bench/burst.py                                   # 200 calls on a SQLite file
    python bench/burst.py --database postgresql --calls 400 --workers 4
    python bench/burst.py --database postgresql+psycopg://postgres@127.0.0.1:5432/test

The burst is the one tests/test_burst.py asserts on (tests/burst.py): each call in its own thread, all
released together, the journeys taking turns, status callbacks early, retried and out of order. The
baseline replays the very same requests (one thread per call, in the same order) against a bare Flask app
(bench/burst_baseline.py) under gunicorn with the server's worker settings, answering one constant TwiML
document: what the machine, HTTP and gunicorn cost before any of our code runs.
"postgresql" runs in a throwaway schema of HELPLINE_TEST_DATABASE_URL (default: the local server's "test").
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the burst and the live server are the tests' own

import requests  # noqa: E402
from sqlalchemy import create_engine, make_url, text  # noqa: E402

from helpline.cli import serve  # noqa: E402
from ivr.simulator.transports import HttpTransport  # noqa: E402
from tests.burst import (  # noqa: E402
    TWILIO_TIMEOUT_S,
    Answer,
    Burst,
    PlacedCall,
    TimedTransport,
    at_once,
    error_lines,
    expected_counts,
    journey_problems,
    latency_table,
    row_problems,
    run_burst,
    settled_counts,
)
from tests.live_server import free_port, helpline, live_server, server_env  # noqa: E402

POSTGRESQL_URL = os.environ.get(
    "HELPLINE_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
# What `helpline serve` runs with when --workers is not given.
SERVE_WORKERS = next(int(p.default) for p in serve.params if p.name == "workers")


@contextmanager
def database(choice: str, folder: Path) -> Iterator[str]:
    """The URL of an empty database: a SQLite file, or a throwaway schema of a PostgreSQL server."""
    if choice == "sqlite":
        yield f"sqlite:///{folder / 'helpline.sqlite3'}"
        return
    server_url = POSTGRESQL_URL if choice == "postgresql" else choice
    schema = f"burst_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(server_url).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@contextmanager
def baseline_server(workers: int, log_path: Path) -> Iterator[str]:
    """The bare app under gunicorn with the worker settings of helpline/server.py; its base URL."""
    port = free_port()
    command = [
        *(sys.executable, "-m", "gunicorn", "--chdir", str(ROOT / "bench")),
        *("--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--worker-class", "gthread"),
        *("--threads", "4", "--timeout", "30", "burst_baseline:app"),
    ]
    with log_path.open("w") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        for _attempt in range(100):
            try:
                requests.post(f"{url}/ready", timeout=2)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=15)


# An access log line of helpline/server.py's format: '127.0.0.1 "POST /ivr/menu" 200 1234 56ms'.
ACCESS_LINE = re.compile(r'"POST (?P<path>/ivr/[a-z-]+)" (?P<status>[0-9]{3}) \S+ (?P<ms>[0-9]+)ms$')


def served(log: str) -> list[Answer]:
    """Each webhook's time once a worker thread took it (gunicorn's access log): the answer less the queue."""
    return [
        Answer(found["path"], int(found["ms"]) / 1000, int(found["status"]))
        for line in log.splitlines()
        if (found := ACCESS_LINE.search(line))
    ]


def replay(burst: Burst, base_url: str) -> Burst:
    """The burst's requests again, each call's in order in its own thread, all at once, to `base_url`."""
    calls = [PlacedCall(p.index, p.journey, p.plan, p.call_sid) for p in burst.calls]

    def resend(placed: PlacedCall, original: PlacedCall) -> None:
        transport = TimedTransport(HttpTransport(timeout=TWILIO_TIMEOUT_S), placed.answers)
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        for url, params, _status in original.call.requests if original.call else []:
            parts = urlsplit(url)
            try:
                transport.post(f"{base_url}{parts.path}?{parts.query}", params, headers)
            except requests.RequestException as error:
                placed.error = repr(error)
                return

    wall = at_once([lambda p=p, o=o: resend(p, o) for p, o in zip(calls, burst.calls, strict=True)])
    return Burst(calls, wall)


def summary(name: str, burst: Burst) -> str:
    """One line: requests, wall time, failed calls and requests not answered 200/204."""
    failed = sum(placed.error is not None for placed in burst.calls)
    errors = sum(answer.status not in (200, 204) for answer in burst.answers)
    return (
        f"{name:>9}: {len(burst.answers)} requests in {burst.wall_s:.1f} s wall, "
        f"{len(burst.answers) / burst.wall_s:.0f} requests/s, {failed} calls failed, {errors} HTTP errors"
    )


def main() -> None:
    """Run the burst, check the rows, run the baseline, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=200, help="simultaneous calls (default 200)")
    parser.add_argument(
        "--database", default="sqlite", help="sqlite, postgresql, or a PostgreSQL URL (default sqlite)"
    )
    parser.add_argument(
        "--workers", type=int, default=None, help=f"gunicorn workers (default: serve's, {SERVE_WORKERS})"
    )
    args = parser.parse_args()
    workers = args.workers or SERVE_WORKERS
    with tempfile.TemporaryDirectory(prefix="burst-") as tmp, database(args.database, Path(tmp)) as url:
        folder = Path(tmp)
        env = server_env(
            folder,
            url,
            HELPLINE_JOURNAL_DIR=str(folder / "journal"),
            HELPLINE_JOURNAL_REPLAY_S="0.5",
        )
        helpline("db", "upgrade", env=env)
        helpline("line", "open", env=env)
        with live_server(env, workers=args.workers, log_path=folder / "server.log") as server:
            burst = run_burst(server.url, args.calls)
            expected = expected_counts(burst.calls)
            counts = settled_counts(url, server.url, expected)
            failures, problems = journey_problems(burst.calls), row_problems(url, burst.calls)
            log = server.log()
        with baseline_server(workers, folder / "baseline.log") as baseline_url:
            baseline = replay(burst, baseline_url)
    database_name = make_url(url).get_backend_name()
    print(f"{args.calls} calls at once on {database_name}, {workers} workers x 4 threads (gthread)")
    print("Answer times (ms): as the caller waited; once a worker thread took the request (access log):")
    print(latency_table({"helpline": burst.answers, "in worker": served(log), "baseline": baseline.answers}))
    print(summary("helpline", burst))
    print(summary("baseline", baseline))
    print(f"rows: {counts}, expected {expected}")
    print(f"{len(failures)} callers not ending well" + "".join(f"\n  {line}" for line in failures[:5]))
    print(f"{len(problems)} row problems of ended calls" + "".join(f"\n  {line}" for line in problems[:20]))
    errors = error_lines(log)
    print(f"server log: {len(errors)} error lines" + "".join(f"\n  {line}" for line in errors[:5]))
    slow = [answer for answer in burst.answers if answer.seconds >= TWILIO_TIMEOUT_S]
    if slow:
        print(f"{len(slow)} answers took Twilio's {TWILIO_TIMEOUT_S:.0f} s or more")


if __name__ == "__main__":
    main()
