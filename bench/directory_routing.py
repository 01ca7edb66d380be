"""How long routing and a directory import take on a directory far larger than the Brenne's.

Run: python bench/directory_routing.py [ASSOCIATIONS] [DATABASE_URL]
Builds a fresh database (a SQLite file in a temporary directory by default), imports ASSOCIATIONS (default
300) associations with three services each over the whole territory and weekday hours, then prints the time
of the import and of route() calls (what every call to the IVR and every referral picker runs).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from directory.entries import Vocabulary
from directory.importing import import_entries
from directory.routing import route
from directory.yaml_file import read_yaml
from foundation.db import transaction
from foundation.settings import Settings
from helpline.app import load_helpline_config
from helpline.db import make_engine, make_session_factory
from helpline.migrate import upgrade_database

ROOT = Path(__file__).resolve().parent.parent
CATEGORIES = [
    "MAISON.MENAGE",
    "EXTERIEUR.JARDINAGE",
    "AUTONOMIE.AUXILIAIRE_DE_VIE",
    "COURSES_REPAS",
    "TRANSPORT",
]


def directory_yaml(count: int) -> str:
    """`count` associations, three services each, all communes, weekday hours, fictional numbers."""
    lines = ["associations:"]
    for index in range(count):
        lines += [
            f"  - name: Association {index:04d}",
            f"    priority: {10 * (index % 5)}",
            f"    phones: [{{number: '+3363998{index % 10000:04d}', ivr: true}}]",
            "    hours: {mon: '08:00-18:00', tue: '08:00-18:00', wed: '08:00-18:00', thu: '08:00-18:00',"
            " fri: '08:00-18:00'}",
            "    services:",
        ]
        for offset in range(3):
            category = CATEGORIES[(index + offset) % len(CATEGORIES)]
            lines.append(f"      - {{name: Service {offset}, category: {category}, communes: all}}")
    return "\n".join(lines) + "\n"


def main() -> None:
    """Build, import, route; print the figures."""
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    with tempfile.TemporaryDirectory() as folder:
        url = sys.argv[2] if len(sys.argv) > 2 else f"sqlite:///{folder}/bench.sqlite3"
        engine = make_engine(url, create=True)
        config = load_helpline_config(Settings(config_path=ROOT / "config.yaml"))
        upgrade_database(engine, config)
        sessions = make_session_factory(engine)
        text = directory_yaml(count)
        started = time.perf_counter()
        with transaction(sessions) as session:
            vocabulary = Vocabulary.load(session)
            import_entries(
                session,
                read_yaml(text, vocabulary),
                vocabulary=vocabulary,
                actor="bench",
                at=datetime.now(UTC),
            )
        imported = time.perf_counter() - started
        print(f"import of {count} associations ({3 * count} services, 61 communes each): {imported:.2f} s")

        at = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
        for commune in ("36018", None):
            timings = []
            for call in range(50):
                with Session(engine) as session:
                    started = time.perf_counter()
                    found = route(
                        session,
                        category="MAISON.MENAGE",
                        commune_insee=commune,
                        at=at + timedelta(minutes=call),
                        tz=config.helpline.tz,
                    )
                    timings.append(time.perf_counter() - started)
            print(
                f"route(MAISON.MENAGE, commune={commune}): {len(found)} candidates, "
                f"median {statistics.median(timings) * 1000:.1f} ms, max {max(timings) * 1000:.1f} ms "
                f"over {len(timings)} calls"
            )
        engine.dispose()


if __name__ == "__main__":
    main()
