"""Time one month's demand report over 1,000,000 calls, on SQLite and PostgreSQL, next to hand-written SQL.

    python bench/report_benchmark.py                      # both databases, 1,000,000 calls over 12 months
    python bench/report_benchmark.py --backend sqlite --calls 200000
    python bench/report_benchmark.py --keep /tmp/bench --schema bench   # keep the data, to run again

The calls come from the demo generator (`helpline demo-data`), inserted in bulk (COPY on PostgreSQL), then
ANALYZEd (and VACUUMed on PostgreSQL, as autovacuum would). The report is the last of the 12 months, so its
13-month trend reads every call. "Hand-written SQL" computes the same figures with the same query shapes,
written as SQL text and run on the raw driver cursor: what the database needs, without our query building,
result handling and table assembly. Target: report < 2 s and < 1.5x that.
PostgreSQL runs in a throwaway schema of HELPLINE_TEST_DATABASE_URL (default: the local server's "test").
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, create_engine, func, make_url, select, text

from call_log.codes import ANSWERED, NOT_ANSWERED
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
from reports.months import months_between, shift_month
from reports.volumes import TREND_MONTHS

ROOT = Path(__file__).resolve().parent.parent
POSTGRESQL_URL = os.environ.get(
    "HELPLINE_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
MONTHS = 12
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
PARIS = ZoneInfo("Europe/Paris")


def fill(engine: Engine, config: Config, calls: int) -> None:
    """Migrate, then add `calls` demo calls over the 12 months before NOW (skipped if already there)."""
    upgrade_database(engine, config)
    sessions = make_session_factory(engine)
    with sessions() as session:
        present = session.scalar(select(func.count()).select_from(Call)) or 0
    if present >= calls:
        print(f"  {present:,} calls already there")
        return
    months = [shift_month("2026-11", -offset) for offset in range(MONTHS, 0, -1)]
    started = time.perf_counter()
    with transaction(sessions) as session:
        directory = DemoDirectory.load(session, at=datetime(2026, 11, 17, 9, 0, tzinfo=UTC), tz=PARIS)
        connection = session.connection()
        generator = DemoGenerator(
            directory, hours=config.hours, tz=PARIS, now=NOW, seed=1001, first_ids=next_ids(connection)
        )
        for batch in generator.batches(months, calls - present, size=50_000):
            insert_batch(connection, batch)
        reset_sequences(connection)
    # Fresh statistics, as autovacuum would gather after such a load (VACUUM also lets PostgreSQL answer
    # from the covering indexes alone).
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
    else:
        with engine.connect() as connection:
            connection.execute(text("ANALYZE"))
            connection.commit()
    print(f"  generated and inserted {calls - present:,} calls in {time.perf_counter() - started:.1f} s")


# --- the same figures, written by hand ---------------------------------------------------------------


def hand_written(dialect: str, month: str) -> list[tuple[str, dict[str, Any]]]:
    """SQL statements (with :name parameters) computing what `build_report` computes, the same way."""
    start, end = month_bounds(month, PARIS)
    months = months_between(shift_month(month, -(TREND_MONTHS - 1)), month)
    compared = (month, shift_month(month, -1), shift_month(month, -12))
    params: dict[str, Any] = {"s": start, "e": end}
    for index, name in enumerate(months):
        params[f"s{index}"], params[f"e{index}"] = month_bounds(name, PARIS)
    answered = ", ".join(f"'{o}'" for o in ANSWERED)
    not_answered = ", ".join(f"'{o}'" for o in NOT_ANSWERED)
    month_calls = "started_at >= :s AND started_at < :e"
    month_c = "c.started_at >= :s AND c.started_at < :e"
    if dialect == "sqlite":
        within_24h = "julianday(r.contacted_at) - julianday(r.created_at) <= 1.0"
        hour = "strftime('%Y-%m-%d %H', started_at)"
    else:
        within_24h = "r.contacted_at - r.created_at <= interval '24 hours'"
        hour = "to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24')"
    zone = "CASE WHEN in_territory THEN 'territory' WHEN NOT in_territory THEN 'outside' ELSE 'unknown' END"
    top = "coalesce(sc.parent_code, c.category_code)"

    def each(template: str, names: Sequence[str]) -> str:
        return " UNION ALL ".join(
            template.format(
                month=name,
                range=f"started_at >= :s{months.index(name)} AND started_at < :e{months.index(name)}",
            )
            for name in names
        )

    statements = [
        each(
            f"""SELECT '{{month}}', count(*), sum(CASE WHEN outcome IN ({answered}) THEN 1 ELSE 0 END),
                sum(CASE WHEN outcome = 'unmet' THEN 1 ELSE 0 END),
                sum(CASE WHEN outcome IN ({not_answered}) THEN 1 ELSE 0 END),
                sum(CASE WHEN after_hours THEN 1 ELSE 0 END) FROM call WHERE {{range}}""",
            months,
        ),
        each("SELECT '{month}', count(DISTINCT caller_key) FROM call WHERE {range}", compared),
        each(
            """SELECT '{month}', count(*) FROM call
               WHERE {range} AND EXISTS (SELECT 1 FROM referral r WHERE r.call_id = call.id)""",
            compared,
        ),
        f"SELECT category_code, count(*) FROM call WHERE {month_calls} GROUP BY category_code",
        f"""SELECT {zone}, CASE WHEN in_territory THEN commune_insee END,
                CASE WHEN NOT in_territory THEN departement END, count(*)
            FROM call WHERE {month_calls} GROUP BY 1, 2, 3""",
        f"""SELECT {zone}, beneficiary, outcome, after_hours, count(*)
            FROM call WHERE {month_calls} GROUP BY 1, 2, 3, 4""",
        f"SELECT heard_from, count(*) FROM call WHERE {month_calls} GROUP BY heard_from",
        f"SELECT {hour}, count(*) FROM call WHERE {month_calls} GROUP BY 1",
        f"""SELECT count(*), count(t), sum(CASE WHEN t = 1 THEN 1 ELSE 0 END),
                sum(CASE WHEN t = 1 AND r IS NOT NULL THEN 1 ELSE 0 END),
                sum(CASE WHEN t = 1 AND r >= 2 THEN 1 ELSE 0 END),
                sum(CASE WHEN t = 1 AND r = 3 THEN 1 ELSE 0 END)
            FROM (SELECT
                    (SELECT max(CASE WHEN ta.result = 'completed' THEN 1 ELSE 0 END)
                     FROM transfer_attempt ta WHERE ta.call_id = c.id) AS t,
                    (SELECT max(CASE WHEN {within_24h} THEN 1 ELSE 0 END) * 2
                            + max(CASE WHEN r.quote_sent_at IS NOT NULL THEN 1 ELSE 0 END)
                     FROM referral r WHERE r.call_id = c.id) AS r
                  FROM call c WHERE c.channel = 'ivr' AND {month_c} LIMIT -1 OFFSET 0) AS per_call""",
        f"""SELECT CASE WHEN c.outcome = 'unmet' THEN 'no_association' ELSE 'not_answered' END,
                {top}, count(*)
            FROM call c LEFT JOIN service_category sc ON sc.code = c.category_code
            WHERE {month_c} AND c.outcome IN ('unmet', {not_answered})
            GROUP BY 1, 2""",
        f"""SELECT {top}, c.in_territory,
                CASE WHEN c.in_territory THEN c.commune_insee ELSE c.departement END, count(*)
            FROM call c LEFT JOIN service_category sc ON sc.code = c.category_code
            WHERE {month_c} AND c.outcome = 'unmet' GROUP BY 1, 2, 3""",
        f"""SELECT ta.target, ta.association_id, count(*),
                sum(CASE WHEN ta.result = 'completed' THEN 1 ELSE 0 END)
            FROM transfer_attempt ta JOIN call c ON c.id = ta.call_id
            WHERE {month_c} GROUP BY 1, 2""",
        f"""SELECT r.association_id, count(*), sum(CASE WHEN {within_24h} THEN 1 ELSE 0 END),
                sum(CASE WHEN r.quote_sent_at IS NOT NULL THEN 1 ELSE 0 END)
            FROM referral r JOIN call c ON c.id = r.call_id
            WHERE {month_c} GROUP BY 1""",
    ]
    if dialect != "sqlite":
        statements = [statement.replace("LIMIT -1 OFFSET 0", "OFFSET 0") for statement in statements]
    return [(statement, params) for statement in statements]


def run_raw(engine: Engine, statements: list[tuple[str, dict[str, Any]]]) -> int:
    """Run the statements on the driver's own cursor; returns how many rows came back."""
    rows = 0
    with engine.connect() as connection:
        raw = connection.connection.driver_connection
        assert raw is not None
        cursor = raw.cursor()
        if engine.dialect.name == "postgresql":
            cursor.execute("SET jit = off")  # as the report does
        for statement, params in statements:
            if engine.dialect.name == "sqlite":
                # SQLite keeps datetimes as text, in SQLAlchemy's format.
                values = {k: v.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f") for k, v in params.items()}
                cursor.execute(statement, values)
            else:
                cursor.execute(re.sub(r":(\w+)", r"%(\1)s", statement), params)
            rows += len(cursor.fetchall())
        cursor.close()
    return rows


def timed(action: Callable[[], object], repeat: int) -> tuple[float, float]:
    """(median, best) seconds of `repeat` runs, after one warm-up run."""
    action()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times), min(times)


def one_group_by(engine: Engine, month: str) -> Callable[[], object]:
    """The reference query most people would write: calls of the month by category and commune."""
    start, end = month_bounds(month, PARIS)
    query = (
        select(Call.category_code, Call.commune_insee, func.count())
        .where(Call.started_at >= start, Call.started_at < end)
        .group_by(Call.category_code, Call.commune_insee)
    )

    def run() -> object:
        with engine.connect() as connection:
            return connection.execute(query).all()

    return run


def measure(name: str, engine: Engine, config: Config, calls: int, repeat: int) -> None:
    """Fill the database, then print the timings of the report and of the hand-written SQL."""
    print(f"{name}:")
    fill(engine, config, calls)
    month = "2026-10"
    sessions = make_session_factory(engine)
    start, end = month_bounds(month, PARIS)
    with sessions() as session:
        in_month = session.scalar(select(func.count()).where(Call.started_at >= start, Call.started_at < end))

    def report() -> object:
        with sessions() as session:
            return build_report(session, month, tz=PARIS, helpline_name="bench", now=NOW)

    def files() -> object:
        with sessions() as session:
            figures = collect_month(session, month, MAILED, config=config, now=NOW)
        return render_files(figures, MAILED)

    statements = hand_written(engine.dialect.name, month)
    report_median, report_best = timed(report, repeat)
    raw_median, raw_best = timed(lambda: run_raw(engine, statements), repeat)
    single_median, _ = timed(one_group_by(engine, month), repeat)
    files_median, _ = timed(files, 1)
    ratio = report_median / raw_median
    print(f"  month {month}: {in_month:,} calls; the trend reads 13 months")
    print(f"  build_report (aggregation)        median {report_median:6.3f} s  best {report_best:6.3f} s")
    print(f"  hand-written SQL, same figures    median {raw_median:6.3f} s  best {raw_best:6.3f} s")
    print(f"  ratio report / hand-written       {ratio:6.2f}x   (target < 1.5x, report < 2 s)")
    print(f"  one GROUP BY category x commune   median {single_median:6.3f} s  (for scale)")
    print(f"  report + HTML, CSV, XLSX files    {files_median:6.3f} s  (charts and workbook included)")
    verdict = "OK" if report_median < 2 and ratio < 1.5 else "MISSED"
    print(f"  {verdict}")


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
