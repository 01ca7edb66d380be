"""The console's French words for the log's codes (outcomes, channels, states, fields).

The words of stored codes are defined once, with the codes, in `call_log.codes`.
"""

from __future__ import annotations

from collections.abc import Mapping

from call_log.codes import (
    Beneficiary,
    CallbackState,
    Channel,
    DialResult,
    FollowUpState,
    HeardFrom,
    NoticeChannel,
    NoticePurpose,
    NoticeResult,
    Outcome,
    ReadVia,
    TransferTarget,
)

OUTCOMES = Outcome.labels()
BENEFICIARIES = Beneficiary.labels()
CHANNELS = Channel.labels()
HEARD_FROM = HeardFrom.labels()
FOLLOW_UP_STATES = FollowUpState.labels()
NOTICE_PURPOSES = NoticePurpose.labels()
NOTICE_CHANNELS = NoticeChannel.labels()
NOTICE_RESULTS = NoticeResult.labels()
CALLBACK_STATES = CallbackState.labels()
CALLBACK_RESULTS = {
    "done": "Joint·e : fait",
    "retry": "Pas de réponse : réessayer plus tard",
    "no_answer": "Injoignable : abandonner",
}
ROLES = {"operator": "Opérateur", "staff": "Équipe", "admin": "Administration"}
WHERE = {"menu": "Dans le menu", **TransferTarget.labels(), "voicemail": "Messagerie"}
DIAL_RESULTS = DialResult.labels()
READ_VIA = ReadVia.labels()
FIELDS = {
    "category_code": "Service",
    "commune_insee": "Commune",
    "postal_code": "Code postal",
    "in_territory": "Sur le territoire",
    "departement": "Département",
    "beneficiary": "Pour qui",
    "heard_from": "Connu par",
    "outcome": "Issue",
    "notes": "Notes",
    "follow_up": "Suivi",
    "contacted_at": "Contact le",
    "quote_sent_at": "Devis le",
    "state": "État",
}

_BY_FIELD: Mapping[str, Mapping[str, str]] = {
    "beneficiary": BENEFICIARIES,
    "heard_from": HEARD_FROM,
    "outcome": OUTCOMES,
    "follow_up": FOLLOW_UP_STATES,
    "state": CALLBACK_STATES,
}


def label(words: Mapping[str, str], code: str | None) -> str:
    """The French words for a code; the code itself if it has none, a dash for nothing."""
    if code is None or code == "":
        return "—"
    return words.get(code, code)


def field_value(name: str, value: object, names: Mapping[str, Mapping[str, str]]) -> str:
    """A recorded value of a field in words: labels for codes, Oui/Non, a dash for nothing.

    `names` gives the directory's names: {"category_code": {code: label}, "commune_insee": {insee: name}}.
    """
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "Oui" if value else "Non"
    words = _BY_FIELD.get(name) or names.get(name)
    return label(words, str(value)) if words else str(value)
