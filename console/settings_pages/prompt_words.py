"""The names staff know the prompts by, grouped by the moment of the call they are heard at.

Every prompt of `foundation.config.menu.Prompts` has its name here (a test checks none is missing), so
that no key of config.yaml reaches the console.
"""

from __future__ import annotations

# (group, [(prompt key, name)]), in the order a call meets them.
PROMPT_GROUPS: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    (
        "Accueil et menu",
        (
            ("menu.greeting", "Accueil"),
            ("menu.prompt", "Invitation à choisir (après les choix)"),
            ("prompts.speech_hint", "Invitation à parler"),
            ("prompts.wrong_key", "Touche sans choix"),
            ("prompts.silence", "Silence"),
            ("prompts.not_understood", "Parole non comprise"),
            ("prompts.speech_confirm", "Confirmation du service entendu"),
        ),
    ),
    (
        "Questions de l'observatoire",
        (
            ("prompts.postal_code", "Code postal"),
            ("prompts.postal_code_invalid", "Code postal non reconnu"),
            ("prompts.commune_name", "Nom de la commune"),
            ("prompts.commune_name_again", "Commune non reconnue"),
            ("prompts.beneficiary", "Pour qui ?"),
            ("prompts.heard_from", "Comment avez-vous connu le numéro ?"),
            ("prompts.contact_consent", "Accord pour transmettre le numéro à l'association"),
        ),
    ),
    (
        "Mise en relation",
        (
            ("prompts.connecting_association", "Mise en relation avec l'association"),
            ("prompts.next_association", "Association suivante"),
            ("prompts.no_association", "Aucune association (vers un opérateur)"),
            ("prompts.out_of_territory", "Hors territoire (vers un opérateur)"),
            ("prompts.no_association_closed", "Aucune association (ligne fermée)"),
            ("prompts.connecting_operator", "Mise en relation avec un opérateur"),
            ("prompts.association_unavailable", "Association indisponible"),
            ("prompts.operators_busy", "Opérateurs occupés"),
            ("prompts.technical_problem", "Problème technique"),
        ),
    ),
    (
        "Ce qu'entend la personne qui décroche",
        (
            ("prompts.whisper_association", "Annonce à l'association"),
            ("prompts.whisper_operator", "Annonce à l'opérateur"),
        ),
    ),
    (
        "Messagerie et rappel",
        (
            ("prompts.callback_number", "Numéro de rappel"),
            ("prompts.callback_number_missing", "Numéro de rappel à taper"),
            ("prompts.voicemail", "Invitation à laisser un message"),
            ("prompts.no_message", "Aucun message reçu"),
            ("prompts.thanks_message", "Message enregistré"),
            ("prompts.goodbye", "Au revoir"),
        ),
    ),
    (
        "Ligne fermée",
        (
            ("prompts.closed_night", "Fermé (en dehors des horaires)"),
            ("prompts.closed_weekend", "Fermé le week-end"),
            ("prompts.closed_holiday", "Fermé (jour férié)"),
            ("prompts.closed_override", "Fermeture par l'équipe (sans message)"),
            ("prompts.opening_hours", "Horaires d'ouverture"),
        ),
    ),
)
PROMPT_NAMES = {key: name for _, prompts in PROMPT_GROUPS for key, name in prompts}


def anchor_of(key: str) -> str:
    """A prompt's id in the prompts page: 'prompt-menu-greeting' for 'menu.greeting'."""
    return "prompt-" + key.replace(".", "-").replace("_", "-")


# What each placeholder stands for, said to staff who edit a prompt that has one.
PLACEHOLDERS = {
    "label": "le service entendu",
    "name": "le nom de l'association",
    "request": "la demande (service, commune, pour qui)",
    "call": "le numéro de l'appel",
    "number": "le numéro de rappel",
    "hours": "les horaires",
}
