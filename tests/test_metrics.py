"""/metrics: Prometheus' text format behind a bearer token, the same figures whichever process is scraped."""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask
from sqlalchemy import Engine

from call_log.codes import Outcome
from foundation.settings import Settings
from helpline.metrics import BUCKETS, compact
from ivr.simulator.call import CallSimulator
from ivr.simulator.callers import DialOutcome, HangUp, Keys, ScriptedCaller, Speech
from ivr.simulator.transports import FlaskClientTransport, HttpTransport
from tests.conftest import AUTH_TOKEN, PUBLIC_URL, FakeClock, Templates
from tests.live_server import LiveServer, helpline, live_server, server_env

TOKEN = "metrics-token-0123456789"
BEARER = {"Authorization": f"Bearer {TOKEN}"}
CALLER = "+33639980042"
# Every way the caller's number could show: E.164, national, digits alone.
CALLER_FORMS = (CALLER, "0639980042", "639980042", "%2B33639980042")
CONNECTED = [Keys("1"), Keys("36300"), Speech("Ciron"), Keys("2"), Keys("1")]


def simulator_for(app: Flask) -> CallSimulator:
    """A simulator posting to `app` in-process, signing as Twilio does."""
    return CallSimulator(FlaskClientTransport(app.test_client()), base_url=PUBLIC_URL, auth_token=AUTH_TOKEN)


def scrape(app: Flask) -> dict[str, float]:
    """The samples of one scrape of `app`, by their name and labels."""
    response = app.test_client().get("/metrics", headers=BEARER)
    assert response.status_code == 200
    assert response.content_type == "text/plain; version=0.0.4; charset=utf-8"
    return parse(response.get_data(as_text=True))


def parse(text: str) -> dict[str, float]:
    """Prometheus' text format as a dict of sample -> value (comments checked, then left out)."""
    samples = {}
    for line in text.splitlines():
        if line.startswith("#"):
            assert re.fullmatch(r"# (HELP|TYPE) helpline_\w+ .+", line), line
            continue
        key, value = line.rsplit(" ", 1)
        samples[key] = float(value)
    return samples


@pytest.fixture
def metered(engine: Engine, settings: Settings, tmp_path: Path) -> Settings:
    """Settings with a metrics token and a metrics directory of the test's own (on the migrated database)."""
    return replace(settings, metrics_token=TOKEN, metrics_dir=tmp_path / "metrics")


def test_without_a_token_there_is_no_metrics_page(app: Flask) -> None:
    """HELPLINE_METRICS_TOKEN unset: /metrics does not exist (404), with or without a bearer."""
    assert app.test_client().get("/metrics").status_code == 404
    assert app.test_client().get("/metrics", headers=BEARER).status_code == 404


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 401),
        ({"Authorization": f"Basic {TOKEN}"}, 401),
        ({"Authorization": "Bearer wrong-token"}, 403),
        ({"Authorization": f"Bearer {TOKEN}x"}, 403),
    ],
)
def test_a_missing_or_wrong_token_is_refused(
    metered: Settings, build_app: Callable[..., Flask], headers: dict[str, str], status: int
) -> None:
    """Without the bearer token 401 (saying how to send it), with another one 403; no figure is given."""
    app = build_app(metered)
    response = app.test_client().get("/metrics", headers=headers)
    assert response.status_code == status
    assert "helpline_" not in response.get_data(as_text=True)
    if status == 401:
        assert response.headers["WWW-Authenticate"] == 'Bearer realm="metrics"'


def test_figures_after_simulated_calls(
    metered: Settings, build_app: Callable[..., Flask], clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Three calls, a fallback and a failed menu step give exact counts, outcomes and histograms."""
    app = build_app(metered)
    simulator = simulator_for(app)
    simulator.place_call(ScriptedCaller([HangUp()]))
    simulator.place_call(ScriptedCaller([HangUp()]))
    simulator.place_call(ScriptedCaller(CONNECTED, dials=[DialOutcome("completed", duration_s=60)]))
    fallback = simulator.post("/ivr/fallback", {"CallSid": "CA" + "f" * 32, "ErrorCode": "11200"})
    assert fallback.status == 200
    assert simulator.post("/ivr/fallback", {"CallSid": "CA" + "f" * 32}, sign=False).status == 403

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("a bug in the menu")

    monkeypatch.setattr("ivr.webhooks.journey.next_step", broken)
    failed = simulator.place_call(ScriptedCaller([Keys("1"), HangUp()]))
    assert "Un conseiller va vous répondre" in failed.heard_text  # the caller still reaches a person

    samples = scrape(app)
    voice = 'endpoint="voice"'
    assert samples[f"helpline_webhook_seconds_count{{{voice}}}"] == 4
    assert samples[f'helpline_webhook_seconds_bucket{{{voice},le="+Inf"}}'] == 4
    buckets = [samples[f'helpline_webhook_seconds_bucket{{{voice},le="{b:g}"}}'] for b in BUCKETS]
    assert buckets == sorted(buckets)
    assert buckets[-1] == 4
    assert 0 < samples[f"helpline_webhook_seconds_sum{{{voice}}}"] < 4 * 15
    assert samples[f'helpline_webhook_responses_total{{{voice},status="2xx"}}'] == 4
    assert samples['helpline_webhook_seconds_count{endpoint="status"}'] == 4
    assert samples['helpline_webhook_responses_total{endpoint="status",status="2xx"}'] == 4
    assert samples['helpline_webhook_seconds_count{endpoint="fallback"}'] == 2
    assert samples['helpline_webhook_responses_total{endpoint="fallback",status="4xx"}'] == 1
    assert samples["helpline_fallback_total"] == 1  # Twilio's; not the unsigned request refused
    assert samples['helpline_webhook_failures_total{endpoint="menu"}'] == 1
    assert [key for key in samples if key.startswith("helpline_webhook_failures_total")] == [
        'helpline_webhook_failures_total{endpoint="menu"}'
    ]
    assert samples["helpline_database_readable"] == 1
    # Every outcome is given, zeros too; the failed call's caller hung up before the operators answered.
    assert {key: value for key, value in samples.items() if key.startswith("helpline_calls")} == {
        f'helpline_calls{{outcome="{outcome}"}}': {"abandoned_in_menu": 3, "connected_association": 1}.get(
            outcome, 0
        )
        for outcome in Outcome
    }
    assert samples["helpline_journal_pending"] == 1  # the fallback's event waits to be replayed
    assert samples["helpline_journal_oldest_age_seconds"] == 0
    clock.advance(42)
    assert scrape(app)["helpline_journal_oldest_age_seconds"] == 42


def test_two_app_instances_share_their_counters(metered: Settings, build_app: Callable[..., Flask]) -> None:
    """Whichever process a scrape reaches, it sums every process's counters (one file each)."""
    one, other = build_app(metered), build_app(metered)
    simulator_for(one).place_call(ScriptedCaller([HangUp()]))
    for _ in range(2):
        simulator_for(other).place_call(ScriptedCaller([HangUp()]))

    assert list(metered.metrics_path().glob("*")) == []  # no request wrote anything: counters are in memory
    voice = 'helpline_webhook_seconds_count{endpoint="voice"}'
    assert scrape(one)[voice] == 1  # `other` has not written its counters yet
    other.extensions["helpline.metrics"].flush()
    assert scrape(other)[voice] == 2  # nor has `one`
    one.extensions["helpline.metrics"].flush()
    for app in (one, other):
        samples = scrape(app)
        assert samples[voice] == 3
        assert samples['helpline_webhook_seconds_bucket{endpoint="voice",le="+Inf"}'] == 3
        assert samples['helpline_webhook_responses_total{endpoint="status",status="2xx"}'] == 3
        assert samples['helpline_calls{outcome="abandoned_in_menu"}'] == 3
    assert len(list(metered.metrics_path().glob("*.json"))) == 2


def test_files_of_ended_processes_are_folded_into_one(
    metered: Settings, build_app: Callable[..., Flask]
) -> None:
    """At `helpline serve`'s start the files of workers gone are summed into one; live ones stay."""
    directory = metered.metrics_path()
    directory.mkdir(parents=True)
    # Two workers of an earlier start (pids above Linux's highest: no such process) and a running one.
    (directory / "4194305-aaaa.json").write_text(json.dumps({"helpline_fallback_total": 2}))
    (directory / "4194306-bbbb.json").write_text(json.dumps({"helpline_fallback_total": 3}))
    live = build_app(metered)
    simulator_for(live).post("/ivr/fallback", {"CallSid": "CA" + "c" * 32})
    live.extensions["helpline.metrics"].flush()
    assert scrape(live)["helpline_fallback_total"] == 6

    compact(directory)
    names = sorted(path.name for path in directory.glob("*.json"))
    assert len(names) == 2
    assert names[0].startswith(f"{os.getpid()}-")  # this process's file, as it was
    assert names[1].startswith("ended-")
    assert json.loads((directory / names[1]).read_text()) == {"helpline_fallback_total": 5}
    assert scrape(live)["helpline_fallback_total"] == 6


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, templates: Templates) -> Iterator[LiveServer]:
    """`helpline serve --workers 2` with JSON logs and a metrics token, on a migrated SQLite file."""
    folder = tmp_path_factory.mktemp("live")
    templates.sqlite(folder / "live.sqlite3")
    env = server_env(
        folder,
        f"sqlite:///{folder / 'live.sqlite3'}",
        HELPLINE_METRICS_TOKEN=TOKEN,
        HELPLINE_LOG_FORMAT="json",
    )
    helpline("line", "open", env=env)  # calls reach the menu whatever the time of the test run
    with live_server(env, workers=2, log_path=folder / "server.log") as running:
        yield running


def test_a_two_worker_server_gives_every_worker_s_calls(server: LiveServer) -> None:
    """`helpline serve --workers 2`: a scrape counts the calls whichever worker answered them."""
    before = parse(requests.get(f"{server.url}/metrics", headers=BEARER, timeout=5).text)
    calls = 6
    simulator = CallSimulator(HttpTransport(), base_url=server.url, auth_token=AUTH_TOKEN)
    for _ in range(calls):
        simulator.place_call(ScriptedCaller([HangUp()]))

    def grown(key: str) -> float:
        return samples.get(key, 0) - before.get(key, 0)

    deadline = time.monotonic() + 15
    while True:
        response = requests.get(f"{server.url}/metrics", headers=BEARER, timeout=5)
        samples = parse(response.text)
        counted = [grown(f'helpline_webhook_seconds_count{{endpoint="{e}"}}') for e in ("voice", "status")]
        # Each worker writes its counters every second; a busy database may take the outcomes from the
        # journal a little later: both are awaited, neither is assumed.
        if counted == [calls, calls] and grown('helpline_calls{outcome="abandoned_in_menu"}') == calls:
            break
        assert time.monotonic() < deadline, response.text
        time.sleep(0.2)
    assert grown('helpline_webhook_responses_total{endpoint="status",status="2xx"}') == calls


def test_the_server_logs_only_json_lines(server: LiveServer) -> None:
    """HELPLINE_LOG_FORMAT=json under `helpline serve`: gunicorn's, the app's and each request's records."""
    simulator = CallSimulator(HttpTransport(), base_url=server.url, auth_token=AUTH_TOKEN, from_=CALLER)
    call = simulator.place_call(ScriptedCaller([HangUp()]))
    refused = simulator.post("/ivr/voice", {"CallSid": "CA" + "b" * 32, "From": CALLER}, sign=False)
    assert refused.status == 403

    def records() -> list[dict[str, Any]]:
        return [json.loads(line) for line in server.log().splitlines() if line.startswith("{")]

    deadline = time.monotonic() + 10
    while not [r for r in records() if r.get("call_sid") == call.call_sid and r["path"] == "/ivr/status"]:
        assert time.monotonic() < deadline, server.log()  # written once the answer is sent
        time.sleep(0.1)
    logged = server.log().splitlines()
    # What `helpline serve` prints for the person who started it comes first; then JSON lines only.
    assert [line for line in logged if not line.startswith("{")] == logged[:3]
    assert logged[0].startswith("1001 services écoute sur http://127.0.0.1:")
    found = records()
    assert any(r["logger"] == "gunicorn.error" and r["message"].startswith("Booting worker") for r in found)
    [warning] = [r for r in found if r["logger"] == "ivr.webhooks.security"]
    assert (warning["level"], warning["message"][:30]) == ("WARNING", "Refused POST http://127.0.0.1:")
    voice = [r for r in found if r.get("path") == "/ivr/voice" and r.get("call_sid") == call.call_sid]
    assert [(r["method"], r["status"], r["endpoint"]) for r in voice] == [("POST", 200, "ivr.voice")]
    assert not [form for form in CALLER_FORMS if form in server.log()]
