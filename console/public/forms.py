"""The public request form: what a person asks, for whom, where, and how to reach them; checked, in French."""

from __future__ import annotations

from collections.abc import Mapping
from email.utils import parseaddr

from pydantic import TypeAdapter, ValidationError
from sqlalchemy.orm import Session
from wtforms import (
    BooleanField,
    EmailField,
    Form,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from call_log.codes import Beneficiary, HeardFrom
from call_log.record import Place, find_communes
from call_log.web_requests import WebRequest
from console.forms import NOT_A_DEPARTEMENT, choices, e164, is_departement
from directory.territory import name_key
from foundation.config import EmailAddress

# What the commune field takes for a person who lives outside the territory (the datalist's last option).
OUTSIDE = "Hors territoire"
MESSAGE_MAX = 2000
# "For whom", in the words of the person writing (the codes are the voice menu's and the operators').
BENEFICIARY_WORDS: Mapping[str, str] = {
    Beneficiary.SELF: "Pour moi",
    Beneficiary.RELATIVE: "Pour un proche (parent, ami, voisin…)",
    Beneficiary.PROFESSIONAL: "Pour une personne que j'accompagne dans mon travail",
    Beneficiary.OTHER: "Autre",
}
# When the person can be called: kept in words on the record.
REACH_TIMES: Mapping[str, str] = {
    "morning": "Le matin",
    "afternoon": "L'après-midi",
    "evening": "En fin de journée (après 17 h)",
    "saturday": "Le samedi",
}
_EMAIL = TypeAdapter(EmailAddress)


class RequestForm(Form):
    """/demande: the need, the commune, for whom, how and when to reach the person, a message, consent.

    `website` is a trap for robots: hidden from people, it must stay empty.
    """

    class Meta:
        locales = ("fr_FR", "fr")

    category_code = SelectField(
        "Le service dont vous avez besoin",
        validators=[InputRequired(message="Choisissez le service dont vous avez besoin.")],
        validate_choice=True,
    )
    commune = StringField(
        "La commune de la personne qui a besoin du service",
        validators=[
            DataRequired(message="Indiquez la commune de la personne, ou « Hors territoire »."),
            Length(max=120),
        ],
        description=f"Tapez les premières lettres puis choisissez dans la liste ; « {OUTSIDE} » si elle "
        "habite ailleurs.",
    )
    departement = StringField(
        "Si elle habite hors du territoire : son département (facultatif)",
        validators=[Optional(), Length(max=3)],
        description="Par exemple 75, 37 ou 2A.",
    )
    beneficiary = RadioField(
        "Pour qui est cette demande ?",
        choices=dict(BENEFICIARY_WORDS),
        validators=[InputRequired(message="Dites pour qui est cette demande.")],
    )
    phone = TelField(
        "Votre téléphone",
        validators=[Optional(), Length(max=30)],
        description="Par exemple 06 39 98 00 01.",
    )
    email = EmailField(
        "Votre adresse de courriel",
        validators=[Optional(), Length(max=200)],
        description="Vous y recevrez la confirmation de votre demande.",
    )
    reach_times = SelectMultipleField(
        "Quand peut-on vous joindre ? (facultatif)",
        choices=dict(REACH_TIMES),
        validate_choice=True,
        option_widget=CheckboxInput(),
        widget=ListWidget(prefix_label=False),
    )
    heard_from = SelectField(
        "Comment avez-vous connu notre numéro ? (facultatif)",
        choices=choices(HeardFrom.labels(), HeardFrom, blank="—"),
        default="",
    )
    message = TextAreaField(
        "Votre demande en quelques mots (facultatif)",
        validators=[
            Optional(),
            Length(
                max=MESSAGE_MAX, message=f"Votre message dépasse {MESSAGE_MAX} caractères : raccourcissez-le."
            ),
        ],
        description="Ce qu'il faut faire, à quelle fréquence, depuis quand… "
        f"{MESSAGE_MAX} caractères au plus. N'y mettez pas d'informations de santé.",
    )
    consent = BooleanField(
        "J'accepte que mes réponses soient enregistrées et transmises à l'association qui peut m'aider",
        validators=[DataRequired(message="Cochez cette case pour que nous puissions traiter votre demande.")],
    )
    website = StringField("Ne remplissez pas ce champ", validators=[Optional()])
    # The place `checked` found, even when another field was not right.
    place: Place | None = None

    def offer(self, categories: Mapping[str, str | Mapping[str, str]]) -> None:
        """Set the service choices (one group per family of the taxonomy)."""
        self.category_code.choices = dict(categories)

    def checked(self, session: Session) -> WebRequest | None:
        """The request, if every field is right; else None, with an error on each field to fix."""
        valid = self.validate()
        place = self.place = self._place(session)
        phone = e164(self.phone.data or "") if self.phone.data else None
        if self.phone.data and phone is None:
            self.phone.errors = [
                *self.phone.errors,
                "Ce numéro n'est pas valide (par exemple 06 39 98 00 01).",
            ]
        email = self._email()
        if not self.phone.data and not self.email.data:
            self.phone.errors = [
                *self.phone.errors,
                "Indiquez un téléphone ou une adresse de courriel, pour que l'on puisse vous répondre.",
            ]
        if not valid or place is None or any(field.errors for field in self):
            return None
        return WebRequest(
            category_code=self.category_code.data or "",
            place=place,
            beneficiary=self.beneficiary.data or None,
            heard_from=self.heard_from.data or None,
            phone=phone,
            email=email,
            reach_times=[REACH_TIMES[code] for code in self.reach_times.data or []],
            message=(self.message.data or "").strip(),
        )

    def _place(self, session: Session) -> Place | None:
        commune = (self.commune.data or "").strip()
        departement = (self.departement.data or "").strip().upper()
        if departement and not is_departement(departement):
            self.departement.errors = [*self.departement.errors, NOT_A_DEPARTEMENT]
            return None
        if not commune:
            return None
        if name_key(commune) == name_key(OUTSIDE):
            return Place(None, None, False, departement or None)
        found = find_communes(session, commune)
        if len(found) == 1:
            return Place.of_commune(found[0])
        if not found:
            message = (
                f"« {commune} » n'est pas une commune du territoire : choisissez-la dans la liste, "
                f"ou « {OUTSIDE} »."
            )
        else:
            names = ", ".join(f"{c.name} ({c.postal_code})" for c in found[:8])
            message = f"Plusieurs communes correspondent : {names}. Choisissez-en une dans la liste."
        self.commune.errors = [*self.commune.errors, message]
        return None

    def _email(self) -> str | None:
        typed = (self.email.data or "").strip()
        if not typed:
            return None
        try:
            _EMAIL.validate_python(typed)
        except ValidationError:
            self.email.errors = [
                *self.email.errors,
                "Cette adresse de courriel n'est pas valide (par exemple prenom.nom@exemple.fr).",
            ]
            return None
        return parseaddr(typed)[1]
