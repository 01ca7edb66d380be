"""The daily purge: at privacy.retention.purge_hour (helpline's time), clear what the retention periods no
longer allow to keep, exactly once a day whatever the number of app instances.

Its `privacy_audit` row is the lock, as the monthly report's `report_run` is: the instance whose INSERT of
the day's unique claim succeeds runs the purge, the others stand down. A failed or interrupted day needs
no retry: the next day's purge clears everything older than the periods, that day's calls included.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from call_log.models import PrivacyAudit
from call_log.retention import Counts, PrivacyAction, RecordingStore, purge
from foundation.clock import Clock
from foundation.config import Config
from foundation.db import transaction
from foundation.jobs import instance_name

logger = logging.getLogger(__name__)

JOB_ID = "daily-privacy-purge"


def claim_day(session: Session, day: str, *, now: datetime, claimed_by: str) -> PrivacyAudit | None:
    """Take the purge of `day` (YYYY-MM-DD) for `claimed_by`, or None if another instance has it.

    The caller commits at once, so that the other instances see the claim.
    """
    try:
        with session.begin_nested():
            row = PrivacyAudit(
                at=now, action=PrivacyAction.PURGE, by=claimed_by, claim=f"purge:{day}", status="running"
            )
            session.add(row)
        return row
    except IntegrityError:
        return None


def finish_day(
    session: Session, audit_id: int, *, now: datetime, counts: Counts, error: str = ""
) -> PrivacyAudit:
    """Record how a claimed purge ended: what it cleared, or the error."""
    row = session.get_one(PrivacyAudit, audit_id)
    row.status = "failed" if error else "done"
    row.finished_at, row.counts, row.error = now, dict(counts), error
    return row


@dataclass(frozen=True)
class DailyPurgeJob:
    """Everything the scheduled purge needs; `run` owns its transactions."""

    sessions: sessionmaker[Session]
    config: Config
    clock: Clock
    recordings: RecordingStore | None
    instance: str = field(default_factory=instance_name)

    def run(self) -> PrivacyAudit | None:
        """Purge now if this instance wins the day's claim; None if another one has it."""
        tz, now = self.config.helpline.tz, self.clock()
        day = now.astimezone(tz).date().isoformat()
        with transaction(self.sessions) as session:
            claimed = claim_day(session, day, now=now, claimed_by=f"tâche quotidienne {self.instance}")
            if claimed is None:
                logger.info("Privacy purge %s: already claimed by another instance.", day)
                return None
            audit_id = claimed.id
        try:
            with transaction(self.sessions) as session:
                counts = purge(
                    session, self.config.privacy.retention, now=now, tz=tz, recordings=self.recordings
                )
        except Exception:
            logger.exception("Privacy purge %s failed.", day)
            with transaction(self.sessions) as session:
                # Read by staff: the details (in English) stay in the server's log.
                error = "la purge a échoué ; le détail est dans le journal du serveur"
                return finish_day(session, audit_id, now=self.clock(), counts={}, error=error)
        logger.info("Privacy purge %s: %s.", day, counts)
        with transaction(self.sessions) as session:
            return finish_day(session, audit_id, now=self.clock(), counts=counts)


def build_purge_scheduler(job: DailyPurgeJob) -> BackgroundScheduler:
    """A scheduler (not started) with the daily purge at privacy.retention.purge_hour, helpline's time."""
    tz = job.config.helpline.tz
    scheduler = BackgroundScheduler(timezone=tz)
    scheduler.add_job(
        job.run,
        CronTrigger(hour=job.config.privacy.retention.purge_hour, minute=0, timezone=tz),
        id=JOB_ID,
        coalesce=True,
        max_instances=1,
        # A server busy or restarting at the hour still purges within the day.
        misfire_grace_time=int(timedelta(hours=12).total_seconds()),
    )
    return scheduler
