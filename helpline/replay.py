"""Replaying the journal into the database: at start, every few seconds, and by `helpline journal replay`.

What the voice webhooks could not write waits in the journal (see `ivr.webhooks.events`), and so do the
requests of the public site's form (see `console.public.intake`). Each server
process replays every file nobody writes, as soon as the database takes writes again; a replayed write
that the database already has adds nothing. A backlog that waits too long is said: in /health, on the
console, and once by e-mail to the staff when SMTP is configured.
"""

from __future__ import annotations

import logging
import os
from datetime import datetime
from email.message import EmailMessage

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from call_log.sweep import close_unfinished
from call_log.writes import JOURNAL_KIND, CallWrite, apply_write
from console.public.acknowledgement import send_in_background
from console.public.intake import JOURNAL_KIND as WEB_JOURNAL_KIND
from console.public.intake import replay_request
from foundation.gate import DatabaseUnavailableError
from foundation.journal import Backlog, DatabaseStillUnavailableError, Entry, Replayed
from foundation.mail import MailError
from foundation.runtime import Runtime
from helpline.alerts import mail_staff, staff_message
from helpline.db import budgeted, heal_sqlite_companions, make_session_factory
from ivr.journey_writes import journey_actions

logger = logging.getLogger(__name__)

# How long one replayed write may take, in webhook budgets, before the replay waits for the next round.
WRITE_BUDGETS = 2
REPLAY_JOB_ID = "journal-replay"
SWEEP_JOB_ID = "unfinished-calls-sweep"
# How often calls whose final status never came are looked for (see call_log.sweep).
SWEEP_EVERY_S = 15 * 60


def replay_journal(rt: Runtime) -> Replayed:
    """Write what waits in the journal into the database, oldest first; stops at the first refusal.

    Nothing is replayed while this process still has writes held up by the database (they may land
    yet, and must not land after the writes that followed them).
    """
    if rt.gate.abandoned_work():
        return Replayed(0, 0, rt.journal.backlog().pending)
    heal_sqlite_companions(rt.settings.database_url)
    actions = journey_actions(caller_key_secret=rt.settings.caller_key_secret)
    timeout = rt.settings.database_budget_s * WRITE_BUDGETS
    sessions = make_session_factory(budgeted(rt.engine, timeout))

    def apply(entry: Entry) -> None:
        acknowledgements: list[EmailMessage] = []
        if entry.kind == JOURNAL_KIND:
            write = CallWrite.from_data(entry.data, at=entry.at)

            def make() -> None:
                with sessions() as session, session.begin():
                    apply_write(session, write, actions)

        elif entry.kind == WEB_JOURNAL_KIND:

            def make() -> None:
                with sessions() as session, session.begin():
                    message = replay_request(session, rt, entry.data, at=entry.at)
                acknowledgements.extend([message] if message else [])

        else:
            raise ValueError(f"not a kind of journal entry: {entry.kind!r}")
        try:
            rt.gate.probe(make, timeout=timeout)
        except DatabaseUnavailableError as unavailable:
            raise DatabaseStillUnavailableError(str(unavailable)) from unavailable
        for message in acknowledgements:
            send_in_background(message, rt.config.reports.smtp, password=rt.settings.smtp_password)

    replayed = rt.journal.replay(apply)
    if replayed.written:
        rt.gate.opened()
        logger.info("Journal: %d writes replayed into the database", replayed.written)
    if replayed.left:
        logger.warning("Journal: the database still refuses writes; %d wait", replayed.left)
    return replayed


def replay_round(rt: Runtime) -> None:
    """One scheduled round: replay, then say a backlog that waits too long (once per backlog)."""
    try:
        replay_journal(rt)
        backlog = rt.journal.backlog()
        if backlog.is_stale(rt.clock()):
            _alert_once(rt, backlog)
    except Exception:
        logger.exception("Journal replay failed; the next round tries again")


def sweep_round(rt: Runtime) -> None:
    """Close the calls whose final status never came from Twilio; a failure waits for the next round."""
    try:
        with rt.sessions() as session, session.begin():
            closed = close_unfinished(session, now=rt.clock())
        if closed:
            logger.info("Closed %d calls whose final status never came from Twilio", closed)
    except Exception:
        logger.exception("The sweep of unfinished calls failed; the next round tries again")


def start_replayer(rt: Runtime) -> BackgroundScheduler:
    """Replay now, then every `journal_replay_s` seconds; sweep unfinished calls every 15 minutes."""
    scheduler = BackgroundScheduler()
    scheduler.add_job(
        sweep_round, IntervalTrigger(seconds=SWEEP_EVERY_S), args=[rt], id=SWEEP_JOB_ID, max_instances=1
    )
    scheduler.add_job(
        replay_round,
        IntervalTrigger(seconds=rt.settings.journal_replay_s),
        args=[rt],
        id=REPLAY_JOB_ID,
        max_instances=1,
        coalesce=True,
        next_run_time=datetime.now().astimezone(),
    )
    scheduler.start()
    return scheduler


def _alert_once(rt: Runtime, backlog: Backlog) -> None:
    """E-mail the staff about this backlog, once across processes (a marker file per oldest entry)."""
    message = backlog_message(rt, backlog)
    if backlog.oldest is None or message is None:
        return
    marker = rt.journal.directory / f"alerted-{backlog.oldest.strftime('%Y%m%dT%H%M%S%f')}"
    try:
        os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return
    try:
        mail_staff(rt, message)
    except MailError:
        logger.exception("Could not e-mail the staff about the journal's backlog")
        marker.unlink(missing_ok=True)


def backlog_message(rt: Runtime, backlog: Backlog) -> EmailMessage | None:
    """The staff's e-mail: calls are answered, but the log waits for the database (None: nobody to mail)."""
    name = rt.config.helpline.name
    since = backlog.oldest.astimezone(rt.config.helpline.tz) if backlog.oldest else rt.clock()
    return staff_message(
        rt.config,
        "le journal des appels n'est plus enregistré dans la base",
        "Bonjour,\n\n"
        f"Depuis le {since:%d/%m/%Y à %H:%M}, la base de données du {name} n'accepte plus "
        f"d'enregistrement : {backlog.pending} enregistrement(s) d'appels attendent dans le journal "
        "de secours.\n\n"
        "Les appelants sont toujours orientés (vers les opérateurs ou la messagerie) et rien n'est "
        "perdu : tout sera recopié dans la base dès qu'elle répondra. En attendant, les appels récents "
        "et les rappels à faire n'apparaissent pas dans la console.\n\n"
        "À faire : prévenir la personne qui s'occupe du serveur (état sur la page /health, commande "
        "« helpline journal status »).\n\nCe message est envoyé automatiquement, une fois.\n",
    )
