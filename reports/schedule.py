"""The monthly job: on the configured day and time (helpline's timezone), build last month's report, store
its files and e-mail them, exactly once whatever the number of app instances.

The `report_run` row of the month is the lock: the instance whose INSERT succeeds owns the run, the others
hit the unique month and stand down. A run that failed (mail server down) is retried at the next start, up
to MAX_ATTEMPTS; a run whose instance died mid-way is taken over once it is STALE_AFTER old. At start, the
latest month that was due is caught up if it never ran, provided the helpline already had calls by then.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import exists, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from call_log.models import Call
from call_log.periods import month_bounds
from foundation.clock import Clock
from foundation.config import Config, Reports
from foundation.db import transaction
from foundation.jobs import instance_name
from foundation.mail import send_message
from reports.files import FORMATS, MAILED, collect_month, render_files, store_files
from reports.mailer import key_figures_text, report_message
from reports.models import ReportRun, RunState
from reports.months import shift_month
from reports.rollup import store_report

logger = logging.getLogger(__name__)

JOB_ID = "monthly-demand-report"
CATCH_UP_JOB_ID = "monthly-demand-report-catch-up"
STALE_AFTER = timedelta(hours=2)
MAX_ATTEMPTS = 3


def due_month(now: datetime, reports: Reports, tz: ZoneInfo) -> str:
    """The latest month whose report was due at `now`: last month once this month's send time has passed."""
    local = now.astimezone(tz)
    send_at = datetime.combine(local.date().replace(day=reports.send_day), reports.send_time, tzinfo=tz)
    return shift_month(local.strftime("%Y-%m"), -1 if local >= send_at else -2)


def claim_run(session: Session, month: str, *, now: datetime, claimed_by: str) -> ReportRun | None:
    """Take the month's run for `claimed_by`, or None if another instance has it (or it is done).

    The caller commits at once, so that the other instances see the claim.
    """
    try:
        with session.begin_nested():
            run = ReportRun(
                month=month, status=RunState.RUNNING, claimed_at=now, claimed_by=claimed_by, attempts=1
            )
            session.add(run)
        return run
    except IntegrityError:
        pass
    run = session.scalars(select(ReportRun).where(ReportRun.month == month)).one()
    retry = (run.status == RunState.FAILED and run.attempts < MAX_ATTEMPTS) or (
        run.status == RunState.RUNNING and run.claimed_at < now - STALE_AFTER
    )
    if not retry:
        return None
    # Compare-and-set: of two instances retrying together, only the one whose UPDATE matches wins.
    taken = session.execute(
        update(ReportRun)
        .where(ReportRun.id == run.id, ReportRun.status == run.status, ReportRun.claimed_at == run.claimed_at)
        .values(
            status=RunState.RUNNING,
            claimed_at=now,
            claimed_by=claimed_by,
            attempts=run.attempts + 1,
            error="",
        )
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        return None
    session.refresh(run)
    return run


def finish_run(
    session: Session,
    run_id: int,
    *,
    now: datetime,
    files: list[str] | None = None,
    sent_to: list[str] | None = None,
    error: str = "",
) -> ReportRun:
    """Record how a claimed run ended: done with its files and recipients, or failed with the error."""
    run = session.get_one(ReportRun, run_id)
    run.status = RunState.FAILED if error else RunState.DONE
    run.finished_at = now
    run.files = files or []
    run.sent_to = sent_to or []
    run.error = error
    return run


@dataclass(frozen=True)
class MonthlyReportJob:
    """Everything the scheduled job needs; each method owns its transactions."""

    sessions: sessionmaker[Session]
    config: Config
    clock: Clock
    smtp_password: str | None = None
    instance: str = field(default_factory=instance_name)

    @property
    def tz(self) -> ZoneInfo:
        """The helpline's timezone."""
        return self.config.helpline.tz

    def run(self, month: str) -> ReportRun | None:
        """Build, store and mail `month` if this instance wins the claim; None if another one has it."""
        with transaction(self.sessions) as session:
            run = claim_run(session, month, now=self.clock(), claimed_by=self.instance)
            if run is None:
                logger.info("Monthly report %s: already claimed by another instance.", month)
                return None
            run_id = run.id
        try:
            files, sent_to = self.produce(month)
        except Exception as exc:
            logger.exception("Monthly report %s failed.", month)
            with transaction(self.sessions) as session:
                return finish_run(session, run_id, now=self.clock(), error=f"{exc.__class__.__name__}: {exc}")
        logger.info("Monthly report %s: %d files stored, sent to %s.", month, len(files), sent_to or "nobody")
        with transaction(self.sessions) as session:
            return finish_run(session, run_id, now=self.clock(), files=files, sent_to=sent_to)

    def produce(self, month: str) -> tuple[list[str], list[str]]:
        """Build the month's files, store them and e-mail them to the recipients: (paths, recipients).

        The month's key figures go into the monthly roll-up, for the trend of the reports that follow.
        """
        reports = self.config.reports
        with self.sessions() as session:
            figures = collect_month(session, month, FORMATS, config=self.config, now=self.clock())
        if figures.report is not None:
            with transaction(self.sessions) as session:
                store_report(session, figures.report, now=self.clock())
        files = render_files(figures, FORMATS)
        paths = store_files(files, Path(reports.output_dir) / month)
        if reports.recipients:
            assert reports.smtp.sender is not None  # the config schema requires it with recipients
            message = report_message(
                [file for file, fmt in zip(files, FORMATS, strict=True) if fmt in MAILED],
                month=month,
                helpline_name=self.config.helpline.name,
                sender=reports.smtp.sender,
                recipients=reports.recipients,
                summary=key_figures_text(figures.report) if figures.report else "",
            )
            send_message(message, reports.smtp, password=self.smtp_password)
        return [str(path) for path in paths], list(reports.recipients)

    def run_due(self) -> ReportRun | None:
        """The cron job: the month that is due now (last month, on the send day)."""
        return self.run(due_month(self.clock(), self.config.reports, self.tz))

    def catch_up(self) -> ReportRun | None:
        """At start: run the latest due month if it never ran and the helpline had calls by its end."""
        month = due_month(self.clock(), self.config.reports, self.tz)
        end = month_bounds(month, self.tz)[1]
        with self.sessions() as session:
            done = session.scalar(select(ReportRun.status).where(ReportRun.month == month)) == RunState.DONE
            had_calls = session.scalar(select(exists().where(Call.started_at < end)))
        if done or not had_calls:
            return None
        return self.run(month)


def cron_trigger(reports: Reports, tz: ZoneInfo) -> CronTrigger:
    """Fires on `send_day` of every month at `send_time`, helpline's time."""
    at = reports.send_time
    return CronTrigger(day=reports.send_day, hour=at.hour, minute=at.minute, timezone=tz)


def build_scheduler(job: MonthlyReportJob, *, catch_up: bool = True) -> BackgroundScheduler:
    """A scheduler (not started) with the monthly job and, unless told not to, the catch-up at start."""
    scheduler = BackgroundScheduler(timezone=job.tz)
    scheduler.add_job(
        job.run_due,
        cron_trigger(job.config.reports, job.tz),
        id=JOB_ID,
        coalesce=True,
        max_instances=1,
        # A server busy or restarting at send time still runs the job within the day.
        misfire_grace_time=int(timedelta(hours=12).total_seconds()),
    )
    if catch_up:
        scheduler.add_job(job.catch_up, id=CATCH_UP_JOB_ID, max_instances=1)
    return scheduler


def start_scheduler(
    sessions: sessionmaker[Session],
    config: Config,
    *,
    clock: Clock,
    smtp_password: str | None = None,
    instance: str | None = None,
    catch_up: bool = True,
) -> BackgroundScheduler:
    """Start the monthly report job in a background thread, with a catch-up run right away if `catch_up`."""
    job = MonthlyReportJob(sessions, config, clock, smtp_password, instance or instance_name())
    scheduler = build_scheduler(job, catch_up=catch_up)
    scheduler.start()
    reports = config.reports
    logger.info("Monthly report scheduled: day %s of each month at %s.", reports.send_day, reports.send_time)
    return scheduler
