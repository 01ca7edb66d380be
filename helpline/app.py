"""The app factory: the one place that wires settings, config, database and blueprints together."""

from __future__ import annotations

import logging
import secrets

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from call_log.twilio_recordings import TwilioRecordings
from directory.reference import category_codes
from foundation.clock import Clock, system_clock
from foundation.config import Config
from foundation.gate import DatabaseGate
from foundation.journal import Journal
from foundation.runtime import Runtime
from foundation.settings import Settings
from helpline.alerts import init_alerts
from helpline.config import ConfigError, load_config
from helpline.db import budgeted, make_engine, make_session_factory, sqlite_file
from helpline.health import register_health
from helpline.logs import init_logs
from helpline.metrics import init_metrics
from helpline.partners import partner_notice_job, start_partner_notices
from helpline.replay import start_replayer

logger = logging.getLogger(__name__)


def load_helpline_config(settings: Settings) -> Config:
    """config.yaml, checked against the service taxonomy and the secrets it needs."""
    config = load_config(settings.config_path, categories=category_codes())
    if config.privacy.caller_number == "hashed" and not settings.caller_hash_secret:
        raise ConfigError(
            f"{settings.config_path} : privacy.caller_number vaut 'hashed' mais HELPLINE_CALLER_HASH_SECRET "
            "n'est pas défini ; donnez-lui un long secret aléatoire, ou choisissez 'masked'"
        )
    return config


def build_runtime(
    settings: Settings, config: Config, *, clock: Clock = system_clock, pooled: bool = True
) -> Runtime:
    """The database, its gate and the journal, as the app and the commands share them."""
    engine = make_engine(settings.database_url, pooled=pooled)
    budget = settings.database_budget_s
    database = sqlite_file(settings.database_url)
    return Runtime(
        settings=settings,
        config=config,
        engine=engine,
        sessions=make_session_factory(engine),
        clock=clock,
        gate=DatabaseGate(
            one_writer=database is not None,
            writers_lock=database.with_name(f".{database.name}.writers-lock") if database else None,
        ),
        journal=Journal(settings.journal_path()),
        voice_writes=make_session_factory(budgeted(engine, budget)),
        voice_reads=make_session_factory(budgeted(engine, budget, read_only=True)),
    )


def recording_store(settings: Settings) -> TwilioRecordings | None:
    """The voicemails at Twilio, to delete them once their period is over; None without the credentials."""
    if not (settings.twilio_account_sid and settings.twilio_auth_token):
        return None
    return TwilioRecordings(settings.twilio_account_sid, settings.twilio_auth_token)


def warn_without_caller_key_secret(settings: Settings) -> None:
    """Say once, at start, that callers get no keyed hash (distinct callers go uncounted) without a secret."""
    if settings.caller_key_secret is None:
        logger.warning(
            "Neither HELPLINE_CALLER_HASH_SECRET nor HELPLINE_SECRET_KEY is set: calls get no caller_key, "
            "so reports cannot count distinct callers."
        )


def create_app(
    settings: Settings | None = None,
    *,
    config: Config | None = None,
    clock: Clock = system_clock,
    start_jobs: bool = False,
) -> Flask:
    """Build the helpline's Flask app; raises ConfigError if config.yaml is not usable.

    `start_jobs` starts the monthly report scheduler and the journal's replay (the server does; tests
    and commands do not).
    """
    import console.web
    import ivr.webhooks
    from console.privacy_pages import RECORDINGS_EXTENSION

    settings = settings or Settings.from_env()
    config = config or load_helpline_config(settings)
    app = Flask(__name__)
    if settings.trusted_proxies:
        # The client's address (login throttling, logs) and https (HSTS, cookies) as the proxies saw them;
        # only as many X-Forwarded-* hops as there are proxies of ours, so a client cannot forge its own.
        proxies = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]
    app.config["SECRET_KEY"] = settings.secret_key or secrets.token_hex(32)
    rt = build_runtime(settings, config, clock=clock)
    app.extensions["helpline"] = rt
    # The console's erasures delete voicemails at Twilio as the CLI's do.
    app.extensions[RECORDINGS_EXTENSION] = recording_store(settings)
    warn_without_caller_key_secret(settings)
    init_logs(app, settings)
    init_metrics(app, rt, start_flushing=start_jobs and not app.testing)
    init_alerts(app, rt)
    ivr.webhooks.init_app(app)
    console.web.init_app(app)
    if start_jobs and config.reports.schedule_enabled and not app.testing:
        from reports.schedule import start_scheduler

        # The missed month's catch-up runs once per server, in a child process, once the server is up
        # (helpline/server.py): not in every worker, while it should be answering calls.
        app.extensions["reports.scheduler"] = start_scheduler(
            app.extensions["helpline"].sessions,
            config,
            clock=clock,
            smtp_password=settings.smtp_password,
            catch_up=False,
        )

    if start_jobs and config.privacy.retention.schedule_enabled and not app.testing:
        from call_log.purge_job import DailyPurgeJob, build_purge_scheduler

        job = DailyPurgeJob(rt.sessions, config, clock, recording_store(settings))
        app.extensions["call_log.purge_scheduler"] = scheduler = build_purge_scheduler(job)
        scheduler.start()
    if start_jobs and not app.testing:
        app.extensions["helpline.replayer"] = start_replayer(rt)
        notices = partner_notice_job(rt, app.config["SECRET_KEY"])
        app.extensions["helpline.partner_notices"] = start_partner_notices(notices)
    register_health(app, rt)

    if settings.skip_signature_check:
        logger.warning(
            "Twilio signature checks are OFF (HELPLINE_DEV_SKIP_SIGNATURE): anyone can post to /ivr/*. "
            "Never run like this on a public address."
        )
    elif not settings.twilio_auth_token:
        logger.warning("TWILIO_AUTH_TOKEN is not set: every /ivr/* request will be refused with 403.")
    return app
