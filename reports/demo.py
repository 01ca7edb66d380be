"""Synthetic calls for trying the reports: `helpline demo-data --calls N --months M`.

The call log it writes looks like the helpline's: more calls in autumn and on Monday mornings, gardening in
spring and summer, most callers living elsewhere and calling for a parent who lives in the park, a share
of calls after hours, unanswered or for services no association covers, and referrals that associations
follow up (or not) within a day. Rows are generated in batches and inserted in bulk (COPY on PostgreSQL,
executemany elsewhere). Every phone number is in the ranges ARCEP reserves for fiction.
"""

from __future__ import annotations

import calendar
import hashlib
import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Table, func, insert, select, text
from sqlalchemy.orm import Session

from call_log.models import Call, CallbackRequest, Referral, TransferAttempt
from call_log.privacy import mask
from directory.models import Commune, ServiceCategory
from directory.routing import route
from foundation.config import OpeningHours
from foundation.db import Base
from reports.months import shift_month

Row = dict[str, Any]
BATCH = 20_000

# Relative weights, by month of the year (January first), of weekdays (Monday first) and hours of the day.
SEASON = (1.0, 1.0, 1.05, 1.1, 1.1, 1.0, 0.8, 0.7, 1.2, 1.25, 1.15, 0.85)
WEEKDAY = (1.35, 1.15, 1.0, 1.05, 0.95, 0.3, 0.15)
HOUR = (
    0,
    0,
    0,
    0,
    0,
    0,
    0.2,
    0.6,
    2.2,
    3.2,
    3.0,
    2.6,
    1.3,
    1.4,
    2.6,
    2.8,
    2.4,
    1.8,
    0.9,
    0.5,
    0.3,
    0.2,
    0.1,
    0,
)
CATEGORIES = {
    "MAISON": 28,
    "AUTONOMIE": 22,
    "EXTERIEUR": 16,
    "COURSES_REPAS": 10,
    "TRANSPORT": 9,
    "ENFANTS": 6,
    "SANTE": 4,
    "DEMARCHES": 3,
    "AUTRE": 2,
}
BENEFICIARIES = {"relative": 55, "self": 33, "professional": 8, "other": 4}
HEARD_FROM = {"town_hall": 30, "word_of_mouth": 25, "press": 12, "internet": 15, "shop": 8, "other": 10}
# Where callers calling for a relative live, by département and area (most live away from the park).
AWAY = (("75", "Paris"), ("37", "Tours"), ("45", "Orléans"), ("86", "Poitiers"), ("87", "Limoges"),
        ("36", "Châteauroux"), ("92", "Hauts-de-Seine"), ("33", "Bordeaux"))  # fmt: skip
OUTSIDE_DEPARTEMENTS = ("36", "36", "36", "37", "86", "87", "18", "23")
# What the voice menu asks after the service: unknown when the caller hangs up in the menu.
ASKED_AFTER_MENU = (
    "commune_insee",
    "postal_code",
    "in_territory",
    "departement",
    "beneficiary",
    "heard_from",
)
CHANNELS = {"ivr": 94, "phone": 3, "visit": 1.5, "email": 1, "letter": 0.5}


@dataclass(frozen=True)
class DemoDirectory:
    """What the generator needs to know of the directory: communes, categories, who covers what."""

    communes: Sequence[tuple[str, str]]  # (INSEE, postal code) of the territory
    subcategories: dict[str, list[str]]
    # (top category, commune) -> association ids that take such calls, best first.
    coverage: dict[tuple[str, str], list[int]]
    any_association: dict[str, list[int]] = field(default_factory=dict)

    @classmethod
    def load(cls, session: Session, *, at: datetime) -> DemoDirectory:
        """Read the directory, asking the routing function who covers each category in each commune."""
        communes = list(session.execute(select(Commune.insee, Commune.postal_code).order_by(Commune.insee)))
        subcategories: dict[str, list[str]] = {code: [] for code in CATEGORIES}
        for code, parent in session.execute(select(ServiceCategory.code, ServiceCategory.parent_code)):
            if parent in subcategories:
                subcategories[parent].append(code)
        coverage: dict[tuple[str, str], list[int]] = {}
        anywhere: dict[str, list[int]] = {}
        for category in CATEGORIES:
            for insee, _postal in communes:
                found = [
                    c.association_id for c in route(session, category=category, commune_insee=insee, at=at)
                ]
                coverage[(category, insee)] = found
                anywhere.setdefault(category, [])
                anywhere[category] += [a for a in found if a not in anywhere[category]]
        return cls([(i, p) for i, p in communes], subcategories, coverage, anywhere)


def _weighted(options: dict[str, float]) -> Callable[[random.Random], str]:
    keys, weights = list(options), list(options.values())
    cumulative = [sum(weights[: i + 1]) for i in range(len(weights))]
    return lambda rng: rng.choices(keys, cum_weights=cumulative)[0]


def _is_open(hours: OpeningHours, local: datetime) -> bool:
    moment = local.time()
    return any(span.contains(moment) for span in hours.for_weekday(local.weekday()))


@dataclass
class _Ids:
    call: int
    transfer: int
    referral: int
    callback: int


@dataclass
class DemoBatch:
    """Rows to insert together: children refer to their calls by explicit ids."""

    calls: list[Row] = field(default_factory=list)
    transfers: list[Row] = field(default_factory=list)
    referrals: list[Row] = field(default_factory=list)
    callbacks: list[Row] = field(default_factory=list)


class DemoGenerator:
    """Generates calls over whole months, in batches; the same seed gives the same rows."""

    def __init__(
        self,
        directory: DemoDirectory,
        *,
        hours: OpeningHours,
        tz: ZoneInfo,
        now: datetime,
        seed: int | None = None,
        first_ids: tuple[int, int, int, int] = (1, 1, 1, 1),
    ) -> None:
        self.directory, self.hours, self.tz, self.now = directory, hours, tz, now
        self.rng = random.Random(seed)
        self.ids = _Ids(*first_ids)
        self.category = _weighted({k: float(v) for k, v in CATEGORIES.items()})
        self.beneficiary = _weighted({k: float(v) for k, v in BENEFICIARIES.items()})
        self.heard_from = _weighted({k: float(v) for k, v in HEARD_FROM.items()})
        self.channel = _weighted(CHANNELS)
        # The park's communes, a few towns weighing more (Le Blanc, Mézières, Rosnay...).
        self.commune_weights = [
            4.0 if insee in {"36018", "36123", "36176"} else 1.0 for insee, _ in directory.communes
        ]
        # Few distinct numbers exist in the fictional ranges, so callers call again, as they do.
        self.callers: list[str] = []
        self.sid_prefix = f"{self.rng.getrandbits(64):016x}"

    def month_counts(self, months: Sequence[str], calls: int) -> list[int]:
        """How many calls each month gets: seasonality and a slow growth, summing to `calls`."""
        weights = [SEASON[int(month[5:]) - 1] * (1.0 + 0.02 * index) for index, month in enumerate(months)]
        total = sum(weights)
        counts = [int(calls * weight / total) for weight in weights]
        counts[-1] += calls - sum(counts)
        return counts

    def batches(self, months: Sequence[str], calls: int, *, size: int = BATCH) -> Iterator[DemoBatch]:
        """All the rows, `size` calls at a time."""
        batch = DemoBatch()
        for month, count in zip(months, self.month_counts(months, calls), strict=True):
            year, number = int(month[:4]), int(month[5:])
            days = range(1, calendar.monthrange(year, number)[1] + 1)
            day_weights = [WEEKDAY[calendar.weekday(year, number, day)] for day in days]
            for _ in range(count):
                day = self.rng.choices(days, weights=day_weights)[0]
                hour = self.rng.choices(range(24), weights=HOUR)[0]
                local = datetime.combine(
                    datetime(year, number, day).date(),
                    time(hour, self.rng.randrange(60), self.rng.randrange(60)),
                    tzinfo=self.tz,
                )
                started = local.astimezone(UTC)
                if started >= self.now:
                    continue
                self._call(batch, started, local)
                if len(batch.calls) >= size:
                    yield batch
                    batch = DemoBatch()
        if batch.calls:
            yield batch

    def _caller(self) -> str:
        if self.callers and self.rng.random() < 0.3:
            return self.rng.choice(self.callers)
        prefix = self.rng.choice(("+3363998", "+3326191"))
        number = f"{prefix}{self.rng.randrange(10_000):04d}"
        self.callers.append(number)
        return number

    def _call(self, batch: DemoBatch, started: datetime, local: datetime) -> None:
        rng, ids = self.rng, self.ids
        call_id = ids.call
        ids.call += 1
        channel = self.channel(rng)
        number = self._caller()
        top = self.category(rng)
        if top == "EXTERIEUR" and local.month in (4, 5, 6, 7, 8, 9):
            top = "EXTERIEUR" if rng.random() < 0.9 else self.category(rng)
        subs = self.directory.subcategories.get(top) or []
        category = rng.choice(subs) if subs and rng.random() < 0.5 else top
        beneficiary = self.beneficiary(rng)
        where = rng.random()
        insee = postal = departement = None
        in_territory: bool | None = None
        if where < 0.78:
            insee, postal = rng.choices(self.directory.communes, weights=self.commune_weights)[0]
            in_territory, departement = True, "36"
        elif where < 0.9:
            in_territory, departement = False, rng.choice(OUTSIDE_DEPARTEMENTS)
        away = AWAY[rng.randrange(len(AWAY))]
        after_hours = channel == "ivr" and not _is_open(self.hours, local)
        row: Row = {
            "id": call_id,
            "call_sid": f"CA{self.sid_prefix}{call_id:016x}",
            "channel": channel,
            "started_at": started,
            "caller": mask(number),
            "caller_country": "FR",
            "called": "+33261911000",
            "status": "completed",
            "status_sequence": None,
            "category_code": category,
            "association_id": None,
            "menu_path": "",
            "commune_insee": insee,
            "postal_code": postal,
            "in_territory": in_territory,
            "departement": departement,
            "beneficiary": beneficiary,
            "heard_from": self.heard_from(rng) if rng.random() < 0.6 else None,
            "caller_area": away[1] if beneficiary == "relative" else "Indre",
            "caller_key": hashlib.sha256(number.encode()).hexdigest()[:32],
            "after_hours": after_hours,
            "notes": "",
        }
        clock = started + timedelta(seconds=rng.randrange(20, 70))
        if channel != "ivr":
            outcome = "connected_operator"
            if rng.random() < 0.6:
                self._referral(batch, row, self._any_association(top), clock, "operator")
        elif rng.random() < 0.07:
            outcome = "abandoned_in_menu"
            unknown = (
                "commune_insee",
                "postal_code",
                "in_territory",
                "departement",
                "beneficiary",
                "heard_from",
            )
            row.update(dict.fromkeys(unknown), category_code=None if rng.random() < 0.5 else category)
        elif rng.random() < 0.01:
            outcome = "failed"
        elif after_hours:
            outcome = "after_hours_voicemail" if rng.random() < 0.55 else "after_hours_no_message"
            if outcome == "after_hours_voicemail":
                self._callback(batch, call_id, number, clock)
        else:
            outcome, clock = self._transfers(batch, row, top, insee, clock, number)
        row["outcome"] = outcome
        duration = int((clock - started).total_seconds()) + rng.randrange(30, 400)
        row["ended_at"] = started + timedelta(seconds=duration)
        row["duration_s"] = duration
        batch.calls.append(row)

    def _any_association(self, top: str) -> int | None:
        found = self.directory.any_association.get(top) or []
        return self.rng.choice(found) if found else None

    def _transfers(
        self, batch: DemoBatch, row: Row, top: str, insee: str | None, clock: datetime, number: str
    ) -> tuple[str, datetime]:
        """Ring associations then the operators; returns the outcome and when the call was taken or left."""
        rng = self.rng
        candidates = (
            self.directory.coverage.get((top, insee), [])
            if insee
            else (self.directory.any_association.get(top, []) if row["in_territory"] is None else [])
        )
        attempt = 0
        if row["in_territory"] is not False and not candidates:
            unmet = True
        else:
            unmet = False
            for association_id in candidates[:2]:
                attempt += 1
                answered = rng.random() < 0.72
                self._transfer(batch, row["id"], attempt, "association", association_id, clock, answered)
                clock += timedelta(seconds=rng.randrange(5, 25))
                if answered:
                    row["association_id"] = association_id
                    self._referral(batch, row, association_id, clock, "ivr")
                    return "connected_association", clock
                if rng.random() < 0.6:
                    break
        attempt += 1
        answered = rng.random() < 0.68
        self._transfer(batch, row["id"], attempt, "operators", None, clock, answered)
        clock += timedelta(seconds=rng.randrange(5, 30))
        if unmet:
            return "unmet", clock
        if answered:
            if rng.random() < 0.35:
                self._referral(batch, row, self._any_association(top), clock, "operator")
            return "connected_operator", clock
        if rng.random() < 0.7:
            self._callback(batch, row["id"], number, clock)
            return "voicemail", clock
        return "missed", clock

    def _transfer(
        self, batch: DemoBatch, call_id: int, attempt: int, target: str, association_id: int | None,
        at: datetime, answered: bool,
    ) -> None:  # fmt: skip
        batch.transfers.append(
            {
                "id": self.ids.transfer,
                "call_id": call_id,
                "attempt": attempt,
                "target": target,
                "association_id": association_id,
                "started_at": at,
                "result": "completed" if answered else self.rng.choice(("no-answer", "no-answer", "busy")),
                "duration_s": self.rng.randrange(60, 600) if answered else None,
            }
        )
        self.ids.transfer += 1

    def _referral(
        self, batch: DemoBatch, row: Row, association_id: int | None, at: datetime, source: str
    ) -> None:
        rng = self.rng
        delay = rng.random()
        contacted = None
        if delay < 0.55:
            contacted = at + timedelta(hours=rng.uniform(0.5, 23.5))
        elif delay < 0.8:
            contacted = at + timedelta(hours=rng.uniform(25, 96))
        quoted = contacted + timedelta(days=rng.uniform(1, 12)) if contacted and rng.random() < 0.45 else None
        if contacted and contacted > self.now:
            contacted = quoted = None
        if quoted and quoted > self.now:
            quoted = None
        batch.referrals.append(
            {
                "id": self.ids.referral,
                "call_id": row["id"],
                "association_id": association_id,
                "category_code": row["category_code"],
                "created_at": at,
                "source": source,
                "created_by": "" if source == "ivr" else "demo",
                "follow_up": "quote_sent" if quoted else "contacted" if contacted else "pending",
                "contacted_at": contacted,
                "quote_sent_at": quoted,
                "updated_at": quoted or contacted,
                "notes": "",
            }
        )
        self.ids.referral += 1

    def _callback(self, batch: DemoBatch, call_id: int, number: str, at: datetime) -> None:
        done = at + timedelta(hours=self.rng.uniform(1, 48))
        batch.callbacks.append(
            {
                "id": self.ids.callback,
                "call_id": call_id,
                "created_at": at,
                "callback_number": number,
                "recording_url": "",
                "recording_sid": "",
                "recording_duration_s": self.rng.randrange(5, 90),
                "state": "done" if done < self.now else "open",
                "assigned_to": None,
                "attempts": 1 if done < self.now else 0,
                "updated_at": done if done < self.now else None,
                "notes": "",
            }
        )
        self.ids.callback += 1


TABLES: tuple[tuple[str, Table], ...] = tuple(
    (attribute, Base.metadata.tables[model.__tablename__])
    for attribute, model in (
        ("calls", Call),
        ("transfers", TransferAttempt),
        ("referrals", Referral),
        ("callbacks", CallbackRequest),
    )
)


def next_ids(connection: Connection) -> tuple[int, int, int, int]:
    """The first free id of each demo table (rows get explicit ids so children can refer to calls)."""
    found = [connection.scalar(select(func.coalesce(func.max(table.c.id), 0))) or 0 for _, table in TABLES]
    return found[0] + 1, found[1] + 1, found[2] + 1, found[3] + 1


def insert_batch(connection: Connection, batch: DemoBatch) -> None:
    """Insert a batch in bulk: COPY on PostgreSQL, executemany elsewhere."""
    for attribute, table in TABLES:
        rows: list[Row] = getattr(batch, attribute)
        if not rows:
            continue
        if connection.dialect.name == "postgresql":
            _copy(connection, table, rows)
        else:
            connection.execute(insert(table), rows)


def _copy(connection: Connection, table: Table, rows: list[Row]) -> None:
    names = list(rows[0])
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor.copy(f"COPY {table.name} ({', '.join(names)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([row[name] for name in names])


def reset_sequences(connection: Connection) -> None:
    """After explicit ids, move PostgreSQL's id sequences past them (SQLite needs nothing)."""
    if connection.dialect.name != "postgresql":
        return
    for _, table in TABLES:
        connection.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                f"(SELECT coalesce(max(id), 1) FROM {table.name}))"
            )
        )


def demo_months(now: datetime, tz: ZoneInfo, months: int) -> list[str]:
    """The `months` whole months before the current one."""
    current = now.astimezone(tz).strftime("%Y-%m")
    return [shift_month(current, -offset) for offset in range(months, 0, -1)]
