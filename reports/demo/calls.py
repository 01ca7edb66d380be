"""The synthetic-call generator: whole months of calls, their transfers, referrals and callbacks, as rows.

Seeded, and pure but for `DemoDirectory.load`, which asks the directory who covers what: the same seed and
directory give the same rows. Each call is drawn from `reports.demo.weights`, then taken down the voice
journey: hung up in the menu, after hours, transferred to associations, then to the operators.
"""

from __future__ import annotations

import calendar
import hashlib
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from call_log.codes import (
    Beneficiary,
    CallbackState,
    CallStatus,
    Channel,
    DialResult,
    FollowUpState,
    Outcome,
    ReferralSource,
    TransferTarget,
)
from call_log.models import OBSERVATORY_FIELDS
from call_log.privacy import mask
from directory.models import Commune, ServiceCategory
from directory.routing import route
from directory.snapshot import DirectoryCache
from foundation.config import OpeningHours
from reports.demo.batches import DemoBatch, Row
from reports.demo.weights import (
    AWAY,
    BENEFICIARIES,
    CATEGORIES,
    CHANNELS,
    HEARD_FROM,
    HOUR,
    OUTSIDE_DEPARTEMENTS,
    SEASON,
    WEEKDAY,
    weighted,
)
from reports.months import shift_month

BATCH = 20_000
# How a ringing phone that nobody took ends, twice as often unanswered as busy.
NOT_TAKEN = (DialResult.NO_ANSWER, DialResult.NO_ANSWER, DialResult.BUSY)


@dataclass(frozen=True)
class DemoDirectory:
    """What the generator needs to know of the directory: communes, categories, who covers what."""

    communes: Sequence[tuple[str, str]]  # (INSEE, postal code) of the territory
    subcategories: dict[str, list[str]]
    # (top category, commune) -> association ids that take such calls, best first.
    coverage: dict[tuple[str, str], list[int]]
    any_association: dict[str, list[int]] = field(default_factory=dict)

    @classmethod
    def load(cls, session: Session, *, at: datetime, tz: ZoneInfo) -> DemoDirectory:
        """Read the directory, asking the routing function who covers each category in each commune."""
        communes = list(session.execute(select(Commune.insee, Commune.postal_code).order_by(Commune.insee)))
        subcategories: dict[str, list[str]] = {code: [] for code in CATEGORIES}
        for code, parent in session.execute(select(ServiceCategory.code, ServiceCategory.parent_code)):
            if parent in subcategories:
                subcategories[parent].append(code)
        coverage: dict[tuple[str, str], list[int]] = {}
        anywhere: dict[str, list[int]] = {}
        kept = DirectoryCache()  # the directory read once for the whole grid, as the voice menu keeps it
        for category in CATEGORIES:
            for insee, _postal in communes:
                found = [
                    c.association_id
                    for c in route(session, category=category, commune_insee=insee, at=at, tz=tz, cache=kept)
                ]
                coverage[(category, insee)] = found
                anywhere.setdefault(category, [])
                anywhere[category] += [a for a in found if a not in anywhere[category]]
        return cls([(i, p) for i, p in communes], subcategories, coverage, anywhere)


@dataclass
class _Ids:
    call: int
    transfer: int
    referral: int
    callback: int


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
        self.category = weighted(CATEGORIES)
        self.beneficiary = weighted(BENEFICIARIES)
        self.heard_from = weighted(HEARD_FROM)
        self.channel = weighted(CHANNELS)
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
        after_hours = channel == Channel.IVR and not self.hours.is_open_at(local)
        row: Row = {
            "id": call_id,
            "call_sid": f"CA{self.sid_prefix}{call_id:016x}",
            "channel": channel,
            "started_at": started,
            "caller": mask(number),
            "caller_country": "FR",
            "called": "+33261911000",
            "status": CallStatus.COMPLETED,
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
            "caller_area": away[1] if beneficiary == Beneficiary.RELATIVE else "Indre",
            "caller_key": hashlib.sha256(number.encode()).hexdigest()[:32],
            "after_hours": after_hours,
            "notes": "",
        }
        clock = started + timedelta(seconds=rng.randrange(20, 70))
        outcome: Outcome
        if channel != Channel.IVR:
            outcome = Outcome.CONNECTED_OPERATOR
            if rng.random() < 0.6:
                self._referral(batch, row, self._any_association(top), clock, ReferralSource.OPERATOR)
        elif rng.random() < 0.07:
            outcome = Outcome.ABANDONED_IN_MENU
            # What the menu asks after the service stays unknown when the caller hangs up in it.
            row.update(dict.fromkeys(OBSERVATORY_FIELDS))
            row["category_code"] = None if rng.random() < 0.5 else category
        elif rng.random() < 0.01:
            outcome = Outcome.FAILED
        elif after_hours:
            left_message = rng.random() < 0.55
            outcome = Outcome.AFTER_HOURS_VOICEMAIL if left_message else Outcome.AFTER_HOURS_NO_MESSAGE
            if left_message:
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
    ) -> tuple[Outcome, datetime]:
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
                self._transfer(
                    batch, row["id"], attempt, TransferTarget.ASSOCIATION, association_id, clock, answered
                )
                clock += timedelta(seconds=rng.randrange(5, 25))
                if answered:
                    row["association_id"] = association_id
                    self._referral(batch, row, association_id, clock, ReferralSource.IVR)
                    return Outcome.CONNECTED_ASSOCIATION, clock
                if rng.random() < 0.6:
                    break
        attempt += 1
        answered = rng.random() < 0.68
        self._transfer(batch, row["id"], attempt, TransferTarget.OPERATORS, None, clock, answered)
        clock += timedelta(seconds=rng.randrange(5, 30))
        if unmet:
            return Outcome.UNMET, clock
        if answered:
            if rng.random() < 0.35:
                self._referral(batch, row, self._any_association(top), clock, ReferralSource.OPERATOR)
            return Outcome.CONNECTED_OPERATOR, clock
        if rng.random() < 0.7:
            self._callback(batch, row["id"], number, clock)
            return Outcome.VOICEMAIL, clock
        return Outcome.MISSED, clock

    def _transfer(
        self, batch: DemoBatch, call_id: int, attempt: int, target: TransferTarget,
        association_id: int | None, at: datetime, answered: bool,
    ) -> None:  # fmt: skip
        batch.transfers.append(
            {
                "id": self.ids.transfer,
                "call_id": call_id,
                "attempt": attempt,
                "target": target,
                "association_id": association_id,
                "started_at": at,
                "result": DialResult.COMPLETED if answered else self.rng.choice(NOT_TAKEN),
                "duration_s": self.rng.randrange(60, 600) if answered else None,
            }
        )
        self.ids.transfer += 1

    def _referral(
        self, batch: DemoBatch, row: Row, association_id: int | None, at: datetime, source: ReferralSource
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
                "created_by": "" if source == ReferralSource.IVR else "demo",
                "follow_up": (
                    FollowUpState.QUOTE_SENT
                    if quoted
                    else FollowUpState.CONTACTED
                    if contacted
                    else FollowUpState.PENDING
                ),
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
                "state": CallbackState.DONE if done < self.now else CallbackState.OPEN,
                "assigned_to": None,
                "attempts": 1 if done < self.now else 0,
                "updated_at": done if done < self.now else None,
                "notes": "",
            }
        )
        self.ids.callback += 1


def demo_months(now: datetime, tz: ZoneInfo, months: int) -> list[str]:
    """The `months` whole months before the current one."""
    current = now.astimezone(tz).strftime("%Y-%m")
    return [shift_month(current, -offset) for offset in range(months, 0, -1)]
