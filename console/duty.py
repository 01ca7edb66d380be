"""Who is on duty: an operator takes their own phone off duty and back (on holiday, in a meeting).

Operators reach this page (the rest of the settings is for staff, `console.settings_pages`); each may switch
the phones tied to their console account, staff any phone. The switch is a new settings version, heard from
the next call.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from console.access import current_account
from console.settings_pages.state import apply, settings_now

bp = Blueprint("duty", __name__, url_prefix="/duty")


@bp.get("")
def duty() -> ResponseReturnValue:
    """Who is on duty; each operator switches their own phone, staff any."""
    config = settings_now().config
    return render_template("console/settings/duty.html", operators=config.operators, may_switch=_may_switch)


def _may_switch(account: str | None) -> bool:
    me = current_account()
    return me.can("staff") or (account is not None and account == me.username)


@bp.post("")
def switch() -> ResponseReturnValue:
    """Put a phone on duty or off duty (its operator, or staff)."""
    phone = request.form.get("phone", "")
    wanted = request.form.get("on_duty") == "1"
    known = {operator.phone: operator for operator in settings_now().config.operators}
    if phone not in known:
        flash("Ce téléphone n'est plus dans la liste : voici la liste à jour.", "error")
        return redirect(url_for("console.duty.duty"))
    if not _may_switch(known[phone].account):
        abort(403)
    state = "de garde, son téléphone sonne" if wanted else "hors garde, son téléphone ne sonne plus"

    def edit(document: dict[str, Any]) -> None:
        for operator in document["operators"]:
            if operator["phone"] == phone:
                operator["on_duty"] = wanted
                return
        raise LookupError(phone)

    try:
        apply(edit, f"{known[phone].name} : {'de garde' if wanted else 'hors garde'}")
    except LookupError:
        flash("Ce téléphone n'est plus dans la liste : voici la liste à jour.", "error")
        return redirect(url_for("console.duty.duty"))
    flash(f"{known[phone].name} : {state}.", "success")
    return redirect(url_for("console.duty.duty"))
