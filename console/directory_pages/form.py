"""The directory's forms, read into entries with the directory's checks and messages in French."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from typing import Any, TypeVar

from werkzeug.datastructures import MultiDict

from console.directory_pages.choices import STATUSES
from directory.entries import (
    AssociationEntry,
    ClosureEntry,
    ContactDetails,
    HoursEntry,
    PhoneEntry,
    ServiceEntry,
    Vocabulary,
)
from directory.values import (
    format_span,
    parse_date,
    parse_email,
    parse_line,
    parse_name,
    parse_phone,
    parse_postal_code,
    parse_priority,
    parse_ranges,
    parse_text,
    parse_website,
)
from foundation.config import DAY_NAMES_FR, DAYS
from foundation.text import check_no_controls, is_ascii_digits, without_controls

# The hours editor's fields: one per day, with its French name.
_EDITOR_DAYS = [(day, name.capitalize()) for day, name in zip(DAYS, DAY_NAMES_FR, strict=True)]
# Blank rows offered after the existing ones, to add phones and closures.
_NEW_ROWS = 2

# The fields' labels on the pages, for messages that name the field.
_LABELS = {
    "name": "Nom",
    "description": "Description",
    "notes": "Notes internes",
    "fees": "Tarifs",
    "eligibility": "Pour qui (conditions)",
    "street_address": "Adresse",
    "city": "Commune",
    "email": "Courriel",
    "website": "Site web",
    "notify_sms": "Orientations par texto au",
    "notify_email": "Orientations par courriel à",
    "phone-N-description": "Description du numéro",
    "closure-N-reason": "Motif de la fermeture",
}

Errors = dict[str, str]
# What has a phones, an hours and a closures section: an association or a service.
Owner = TypeVar("Owner", AssociationEntry, ServiceEntry)


class EntryForm:
    """The submitted form, read field by field with the directory's checks and French messages."""

    def __init__(self, data: MultiDict[str, str]) -> None:
        self.data = data
        self.errors: Errors = {}

    def get(self, name: str) -> str:
        """The field's value, stripped ('' if not sent); a control character in it is the field's error."""
        value = self.data.get(name, "").strip()
        try:
            return check_no_controls(value)
        except ValueError as exc:
            self.errors.setdefault(name, f"Le champ « {_label(name)} » {exc}.")
            return without_controls(value)

    def check(self, name: str, parse: Callable[[str], Any], message: str, default: Any = "") -> Any:
        """The field's value through `parse`; on a ValueError, `message` becomes the field's error."""
        try:
            return parse(self.get(name))
        except ValueError:
            self.errors[name] = message
            return default

    def phones(self) -> tuple[PhoneEntry, ...]:
        """The phones section: numbered rows, and the radio button of the one the IVR dials."""
        phones = []
        ivr = self.get("ivr")
        for index in range(self._rows("phone")):
            number = self.get(f"phone-{index}-number")
            if not number:
                continue
            parsed = self.check(
                f"phone-{index}-number",
                parse_phone,
                f"Numéro invalide : « {number} » (écrivez par exemple +33 2 61 91 00 00 ou 02 61 91 00 00).",
            )
            description = self.check(
                f"phone-{index}-description",
                parse_line,
                "La description tient sur une ligne, sans point-virgule (200 caractères au plus).",
            )
            phones.append(PhoneEntry(parsed, description, ivr == str(index)))
        return tuple(phones)

    def hours(self) -> tuple[HoursEntry, ...]:
        """The hours section: one field per day, such as « 09:00-12:30 13:30-17:30 »."""
        hours: list[HoursEntry] = []
        for weekday, day in enumerate(DAYS):
            try:
                hours += parse_ranges(weekday, self.get(f"hours-{day}") or None)
            except ValueError:
                self.errors[f"hours-{day}"] = (
                    f"Horaires du {DAY_NAMES_FR[weekday]} invalides : écrivez par exemple "
                    "« 9h-12h30 13h30-17h », sans chevauchement."
                )
        return tuple(hours)

    def closures(self) -> tuple[ClosureEntry, ...]:
        """The closures section: numbered rows of first day, last day (if not the same) and reason."""
        closures = []
        for index in range(self._rows("closure")):
            if not self.get(f"closure-{index}-from"):
                continue
            starts = self.check(f"closure-{index}-from", parse_date, "Date invalide.", None)
            ends = (
                self.check(f"closure-{index}-to", parse_date, "Date invalide.", None)
                if self.get(f"closure-{index}-to")
                else starts
            )
            reason = self.check(
                f"closure-{index}-reason",
                parse_line,
                "Le motif tient sur une ligne, sans point-virgule (200 caractères au plus).",
            )
            if starts and ends and ends < starts:
                self.errors[f"closure-{index}-to"] = "La fermeture finit avant de commencer."
            elif starts and ends:
                closures.append(ClosureEntry(starts, ends, reason))
        return tuple(sorted(closures, key=lambda c: (c.starts_on, c.ends_on)))

    def details(self, owner: Owner, section: str) -> Owner | None:
        """The association or service with the phones, hours or closures section read in; None for another."""
        if section == "phones":
            return replace(owner, phones=self.phones())
        if section == "hours":
            return replace(owner, hours=self.hours())
        if section == "closures":
            return replace(owner, closures=self.closures())
        return None

    def _rows(self, prefix: str) -> int:
        return int(self.get(f"{prefix}-rows") or 0) if is_ascii_digits(self.get(f"{prefix}-rows")) else 0


def _label(field: str) -> str:
    """The words the page shows for a field ('phone-0-description': the phone's description)."""
    return _LABELS.get(re.sub(r"-\d+-", "-N-", field), field)


def general(entry: AssociationEntry, form: EntryForm) -> AssociationEntry:
    """The entry with the association's general section (name, state, priority, contact, address, notes)."""
    return replace(
        entry,
        name=form.check("name", parse_name, "Le nom est obligatoire (200 caractères au plus)."),
        active=form.get("active") == "1",
        priority=form.check(
            "priority",
            parse_priority,
            "La priorité est un nombre entier, 0 ou plus (la plus petite est proposée en premier).",
            100,
        ),
        description=form.get("description"),
        email=form.check("email", parse_email, "Adresse de courriel invalide (ex. contact@exemple.fr)."),
        website=form.check("website", parse_website, "Adresse web invalide : elle commence par https://."),
        street_address=form.check(
            "street_address", lambda v: parse_text(v, max_length=200), "Adresse trop longue."
        ),
        postal_code=form.check("postal_code", parse_postal_code, "Code postal invalide (5 chiffres)."),
        city=form.check("city", lambda v: parse_text(v, max_length=100), "Commune trop longue."),
        notes=form.get("notes"),
        notify_sms=form.check(
            "notify_sms",
            lambda v: parse_phone(v) if v.strip() else "",
            "Numéro invalide : un mobile, comme 06 39 98 00 21.",
            "",
        ),
        notify_email=form.check(
            "notify_email", parse_email, "Adresse de courriel invalide (ex. contact@exemple.fr).", ""
        ),
    )


def service_general(service: ServiceEntry, form: EntryForm, vocabulary: Vocabulary) -> ServiceEntry:
    """The service with its general section: category, state, name, description, fees, eligibility."""
    category = form.get("category")
    if category not in vocabulary.categories:
        form.errors["category"] = "Choisissez une catégorie."
    status = form.get("status")
    if status not in STATUSES:
        form.errors["status"] = "Choisissez un état."
    # A service is named after its category unless named otherwise.
    name = form.get("name") or vocabulary.categories.get(category, "")
    try:
        name = parse_name(name)
    except ValueError:
        form.errors["name"] = "Le nom est obligatoire (200 caractères au plus)."
    return replace(
        service,
        name=name,
        category=category,
        status=status,
        description=form.get("description"),
        fees=form.get("fees"),
        eligibility=form.get("eligibility"),
    )


def coverage(form: EntryForm, vocabulary: Vocabulary) -> tuple[str, ...]:
    """The communes ticked in the coverage section (or every commune of the territory)."""
    if form.get("all") == "1":
        return tuple(sorted(vocabulary.communes))
    chosen = set(form.data.getlist("commune")) & vocabulary.communes
    return tuple(sorted(chosen))


def editors(details: ContactDetails, errors: Errors, section: str | None) -> dict[str, Any]:
    """What a page's phones, hours and closures editors show (see _editors.html), the section sent aside."""
    text: dict[str, list[str]] = {}
    for span in details.hours:
        text.setdefault(DAYS[span.weekday], []).append(format_span(span))
    return {
        "errors": errors,
        "section": section,
        "days": _EDITOR_DAYS,
        # Such as {'mon': '09:00-12:30 13:30-17:30'}.
        "hours_text": {day: " ".join(spans) for day, spans in text.items()},
        "new_rows": _NEW_ROWS,
    }
