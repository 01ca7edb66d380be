"""The independent baseline of bench/report_benchmark.py: the report's figures from the fewest, most direct
SQL statements a person would write against the call tables, then folded in a few lines of Python.

Seven statements, none of the report's own query shapes: the 13-month trend is one GROUP BY over a list of
month bounds; the month's calls are grouped once by category, place and outcome and once by beneficiary
and source; the heat map by UTC hour; each call's journey by a LEFT JOIN of its transfers and referrals
grouped per call (for the month and the two months it is compared with, which also gives their referred
calls); transfers and referrals by association. No roll-up: everything is counted from the calls.
`figures_of_report` reads the same counts out of a built report, so that the two can be compared.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from call_log.codes import ANSWERED, NOT_ANSWERED
from call_log.periods import month_bounds
from reports.months import months_between, shift_month
from reports.tables import MonthlyDemandReport

Figures = dict[str, dict[tuple[Any, ...], tuple[int, ...]]]
"""Table name -> row key -> the row's counts (rows whose counts are all zero left out)."""

# Keys of each table's rows: its code columns, unless named here.
KEYS = {
    "communes": ("zone", "commune_insee", "departement"),
    "heatmap": ("weekday", "hour"),
    "trend": ("month",),
}
# Rates and shares are divisions of the counts compared; the rates table is left out for that reason.
COMPARED = (
    "key_figures", "trend", "categories", "subcategories", "communes", "territory_beneficiary", "outcomes",
    "heard_from", "heatmap", "funnel", "unmet", "uncovered_places", "associations",
)  # fmt: skip
FUNNEL = ("menu", "transfer_attempted", "answered", "referred", "contacted_24h", "quote")


def statements(dialect: str, month: str, tz: ZoneInfo) -> tuple[list[str], dict[str, Any]]:
    """The seven statements (with :name parameters) and their parameters."""
    months = months_between(shift_month(month, -12), month)
    compared = (month, shift_month(month, -1), shift_month(month, -12))
    params: dict[str, Any] = {}
    for index, name in enumerate(months):
        params[f"m{index}"] = name
        params[f"s{index}"], params[f"e{index}"] = month_bounds(name, tz)
    params["s"], params["e"] = month_bounds(month, tz)

    def bounds(names: tuple[str, ...] | list[str]) -> str:
        rows = ", ".join(f"(:m{i}, :s{i}, :e{i})" for i, name in enumerate(months) if name in names)
        return f"WITH m(month, s, e) AS (VALUES {rows})"

    answered = ", ".join(f"'{o}'" for o in ANSWERED)
    not_answered = ", ".join(f"'{o}'" for o in NOT_ANSWERED)
    if dialect == "sqlite":
        within_24h = "julianday(r.contacted_at) - julianday(r.created_at) <= 1.0"
        hour = "strftime('%Y-%m-%d %H', started_at)"
    else:
        within_24h = "r.contacted_at - r.created_at <= interval '24 hours'"
        hour = "to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24')"
    in_month = "c.started_at >= :s AND c.started_at < :e"
    return [
        f"""{bounds(months)}
            SELECT m.month, count(*), sum(CASE WHEN c.outcome IN ({answered}) THEN 1 ELSE 0 END),
                sum(CASE WHEN c.outcome = 'unmet' THEN 1 ELSE 0 END),
                sum(CASE WHEN c.outcome IN ({not_answered}) THEN 1 ELSE 0 END),
                sum(CASE WHEN c.after_hours THEN 1 ELSE 0 END), count(DISTINCT c.caller_key)
            FROM m JOIN call c ON c.started_at >= m.s AND c.started_at < m.e GROUP BY m.month""",
        f"""SELECT category_code, in_territory, commune_insee, departement, outcome, count(*)
            FROM call c WHERE {in_month} GROUP BY 1, 2, 3, 4, 5""",
        f"""SELECT in_territory, beneficiary, heard_from, count(*) FROM call c WHERE {in_month}
            GROUP BY 1, 2, 3""",
        f"SELECT {hour}, count(*) FROM call c WHERE {in_month} GROUP BY 1",
        f"""{bounds(compared)}
            SELECT month, channel, answered, referred, contacted, quoted, count(*) FROM (
                SELECT m.month, c.id, c.channel,
                    max(CASE WHEN ta.result = 'completed' THEN 1 WHEN ta.id IS NOT NULL THEN 0 END)
                        AS answered,
                    max(CASE WHEN r.id IS NOT NULL THEN 1 ELSE 0 END) AS referred,
                    max(CASE WHEN {within_24h} THEN 1 ELSE 0 END) AS contacted,
                    max(CASE WHEN r.quote_sent_at IS NOT NULL THEN 1 ELSE 0 END) AS quoted
                FROM m JOIN call c ON c.started_at >= m.s AND c.started_at < m.e
                LEFT JOIN transfer_attempt ta ON ta.call_id = c.id
                LEFT JOIN referral r ON r.call_id = c.id
                GROUP BY m.month, c.id, c.channel) AS per_call
            GROUP BY 1, 2, 3, 4, 5, 6""",
        f"""SELECT ta.target, ta.association_id, count(*),
                sum(CASE WHEN ta.result = 'completed' THEN 1 ELSE 0 END)
            FROM transfer_attempt ta JOIN call c ON c.id = ta.call_id WHERE {in_month} GROUP BY 1, 2""",
        f"""SELECT r.association_id, count(*), sum(CASE WHEN {within_24h} THEN 1 ELSE 0 END),
                sum(CASE WHEN r.quote_sent_at IS NOT NULL THEN 1 ELSE 0 END)
            FROM referral r JOIN call c ON c.id = r.call_id WHERE {in_month} GROUP BY 1""",
    ], params


def run_baseline(engine: Engine, month: str, tz: ZoneInfo) -> list[list[tuple[Any, ...]]]:
    """Run the statements on the driver's own cursor: the rows of each."""
    sql, params = statements(engine.dialect.name, month, tz)
    results = []
    with engine.connect() as connection:
        raw = connection.connection.driver_connection
        assert raw is not None
        cursor = raw.cursor()
        if engine.dialect.name == "sqlite":
            # SQLite keeps datetimes as text, in SQLAlchemy's format.
            params = {
                k: v.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f") if isinstance(v, datetime) else v
                for k, v in params.items()
            }
        else:
            cursor.execute("SET jit = off")  # as the report does
            sql = [re.sub(r":(\w+)", r"%(\1)s", statement) for statement in sql]
        for statement in sql:
            cursor.execute(statement, params)
            results.append([tuple(row) for row in cursor.fetchall()])
        cursor.close()
        categories = dict(connection.exec_driver_sql("SELECT code, parent_code FROM service_category").all())
    results.append(list(categories.items()))
    return results


def fold(results: list[list[tuple[Any, ...]]], month: str, tz: ZoneInfo) -> Figures:
    """The report's counts, from the rows of `run_baseline`."""
    trend_rows, by_place, by_person, by_hour, journeys, transfers, referrals, categories = results
    parent = dict(categories)

    def top(code: str | None) -> str:
        return (parent.get(code) or code or "") if code in parent else (code or "")

    def zone(inside: Any) -> str:
        return "unknown" if inside is None else "territory" if inside else "outside"

    tally: dict[str, Counter[tuple[Any, ...]]] = {name: Counter() for name in COMPARED}
    months = months_between(shift_month(month, -12), month)
    trend = {row[0]: row[1:] for row in trend_rows}
    referred: Counter[str] = Counter()
    funnel = [0] * 6
    for in_month, channel, answered, was_referred, contacted, quoted, calls in journeys:
        referred[in_month] += calls if was_referred else 0
        if in_month != month or channel != "ivr":
            continue
        passed = [
            True,
            answered is not None,
            answered == 1,
            bool(was_referred),
            bool(contacted),
            bool(quoted),
        ]
        for stage in range(6):
            funnel[stage] += calls if all(passed[: stage + 1]) else 0
    for category, stored_inside, insee, departement, outcome, calls in by_place:
        inside = None if stored_inside is None else bool(stored_inside)  # SQLite: 0 or 1
        code, where = top(category), zone(inside)
        tally["categories"][(code,)] += calls
        if category is not None:
            tally["subcategories"][(code, "" if category == code else category)] += calls
        place = (where, (insee or "") if inside else "", (departement or "") if inside is False else "")
        tally["communes"][place] += calls
        tally["outcomes"][(outcome or "",)] += calls
        if outcome == "unmet" or outcome in NOT_ANSWERED:
            tally["unmet"][("no_association" if outcome == "unmet" else "not_answered", code)] += calls
        if outcome == "unmet":
            tally["uncovered_places"][(code, where, (insee if inside else departement) or "")] += calls
    for inside, beneficiary, heard_from, calls in by_person:
        tally["territory_beneficiary"][(zone(inside), beneficiary or "")] += calls
        tally["heard_from"][(heard_from or "",)] += calls
    for hour, calls in by_hour:
        local = datetime.strptime(hour, "%Y-%m-%d %H").replace(tzinfo=UTC).astimezone(tz)
        tally["heatmap"][(local.isoweekday(), local.hour)] += calls
    figures: Figures = {name: {key: (n,) for key, n in counts.items() if n} for name, counts in tally.items()}
    zeros = (0,) * 6
    figures["trend"] = {(m,): tuple(int(v) for v in trend.get(m, zeros)[:5]) for m in months}
    compared = (month, shift_month(month, -1), shift_month(month, -12))
    indicators = {
        "calls": 0,
        "distinct_callers": 5,
        "answered": 1,
        "unmet": 2,
        "not_answered": 3,
        "after_hours": 4,
    }
    figures["key_figures"] = {
        (name,): tuple(int(trend.get(m, zeros)[i]) for m in compared) for name, i in indicators.items()
    }
    figures["key_figures"][("referred",)] = tuple(referred[m] for m in compared)
    figures["funnel"] = {(stage,): (n,) for stage, n in zip(FUNNEL, funnel, strict=True)}
    associations: defaultdict[tuple[Any, ...], list[int]] = defaultdict(lambda: [0] * 5)
    for target, association_id, attempts, answered in transfers:
        key = ("operators", "") if target == "operators" else ("association", str(association_id or ""))
        associations[key][0] += attempts
        associations[key][1] += int(answered or 0)
    for association_id, count, contacted, quoted in referrals:
        key = ("association", str(association_id or ""))
        associations[key][2:] = [count, int(contacted or 0), int(quoted or 0)]
    figures["associations"] = {key: tuple(int(v) for v in counts) for key, counts in associations.items()}
    return {name: {key: value for key, value in rows.items() if any(value)} for name, rows in figures.items()}


def figures_of_report(report: MonthlyDemandReport) -> Figures:
    """The counts of a built report, keyed as `fold` keys them."""
    figures: Figures = {}
    for name in COMPARED:
        table = report.table(name)
        keys = KEYS.get(name) or tuple(column.name for column in table.columns if column.code)
        names = [column.name for column in table.columns]
        counts = [i for i, column in enumerate(table.columns) if column.kind == "count"]
        rows = {}
        for row in table.rows:
            value = tuple(int(row[i] or 0) for i in counts)
            if any(value):
                rows[tuple(row[names.index(key)] for key in keys)] = value
        figures[name] = rows
    return figures


def differences(report: Figures, baseline: Figures) -> list[str]:
    """Where the report and the baseline disagree, one line each (empty when they agree)."""
    lines = []
    for name in COMPARED:
        for key in sorted(set(report[name]) | set(baseline[name]), key=repr):
            if report[name].get(key) != baseline[name].get(key):
                lines.append(
                    f"{name} {key}: report {report[name].get(key)}, baseline {baseline[name].get(key)}"
                )
    return lines
