"""The callback queue: voicemails to call back, oldest first, overdue ones highlighted."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session

from call_log.callbacks import CallbackError, callback_queue, recently_closed, report_callback, take_callback
from call_log.models import CallbackRequest
from console import labels
from console.access import current_account
from console.context import DirectoryNames, now, opening_hours
from console.forms import CallbackResultForm
from foundation.db import transaction
from foundation.runtime import runtime

bp = Blueprint("callbacks", __name__, url_prefix="/callbacks")


@bp.get("")
def queue() -> ResponseReturnValue:
    """The queue, oldest first, and the requests closed last."""
    with runtime().sessions() as db:
        return render_template(
            "console/callbacks.html",
            queue=callback_queue(db, now=now(), calendar=opening_hours(db)),
            closed=recently_closed(db),
            form=CallbackResultForm(),
            names=DirectoryNames.load(db),
        )


def _request(db: Session, request_id: int) -> CallbackRequest:
    found = db.get(CallbackRequest, request_id)
    if found is None:
        abort(404)
    return found


@bp.post("/<int:request_id>/take")
def take(request_id: int) -> ResponseReturnValue:
    """Take a request: the operator is calling back."""
    try:
        with transaction(runtime().sessions) as db:
            take_callback(db, _request(db, request_id), by=current_account().username, now=now())
    except CallbackError:
        flash("Ce rappel est déjà pris par quelqu'un d'autre, ou terminé.", "error")
    return redirect(url_for("console.callbacks.queue", _anchor=f"callback-{request_id}"))


@bp.post("/<int:request_id>/result")
def result(request_id: int) -> ResponseReturnValue:
    """Record how calling back went."""
    form = CallbackResultForm(request.form)
    if not form.validate():
        flash("Choisissez un résultat de la liste.", "error")
        return redirect(url_for("console.callbacks.queue"))
    outcome = form.result.data or ""
    try:
        with transaction(runtime().sessions) as db:
            report_callback(
                db,
                _request(db, request_id),
                outcome,
                by=current_account().username,
                now=now(),
                notes=form.notes.data or "",
            )
    except CallbackError:
        flash("Ce rappel est pris par quelqu'un d'autre, ou déjà terminé.", "error")
    else:
        flash(f"Rappel : {labels.CALLBACK_RESULTS[outcome].lower()}.", "success")
    return redirect(url_for("console.callbacks.queue"))
