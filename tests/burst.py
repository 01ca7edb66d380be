"""A burst of simultaneous calls over HTTP against `helpline serve`: the journeys, their timing, their rows.

Shared by tests/test_burst.py (which asserts) and bench/burst.py (which prints figures beside a baseline).
Each call runs in its own thread, all released together by a barrier; every webhook's answer time is
measured around the HTTP request, as Twilio would see it.
"""

from __future__ import annotations

import math
import threading
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import requests
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from call_log.models import Call, CallbackRequest, CallEvent, TransferAttempt
from helpline.db import make_engine, make_session_factory
from ivr.simulator.call import CallSimulator, SimulatedCall, StatusCallbacks
from ivr.simulator.callers import (
    Caller,
    DialOutcome,
    HangUp,
    Keys,
    RecordOutcome,
    ScriptedCaller,
    Speech,
)
from ivr.simulator.run import EndReason, new_sid
from ivr.simulator.transports import HttpTransport, Transport, WebhookResponse
from tests.conftest import AUTH_TOKEN

HELPLINE_NUMBER = "+33261911000"
OPERATORS = ("+33261911001", "+33261911002")
# Twilio gives up on a webhook after 15 s.
TWILIO_TIMEOUT_S = 15.0
ANSWER = DialOutcome("completed", duration_s=60)
NO_ANSWER = DialOutcome("no-answer")
THANKS = "Merci, votre message est enregistré. Nous vous rappellerons. Au revoir."
CHOOSE_HOUSEWORK = (Keys("1"), Keys("36300"), Speech("Ciron"), Keys("2"))


@dataclass(frozen=True)
class Journey:
    """One kind of call: what the caller does, and what the log must hold once it is over."""

    name: str
    inputs: tuple[Keys | Speech | HangUp, ...]
    dials: tuple[DialOutcome, ...] = ()
    records: tuple[RecordOutcome, ...] = ()
    events: Mapping[str, int] = field(default_factory=dict)  # event kinds, status callbacks apart
    transfers: tuple[tuple[str, str], ...] = ()  # (target, result) of each attempt, in order
    outcome: str = ""
    ended_by: EndReason = "hangup-verb"
    last_heard: str | None = None  # what the caller hears last, when it is fixed
    callbacks: int = 0

    def caller(self) -> Caller:
        """A fresh scripted caller for one call of this journey."""
        return ScriptedCaller(self.inputs, self.dials, self.records)


JOURNEYS = (
    Journey(
        "association answers",
        CHOOSE_HOUSEWORK,
        dials=(ANSWER,),
        events={"call_started": 1, "menu_input": 4, "transfer": 1, "transfer_accepted": 1, "dial_result": 1},
        transfers=(("association", "completed"),),
        outcome="connected_association",
    ),
    Journey(
        "association no answer, the next one, then the operators",
        CHOOSE_HOUSEWORK,
        dials=(NO_ANSWER, NO_ANSWER, ANSWER),
        events={"call_started": 1, "menu_input": 4, "transfer": 3, "transfer_accepted": 1, "dial_result": 3},
        transfers=(("association", "no-answer"), ("association", "no-answer"), ("operators", "completed")),
        outcome="connected_operator",
    ),
    Journey(
        "0 for the operators",
        (Keys("0"),),
        dials=(ANSWER,),
        events={"call_started": 1, "menu_input": 1, "transfer": 1, "transfer_accepted": 1, "dial_result": 1},
        transfers=(("operators", "completed"),),
        outcome="connected_operator",
    ),
    Journey(
        "voicemail",
        (Keys("0"), Keys("1")),
        dials=(NO_ANSWER,),
        records=(RecordOutcome(20),),
        events={
            "call_started": 1,
            "menu_input": 1,
            "transfer": 1,
            "dial_result": 1,
            "callback_number": 1,
            "voicemail": 1,
            "recording_status": 1,
        },
        transfers=(("operators", "no-answer"),),
        outcome="voicemail",
        last_heard=THANKS,
        callbacks=1,
    ),
    Journey(
        "hang-up in the menu",
        (HangUp(),),
        events={"call_started": 1},
        outcome="abandoned_in_menu",
        ended_by="caller-hangup",
    ),
)

# How Twilio delivers the status callbacks, call after call: one before the first webhook, retries
# (the very same request twice), 'completed' before 'in-progress', 'ringing' arriving last.
STATUS_PLANS = (
    StatusCallbacks(before=("ringing",), after=("completed", "completed")),
    StatusCallbacks(after=("completed", "in-progress", "ringing")),
    StatusCallbacks(before=("ringing",), after=("completed", "in-progress", "completed", "ringing")),
)


@dataclass(frozen=True)
class Answer:
    """One webhook request and how long its answer took; status 0: no answer (timeout, refused)."""

    kind: str  # the webhook's path, e.g. /ivr/menu
    seconds: float
    status: int


class TimedTransport:
    """A transport that times each request of another one, answered or not."""

    def __init__(self, inner: Transport, answers: list[Answer]) -> None:
        """Deliver through `inner`, appending each request's `Answer` to `answers`."""
        self._inner = inner
        self.answers = answers

    def post(self, url: str, params: Mapping[str, str], headers: Mapping[str, str]) -> WebhookResponse:
        """POST through the inner transport, timing it."""
        kind = urlsplit(url).path
        started = time.perf_counter()
        try:
            response = self._inner.post(url, params, headers)
        except BaseException:
            self.answers.append(Answer(kind, time.perf_counter() - started, 0))
            raise
        self.answers.append(Answer(kind, time.perf_counter() - started, response.status))
        return response


@dataclass
class PlacedCall:
    """One call of the burst: its journey and plan, what the simulator saw, or how it failed."""

    index: int
    journey: Journey
    plan: StatusCallbacks
    call_sid: str = field(default_factory=lambda: new_sid("CA"))
    answers: list[Answer] = field(default_factory=list)
    call: SimulatedCall | None = None
    error: str | None = None


@dataclass
class Burst:
    """The calls of one burst and its wall time (first request to last answer)."""

    calls: list[PlacedCall]
    wall_s: float

    @property
    def answers(self) -> list[Answer]:
        """Every request of every call."""
        return [answer for placed in self.calls for answer in placed.answers]


def plan_calls(count: int) -> list[PlacedCall]:
    """`count` calls, the journeys and status plans taking turns."""
    return [
        PlacedCall(n, JOURNEYS[n % len(JOURNEYS)], STATUS_PLANS[(n // len(JOURNEYS)) % len(STATUS_PLANS)])
        for n in range(count)
    ]


def at_once(work: Sequence[Callable[[], None]]) -> float:
    """Run each of `work` in its own thread, all released by one barrier; the seconds until all are done."""
    barrier = threading.Barrier(len(work) + 1)

    def run(job: Callable[[], None]) -> None:
        barrier.wait()
        job()

    threads = [threading.Thread(target=run, args=(job,)) for job in work]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


def run_burst(base_url: str, count: int) -> Burst:
    """Place `count` calls at once against the server at `base_url`."""
    calls = plan_calls(count)

    def place(placed: PlacedCall) -> None:
        transport = TimedTransport(HttpTransport(timeout=TWILIO_TIMEOUT_S), placed.answers)
        simulator = CallSimulator(
            transport,
            base_url=base_url,
            auth_token=AUTH_TOKEN,
            to=HELPLINE_NUMBER,
            from_=f"+3363998{placed.index:04d}",
        )
        try:
            placed.call = simulator.place_call(
                placed.journey.caller(), call_sid=placed.call_sid, status_callbacks=placed.plan
            )
        except Exception as error:  # reported with the call, checked by the caller of run_burst
            placed.error = "".join(traceback.format_exception_only(error)).strip()

    wall = at_once([lambda placed=placed: place(placed) for placed in calls])
    return Burst(calls, wall)


# --- figures ----------------------------------------------------------------------------------------


def percentile(sorted_values: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile of values sorted in increasing order."""
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[rank - 1]


def latency_rows(answers: Iterable[Answer]) -> dict[str, tuple[int, float, float, float, float]]:
    """Per webhook kind, then 'all': (requests, p50, p95, p99, max), in seconds."""
    by_kind: dict[str, list[float]] = {}
    for answer in answers:
        by_kind.setdefault(answer.kind, []).append(answer.seconds)
        by_kind.setdefault("all", []).append(answer.seconds)
    rows = {}
    for kind in sorted(by_kind, key=lambda kind: (kind == "all", kind)):
        values = sorted(by_kind[kind])
        rows[kind] = (
            len(values),
            percentile(values, 0.50),
            percentile(values, 0.95),
            percentile(values, 0.99),
            values[-1],
        )
    return rows


def latency_table(columns: Mapping[str, Iterable[Answer]]) -> str:
    """A text table of answer times in milliseconds, one block of columns per named run."""
    tables = {name: latency_rows(answers) for name, answers in columns.items()}
    kinds = list(dict.fromkeys(kind for rows in tables.values() for kind in rows))
    kinds.sort(key=lambda kind: (kind == "all", kind))
    header = f"{'webhook':<22}" + "".join(
        f" | {name + ' n':>14} {'p50':>7} {'p95':>7} {'p99':>7} {'max':>7}" for name in tables
    )
    lines = [header, "-" * len(header)]
    for kind in kinds:
        cells = []
        for rows in tables.values():
            if kind in rows:
                n, *figures = rows[kind]
                cells.append(f" | {n:>14} " + " ".join(f"{seconds * 1000:>7.0f}" for seconds in figures))
            else:
                cells.append(f" | {'':>14} " + " ".join(f"{'':>7}" for _ in range(4)))
        lines.append(f"{kind:<22}" + "".join(cells))
    return "\n".join(lines)


def report(burst: Burst, title: str) -> str:
    """The burst's latency table (ms), wall time and failures, for printing and assertion messages."""
    failed = [placed for placed in burst.calls if placed.error is not None]
    http_errors = [answer for answer in burst.answers if answer.status not in (200, 204)]
    lines = [
        f"{title}: {len(burst.calls)} calls, {len(burst.answers)} requests in {burst.wall_s:.1f} s "
        f"(wall), {len(failed)} calls failed, {len(http_errors)} requests not answered 200/204",
        latency_table({"answer ms": burst.answers}),
    ]
    errors = Counter(placed.error for placed in failed)
    lines += [f"  {count} x {error}" for error, count in errors.most_common(5)]
    return "\n".join(lines)


def error_lines(log: str) -> list[str]:
    """The lines of a server's log that report an error: gunicorn's, and the app's before a traceback."""
    lines = log.splitlines()
    # The app's records carry no level (nothing configures logging in the workers): its failures are
    # the line logged just before each traceback.
    return [
        line if "[ERROR]" in line else lines[n - 1]
        for n, line in enumerate(lines)
        if "[ERROR]" in line or (n > 0 and line.startswith("Traceback (most recent call last)"))
    ]


# --- the rows ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Counts:
    """How many rows the log holds."""

    calls: int
    events: int
    transfers: int
    callbacks: int


def expected_counts(calls: Sequence[PlacedCall]) -> Counts:
    """The rows the burst's calls must leave: one call each, their events, attempts and callbacks."""
    return Counts(
        calls=len(calls),
        events=sum(sum(p.journey.events.values()) + len(p.plan.statuses()) for p in calls),
        transfers=sum(len(p.journey.transfers) for p in calls),
        callbacks=sum(p.journey.callbacks for p in calls),
    )


def journal_pending(base_url: str) -> int | None:
    """What /health says is still waiting in the local journal, or None if it does not say."""
    try:
        body = requests.get(f"{base_url}/health", timeout=5).json()
    except (requests.RequestException, ValueError):
        return None
    journal = body.get("journal") if isinstance(body, dict) else None
    pending = journal.get("pending") if isinstance(journal, dict) else None
    return pending if isinstance(pending, int) else None


def settled_counts(database_url: str, base_url: str, expected: Counts, *, limit_s: float = 30.0) -> Counts:
    """The row counts once writes have settled: as expected, or unchanged for 3 s with no journal pending.

    Writes may be deferred to a local journal replayed a few seconds later (/health then reports its
    pending entries): wait for it, but never more than `limit_s`.
    """
    engine = make_engine(database_url)
    try:
        deadline = time.monotonic() + limit_s
        last, stable_since = None, time.monotonic()
        while True:
            with engine.connect() as connection:
                counts = Counts(
                    *(
                        connection.scalar(select(func.count()).select_from(table)) or 0
                        for table in (Call, CallEvent, TransferAttempt, CallbackRequest)
                    )
                )
            now = time.monotonic()
            if counts != last:
                last, stable_since = counts, now
            pending = journal_pending(base_url)
            if not pending and (counts == expected or now - stable_since >= 3.0):
                return counts
            if now >= deadline:
                return counts
            time.sleep(0.25)
    finally:
        engine.dispose()


def row_problems(database_url: str, calls: Sequence[PlacedCall]) -> list[str]:
    """Every difference between the log and what each call's journey and status callbacks must leave."""
    engine = make_engine(database_url)
    try:
        with make_session_factory(engine)() as session:
            rows = session.scalars(
                select(Call).options(
                    selectinload(Call.events), selectinload(Call.transfers), selectinload(Call.callbacks)
                )
            ).all()
            by_sid = {row.call_sid: row for row in rows}
            problems = []
            if len(rows) != len(by_sid):
                problems.append(f"{len(rows)} call rows for {len(by_sid)} CallSids")
            if stray := set(by_sid) - {placed.call_sid for placed in calls}:
                problems.append(f"{len(stray)} call rows for no call of the burst")
            for placed in calls:
                if placed.call is not None:  # a call that failed is reported by journey_problems
                    problems += _call_problems(placed, by_sid.get(placed.call_sid))
            return problems
    finally:
        engine.dispose()


def _call_problems(placed: PlacedCall, row: Call | None) -> list[str]:
    call, journey = placed.call, placed.journey
    assert call is not None
    name = f"call {placed.index} ({journey.name})"
    if row is None:
        return [f"{name}: no call row"]
    problems = []
    kinds = Counter(event.kind for event in row.events)
    statuses = kinds.pop("status", 0)
    if kinds != Counter(journey.events):
        problems.append(f"{name}: events {dict(kinds)}, expected {dict(journey.events)}")
    if statuses != len(placed.plan.statuses()):
        problems.append(
            f"{name}: {statuses} status events for {len(placed.plan.statuses())} distinct callbacks"
        )
    transfers = tuple((t.target, t.result) for t in row.transfers)
    if transfers != journey.transfers:
        problems.append(f"{name}: transfer attempts {transfers}, expected {journey.transfers}")
    dialled = tuple("operators" if tuple(d.numbers) == OPERATORS else "association" for d in call.dialled)
    if tuple(target for target, _ in transfers) != dialled:
        problems.append(f"{name}: transfer attempts {transfers} for the dials {dialled}")
    if len(row.callbacks) != journey.callbacks:
        problems.append(f"{name}: {len(row.callbacks)} callback requests, expected {journey.callbacks}")
    if (row.outcome, row.status) != (journey.outcome, "completed"):
        problems.append(f"{name}: outcome {row.outcome}, status {row.status}")
    return problems


def journey_problems(calls: Sequence[PlacedCall]) -> list[str]:
    """Calls that failed, or whose caller did not end at a human, a voicemail, a goodbye or a hang-up."""
    problems = []
    for placed in calls:
        name = f"call {placed.index} ({placed.journey.name})"
        call = placed.call
        if call is None:
            problems.append(f"{name}: {placed.error}")
            continue
        if call.ended_by != placed.journey.ended_by:
            problems.append(f"{name}: ended by {call.ended_by}, expected {placed.journey.ended_by}")
        if placed.journey.last_heard is not None and call.heard[-1:] != [placed.journey.last_heard]:
            problems.append(f"{name}: last heard {call.heard[-1:]}")
        if len(call.dialled) != len(placed.journey.dials):
            problems.append(f"{name}: {len(call.dialled)} dials, expected {len(placed.journey.dials)}")
    return problems
