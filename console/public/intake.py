"""Taking a request sent through /demande into the call log, now or, after a database outage, later.

A request the form accepted is recorded by `record` in the page's transaction. When the database cannot take
it (gone, locked, too slow), the page keeps the fields as they were posted in the journal, as the voice
webhooks keep their writes (see `foundation.journal`), and thanks the person all the same: the replay
records it once the database is back (`replay_request`), through the same form and the same routing. A
request that turns out not to be right then (a commune typed as no commune is named) is not set aside: it
is queued for the operators with what the person typed, for a person to read.

Each request has an id from the moment it is posted, and its contact's CallSid is made of it: a request
replayed twice, or kept in the journal although its transaction did commit, is recorded once.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Mapping
from datetime import datetime
from email.message import EmailMessage
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict
from wtforms import Field

from call_log.models import Call
from call_log.privacy import stored_caller
from call_log.record import Place
from call_log.web_requests import RATE_WINDOW, Received, WebRequest, manual_call_sid, receive_web_request
from console.context import DirectoryNames, phone
from console.forms import e164
from console.public.acknowledgement import acknowledgement
from console.public.forms import REACH_TIMES, RequestForm
from foundation.runtime import Runtime
from ivr.line import pseudonymise

logger = logging.getLogger(__name__)

JOURNAL_KIND = "web_request"
# Not kept: the trap for robots (a request that filled it is never recorded).
TRAP = "website"
FIELDS = frozenset(field.name for field in RequestForm())


class OutageLimit:
    """The rate limit while the database cannot count: per client key, in this process's memory.

    What goes to the journal is bounded as what goes to the database is (`web_form.max_per_hour` an hour).
    """

    def __init__(self) -> None:
        self._sent: dict[str, list[datetime]] = {}
        self._lock = threading.Lock()

    def allows(self, key: str, *, limit: int, now: datetime) -> bool:
        """Whether `key` may send one more now; if so, it is counted."""
        with self._lock:
            recent = [at for at in self._sent.get(key, []) if at > now - RATE_WINDOW]
            if len(recent) >= limit:
                return False
            self._sent[key] = [*recent, now]
            for other in [k for k, times in self._sent.items() if times[-1] <= now - RATE_WINDOW]:
                del self._sent[other]
            return True


def new_request_id() -> str:
    """The id of one posted request (its contact's CallSid is made of it)."""
    return uuid.uuid4().hex


def posted_fields(posted: MultiDict[str, str]) -> dict[str, list[str]]:
    """The form's fields as posted, JSON-ready for the journal."""
    return {name: posted.getlist(name) for name in posted if name != TRAP and name in FIELDS}


def load_form(db: Session, posted: Any) -> tuple[DirectoryNames, RequestForm]:
    """The directory's names, and the form (as posted, if it was) with the services to choose from."""
    names = DirectoryNames.load(db)
    form = RequestForm(posted)
    form.offer(names.category_groups(db, blank="Choisissez un service"))
    return names, form


def record(
    db: Session, rt: Runtime, checked: WebRequest, *, request_id: str, now: datetime
) -> Received | None:
    """Record a checked request (routed, referred or queued); None if its id is recorded already."""
    sid = manual_call_sid(request_id)
    if db.scalar(select(Call.id).where(Call.call_sid == sid)) is not None:
        return None
    number = checked.phone or ""
    received = receive_web_request(
        db,
        checked,
        mode=rt.config.web_form.mode,
        caller=stored_caller(number, rt.config.privacy.caller_number, secret=rt.settings.caller_hash_secret),
        now=now,
        tz=rt.config.helpline.tz,
        request_id=request_id,
    )
    if number:
        pseudonymise(received.call, number, secret=rt.settings.caller_key_secret)
    return received


def acknowledgement_for(
    rt: Runtime, request: WebRequest, received: Received, names: DirectoryNames
) -> EmailMessage | None:
    """The e-mail to send the person, if they gave an address and e-mails can go out; else None."""
    sender = rt.config.reports.smtp.sender
    if not (request.email and rt.config.web_form.acknowledgement_email and sender):
        return None
    candidate = received.candidate
    return acknowledgement(
        to=request.email,
        sender=str(sender),
        helpline_name=rt.config.helpline.name,
        helpline_number=phone(rt.config.helpline.number),
        service=names.categories.get(request.category_code or "", "votre demande"),
        commune=names.commune_label(request.place.commune_insee) or "une commune hors du territoire",
        association=(candidate.name, phone(candidate.phone)) if candidate is not None else None,
    )


def replay_request(db: Session, rt: Runtime, data: Mapping[str, Any], *, at: datetime) -> EmailMessage | None:
    """Record a request kept in the journal; the acknowledgement to send once it is committed, if any."""
    fields: Mapping[str, list[str]] = data["fields"]
    posted = MultiDict([(name, value) for name, values in fields.items() for value in values])
    names, form = load_form(db, posted)
    checked = form.checked(db) or _as_typed(form)
    received = record(db, rt, checked, request_id=str(data["id"]), now=at)
    if received is None:
        logger.info("Journal: a web request was recorded already; replayed once more, it adds nothing")
        return None
    return acknowledgement_for(rt, checked, received, names)


def _as_typed(form: RequestForm) -> WebRequest:
    """A request that is not right, kept as typed: queued for the operators, what to check in its notes."""

    def right(field: Field) -> Any:
        return None if field.errors else field.data or None

    typed = [
        f"{field.label.text} : « {_typed(field.data)} » ({' '.join(field.errors)})"
        for field in form
        if field.errors and field.name != TRAP
    ]
    return WebRequest(
        category_code=right(form.category_code),
        place=form.place or Place(None, None, False, None),
        beneficiary=right(form.beneficiary),
        heard_from=right(form.heard_from),
        phone=e164(form.phone.data or "") if right(form.phone) else None,
        email=(form.email.data or "").strip() if right(form.email) else None,
        reach_times=[REACH_TIMES[code] for code in right(form.reach_times) or []],
        message=(form.message.data or "").strip(),
        to_check=["Reçue pendant une panne, la demande n'a pas pu être vérifiée à l'envoi :", *typed],
    )


def _typed(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(str(item) for item in value)
    return "" if value is None else str(value)
