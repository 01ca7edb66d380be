"""Partner follow-through: referrals by follow-up state, and those with no contact after 24 working hours."""

from __future__ import annotations

from datetime import UTC

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from call_log.codes import FollowUpState
from call_log.follow_up import count_overdue_referrals, overdue_referrals, referrals, set_follow_up
from call_log.models import Referral
from console import labels
from console.access import current_account, safe_next
from console.context import DirectoryNames, now, tz, working_days
from console.forms import FollowUpForm
from foundation.db import transaction
from foundation.runtime import runtime

bp = Blueprint("referrals", __name__, url_prefix="/referrals")


@bp.get("")
def index() -> ResponseReturnValue:
    """Overdue referrals first, then the referrals in the chosen state (all by default)."""
    state = request.args.get("state") or None
    if state is not None and state not in tuple(FollowUpState):
        state = None
    moment, calendar = now(), working_days()
    with runtime().sessions() as db:
        return render_template(
            "console/referrals.html",
            overdue=overdue_referrals(db, now=moment, calendar=calendar),
            overdue_count=count_overdue_referrals(db, now=moment, calendar=calendar),
            follow_ups=referrals(db, now=moment, calendar=calendar, state=state),
            state=state,
            form=FollowUpForm(),
            names=DirectoryNames.load(db),
        )


@bp.post("/<int:referral_id>")
def update(referral_id: int) -> ResponseReturnValue:
    """Move a referral to a follow-up state (with when it happened, and a note)."""
    form = FollowUpForm(request.form)
    back = safe_next(request.form.get("next")) or url_for("console.referrals.index")
    if not form.validate():
        flash("Le suivi n'a pas été enregistré : " + "; ".join(_errors(form)), "error")
        return redirect(back)
    when = form.at.data.replace(tzinfo=tz()).astimezone(UTC) if form.at.data else None
    with transaction(runtime().sessions) as db:
        referral = db.get(Referral, referral_id)
        if referral is None:
            abort(404)
        changed = set_follow_up(
            db,
            referral,
            form.state.data or "",
            by=current_account().username,
            now=now(),
            at=when,
            notes=form.notes.data or "",
        )
    if changed:
        flash(f"Suivi : {labels.FOLLOW_UP_STATES[form.state.data or '']}.", "success")
    else:
        flash("Aucune modification.", "info")
    return redirect(back)


def _errors(form: FollowUpForm) -> list[str]:
    return [
        f"{form[name].label.text} : {message}"
        for name, messages in form.errors.items()
        for message in messages
    ]
