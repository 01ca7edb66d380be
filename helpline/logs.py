"""How the server logs: gunicorn's text lines by default, or JSON lines (HELPLINE_LOG_FORMAT=json).

In JSON, each request is one line (time, method, path without its query string, status, duration, the
Flask endpoint, Twilio's CallSid when there is one) and every other record of the app and of gunicorn is a
line too. Query strings (the menu's state, typed digits) and forms (callers' numbers) are never logged.
"""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, g, request

from foundation.settings import Settings

REQUEST_LOGGER = "helpline.requests"
# The record's attribute holding a request's fields (see JsonFormatter).
REQUEST_FIELDS = "request_fields"

request_log = logging.getLogger(REQUEST_LOGGER)


class JsonFormatter(logging.Formatter):
    """A record as one JSON object: time, level, logger, message, a request's fields, the traceback."""

    def format(self, record: logging.LogRecord) -> str:
        """The record's JSON line."""
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        line |= getattr(record, REQUEST_FIELDS, {})
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def gunicorn_logconfig() -> dict[str, Any]:
    """gunicorn's `logconfig_dict` for JSON: every logger, gunicorn's too, to stderr as JSON lines."""
    return {
        "root": {"level": "INFO", "handlers": ["json"]},
        "loggers": {
            "gunicorn.error": {"level": "INFO", "handlers": [], "propagate": True},
            # The app logs each request itself, with its endpoint and CallSid (see init_logs).
            "gunicorn.access": {"level": "INFO", "handlers": [], "propagate": False},
        },
        "handlers": {
            "json": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
        },
        "formatters": {"json": {"()": f"{__name__}.JsonFormatter"}},
    }


def elapsed_s() -> float:
    """Seconds since this request began (0 outside one that init_logs timed)."""
    started = g.get("helpline_started")
    return 0.0 if started is None else time.perf_counter() - float(started)


def init_logs(app: Flask, settings: Settings) -> None:
    """Time every request; in JSON, log each one as a line of its own."""

    @app.before_request
    def start_the_clock() -> None:
        g.helpline_started = time.perf_counter()

    if settings.log_format != "json":
        return

    @app.after_request
    def log_request(response: Response) -> Response:
        fields: dict[str, Any] = {
            "method": request.method,
            "path": request.path,
            "status": response.status_code,
            "duration_ms": round(elapsed_s() * 1000, 1),
            "endpoint": request.endpoint,
        }
        call_sid = request.form.get("CallSid", "") if request.blueprint == "ivr" else ""
        if call_sid.startswith("CA") and call_sid.isalnum() and len(call_sid) <= 64:
            fields["call_sid"] = call_sid
        request_log.info(
            "%s %s %s", request.method, request.path, response.status_code, extra={REQUEST_FIELDS: fields}
        )
        return response
