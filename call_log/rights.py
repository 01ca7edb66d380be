"""A person's rights over their data: every record tied to their number or address (access), and erasure.

A number is tied to a call by the caller's number as stored (full, or hashed with the secret), by the
call's keyed hash (`caller_key`), or by a callback number; an e-mail address, by the web requests that
gave it. Erasure clears what identifies the person from
those calls, as the purge does (call_log.retention), and keeps the coded observatory fields.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session, selectinload

from call_log.codes import Beneficiary, CallbackState, Channel, EventKind, FollowUpState, Outcome
from call_log.models import Call, CallbackRequest, Referral
from call_log.retention import Counts, RecordingStore, Shredded, shred
from call_log.web_requests import EMAIL_LINE
from directory.models import ServiceCategory


def calls_of(
    session: Session,
    number: str | None,
    *,
    caller_key: str | None,
    stored: Iterable[str],
    email: str | None = None,
) -> list[Call]:
    """The calls tied to `number`: its stored forms (`stored`), its keyed hash, its callback requests;
    or to `email`: the web requests that gave it (kept in their notes, see `WebRequest.notes`)."""
    tied: list[ColumnElement[bool]] = []
    if number:
        tied += [
            Call.callback_number == number,
            Call.id.in_(select(CallbackRequest.call_id).where(CallbackRequest.callback_number == number)),
            Call.id.in_(select(Referral.call_id).where(Referral.contact_number == number)),
        ]
    if email:
        line = func.lower(Call.notes)
        written = f"{EMAIL_LINE}{email}".lower()  # lower case on both sides: LIKE is not, on PostgreSQL
        tied.append(
            (Call.channel == Channel.WEB)
            & or_(line.contains(f"{written}\n", autoescape=True), line.endswith(written, autoescape=True))
        )
    forms = [form for form in stored if form]
    if forms:
        tied.append(Call.caller.in_(forms))
    if caller_key:
        tied.append(Call.caller_key == caller_key)
    query = (
        select(Call)
        .where(or_(*tied))
        .order_by(Call.started_at, Call.id)
        .options(
            selectinload(Call.events),
            selectinload(Call.callbacks),
            selectinload(Call.referrals).selectinload(Referral.association),
        )
    )
    return list(session.scalars(query))


@dataclass(frozen=True)
class Tied:
    """What is tied to a number, counted, without any of its content: for the console's rights pages."""

    calls: int
    first: datetime | None
    last: datetime | None
    callbacks: int
    voicemails: int
    referrals: int
    notes: int
    transcripts: int


def tied_summary(calls: Sequence[Call]) -> Tied:
    """How many calls, callbacks, voicemails, referrals, notes and transcripts `calls` hold, and when."""
    callbacks = [callback for call in calls for callback in call.callbacks]
    referrals = [referral for call in calls for referral in call.referrals]
    return Tied(
        calls=len(calls),
        first=min((call.started_at for call in calls), default=None),
        last=max((call.started_at for call in calls), default=None),
        callbacks=len(callbacks),
        voicemails=sum(1 for callback in callbacks if callback.recording_url or callback.recording_sid),
        referrals=len(referrals),
        notes=sum(
            1
            for notes in [
                *(c.notes for c in calls),
                *(c.notes for c in callbacks),
                *(r.notes for r in referrals),
            ]
            if notes
        ),
        transcripts=sum(
            1
            for call in calls
            for event in call.events
            if event.kind == EventKind.MENU_INPUT and event.payload.get("speech")
        ),
    )


def erase(
    session: Session, calls: Sequence[Call], *, tz: ZoneInfo, recordings: RecordingStore | None
) -> Counts:
    """Clear what identifies the person from `calls` and unlink them from the number; how many of each."""
    where = Call.id.in_([call.id for call in calls])
    counts = shred(session, dict.fromkeys(Shredded, where), tz=tz, recordings=recordings)
    session.expire_all()  # the rows changed under the loaded calls
    return counts


def person_records(session: Session, calls: Sequence[Call], *, tz: ZoneInfo) -> list[dict[str, Any]]:
    """What the helpline holds on the person, call by call, in words they can read (a service by its name)."""
    codes = {call.category_code for call in calls if call.category_code}
    named = select(ServiceCategory.code, ServiceCategory.label).where(ServiceCategory.code.in_(codes))
    services: dict[str, str] = dict(session.execute(named).all())

    def when(moment: Any) -> str | None:
        return moment.astimezone(tz).strftime("%d/%m/%Y %H:%M") if moment is not None else None

    return [
        {
            "appel": call.call_sid,
            "date": when(call.started_at),
            "canal": Channel.label_of(call.channel),
            "numéro de l'appelant": call.caller or None,
            "numéro de rappel": call.callback_number,
            "région de l'appelant": call.caller_area or None,
            "service demandé": services.get(call.category_code, call.category_code)
            if call.category_code
            else None,
            "commune (code INSEE)": call.commune_insee,
            "code postal": call.postal_code,
            "pour qui": Beneficiary.label_of(call.beneficiary, missing="") or None,
            "suite donnée": Outcome.label_of(call.outcome),
            "notes": call.notes or None,
            "paroles transcrites": [
                str(event.payload["speech"])
                for event in call.events
                if event.kind == EventKind.MENU_INPUT and event.payload.get("speech")
            ],
            "demandes de rappel": [
                {
                    "date": when(callback.created_at),
                    "numéro": callback.callback_number or None,
                    "message vocal": "oui" if callback.recording_url or callback.recording_sid else "non",
                    "état": CallbackState.label_of(callback.state),
                    "notes": callback.notes or None,
                }
                for callback in call.callbacks
            ],
            "orientations": [
                {
                    "date": when(referral.created_at),
                    "association": referral.association.name if referral.association else None,
                    "suivi": FollowUpState.label_of(referral.follow_up),
                    "numéro transmis à l'association": referral.contact_number,
                    "notes": referral.notes or None,
                }
                for referral in call.referrals
            ],
        }
        for call in calls
    ]


def as_json(records: list[dict[str, Any]]) -> str:
    """The records as a JSON document."""
    return json.dumps({"appels": records}, ensure_ascii=False, indent=2) + "\n"


def as_text(records: list[dict[str, Any]], *, tied_to: str, this: str, helpline: str) -> str:
    """The records as a plain French text, one block per call.

    `tied_to` says to whom ("au numéro 06 39 98 00 01"), `this` again ("ce numéro").
    """
    lines = [f"{helpline} : données liées {tied_to}", ""]
    if not records:
        lines.append(f"Aucune donnée n'est liée à {this}.")
    for record in records:
        lines.append(f"Appel du {record['date']} ({record['canal']})")
        for name, value in record.items():
            if name in {"date", "canal"} or value in (None, [], ""):
                continue
            if isinstance(value, list):
                lines.append(f"  {name} :")
                lines.extend(f"    - {_line(item)}" for item in value)
            else:
                lines.append(f"  {name} : {value}")
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def _line(item: Any) -> str:
    if isinstance(item, dict):
        return ", ".join(f"{name} : {value}" for name, value in item.items() if value is not None)
    return str(item)
