"""The helpline's description (config.yaml): typed schema, loading and readable errors.

This module is a shared leaf: it imports no domain package. Secrets never live here; they come from the
environment (see `helpline.settings`).
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Iterable, Mapping
from datetime import time
from itertools import pairwise
from pathlib import Path
from typing import Annotated, Any, Literal, Self

import phonenumbers
import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MAX_SPOKEN_OPTIONS = 6
# Keys the menu engine keeps for itself at every menu: operator, repeat, back.
RESERVED_KEYS = {"0": "an operator", "*": "repeat", "#": "back"}

# ARCEP reserves these blocks for fiction; libphonenumber does not know them as assigned numbers, yet they
# are the only numbers the repository may use as examples.
_FICTIONAL_PREFIXES = ("+3326191", "+3363998")


class ConfigError(Exception):
    """config.yaml cannot be used; the message names every bad key and what would be valid."""


def _e164(value: str) -> str:
    """Return `value` if it is a valid E.164 phone number, else raise a ValueError saying what is valid."""
    if not isinstance(value, str) or not re.fullmatch(r"\+[1-9]\d{6,14}", value):
        raise ValueError(f"{value!r} is not a phone number in E.164 form, such as '+33261910000'")
    if value.startswith(_FICTIONAL_PREFIXES):
        return value
    try:
        parsed = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(f"{value!r} is not a phone number: {exc}") from exc
    if not phonenumbers.is_valid_number(parsed):
        raise ValueError(f"{value!r} is not a valid phone number for its country")
    return value


PhoneNumber = Annotated[str, AfterValidator(_e164)]


class _Model(BaseModel):
    """Base of every config section: unknown keys are mistakes, values are frozen once loaded."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class TimeRange(_Model):
    """One opening span within a day, such as 09:00-12:30."""

    start: time
    end: time

    @classmethod
    def parse(cls, text: str) -> TimeRange:
        """Parse 'HH:MM-HH:MM'."""
        match = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*", str(text))
        if not match:
            raise ValueError(f"{text!r} is not a time range like '09:00-12:30'")
        h1, m1, h2, m2 = (int(part) for part in match.groups())
        if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59 or (h2 == 24 and m2 != 0):
            raise ValueError(f"{text!r} is not a time range like '09:00-12:30' (hours 0-24, minutes 0-59)")
        end = time.max if h2 == 24 else time(h2, m2)
        if end <= time(h1, m1):
            raise ValueError(f"{text!r} ends before it starts")
        return cls(start=time(h1, m1), end=end)


def _parse_ranges(value: Any) -> list[TimeRange]:
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise ValueError("must be a list of time ranges like ['09:00-12:30', '13:30-17:30']")
    ranges = sorted((TimeRange.parse(item) for item in value), key=lambda r: r.start)
    for before, after in pairwise(ranges):
        if after.start < before.end:
            raise ValueError(f"the ranges starting at {before.start:%H:%M} and {after.start:%H:%M} overlap")
    return ranges


class OpeningHours(_Model):
    """The weekly schedule of the line, in the helpline's timezone (a missing day is closed)."""

    mon: list[TimeRange] = Field(default_factory=list)
    tue: list[TimeRange] = Field(default_factory=list)
    wed: list[TimeRange] = Field(default_factory=list)
    thu: list[TimeRange] = Field(default_factory=list)
    fri: list[TimeRange] = Field(default_factory=list)
    sat: list[TimeRange] = Field(default_factory=list)
    sun: list[TimeRange] = Field(default_factory=list)

    @field_validator(*DAYS, mode="before")
    @classmethod
    def _ranges(cls, value: Any) -> list[TimeRange]:
        return _parse_ranges(value)

    def for_weekday(self, weekday: int) -> list[TimeRange]:
        """The ranges of a weekday, Monday being 0."""
        ranges: list[TimeRange] = getattr(self, DAYS[weekday])
        return ranges


class Operator(_Model):
    """A phone that rings when a caller needs a human."""

    name: str = Field(min_length=1)
    phone: PhoneNumber


class MenuOption(_Model):
    """One key of a menu: it routes to a service category, opens a sub-menu or reaches an operator."""

    key: str
    say: str = Field(min_length=1)
    category: str | None = None
    operator: bool = False
    options: list[MenuOption] | None = None

    @field_validator("key", mode="before")
    @classmethod
    def _single_key(cls, value: Any) -> str:
        key = str(value)
        if not re.fullmatch(r"[0-9]", key):
            raise ValueError(f"{key!r} is not a single key 0-9")
        return key

    @model_validator(mode="after")
    def _one_action(self) -> Self:
        actions = [self.category is not None, self.operator, self.options is not None]
        if sum(actions) != 1:
            raise ValueError("an option needs exactly one of 'category', 'operator: true' or 'options'")
        if self.key == "0" and not self.operator:
            raise ValueError("key '0' is kept for reaching an operator; choose a key 1-9")
        if self.options is not None:
            _check_options(self.options)
        return self


def _check_options(options: list[MenuOption]) -> None:
    if not options:
        raise ValueError("a menu needs at least one option")
    spoken = [option for option in options if not option.operator]
    if len(spoken) > MAX_SPOKEN_OPTIONS:
        raise ValueError(
            f"a menu offers at most {MAX_SPOKEN_OPTIONS} spoken options, not {len(spoken)}; "
            "group the others in a sub-menu"
        )
    seen: set[str] = set()
    for option in options:
        if option.key in seen:
            raise ValueError(f"key {option.key!r} is used twice in the same menu")
        seen.add(option.key)


class Menu(_Model):
    """The main voice menu and how forgiving it is."""

    greeting: str = Field(min_length=1)
    prompt: str = "Faites votre choix."
    options: list[MenuOption]
    max_wrong_keys: int = Field(default=2, ge=1, le=5)
    max_silences: int = Field(default=2, ge=1, le=5)
    gather_timeout_s: int = Field(default=6, ge=2, le=30)

    @field_validator("options")
    @classmethod
    def _options(cls, options: list[MenuOption]) -> list[MenuOption]:
        _check_options(options)
        return options


class Prompts(_Model):
    """Every sentence the caller may hear outside the menu, in French; each can be overridden."""

    wrong_key: str = "Cette touche ne correspond à aucun choix."
    silence: str = "Je n'ai rien entendu."
    keys_hint: str = "Tapez 0 pour parler à un conseiller, étoile pour réécouter."
    connecting_association: str = "Je vous mets en relation avec {name}. Restez en ligne."
    no_association: str = (
        "Nous n'avons pas encore d'association pour ce service. Un conseiller va vous répondre."
    )
    connecting_operator: str = "Un conseiller va vous répondre. Restez en ligne."
    association_unavailable: str = "L'association ne répond pas. Un conseiller va vous répondre."
    voicemail: str = (
        "Nos conseillers sont tous occupés. Laissez votre nom, votre numéro et votre demande "
        "après le bip, puis tapez dièse. Nous vous rappellerons."
    )
    no_message: str = "Nous n'avons pas reçu de message. Merci de rappeler plus tard. Au revoir."
    thanks_message: str = "Merci, votre message est enregistré. Nous vous rappellerons. Au revoir."
    goodbye: str = "Merci d'avoir appelé le 1001 services. Au revoir."
    technical_problem: str = "Nous rencontrons un problème technique. Un conseiller va vous répondre."


class Transfer(_Model):
    """How long phones ring and how long a voicemail may last."""

    association_timeout_s: int = Field(default=20, ge=5, le=60)
    operators_timeout_s: int = Field(default=25, ge=5, le=60)
    voicemail_max_s: int = Field(default=120, ge=10, le=600)


class Privacy(_Model):
    """How the caller's number is stored: full, masked (default) or hashed with a secret."""

    caller_number: Literal["full", "masked", "hashed"] = "masked"


class ExampleAssociation(_Model):
    """An association of the example directory, loaded into an empty database by `helpline db upgrade`."""

    name: str = Field(min_length=1)
    phone: PhoneNumber
    categories: list[str] = Field(min_length=1)
    communes: list[str] | Literal["all"] = "all"
    priority: int = Field(default=100, ge=0)

    @field_validator("communes")
    @classmethod
    def _insee_codes(cls, communes: list[str] | str) -> list[str] | str:
        if isinstance(communes, list):
            for code in communes:
                if not re.fullmatch(r"\d[\dAB]\d{3}", code):
                    raise ValueError(f"{code!r} is not an INSEE commune code such as '36018'")
        return communes


class Helpline(_Model):
    """Who the line is and how it speaks."""

    name: str = Field(min_length=1)
    number: PhoneNumber
    language: Literal["fr-FR"] = "fr-FR"
    voice: str = "Polly.Lea-Neural"
    timezone: str = "Europe/Paris"

    @field_validator("voice")
    @classmethod
    def _voice(cls, voice: str) -> str:
        if not re.fullmatch(r"man|woman|alice|(Polly|Google)\.[A-Za-z0-9-]+", voice):
            raise ValueError(
                f"{voice!r} is not a Twilio voice; use one such as 'Polly.Lea-Neural' or "
                "'Google.fr-FR-Standard-A'"
            )
        return voice

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, name: str) -> str:
        try:
            zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{name!r} is not a timezone name such as 'Europe/Paris'") from None
        return name

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        """The helpline's timezone."""
        return zoneinfo.ZoneInfo(self.timezone)


class Config(_Model):
    """The whole of config.yaml."""

    helpline: Helpline
    hours: OpeningHours = OpeningHours()
    operators: list[Operator] = Field(min_length=1)
    menu: Menu
    prompts: Prompts = Prompts()
    transfer: Transfer = Transfer()
    privacy: Privacy = Privacy()
    example_directory: list[ExampleAssociation] = Field(default_factory=list)

    @model_validator(mode="after")
    def _known_categories(self, info: ValidationInfo) -> Self:
        categories: Iterable[str] | None = (info.context or {}).get("categories")
        if categories is None:
            return self
        known = set(categories)
        valid = ", ".join(sorted(known))

        def check(code: str, where: str) -> None:
            if code not in known:
                raise ValueError(f"{where}: {code!r} is not a service category (valid: {valid})")

        for path, option in walk_options(self.menu.options, "menu.options"):
            if option.category is not None:
                check(option.category, f"{path}.category")
        for index, association in enumerate(self.example_directory):
            for position, code in enumerate(association.categories):
                check(code, f"example_directory[{index}].categories[{position}]")
        return self


def walk_options(options: list[MenuOption], path: str) -> Iterable[tuple[str, MenuOption]]:
    """Every option of a menu tree with its YAML path, depth first."""
    for index, option in enumerate(options):
        here = f"{path}[{index}]"
        yield here, option
        if option.options:
            yield from walk_options(option.options, f"{here}.options")


def load_config(path: str | Path, *, categories: Iterable[str] | None = None) -> Config:
    """Read and validate config.yaml; `categories` are the known service category codes, if checked."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: no such file; set HELPLINE_CONFIG to the helpline's config.yaml"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot be read ({exc})") from None
    return parse_config(text, source=str(path), categories=categories)


def parse_config(
    text: str, *, source: str = "config.yaml", categories: Iterable[str] | None = None
) -> Config:
    """Validate the YAML text of a config file."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or exc
        raise ConfigError(f"{source}{where}: this is not valid YAML ({problem})") from None
    if not isinstance(data, Mapping):
        raise ConfigError(f"{source}: expected a mapping of settings (helpline, operators, menu, ...)")
    context = {"categories": list(categories)} if categories is not None else None
    try:
        return Config.model_validate(data, context=context)
    except ValidationError as exc:
        lines = [format_error(error) for error in exc.errors(include_url=False)]
        raise ConfigError(f"{source} is invalid:\n" + "\n".join(f"  {line}" for line in lines)) from None


def format_error(error: Mapping[str, Any]) -> str:
    """One line naming the YAML path of a validation error and what would be valid."""
    loc = [part for part in error["loc"] if part not in _VALIDATOR_LOC_NOISE]
    path = _yaml_path(loc)
    kind = error["type"]
    message = str(error["msg"]).removeprefix("Value error, ")
    if kind == "missing":
        return f"{path}: is required"
    if kind == "extra_forbidden":
        parent = _model_at(loc[:-1])
        valid = f" (valid: {', '.join(parent.model_fields)})" if parent else ""
        return f"{path}: is not a known setting{valid}"
    if kind != "value_error":
        message = f"{error['input']!r} is not valid: {message}"
    # Cross-section checks (model validators at the root) name their own path in the message.
    return f"{path}: {message}" if path else message


# Pydantic names union members and validator kinds in error locations; they are not YAML keys.
_VALIDATOR_LOC_NOISE = {"list[str]", "literal['all']", "function-after[_e164(), str]"}


def _yaml_path(loc: list[Any]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path


def _model_at(loc: list[Any]) -> type[BaseModel] | None:
    """The config model found at a location, to list the settings valid there."""
    model: type[BaseModel] = Config
    for part in loc:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(str(part))
        if field is None:
            return None
        annotation = field.annotation
        found = _first_model(annotation)
        if found is None:
            return None
        model = found
    return model


def _first_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _first_model(arg)
        if found is not None:
            return found
    return None
