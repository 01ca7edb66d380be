"""The directory at hand: operators look up who can take a request, as the voice menu would route it.

The candidates come from `directory.routing.route`, the function the voice menu transfers with: the page
cannot offer an association the menu would not (nor leave one out). Each shows what an operator tells a
caller: hours, fees, who it is for, phones. Opened from a call's record, each can be chosen for that call;
with texts on, its name and number can be texted to the caller, as the voice menu does after a transfer.
"""

from __future__ import annotations

from dataclasses import dataclass

import phonenumbers
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session

from call_log.codes import EventKind
from call_log.models import Call
from call_log.privacy import mask_numbers
from call_log.record import find_communes
from call_log.recording import add_event
from console.access import current_account
from console.context import DirectoryNames, now, tz
from console.context import phone as written
from directory.entries import HoursEntry
from directory.models import Commune, Schedule, Service
from directory.routing import Candidate, reached, route
from directory.values import format_span
from foundation.config import DAY_NAMES_FR
from foundation.db import transaction
from foundation.reasons import DeliveryError
from foundation.runtime import runtime
from foundation.text import is_ascii_digits
from ivr.sms import SmsSender, can_receive_sms, referral_text

bp = Blueprint("finder", __name__, url_prefix="/find")


@dataclass(frozen=True)
class Found:
    """A candidate and what the operator tells the caller about it."""

    candidate: Candidate
    service: Service
    hours: list[tuple[str, str]]  # (day, spans), such as ("Lundi", "09:00-12:00 14:00-17:00")
    phones: list[tuple[str, str]]  # (number, description)


@bp.get("")
def index() -> ResponseReturnValue:
    """Who can take a request for this service in this commune, now, in the order the menu rings them."""
    category = request.args.get("category", "")
    commune_text = request.args.get("commune", "").strip()
    call_number = request.args.get("call", "")
    with runtime().sessions() as db:
        names = DirectoryNames.load(db)
        choices = names.category_choices(db)
        groups = names.category_groups(db)
        call = db.get(Call, int(call_number)) if is_ascii_digits(call_number) else None
        problem, commune, found = None, None, None
        if category or commune_text:
            problem, commune = commune_named(db, commune_text)
            if category not in choices or not category:
                problem = "Choisissez le service demandé."
            if problem is None:
                moment = now()
                candidates = route(
                    db,
                    category=category,
                    commune_insee=commune.insee if commune else None,
                    at=moment,
                    tz=tz(),
                )
                found = [found_of(db, candidate) for candidate in candidates]
        return render_template(
            "console/finder.html",
            names=names,
            choices=choices,
            groups=groups,
            category=category,
            commune_text=commune_text,
            commune=commune,
            call=call,
            problem=problem,
            found=found,
            texts=_sender() is not None,
        )


def commune_named(db: Session, text: str) -> tuple[str | None, Commune | None]:
    """The one commune `text` names (None when empty), or why it names none."""
    if not text:
        return None, None
    matches = find_communes(db, text)
    if len(matches) == 1:
        return None, matches[0]
    if not matches:
        return f"« {text} » n'est pas une commune du territoire : choisissez-la dans la liste.", None
    listed = ", ".join(f"{c.name} ({c.postal_code})" for c in matches[:6])
    return f"« {text} » désigne plusieurs communes ({listed}) : précisez laquelle.", None


def found_of(db: Session, candidate: Candidate) -> Found:
    """What is told about a candidate: its service, the week's hours, its phones."""
    service = db.get_one(Service, candidate.service_id)
    schedules = service.schedules or service.association.schedules
    phones = service.phones or service.association.phones
    return Found(
        candidate,
        service,
        weekly_hours(schedules),
        [(phone.number, phone.description) for phone in phones],
    )


def weekly_hours(schedules: list[Schedule]) -> list[tuple[str, str]]:
    """The week's spans by day, Monday first; days without a span are left out."""
    days: dict[int, list[str]] = {}
    for span in sorted(schedules, key=lambda s: (s.weekday, s.opens)):
        days.setdefault(span.weekday, []).append(
            format_span(HoursEntry(span.weekday, span.opens, span.closes))
        )
    return [(DAY_NAMES_FR[day].capitalize(), " ".join(spans)) for day, spans in sorted(days.items())]


@bp.post("/text")
def text() -> ResponseReturnValue:
    """Text a caller an association's name and the number the voice menu would dial."""
    form = request.form
    back = url_for(
        "console.finder.index",
        category=form.get("category", ""),
        commune=form.get("commune", ""),
        call=form.get("call") or None,
    )
    sender = _sender()
    to = _mobile(form.get("to", ""))
    association_id, service_id = form.get("association", ""), form.get("service", "")
    if sender is None or not is_ascii_digits(association_id) or not is_ascii_digits(service_id):
        flash("Les textos ne sont pas activés.", "error")
        return redirect(back)
    if to is None:
        flash("Tapez un numéro de portable, par exemple 06 12 34 56 78.", "error")
        return redirect(back)
    with runtime().sessions() as db:
        found = reached(db, association_id=int(association_id), service_id=int(service_id))
    if found is None:
        flash("Cette association n'est plus dans l'annuaire.", "error")
        return redirect(back)
    name, phone = found
    try:
        sid = sender.send(to=to, body=referral_text(runtime().config.sms.text, name=name, phone=phone))
    except Exception as exc:
        # A reason said in French (STOP, a landline...) tells whether trying again can help.
        why = f" ({exc})" if isinstance(exc, DeliveryError) else ""
        flash(f"Le texto n'est pas parti{why} : réessayez, ou dictez le numéro à l'appelant.", "error")
        return redirect(back)
    call_number = form.get("call", "")
    if is_ascii_digits(call_number):
        with transaction(runtime().sessions) as db:
            call = db.get(Call, int(call_number))
            if call is not None:
                payload = {"message_sid": sid, "by": current_account().username, "association": name}
                add_event(db, call, EventKind.SMS_SENT, payload, now=now())
    flash(f"Texto envoyé au {written(mask_numbers(to))} : {name}, {written(phone)}.", "success")
    return redirect(back)


def _sender() -> SmsSender | None:
    sender: SmsSender | None = current_app.extensions.get("ivr.sms")
    return sender


def _mobile(typed: str) -> str | None:
    """The E.164 form of a mobile number typed as people write it, or None."""
    try:
        parsed = phonenumbers.parse(typed, "FR")
    except phonenumbers.NumberParseException:
        return None
    number = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    return number if phonenumbers.is_possible_number(parsed) and can_receive_sms(number) else None
