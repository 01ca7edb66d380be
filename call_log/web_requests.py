"""Requests sent through the public site's form: contacts of channel `web`, routed as a call would be.

A request is recorded as an operator's manual entry is (`open_manual_contact`, then `update_record` with
the same observatory fields), routed by `directory.routing.route`, and then either referred at once to the
association routing names first (`add_referral`, the operators' own referral) or queued in the operators'
callback queue. A request no association takes is always queued: a person answers it.

How often one client address may send is counted in `web_submission`, under a keyed hash of the address
that is kept only while it counts.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from call_log.codes import Channel, Outcome, ReferralSource
from call_log.models import Call, CallbackRequest, Referral, WebSubmission
from call_log.record import Place, add_referral, open_manual_contact, update_record
from directory.models import Association
from directory.routing import Candidate, lock_rotation, record_offer, route

# Who the call's history says entered the contact and made the referral.
WEB_FORM = "Formulaire en ligne"
# The line of a request's notes that keeps the person's e-mail address (where their rights find it).
EMAIL_LINE = "Courriel : "
# How long an accepted request counts against its address.
RATE_WINDOW = timedelta(hours=1)

Mode = Literal["refer", "queue"]
# The rate limit's key when no secret is configured (see `client_key`).
_PROCESS_KEY = secrets.token_bytes(32)


@dataclass(frozen=True)
class WebRequest:
    """What the form collected, checked: the need, the place, for whom, and how to reach the person."""

    category_code: str | None  # None: kept as typed after an outage, the service it named is not one
    place: Place
    beneficiary: str | None
    heard_from: str | None
    phone: str | None  # E.164
    email: str | None
    reach_times: Sequence[str]  # in words, such as "Le matin"
    message: str
    # What a person must check: fields that were not right when the request was recorded.
    to_check: Sequence[str] = ()

    def notes(self) -> str:
        """The record's notes: how to reach the person, and what they wrote (cleared by the notes' purge)."""
        lines = ["Demande reçue par le formulaire en ligne.", *self.to_check]
        if self.email:
            lines.append(f"{EMAIL_LINE}{self.email}")
        if self.reach_times:
            lines.append(f"Joignable : {', '.join(self.reach_times)}")
        if self.message.strip():
            lines.append(f"Message : {self.message.strip()}")
        return "\n".join(lines)


@dataclass(frozen=True)
class Received:
    """What became of a request: its contact, and its referral (to `candidate`) or callback request."""

    call: Call
    referral: Referral | None
    callback: CallbackRequest | None
    candidate: Candidate | None


def manual_call_sid(request_id: str) -> str:
    """The CallSid of the contact a web request with this id becomes."""
    return f"MN{request_id}"


def receive_web_request(
    session: Session,
    request: WebRequest,
    *,
    mode: Mode,
    caller: str,
    now: datetime,
    tz: ZoneInfo,
    request_id: str | None = None,
) -> Received:
    """Record the request as a contact of channel `web`, route it, then refer it or queue it.

    `caller` is the person's number as the privacy setting stores it ('' if none). In `refer` mode the
    first association routing offers takes it (equals take turns, as the voice menu's do); with none, or
    in `queue` mode, it waits in the callback queue. A person outside the territory, whom no association
    of the directory serves, is queued too, and so is a request without a service. `request_id` makes the
    contact's CallSid (see `manual_call_sid`).
    """
    call = open_manual_contact(
        session,
        channel=Channel.WEB,
        started_at=now,
        caller=caller,
        callback_number=request.phone,
        by=WEB_FORM,
        now=now,
        call_sid=manual_call_sid(request_id) if request_id else None,
    )
    candidates: list[Candidate] = []
    if request.place.commune_insee is not None and request.category_code:
        if mode == "refer":
            lock_rotation(session, category=request.category_code)
        candidates = route(
            session, category=request.category_code, commune_insee=request.place.commune_insee, at=None, tz=tz
        )
    values = {
        "category_code": request.category_code,
        **request.place.fields(),
        "beneficiary": request.beneficiary,
        "heard_from": request.heard_from,
        "notes": request.notes(),
    }
    if request.place.commune_insee is not None and request.category_code and not candidates:
        values["outcome"] = Outcome.UNMET
    update_record(session, call, values, by=WEB_FORM, now=now)
    # The association calls the person back: it is told their number (the form's consent covers it); a
    # person who left only an e-mail address is called back by the operators instead.
    if mode == "refer" and candidates and request.phone:
        chosen = candidates[0]
        association = session.get_one(Association, chosen.association_id)
        record_offer(session, association.id, at=now)
        referral = add_referral(
            session, call, association, by=WEB_FORM, now=now, consent=True, source=ReferralSource.WEB
        )
        return Received(call, referral, None, chosen)
    callback = CallbackRequest(call_id=call.id, created_at=now, callback_number=request.phone or "")
    session.add(callback)
    session.flush()
    return Received(call, None, callback, None)


def client_key(address: str, *, secret: str | None) -> str:
    """The keyed hash an address is counted under (never the address itself).

    Without a secret the key is this process's own random one: an address cannot be found back from the
    table by hashing the few billion there are, and each server process then counts on its own.
    """
    key = secret.encode() if secret else _PROCESS_KEY
    return hmac.new(key, address.encode(), hashlib.sha256).hexdigest()[:32]


def over_rate_limit(session: Session, key: str, *, limit: int, now: datetime) -> bool:
    """Whether `key` already sent `limit` accepted requests within RATE_WINDOW (older ones are cleared)."""
    session.execute(delete(WebSubmission).where(WebSubmission.at <= now - RATE_WINDOW))
    sent = session.scalar(select(func.count(WebSubmission.id)).where(WebSubmission.client_key == key))
    return (sent or 0) >= limit


def count_submission(session: Session, key: str, *, now: datetime) -> None:
    """Count an accepted request against its address."""
    session.add(WebSubmission(client_key=key, at=now))
