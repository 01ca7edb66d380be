"""The helpline's description (config.yaml): typed schema, loading and readable errors.

This module is a shared leaf: it imports no domain package. Secrets never live here; they come from the
environment (see `helpline.settings`).
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Iterable, Mapping
from datetime import date, time
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
    """Every sentence the caller may hear outside the menu options, in French; each can be overridden.

    Placeholders in braces are filled in by the voice menu.
    """

    speech_hint: str = "Dites ce que vous cherchez, ou tapez :"
    wrong_key: str = "Cette touche ne correspond à aucun choix."
    silence: str = "Je n'ai rien entendu."
    not_understood: str = "Je n'ai pas compris."
    speech_confirm: str = "Vous cherchez : {label} ? Si oui, tapez 1. Sinon, tapez 2."
    postal_code: str = "Le code postal de la commune concernée ?"
    postal_code_invalid: str = "Ce code postal n'est pas reconnu."
    commune_name: str = "Le nom de la commune ?"
    beneficiary: str = "Pour vous, tapez 1. Pour un proche, tapez 2."
    heard_from: str = "Comment avez-vous connu le 1001 services ?"
    connecting_association: str = "Je vous passe {name}."
    next_association: str = "Cette association ne répond pas. J'essaie {name}."
    no_association: str = (
        "Aucune association ne propose encore ce service dans votre commune. Un conseiller va vous répondre."
    )
    out_of_territory: str = (
        "Le 1001 services oriente vers les associations du Parc de la Brenne. Un conseiller va vous répondre."
    )
    no_association_closed: str = "Aucune association ne propose encore ce service dans votre commune."
    connecting_operator: str = "Un conseiller va vous répondre. Restez en ligne."
    association_unavailable: str = "L'association ne répond pas. Un conseiller va vous répondre."
    whisper_association: str = "Appel du 1001 services : {request}. Tapez 1 pour prendre l'appel."
    whisper_operator: str = (
        "Appel du 1001 services, appel numéro {call}. {request}. Tapez 1 pour prendre l'appel."
    )
    operators_busy: str = "Nos conseillers sont tous occupés."
    callback_number: str = (
        "Nous vous rappellerons au {number}. Tapez 1 pour confirmer, ou tapez un autre numéro suivi de dièse."
    )
    callback_number_missing: str = "Tapez le numéro où vous rappeler, suivi de dièse."
    voicemail: str = "Laissez votre nom et votre demande après le bip, puis tapez dièse."
    no_message: str = "Nous n'avons pas reçu de message. Merci de rappeler plus tard. Au revoir."
    thanks_message: str = "Merci, votre message est enregistré. Nous vous rappellerons. Au revoir."
    goodbye: str = "Merci d'avoir appelé le 1001 services. Au revoir."
    technical_problem: str = "Nous rencontrons un problème technique. Un conseiller va vous répondre."
    closed_night: str = "Le 1001 services est fermé en ce moment."
    closed_weekend: str = "Le 1001 services est fermé le week-end."
    closed_holiday: str = "Le 1001 services est fermé aujourd'hui, jour férié."
    closed_override: str = "Le 1001 services est exceptionnellement fermé."
    opening_hours: str = "Nous sommes ouverts {hours}."


class Transfer(_Model):
    """How long phones ring and how long a voicemail may last."""

    association_timeout_s: int = Field(default=20, ge=5, le=60)
    operators_timeout_s: int = Field(default=25, ge=5, le=60)
    voicemail_max_s: int = Field(default=120, ge=10, le=600)


class Privacy(_Model):
    """How the caller's number is stored: full, masked (default) or hashed with a secret."""

    caller_number: Literal["full", "masked", "hashed"] = "masked"


class Closure(_Model):
    """An exceptional closure of the line: a date range (inclusive), why, and what callers hear."""

    start: date
    end: date
    reason: str = Field(min_length=1)
    message: str = Field(min_length=1)

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.end < self.start:
            raise ValueError(f"the closure ends ({self.end}) before it starts ({self.start})")
        return self


class Calendar(_Model):
    """Public holidays (from the `holidays` package) and exceptional closures."""

    holidays_country: str = "FR"
    closed_on_holidays: bool = True
    closures: list[Closure] = Field(default_factory=list)

    @field_validator("holidays_country")
    @classmethod
    def _country(cls, code: str) -> str:
        import holidays

        if code not in holidays.list_supported_countries():
            raise ValueError(f"{code!r} is not a country code the holidays package knows, such as 'FR'")
        return code


class HeardFromOption(_Model):
    """One answer to "how did you hear about the number"."""

    key: str
    value: str = Field(pattern=r"^[a-z_]{2,40}$")
    say: str = Field(min_length=1)

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


class Questions(_Model):
    """The observatory's questions asked after the service is chosen; each can be switched off."""

    commune: bool = True
    beneficiary: bool = True
    heard_from: bool = False
    heard_from_options: list[HeardFromOption] = Field(default_factory=_default_heard_from)

    @field_validator("heard_from_options")
    @classmethod
    def _options(cls, options: list[HeardFromOption]) -> list[HeardFromOption]:
        keys = [option.key for option in options]
        if len(set(keys)) != len(keys):
            raise ValueError("each answer needs its own key")
        if "0" in keys:
            raise ValueError("key '0' is kept for reaching an operator")
        if not 1 <= len(options) <= MAX_SPOKEN_OPTIONS:
            raise ValueError(f"offer between 1 and {MAX_SPOKEN_OPTIONS} answers, not {len(options)}")
        return options


class Speech(_Model):
    """Speech recognition in the main menu."""

    enabled: bool = True
    # A match scoring at least `accept` routes at once; between `confirm` and `accept`, a key confirms it.
    accept: float = Field(default=0.85, gt=0, le=1)
    confirm: float = Field(default=0.6, gt=0, le=1)

    @model_validator(mode="after")
    def _thresholds(self) -> Self:
        if self.confirm > self.accept:
            raise ValueError(f"confirm ({self.confirm}) must not be above accept ({self.accept})")
        return self


class Sms(_Model):
    """After a referral, text the caller the association's name and number (off by default)."""

    enabled: bool = False
    text: str = "1001 services : {name}, {phone}. Bonne journée !"


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


def _email(value: str) -> str:
    """Return `value` if it is an e-mail address (optionally 'Name <address>'), else raise a ValueError."""
    from email.utils import parseaddr

    address = parseaddr(value)[1]
    if not re.fullmatch(r"[^@\s<>,;]+@[^@\s<>,;]+\.[A-Za-z]{2,}", address) or "," in value:
        raise ValueError(f"{value!r} is not an e-mail address such as 'observatoire@example.org'")
    return value


EmailAddress = Annotated[str, AfterValidator(_email)]


class Smtp(_Model):
    """The mail server the monthly report goes through; its password comes from HELPLINE_SMTP_PASSWORD."""

    host: str = Field(default="localhost", min_length=1)
    port: int = Field(default=25, ge=1, le=65535)
    sender: EmailAddress | None = None
    starttls: bool = False
    ssl: bool = False
    username: str | None = None
    timeout_s: int = Field(default=30, ge=1, le=300)

    @model_validator(mode="after")
    def _one_tls(self) -> Self:
        if self.starttls and self.ssl:
            raise ValueError("choose 'starttls: true' (usually port 587) or 'ssl: true' (port 465), not both")
        return self


class Reports(_Model):
    """The monthly demand report: when it is built, where its files go, who receives it."""

    recipients: list[EmailAddress] = Field(default_factory=list)
    send_day: int = Field(default=1, ge=1, le=28)
    send_time: time = time(7, 0)
    output_dir: str = Field(default="var/reports", min_length=1)
    suppress_below: int = Field(default=3, ge=1, le=100)
    schedule_enabled: bool = True
    smtp: Smtp = Smtp()

    @field_validator("send_time", mode="before")
    @classmethod
    def _time_of_day(cls, value: Any) -> Any:
        # YAML 1.1 reads an unquoted 7:30 as the base-60 integer 450: minutes since midnight.
        if isinstance(value, int) and not isinstance(value, bool) and 60 <= value < 24 * 60:
            return time(value // 60, value % 60)
        match = re.fullmatch(r"(\d{1,2}):(\d{2})", str(value).strip())
        if isinstance(value, time) or (match and int(match[1]) < 24 and int(match[2]) < 60):
            return value
        raise ValueError(f"{value!r} is not a time of day like '07:00'")

    @model_validator(mode="after")
    def _sender(self) -> Self:
        if self.recipients and self.smtp.sender is None:
            raise ValueError("smtp.sender is required to e-mail the report to the recipients")
        return self


class Config(_Model):
    """The whole of config.yaml."""

    helpline: Helpline
    hours: OpeningHours = OpeningHours()
    operators: list[Operator] = Field(min_length=1)
    menu: Menu
    calendar: Calendar = Calendar()
    questions: Questions = Questions()
    speech: Speech = Speech()
    sms: Sms = Sms()
    prompts: Prompts = Prompts()
    transfer: Transfer = Transfer()
    privacy: Privacy = Privacy()
    example_directory: list[ExampleAssociation] = Field(default_factory=list)
    reports: Reports = Reports()

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
