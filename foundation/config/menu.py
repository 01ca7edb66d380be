"""The voice menu's part of config.yaml: the options tree, the observatory's questions, speech, prompts."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, Self

from pydantic import Field, ValidationInfo, field_validator, model_validator

from foundation.config.values import ConfigModel, SpokenText

MAX_SPOKEN_OPTIONS = 6
# Keys the menu engine keeps for itself at every menu: operator, repeat, back.
RESERVED_KEYS = {"0": "an operator", "*": "repeat", "#": "back"}
# With privacy.notice on, this key at the main menu tells callers what is kept of them and their rights.
PRIVACY_KEY = "9"


class MenuOption(ConfigModel):
    """One key of a menu: it routes to a service category, opens a sub-menu or reaches an operator."""

    key: str
    say: SpokenText = Field(min_length=1)
    category: str | None = None
    operator: bool = False
    options: list[MenuOption] | None = None

    @field_validator("key", mode="before")
    @classmethod
    def _single_key(cls, value: Any) -> str:
        key = str(value)
        if not re.fullmatch(r"[0-9]", key):
            raise ValueError(f"« {key} » n'est pas une seule touche de 0 à 9")
        return key

    @model_validator(mode="after")
    def _one_action(self) -> Self:
        actions = [self.category is not None, self.operator, self.options is not None]
        if sum(actions) != 1:
            raise ValueError("un choix a besoin d'un seul de 'category', 'operator: true' ou 'options'")
        if self.key == "0" and not self.operator:
            raise ValueError(
                "la touche 0 est gardée pour joindre un opérateur ; choisissez une touche de 1 à 9"
            )
        if self.options is not None:
            _check_options(self.options)
        return self


def _check_options(options: list[MenuOption]) -> None:
    if not options:
        raise ValueError("un menu a besoin d'au moins un choix")
    spoken = [option for option in options if not option.operator]
    if len(spoken) > MAX_SPOKEN_OPTIONS:
        raise ValueError(
            f"un menu propose au plus {MAX_SPOKEN_OPTIONS} choix énoncés, pas {len(spoken)} ; "
            "regroupez les autres dans un sous-menu"
        )
    seen: set[str] = set()
    for option in options:
        if option.key in seen:
            raise ValueError(f"la touche {option.key} sert deux fois dans le même menu")
        seen.add(option.key)


class Menu(ConfigModel):
    """The main voice menu and how forgiving it is."""

    greeting: SpokenText = Field(min_length=1)
    prompt: SpokenText = "Faites votre choix."
    options: list[MenuOption]
    max_wrong_keys: int = Field(default=2, ge=1, le=5)
    max_silences: int = Field(default=2, ge=1, le=5)
    gather_timeout_s: int = Field(default=6, ge=2, le=30)

    @field_validator("options")
    @classmethod
    def _options(cls, options: list[MenuOption]) -> list[MenuOption]:
        _check_options(options)
        return options


class Prompts(ConfigModel):
    """Every sentence the caller may hear outside the menu options, in French; each can be overridden.

    Placeholders in braces are filled in by the voice menu.
    """

    speech_hint: SpokenText = "Dites ce que vous cherchez, ou tapez :"
    wrong_key: SpokenText = "Cette touche ne correspond à aucun choix."
    silence: SpokenText = "Je n'ai rien entendu."
    not_understood: SpokenText = "Je n'ai pas compris."
    speech_confirm: SpokenText = "Vous cherchez : {label} ? Si oui, tapez 1. Sinon, tapez 2."
    postal_code: SpokenText = "Le code postal de la commune concernée ?"
    postal_code_invalid: SpokenText = "Ce code postal n'est pas reconnu."
    commune_name: SpokenText = "Le nom de la commune ?"
    commune_name_again: SpokenText = "Je n'ai pas reconnu la commune. Dites seulement son nom, lentement."
    beneficiary: SpokenText = "Pour vous, tapez 1. Pour un proche, tapez 2."
    heard_from: SpokenText = "Comment avez-vous connu le 1001 services ?"
    contact_consent: SpokenText = (
        "Acceptez-vous que l'association reçoive votre numéro pour vous rappeler ? "
        "Tapez 1 pour oui, 2 pour non."
    )
    connecting_association: SpokenText = "Je vous passe {name}."
    next_association: SpokenText = "Cette association n'est pas disponible. J'essaie {name}."
    no_association: SpokenText = (
        "Aucune association ne propose encore ce service dans votre commune. Un conseiller va vous répondre."
    )
    out_of_territory: SpokenText = (
        "Le 1001 services oriente vers les associations du Parc de la Brenne. Un conseiller va vous répondre."
    )
    no_association_closed: SpokenText = "Aucune association ne propose encore ce service dans votre commune."
    connecting_operator: SpokenText = "Un conseiller va vous répondre. Restez en ligne."
    association_unavailable: SpokenText = (
        "L'association n'est pas disponible. Un conseiller va vous répondre."
    )
    whisper_association: SpokenText = "Appel du 1001 services : {request}. Tapez 1 pour prendre l'appel."
    whisper_operator: SpokenText = (
        "Appel du 1001 services, appel numéro {call}. {request}. Tapez 1 pour prendre l'appel."
    )
    operators_busy: SpokenText = "Nos conseillers sont tous occupés."
    callback_number: SpokenText = (
        "Nous vous rappellerons au {number}. Tapez 1 pour confirmer, ou tapez un autre numéro suivi de dièse."
    )
    callback_number_missing: SpokenText = "Tapez le numéro où vous rappeler, suivi de dièse."
    voicemail: SpokenText = "Laissez votre nom et votre demande après le bip, puis tapez dièse."
    no_message: SpokenText = "Nous n'avons pas reçu de message. Merci de rappeler plus tard. Au revoir."
    thanks_message: SpokenText = "Merci, votre message est enregistré. Nous vous rappellerons. Au revoir."
    goodbye: SpokenText = "Merci d'avoir appelé le 1001 services. Au revoir."
    technical_problem: SpokenText = "Nous rencontrons un problème technique. Un conseiller va vous répondre."
    closed_night: SpokenText = "Le 1001 services est fermé en ce moment."
    closed_weekend: SpokenText = "Le 1001 services est fermé le week-end."
    closed_holiday: SpokenText = "Le 1001 services est fermé aujourd'hui, jour férié."
    closed_override: SpokenText = "Le 1001 services est exceptionnellement fermé."
    opening_hours: SpokenText = "Nous sommes ouverts {hours}."

    @field_validator("*")
    @classmethod
    def _known_placeholders(cls, text: str, info: ValidationInfo) -> str:
        """A prompt names only the parts the voice menu fills in for it (`{name}`, `{request}`…)."""
        allowed = placeholders(cls.model_fields[str(info.field_name)].default)
        try:
            text.format(**dict.fromkeys(allowed, ""))
        except KeyError as unknown:
            shown = ", ".join(f"{{{name}}}" for name in sorted(allowed)) or "aucune"
            raise ValueError(
                f"{{{unknown.args[0]}}} n'est pas une partie que le menu sait dire ici (possibles : {shown})"
            ) from None
        except (IndexError, ValueError):
            raise ValueError(
                "accolade sans partie à dire : écrivez par exemple {name}, ou retirez les accolades"
            ) from None
        return text


def placeholders(text: str) -> set[str]:
    """The parts of a prompt the voice menu fills in: 'name' for 'Je vous passe {name}.'."""
    return set(re.findall(r"{(\w+)}", text))


class HeardFromOption(ConfigModel):
    """One answer to "how did you hear about the number"."""

    key: str
    value: str = Field(pattern=r"^[a-z_]{2,40}$")
    say: SpokenText = Field(min_length=1)

    @field_validator("key", mode="before")
    @classmethod
    def _single_key(cls, value: Any) -> str:
        return MenuOption._single_key(value)


def _default_heard_from() -> list[HeardFromOption]:
    answers = [
        ("town_hall", "Par la mairie, tapez 1."),
        ("shop", "Chez un commerçant, tapez 2."),
        ("press", "Par la presse ou la radio, tapez 3."),
        ("word_of_mouth", "Par le bouche à oreille, tapez 4."),
        ("internet", "Par internet, tapez 5."),
        ("other", "Autrement, tapez 6."),
    ]
    return [HeardFromOption(key=str(n), value=v, say=s) for n, (v, s) in enumerate(answers, start=1)]


class Questions(ConfigModel):
    """The observatory's questions asked after the service is chosen; each can be switched off."""

    commune: bool = True
    beneficiary: bool = True
    heard_from: bool = False
    # Before the transfer: may the association get the caller's number to call back (off by default).
    contact_consent: bool = False
    heard_from_options: list[HeardFromOption] = Field(default_factory=_default_heard_from)

    @field_validator("heard_from_options")
    @classmethod
    def _options(cls, options: list[HeardFromOption]) -> list[HeardFromOption]:
        keys = [option.key for option in options]
        if len(set(keys)) != len(keys):
            raise ValueError("chaque réponse a besoin de sa propre touche")
        if "0" in keys:
            raise ValueError("la touche 0 est gardée pour joindre un opérateur")
        if not 1 <= len(options) <= MAX_SPOKEN_OPTIONS:
            raise ValueError(f"proposez de 1 à {MAX_SPOKEN_OPTIONS} réponses, pas {len(options)}")
        return options


class Speech(ConfigModel):
    """Speech recognition in the main menu."""

    enabled: bool = True
    # A match scoring at least `accept` routes at once; between `confirm` and `accept`, a key confirms it.
    accept: float = Field(default=0.85, gt=0, le=1)
    confirm: float = Field(default=0.6, gt=0, le=1)

    @model_validator(mode="after")
    def _thresholds(self) -> Self:
        if self.confirm > self.accept:
            raise ValueError(f"confirm ({self.confirm}) ne doit pas dépasser accept ({self.accept})")
        return self


def walk_options(options: list[MenuOption], path: str) -> Iterable[tuple[str, MenuOption]]:
    """Every option of a menu tree with its YAML path, depth first."""
    for index, option in enumerate(options):
        here = f"{path}[{index}]"
        yield here, option
        if option.options:
            yield from walk_options(option.options, f"{here}.options")
