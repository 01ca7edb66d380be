"""Entries as documents: plain data (YAML, JSON, the change history) written from an entry and checked back.

`from_document` reports every problem of a document with its path, such as ("services", 0, "phones", 1,
"number"), instead of stopping at the first, so that a file's import can list them all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from directory.codes import ServiceStatus
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
    parse_bool,
    parse_date,
    parse_email,
    parse_line,
    parse_name,
    parse_phone,
    parse_postal_code,
    parse_priority,
    parse_ranges,
    parse_status,
    parse_text,
    parse_website,
    parse_weekday,
)
from foundation.codes import Code
from foundation.config import DAY_NAMES_FR, DAYS

# What a service is unless its document says otherwise.
_ACTIVE = ServiceStatus.ACTIVE.value

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    """Something wrong at `path` in a document, such as ("services", 0, "phones", 1, "number")."""

    path: Path
    message: str


class AssociationField(Code):
    """A field of an association's document, with the words its change history shows for it."""

    NAME = "name", "Nom"
    ACTIVE = "active", "Active"
    PRIORITY = "priority", "Priorité"
    DESCRIPTION = "description", "Description"
    EMAIL = "email", "Courriel"
    WEBSITE = "website", "Site web"
    ADDRESS = "address", "Adresse"
    NOTES = "notes", "Notes internes"
    NOTIFY = "notify", "Orientations signalées par"
    PHONES = "phones", "Téléphones"
    HOURS = "hours", "Horaires"
    CLOSURES = "closures", "Fermetures"
    SERVICES = "services", "Services"


class ServiceField(Code):
    """A field of a service in an association's document, with the words of the service's form."""

    NAME = "name", "Nom"
    CATEGORY = "category", "Catégorie"
    STATUS = "status", "État"
    DESCRIPTION = "description", "Description"
    FEES = "fees", "Tarifs"
    ELIGIBILITY = "eligibility", "Pour qui (conditions)"
    COMMUNES = "communes", "Communes couvertes"
    PHONES = "phones", "Téléphones"
    HOURS = "hours", "Horaires"
    CLOSURES = "closures", "Fermetures"


ASSOCIATION_FIELDS = tuple(AssociationField)
SERVICE_FIELDS = tuple(ServiceField)
ADDRESS_FIELDS = ("street", "postal_code", "city")
PHONE_FIELDS = ("number", "description", "ivr")
CLOSURE_FIELDS = ("from", "to", "reason")
NOTIFY_FIELDS = ("sms", "email")


def to_document(entry: AssociationEntry, *, all_communes: Iterable[str] = ()) -> dict[str, Any]:
    """The entry as plain data (YAML, JSON); empty fields are left out, full coverage is written 'all'."""
    every = sorted(all_communes)
    document: dict[str, Any] = {"name": entry.name, "active": entry.active, "priority": entry.priority}
    _put(document, "description", entry.description)
    _put(document, "email", entry.email)
    _put(document, "website", entry.website)
    address = {
        key: value
        for key, value in zip(
            ADDRESS_FIELDS, (entry.street_address, entry.postal_code, entry.city), strict=True
        )
        if value
    }
    _put(document, "address", address)
    _put(document, "notes", entry.notes)
    notify = {"sms": entry.notify_sms, "email": entry.notify_email}
    _put(document, "notify", {key: value for key, value in notify.items() if value})
    _put_details(document, entry)
    services = []
    for service in entry.services:
        item: dict[str, Any] = {"name": service.name, "category": service.category, "status": service.status}
        _put(item, "description", service.description)
        _put(item, "fees", service.fees)
        _put(item, "eligibility", service.eligibility)
        item["communes"] = "all" if every and list(service.communes) == every else list(service.communes)
        _put_details(item, service)
        services.append(item)
    _put(document, "services", services)
    return document


def _put(document: dict[str, Any], key: str, value: Any) -> None:
    if value:
        document[key] = value


def _put_details(document: dict[str, Any], details: ContactDetails) -> None:
    _put(document, "phones", [_phone_document(phone) for phone in details.phones])
    days: dict[str, list[str]] = {}
    for span in details.hours:
        days.setdefault(DAYS[span.weekday], []).append(format_span(span))
    _put(document, "hours", days)
    _put(document, "closures", [_closure_document(closure) for closure in details.closures])


def _phone_document(phone: PhoneEntry) -> dict[str, Any]:
    document: dict[str, Any] = {"number": phone.number}
    _put(document, "description", phone.description)
    _put(document, "ivr", phone.ivr)
    return document


def _closure_document(closure: ClosureEntry) -> dict[str, Any]:
    document: dict[str, Any] = {"from": closure.starts_on.isoformat()}
    if closure.ends_on != closure.starts_on:
        document["to"] = closure.ends_on.isoformat()
    _put(document, "reason", closure.reason)
    return document


class _Checker:
    """Collects every problem of a document instead of stopping at the first."""

    def __init__(self, vocabulary: Vocabulary) -> None:
        self.vocabulary = vocabulary
        self.problems: list[Problem] = []

    def value(self, path: Path, parse: Any, raw: Any, default: Any) -> Any:
        try:
            return parse(raw)
        except ValueError as exc:
            self.problems.append(Problem(path, str(exc)))
            return default

    def mapping(self, path: Path, raw: Any, allowed: Sequence[str] | None, what: str) -> Mapping[str, Any]:
        if raw is None:
            return {}
        if not isinstance(raw, Mapping):
            self.problems.append(Problem(path, f"il faut {what}"))
            return {}
        for key in raw:
            if allowed is not None and key not in allowed:
                valid = ", ".join(allowed)
                self.problems.append(Problem((*path, str(key)), f"ce champ n'existe pas (valides : {valid})"))
        return raw

    def sequence(self, path: Path, raw: Any, what: str) -> list[Any]:
        if raw is None:
            return []
        if not isinstance(raw, list):
            self.problems.append(Problem(path, f"il faut une liste de {what}"))
            return []
        return raw

    def phones(self, path: Path, raw: Any, owner: str) -> tuple[PhoneEntry, ...]:
        phones = []
        for index, item in enumerate(self.sequence(path, raw, "numéros")):
            here = (*path, index)
            data = self.mapping(here, item, PHONE_FIELDS, "un numéro : number, description, ivr")
            number = self.value((*here, "number"), parse_phone, data.get("number"), "")
            description = self.value((*here, "description"), parse_line, data.get("description"), "")
            ivr = self.value((*here, "ivr"), parse_bool, data.get("ivr", False), False)
            phones.append(PhoneEntry(number, description, ivr))
        if sum(phone.ivr for phone in phones) > 1:
            self.problems.append(
                Problem(path, f"un seul numéro {owner} peut être celui que compose le serveur vocal")
            )
        return tuple(phones)

    def hours(self, path: Path, raw: Any) -> tuple[HoursEntry, ...]:
        data = self.mapping(path, raw, None, "des horaires par jour, comme mon: ['09:00-12:30']")
        hours: list[HoursEntry] = []
        seen: set[int] = set()
        for key, spans in data.items():
            here = (*path, str(key))
            try:
                weekday = parse_weekday(key)
                if weekday in seen:
                    raise ValueError(f"le {DAY_NAMES_FR[weekday]} est donné deux fois")
                seen.add(weekday)
                hours.extend(parse_ranges(weekday, spans))
            except ValueError as exc:
                self.problems.append(Problem(here, str(exc)))
        return tuple(sorted(hours, key=lambda span: (span.weekday, span.opens)))

    def closures(self, path: Path, raw: Any) -> tuple[ClosureEntry, ...]:
        closures = []
        for index, item in enumerate(self.sequence(path, raw, "fermetures")):
            here = (*path, index)
            data = self.mapping(here, item, CLOSURE_FIELDS, "une fermeture : from, to, reason")
            if "from" not in data:
                self.problems.append(Problem((*here, "from"), "le premier jour de fermeture est obligatoire"))
                continue
            starts = self.value((*here, "from"), parse_date, data["from"], None)
            ends = self.value((*here, "to"), parse_date, data["to"], None) if "to" in data else starts
            reason = self.value((*here, "reason"), parse_line, data.get("reason"), "")
            if starts is None or ends is None:
                continue
            if ends < starts:
                self.problems.append(
                    Problem(here, f"la fermeture finit ({ends}) avant de commencer ({starts})")
                )
                continue
            closures.append(ClosureEntry(starts, ends, reason))
        return tuple(sorted(closures, key=lambda closure: (closure.starts_on, closure.ends_on)))

    def communes(self, path: Path, raw: Any) -> tuple[str, ...]:
        known = self.vocabulary.communes
        if isinstance(raw, str) and raw.strip().lower() == "all":
            return tuple(sorted(known))
        codes: list[str] = []
        for index, code in enumerate(self.sequence(path, raw, "codes INSEE, ou 'all'")):
            text = str(code).strip()
            if text not in known:
                self.problems.append(
                    Problem((*path, index), f"« {code} » n'est pas le code INSEE d'une commune du territoire")
                )
            elif text in codes:
                self.problems.append(Problem((*path, index), f"{text} est donné deux fois"))
            else:
                codes.append(text)
        return tuple(sorted(codes))

    def service(self, path: Path, raw: Any) -> ServiceEntry | None:
        if not isinstance(raw, Mapping):
            self.problems.append(Problem(path, "il faut un service : name, category, communes…"))
            return None
        data = self.mapping(path, raw, SERVICE_FIELDS, "un service")
        category = str(data.get("category") or "").strip()
        label = self.vocabulary.categories.get(category)
        if not category:
            self.problems.append(Problem((*path, "category"), "la catégorie est obligatoire"))
        elif label is None:
            self.problems.append(
                Problem(
                    (*path, "category"), f"« {category} » n'est pas une catégorie de la liste des services"
                )
            )
        # A service is named after its category unless named otherwise.
        name = data.get("name") or label or category
        return ServiceEntry(
            name=self.value((*path, "name"), parse_name, name, "") if name else "",
            category=category,
            communes=self.communes((*path, "communes"), data.get("communes")),
            status=self.value((*path, "status"), parse_status, data.get("status", _ACTIVE), _ACTIVE),
            description=self.value((*path, "description"), parse_text, data.get("description"), ""),
            fees=self.value((*path, "fees"), parse_text, data.get("fees"), ""),
            eligibility=self.value((*path, "eligibility"), parse_text, data.get("eligibility"), ""),
            phones=self.phones((*path, "phones"), data.get("phones"), "du service"),
            hours=self.hours((*path, "hours"), data.get("hours")),
            closures=self.closures((*path, "closures"), data.get("closures")),
        )

    def association(self, raw: Any) -> AssociationEntry:
        data = self.mapping((), raw, ASSOCIATION_FIELDS, "une association")
        address = self.mapping(("address",), data.get("address"), ADDRESS_FIELDS, "street, postal_code, city")
        notify = self.mapping(("notify",), data.get("notify"), NOTIFY_FIELDS, "sms, email")
        keep_notify = "notify" in data and data["notify"] is None
        services: list[ServiceEntry] = []
        names: dict[str, int] = {}
        for index, item in enumerate(self.sequence(("services",), data.get("services"), "services")):
            service = self.service(("services", index), item)
            if service is None:
                continue
            if service.name in names:
                self.problems.append(
                    Problem(
                        ("services", index, "name"),
                        f"en double : l'association a déjà un service nommé « {service.name} »",
                    )
                )
                continue
            names[service.name] = index
            services.append(service)
        return AssociationEntry(
            name=self.value(("name",), parse_name, data.get("name"), ""),
            active=self.value(("active",), parse_bool, data.get("active", True), True),
            priority=self.value(("priority",), parse_priority, data.get("priority", 100), 100),
            description=self.value(("description",), parse_text, data.get("description"), ""),
            email=self.value(("email",), parse_email, data.get("email"), ""),
            website=self.value(("website",), parse_website, data.get("website"), ""),
            street_address=self.value(
                ("address", "street"), lambda v: parse_text(v, max_length=200), address.get("street"), ""
            ),
            postal_code=self.value(
                ("address", "postal_code"), parse_postal_code, address.get("postal_code"), ""
            ),
            city=self.value(
                ("address", "city"), lambda v: parse_text(v, max_length=100), address.get("city"), ""
            ),
            notes=self.value(("notes",), parse_text, data.get("notes"), ""),
            phones=self.phones(("phones",), data.get("phones"), "de l'association"),
            hours=self.hours(("hours",), data.get("hours")),
            closures=self.closures(("closures",), data.get("closures")),
            services=tuple(sorted(services, key=lambda service: service.name)),
            # `notify: null` (what the CSV, which has no such columns, says): kept as stored.
            notify_sms=None
            if keep_notify
            else self.value(("notify", "sms"), _optional(parse_phone), notify.get("sms"), ""),
            notify_email=None
            if keep_notify
            else self.value(("notify", "email"), parse_email, notify.get("email"), ""),
        )


def _optional(parse: Callable[[Any], str]) -> Callable[[Any], str]:
    """A parser for which nothing given is ''."""
    return lambda value: parse(value) if value not in (None, "") else ""


def from_document(document: Any, vocabulary: Vocabulary) -> tuple[AssociationEntry, list[Problem]]:
    """Check a document (as `to_document` writes it); the entry is only usable if there is no problem."""
    checker = _Checker(vocabulary)
    entry = checker.association(document)
    return entry, checker.problems
