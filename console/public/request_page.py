"""/demande: the request form for people who would rather not phone, and the page that thanks them.

A request becomes a contact of channel `web` (see `call_log.web_requests`), referred at once or queued for
the operators as config.yaml's `web_form.mode` says. Nothing sent can be read back: the thank-you page is
the same for everyone, and so is the answer to a robot that filled the hidden field (nothing is stored).
"""

from __future__ import annotations

import logging
from typing import Any

from flask import redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException, InternalServerError

from call_log.web_requests import client_key, count_submission, over_rate_limit
from console.context import DirectoryNames, is_database_outage, now
from console.public.acknowledgement import send_in_background
from console.public.blueprint import bp
from console.public.forms import MESSAGE_MAX, OUTSIDE, RequestForm
from console.public.intake import (
    JOURNAL_KIND,
    TRAP,
    OutageLimit,
    acknowledgement_for,
    load_form,
    new_request_id,
    posted_fields,
    record,
)
from foundation.db import transaction
from foundation.runtime import runtime
from ivr.privacy_notice import days_in_words

logger = logging.getLogger(__name__)
_OUTAGE_LIMIT = OutageLimit()


@bp.url_value_preprocessor
def limit_request_size(endpoint: str | None, values: dict[str, Any] | None) -> None:
    """No public page takes a request bigger than `web_form.max_request_kb` (413).

    Set here, before any before_request function: CSRFProtect reads the form in one.
    """
    request.max_content_length = runtime().config.web_form.max_request_kb * 1024


@bp.route("/demande", methods=["GET", "POST"])
def request_form() -> ResponseReturnValue:
    """The form; a request that is right is recorded, then the person is sent to the thank-you page.

    If the database cannot take it, the request waits in the journal and the person is thanked all the
    same (see `console.public.intake`).
    """
    rt = runtime()
    settings = rt.config.web_form
    if request.method == "GET":
        with rt.voice_reads() as db:  # read-only, within the database budget: no lock to wait for
            return _page(*load_form(db, None))
    if (request.form.get(TRAP) or "").strip():
        logger.info("Discarded a web request whose hidden field was filled (a robot)")
        return redirect(url_for("console.public.thanks"))
    moment = now()
    request_id = new_request_id()
    key = client_key(request.remote_addr or "", secret=rt.settings.caller_key_secret)
    try:
        # Within the voice webhooks' database budget: a database that is locked or slow sends the
        # request to the journal in a second or so, not after a long wait.
        with transaction(rt.voice_writes) as db:
            names, form = load_form(db, request.form)
            if over_rate_limit(db, key, limit=settings.max_per_hour, now=moment):
                logger.warning(
                    "Refused a web request: its address sent %d within the hour", settings.max_per_hour
                )
                return _page(names, form, refused=True), 429
            checked = form.checked(db)
            if checked is None:
                return _page(names, form), 400
            received = record(db, rt, checked, request_id=request_id, now=moment)
            count_submission(db, key, now=moment)
            message = acknowledgement_for(rt, checked, received, names) if received else None
    except SQLAlchemyError:
        if not _OUTAGE_LIMIT.allows(key, limit=settings.max_per_hour, now=moment):
            logger.warning("Refused a web request during an outage: its address sent too many")
            return _error(429, _MESSAGES[429])
        logger.exception("The database did not take a web request: it waits in the journal")
        rt.journal.append(JOURNAL_KIND, {"id": request_id, "fields": posted_fields(request.form)}, at=moment)
        return redirect(url_for("console.public.thanks"))
    if message is not None:
        send_in_background(message, rt.config.reports.smtp, password=rt.settings.smtp_password)
    return redirect(url_for("console.public.thanks"))


@bp.get("/demande/merci")
def thanks() -> ResponseReturnValue:
    """The same page for every request: it says what happens next and shows nothing that was sent."""
    config = runtime().config
    return render_template(
        "public/thanks.html",
        confirmed_by_email=bool(config.web_form.acknowledgement_email and config.reports.smtp.sender),
    )


def _page(names: DirectoryNames, form: RequestForm, *, refused: bool = False, expired: bool = False) -> str:
    """The form as typed, with what to fix first (each message links to its field)."""
    communes = [f"{commune.name} ({commune.postal_code})" for commune in names.communes.values()]
    retention = runtime().config.privacy.retention
    return render_template(
        "public/request.html",
        form=form,
        communes=communes,
        outside=OUTSIDE,
        message_max=MESSAGE_MAX,
        refused=refused,
        expired=expired,
        kept_for=days_in_words(max(retention.identifying_days, retention.notes_days)),
        errors=[(field.id, error) for field in form for error in field.errors],
    )


@bp.errorhandler(CSRFError)
def form_expired(error: CSRFError) -> ResponseReturnValue:
    """A form sent without its token (expired, or from elsewhere): shown again as typed, to send again."""
    logger.warning("Refused %s %s: %s", request.method, request.path, error.description)
    if request.endpoint != "console.public.request_form":
        return _error(400, "Ce formulaire a expiré. Rechargez la page et recommencez.")
    with runtime().voice_reads() as db:
        return _page(*load_form(db, request.form), expired=True), 400


def _error(code: int, message: str) -> ResponseReturnValue:
    return render_template("public/error.html", code=code, message=message), code


_MESSAGES = {
    400: "Ce formulaire n'a pas pu être lu. Rechargez la page et recommencez.",
    404: "Cette page n'existe pas.",
    405: "Cette action n'est pas possible ici.",
    413: "Votre demande est trop longue pour être envoyée. Revenez en arrière, raccourcissez votre message "
    f"({MESSAGE_MAX} caractères au plus) et envoyez-la à nouveau.",
    429: "Trop de demandes en peu de temps : réessayez un peu plus tard.",
}


def public_error(error: HTTPException) -> ResponseReturnValue:
    """The public site's error pages: French, with the helpline's number, never the console's layout."""
    code = error.code or 500
    return _error(code, _MESSAGES.get(code, "Une erreur est survenue. Réessayez, ou appelez-nous."))


@bp.errorhandler(InternalServerError)
def public_server_error(error: InternalServerError) -> ResponseReturnValue:
    """An unexpected failure on a public page: French, and the number to call instead."""
    if is_database_outage(error):
        return _error(503, "Le site est momentanément indisponible. Réessayez dans quelques minutes.")
    return _error(500, "Une erreur est survenue. Réessayez dans quelques minutes.")


for _code in _MESSAGES:
    bp.register_error_handler(_code, public_error)
