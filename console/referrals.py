"""Partner follow-through: referrals by follow-up state, and those with no contact after 24 working hours."""

from __future__ import annotations

from datetime import UTC
from urllib.parse import urlencode

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from call_log.follow_up import (
    ReferralPage,
    count_link_answers,
    count_overdue_referrals,
    overdue_referrals,
    referrals,
    set_follow_up,
)
from call_log.models import Referral
from console import labels
from console.access import current_account, safe_next
from console.context import DirectoryNames, now, tz, working_days
from console.forms import FollowUpForm, ReferralFilterForm
from foundation.db import transaction
from foundation.runtime import runtime

bp = Blueprint("referrals", __name__, url_prefix="/referrals")

PER_PAGE = 50


@bp.get("")
def index() -> ResponseReturnValue:
    """The oldest overdue referrals, then one page of the referrals the filters choose, newest first."""
    moment, calendar = now(), working_days()
    with runtime().sessions() as db:
        names = DirectoryNames.load(db)
        form = ReferralFilterForm(request.args)
        form.association.choices = {"": "Toutes"} | {str(i): name for i, name in names.associations.items()}
        form.validate()
        unreadable = bool(form.state.errors or form.association.errors)
        state = form.state.data or None
        page = referrals(
            db,
            now=moment,
            calendar=calendar,
            state=state if state != form.OVERDUE else None,
            overdue=state == form.OVERDUE,
            association_id=int(form.association.data) if form.association.data else None,
            page=(form.page.data or 1) if not form.page.errors else 1,
            per_page=PER_PAGE,
        )
        query = {key: value for key, value in request.args.items() if key != "page" and value}

        def page_url(number: int) -> str:
            return url_for("console.referrals.index") + "?" + urlencode({**query, "page": number})

        return render_template(
            "console/referrals.html",
            overdue=overdue_referrals(db, now=moment, calendar=calendar),
            overdue_count=count_overdue_referrals(db, now=moment, calendar=calendar),
            link_answers=count_link_answers(db),
            page=page if not unreadable else ReferralPage([], 1, PER_PAGE, 0),
            form=form,
            follow_up_form=FollowUpForm(),
            names=names,
            # Where "Mettre à jour" comes back to: this page, these filters (the row's anchor added).
            back_to=page_url(page.number),
            page_url=page_url,
        ), (400 if unreadable else 200)


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
