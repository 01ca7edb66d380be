"""The console's forms (WTForms, messages in French). Flask-WTF's CSRFProtect guards every POST app-wide."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

import phonenumbers
from sqlalchemy.orm import Session
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    Form,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from call_log.codes import (
    MANUAL_CHANNELS,
    MANUAL_OUTCOMES,
    Beneficiary,
    HeardFrom,
    Outcome,
    OutcomeGroup,
    outcomes_for,
)
from call_log.models import Call
from call_log.record import Place, find_communes
from console import labels
from console.accounts import MIN_PASSWORD_LENGTH, ROLES
from foundation.text import is_ascii_digits

# Départements of France, as the observatory records them ("outside the territory": where the person lives).
_DEPARTEMENT = re.compile(r"0[1-9]|[1-8]\d|9[0-5]|2[AB]|97[1-6]")
NOT_A_DEPARTEMENT = "Ce n'est pas un numéro de département (par exemple 75, 2A ou 974)."


def is_departement(value: str) -> bool:
    """Whether `value` (stripped, upper case) is a département code of France, such as 75, 2A or 974."""
    return _DEPARTEMENT.fullmatch(value) is not None


_DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


class _FrenchForm(Form):
    """WTForms' own messages in French."""

    class Meta:
        locales = ("fr_FR", "fr")


def choices(words: Mapping[str, str], codes: Iterable[str], *, blank: str | None = "—") -> dict[str, str]:
    """Select options {code: French words} for `codes`, after an optional blank option."""
    options = {"": blank} if blank is not None else {}
    return options | {code: words.get(code, code) for code in codes}


class LoginForm(_FrenchForm):
    """Sign in."""

    username = StringField("Identifiant", validators=[DataRequired(), Length(max=80)])
    password = PasswordField("Mot de passe", validators=[DataRequired(), Length(max=200)])


class RecordForm(_FrenchForm):
    """What an operator completes on a call: service, place, for whom, how they heard, outcome, notes."""

    # A select left out of the form means "not said", as its blank option does.
    category_code = SelectField("Service demandé", default="")
    commune = StringField(
        "Commune (nom ou code postal)",
        validators=[Optional(), Length(max=120)],
        description="Une commune du territoire ; sinon, le département ci-dessous.",
    )
    departement = StringField(
        "Ou hors territoire : département",
        validators=[Optional(), Length(max=3)],
        description="ex. 75, 2A, 974",
    )
    beneficiary = SelectField("Pour qui", choices=choices(labels.BENEFICIARIES, Beneficiary), default="")
    heard_from = SelectField("Connu par", choices=choices(labels.HEARD_FROM, HeardFrom), default="")
    outcome = SelectField("Issue", choices=choices(labels.OUTCOMES, Outcome), default="")
    notes = TextAreaField("Notes", validators=[Length(max=5000)])
    seen_seq = HiddenField()

    def offer(
        self,
        categories: Mapping[str, str | Mapping[str, str]],
        call: Call | None = None,
        *,
        outcomes: Iterable[str] = Outcome,
    ) -> None:
        """Set the service choices, and the outcomes that fit the call's channel (or `outcomes`); a value
        the call already has stays selectable even if no list names it (an answer config.yaml added to the
        voice menu's question, a code of an older taxonomy)."""
        self.category_code.choices = _keeping_grouped(categories, call.category_code if call else None)
        coded: tuple[tuple[SelectField, Mapping[str, str], Iterable[str]], ...] = (
            (self.beneficiary, labels.BENEFICIARIES, Beneficiary),
            (self.heard_from, labels.HEARD_FROM, HeardFrom),
            (self.outcome, labels.OUTCOMES, outcomes_for(call.channel) if call else outcomes),
        )
        for field, words, codes in coded:
            field.choices = _keeping(choices(words, codes), getattr(call, field.name) if call else None)

    def validate_departement(self, field: StringField) -> None:
        """A département code of France, such as 75, 2A or 974."""
        value = (field.data or "").strip().upper()
        if value and not is_departement(value):
            raise ValidationError(NOT_A_DEPARTEMENT)

    def place(self, session: Session) -> Place | None:
        """The place the form names, or None after adding an error to the commune or département field."""
        commune = (self.commune.data or "").strip()
        departement = (self.departement.data or "").strip().upper()
        if commune and departement:
            self.departement.errors = [
                *self.departement.errors,
                "Choisissez une commune du territoire ou un département, pas les deux.",
            ]
            return None
        if departement:
            if departement == "36":
                self.departement.errors = [
                    *self.departement.errors,
                    "Dans l'Indre, indiquez la commune : elle dit si la personne est sur le territoire.",
                ]
                return None
            return Place.outside(departement)
        if not commune:
            return Place.unknown()
        found = find_communes(session, commune)
        if len(found) == 1:
            return Place.of_commune(found[0])
        if not found:
            message = (
                f"« {commune} » n'est pas une commune du territoire ; "
                "si la personne habite ailleurs, indiquez son département."
            )
        else:
            names = ", ".join(f"{c.name} ({c.postal_code})" for c in found[:8])
            message = f"Plusieurs communes correspondent : {names}. Choisissez-en une."
        self.commune.errors = [*self.commune.errors, message]
        return None

    def record_values(self, place: Place) -> dict[str, Any]:
        """The call fields this form sets."""
        return {
            "category_code": self.category_code.data or None,
            **place.fields(),
            "beneficiary": self.beneficiary.data or None,
            "heard_from": self.heard_from.data or None,
            "outcome": self.outcome.data or None,
            "notes": (self.notes.data or "").strip(),
        }

    def seen(self) -> int | None:
        """The last event the editor had seen, if the form carried it."""
        value = self.seen_seq.data or ""
        return int(value) if is_ascii_digits(value) else None


def _keeping(options: Mapping[str, str], value: str | None) -> dict[str, str]:
    return dict(options) if not value or value in options else {**options, value: value}


def _keeping_grouped(
    options: Mapping[str, str | Mapping[str, str]], value: str | None
) -> dict[str, str | Mapping[str, str]]:
    """`_keeping` for choices in groups (a group is a mapping of its options)."""
    known = {
        code for key, group in options.items() for code in (group if isinstance(group, Mapping) else [key])
    }
    return dict(options) if not value or value in known else {**options, value: value}


class ManualContactForm(RecordForm):
    """A contact entered by hand: how it came and when, then the same fields as any call."""

    channel = SelectField(
        "Type de contact", choices=choices(labels.CHANNELS, MANUAL_CHANNELS, blank=None), validate_choice=True
    )
    received_at = DateTimeLocalField(
        "Reçu le", format=_DATETIME_FORMAT, validators=[InputRequired(message="Indiquez la date et l'heure.")]
    )
    caller_number = StringField(
        "Numéro de la personne (facultatif)",
        validators=[Optional(), Length(max=30)],
        description="Gardé en entier pour la rappeler.",
    )

    def offer(
        self,
        categories: Mapping[str, str | Mapping[str, str]],
        call: Call | None = None,
        *,
        outcomes: Iterable[str] = MANUAL_OUTCOMES,
    ) -> None:
        """Set the service choices and the outcomes of contacts entered by hand; the page's script offers
        only those that fit the channel chosen (`validate_outcome` checks it)."""
        super().offer(categories, call, outcomes=outcomes)
        fits = {channel: list(outcomes_for(channel)) for channel in MANUAL_CHANNELS}
        self.outcome.render_kw = {"data-fits": json.dumps(fits)}

    def validate_caller_number(self, field: StringField) -> None:
        """A French (or international) phone number."""
        if field.data and e164(field.data) is None:
            raise ValidationError("Ce numéro n'est pas valide (ex. 02 61 91 12 34 ou +33 6 39 98 00 01).")

    def validate_outcome(self, field: SelectField) -> None:
        """An outcome that fits the contact's channel: a letter is not a message left on the voicemail."""
        channel = self.channel.data or ""
        if field.data and field.data not in outcomes_for(channel):
            fitting = ", ".join(f"« {labels.OUTCOMES[o]} »" for o in outcomes_for(channel))
            raise ValidationError(
                f"« {labels.OUTCOMES.get(field.data, field.data)} » ne convient pas à un contact "
                f"« {labels.CHANNELS.get(channel, channel)} » : choisissez {fitting} ou laissez vide."
            )


def e164(number: str) -> str | None:
    """The number in E.164 form, read as French unless it starts with +; None if it is not a number."""
    compact = re.sub(r"[\s.()-]", "", number)
    fiction = re.fullmatch(r"(?:\+33|0)((?:26191|63998)\d{4})", compact)
    if fiction:
        # ARCEP's fiction blocks are not assigned for libphonenumber, yet they are the examples' numbers.
        return "+33" + fiction.group(1)
    try:
        parsed = phonenumbers.parse(compact, "FR")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return str(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164))


class ReferralForm(_FrenchForm):
    """Refer the caller to an association."""

    association_id = SelectField("Association", coerce=int, validate_choice=True)
    contact_consent = BooleanField(
        "La personne accepte que l'association reçoive son numéro pour la rappeler"
    )


class CallbackResultForm(_FrenchForm):
    """How calling back went."""

    result = SelectField(
        "Résultat", choices=choices(labels.CALLBACK_RESULTS, labels.CALLBACK_RESULTS, blank=None)
    )
    notes = StringField("Note", validators=[Optional(), Length(max=500)])


class FollowUpForm(_FrenchForm):
    """Where a referral stands with its association."""

    state = SelectField(
        "Suivi",
        choices=choices(labels.FOLLOW_UP_STATES, labels.FOLLOW_UP_STATES, blank=None),
        validate_choice=True,
    )
    at = DateTimeLocalField("Quand", format=_DATETIME_FORMAT, validators=[Optional()])
    notes = StringField("Note", validators=[Optional(), Length(max=500)])


class LogFilterForm(_FrenchForm):
    """The call log's filters (a GET form: it changes nothing).

    A filter that cannot be read is an error on its field, and then the log lists and exports nothing:
    ignoring it would show, and export, calls that the person did not ask for.
    """

    start = DateField("Du", validators=[Optional()])
    end = DateField("Au (inclus)", validators=[Optional()])
    category = SelectField("Service", validate_choice=False)
    commune = StringField(
        "Commune ou code postal",
        validators=[Optional(), Length(max=120)],
        description="ex. Ciron, Ciron 36300 ou 36300",
    )
    phone = StringField(
        "Téléphone de l'appelant",
        validators=[Optional(), Length(max=30)],
        description="ex. 02 61 91 12 34",
    )
    territory = SelectField(
        "Territoire",
        choices={"": "Tous", "in": "Sur le territoire", "out": "Hors territoire"},
        validate_choice=False,
    )
    # Groups first: the report's "Personne n'a répondu" is a group, found here under the same words.
    outcome = SelectField(
        "Issue",
        choices=choices(OutcomeGroup.labels(), OutcomeGroup, blank="Toutes")
        | choices(labels.OUTCOMES, Outcome, blank=None),
        validate_choice=False,
    )
    association = SelectField("Association", validate_choice=False)
    channel = SelectField(
        "Canal", choices=choices(labels.CHANNELS, labels.CHANNELS, blank="Tous"), validate_choice=False
    )
    text = StringField("Texte", validators=[Optional(), Length(max=100)])
    page = IntegerField("Page", validators=[Optional()])

    def chosen(self, field: SelectField) -> str | None:
        """The field's value if it is one of its choices (and not the blank one); else None, after adding
        an error to the field for a value that is not one of them."""
        value = field.data or ""
        if not value:
            return None
        if any(choice[0] == value for choice in field.iter_choices()):
            return value
        field.errors = [*field.errors, f"« {value} » n'est pas un choix de la liste."]
        return None

    def validate_phone(self, field: StringField) -> None:
        """A French (or international) phone number."""
        if field.data and e164(field.data) is None:
            raise ValidationError("Ce numéro n'est pas valide (ex. 02 61 91 12 34 ou +33 6 39 98 00 01).")

    def unreadable(self) -> bool:
        """Whether a filter could not be read (the page number aside: a bad one shows page 1)."""
        return any(field.errors for field in self if field.name != "page")


class ReferralFilterForm(_FrenchForm):
    """The referrals page's filters (a GET form); a value not in a list is an error, and lists nothing."""

    OVERDUE = "overdue"

    state = SelectField(
        "Suivi",
        choices={"": "Tous", OVERDUE: "En retard (sans contact après 24 h ouvrées)"}
        | dict(labels.FOLLOW_UP_STATES),
        default="",
    )
    association = SelectField("Association", default="")
    page = IntegerField("Page", validators=[Optional()])


class NewUserForm(_FrenchForm):
    """An account created by an administrator."""

    username = StringField("Identifiant", validators=[DataRequired(), Length(min=2, max=80)])
    display_name = StringField("Nom affiché", validators=[Optional(), Length(max=120)])
    role = SelectField("Rôle", choices=choices(labels.ROLES, ROLES, blank=None), validate_choice=True)
    password = PasswordField(
        "Mot de passe", validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=200)]
    )


class PasswordForm(_FrenchForm):
    """A new password set by an administrator."""

    password = PasswordField(
        "Nouveau mot de passe", validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=200)]
    )


class RoleForm(_FrenchForm):
    """A user's role."""

    role = SelectField("Rôle", choices=choices(labels.ROLES, ROLES, blank=None), validate_choice=True)
