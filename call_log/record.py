"""The operator's record of a call: annotations, manual contacts and referrals, each change a call event.

An operator's change is written as one `record_updated` event naming who changed what, with the value before
and after, so that the record's history can be shown and the summary row rebuilt. Two people editing one
record at once do not overwrite each other silently: a change made since the editor loaded the record wins
unless the editor changed the same field too, which is a `RecordConflictError`.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from call_log.codes import CONTACT_CHANNELS, CallStatus, EventKind, FollowUpState, ReferralSource
from call_log.models import OBSERVATORY_FIELDS, PLACE_FIELDS, Call, CallEvent, Referral
from call_log.privacy import mask_numbers
from call_log.recording import add_event
from directory.models import Association, Commune, ServiceCategory
from directory.territory import name_key
from foundation.text import is_ascii_digits

# The fields of a call an operator completes; everything else comes from the voice menu and Twilio.
RECORD_FIELDS = ("category_code", *OBSERVATORY_FIELDS, "outcome", "notes")
# The département of the territory's communes.
TERRITORY_DEPARTEMENT = "36"

FieldValue = str | bool | None


class RecordConflictError(Exception):
    """Someone else changed the same fields since the editor loaded the record."""

    def __init__(self, fields: dict[str, tuple[str, FieldValue]]) -> None:
        """`fields` maps each conflicting field to (who changed it, its value now)."""
        super().__init__(f"changed meanwhile by someone else: {', '.join(sorted(fields))}")
        self.fields = fields


@dataclass(frozen=True)
class Place:
    """Where the person who needs the service lives: a commune of the territory, or a département outside.

    `in_territory` is None when it is not known: not said, or a postal code shared with communes outside
    the park (the voice menu then asks the commune's name).
    """

    commune_insee: str | None
    postal_code: str | None
    in_territory: bool | None
    departement: str | None

    @classmethod
    def of_commune(cls, commune: Commune) -> Place:
        """A commune of the territory."""
        return cls(commune.insee, commune.postal_code, True, TERRITORY_DEPARTEMENT)

    @classmethod
    def outside(cls, departement: str) -> Place:
        """Outside the territory, in this département."""
        return cls(None, None, False, departement)

    @classmethod
    def unknown(cls) -> Place:
        """Not said."""
        return cls(None, None, None, None)

    def fields(self) -> dict[str, FieldValue]:
        """The call fields this place sets."""
        return {name: getattr(self, name) for name in PLACE_FIELDS}


def last_seq(session: Session, call: Call) -> int:
    """The sequence number of the call's latest event (0 if none): what an editor has seen."""
    found = session.scalar(
        select(CallEvent.seq).where(CallEvent.call_id == call.id).order_by(CallEvent.seq.desc()).limit(1)
    )
    return found or 0


def update_record(
    session: Session,
    call: Call,
    values: Mapping[str, FieldValue],
    *,
    by: str,
    now: datetime,
    seen_seq: int | None = None,
) -> CallEvent | None:
    """Apply an editor's values to the call and record what changed; None if nothing did.

    `seen_seq` is the last event the editor had seen (see `last_seq`); fields changed by others since then
    keep their new value unless the editor changed them too, which raises RecordConflictError.
    """
    unknown = set(values) - set(RECORD_FIELDS)
    if unknown:
        raise ValueError(f"not fields of a call record: {', '.join(sorted(unknown))}")
    seen_before = _changed_since(session, call, seen_seq) if seen_seq is not None else {}
    changes: dict[str, dict[str, FieldValue]] = {}
    conflicts: dict[str, tuple[str, FieldValue]] = {}
    for name, value in values.items():
        current = getattr(call, name)
        if value == current:
            continue
        if name in seen_before:
            who, seen = seen_before[name]
            if in_history(value) == seen:
                continue  # the editor left it as they saw it: the newer change stands
            conflicts[name] = (who, current)
            continue
        changes[name] = {"before": current, "after": value}
    if conflicts:
        raise RecordConflictError(conflicts)
    if not changes:
        return None
    for name, change in changes.items():
        setattr(call, name, change["after"])
    history = {
        name: {side: in_history(value) for side, value in change.items()} for name, change in changes.items()
    }
    return add_event(session, call, EventKind.RECORD_UPDATED, {"by": by, "changes": history}, now=now)


def in_history(value: FieldValue) -> FieldValue:
    """A value as the record's history keeps it: a phone number typed in a note is masked.

    The history is compared in that form too (see `update_record`): an editor who changed only the hidden
    digits of a number that someone else changed meanwhile keeps the other's change.
    """
    return mask_numbers(value) if isinstance(value, str) else value


def _changed_since(session: Session, call: Call, seq: int) -> dict[str, tuple[str, FieldValue]]:
    """Each field changed after event `seq`: who changed it first, and the value it had before."""
    events = session.scalars(
        select(CallEvent)
        .where(CallEvent.call_id == call.id, CallEvent.seq > seq, CallEvent.kind == EventKind.RECORD_UPDATED)
        .order_by(CallEvent.seq)
    )
    found: dict[str, tuple[str, FieldValue]] = {}
    for event in events:
        for name, change in event.payload.get("changes", {}).items():
            found.setdefault(name, (str(event.payload.get("by", "")), change.get("before")))
    return found


def open_manual_contact(
    session: Session,
    *,
    channel: str,
    started_at: datetime,
    caller: str,
    by: str,
    now: datetime,
    callback_number: str | None = None,
    call_sid: str | None = None,
) -> Call:
    """A contact that did not come through the voice menu (direct line, visit, e-mail, letter, web form).

    `caller` is the number as the privacy setting stores it ('' if none), `callback_number` the full
    number to call the person back on, kept where a voice call keeps the one its caller typed. The
    record's fields are then completed with `update_record`, like any call. `call_sid` is the contact's
    own (one that starts with MN), when its source must find it again; by default a new one.
    """
    if channel not in CONTACT_CHANNELS:
        raise ValueError(
            f"{channel!r} is not a channel of contacts entered whole (valid: {', '.join(CONTACT_CHANNELS)})"
        )
    call = Call(
        # Twilio's CallSids start with CA; ours cannot collide with them.
        call_sid=call_sid or f"MN{uuid.uuid4().hex}",
        channel=channel,
        started_at=started_at,
        ended_at=started_at,
        caller=caller,
        callback_number=callback_number or None,
        status=CallStatus.COMPLETED,
        menu_path="",
    )
    session.add(call)
    session.flush()
    add_event(session, call, EventKind.MANUAL_ENTRY, {"by": by, "channel": channel}, now=now)
    return call


def new_referral(
    session: Session,
    call: Call,
    *,
    association_id: int | None,
    source: str,
    now: datetime,
    by: str = "",
    consent: bool = False,
    contact_number: str | None = None,
) -> Referral:
    """The one way a referral is made, whatever the channel; its follow-up starts pending.

    The association is told of it by the partners' notice job once it is committed
    (`call_log.partner_notices`); the person's number goes with it only with their consent.
    """
    referral = Referral(
        call_id=call.id,
        association_id=association_id,
        category_code=call.category_code,
        created_at=now,
        source=source,
        created_by=by,
        follow_up=FollowUpState.PENDING,
        notes="",
        contact_consent=consent,
        contact_number=(contact_number or None) if consent else None,
    )
    session.add(referral)
    session.flush()
    return referral


def contact_number_of(call: Call) -> str | None:
    """The full number the person can be called back on, if the log keeps one."""
    if call.callback_number:
        return call.callback_number
    caller = call.caller or ""
    return caller if caller.startswith("+") and caller[1:].isdigit() else None


def add_referral(
    session: Session,
    call: Call,
    association: Association,
    *,
    by: str,
    now: datetime,
    consent: bool = False,
    source: ReferralSource = ReferralSource.OPERATOR,
) -> Referral:
    """Record that the caller was referred to `association` by an operator (or the public form, `source`);
    its follow-up starts pending.

    With `consent`, the association gets the number the person can be called back on.
    """
    referral = new_referral(
        session,
        call,
        association_id=association.id,
        source=source,
        by=by,
        now=now,
        consent=consent,
        contact_number=contact_number_of(call),
    )
    add_event(
        session,
        call,
        EventKind.REFERRAL_ADDED,
        {
            "by": by,
            "referral_id": referral.id,
            "association_id": association.id,
            "association": association.name,
            "contact_consent": consent,
        },
        now=now,
    )
    return referral


def find_communes(session: Session, query: str) -> list[Commune]:
    """Communes of the territory matching a name, a postal code, or both ('Name (36300)', 'Name 36300',
    '36300 Name'); exact first.

    A postal code can cover several communes; a name that matches one commune exactly returns only it.
    """
    text = query.strip()
    postal = None
    words = text.split()
    if text.endswith(")") and "(" in text:
        text, _, postal = text[:-1].rpartition("(")
        text, postal = text.strip(), postal.strip()
    elif is_ascii_digits(text):
        text, postal = "", text
    elif len(words) > 1 and is_ascii_digits(words[-1]):
        text, postal = " ".join(words[:-1]), words[-1]
    elif len(words) > 1 and is_ascii_digits(words[0]):
        text, postal = " ".join(words[1:]), words[0]
    communes = list(session.scalars(select(Commune).order_by(Commune.name)))
    if postal is not None:
        communes = [c for c in communes if c.postal_code == postal]
    if not text:
        return communes
    wanted = name_key(text)
    exact = [c for c in communes if name_key(c.name) == wanted]
    return exact or [c for c in communes if name_key(c.name).startswith(wanted)]


def category_and_children(session: Session, code: str) -> list[str]:
    """A category code with the codes of its sub-categories."""
    children = session.scalars(select(ServiceCategory.code).where(ServiceCategory.parent_code == code))
    return [code, *children]
