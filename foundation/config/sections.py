"""The whole of config.yaml: who the line is, its calendar, operators, transfers, privacy and reports."""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Iterable
from datetime import date, time
from typing import Any, Literal, Self

from pydantic import Field, ValidationInfo, field_validator, model_validator

from foundation.config.menu import PRIVACY_KEY, Menu, Prompts, Questions, Speech, walk_options
from foundation.config.values import ConfigModel, EmailAddress, OpeningHours, PhoneNumber, SpokenText


class Operator(ConfigModel):
    """A phone that rings when a caller needs a human, while it is on duty.

    `account` is the console account of the operator who answers it: they may take it off duty themselves.
    """

    name: SpokenText = Field(min_length=1, max_length=80)
    phone: PhoneNumber
    on_duty: bool = True
    account: str | None = Field(default=None, max_length=80)


class Transfer(ConfigModel):
    """How long phones ring and how long a voicemail may last."""

    association_timeout_s: int = Field(default=20, ge=5, le=60)
    operators_timeout_s: int = Field(default=25, ge=5, le=60)
    voicemail_max_s: int = Field(default=120, ge=10, le=600)


class Retention(ConfigModel):
    """How many days after a call its identifying data is kept, before the daily purge clears it.

    `identifying_days`: the caller's number, the callback numbers and the caller's keyed hash;
    `recordings_days`: the voicemails (deleted at Twilio too); `notes_days`: free-text notes and what
    callers said at the menu. The coded observatory fields (category, commune, for whom, outcome, times)
    are kept.
    """

    identifying_days: int = Field(default=365, ge=1, le=3650)
    recordings_days: int = Field(default=90, ge=1, le=3650)
    notes_days: int = Field(default=365, ge=1, le=3650)
    # The hour (helpline's time) the daily purge runs at, when the line is quiet.
    purge_hour: int = Field(default=3, ge=0, le=23)
    schedule_enabled: bool = True

    @model_validator(mode="after")
    def _recordings_within_identifying(self) -> Self:
        if self.recordings_days > self.identifying_days:
            raise ValueError(
                f"recordings_days ({self.recordings_days}) dépasse identifying_days "
                f"({self.identifying_days}) : un message vocal identifie la personne autant que son numéro ; "
                "gardez-le moins longtemps"
            )
        return self


class Privacy(ConfigModel):
    """How the caller's number is stored: full, masked (default) or hashed with a secret; how long; what
    callers are told (a notice in the greeting, then key PRIVACY_KEY at the main menu) and where to write."""

    caller_number: Literal["full", "masked", "hashed"] = "masked"
    retention: Retention = Retention()
    notice: bool = False
    notice_text: SpokenText = Field(
        default="Vos réponses sont enregistrées pour améliorer le service ; tapez 9 pour en savoir plus.",
        min_length=1,
    )
    # Where people may write to exercise their rights (the public site's privacy page says so), if anywhere.
    contact_email: EmailAddress | None = None
    postal_address: str | None = Field(default=None, min_length=1, max_length=300)


class Closure(ConfigModel):
    """An exceptional closure of the line: a date range (inclusive), why, and what callers hear."""

    start: date
    end: date
    reason: str = Field(min_length=1)
    message: SpokenText = Field(min_length=1)

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.end < self.start:
            raise ValueError(f"la fermeture finit ({self.end}) avant de commencer ({self.start})")
        return self


class Calendar(ConfigModel):
    """Public holidays (from the `holidays` package) and exceptional closures."""

    holidays_country: str = "FR"
    closed_on_holidays: bool = True
    closures: list[Closure] = Field(default_factory=list)

    @field_validator("holidays_country")
    @classmethod
    def _country(cls, code: str) -> str:
        import holidays

        if code not in holidays.list_supported_countries():
            raise ValueError(f"« {code} » n'est pas un code de pays connu pour les jours fériés, comme FR")
        return code


class Sms(ConfigModel):
    """After a referral, text the caller the association's name and number (off by default)."""

    enabled: bool = False
    text: str = "1001 services : {name}, {phone}. Bonne journée !"


class Partners(ConfigModel):
    """The associations' notices of referrals: how long their personal link opens."""

    link_days: int = Field(default=30, ge=1, le=365)


class ExampleAssociation(ConfigModel):
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
                    raise ValueError(f"« {code} » n'est pas un code INSEE de commune comme 36018")
        return communes


class Helpline(ConfigModel):
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
                f"« {voice} » n'est pas une voix de Twilio ; choisissez-en une comme Polly.Lea-Neural ou "
                "Google.fr-FR-Standard-A"
            )
        return voice

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, name: str) -> str:
        try:
            zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"« {name} » n'est pas un fuseau horaire comme Europe/Paris") from None
        return name

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        """The helpline's timezone."""
        return zoneinfo.ZoneInfo(self.timezone)


class Smtp(ConfigModel):
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
            raise ValueError(
                "choisissez 'starttls: true' (port 587 le plus souvent) ou 'ssl: true' (port 465), "
                "pas les deux"
            )
        return self


class Reports(ConfigModel):
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
        raise ValueError(f"« {value} » n'est pas une heure comme 07:00")

    @model_validator(mode="after")
    def _sender(self) -> Self:
        if self.recipients and self.smtp.sender is None:
            raise ValueError(
                "smtp.sender est obligatoire pour envoyer le rapport par courriel aux destinataires"
            )
        return self


class WebForm(ConfigModel):
    """The public site's request form (/demande): what becomes of a request, its acknowledgement, its limits.

    `mode`: `refer` sends a request at once to the association routing names (as an operator's referral),
    `queue` puts every request in the operators' callback queue; a request no association takes is queued
    whatever the mode. The acknowledgement e-mail goes out through `reports.smtp` (it needs its sender).
    """

    mode: Literal["refer", "queue"] = "queue"
    acknowledgement_email: bool = True
    max_per_hour: int = Field(default=5, ge=1, le=1000)
    max_request_kb: int = Field(default=32, ge=8, le=1024)


class Config(ConfigModel):
    """The whole of config.yaml."""

    helpline: Helpline
    hours: OpeningHours = OpeningHours()
    operators: list[Operator] = Field(min_length=1)
    menu: Menu
    calendar: Calendar = Calendar()
    questions: Questions = Questions()
    speech: Speech = Speech()
    sms: Sms = Sms()
    partners: Partners = Partners()
    prompts: Prompts = Prompts()
    transfer: Transfer = Transfer()
    privacy: Privacy = Privacy()
    example_directory: list[ExampleAssociation] = Field(default_factory=list)
    reports: Reports = Reports()
    web_form: WebForm = WebForm()

    @model_validator(mode="after")
    def _privacy_key_free(self) -> Self:
        if not self.privacy.notice:
            return self
        for index, option in enumerate(self.menu.options):
            if option.key == PRIVACY_KEY:
                raise ValueError(
                    f"menu.options[{index}] : la touche {PRIVACY_KEY} est gardée pour les informations sur "
                    "les données personnelles (privacy.notice: true) ; choisissez une autre touche pour ce "
                    "choix, ou mettez privacy.notice à false"
                )
        return self

    @model_validator(mode="after")
    def _known_categories(self, info: ValidationInfo) -> Self:
        categories: Iterable[str] | None = (info.context or {}).get("categories")
        if categories is None:
            return self
        known = set(categories)
        valid = ", ".join(sorted(known))

        def check(code: str, where: str) -> None:
            if code not in known:
                raise ValueError(
                    f"{where} : « {code} » n'est pas une catégorie de service (valides : {valid})"
                )

        for path, option in walk_options(self.menu.options, "menu.options"):
            if option.category is not None:
                check(option.category, f"{path}.category")
        for index, association in enumerate(self.example_directory):
            for position, code in enumerate(association.categories):
                check(code, f"example_directory[{index}].categories[{position}]")
        return self
