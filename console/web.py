"""Wiring the console into the app: cookies, CSRF, access control, blueprints, templates and error pages."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import Blueprint, Flask, Response, render_template, request
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import HTTPException, InternalServerError

from console import (
    admin,
    auth,
    board,
    callbacks,
    directory_pages,
    duty,
    finder,
    labels,
    log,
    privacy_pages,
    public,
    records,
    referrals,
    report_pages,
    settings_pages,
)
from console.access import (
    SIGNATURE_CHECKED_BLUEPRINTS,
    current_user_or_none,
    init_access,
    require_role,
)
from console.context import is_database_outage, phone, tz
from console.settings_pages.line_page import forced_now
from console.settings_pages.operators_page import nobody_on_duty
from foundation.journal import Backlog
from foundation.runtime import Runtime
from foundation.text import french_number

logger = logging.getLogger(__name__)

# The console's pages, templates and assets; its error pages apply to them only (the webhooks answer
# their own errors with TwiML).
console = Blueprint(
    "console", __name__, template_folder="templates", static_folder="static", static_url_path="/assets"
)
# Blueprint modules and the least role that reaches them.
BLUEPRINTS = (
    (auth, "operator"),
    (board, "operator"),
    (records, "operator"),
    (callbacks, "operator"),
    (finder, "operator"),
    (duty, "operator"),
    (referrals, "staff"),
    (log, "staff"),
    (directory_pages, "staff"),
    (report_pages, "staff"),
    (settings_pages, "staff"),
    (admin, "admin"),
    (privacy_pages, "admin"),
)
# The board's own script and styles only; recordings play from Twilio.
_CSP = (
    "default-src 'self'; media-src 'self' https://api.twilio.com; img-src 'self' data:; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'"
)

# A year, the usual value for a site served over https only; no preload: the operator's domain decides.
_HSTS = "max-age=31536000; includeSubDomains"


def init_app(app: Flask) -> None:
    """Add the console to the app (after the webhooks, which it exempts from CSRF: Twilio signs them)."""
    rt: Runtime = app.extensions["helpline"]
    app.config.update(
        SESSION_COOKIE_NAME="helpline_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        # Browsers keep Secure cookies over http only on localhost; `serve --dev` is for plain http elsewhere.
        SESSION_COOKIE_SECURE=not rt.settings.skip_signature_check,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SECURE=not rt.settings.skip_signature_check,
        REMEMBER_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=10),
        # The token lives as long as the session: a record left open over lunch can still be saved.
        WTF_CSRF_TIME_LIMIT=None,
        CONSOLE_BOARD_REFRESH_S=5,
        # Calls per database read of a CSV export: each batch is its own short transaction.
        CONSOLE_EXPORT_BATCH=2000,
    )
    csrf = CSRFProtect(app)
    for name in SIGNATURE_CHECKED_BLUEPRINTS:
        if name in app.blueprints:
            csrf.exempt(app.blueprints[name])
    init_access(app)
    app.register_blueprint(console)
    for module, role in BLUEPRINTS:
        require_role(app, f"console.{module.bp.name}", role)
    app.jinja_env.filters["local"] = local_time
    app.jinja_env.filters["duration"] = duration
    app.jinja_env.filters["number"] = french_number
    app.jinja_env.filters["phone"] = phone
    app.context_processor(
        lambda: {
            "labels": labels,
            "me": current_user_or_none(),
            "backlog": stale_backlog(rt),
            "forced": forced_now(),
            "nobody_on_duty": nobody_on_duty(),
        }
    )
    # Unknown URLs have no blueprint.
    app.register_error_handler(404, error_page)
    app.register_error_handler(InternalServerError, server_error)
    app.after_request(security_headers)
    if not rt.settings.secret_key:
        logger.warning(
            "HELPLINE_SECRET_KEY is not set: console sessions end when the server restarts and are not "
            "shared between server processes; set it to a long random secret."
        )


def stale_backlog(rt: Runtime) -> Backlog | None:
    """The journal's backlog when it has waited too long for the database (shown on every page)."""
    if current_user_or_none() is None:
        return None
    backlog = rt.journal.backlog()
    return backlog if backlog.is_stale(rt.clock()) else None


def local_time(moment: datetime | None, fmt: str = "%d/%m/%Y %H:%M") -> str:
    """A stored UTC time in the helpline's timezone."""
    return moment.astimezone(tz()).strftime(fmt) if moment else "—"


def duration(seconds: int | None) -> str:
    """'2 min 05 s' for 125."""
    if seconds is None:
        return "—"
    minutes, rest = divmod(seconds, 60)
    return f"{minutes} min {rest:02d} s" if minutes else f"{rest} s"


def csrf_refused(error: CSRFError) -> ResponseReturnValue:
    """A form sent without a valid CSRF token: refused, with a way back."""
    logger.warning("Refused %s %s: %s", request.method, request.path, error.description)
    message = "Le formulaire a expiré ou n'a pas été envoyé par la console. Rechargez la page et recommencez."
    return render_template("console/error.html", code=400, message=message), 400


_MESSAGES = {
    400: "Ce formulaire n'a pas pu être lu. Rechargez la page et recommencez.",
    401: "Votre session a expiré : reconnectez-vous.",
    403: "Cette page n'est pas accessible avec votre rôle.",
    404: "Cette page n'existe pas.",
    405: "Cette action n'est pas possible ici.",
    413: "Ce que vous envoyez est trop volumineux.",
    429: "Trop de demandes : patientez un peu.",
}


def error_page(error: HTTPException) -> ResponseReturnValue:
    """The console's error pages, in French (the webhooks answer their own errors)."""
    code = error.code or 500
    return render_template("console/error.html", code=code, message=_MESSAGES.get(code, "")), code


UNAVAILABLE = "La base de données ne répond pas pour le moment. Réessayez dans quelques minutes."
FAILED = "Une erreur inattendue est survenue ; elle est consignée dans le journal du serveur. Réessayez."
# When even the page cannot be drawn (its layout reads the signed-in user from the database).
_BARE_PAGE = (
    '<!doctype html><html lang="fr"><meta charset="utf-8"><title>Erreur {code}</title>'
    "<h1>Erreur {code}</h1><p>{message}</p></html>"
)


def server_error(error: InternalServerError) -> ResponseReturnValue:
    """An unexpected failure: said in French (503 if the database is the cause), never Werkzeug's page."""
    code, message = (503, UNAVAILABLE) if is_database_outage(error) else (500, FAILED)
    try:
        return render_template("console/error.html", code=code, message=message), code
    except Exception:
        logger.exception("The error page could not be drawn; a bare one is sent")
        return _BARE_PAGE.format(code=code, message=message), code


def security_headers(response: Response) -> Response:
    """Headers that keep console pages out of frames and caches, and scripts to our own; HSTS over https."""
    if request.is_secure:
        # Only over https (a trusted proxy's X-Forwarded-Proto counts): sent over http, it would be a lie
        # that a man in the middle could strip anyway.
        response.headers.setdefault("Strict-Transport-Security", _HSTS)
    if request.blueprint in SIGNATURE_CHECKED_BLUEPRINTS:
        return response
    response.headers.setdefault("Content-Security-Policy", _CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if request.endpoint != "console.static":
        # Pages hold callers' personal data: no copy in browser or proxy caches.
        response.headers.setdefault("Cache-Control", "no-store")
    return response


for _module, _role in BLUEPRINTS:
    console.register_blueprint(_module.bp)
# Open to anyone (console.access.PUBLIC_BLUEPRINTS): it declares no role.
console.register_blueprint(public.bp)
for _code in (400, 401, 403, 404, 405, 413, 429):
    console.register_error_handler(_code, error_page)
console.register_error_handler(CSRFError, csrf_refused)
