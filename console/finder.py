"""The directory at hand: operators look up who can take a request, as the voice menu would route it.

The candidates come from `directory.routing.route`, the function the voice menu transfers with: the page
cannot offer an association the menu would not (nor leave one out). Each shows what an operator tells a
caller: hours, fees, who it is for, phones. Opened from a call's record, each can be chosen for that call.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session

from call_log.models import Call
from call_log.record import find_communes
from console.context import DirectoryNames, now, tz
from directory.entries import HoursEntry
from directory.models import Commune, Schedule, Service
from directory.routing import Candidate, route
from directory.values import format_span
from foundation.config import DAY_NAMES_FR
from foundation.runtime import runtime
from foundation.text import is_ascii_digits

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
        call = db.get(Call, int(call_number)) if is_ascii_digits(call_number) else None
        problem, commune, found = None, None, None
        if category or commune_text:
            problem, commune = _commune(db, commune_text)
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
                found = [_found(db, candidate) for candidate in candidates]
        return render_template(
            "console/finder.html",
            names=names,
            choices=choices,
            category=category,
            commune_text=commune_text,
            commune=commune,
            call=call,
            problem=problem,
            found=found,
        )


def _commune(db: Session, text: str) -> tuple[str | None, Commune | None]:
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


def _found(db: Session, candidate: Candidate) -> Found:
    service = db.get_one(Service, candidate.service_id)
    schedules = service.schedules or service.association.schedules
    phones = service.phones or service.association.phones
    return Found(
        candidate,
        service,
        _hours(schedules),
        [(phone.number, phone.description) for phone in phones],
    )


def _hours(schedules: list[Schedule]) -> list[tuple[str, str]]:
    """The week's spans by day, Monday first; days without a span are left out."""
    days: dict[int, list[str]] = {}
    for span in sorted(schedules, key=lambda s: (s.weekday, s.opens)):
        days.setdefault(span.weekday, []).append(
            format_span(HoursEntry(span.weekday, span.opens, span.closes))
        )
    return [(DAY_NAMES_FR[day].capitalize(), " ".join(spans)) for day, spans in sorted(days.items())]
