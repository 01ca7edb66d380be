"""Time one month's demand report over 1,000,000 calls, on SQLite and PostgreSQL, next to hand-written SQL.

    python bench/report_benchmark.py                      # both databases, 1,000,000 calls over 12 months
    python bench/report_benchmark.py --backend sqlite --calls 200000
    python bench/report_benchmark.py --keep /tmp/bench --schema bench   # keep the data, to run again

The calls come from the demo generator (`helpline demo-data`), inserted in bulk (COPY on PostgreSQL), then
ANALYZEd (and VACUUMed on PostgreSQL, as autovacuum would). The report is the last of the 12 months, so its
13-month trend covers every call: the months before it are counted into the roll-up first, as
`helpline report backfill` (then the monthly job) does. The baseline (bench/report_baseline.py) counts the
same figures from the calls with the fewest, most direct statements, run on the raw driver cursor; the run
checks that its counts equal the report's, table by table. Report, baseline and the report without its
roll-up run in turn in each round, so they share the machine's load, printed beside them.
Target: report < 2 s and < 1.5x the baseline.
PostgreSQL runs in a throwaway schema of HELPLINE_TEST_DATABASE_URL (default: the local server's "test").
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from report_baseline import differences, figures_of_report, fold, run_baseline  # bench/, beside this file
from sqlalchemy import Engine, create_engine, delete, func, make_url, select, text

from call_log.models import Call
from call_log.periods import month_bounds
from foundation.config import Config
from foundation.db import transaction
from foundation.settings import Settings
from helpline.app import load_helpline_config
from helpline.db import make_engine, make_session_factory
from helpline.migrate import upgrade_database
from reports.aggregate import build_report
from reports.demo import DemoDirectory, DemoGenerator, insert_batch, next_ids, reset_sequences
from reports.files import MAILED, collect_month, render_files
from reports.models import MonthRollup
from reports.months import months_between, shift_month
from reports.rollup import backfill
from reports.tables import MonthlyDemandReport

ROOT = Path(__file__).resolve().parent.parent
POSTGRESQL_URL = os.environ.get(
    "HELPLINE_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
MONTHS = 12
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
PARIS = ZoneInfo("Europe/Paris")


def fill(engine: Engine, config: Config, calls: int) -> None:
    """Migrate, add `calls` demo calls over the 12 months before NOW (unless there), gather statistics."""
    upgrade_database(engine, config)
    sessions = make_session_factory(engine)
    with sessions() as session:
        present = session.scalar(select(func.count()).select_from(Call)) or 0
    if present >= calls:
        print(f"  {present:,} calls already there")
    else:
        _insert(engine, config, calls - present)
    # Fresh statistics, as autovacuum would gather after such a load (VACUUM also lets PostgreSQL answer
    # from the covering indexes alone).
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
    else:
        with engine.connect() as connection:
            connection.execute(text("ANALYZE"))
            connection.commit()


def _insert(engine: Engine, config: Config, calls: int) -> None:
    """Generate and insert `calls` demo calls."""
    sessions = make_session_factory(engine)
    months = [shift_month("2026-11", -offset) for offset in range(MONTHS, 0, -1)]
    started = time.perf_counter()
    with transaction(sessions) as session:
        directory = DemoDirectory.load(session, at=datetime(2026, 11, 17, 9, 0, tzinfo=UTC), tz=PARIS)
        connection = session.connection()
        generator = DemoGenerator(
            directory, hours=config.hours, tz=PARIS, now=NOW, seed=1001, first_ids=next_ids(connection)
        )
        for batch in generator.batches(months, calls, size=50_000):
            insert_batch(connection, batch)
        reset_sequences(connection)
    print(f"  generated and inserted {calls:,} calls in {time.perf_counter() - started:.1f} s")


def timed(contenders: dict[str, Callable[[], object]], repeat: int) -> dict[str, tuple[float, float]]:
    """(median, best) seconds of each contender over `repeat` rounds, after one warm-up round.

    Each round runs every contender once, in turn, so that they share the machine's load.
    """
    for action in contenders.values():
        action()
    times: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(repeat):
        for name, action in contenders.items():
            started = time.perf_counter()
            action()
            times[name].append(time.perf_counter() - started)
    return {name: (statistics.median(values), min(values)) for name, values in times.items()}


def backfill_months(engine: Engine, tz: ZoneInfo) -> float:
    """Count the months before the report's into the roll-up, as `helpline report backfill` does: seconds."""
    started = time.perf_counter()
    with transaction(make_session_factory(engine)) as session:
        backfill(session, months_between("2025-10", "2026-09"), tz, now=NOW)
    return time.perf_counter() - started


def measure(name: str, engine: Engine, config: Config, calls: int, repeat: int) -> bool:
    """Fill the database, then time the report beside the independent baseline; whether the target is met."""
    print(f"{name}:")
    fill(engine, config, calls)
    month = "2026-10"
    sessions = make_session_factory(engine)
    start, end = month_bounds(month, PARIS)
    with sessions() as session:
        in_month = session.scalar(select(func.count()).where(Call.started_at >= start, Call.started_at < end))
    print(f"  roll-up of the 12 months before {month} counted in {backfill_months(engine, PARIS):.2f} s")

    def report() -> MonthlyDemandReport:
        with sessions() as session:
            return build_report(session, month, tz=PARIS, helpline_name="bench", now=NOW)

    def report_without_rollup() -> object:
        # As on a database never backfilled: every month counted from the calls (rolled back after).
        with sessions() as session:
            session.execute(delete(MonthRollup))
            return build_report(session, month, tz=PARIS, helpline_name="bench", now=NOW)

    def files() -> object:
        with sessions() as session:
            figures = collect_month(session, month, MAILED, config=config, now=NOW)
        return render_files(figures, MAILED)

    load_before = os.getloadavg()
    times = timed(
        {
            "report": report,
            "baseline": lambda: run_baseline(engine, month, PARIS),
            "cold": report_without_rollup,
        },
        repeat,
    )
    load_after = os.getloadavg()
    baseline_figures = fold(run_baseline(engine, month, PARIS), month, PARIS)
    wrong = differences(figures_of_report(report()), baseline_figures)
    files_seconds = timed({"files": files}, 1)["files"][0]
    (report_median, report_best), (raw_median, raw_best) = times["report"], times["baseline"]
    cold_median, cold_best = times["cold"]
    ratio, cold_ratio = report_median / raw_median, cold_median / raw_median
    loads = f"load average {_load(load_before)} before, {_load(load_after)} after"
    print(f"  month {month}: {in_month:,} calls; {loads}")
    print(
        f"  build_report, trend from the roll-up   median {report_median:6.3f} s  best {report_best:6.3f} s"
    )
    print(f"  build_report without roll-up (cold)    median {cold_median:6.3f} s  best {cold_best:6.3f} s")
    print(f"  independent SQL baseline, 7 statements median {raw_median:6.3f} s  best {raw_best:6.3f} s")
    print(f"  ratio report / baseline                {ratio:6.2f}x  (cold {cold_ratio:.2f}x; target < 1.5x)")
    print(f"  report + HTML, CSV, XLSX files         {files_seconds:6.3f} s  (charts and workbook included)")
    if wrong:
        print(f"  the baseline and the report DIFFER in {len(wrong)} counts:", *wrong[:20], sep="\n    ")
    else:
        compared = sum(len(rows) for rows in baseline_figures.values())
        print(f"  same figures: the baseline's {compared} rows of counts equal the report's")
    met = report_median < 2 and ratio < 1.5 and not wrong
    print(f"  {'OK' if met else 'MISSED'}")
    return met


def _load(load: tuple[float, float, float]) -> str:
    return " ".join(f"{value:.2f}" for value in load)


@contextmanager
def postgresql_schema(kept: str | None) -> Iterator[str]:
    """A schema on the PostgreSQL server: `kept` (created if needed, then left), or a throwaway one."""
    schema = kept or f"bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(POSTGRESQL_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
    try:
        url = make_url(POSTGRESQL_URL).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        if not kept:
            with admin.connect() as connection:
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def main() -> None:
    """Parse the options and run the benchmark."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs after a warm-up (median shown)")
    parser.add_argument("--keep", type=Path, help="directory for the SQLite file, kept and reused")
    parser.add_argument("--schema", help="PostgreSQL schema to keep and reuse (default: a throwaway one)")
    options = parser.parse_args()
    config = load_helpline_config(Settings(config_path=ROOT / "config.yaml"))
    print(f"{options.calls:,} calls over {MONTHS} months; Python {sys.version.split()[0]}")
    if options.backend in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as scratch:
            folder = options.keep or Path(scratch)
            folder.mkdir(parents=True, exist_ok=True)
            engine = make_engine(f"sqlite:///{folder / 'bench.sqlite3'}", create=True)
            try:
                measure("SQLite", engine, config, options.calls, options.repeat)
            finally:
                engine.dispose()
    if options.backend in ("postgresql", "both"):
        with postgresql_schema(options.schema) as url:
            engine = make_engine(url)
            try:
                measure("PostgreSQL", engine, config, options.calls, options.repeat)
            finally:
                engine.dispose()


if __name__ == "__main__":
    main()
