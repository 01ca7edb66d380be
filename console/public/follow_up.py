"""The association's personal link, `/suivi/<token>`: what it needs to know of one referral, and its answer.

No account: the signed token is the key, for one referral, for `LINK_LIFETIME`. The page shows only the
request (service, commune, for whom, date) and the person's number if they agreed; each opening and each
answer is an event of the referral's call, the answer made with the follow-up function staff use.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session
from wtforms import Form, RadioField, StringField
from wtforms.validators import Length, Optional

from call_log.codes import DropReason, EventKind, FollowUpState
from call_log.follow_up import set_follow_up
from call_log.models import Call, Referral
from call_log.partner_link import LinkError, PartnerLinks
from call_log.partner_notices import describe
from call_log.recording import add_event
from console.public.blueprint import bp
from foundation.db import transaction
from foundation.runtime import runtime

# What the association can answer, in the order a referral goes; `dropped` stands apart.
PROGRESS = (FollowUpState.CONTACTED, FollowUpState.QUOTE_SENT, FollowUpState.SERVICE_STARTED)
ANSWERS = {
    FollowUpState.CONTACTED: "Personne contactée",
    FollowUpState.QUOTE_SENT: "Devis envoyé",
    FollowUpState.SERVICE_STARTED: "Prestation commencée",
}


class DropForm(Form):
    """Why the association did not follow the referral up."""

    class Meta:
        locales = ("fr_FR", "fr")

    reason = RadioField("Pourquoi ?", choices=DropReason.labels(), default=DropReason.NO_CAPACITY.value)
    details = StringField("Précisez (facultatif)", validators=[Optional(), Length(max=200)])


def _links() -> PartnerLinks:
    rt = runtime()
    return PartnerLinks(str(current_app.secret_key), rt.clock, timedelta(days=rt.config.partners.link_days))


def _refused(error: LinkError) -> ResponseReturnValue:
    status = 410 if error.expired else 404
    days = runtime().config.partners.link_days
    return render_template("public/follow_up_refused.html", expired=error.expired, days=days), status


def _by(referral: Referral) -> str:
    name = referral.association.name if referral.association is not None else "association"
    return f"{name} (lien de suivi)"


def _page(
    db: Session, referral: Referral, token: str, form: DropForm, status: int = 200
) -> ResponseReturnValue:
    facts = describe(db, referral, tz=runtime().config.helpline.tz)
    return (
        render_template(
            "public/follow_up.html",
            referral=referral,
            facts=facts,
            token=token,
            form=form,
            answers=ANSWERS,
            state_label=FollowUpState.label_of(referral.follow_up),
        ),
        status,
    )


@bp.get("/suivi/<token>")
def follow_up_link(token: str) -> ResponseReturnValue:
    """The referral as the association needs it, and the buttons to say how it went."""
    try:
        referral_id = _links().referral_id(token)
    except LinkError as error:
        return _refused(error)
    rt = runtime()
    with transaction(rt.sessions) as db:
        referral = db.get(Referral, referral_id)
        if referral is None:
            return _refused(LinkError(expired=False))
        add_event(
            db,
            db.get_one(Call, referral.call_id),
            EventKind.REFERRAL_LINK_VIEWED,
            {"by": _by(referral), "referral_id": referral.id},
            now=rt.clock(),
        )
        return _page(db, referral, token, DropForm())


@bp.post("/suivi/<token>")
def follow_up_answer(token: str) -> ResponseReturnValue:
    """Record the association's answer once: the same answer twice, or a step back, changes nothing."""
    try:
        referral_id = _links().referral_id(token)
    except LinkError as error:
        return _refused(error)
    rt = runtime()
    state = request.form.get("state", "")
    with transaction(rt.sessions) as db:
        referral = db.get(Referral, referral_id)
        if referral is None:
            return _refused(LinkError(expired=False))
        form = DropForm(request.form)
        if state not in (*PROGRESS, FollowUpState.DROPPED):
            flash("Choisissez l'un des boutons ci-dessous.", "error")
            return _page(db, referral, token, form, status=400)
        if state == FollowUpState.DROPPED and not form.validate():
            return _page(db, referral, token, form, status=400)
        current = referral.follow_up
        if state in PROGRESS and current in PROGRESS and PROGRESS.index(state) < PROGRESS.index(current):
            flash(
                f"Déjà indiqué : « {FollowUpState.label_of(current)} ». Rien n'a changé.",
                "info",
            )
            return redirect(url_for("console.public.follow_up_link", token=token))
        if state == current:
            flash("C'était déjà enregistré. Merci !", "info")
            return redirect(url_for("console.public.follow_up_link", token=token))
        notes = ""
        if state == FollowUpState.DROPPED:
            reason = DropReason.label_of(form.reason.data)
            details = (form.details.data or "").strip()
            notes = f"Pas de suite donnée : {reason}" + (f" ({details})" if details else "")
        moment = rt.clock()
        set_follow_up(db, referral, state, by=_by(referral), now=moment, notes=notes)
        referral.link_answered_at = moment
    flash("Merci, c'est enregistré.", "success")
    return redirect(url_for("console.public.follow_up_link", token=token))
