"""A call record's history in sentences: every event the voice server, Twilio or an operator wrote.

Events keep codes and plain data (see `call_log.codes.EventKind`); this is the one place that says them in
the words of the helpline. No code, no JSON and no English reaches the page.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from call_log.codes import (
    Beneficiary,
    CallStatus,
    Channel,
    DialResult,
    EventKind,
    HeardFrom,
    LineState,
    MenuPhase,
    OperatorReason,
    RecordingState,
    TransferTarget,
)
from call_log.models import Call, CallEvent
from call_log.record import TERRITORY_DEPARTEMENT
from call_log.recording import in_twilio_order
from console import labels
from console.context import DirectoryNames, phone, tz
from foundation.config import PRIVACY_KEY, Config, MenuOption
from foundation.text import is_ascii_digits

CALLER = "L'appelant"
_NO_CHOICE = "touche sans choix"


@dataclass(frozen=True)
class HistoryEntry:
    """One line of a record's history: a sentence, maybe a note, maybe fields changed."""

    event: CallEvent
    text: str
    # (field, before, after) in words.
    changes: list[tuple[str, str, str]]
    note: str = ""


@dataclass(frozen=True)
class _Context:
    """What the sentences need besides the event: the directory's names, the menu, the call's referrals."""

    names: DirectoryNames
    config: Config
    referrals: Mapping[int, str]

    def association(self, association_id: object) -> str:
        name = self.names.associations.get(association_id) if isinstance(association_id, int) else None
        return f"l'association {name}" if name else "une association"


def history(call: Call, names: DirectoryNames, config: Config) -> list[HistoryEntry]:
    """The record's events in sentences, newest first."""
    referrals = {
        referral.id: referral.association.name if referral.association else "une association supprimée"
        for referral in call.referrals
    }
    context = _Context(names, config, referrals)
    by_field = names.by_field()
    entries = []
    transfer: Mapping[str, Any] = {}
    for event in in_twilio_order(call.events):
        payload = event.payload
        if event.kind == EventKind.TRANSFER:
            transfer = payload
        elif event.kind == EventKind.TRANSFER_ACCEPTED:
            # The whisper's answer does not say whom it screened: the transfer before it does.
            payload = {**transfer, **{key: value for key, value in payload.items() if value}}
        changes = [
            (
                labels.FIELDS.get(name, name),
                _value(name, change.get("before"), by_field),
                _value(name, change.get("after"), by_field),
            )
            for name, change in (payload.get("changes") or {}).items()
            if _shown(name, change, payload["changes"])
        ]
        say = _SENTENCES.get(event.kind)
        text = say(payload, context) if say else EventKind.label_of(event.kind)
        entries.append(HistoryEntry(event, text, changes, str(payload.get("notes") or "")))
    return entries[::-1]


def _value(name: str, value: object, by_field: Mapping[str, Mapping[str, str]]) -> str:
    """A recorded value in words; the times of a follow-up (stored in UTC) in the helpline's time."""
    if name.endswith("_at") and isinstance(value, str):
        try:
            return datetime.fromisoformat(value).astimezone(tz()).strftime("%d/%m/%Y %H:%M")
        except ValueError:
            return value
    return labels.field_value(name, value, by_field)


def _shown(name: str, change: dict[str, object], changes: dict[str, object]) -> bool:
    """Whether a change is worth a line: the postal code, the territory and the Indre département of a
    territory commune follow from the commune shown."""
    if name in ("postal_code", "in_territory"):
        return False
    return not (
        name == "departement" and "commune_insee" in changes and change.get("after") == TERRITORY_DEPARTEMENT
    )


def _by(payload: Mapping[str, Any]) -> str:
    return str(payload.get("by") or "Un opérateur")


def _seconds(value: object) -> str:
    """'2 min 05 s' for 125 seconds."""
    seconds = value if isinstance(value, int) else 0
    minutes, rest = divmod(seconds, 60)
    return f"{minutes} min {rest:02d} s" if minutes else f"{rest} s"


def _call_started(payload: Mapping[str, Any], context: _Context) -> str:
    caller = str(payload.get("caller") or "")
    if caller in ("", "anonymous"):
        text = "Appel reçu d'un numéro masqué"
    elif caller.startswith("hmac:"):
        text = "Appel reçu (numéro non conservé)"
    else:
        text = f"Appel reçu du {phone(caller)}"
    line = str(payload.get("line") or LineState.OPEN)
    return text if line == LineState.OPEN else f"{text}, ligne {LineState.label_of(line)}"


def _menu_input(payload: Mapping[str, Any], context: _Context) -> str:
    phase = str(payload.get("phase") or MenuPhase.MENU)
    node = str(payload.get("node") or "")
    where = _where(phase, node, context)
    if payload.get("timeout"):
        return f"{CALLER} n'a rien répondu {where}"
    if payload.get("speech"):
        return f"{CALLER} a dit « {payload['speech']} » {where}"
    digits = str(payload.get("digits") or "").strip()
    if digits in ("", "#"):
        return f"{CALLER} a tapé # pour revenir en arrière"
    if digits == "0":
        return f"{CALLER} a tapé 0 pour parler à un opérateur"
    if digits == "*":
        return f"{CALLER} a tapé * pour réécouter"
    if phase == MenuPhase.POSTAL:
        if len(digits) == 5 and is_ascii_digits(digits):
            return f"{CALLER} a tapé le code postal {digits}"
        return f"{CALLER} a tapé {digits}, qui n'est pas un code postal"
    meaning = _key_meaning(phase, node, digits, context)
    return f"{CALLER} a tapé {digits} {where} : {meaning}"


def _where(phase: str, node: str, context: _Context) -> str:
    if phase != MenuPhase.MENU:
        return MenuPhase.label_of(phase)
    if not node:
        return "au menu principal"
    parent, _, key = node.rpartition(".")
    option = _menu_option(parent, key, context)
    return f"au sous-menu « {_option_words(option, context)} »" if option else "à un sous-menu"


def _key_meaning(phase: str, node: str, digits: str, context: _Context) -> str:
    """What a key meant where it was typed."""
    if phase == MenuPhase.MENU:
        option = _menu_option(node, digits, context)
        if option is None and not node and digits == PRIVACY_KEY and context.config.privacy.notice:
            return "informations sur ses données personnelles"
        return _option_words(option, context) if option else _NO_CHOICE
    if phase == MenuPhase.CONFIRM:
        return {"1": "service confirmé", "2": "service refusé, retour au menu"}.get(digits, _NO_CHOICE)
    if phase == MenuPhase.WHO:
        return {"1": Beneficiary.SELF.label, "2": Beneficiary.RELATIVE.label}.get(digits, _NO_CHOICE)
    if phase == MenuPhase.HEARD:
        answer = next((o.value for o in context.config.questions.heard_from_options if o.key == digits), None)
        return HeardFrom.label_of(answer) if answer else _NO_CHOICE
    return _NO_CHOICE


def _menu_option(node: str, key: str, context: _Context) -> MenuOption | None:
    """The option behind `key` at the menu node `node` ('' the main menu, '3.2' a sub-menu's sub-menu)."""
    options: list[MenuOption] | None = context.config.menu.options
    for step in [part for part in node.split(".") if part]:
        chosen = next((option for option in options or [] if option.key == step), None)
        options = chosen.options if chosen else None
    return next((option for option in options or [] if option.key == key), None)


def _option_words(option: MenuOption, context: _Context) -> str:
    if option.category:
        return context.names.categories.get(option.category, option.say)
    if option.operator:
        return "parler à un opérateur"
    return option.say.removesuffix(".")


def _transfer(payload: Mapping[str, Any], context: _Context) -> str:
    if payload.get("target") == TransferTarget.OPERATORS:
        reason = payload.get("reason")
        why = f" : {OperatorReason.label_of(reason)}" if reason else ""
        return f"Transfert vers les opérateurs{why}"
    return f"Transfert vers {context.association(payload.get('association_id'))}"


def _dial_result(payload: Mapping[str, Any], context: _Context) -> str:
    if payload.get("stage") == TransferTarget.ASSOCIATION:
        target = context.association(payload.get("association_id"))
    else:
        target = "les opérateurs"
    status = payload.get("status")
    text = f"Fin du transfert vers {target} : {DialResult.label_of(status)}"
    return f"{text} ({_seconds(payload.get('duration_s'))})" if payload.get("duration_s") else text


def _out_of_territory(payload: Mapping[str, Any], context: _Context) -> str:
    if payload.get("postal_code"):
        return f"La personne habite hors du territoire (code postal {payload['postal_code']})"
    if payload.get("departement"):
        return f"La personne habite hors du territoire (département {payload['departement']})"
    return "La personne habite hors du territoire"


def _unmet(payload: Mapping[str, Any], context: _Context) -> str:
    category = context.names.categories.get(str(payload.get("category") or ""))
    text = f"Aucune association pour « {category} »" if category else "Aucune association pour ce service"
    commune = context.names.communes.get(str(payload.get("commune_insee") or ""))
    if commune:
        return f"{text} à {commune.name}"
    return f"{text} au code postal {payload['postal_code']}" if payload.get("postal_code") else text


def _accepted(payload: Mapping[str, Any], context: _Context) -> str:
    if payload.get("target") == TransferTarget.OPERATORS:
        return "Un opérateur a accepté l'appel"
    association = context.association(payload.get("association_id"))
    return f"{association[0].upper()}{association[1:]} a accepté l'appel"


def _callback_number(payload: Mapping[str, Any], context: _Context) -> str:
    if payload.get("confirmed"):
        return f"{CALLER} a confirmé son numéro pour être rappelé"
    if payload.get("typed"):
        return f"{CALLER} a tapé un autre numéro pour être rappelé"
    if payload.get("unusable"):
        return f"{CALLER} a tapé un numéro de rappel inutilisable"
    return f"{CALLER} n'a pas indiqué de numéro de rappel"


def _recording(payload: Mapping[str, Any], context: _Context) -> str:
    text = f"Enregistrement du message {RecordingState.label_of(payload.get('status'))}"
    return f"{text} ({_seconds(payload['duration_s'])})" if payload.get("duration_s") else text


def _status(payload: Mapping[str, Any], context: _Context) -> str:
    text = f"Statut de l'appel chez Twilio : {CallStatus.label_of(payload.get('status')).lower()}"
    return f"{text} (durée {_seconds(payload['duration_s'])})" if payload.get("duration_s") else text


def _twilio_error(payload: Mapping[str, Any], context: _Context) -> str:
    code = payload.get("code")
    which = f" (code {code})" if code else ""
    return f"Twilio a signalé une erreur{which} ; l'appel a été passé aux opérateurs"


def _follow_up(payload: Mapping[str, Any], context: _Context) -> str:
    referral = payload.get("referral_id")
    name = context.referrals.get(referral) if isinstance(referral, int) else None
    return f"{_by(payload)} a mis à jour le suivi de l'orientation" + (f" vers {name}" if name else "")


def _callback(payload: Mapping[str, Any], context: _Context) -> str:
    attempts = payload.get("attempts")
    tried = f" (tentative {attempts})" if isinstance(attempts, int) and attempts else ""
    return f"{_by(payload)} a mis à jour le rappel{tried}"


_SENTENCES: dict[str, Callable[[Mapping[str, Any], _Context], str]] = {
    EventKind.CALL_STARTED: _call_started,
    EventKind.MENU_INPUT: _menu_input,
    EventKind.TRANSFER: _transfer,
    EventKind.DIAL_RESULT: _dial_result,
    EventKind.OUT_OF_TERRITORY: _out_of_territory,
    EventKind.UNMET_DEMAND: _unmet,
    EventKind.TRANSFER_ACCEPTED: _accepted,
    EventKind.CALLBACK_NUMBER: _callback_number,
    EventKind.VOICEMAIL: lambda p, c: f"{CALLER} a laissé un message de {_seconds(p.get('duration_s'))}",
    EventKind.VOICEMAIL_EMPTY: lambda p, c: f"{CALLER} n'a pas laissé de message",
    EventKind.RECORDING_STATUS: _recording,
    EventKind.STATUS: _status,
    EventKind.STATUS_MISSING: lambda p, c: (
        "Twilio n'a jamais signalé la fin de l'appel : appel clos d'office"
    ),
    EventKind.WEBHOOK_ERROR: lambda p, c: (
        "Erreur technique du serveur vocal ; l'appelant a été dirigé vers un opérateur ou la messagerie"
    ),
    EventKind.TWILIO_ERROR: _twilio_error,
    EventKind.MANUAL_ENTRY: lambda p, c: (
        "Demande reçue par le formulaire en ligne du site"
        if p.get("channel") == Channel.WEB
        else f"{_by(p)} a saisi ce contact ({Channel.label_of(p.get('channel')).lower()})"
    ),
    EventKind.RECORD_UPDATED: lambda p, c: f"{_by(p)} a modifié la fiche",
    EventKind.REFERRAL_ADDED: lambda p, c: (
        f"{_by(p)} a orienté la personne vers {p.get('association') or 'une association'}"
    ),
    EventKind.REFERRAL_FOLLOW_UP: _follow_up,
    EventKind.REFERRAL_LINK_VIEWED: lambda p, c: (
        f"{p.get('by') or 'L’association'} a ouvert le lien de suivi de l'orientation"
    ),
    EventKind.CALLBACK_UPDATED: _callback,
    EventKind.SMS_SENT: lambda p, c: (
        f"{_by(p)} a envoyé par texto à l'appelant les coordonnées de {p['association']}"
        if p.get("by") and p.get("association")
        else "Texto envoyé à l'appelant avec les coordonnées de l'association"
    ),
    EventKind.SMS_FAILED: lambda p, c: "Le texto à l'appelant n'a pas pu être envoyé",
    EventKind.TAKEN: lambda p, c: f"{p.get('name') or _by(p)} a pris l'appel (« Je prends »)",
}
