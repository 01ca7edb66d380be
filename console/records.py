"""Call records: complete a call, refer the caller, enter a contact by hand, see the record's history."""

from __future__ import annotations

from datetime import UTC

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from call_log.codes import ReadVia
from call_log.follow_up import follow_up_of
from call_log.models import Call, Referral, TransferAttempt
from call_log.privacy import stored_caller
from call_log.reads import reads_of, record_reads
from call_log.record import (
    RecordConflictError,
    add_referral,
    last_seq,
    open_manual_contact,
    update_record,
)
from call_log.search import earlier_contacts
from console.access import current_account
from console.call_facts import national, transfer_lines
from console.context import DirectoryNames, now, tz, working_days
from console.forms import FollowUpForm, ManualContactForm, RecordForm, ReferralForm, e164
from console.history import history
from directory.models import Association
from directory.routing import route
from foundation.db import transaction
from foundation.runtime import runtime
from ivr.line import pseudonymise

bp = Blueprint("records", __name__, url_prefix="/calls")


def _load(db: Session, call_id: int) -> Call:
    call = db.scalar(
        select(Call)
        .where(Call.id == call_id)
        .options(
            selectinload(Call.events),
            selectinload(Call.referrals).joinedload(Referral.association),
            selectinload(Call.callbacks),
            selectinload(Call.transfers).joinedload(TransferAttempt.association),
        )
    )
    if call is None:
        abort(404)
    return call


def _record_form(call: Call, names: DirectoryNames, seen_seq: int) -> RecordForm:
    # A live call's outcome is only what it would be if the caller hung up now: not an operator's answer.
    return RecordForm(
        data={
            "category_code": call.category_code or "",
            "commune": names.commune_label(call.commune_insee),
            "departement": call.departement if call.in_territory is False else "",
            "beneficiary": call.beneficiary or "",
            "heard_from": call.heard_from or "",
            "outcome": (call.outcome or "") if call.ended_at is not None else "",
            "notes": call.notes,
            "seen_seq": str(seen_seq),
        }
    )


def _render(
    db: Session,
    call: Call,
    form: RecordForm,
    *,
    status: int = 200,
    conflict: RecordConflictError | None = None,
) -> ResponseReturnValue:
    names = DirectoryNames.load(db)
    form.offer(names.category_groups(db), call)
    if call.ended_at is None:
        form.outcome.description = "Appel en cours : laissez vide, l'issue sera connue à la fin de l'appel."
    referral_form = ReferralForm()
    referral_form.association_id.choices = _association_choices(db, call)
    calendar = working_days()
    moment = now()
    follow_ups = [follow_up_of(referral, now=moment, calendar=calendar) for referral in call.referrals]
    return (
        render_template(
            "console/call.html",
            call=call,
            form=form,
            referral_form=referral_form,
            follow_up_form=FollowUpForm(),
            follow_ups=follow_ups,
            names=names,
            history=history(call, names, runtime().config),
            conflict=conflict,
            can_follow_up=current_account().can("staff"),
            reads=reads_of(db, call.id) if current_account().can("staff") else None,
            transfers=transfer_lines(call),
            earlier=earlier_contacts(db, call),
            callback_number=national(call.callback_number),
        ),
        status,
    )


def _association_choices(db: Session, call: Call) -> dict[str, dict[str, str]]:
    """Associations for a referral: the routing candidates for the call's service and commune first."""
    candidates = []
    if call.category_code:
        candidates = route(
            db, category=call.category_code, commune_insee=call.commune_insee, at=now(), tz=tz()
        )
    proposed = {candidate.association_id for candidate in candidates}
    others = db.scalars(
        select(Association)
        .where(Association.active, Association.id.not_in(proposed))
        .order_by(Association.name)
    )
    groups: dict[str, dict[str, str]] = {}
    if candidates:
        groups["Proposées pour ce service et cette commune"] = {
            str(c.association_id): c.name for c in candidates
        }
    groups["Autres associations" if candidates else "Associations"] = {str(a.id): a.name for a in others}
    return groups


@bp.get("/<int:call_id>")
def view(call_id: int) -> ResponseReturnValue:
    """A call's record: what is known, the form to complete it, referrals and history.

    Opening it is a read of personal data: it goes into the record's trail of reads.
    """
    with transaction(runtime().sessions) as db:
        call = _load(db, call_id)
        record_reads(db, [call.id], by=current_account().username, via=ReadVia.PAGE, now=now())
        names = DirectoryNames.load(db)
        return _render(db, call, _record_form(call, names, last_seq(db, call)))


@bp.post("/<int:call_id>")
def save(call_id: int) -> ResponseReturnValue:
    """Save an operator's changes; each save is one history entry with every field changed."""
    with transaction(runtime().sessions) as db:
        call = _load(db, call_id)
        saved = _save_record(db, call)
        if not isinstance(saved, bool):
            return saved
    flash("Fiche enregistrée." if saved else "Aucune modification.", "success" if saved else "info")
    return redirect(url_for("console.records.view", call_id=call_id))


def _save_record(db: Session, call: Call) -> bool | ResponseReturnValue:
    """Apply the posted record form: whether anything changed, or the page that says what to fix (the
    editor's values kept, nothing saved)."""
    form = RecordForm(request.form)
    form.offer(DirectoryNames.load(db).category_groups(db), call)
    valid = form.validate()
    place = form.place(db) if valid else None
    if place is None:
        return _render(db, call, form, status=400)
    values = form.record_values(place)
    if call.ended_at is None and not values["outcome"]:
        del values["outcome"]  # left blank on a live call: the voice journey says how it ends
    try:
        event = update_record(
            db, call, values, by=current_account().username, now=now(), seen_seq=form.seen()
        )
    except RecordConflictError as conflict:
        # Show the editor's values again, now against the latest record: saving again overwrites.
        form.seen_seq.data = str(last_seq(db, call))
        return _render(db, call, form, status=409, conflict=conflict)
    return event is not None


@bp.post("/<int:call_id>/referrals")
def refer(call_id: int) -> ResponseReturnValue:
    """Refer the caller to an association (its follow-up starts pending), saving the record's form too.

    The button belongs to the record's form: what the operator typed there is saved with the referral,
    or shown again with what to fix, never lost.
    """
    user = current_account()
    with transaction(runtime().sessions) as db:
        call = _load(db, call_id)
        form = ReferralForm(request.form)
        form.association_id.choices = _association_choices(db, call)
        if not form.validate():
            flash("Choisissez une association de la liste.", "error")
            return _render(db, call, _posted_record_form(db, call), status=400)
        saved = _save_record(db, call) if "seen_seq" in request.form else False
        if not isinstance(saved, bool):
            return saved
        association = db.get_one(Association, form.association_id.data)
        add_referral(
            db, call, association, by=user.username, now=now(), consent=bool(form.contact_consent.data)
        )
    done = f"Orientation vers {association.name} enregistrée."
    flash(f"Fiche enregistrée. {done}" if saved else done, "success")
    return redirect(url_for("console.records.view", call_id=call_id, _anchor="referrals"))


def _posted_record_form(db: Session, call: Call) -> RecordForm:
    """The record form as posted, to show it again unsaved (the record as it is if none was posted)."""
    names = DirectoryNames.load(db)
    if "seen_seq" not in request.form:
        return _record_form(call, names, last_seq(db, call))
    form = RecordForm(request.form)
    form.offer(names.category_groups(db), call)
    return form


@bp.route("/new", methods=["GET", "POST"])
def manual() -> ResponseReturnValue:
    """A contact that did not come through the voice menu: direct line, visit, e-mail or letter."""
    user = current_account()
    rt = runtime()
    with transaction(rt.sessions) as db:
        names = DirectoryNames.load(db)
        if request.method == "GET":
            form = ManualContactForm(
                data={"received_at": now().astimezone(tz()).replace(second=0, microsecond=0)}
            )
            form.offer(names.category_groups(db))
            return render_template("console/manual.html", form=form, names=names)
        form = ManualContactForm(request.form)
        form.offer(names.category_groups(db))
        place = form.place(db) if form.validate() else None
        if place is None or form.received_at.data is None:
            return render_template("console/manual.html", form=form, names=names), 400
        number = e164(form.caller_number.data or "") or ""
        secret = rt.settings.caller_hash_secret
        received = form.received_at.data.replace(tzinfo=tz()).astimezone(UTC)
        moment = now()
        call = open_manual_contact(
            db,
            channel=form.channel.data or "phone",
            started_at=received,
            # As for a voice call: the log shows the number as the privacy setting says, and its keyed
            # hash finds the person's other contacts; the full number stays for calling back.
            caller=stored_caller(number, rt.config.privacy.caller_number, secret=secret),
            callback_number=number or None,
            by=user.username,
            now=moment,
        )
        if number:
            pseudonymise(call, number, secret=rt.settings.caller_key_secret)
        update_record(db, call, form.record_values(place), by=user.username, now=moment)
        call_id = call.id
    flash(f"Contact n° {call_id} enregistré. Vous pouvez orienter la personne ci-dessous.", "success")
    return redirect(url_for("console.records.view", call_id=call_id, _anchor="referrals"))
