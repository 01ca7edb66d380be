"""GET /metrics in Prometheus' text format, summed over every server process, behind a bearer token.

`helpline serve` runs several worker processes and a scrape reaches one of them, so each app instance
keeps its counters in memory (a webhook adds a few dictionary increments, no write) and writes them, once
a second, to a file of its own in a directory all processes share (`Settings.metrics_path`). A scrape
adds up every file, its own counters taken from memory. A file stays after its process ends: counters
only grow, as Prometheus expects of them. Call outcomes and the journal's backlog are read at scrape time.
"""

from __future__ import annotations

import atexit
import bisect
import hmac
import json
import logging
import math
import os
import threading
import uuid
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from flask import Flask, Response, abort, request
from sqlalchemy import func, select

from call_log.codes import Outcome
from call_log.models import Call
from foundation.gate import Access
from foundation.runtime import Runtime
from helpline.logs import elapsed_s
from ivr.webhooks.safety_net import failed_here

logger = logging.getLogger(__name__)

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# Upper bounds of the webhook latency buckets, in seconds; Twilio gives up on a webhook after 15 s.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 15.0)
FLUSH_EVERY_S = 1.0
SUFFIX = ".json"
WEBHOOKS = "ivr"  # the blueprint whose requests are Twilio's webhooks
FALLBACK = "fallback"  # its endpoint, without the blueprint's name


@dataclass(frozen=True)
class SampleKeys:
    """The names, with their labels, of one endpoint's samples (made once, not at each request)."""

    buckets: tuple[str, ...]
    sum: str
    count: str
    responses: dict[int, str]  # by status class: 2 for 2xx...
    failures: str


def sample_keys(endpoint: str) -> SampleKeys:
    """The sample names of `endpoint`'s webhook."""
    labels = f'endpoint="{endpoint}"'
    return SampleKeys(
        buckets=tuple(
            f'helpline_webhook_seconds_bucket{{{labels},le="{bound}"}}'
            for bound in (*(f"{b:g}" for b in BUCKETS), "+Inf")
        ),
        sum=f"helpline_webhook_seconds_sum{{{labels}}}",
        count=f"helpline_webhook_seconds_count{{{labels}}}",
        responses={n: f'helpline_webhook_responses_total{{{labels},status="{n}xx"}}' for n in range(1, 6)},
        failures=f"helpline_webhook_failures_total{{{labels}}}",
    )


class Counters:
    """This app instance's counters: in memory, written to its own file of the shared directory."""

    def __init__(self, directory: Path) -> None:
        """Keep the counters of this instance in `directory` (created on the first flush)."""
        self.directory = directory
        self.path = directory / f"{os.getpid()}-{uuid.uuid4().hex[:12]}{SUFFIX}"
        self._lock = threading.Lock()
        self._values: dict[str, float] = defaultdict(float)
        self._dirty = False
        self._keys: dict[str, SampleKeys] = {}

    def observe(self, endpoint: str, seconds: float, status: int, *, failed: bool) -> None:
        """Count one answered webhook: its latency, its status class, whether it failed."""
        keys = self._keys.get(endpoint) or self._keys.setdefault(endpoint, sample_keys(endpoint))
        with self._lock:
            values = self._values
            # The buckets are cumulative: every bound from the first the latency fits under, and +Inf.
            for key in keys.buckets[bisect.bisect_left(BUCKETS, seconds) :]:
                values[key] += 1
            values[keys.sum] += seconds
            values[keys.count] += 1
            values[keys.responses[min(max(status // 100, 1), 5)]] += 1
            if failed:
                values[keys.failures] += 1
            if endpoint == FALLBACK and status < 400:  # Twilio's, not a refused unsigned request
                values["helpline_fallback_total"] += 1
            self._dirty = True

    def flush(self) -> None:
        """Write the counters to this instance's file (atomically), if they changed since the last time."""
        with self._lock:
            if not self._dirty:
                return
            text, self._dirty = json.dumps(self._values), False
        self.directory.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(text, encoding="utf-8")
        temporary.replace(self.path)

    def totals(self) -> dict[str, float]:
        """Every process's counters added up: the files of the others, and this one's from memory."""
        summed: dict[str, float] = defaultdict(float)
        for path in sorted(self.directory.glob(f"*{SUFFIX}")) if self.directory.is_dir() else []:
            if path == self.path:
                continue
            try:
                add(summed, json.loads(path.read_text(encoding="utf-8")))
            except (OSError, ValueError):
                logger.warning("Metrics file %s is unreadable and left out", path.name)
        with self._lock:
            add(summed, self._values)
        return summed


def add(summed: dict[str, float], values: Mapping[str, float]) -> None:
    """Add `values` into `summed`, key by key."""
    for key, value in values.items():
        summed[key] += float(value)


def compact(directory: Path) -> None:
    """Fold the files of processes that ended into one: a scrape does not read one per worker ever run.

    Run by `helpline serve` before it starts its workers; a file whose process still runs (another server
    on the same directory) is left alone, so nothing is counted twice.
    """
    ended = (
        [path for path in directory.glob(f"*{SUFFIX}") if not _running(path)] if directory.is_dir() else []
    )
    if len(ended) < 2:
        return
    summed: dict[str, float] = defaultdict(float)
    for path in ended:
        add(summed, json.loads(path.read_text(encoding="utf-8")))
    target = directory / f"ended-{uuid.uuid4().hex[:12]}{SUFFIX}"
    temporary = target.with_suffix(".tmp")
    temporary.write_text(json.dumps(summed), encoding="utf-8")
    temporary.replace(target)
    for path in ended:
        path.unlink()


def _running(path: Path) -> bool:
    """Whether the process that writes `path` (named by its pid) still runs on this machine."""
    pid = path.name.split("-")[0]
    if not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def start_flusher(counters: Counters) -> threading.Thread:
    """Flush `counters` every FLUSH_EVERY_S seconds, and once more when the process exits."""
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(FLUSH_EVERY_S):
            try:
                counters.flush()
            except OSError:
                logger.exception("Could not write the metrics to %s", counters.path)

    thread = threading.Thread(target=loop, name="helpline-metrics", daemon=True)
    thread.start()
    atexit.register(counters.flush)
    return thread


def init_metrics(app: Flask, rt: Runtime, *, start_flushing: bool) -> Counters:
    """Count every webhook, and add GET /metrics (404 unless HELPLINE_METRICS_TOKEN is set)."""
    counters = Counters(rt.settings.metrics_path())
    app.extensions["helpline.metrics"] = counters
    if start_flushing:
        start_flusher(counters)

    @app.after_request
    def count_webhook(response: Response) -> Response:
        if request.blueprint == WEBHOOKS and request.endpoint:
            status = response.status_code
            counters.observe(
                request.endpoint.removeprefix(f"{WEBHOOKS}."),
                elapsed_s(),
                status,
                failed=status >= 500 or failed_here(),
            )
        return response

    @app.get("/metrics")
    def metrics() -> Response:
        """The figures in Prometheus' text format, for a scraper holding the token."""
        token = rt.settings.metrics_token
        if token is None:
            abort(404)
        given = request.headers.get("Authorization", "")
        if not given.startswith("Bearer "):
            return Response(
                "Jeton manquant : envoyez « Authorization: Bearer <HELPLINE_METRICS_TOKEN> ».\n",
                401,
                mimetype="text/plain",
                headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
            )
        if not hmac.compare_digest(given.removeprefix("Bearer ").encode(), token.encode()):
            return Response("Jeton refusé.\n", 403, mimetype="text/plain")
        return Response(exposition(rt, counters.totals()), content_type=CONTENT_TYPE)

    return counters


def exposition(rt: Runtime, totals: Mapping[str, float]) -> str:
    """The whole scrape: counters of every process, then what the database and the journal say now."""
    lines: list[str] = []
    endpoints = sorted(
        key.removeprefix('helpline_webhook_seconds_count{endpoint="').removesuffix('"}')
        for key in totals
        if key.startswith("helpline_webhook_seconds_count{")
    )
    family(lines, "helpline_webhook_seconds", "histogram", "Time to answer a Twilio webhook, by endpoint.")
    for endpoint in endpoints:
        labels = f'endpoint="{endpoint}"'
        for bound in (*(f"{b:g}" for b in BUCKETS), "+Inf"):
            sample(lines, f'helpline_webhook_seconds_bucket{{{labels},le="{bound}"}}', totals)
        sample(lines, f"helpline_webhook_seconds_sum{{{labels}}}", totals)
        sample(lines, f"helpline_webhook_seconds_count{{{labels}}}", totals)
    for name, kind, text in (
        ("helpline_webhook_responses_total", "counter", "Webhook answers, by endpoint and status class."),
        ("helpline_webhook_failures_total", "counter", "Webhooks that failed (an error or a 5xx)."),
    ):
        family(lines, name, kind, text)
        for key in sorted(k for k in totals if k.startswith(f"{name}{{")):
            sample(lines, key, totals)
    family(lines, "helpline_fallback_total", "counter", "Requests to Twilio's fallback URL /ivr/fallback.")
    sample(lines, "helpline_fallback_total", totals)
    outcomes = call_outcomes(rt)
    family(lines, "helpline_database_readable", "gauge", "1 if this scrape could count the calls.")
    lines.append(f"helpline_database_readable {int(outcomes is not None)}")
    if outcomes is not None:
        family(lines, "helpline_calls", "gauge", "Calls in the database, by outcome.")
        for outcome in Outcome:
            lines.append(f'helpline_calls{{outcome="{outcome.value}"}} {outcomes.get(outcome.value, 0)}')
    backlog = rt.journal.backlog()
    family(lines, "helpline_journal_pending", "gauge", "Writes waiting in the journal for the database.")
    lines.append(f"helpline_journal_pending {backlog.pending}")
    family(
        lines, "helpline_journal_oldest_age_seconds", "gauge", "Age of the oldest write waiting (0: none)."
    )
    lines.append(f"helpline_journal_oldest_age_seconds {number(backlog.age_s(rt.clock()) or 0.0)}")
    return "\n".join(lines) + "\n"


def call_outcomes(rt: Runtime) -> dict[str, int] | None:
    """How many calls ended each way (one indexed GROUP BY), or None if the database did not answer."""

    def count() -> dict[str, int]:
        with rt.voice_reads() as session, session.begin():
            query = select(Call.outcome, func.count()).where(Call.outcome.is_not(None)).group_by(Call.outcome)
            return {str(outcome): int(n) for outcome, n in session.execute(query)}

    try:
        return rt.gate.run(count, timeout=rt.settings.database_budget_s, access=Access.READ)
    except Exception:
        logger.warning("/metrics could not count the calls; the other figures are given", exc_info=True)
        return None


def family(lines: list[str], name: str, kind: str, text: str) -> None:
    """The HELP and TYPE lines of a metric family."""
    lines += [f"# HELP {name} {text}", f"# TYPE {name} {kind}"]


def sample(lines: list[str], key: str, totals: Mapping[str, float]) -> None:
    """One sample line, its value from `totals` (0 if no process counted it)."""
    lines.append(f"{key} {number(totals.get(key, 0))}")


def number(value: float) -> str:
    """A value as Prometheus reads it: whole numbers without a decimal point."""
    return str(int(value)) if float(value).is_integer() and math.isfinite(value) else repr(float(value))
