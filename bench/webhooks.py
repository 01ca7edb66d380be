"""Load the voice webhooks with wrk beside bare Flask, on SQLite and PostgreSQL, empty and with 1M calls.

    python bench/webhooks.py                                  # both databases, empty then 1,000,000 calls
    python bench/webhooks.py --database sqlite --no-million --passes 1 --duration 5s
    python bench/webhooks.py --connections 200 --duration 20s

Contenders, each behind gunicorn with `helpline serve`'s settings (bench/webhooks_apps.py): bare Flask
answering a constant `<Response/>`; Flask building a Gather/Say menu with twilio's VoiceResponse; and, on
`helpline serve` itself, five webhook steps of one call: `/ivr/voice` (a new call, the line forced open),
the first menu answer, the menu answer that transfers (routing, rotation, the attempt), the dial result
(the association took the call) and the final status callback. wrk (`apt-get install wrk`) drives each
round with bench/webhooks.lua: every request is a distinct signed Twilio request of a new CallSid. The
step URLs are those of one call the simulator placed; each step's calls are already in the state that
call was in before that step (its rows copied in bulk from a call replayed up to there), so that a step
finds its call as Twilio's next request would. Rounds are interleaved (every contender once, then again),
each figure is the median of the passes, and a row fails on any non-2xx answer or socket error.
With 1,000,000 calls: demo calls (`helpline demo-data`'s generator) copied in SQL up to the count, each
with the events every call has. Then, one request at a time, each step's CPU time in the worker, SQL
statements and new database connections (a probing server of the same app, see bench/webhooks_apps.py).
Target (issue 17): every step >= 50 % of bare Flask's req/s and p99 <= 25 ms at 50 connections.
"postgresql" runs in a throwaway schema of HELPLINE_TEST_DATABASE_URL (default: the local server's "test").
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the live server and the journeys are the tests' own

import requests  # noqa: E402
from burst import SERVE_WORKERS, database  # noqa: E402
from sqlalchemy import Connection, Engine, Table, func, insert, literal, select, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402
from twilio.request_validator import RequestValidator  # noqa: E402

from call_log.models import Call  # noqa: E402
from foundation.db import Base  # noqa: E402
from foundation.settings import Settings  # noqa: E402
from helpline.app import load_helpline_config  # noqa: E402
from helpline.db import make_engine  # noqa: E402
from ivr.simulator.call import CallSimulator, StatusCallbacks  # noqa: E402
from ivr.simulator.run import new_sid  # noqa: E402
from ivr.simulator.transports import HttpTransport  # noqa: E402
from reports.demo import DemoDirectory, DemoGenerator, insert_batch, next_ids, reset_sequences  # noqa: E402
from reports.months import shift_month  # noqa: E402
from tests.burst import JOURNEYS, error_lines  # noqa: E402
from tests.conftest import AUTH_TOKEN  # noqa: E402
from tests.live_server import LiveServer, free_port, helpline, live_server, server_env  # noqa: E402

LUA = ROOT / "bench" / "webhooks.lua"
APPS = ROOT / "bench" / "webhooks_apps.py"
STEPS = ("/ivr/voice", "menu step", "transfer step", "dial result", "status callback")
BARE, TWIML = "bare Flask <Response/>", "Flask + VoiceResponse"
# The events every stored call has (the rest of a journey varies); copied onto each demo call.
STORED_EVENTS = ("call_started", "status")
DEMO_BASE = 20_000  # demo calls generated, then copied in SQL up to the count asked
TARGET_RATIO, TARGET_P99_MS = 0.5, 25.0
JOURNALED = "kept in the journal"


@dataclass(frozen=True)
class Recorded:
    """One request of the recorded call: its path and query, its form."""

    path: str
    params: dict[str, str]


@dataclass
class Database:
    """A database under test: its URL and engine, its `helpline serve`, the recorded call."""

    name: str
    url: str
    engine: Engine
    server: LiveServer
    journey: list[Recorded] = field(default_factory=list)
    call_sid: str = ""
    legs: frozenset[str] = frozenset()  # the SIDs of the call and of its dialled legs
    # For each step: the index of its request in the journey.
    steps: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Round:
    """What wrk measured in one round."""

    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    non2xx: int
    socket_errors: int
    repeats: int
    journaled: int = 0
    errors_logged: int = 0

    @property
    def rate(self) -> float:
        """Requests per second."""
        return self.requests / self.seconds


# --- the recorded call, and calls in the state of each of its steps -----------------------------------


def record_journey(db: Database) -> None:
    """Place one call (the association answers) and keep its requests; find each step's request."""
    simulator = CallSimulator(
        HttpTransport(), base_url=db.server.url, auth_token=AUTH_TOKEN, to="+33261911000"
    )
    call = simulator.place_call(JOURNEYS[0].caller(), status_callbacks=StatusCallbacks(after=("completed",)))
    bad = [(url, status) for url, _params, status in call.requests if status not in (200, 204)]
    if bad:
        raise RuntimeError(f"The recorded call got non-2xx answers on {db.name}: {bad}")
    db.call_sid = call.call_sid
    db.journey = [Recorded(_path(url), params) for url, params, _status in call.requests]
    db.legs = frozenset(v for r in db.journey for v in r.params.values() if v.startswith("CA"))
    paths = [request.path.split("?")[0] for request in db.journey]
    if paths[0] != "/ivr/voice" or "/ivr/dial-result" not in paths:
        raise RuntimeError(f"The recorded call did not reach a transfer (is the line open?): {paths}")
    dial = paths.index("/ivr/dial-result")
    db.steps = {
        "/ivr/voice": 0,
        "menu step": paths.index("/ivr/menu"),
        "transfer step": max(n for n, path in enumerate(paths[:dial]) if path == "/ivr/menu"),
        "dial result": dial,
        "status callback": paths.index("/ivr/status"),
    }


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def for_call(request: Recorded, sids: Mapping[str, str]) -> Recorded:
    """The recorded request for another call: its CallSid and its legs' SIDs replaced."""
    path = request.path
    for old, new in sids.items():
        path = path.replace(old, new)
    return Recorded(path, {key: sids.get(value, value) for key, value in request.params.items()})


def sid_map(db: Database, call_sid: str) -> dict[str, str]:
    """The recorded call's SIDs (its own, its dialled legs') mapped to new ones, `call_sid` for its own."""
    return {sid: call_sid if sid == db.call_sid else new_sid("CA") for sid in db.legs}


def signed(base_url: str, request: Recorded) -> tuple[str, str, str]:
    """(path and query, X-Twilio-Signature, form body) of a request to the server at `base_url`."""
    signature = RequestValidator(AUTH_TOKEN).compute_signature(base_url + request.path, request.params)
    return request.path, str(signature), urlencode(request.params)


def replay_until(db: Database, step: str, call_sid: str) -> None:
    """Send the recorded call's requests before `step` for call `call_sid`: its rows as `step` finds them."""
    sids = sid_map(db, call_sid)
    for request in db.journey[: db.steps[step]]:
        path, signature, body = signed(db.server.url, for_call(request, sids))
        headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature}
        answer = requests.post(db.server.url + path, data=body, headers=headers, timeout=30)
        if answer.status_code not in (200, 204):
            raise RuntimeError(f"Preparing {step} on {db.name}: {path} answered {answer.status_code}")


def tables() -> tuple[Table, list[Table]]:
    """The call table, and the tables of a call's rows (by call_id)."""
    call = Base.metadata.tables[Call.__tablename__]
    children = [t for t in Base.metadata.sorted_tables if "call_id" in t.c and t is not call]
    return call, children


def clone_calls(engine: Engine, template_sid: str, sids: Sequence[str]) -> None:
    """Store a copy of the call `template_sid` and all its rows for each CallSid of `sids`, in bulk."""
    call, children = tables()
    with engine.begin() as connection:
        template = dict(
            connection.execute(select(call).where(call.c.call_sid == template_sid)).mappings().one()
        )
        rows = {
            child: [
                {k: v for k, v in row.items() if k != "id"}
                for row in connection.execute(
                    select(child).where(child.c.call_id == template["id"])
                ).mappings()
            ]
            for child in children
        }
        calls = [{k: v for k, v in template.items() if k != "id"} | {"call_sid": sid} for sid in sids]
        ids = insert_calls(connection, call, calls)
        for child, found in rows.items():
            bulk_insert(connection, child, [row | {"call_id": n} for n in ids for row in found])


def insert_calls(connection: Connection, call: Table, calls: list[dict[str, Any]]) -> list[int]:
    """Insert call rows in bulk with ids from the database (the server may open calls meanwhile)."""
    if connection.dialect.name != "postgresql":
        made = connection.execute(insert(call).returning(call.c.id, sort_by_parameter_order=True), calls)
        return list(made.scalars())
    reserved = text("SELECT nextval(pg_get_serial_sequence('call', 'id')) FROM generate_series(1, :n)")
    ids = list(connection.execute(reserved, {"n": len(calls)}).scalars())
    bulk_insert(connection, call, [row | {"id": n} for row, n in zip(calls, ids, strict=True)])
    return ids


def bulk_insert(connection: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert `rows` at once: COPY on PostgreSQL (JSON values written as JSON text), executemany elsewhere."""
    if not rows:
        return
    if connection.dialect.name != "postgresql":
        connection.execute(insert(table), rows)
        return
    names = list(rows[0])
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor.copy(f"COPY {table.name} ({', '.join(names)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([json.dumps(v) if isinstance(v, dict | list) else v for v in row.values()])


# --- 1,000,000 stored calls ---------------------------------------------------------------------------


def store_calls(db: Database, total: int) -> None:
    """Add demo calls up to `total` more: DEMO_BASE generated ones, each with the events every call has,
    then copied in SQL (new ids and CallSids) until there are `total`."""
    config = db.server.env["HELPLINE_CONFIG"]
    helpline_config = load_helpline_config(Settings(config_path=Path(config)))
    tz, now = helpline_config.helpline.tz, datetime.now(UTC)
    this_month = f"{now.astimezone(tz):%Y-%m}"
    months = [shift_month(this_month, -offset) for offset in range(11, -1, -1)]
    call, children = tables()
    base = min(DEMO_BASE, total)
    started = time.perf_counter()
    with db.engine.begin() as connection:
        ids = next_ids(connection)
        directory = DemoDirectory.load(Session(bind=connection), at=now, tz=tz)
        generator = DemoGenerator(
            directory, hours=helpline_config.hours, tz=tz, now=now, seed=1001, first_ids=ids
        )
        for batch in generator.batches(months, base, size=base):
            insert_batch(connection, batch)
        reset_sequences(connection)  # the copies below take their children's ids from the sequences
        first, top = ids[0], connection.scalar(select(func.max(call.c.id))) or ids[0]
        add_events(connection, db, range(first, top + 1))
        for copy in range(1, -(-total // (top - first + 1))):
            _copy_calls(connection, call, children, first, top, copy)
        reset_sequences(connection)
    analyze(db.engine)
    print(f"  {db.name}: {total:,} calls stored in {time.perf_counter() - started:.0f} s")


def add_events(connection: Connection, db: Database, call_ids: range) -> None:
    """Give each call the recorded call's events of the kinds every call has."""
    call, event = call_table(), Base.metadata.tables["call_event"]
    template_id = connection.execute(select(call.c.id).where(call.c.call_sid == db.call_sid)).scalar_one()
    found = [
        {k: v for k, v in row.items() if k not in ("id", "call_id")}
        for row in connection.execute(
            select(event).where(event.c.call_id == template_id, event.c.kind.in_(STORED_EVENTS))
        ).mappings()
    ]
    bulk_insert(connection, event, [row | {"call_id": n} for n in call_ids for row in found])


def call_table() -> Table:
    """The call table."""
    return tables()[0]


def _copy_calls(
    connection: Connection, call: Table, children: list[Table], first: int, top: int, copy: int
) -> None:
    """Copy calls first..top and their rows once more, with ids shifted and CallSids suffixed."""
    shift = (top - first + 1) * copy
    names = [column.name for column in call.columns]
    values = [
        call.c.id + shift
        if n == "id"
        else call.c.call_sid + literal(f"-{copy}")
        if n == "call_sid"
        else call.c[n]
        for n in names
    ]
    connection.execute(insert(call).from_select(names, select(*values).where(call.c.id.between(first, top))))
    for child in children:
        names = [column.name for column in child.columns if column.name != "id"]
        values = [child.c.call_id + shift if n == "call_id" else child.c[n] for n in names]
        rows = select(*values).where(child.c.call_id.between(first, top))
        connection.execute(insert(child).from_select(names, rows))


def analyze(engine: Engine) -> None:
    """Fresh statistics after a bulk load, as autovacuum (PostgreSQL) would gather."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
    else:
        with engine.connect() as connection:
            connection.execute(text("ANALYZE"))
            connection.commit()


def stored(engine: Engine) -> int:
    """How many calls are stored."""
    with engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(call_table())) or 0


# --- servers and rounds -------------------------------------------------------------------------------


@contextmanager
def contender(name: str, env: Mapping[str, str], log_path: Path, *, probe: bool = False) -> Iterator[str]:
    """bench/webhooks_apps.py serving `name` (bare, twiml, helpline); its base URL."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, str(APPS), name, "--port", str(port), "--workers", str(SERVE_WORKERS)]
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [*command, *(["--probe"] if probe else [])],
            env=dict(env) | {"HELPLINE_PUBLIC_URL": url},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=log_path.parent,
        )
    try:
        for _attempt in range(300):
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited with {process.returncode}:\n{log_path.read_text()}")
            try:
                requests.get(f"{url}/health", timeout=10)
                break
            except requests.RequestException:
                time.sleep(0.1)
        yield url
    finally:
        os.killpg(process.pid, 15)
        process.wait(timeout=15)


@dataclass(frozen=True)
class Load:
    """How wrk loads each round."""

    connections: int
    duration: str
    threads: int
    requests: int


def hammer(
    url: str, lines: list[tuple[str, str, str]], load: Load, folder: Path, duration: str = ""
) -> Round:
    """One wrk round of `lines` against `url`."""
    path = folder / "requests.tsv"
    path.write_text("".join("\t".join(line) + "\n" for line in lines))
    command = [
        *("wrk", f"-t{load.threads}", f"-c{load.connections}", f"-d{duration or load.duration}"),
        *("--timeout", "15s", "-s", str(LUA), url, "--", str(path), str(load.threads)),
    ]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    found = re.search(r"^WEBHOOKS (.*)$", output, re.MULTILINE)
    if found is None:
        raise RuntimeError(f"wrk printed no figures:\n{output}")
    figures = {key: int(value) for key, value in (pair.split("=") for pair in found[1].split())}
    return Round(
        requests=figures["requests"],
        seconds=figures["duration_us"] / 1e6,
        p50_ms=figures["p50_us"] / 1000,
        p99_ms=figures["p99_us"] / 1000,
        non2xx=figures["non2xx"],
        socket_errors=sum(figures[k] for k in ("connect", "read", "write", "timeout")),
        repeats=figures["repeats"],
    )


def step_lines(db: Database, step: str, count: int, base_url: str = "") -> list[tuple[str, str, str]]:
    """`count` signed requests of `step`, each of a new call, stored in the state the step finds it in."""
    sids = [new_sid("CA") for _ in range(count)]
    if step != "/ivr/voice":
        template = new_sid("CA")
        replay_until(db, step, template)
        clone_calls(db.engine, template, sids)
    request = db.journey[db.steps[step]]
    # The form encoded once: a new call's only differs by its SIDs (letters and digits, nothing to quote).
    body, lines = urlencode(request.params), []
    validator = RequestValidator(AUTH_TOKEN)
    for sid in sids:
        legs = sid_map(db, sid)
        mapped, form = for_call(request, legs), body
        for old, new in legs.items():
            form = form.replace(old, new)
        url = (base_url or db.server.url) + mapped.path
        lines.append((mapped.path, str(validator.compute_signature(url, mapped.params)), form))
    return lines


def constant_lines(url: str, count: int) -> list[tuple[str, str, str]]:
    """Signed /ivr/voice requests of new calls, for the contenders that answer anything."""
    lines = []
    for _ in range(count):
        params = {"CallSid": new_sid("CA"), "AccountSid": "AC" + "0" * 32, "From": "+33639980001"}
        lines.append(signed(url, Recorded("/ivr/voice", params)))
    return lines


def helpline_round(db: Database, step: str, count: int, load: Load, folder: Path) -> Round:
    """A round of `step` (`count` new calls) on the database's server, with what its log says meanwhile."""
    lines = step_lines(db, step, count)
    before = db.server.log()
    measured = hammer(db.server.url, lines, load, folder)
    logged = db.server.log()[len(before) :]
    for line in error_lines(logged)[:2]:
        print(f"  {step} on {db.name}, the server logged: {line}")
    return replace(measured, journaled=logged.count(JOURNALED), errors_logged=len(error_lines(logged)))


# --- one request at a time ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Cost:
    """One step's costs in the worker, one request at a time: medians and means."""

    cpu_ms: float
    statements: float
    connects: float


def probe(url: str, lines: list[tuple[str, str, str]], warm: int) -> Cost:
    """Send `lines` one at a time; the costs the probing server put in the headers, after `warm` of them."""
    cpu, statements, connects = [], [], []
    for n, (path, signature, body) in enumerate(lines):
        headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature}
        answer = requests.post(url + path, data=body, headers=headers, timeout=30)
        if answer.status_code not in (200, 204):
            raise RuntimeError(f"{path} answered {answer.status_code} to the probe")
        if n >= warm:
            cpu.append(int(answer.headers["X-Bench-Cpu-Us"]) / 1000)
            statements.append(int(answer.headers["X-Bench-Sql"]))
            connects.append(int(answer.headers["X-Bench-Connects"]))
    return Cost(statistics.median(cpu), statistics.mean(statements), statistics.mean(connects))


def probe_all(databases: list[Database], env: Mapping[str, str], folder: Path, count: int) -> dict[str, Cost]:
    """Each contender's costs, one request at a time, on a probing server of the same app and database."""
    costs: dict[str, Cost] = {}
    for name, label in (("bare", BARE), ("twiml", TWIML)):
        with contender(name, env, folder / f"probe-{name}.log", probe=True) as url:
            costs[label] = probe(url, constant_lines(url, count * 2), warm=count)
    for db in databases:
        with contender("helpline", db.server.env, folder / f"probe-{db.name}.log", probe=True) as url:
            for step in STEPS:
                costs[f"{step}|{db.name}"] = probe(url, step_lines(db, step, count * 2, url), warm=count)
    return costs


# --- the report ---------------------------------------------------------------------------------------


def median_round(rounds: list[Round]) -> dict[str, float]:
    """The median of each figure over the passes, and the sums of what went wrong."""
    return {
        "rate": statistics.median(r.rate for r in rounds),
        "p50": statistics.median(r.p50_ms for r in rounds),
        "p99": statistics.median(r.p99_ms for r in rounds),
        "failed": sum(r.non2xx + r.socket_errors for r in rounds),
        "repeats": sum(r.repeats for r in rounds),
        "journaled": sum(r.journaled for r in rounds),
        "errors": sum(r.errors_logged for r in rounds),
    }


def table(results: dict[str, list[Round]], costs: dict[str, Cost], databases: list[Database]) -> str:
    """The markdown table of a phase: one row a contender, the target's verdict on each step."""
    bare = median_round(results[BARE])["rate"]
    lines = [
        "| contender | database | req/s | p50 ms | p99 ms | vs bare | non-2xx+errors | repeats | journaled "
        "| log errors | CPU ms | SQL | connects | target |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    rows = [(BARE, "-", BARE), (TWIML, "-", TWIML)]
    rows += [(step, db.name, f"{step}|{db.name}") for step in STEPS for db in databases]
    for label, database_name, key in rows:
        m = median_round(results[key])
        ratio = m["rate"] / bare
        cost = costs.get(key)
        repeats = "-" if key in (BARE, TWIML) else f"{m['repeats']:.0f}"  # they answer anything again
        shown = f"{cost.cpu_ms:.2f} | {cost.statements:.1f} | {cost.connects:.1f}" if cost else "- | - | -"
        if key in (BARE, TWIML):
            verdict = "-" if not m["failed"] else "FAILED"
        elif m["failed"]:
            verdict = "FAILED"
        else:
            met = ratio >= TARGET_RATIO and m["p99"] <= TARGET_P99_MS
            verdict = "MET" if met else "MISSED"
        lines.append(
            f"| {label} | {database_name} | {m['rate']:,.0f} | {m['p50']:.1f} | {m['p99']:.1f} | {ratio:.2f} "
            f"| {m['failed']:.0f} | {repeats} "
            f"| {m['journaled']:.0f} | {m['errors']:.0f} "
            f"| {shown} | {verdict} |"
        )
    return "\n".join(lines)


def load_average() -> str:
    """The machine's load average (1, 5, 15 minutes)."""
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


# --- the run ------------------------------------------------------------------------------------------


def run_phase(
    name: str,
    databases: list[Database],
    urls: dict[str, str],
    load: Load,
    options: argparse.Namespace,
    folder: Path,
) -> None:
    """Every contender's rounds, interleaved over the passes; then the costs one at a time; the table."""
    counts = ", ".join(f"{db.name} {stored(db.engine):,}" for db in databases)
    print(f"\n## {name}: calls stored at the start: {counts}; load average {load_average()}")
    results: dict[str, list[Round]] = {}
    # Answering anything, the bare contenders can take the same requests again.
    bare = ((BARE, "bare"), (TWIML, "twiml"))
    constant = {label: constant_lines(urls[name], load.requests) for label, name in bare}
    # A round prepares as many calls as the step's last round took and half as many again (the first:
    # --requests): the preparation costs less than the rounds, and repeats stay rare and counted.
    sized: dict[str, int] = {}
    for number in range(1, options.passes + 1):
        for label, name in bare:
            results.setdefault(label, []).append(hammer(urls[name], constant[label], load, folder))
        for step in STEPS:
            for db in databases:
                key = f"{step}|{db.name}"
                done = helpline_round(db, step, sized.get(key, load.requests), load, folder)
                results.setdefault(key, []).append(done)
                sized[key] = done.requests * 3 // 2 + 500
        print(f"  pass {number} done; load average {load_average()}")
    costs = {} if options.no_probe else probe_all(databases, databases[0].server.env, folder, options.probe)
    print(f"  load average at the end: {load_average()}")
    print()
    print(table(results, costs, databases))


def main() -> None:
    """Parse the options, start the servers, run the phases, print the tables."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--passes", type=int, default=2, help="rounds of each contender (median shown)")
    parser.add_argument("--duration", default="10s", help="of each round, as wrk reads it (default 10s)")
    parser.add_argument("--connections", type=int, default=50, help="concurrent connections (default 50)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument(
        "--requests", type=int, default=10_000, help="new calls of a step's first round (10,000)"
    )
    parser.add_argument("--calls", type=int, default=1_000_000, help="stored calls of the second phase")
    parser.add_argument("--no-million", action="store_true", help="only the empty databases")
    parser.add_argument("--probe", type=int, default=20, help="requests one at a time for the costs (20)")
    parser.add_argument("--no-probe", action="store_true", help="skip the costs one request at a time")
    options = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("webhooks.py: wrk is not installed; install it with `apt-get install wrk`.")
    load = Load(options.connections, options.duration, options.threads, options.requests)
    chosen = ["sqlite", "postgresql"] if options.database == "both" else [options.database]
    print(
        f"wrk -t{load.threads} -c{load.connections} -d{load.duration}, {options.passes} passes; gunicorn "
        f"{SERVE_WORKERS} workers (helpline serve's); {os.cpu_count()} CPUs; load average {load_average()}"
    )
    with tempfile.TemporaryDirectory(prefix="webhooks-") as tmp, ExitStack() as stack:
        folder = Path(tmp)
        databases = []
        for choice in chosen:
            url = stack.enter_context(database(choice, folder))
            engine = make_engine(url, create=True)
            stack.callback(engine.dispose)
            env = server_env(folder, url, HELPLINE_JOURNAL_DIR=str(folder / f"journal-{choice}"))
            helpline("db", "upgrade", env=env)
            helpline("line", "open", env=env)
            server = stack.enter_context(live_server(env, workers=None, log_path=folder / f"{choice}.log"))
            db = Database(choice, url, engine, server)
            record_journey(db)
            databases.append(db)
        env = databases[0].server.env
        urls = {
            name: stack.enter_context(contender(name, env, folder / f"{name}.log"))
            for name in ("bare", "twiml")
        }
        # The first answers of a worker pay its imports and caches: a short round each, not counted.
        for url in urls.values():
            hammer(url, constant_lines(url, 2000), load, folder, duration="2s")
        for db in databases:
            hammer(db.server.url, step_lines(db, "/ivr/voice", 2000), load, folder, duration="2s")
        run_phase("Empty databases", databases, urls, load, options, folder)
        if not options.no_million:
            print(f"\nStoring {options.calls:,} calls...")
            # Each database fills in its own thread: most of the work is in the database.
            with ThreadPoolExecutor(len(databases)) as pool:
                list(pool.map(lambda db: store_calls(db, options.calls), databases))
            run_phase(f"{options.calls:,} calls stored", databases, urls, load, options, folder)
    print(f"\nload average at the end: {load_average()}")


if __name__ == "__main__":
    main()
