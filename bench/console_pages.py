"""How fast the console's pages answer over a large call log, on SQLite and PostgreSQL.

    python bench/console_pages.py                          # both databases, 100,000 calls over 12 months
    python bench/console_pages.py --backend sqlite --calls 20000

Fills a fresh database (a SQLite file in a temporary directory; for PostgreSQL a throwaway schema of
HELPLINE_TEST_DATABASE_URL, default the local server's "test") with CALLS calls spread over the 12 months
before 24 Nov 2026 (a fifth referred, one in twenty with a voicemail to call back, a few live now), then
times each page through the app (test client, signed in as an administrator) and prints the median and
95th percentile in milliseconds. Targets: the board, a record and its save under 100 ms; a log page
under 300 ms; a month's CSV export under 2 s.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from flask.testing import FlaskClient
from sqlalchemy import create_engine, insert, make_url, select, text
from sqlalchemy.orm import Session

from call_log.models import Call, CallbackRequest, CallEvent, Referral
from console.accounts import create_user
from directory.models import Association, Commune
from foundation.settings import Settings
from helpline.app import create_app, load_helpline_config
from helpline.db import make_engine, make_session_factory
from helpline.migrate import upgrade_database

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
PASSWORD = "benchmark password"
CATEGORIES = ["MAISON", "MAISON.MENAGE", "MAISON.LINGE", "EXTERIEUR", "ENFANTS", "AUTONOMIE", "TRANSPORT"]
OUTCOMES = [
    "connected_association",
    "connected_operator",
    "voicemail",
    "missed",
    "abandoned_in_menu",
    "unmet",
]
NOTES = ["", "", "", "Pour sa mère", "haie à tailler", "rappeler après 17 h", "devis demandé"]


@contextmanager
def database(backend: str) -> Iterator[str]:
    """A database URL to fill: a temporary SQLite file, or a throwaway PostgreSQL schema."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{folder}/bench.sqlite3"
        return
    server = os.environ.get("HELPLINE_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield (
            make_url(server).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(False)
        )
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def fill(session: Session, calls: int, rng: random.Random) -> int:
    """Insert the calls, referrals and callbacks in bulk; returns the id of a call with a long history."""
    communes = list(session.scalars(select(Commune.insee)))
    associations = list(session.scalars(select(Association.id)))
    start = NOW - timedelta(days=365)
    rows = []
    for n in range(calls):
        started = start + timedelta(seconds=rng.uniform(0, 365 * 86400))
        live = n >= calls - 5  # a few calls ringing now
        started = NOW - timedelta(minutes=n % 7) if live else started
        inside = rng.random() < 0.4
        rows.append(
            {
                "call_sid": f"CA{n:032d}",
                "channel": "ivr" if rng.random() < 0.9 else rng.choice(["phone", "visit", "email", "letter"]),
                "started_at": started,
                "ended_at": None if live else started + timedelta(seconds=rng.randint(20, 600)),
                "caller": f"+336******{n % 100:02d}",
                "status": "in-progress" if live else "completed",
                "category_code": rng.choice(CATEGORIES),
                "association_id": rng.choice(associations) if rng.random() < 0.5 else None,
                "outcome": None if live else rng.choice(OUTCOMES),
                "menu_path": "1",
                "commune_insee": rng.choice(communes) if inside else None,
                "in_territory": inside,
                "departement": "36" if inside else rng.choice(["75", "37", "18", "87"]),
                "beneficiary": rng.choice(["self", "relative", "professional"]),
                "notes": rng.choice(NOTES),
            }
        )
    for batch in range(0, len(rows), 5000):
        session.execute(insert(Call), rows[batch : batch + 5000])
    ids = list(session.scalars(select(Call.id).order_by(Call.id)))
    referrals = [
        {
            "call_id": call_id,
            "association_id": rng.choice(associations),
            "created_at": NOW - timedelta(days=rng.uniform(0, 365)),
            "source": "operator",
            "created_by": "bench",
            "follow_up": rng.choice(["pending", "contacted", "quote_sent", "service_started", "dropped"]),
        }
        for call_id in rng.sample(ids, len(ids) // 5)
    ]
    session.execute(insert(Referral), referrals)
    callbacks = [
        {
            "call_id": call_id,
            "created_at": NOW - timedelta(hours=rng.uniform(0, 2000)),
            "callback_number": "+33639980001",
            "recording_url": "https://api.twilio.com/2010-04-01/Accounts/AC0/Recordings/RE0",
            "state": "open" if rng.random() < 0.02 else "done",
        }
        for call_id in rng.sample(ids, len(ids) // 20)
    ]
    session.execute(insert(CallbackRequest), callbacks)
    # One record with a full history, as an operator would open it.
    busy = ids[len(ids) // 2]
    events = [
        {
            "call_id": busy,
            "seq": seq,
            "at": NOW - timedelta(minutes=30 - seq),
            "kind": "menu_input",
            "payload": {},
        }
        for seq in range(1, 16)
    ]
    session.execute(insert(CallEvent), events)
    return busy


def timed(label: str, repeat: int, action: Callable[[int], object]) -> None:
    """Run `action` `repeat` times (after one warm-up) and print the median and 95th percentile."""
    action(-1)
    durations = []
    for n in range(repeat):
        begin = time.perf_counter()
        action(n)
        durations.append((time.perf_counter() - begin) * 1000)
    durations.sort()
    p95 = durations[min(len(durations) - 1, round(0.95 * (len(durations) - 1)))]
    print(f"  {label:<42} median {statistics.median(durations):8.1f} ms   p95 {p95:8.1f} ms")


def get(client: FlaskClient, url: str) -> Callable[[int], object]:
    """A GET that must answer 200."""

    def run(_n: int) -> object:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        return response.get_data()

    return run


def bench(backend: str, calls: int) -> None:
    """Fill one database and time the pages."""
    config = load_helpline_config(Settings(config_path=ROOT / "config.yaml"))
    with database(backend) as url:
        engine = make_engine(url, create=True)
        upgrade_database(engine, config)
        begin = time.perf_counter()
        with make_session_factory(engine)() as session, session.begin():
            busy = fill(session, calls, random.Random(5))
            create_user(session, username="bench", password=PASSWORD, role="admin", now=NOW)
        print(f"{backend}: {calls:,} calls filled in {time.perf_counter() - begin:.1f} s")
        # A live database has statistics (autovacuum); a bulk load has none until analysed.
        with engine.begin() as connection:
            connection.execute(text("ANALYZE"))
        engine.dispose()
        app = create_app(
            Settings(config_path=ROOT / "config.yaml", database_url=url), config=config, clock=lambda: NOW
        )
        client = app.test_client()
        token = (
            client.get("/login").get_data(as_text=True).split('name="csrf_token" value="')[1].split('"')[0]
        )
        client.post("/login", data={"username": "bench", "password": PASSWORD, "csrf_token": token})

        def save(n: int) -> object:
            data = {"category_code": "MAISON", "commune": "Ciron", "notes": f"note {n}", "csrf_token": token}
            response = client.post(f"/calls/{busy}", data=data)
            assert response.status_code == 302, response.status_code
            return response

        month = "start=2026-10-01&end=2026-10-31"
        timed("board (/)", 30, get(client, "/"))
        timed("board refresh (/board/rows)", 30, get(client, "/board/rows"))
        timed("record with 15 events (/calls/N)", 30, get(client, f"/calls/{busy}"))
        timed("record save (POST /calls/N)", 30, save)
        timed("callbacks queue", 20, get(client, "/callbacks"))
        timed("referrals with overdue list", 10, get(client, "/referrals"))
        timed("log, first page", 20, get(client, "/log"))
        timed("log, page 500", 20, get(client, "/log?page=500"))
        timed(
            "log, one month, category, in territory",
            20,
            get(client, f"/log?{month}&category=MAISON&territory=in"),
        )
        timed("log, free text", 20, get(client, "/log?text=haie"))
        timed("CSV export, one month", 3, get(client, f"/log/export.csv?{month}"))
        timed("CSV export, everything", 1, get(client, "/log/export.csv"))
        app.extensions["helpline"].engine.dispose()


def main() -> None:
    """Parse the options and run the benchmark on each database."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--calls", type=int, default=100_000)
    options = parser.parse_args()
    for backend in ("sqlite", "postgresql") if options.backend == "both" else (options.backend,):
        bench(backend, options.calls)


if __name__ == "__main__":
    main()
