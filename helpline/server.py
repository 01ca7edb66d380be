"""The production server: gunicorn serving the app factory, and the report catch-up once it is up."""

from __future__ import annotations

import dataclasses
import logging
import logging.config
import multiprocessing
import os
import secrets
import time
import urllib.error
import urllib.request
from multiprocessing.process import BaseProcess
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication

from foundation.clock import Clock, system_clock
from foundation.config import Config
from foundation.settings import Settings
from helpline.logs import gunicorn_logconfig
from helpline.metrics import compact

logger = logging.getLogger(__name__)


class HelplineServer(BaseApplication):  # type: ignore[misc]
    """gunicorn with its options given in code; each worker builds its own app (and database pool)."""

    def __init__(self, settings: Settings, config: Config, options: dict[str, Any]) -> None:
        self.settings, self.helpline_config, self.options = settings, config, options
        preload()
        super().__init__()

    def load_config(self) -> None:
        """Apply our options to gunicorn's configuration."""
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        """Build the app in the worker process."""
        from helpline.app import create_app
        from ivr.webhooks.settings import warm

        app = create_app(self.settings, config=self.helpline_config, start_jobs=True)
        warm(app)  # before the worker takes its first call
        return app


def _forked(_server: object, worker: Any) -> None:
    """gunicorn's post_fork hook: the worker's clock starts (see `_ready`)."""
    worker.helpline_forked_at = time.monotonic()


def _ready(worker: Any) -> None:
    """gunicorn's post_worker_init hook: say how long the worker took to build its app and warm it."""
    worker.log.info("Worker ready %.2f s after its fork", time.monotonic() - worker.helpline_forked_at)


def preload() -> None:
    """Import, once in the master before it forks, what every worker would import at its start.

    Modules only (no database, no thread): each worker still builds its own app, but starts with the
    webhooks, the console and the phone numbers' French areas already loaded.
    """
    import phonenumbers
    from phonenumbers import geocoder

    import console.web  # noqa: F401
    import helpline.app  # noqa: F401
    import ivr.webhooks  # noqa: F401

    geocoder.description_for_number(phonenumbers.parse("+33254000000"), "fr")


def catch_up_report(
    settings: Settings, config: Config, *, ready_url: str | None = None, clock: Clock = system_clock
) -> None:
    """Build the latest due month's report if it never ran (reports.schedule.MonthlyReportJob.catch_up).

    With `ready_url`, first wait until the server answers it, then run at a lower CPU priority: the
    workers' start and their calls come first.
    """
    from helpline.db import make_engine, make_session_factory
    from reports.schedule import MonthlyReportJob

    if settings.log_format == "json":
        logging.config.dictConfig({"version": 1, "disable_existing_loggers": False} | gunicorn_logconfig())
    else:
        logging.basicConfig(level=logging.INFO, format="[report catch-up] %(levelname)s %(message)s")
    if ready_url is not None:
        _wait_until_answered(ready_url)
        os.nice(10)
    engine = make_engine(settings.database_url)
    try:
        MonthlyReportJob(make_session_factory(engine), config, clock, settings.smtp_password).catch_up()
    except Exception:
        # The cron job and the next start try again; the server itself is not concerned.
        logger.exception("The monthly report catch-up failed.")
    finally:
        engine.dispose()


def _wait_until_answered(url: str, *, timeout_s: float = 120.0) -> None:
    """Return once `url` answers with any HTTP status, or after `timeout_s` (catch up anyway)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return  # an answer all the same (e.g. 503 while the database is down)
        except OSError:
            time.sleep(0.2)  # not listening or not answering yet


def start_catch_up(settings: Settings, config: Config, *, ready_url: str | None = None) -> BaseProcess | None:
    """Start the report catch-up in a child process of its own (None when the schedule is off).

    Started by gunicorn's master once it listens; the child waits for `ready_url` to answer (a worker is
    up), so the 5 s of a month's report neither delay a worker's start nor share its interpreter with
    calls. A fresh interpreter ("spawn"): the master is not forked with whatever it holds. gunicorn's
    master reaps it like a worker.
    """
    if not config.reports.schedule_enabled:
        return None
    process = multiprocessing.get_context("spawn").Process(
        target=catch_up_report,
        args=(settings, config),
        kwargs={"ready_url": ready_url},
        name="helpline-report-catch-up",
    )
    process.start()
    # Not a child for multiprocessing's exit handler: the master would wait for the report before it
    # exits, and each worker it forks would try to join a process it did not start.
    getattr(multiprocessing.process, "_children", set()).discard(process)
    return process


def run(settings: Settings, config: Config, *, host: str, port: int, workers: int) -> None:
    """Serve until interrupted."""
    if settings.secret_key is None:
        # All workers must sign console sessions with one key; without HELPLINE_SECRET_KEY, one per start.
        settings = dataclasses.replace(settings, secret_key=secrets.token_hex(32))
    # Where the server answers on this machine, whatever address it listens on.
    loopback = {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "[::1]"}
    local = f"http://{loopback.get(host, f'[{host}]' if ':' in host else host)}:{port}"
    options = {
        "bind": f"{host}:{port}",
        "workers": workers,
        "worker_class": "gthread",
        "threads": 4,
        # Twilio waits 15 s for a webhook; a request longer than that has failed the caller anyway.
        "timeout": 30,
        "accesslog": "-",
        # The path without its query: IVR state and callback numbers travel in query strings.
        "access_log_format": '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms',
        "errorlog": "-",
        "loglevel": "info",
        **(
            {"accesslog": None, "logconfig_dict": gunicorn_logconfig()}
            if settings.log_format == "json"
            else {}
        ),
        "when_ready": lambda _server: start_catch_up(settings, config, ready_url=f"{local}/health"),
        "post_fork": _forked,
        "post_worker_init": _ready,
    }
    try:
        compact(settings.metrics_path())
    except (OSError, ValueError):
        logger.exception("Could not fold the metrics files of ended processes in %s", settings.metrics_path())
    HelplineServer(settings, config, options).run()
