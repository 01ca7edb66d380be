"""The codes of the call log and their French words: one definition each, for the console and the reports.

Each code is a `Code` (see `foundation.codes`): stored as its string, with the label a user reads.
"""

from __future__ import annotations

from foundation.codes import Code


class Outcome(Code):
    """How a call ended for the caller.

    While a call is in progress its outcome is what it would be if the caller hung up now: None in the menu
    (then `ABANDONED_IN_MENU`), `MISSED` while a phone rings.
    """

    CONNECTED_ASSOCIATION = "connected_association", "Mis en relation avec une association"
    CONNECTED_OPERATOR = "connected_operator", "Pris par un opérateur"
    VOICEMAIL = "voicemail", "Message laissé (opérateurs occupés)"
    MISSED = "missed", "Sans réponse (sonnerie)"
    ABANDONED_IN_MENU = "abandoned_in_menu", "Raccroché dans le menu"
    AFTER_HOURS_VOICEMAIL = "after_hours_voicemail", "Hors horaires, message laissé"
    AFTER_HOURS_NO_MESSAGE = "after_hours_no_message", "Hors horaires, sans message"
    UNMET = "unmet", "Aucune association pour ce service"
    FAILED = "failed", "Échec technique"


# Groups of codes, as tuples: the SQL of `in_(...)` then reads the same at every run.
# A person took the call.
ANSWERED = (Outcome.CONNECTED_ASSOCIATION, Outcome.CONNECTED_OPERATOR)
# Nobody took the call: the caller rang out, or left (or did not leave) a message.
NOT_ANSWERED = (
    Outcome.MISSED,
    Outcome.VOICEMAIL,
    Outcome.AFTER_HOURS_VOICEMAIL,
    Outcome.AFTER_HOURS_NO_MESSAGE,
)
# The caller left a message to be called back.
LEFT_MESSAGE = (Outcome.VOICEMAIL, Outcome.AFTER_HOURS_VOICEMAIL)


class OutcomeGroup(Code):
    """Outcomes counted together: the log filters by them and the monthly report counts them, alike."""

    ANSWERED = "answered", "Appels pris"
    REACHED_VOICEMAIL = "reached_voicemail", "Messagerie (avec ou sans message)"
    NOT_ANSWERED = "not_answered", "Personne n'a répondu (sonnerie ou messagerie)"


_GROUPS: dict[str, tuple[Outcome, ...]] = {
    OutcomeGroup.ANSWERED: ANSWERED,
    OutcomeGroup.REACHED_VOICEMAIL: (*LEFT_MESSAGE, Outcome.AFTER_HOURS_NO_MESSAGE),
    OutcomeGroup.NOT_ANSWERED: NOT_ANSWERED,
}


def outcomes_of(code: str) -> tuple[str, ...]:
    """The outcomes a code counts: a group's members, or the outcome itself (see `call_log.search`)."""
    return _GROUPS.get(code, (code,))


class Beneficiary(Code):
    """For whom the service is needed."""

    SELF = "self", "Pour soi-même"
    RELATIVE = "relative", "Pour un proche"
    PROFESSIONAL = "professional", "Pour un usager (appel d'un professionnel)"
    OTHER = "other", "Autre"


class HeardFrom(Code):
    """How the caller heard of the number: the menu's default answers, then answers only an operator hears.

    config.yaml can name other answers (`questions.heard_from_options`); they are stored and shown as given.
    """

    TOWN_HALL = "town_hall", "Mairie"
    SHOP = "shop", "Commerçant"
    PRESS = "press", "Presse ou radio"
    WORD_OF_MOUTH = "word_of_mouth", "Bouche à oreille"
    INTERNET = "internet", "Internet"
    HEALTH_PROFESSIONAL = "health_professional", "Professionnel de santé"
    SOCIAL_WORKER = "social_worker", "Travailleur social"
    ASSOCIATION = "association", "Une association"
    ALREADY_CALLED = "already_called", "A déjà appelé"
    OTHER = "other", "Autre"


class Channel(Code):
    """How a contact reached the helpline: the voice menu, the public form, or entered by an operator."""

    IVR = "ivr", "Serveur vocal"
    PHONE = "phone", "Ligne directe"
    VISIT = "visit", "Visite"
    EMAIL = "email", "Courriel"
    LETTER = "letter", "Courrier"
    WEB = "web", "Formulaire en ligne"


# Channels of contacts recorded whole at once (everything but the voice menu, whose calls build up).
CONTACT_CHANNELS = tuple(channel for channel in Channel if channel is not Channel.IVR)
# Channels of contacts entered by hand: the public form's requests enter themselves.
MANUAL_CHANNELS = tuple(channel for channel in CONTACT_CHANNELS if channel is not Channel.WEB)

# The outcomes a contact can have, by how it came: a letter is not "hung up in the menu". An operator
# entering a contact took it (or found no association); a message on the direct line's voicemail too.
_CHANNEL_OUTCOMES: dict[str, tuple[Outcome, ...]] = {
    Channel.IVR: tuple(Outcome),
    Channel.PHONE: (
        Outcome.CONNECTED_OPERATOR,
        Outcome.CONNECTED_ASSOCIATION,
        Outcome.VOICEMAIL,
        Outcome.UNMET,
    ),
    Channel.VISIT: (Outcome.CONNECTED_OPERATOR, Outcome.UNMET),
    Channel.EMAIL: (Outcome.CONNECTED_OPERATOR, Outcome.UNMET),
    Channel.LETTER: (Outcome.CONNECTED_OPERATOR, Outcome.UNMET),
    Channel.WEB: (Outcome.CONNECTED_OPERATOR, Outcome.CONNECTED_ASSOCIATION, Outcome.UNMET),
}


def outcomes_for(channel: str) -> tuple[Outcome, ...]:
    """The outcomes that fit a contact of this channel (every outcome for an unknown one)."""
    return _CHANNEL_OUTCOMES.get(channel, tuple(Outcome))


# What a contact entered by hand can end as, whatever its channel.
MANUAL_OUTCOMES = tuple(o for o in Outcome if any(o in outcomes_for(c) for c in MANUAL_CHANNELS))


class FollowUpState(Code):
    """Where a referral stands with the association it was sent to."""

    PENDING = "pending", "En attente de contact"
    CONTACTED = "contacted", "Personne contactée"
    QUOTE_SENT = "quote_sent", "Devis envoyé"
    SERVICE_STARTED = "service_started", "Prestation commencée"
    DROPPED = "dropped", "Abandonnée"


class DropReason(Code):
    """Why an association did not follow a referral up, as it says through its link."""

    NO_CAPACITY = "no_capacity", "Pas de disponibilité"
    OUT_OF_AREA = "out_of_area", "Hors de notre secteur"
    UNREACHABLE = "unreachable", "Personne injoignable"
    OTHER = "other", "Autre"


class NoticePurpose(Code):
    """Why a message went to an association about a referral."""

    NOTICE = "notice", "Nouvelle orientation"
    REMINDER = "reminder", "Relance (pas de contact après 24 h ouvrées)"


class NoticeChannel(Code):
    """How a message reached an association."""

    SMS = "sms", "Texto"
    EMAIL = "email", "Courriel"


class NoticeResult(Code):
    """Where one message to an association stands."""

    SENDING = "sending", "En cours d'envoi"
    SENT = "sent", "Envoyé"
    FAILED = "failed", "Échec"


class CallbackState(Code):
    """Where a voicemail to call back stands in the operators' queue."""

    OPEN = "open", "À rappeler"
    IN_PROGRESS = "in_progress", "En cours"
    RETRY = "retry", "À réessayer"
    DONE = "done", "Fait"
    NO_ANSWER = "no_answer", "Injoignable (abandon)"


class ReferralSource(Code):
    """Who sent the caller to the association."""

    IVR = "ivr", "Serveur vocal"
    OPERATOR = "operator", "Opérateur"
    WEB = "web", "Formulaire en ligne"


class TransferTarget(Code):
    """Who a transfer rang: one association, or all operators at once."""

    ASSOCIATION = "association", "Vers une association"
    OPERATORS = "operators", "Vers les opérateurs"


class CallStatus(Code):
    """Twilio's CallStatus of the call, as its status callbacks report it."""

    QUEUED = "queued", "En cours"
    INITIATED = "initiated", "En cours"
    RINGING = "ringing", "En cours"
    IN_PROGRESS = "in-progress", "En cours"
    COMPLETED = "completed", "Terminé"
    BUSY = "busy", "Occupé"
    FAILED = "failed", "Échec"
    NO_ANSWER = "no-answer", "Sans réponse"
    CANCELED = "canceled", "Annulé"


# The statuses after which Twilio sends nothing more about the call.
FINAL_STATUSES = (
    CallStatus.COMPLETED,
    CallStatus.BUSY,
    CallStatus.FAILED,
    CallStatus.NO_ANSWER,
    CallStatus.CANCELED,
)


class DialResult(Code):
    """How a `<Dial>` ended: Twilio's DialCallStatus, with `completed` kept for a call that was bridged.

    A screened dial that the called party answered without taking the call (its voicemail, a hang-up during
    the whisper) ends `completed` with DialBridged=false: it is stored as `not_accepted`.
    """

    ANSWERED = "answered", "a répondu"
    COMPLETED = "completed", "a répondu"
    NOT_ACCEPTED = "not_accepted", "n'a pas pris l'appel"
    NO_ANSWER = "no-answer", "pas de réponse"
    BUSY = "busy", "occupé"
    FAILED = "failed", "échec"
    CANCELED = "canceled", "annulé"


# How a <Dial> ends when the called party took the call (was bridged to the caller).
CONNECTED_DIALS = (DialResult.COMPLETED, DialResult.ANSWERED)


class EventKind(Code):
    """What a step of a call's timeline records."""

    CALL_STARTED = "call_started", "Appel reçu"
    MENU_INPUT = "menu_input", "Choix dans le menu"
    TRANSFER = "transfer", "Transfert"
    DIAL_RESULT = "dial_result", "Fin du transfert"
    OUT_OF_TERRITORY = "out_of_territory", "Hors du territoire"
    UNMET_DEMAND = "unmet_demand", "Aucune association pour cette demande"
    TRANSFER_ACCEPTED = "transfer_accepted", "Appel accepté"
    CALLBACK_NUMBER = "callback_number", "Numéro de rappel"
    VOICEMAIL = "voicemail", "Message vocal"
    VOICEMAIL_EMPTY = "voicemail_empty", "Message vide"
    RECORDING_STATUS = "recording_status", "Enregistrement"
    STATUS = "status", "Statut de l'appel"
    STATUS_MISSING = "status_missing", "Statut final jamais reçu de Twilio"
    WEBHOOK_ERROR = "webhook_error", "Erreur du serveur vocal"
    TWILIO_ERROR = "twilio_error", "Erreur signalée par Twilio"
    MANUAL_ENTRY = "manual_entry", "Saisie manuelle"
    RECORD_UPDATED = "record_updated", "Fiche modifiée"
    REFERRAL_ADDED = "referral_added", "Orientation"
    REFERRAL_FOLLOW_UP = "referral_follow_up", "Suivi d'une orientation"
    REFERRAL_LINK_VIEWED = "referral_link_viewed", "Lien de suivi ouvert par l'association"
    CALLBACK_UPDATED = "callback_updated", "Rappel"
    SMS_SENT = "sms_sent", "Texto envoyé à l'appelant"
    SMS_FAILED = "sms_failed", "Texto non envoyé"
    TAKEN = "taken", "Pris par un opérateur"


class LineState(Code):
    """Why the line was open or closed when a call came in (`ivr.hours.Reason`)."""

    OPEN = "open", "ouverte"
    NIGHT = "night", "fermée (en dehors des horaires)"
    WEEKEND = "weekend", "fermée (week-end)"
    HOLIDAY = "holiday", "fermée (jour férié)"
    CLOSURE = "closure", "fermée (fermeture exceptionnelle)"
    OVERRIDE = "override", "fermée par l'équipe"


class MenuPhase(Code):
    """Which question of the voice journey a caller answered (`ivr.menu.Phase`)."""

    MENU = "menu", "au menu"
    CONFIRM = "confirm", "à la confirmation du service"
    POSTAL = "postal", "à la question du code postal"
    COMMUNE = "commune", "à la question de la commune"
    WHO = "who", "à la question « pour qui ? »"
    HEARD = "heard", "à la question « comment avez-vous connu le numéro ? »"
    CONSENT = "consent", "à la question « l'association peut-elle recevoir votre numéro ? »"


class OperatorReason(Code):
    """Why a call went to the operators (`ivr.transfer_plan.OperatorReason`)."""

    ASKED = "asked", "l'appelant a tapé 0"
    OPTION = "option", "l'appelant l'a choisi au menu"
    WRONG_KEYS = "wrong_keys", "trop de touches sans choix"
    SILENCES = "silences", "l'appelant n'a pas répondu au menu"
    NOT_UNDERSTOOD = "not_understood", "la demande n'a pas été comprise"
    OUT_OF_TERRITORY = "out_of_territory", "la personne habite hors du territoire"
    UNMET = "unmet", "aucune association pour ce service"
    ASSOCIATIONS_UNAVAILABLE = "associations_unavailable", "aucune association n'a pris l'appel"
    DIRECTORY_UNAVAILABLE = "directory_unavailable", "l'annuaire était illisible"


class RecordingState(Code):
    """Twilio's RecordingStatus of a voicemail, as its recording status callback reports it."""

    IN_PROGRESS = "in-progress", "en cours"
    COMPLETED = "completed", "prêt à écouter"
    ABSENT = "absent", "absent (rien d'enregistré)"
    FAILED = "failed", "en échec"


class ReadVia(Code):
    """How a console user read a call's record (`call_log.models.RecordRead`)."""

    PAGE = "page", "a ouvert la fiche"
    LOG_EXPORT = "log_export", "a exporté la fiche avec le journal"
    RIGHTS_EXPORT = "rights_export", "a exporté la fiche pour la personne (droit d'accès)"
