"""The console's French words for the log's codes (outcomes, channels, states, fields, events)."""

from __future__ import annotations

from collections.abc import Mapping

OUTCOMES = {
    "connected_association": "Mis en relation avec une association",
    "connected_operator": "Pris par un conseiller",
    "voicemail": "Message laissé",
    "missed": "Personne n'a répondu",
    "abandoned_in_menu": "Raccroché dans le menu",
    "after_hours_voicemail": "Hors horaires, message laissé",
    "after_hours_no_message": "Hors horaires, sans message",
    "unmet": "Demande sans réponse possible",
    "failed": "Échec technique",
}
BENEFICIARIES = {
    "self": "Pour elle-même / lui-même",
    "relative": "Pour un proche",
    "professional": "Un professionnel, pour un usager",
    "other": "Autre",
}
CHANNELS = {
    "ivr": "Serveur vocal",
    "phone": "Ligne directe",
    "visit": "Visite",
    "email": "Courriel",
    "letter": "Courrier",
}
HEARD_FROM = {
    "town_hall": "Mairie",
    "shop": "Commerçant",
    "press": "Presse, radio",
    "word_of_mouth": "Bouche à oreille",
    "internet": "Internet",
    "health_professional": "Professionnel de santé",
    "social_worker": "Travailleur social",
    "association": "Une association",
    "already_called": "A déjà appelé",
    "other": "Autre",
}
FOLLOW_UP_STATES = {
    "pending": "En attente de contact",
    "contacted": "Personne contactée",
    "quote_sent": "Devis envoyé",
    "service_started": "Prestation commencée",
    "dropped": "Abandonnée",
}
CALLBACK_STATES = {
    "open": "À rappeler",
    "in_progress": "En cours",
    "retry": "À réessayer",
    "done": "Fait",
    "no_answer": "Injoignable (abandon)",
}
CALLBACK_RESULTS = {
    "done": "Joint·e : fait",
    "retry": "Pas de réponse : réessayer plus tard",
    "no_answer": "Injoignable : abandonner",
}
ROLES = {"operator": "Opérateur", "staff": "Équipe", "admin": "Administration"}
WHERE = {
    "menu": "Dans le menu",
    "operators": "Vers les conseillers",
    "association": "Vers une association",
    "voicemail": "Messagerie",
}
DIAL_RESULTS = {
    "completed": "a répondu",
    "answered": "a répondu",
    "no-answer": "pas de réponse",
    "busy": "occupé",
    "failed": "échec",
    "canceled": "annulé",
}
EVENTS = {
    "call_started": "Appel reçu",
    "menu_input": "Choix dans le menu",
    "transfer": "Transfert",
    "dial_result": "Fin du transfert",
    "out_of_territory": "Hors du territoire",
    "unmet_demand": "Aucune association pour cette demande",
    "callback_number": "Numéro de rappel",
    "voicemail": "Message vocal",
    "voicemail_empty": "Message vide",
    "recording_status": "Enregistrement",
    "status": "Statut de l'appel",
    "webhook_error": "Erreur du serveur vocal",
    "twilio_error": "Erreur signalée par Twilio",
    "manual_entry": "Saisie manuelle",
    "record_updated": "Fiche modifiée",
    "referral_added": "Orientation",
    "referral_follow_up": "Suivi d'une orientation",
    "callback_updated": "Rappel",
}
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
CALL_STATUSES = {
    "ringing": "En cours",
    "in-progress": "En cours",
    "queued": "En cours",
    "initiated": "En cours",
    "completed": "Terminé",
    "busy": "Occupé",
    "failed": "Échec",
    "no-answer": "Sans réponse",
    "canceled": "Annulé",
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
