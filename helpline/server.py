"""The production server: gunicorn serving the app factory."""

from __future__ import annotations

import dataclasses
import secrets
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication

from foundation.config import Config
from foundation.settings import Settings


class HelplineServer(BaseApplication):  # type: ignore[misc]
    """gunicorn with its options given in code; each worker builds its own app (and database pool)."""

    def __init__(self, settings: Settings, config: Config, options: dict[str, Any]) -> None:
        self.settings, self.helpline_config, self.options = settings, config, options
        super().__init__()

    def load_config(self) -> None:
        """Apply our options to gunicorn's configuration."""
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        """Build the app in the worker process."""
        from helpline.app import create_app

        return create_app(self.settings, config=self.helpline_config, start_jobs=True)


def run(settings: Settings, config: Config, *, host: str, port: int, workers: int) -> None:
    """Serve until interrupted."""
    if settings.secret_key is None:
        # All workers must sign console sessions with one key; without HELPLINE_SECRET_KEY, one per start.
        settings = dataclasses.replace(settings, secret_key=secrets.token_hex(32))
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
    }
    HelplineServer(settings, config, options).run()
