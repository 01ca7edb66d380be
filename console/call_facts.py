"""What a call record says happened: its transfers in words, and numbers as operators dial them."""

from __future__ import annotations

import phonenumbers

from call_log.codes import CONNECTED_DIALS, DialResult, EventKind, TransferTarget
from call_log.models import Call, TransferAttempt


def transfer_lines(call: Call) -> list[str]:
    """What each transfer of the call did, in words: who was rung and whether they took the call.

    "Mis en relation" only for a bridged call; an association that rang out, was busy or did not take
    the call at its whisper is said to have been rung without answer.
    """
    accepted = [event.at for event in call.events if event.kind == EventKind.TRANSFER_ACCEPTED]
    lines = []
    for attempt in call.transfers:
        to_operators = attempt.target == TransferTarget.OPERATORS
        who = "les opérateurs" if to_operators else _association_name(attempt)
        if attempt.result in CONNECTED_DIALS:
            lines.append("Pris par un opérateur" if to_operators else f"Mis en relation avec {who}")
        elif attempt.result is None and call.ended_at is None:
            taken = any(at >= attempt.started_at for at in accepted)
            lines.append(f"En ligne avec {who}" if taken else f"Sonne chez {who}")
        elif attempt.result is None:
            rung = "Opérateurs sonnés" if to_operators else f"Association sonnée : {who}"
            lines.append(f"{rung} (suite inconnue)")
        else:
            rung = "Opérateurs sonnés" if to_operators else f"Association sonnée sans réponse : {who}"
            lines.append(f"{rung} ({DialResult.label_of(attempt.result)})")
    return lines


def _association_name(attempt: TransferAttempt) -> str:
    return attempt.association.name if attempt.association else "une association supprimée"


def national(number: str | None) -> str:
    """A stored E.164 number as operators dial it ('+33261911234' -> '02 61 91 12 34'); '' for none."""
    if not number:
        return ""
    try:
        parsed = phonenumbers.parse(number, "FR")
    except phonenumbers.NumberParseException:
        return number
    return str(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL))
