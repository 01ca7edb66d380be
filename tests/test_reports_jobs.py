"""The monthly job: claimed once per month whatever the number of schedulers, caught up at start, mailed
through a real SMTP server with its three files, failures recorded and retried."""

from __future__ import annotations

import io
import socket
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, time, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, JobExecutionEvent
from openpyxl import load_workbook
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from foundation.clock import system_clock
from foundation.config import Config, Reports, Smtp
from foundation.db import transaction
from foundation.mail import MailError, send_message
from foundation.settings import Settings
from helpline.app import create_app
from helpline.db import make_engine, make_session_factory
from helpline.server import start_catch_up
from reports.mailer import report_message
from reports.models import ReportRun
from reports.schedule import (
    CATCH_UP_JOB_ID,
    JOB_ID,
    MonthlyReportJob,
    build_scheduler,
    claim_run,
    cron_trigger,
    due_month,
)
from tests.conftest import FakeClock
from tests.report_dataset import insert_dataset
from tests.report_mail import RECIPIENTS, SENDER, Mailbox, mailing_config

PARIS = ZoneInfo("Europe/Paris")
NOVEMBER_3 = datetime(2026, 11, 3, 10, 0, tzinfo=UTC)
SUBJECT = "1001 services : observatoire de la demande, octobre 2026"


@pytest.fixture
def config(example_config: Config, mailbox: Mailbox, tmp_path: Path) -> Config:
    """The example config, mailing the report to two recipients through the local server."""
    return mailing_config(example_config, port=mailbox.port, output_dir=tmp_path / "reports")


def runs(sessions: sessionmaker[Session]) -> list[tuple[str, str, int]]:
    """(month, status, attempts) of every report run."""
    with sessions() as session:
        rows = session.execute(
            select(ReportRun.month, ReportRun.status, ReportRun.attempts).order_by(ReportRun.month)
        )
        return [(month, status, attempts) for month, status, attempts in rows]


def test_report_is_emailed_once_with_its_three_files(
    october: sessionmaker[Session], config: Config, mailbox: Mailbox, tmp_path: Path
) -> None:
    """The job stores the four files, mails HTML, CSV and XLSX to the recipients, and never runs twice."""
    job = MonthlyReportJob(october, config, FakeClock(NOVEMBER_3), instance="instance-a")
    run = job.run("2026-10")
    assert run is not None
    assert (run.status, run.attempts, run.claimed_by, run.error) == ("done", 1, "instance-a", "")
    stored = tmp_path / "reports" / "2026-10"
    names = [
        "demande-2026-10.html",
        "demande-2026-10.csv",
        "demande-2026-10.xlsx",
        "opendata-demande-2026-10.csv",
    ]
    assert run.files == [str(stored / name) for name in names]
    assert run.sent_to == RECIPIENTS

    (received,) = mailbox.wait(1)
    assert received.mail_from == "rapports@example.org"
    assert received.rcpt_tos == RECIPIENTS
    message = received.message
    assert message["Subject"] == SUBJECT
    assert message["From"] == SENDER
    assert message["To"] == ", ".join(RECIPIENTS)
    body = message.get_body(("plain",))
    assert body is not None
    assert "  Appels : 10 (sur un mois : +400,0\u202f% ; sur un an : +150,0\u202f%)" in body.get_content()
    attachments = {part.get_filename(): part for part in message.iter_attachments()}
    assert {name: part.get_content_type() for name, part in attachments.items()} == {
        "demande-2026-10.html": "text/html",
        "demande-2026-10.csv": "text/csv",
        "demande-2026-10.xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    }
    html = attachments["demande-2026-10.html"].get_payload(decode=True)
    assert html == (stored / "demande-2026-10.html").read_bytes()
    xlsx = attachments["demande-2026-10.xlsx"].get_payload(decode=True)
    assert isinstance(xlsx, bytes)
    assert load_workbook(io.BytesIO(xlsx))["Chiffres clés"]["C2"].value == 10

    assert job.run("2026-10") is None
    assert (
        MonthlyReportJob(october, config, FakeClock(NOVEMBER_3), instance="instance-b").run("2026-10") is None
    )
    assert len(mailbox.messages) == 1
    assert runs(october) == [("2026-10", "done", 1)]


def test_two_claimers_at_the_same_moment_one_wins(sessions: sessionmaker[Session], database_url: str) -> None:
    """Two instances (two engines) claiming each month together: exactly one gets each month."""
    other = make_engine(database_url)
    factories = {"a": sessions, "b": make_session_factory(other)}
    months = [f"2026-0{number}" for number in range(1, 7)]

    def claim(name: str, month: str, barrier: threading.Barrier) -> str | None:
        barrier.wait(timeout=30)
        with transaction(factories[name]) as session:
            run = claim_run(session, month, now=NOVEMBER_3, claimed_by=name)
            return None if run is None else run.claimed_by

    try:
        with ThreadPoolExecutor(max_workers=2) as pool:
            for month in months:
                barrier = threading.Barrier(2)
                results = [pool.submit(claim, name, month, barrier) for name in factories]
                winners = [future.result(timeout=60) for future in results]
                assert winners.count(None) == 1, winners
                assert set(winners) - {None} <= {"a", "b"}
    finally:
        other.dispose()
    assert runs(sessions) == [(month, "running", 1) for month in months]


def test_two_schedulers_catch_up_the_missed_month_once(
    october: sessionmaker[Session], database_url: str, config: Config, mailbox: Mailbox
) -> None:
    """Two app instances start after the 1st: both try last month's catch-up, one report is sent."""
    other = make_engine(database_url)
    executed: dict[str, Any] = {}
    done = threading.Semaphore(0)

    def listen(name: str) -> Any:
        def on_event(event: JobExecutionEvent) -> None:
            if event.job_id == CATCH_UP_JOB_ID:
                executed[name] = event.exception or event.retval
                done.release()

        return on_event

    schedulers = [
        build_scheduler(MonthlyReportJob(factory, config, FakeClock(NOVEMBER_3), instance=name))
        for name, factory in (("a", october), ("b", make_session_factory(other)))
    ]
    try:
        for name, scheduler in zip("ab", schedulers, strict=True):
            scheduler.add_listener(listen(name), EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
        for scheduler in schedulers:
            scheduler.start()
        assert done.acquire(timeout=60)
        assert done.acquire(timeout=60)
    finally:
        for scheduler in schedulers:
            scheduler.shutdown(wait=True)
        other.dispose()
    outcomes = sorted((name, getattr(result, "status", result)) for name, result in executed.items())
    assert [status for _, status in outcomes].count("done") == 1
    assert [status for _, status in outcomes].count(None) == 1
    assert len(mailbox.wait(1)) == 1
    assert mailbox.messages[0].message["Subject"] == SUBJECT
    assert runs(october) == [("2026-10", "done", 1)]


def test_catch_up_needs_a_missed_month_with_calls(
    sessions: sessionmaker[Session], config: Config, mailbox: Mailbox
) -> None:
    """A new helpline (no calls yet) catches nothing up; once calls exist, the due month once, then never."""
    job = MonthlyReportJob(sessions, config, FakeClock(NOVEMBER_3), instance="a")
    assert job.catch_up() is None
    assert runs(sessions) == []
    with transaction(sessions) as session:
        insert_dataset(session)
    caught = job.catch_up()
    assert caught is not None
    assert (caught.month, caught.status) == ("2026-10", "done")
    assert job.catch_up() is None
    assert len(mailbox.wait(1)) == 1


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_a_failed_send_is_recorded_then_retried(
    october: sessionmaker[Session], example_config: Config, config: Config, mailbox: Mailbox, tmp_path: Path
) -> None:
    """Mail server down: the run fails, files kept; the next try sends; after three failures, no more."""
    down = mailing_config(example_config, port=_closed_port(), output_dir=tmp_path / "reports")
    failed = MonthlyReportJob(october, down, FakeClock(NOVEMBER_3), instance="a").run("2026-10")
    assert failed is not None
    assert failed.status == "failed"
    assert failed.error.startswith("MailError: envoi impossible par 127.0.0.1:")
    assert failed.error.endswith(" : connexion refusée (le serveur est-il lancé ?)")
    assert len(list((tmp_path / "reports" / "2026-10").iterdir())) == 4

    retried = MonthlyReportJob(october, config, FakeClock(NOVEMBER_3), instance="b").run("2026-10")
    assert retried is not None
    assert (retried.status, retried.attempts, retried.error) == ("done", 2, "")
    assert len(mailbox.wait(1)) == 1

    for attempt in range(3):
        assert MonthlyReportJob(october, down, FakeClock(NOVEMBER_3)).run("2026-09") is not None, attempt
    assert MonthlyReportJob(october, config, FakeClock(NOVEMBER_3)).run("2026-09") is None
    assert runs(october) == [("2026-09", "failed", 3), ("2026-10", "done", 2)]


def test_a_stale_claim_is_taken_over(
    october: sessionmaker[Session], config: Config, mailbox: Mailbox
) -> None:
    """A claim left running by an instance that died is taken over after two hours, not before."""
    with transaction(october) as session:
        for month, age in (("2026-10", timedelta(hours=3)), ("2026-09", timedelta(minutes=10))):
            session.add(ReportRun(month=month, claimed_at=NOVEMBER_3 - age, claimed_by="gone"))
    job = MonthlyReportJob(october, config, FakeClock(NOVEMBER_3), instance="a")
    taken = job.run("2026-10")
    assert taken is not None
    assert (taken.status, taken.attempts, taken.claimed_by) == ("done", 2, "a")
    assert job.run("2026-09") is None
    assert runs(october) == [("2026-09", "running", 1), ("2026-10", "done", 2)]
    assert len(mailbox.wait(1)) == 1


@pytest.mark.parametrize(
    ("now", "send_day", "expected"),
    [
        (datetime(2026, 11, 1, 5, 59, tzinfo=UTC), 1, "2026-09"),  # 06:59 in Paris, before 07:00
        (datetime(2026, 11, 1, 6, 0, tzinfo=UTC), 1, "2026-10"),
        (datetime(2026, 11, 24, 9, 0, tzinfo=UTC), 1, "2026-10"),
        (datetime(2026, 11, 4, 9, 0, tzinfo=UTC), 5, "2026-09"),
        (datetime(2026, 12, 31, 23, 30, tzinfo=UTC), 1, "2026-11"),  # already 1 January in Paris, 00:30
        (datetime(2027, 1, 1, 6, 0, tzinfo=UTC), 1, "2026-12"),
    ],
)
def test_due_month(now: datetime, send_day: int, expected: str) -> None:
    """The month due at a moment: last month once this month's send time has passed in Paris."""
    assert due_month(now, Reports(send_day=send_day), PARIS) == expected


def test_cron_fires_on_the_send_day_at_the_send_time_in_paris() -> None:
    """1st at 07:00 Paris time, in winter (UTC+1) and in summer (UTC+2)."""
    trigger = cron_trigger(Reports(send_time=time(7, 0)), PARIS)
    winter = trigger.get_next_fire_time(None, datetime(2026, 11, 24, 9, 0, tzinfo=UTC))
    assert winter == datetime(2026, 12, 1, 7, 0, tzinfo=PARIS)
    assert winter.astimezone(UTC) == datetime(2026, 12, 1, 6, 0, tzinfo=UTC)
    summer = trigger.get_next_fire_time(None, datetime(2027, 3, 15, 9, 0, tzinfo=UTC))
    assert summer.astimezone(UTC) == datetime(2027, 4, 1, 5, 0, tzinfo=UTC)


def test_the_app_starts_the_scheduler_only_when_asked(
    engine: Engine, settings: Settings, example_config: Config, clock: FakeClock
) -> None:
    """Tests and commands build apps without jobs; the server's app runs them, unless the config says not."""
    disabled = example_config.model_copy(update={"reports": Reports(schedule_enabled=False)})
    apps = [
        create_app(settings, config=example_config, clock=clock),
        create_app(settings, config=disabled, clock=clock, start_jobs=True),
        create_app(settings, config=example_config, clock=clock, start_jobs=True),
    ]
    schedulers = [app.extensions.get("reports.scheduler") for app in apps]
    try:
        assert schedulers[:2] == [None, None]
        assert schedulers[2].running
        # The server catches up once, in a child process (helpline/server.py), not in each worker.
        assert schedulers[2].get_job(CATCH_UP_JOB_ID) is None
        # The cron trigger runs on the real clock: the next 1st of a month, 07:00 in Paris.
        next_run = schedulers[2].get_job(JOB_ID).next_run_time.astimezone(PARIS)
        assert (next_run.day, next_run.hour, next_run.minute) == (1, 7, 0)
    finally:
        schedulers[2].shutdown(wait=True)
        for app in apps:
            app.extensions["helpline"].engine.dispose()


def test_a_username_needs_the_password_from_the_environment() -> None:
    """SMTP authentication without HELPLINE_SMTP_PASSWORD fails with a sentence saying what to set."""
    message = report_message(
        [], month="2026-10", helpline_name="1001 services", sender=SENDER, recipients=RECIPIENTS
    )
    smtp = Smtp(host="127.0.0.1", username="rapports@example.org", sender=SENDER)
    with pytest.raises(
        MailError,
        match=r"reports\.smtp\.username vaut 'rapports@example\.org', mais HELPLINE_SMTP_PASSWORD n'est pas",
    ):
        send_message(message, smtp, password=None)


def test_claims_are_one_row_per_month(sessions: sessionmaker[Session]) -> None:
    """The month is unique in report_run: the lock every instance relies on."""
    with transaction(sessions) as session:
        assert claim_run(session, "2026-10", now=NOVEMBER_3, claimed_by="a") is not None
        assert claim_run(session, "2026-10", now=NOVEMBER_3, claimed_by="b") is None
        assert session.scalar(select(func.count()).select_from(ReportRun)) == 1


def test_the_server_catches_up_once_in_a_child_process(
    october: sessionmaker[Session], settings: Settings, example_config: Config, tmp_path: Path
) -> None:
    """Once gunicorn is up, a process of its own builds the missed month; off with the schedule."""
    config = example_config.model_copy(update={"reports": Reports(output_dir=str(tmp_path / "reports"))})
    # The server's health page, answering 503 as it does while the database is unreachable: an answer.
    health = HTTPServer(("127.0.0.1", 0), _Unavailable)
    health.asked = False  # type: ignore[attr-defined]
    threading.Thread(target=health.serve_forever, daemon=True).start()
    try:
        process = start_catch_up(settings, config, ready_url=f"http://127.0.0.1:{health.server_port}/health")
        assert process is not None
        process.join(timeout=120)
    finally:
        health.shutdown()
        health.server_close()
    assert health.asked
    assert process.exitcode == 0
    month = due_month(system_clock(), config.reports, PARIS)
    assert runs(october) == [(month, "done", 1)]
    assert (tmp_path / "reports" / month / f"demande-{month}.html").exists()
    disabled = config.model_copy(update={"reports": Reports(schedule_enabled=False)})
    assert start_catch_up(settings, disabled) is None


class _Unavailable(BaseHTTPRequestHandler):
    """Answers 503 to every request, and notes that it was asked."""

    def do_GET(self) -> None:
        """Answer 503."""
        self.server.asked = True  # type: ignore[attr-defined]
        self.send_response(503)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        """Keep the test output quiet."""
