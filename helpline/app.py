"""The app factory: the one place that wires settings, config, database and blueprints together."""

from __future__ import annotations

import logging
import secrets

from flask import Flask, Response, jsonify
from sqlalchemy import text

from directory.reference import category_codes
from foundation.clock import Clock, system_clock
from foundation.config import Config
from foundation.runtime import Runtime
from foundation.settings import Settings
from helpline.config import ConfigError, load_config
from helpline.db import make_engine, make_session_factory

logger = logging.getLogger(__name__)


def load_helpline_config(settings: Settings) -> Config:
    """config.yaml, checked against the service taxonomy and the secrets it needs."""
    config = load_config(settings.config_path, categories=category_codes())
    if config.privacy.caller_number == "hashed" and not settings.caller_hash_secret:
        raise ConfigError(
            f"{settings.config_path}: privacy.caller_number is 'hashed' but HELPLINE_CALLER_HASH_SECRET "
            "is not set; set it to a long random secret, or choose 'masked'"
        )
    return config


def create_app(
    settings: Settings | None = None,
    *,
    config: Config | None = None,
    clock: Clock = system_clock,
    start_jobs: bool = False,
) -> Flask:
    """Build the helpline's Flask app; raises ConfigError if config.yaml is not usable.

    `start_jobs` starts the monthly report scheduler (the server does; tests and commands do not).
    """
    import console.web
    import ivr.webhooks

    settings = settings or Settings.from_env()
    config = config or load_helpline_config(settings)
    engine = make_engine(settings.database_url)
    app = Flask(__name__)
    app.config["SECRET_KEY"] = settings.secret_key or secrets.token_hex(32)
    app.extensions["helpline"] = Runtime(
        settings=settings, config=config, engine=engine, sessions=make_session_factory(engine), clock=clock
    )
    ivr.webhooks.init_app(app)
    console.web.init_app(app)
    if start_jobs and config.reports.schedule_enabled and not app.testing:
        from reports.schedule import start_scheduler

        app.extensions["reports.scheduler"] = start_scheduler(
            app.extensions["helpline"].sessions, config, clock=clock, smtp_password=settings.smtp_password
        )

    @app.get("/health")
    def health() -> tuple[Response, int]:
        """Liveness and database reachability, for load balancers and monitoring."""
        try:
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except Exception as exc:
            return jsonify(status="degraded", database=str(exc.__class__.__name__)), 503
        return jsonify(status="ok", database="ok"), 200

    if settings.skip_signature_check:
        logger.warning(
            "Twilio signature checks are OFF (HELPLINE_DEV_SKIP_SIGNATURE): anyone can post to /ivr/*. "
            "Never run like this on a public address."
        )
    elif not settings.twilio_auth_token:
        logger.warning("TWILIO_AUTH_TOKEN is not set: every /ivr/* request will be refused with 403.")
    return app
