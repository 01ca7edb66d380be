"""The directory as documents: one `AssociationEntry` per association, checked, read and written back.

The import formats (YAML, CSV), the console's forms and the change history all go through this one shape,
and every value is checked by the same functions, so that whatever one of them accepts the others can write
back: exports re-import to the same data.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from itertools import pairwise
from typing import Any

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from directory.models import (
    SERVICE_STATUSES,
    Association,
    Closure,
    Commune,
    Phone,
    Schedule,
    Service,
    ServiceArea,
    ServiceCategory,
)
from foundation.config import DAYS, PhoneNumber, TimeRange

# Days may also be written in French, in full or abbreviated.
_DAY_NAMES = {
    **{day: index for index, day in enumerate(DAYS)},
    **{day: index for index, day in enumerate(("lun", "mar", "mer", "jeu", "ven", "sam", "dim"))},
    **{
        day: index
        for index, day in enumerate(("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"))
    },
}
# Phone descriptions and closure reasons are list items in a CSV cell, separated by ";" or new lines.
_LIST_SEPARATORS = re.compile(r"[;\n\r]")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_WEBSITE = re.compile(r"https?://[^\s/$.?#][^\s]*")
_PHONE_ADAPTER: TypeAdapter[str] = TypeAdapter(PhoneNumber)


@dataclass(frozen=True)
class PhoneEntry:
    """A phone number; `ivr` marks the one the IVR dials."""

    number: str
    description: str = ""
    ivr: bool = False


@dataclass(frozen=True)
class HoursEntry:
    """A weekly opening span: weekday (Monday is 0), opening and closing time (time.max is 24:00)."""

    weekday: int
    opens: time
    closes: time


@dataclass(frozen=True)
class ClosureEntry:
    """Days closed, both included."""

    starts_on: date
    ends_on: date
    reason: str = ""


@dataclass(frozen=True)
class ServiceEntry:
    """A service of an association: its category, status, notes, coverage, phones and hours."""

    name: str
    category: str
    communes: tuple[str, ...] = ()
    status: str = "active"
    description: str = ""
    fees: str = ""
    eligibility: str = ""
    phones: tuple[PhoneEntry, ...] = ()
    hours: tuple[HoursEntry, ...] = ()
    closures: tuple[ClosureEntry, ...] = ()


@dataclass(frozen=True)
class AssociationEntry:
    """An association with everything staff keep up about it."""

    name: str
    active: bool = True
    priority: int = 100
    description: str = ""
    email: str = ""
    website: str = ""
    street_address: str = ""
    postal_code: str = ""
    city: str = ""
    notes: str = ""
    phones: tuple[PhoneEntry, ...] = ()
    hours: tuple[HoursEntry, ...] = ()
    closures: tuple[ClosureEntry, ...] = ()
    services: tuple[ServiceEntry, ...] = ()


@dataclass(frozen=True)
class Vocabulary:
    """What entries may name: the taxonomy's categories (code → label) and the communes' INSEE codes."""

    categories: Mapping[str, str]
    communes: frozenset[str]

    @classmethod
    def load(cls, session: Session) -> Vocabulary:
        """The categories and communes of the database."""
        categories = {c.code: c.label for c in session.scalars(select(ServiceCategory))}
        return cls(categories, frozenset(session.scalars(select(Commune.insee))))


Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    """Something wrong at `path` in a document, such as ("services", 0, "phones", 1, "number")."""

    path: Path
    message: str


# --- values ----------------------------------------------------------------------------------------------


def parse_phone(value: Any) -> str:
    """A phone number in E.164 form; spaces, dots, a national French 0 or a lost '+' are forgiven."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        raise ValueError("a phone number is required, such as '+33261910000'")
    number = re.sub(r"[\s.\-()]", "", value)
    if number.startswith("00"):
        number = "+" + number[2:]
    elif re.fullmatch(r"0\d{9}", number):
        number = "+33" + number[1:]
    elif re.fullmatch(r"[1-9]\d{7,14}", number):
        # A spreadsheet that took the number for an integer dropped its '+'.
        number = "+" + number
    try:
        return _PHONE_ADAPTER.validate_python(number)
    except ValidationError as exc:
        message = str(exc.errors()[0]["msg"]).removeprefix("Value error, ")
        # Name the number as it was written, not as it was cleaned up.
        raise ValueError(message.replace(repr(number), repr(value.strip()))) from None


def parse_text(value: Any, *, max_length: int | None = None, one_line: bool = False) -> str:
    """Free text, stripped; `one_line` forbids new lines and ';' (list separators in CSV cells)."""
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError(f"{value!r} is not text")
    text = str(value).strip()
    if max_length is not None and len(text) > max_length:
        raise ValueError(f"is {len(text)} characters long; at most {max_length} fit")
    if one_line and _LIST_SEPARATORS.search(text):
        raise ValueError(f"{text!r} must not contain ';' or a new line")
    return text


def parse_name(value: Any) -> str:
    """A required name on one line."""
    name = parse_text(value, max_length=200)
    if not name:
        raise ValueError("a name is required")
    if "\n" in name:
        raise ValueError(f"{name!r} must fit on one line")
    return name


def parse_email(value: Any) -> str:
    """An e-mail address, or nothing."""
    email = parse_text(value, max_length=200)
    if email and not _EMAIL.fullmatch(email):
        raise ValueError(f"{email!r} is not an e-mail address such as 'contact@example.org'")
    return email


def parse_website(value: Any) -> str:
    """A web address starting with http:// or https://, or nothing."""
    website = parse_text(value, max_length=300)
    if website and not _WEBSITE.fullmatch(website):
        raise ValueError(f"{website!r} is not a web address such as 'https://example.org'")
    return website


def parse_postal_code(value: Any) -> str:
    """A French postal code (5 digits), or nothing."""
    code = parse_text(value)
    if code and not re.fullmatch(r"\d{5}", code):
        raise ValueError(f"{code!r} is not a postal code such as '36300'")
    return code


def parse_bool(value: Any) -> bool:
    """yes/no, true/false, oui/non, 1/0."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"yes", "true", "oui", "1", "y", "o"}:
        return True
    if text in {"no", "false", "non", "0", "n"}:
        return False
    raise ValueError(f"{value!r} is not yes or no")


def parse_priority(value: Any) -> int:
    """A whole number, 0 or more: lower comes first."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a priority (a whole number, 0 or more; lower comes first)")
    try:
        priority = int(str(value).strip())
    except ValueError:
        priority = -1
    if priority < 0:
        raise ValueError(f"{value!r} is not a priority (a whole number, 0 or more; lower comes first)")
    return priority


def parse_status(value: Any) -> str:
    """One of SERVICE_STATUSES."""
    status = str(value).strip() if value is not None else ""
    if status not in SERVICE_STATUSES:
        raise ValueError(f"{value!r} is not a service status (valid: {', '.join(SERVICE_STATUSES)})")
    return status


def parse_weekday(value: Any) -> int:
    """A day name: mon ... sun (or lun ... dim, lundi ... dimanche); Monday is 0."""
    day = _DAY_NAMES.get(str(value).strip().lower())
    if day is None:
        raise ValueError(f"{value!r} is not a day (valid: {', '.join(DAYS)})")
    return day


def parse_ranges(weekday: int, value: Any) -> list[HoursEntry]:
    """The opening spans of one day, such as ['09:00-12:30', '13:30-17:30']; they must not overlap."""
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    hours: list[HoursEntry] = []
    for item in items:
        for text in re.split(r"[\s,]+", str(item).strip()):
            if text:
                span = TimeRange.parse(text)
                hours.append(HoursEntry(weekday, span.start, span.end))
    hours.sort(key=lambda entry: entry.opens)
    for before, after in pairwise(hours):
        if after.opens < before.closes:
            raise ValueError(
                f"the spans starting at {before.opens:%H:%M} and {after.opens:%H:%M} on "
                f"{DAYS[weekday]} overlap"
            )
    return hours


def parse_date(value: Any) -> date:
    """A date: 2026-12-24 (or 24/12/2026, as spreadsheets write it)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    match = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", text)
    try:
        if match:
            day, month, year = (int(part) for part in match.groups())
            return date(year, month, day)
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{value!r} is not a date such as '2026-12-24'") from None


def format_span(entry: HoursEntry) -> str:
    """'09:00-12:30' (a span ending at midnight ends at '24:00')."""
    closes = "24:00" if entry.closes == time.max else f"{entry.closes:%H:%M}"
    return f"{entry.opens:%H:%M}-{closes}"


# --- documents -------------------------------------------------------------------------------------------

ASSOCIATION_FIELDS = (
    "name",
    "active",
    "priority",
    "description",
    "email",
    "website",
    "address",
    "notes",
    "phones",
    "hours",
    "closures",
    "services",
)
SERVICE_FIELDS = (
    "name",
    "category",
    "status",
    "description",
    "fees",
    "eligibility",
    "communes",
    "phones",
    "hours",
    "closures",
)
ADDRESS_FIELDS = ("street", "postal_code", "city")
PHONE_FIELDS = ("number", "description", "ivr")
CLOSURE_FIELDS = ("from", "to", "reason")


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
    _put_details(document, entry.phones, entry.hours, entry.closures)
    services = []
    for service in entry.services:
        item: dict[str, Any] = {"name": service.name, "category": service.category, "status": service.status}
        _put(item, "description", service.description)
        _put(item, "fees", service.fees)
        _put(item, "eligibility", service.eligibility)
        item["communes"] = "all" if every and list(service.communes) == every else list(service.communes)
        _put_details(item, service.phones, service.hours, service.closures)
        services.append(item)
    _put(document, "services", services)
    return document


def _put(document: dict[str, Any], key: str, value: Any) -> None:
    if value:
        document[key] = value


def _put_details(
    document: dict[str, Any],
    phones: Sequence[PhoneEntry],
    hours: Sequence[HoursEntry],
    closures: Sequence[ClosureEntry],
) -> None:
    _put(document, "phones", [_phone_document(phone) for phone in phones])
    days: dict[str, list[str]] = {}
    for span in hours:
        days.setdefault(DAYS[span.weekday], []).append(format_span(span))
    _put(document, "hours", days)
    _put(document, "closures", [_closure_document(closure) for closure in closures])


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
            self.problems.append(Problem(path, f"expected {what}"))
            return {}
        for key in raw:
            if allowed is not None and key not in allowed:
                valid = ", ".join(allowed)
                self.problems.append(Problem((*path, str(key)), f"is not a known field (valid: {valid})"))
        return raw

    def sequence(self, path: Path, raw: Any, what: str) -> list[Any]:
        if raw is None:
            return []
        if not isinstance(raw, list):
            self.problems.append(Problem(path, f"expected a list of {what}"))
            return []
        return raw

    def phones(self, path: Path, raw: Any, owner: str) -> tuple[PhoneEntry, ...]:
        phones = []
        for index, item in enumerate(self.sequence(path, raw, "phones")):
            here = (*path, index)
            data = self.mapping(here, item, PHONE_FIELDS, "a phone: number, description, ivr")
            number = self.value((*here, "number"), parse_phone, data.get("number"), "")
            description = self.value(
                (*here, "description"),
                lambda v: parse_text(v, max_length=200, one_line=True),
                data.get("description"),
                "",
            )
            ivr = self.value((*here, "ivr"), parse_bool, data.get("ivr", False), False)
            phones.append(PhoneEntry(number, description, ivr))
        if sum(phone.ivr for phone in phones) > 1:
            self.problems.append(Problem(path, f"only one phone of the {owner} can be the one the IVR dials"))
        return tuple(phones)

    def hours(self, path: Path, raw: Any) -> tuple[HoursEntry, ...]:
        data = self.mapping(path, raw, None, "opening hours by day, such as mon: ['09:00-12:30']")
        hours: list[HoursEntry] = []
        seen: set[int] = set()
        for key, spans in data.items():
            here = (*path, str(key))
            try:
                weekday = parse_weekday(key)
                if weekday in seen:
                    raise ValueError(f"{DAYS[weekday]} is given twice")
                seen.add(weekday)
                hours.extend(parse_ranges(weekday, spans))
            except ValueError as exc:
                self.problems.append(Problem(here, str(exc)))
        return tuple(sorted(hours, key=lambda span: (span.weekday, span.opens)))

    def closures(self, path: Path, raw: Any) -> tuple[ClosureEntry, ...]:
        closures = []
        for index, item in enumerate(self.sequence(path, raw, "closures")):
            here = (*path, index)
            data = self.mapping(here, item, CLOSURE_FIELDS, "a closure: from, to, reason")
            if "from" not in data:
                self.problems.append(Problem((*here, "from"), "the first day closed is required"))
                continue
            starts = self.value((*here, "from"), parse_date, data["from"], None)
            ends = self.value((*here, "to"), parse_date, data["to"], None) if "to" in data else starts
            reason = self.value(
                (*here, "reason"),
                lambda v: parse_text(v, max_length=200, one_line=True),
                data.get("reason"),
                "",
            )
            if starts is None or ends is None:
                continue
            if ends < starts:
                self.problems.append(Problem(here, f"the closure ends ({ends}) before it starts ({starts})"))
                continue
            closures.append(ClosureEntry(starts, ends, reason))
        return tuple(sorted(closures, key=lambda closure: (closure.starts_on, closure.ends_on)))

    def communes(self, path: Path, raw: Any) -> tuple[str, ...]:
        known = self.vocabulary.communes
        if isinstance(raw, str) and raw.strip().lower() == "all":
            return tuple(sorted(known))
        codes: list[str] = []
        for index, code in enumerate(self.sequence(path, raw, "INSEE codes, or 'all'")):
            text = str(code).strip()
            if text not in known:
                self.problems.append(
                    Problem((*path, index), f"{code!r} is not the INSEE code of a commune of the territory")
                )
            elif text in codes:
                self.problems.append(Problem((*path, index), f"{text} is listed twice"))
            else:
                codes.append(text)
        return tuple(sorted(codes))

    def service(self, path: Path, raw: Any) -> ServiceEntry | None:
        if not isinstance(raw, Mapping):
            self.problems.append(Problem(path, "expected a service: name, category, communes, ..."))
            return None
        data = self.mapping(path, raw, SERVICE_FIELDS, "a service")
        category = str(data.get("category") or "").strip()
        label = self.vocabulary.categories.get(category)
        if not category:
            self.problems.append(Problem((*path, "category"), "a category is required"))
        elif label is None:
            self.problems.append(
                Problem((*path, "category"), f"{category!r} is not a category of the service taxonomy")
            )
        # A service is named after its category unless named otherwise.
        name = data.get("name") or label or category
        return ServiceEntry(
            name=self.value((*path, "name"), parse_name, name, "") if name else "",
            category=category,
            communes=self.communes((*path, "communes"), data.get("communes")),
            status=self.value((*path, "status"), parse_status, data.get("status", "active"), "active"),
            description=self.value((*path, "description"), parse_text, data.get("description"), ""),
            fees=self.value((*path, "fees"), parse_text, data.get("fees"), ""),
            eligibility=self.value((*path, "eligibility"), parse_text, data.get("eligibility"), ""),
            phones=self.phones((*path, "phones"), data.get("phones"), "service"),
            hours=self.hours((*path, "hours"), data.get("hours")),
            closures=self.closures((*path, "closures"), data.get("closures")),
        )

    def association(self, raw: Any) -> AssociationEntry:
        data = self.mapping((), raw, ASSOCIATION_FIELDS, "an association")
        address = self.mapping(("address",), data.get("address"), ADDRESS_FIELDS, "street, postal_code, city")
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
                        f"duplicate: the association already has a service named {service.name!r}",
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
            phones=self.phones(("phones",), data.get("phones"), "association"),
            hours=self.hours(("hours",), data.get("hours")),
            closures=self.closures(("closures",), data.get("closures")),
            services=tuple(sorted(services, key=lambda service: service.name)),
        )


def from_document(document: Any, vocabulary: Vocabulary) -> tuple[AssociationEntry, list[Problem]]:
    """Check a document (as `to_document` writes it); the entry is only usable if there is no problem."""
    checker = _Checker(vocabulary)
    entry = checker.association(document)
    return entry, checker.problems


# --- the database ----------------------------------------------------------------------------------------


def load_associations(session: Session, *, ids: Iterable[int] | None = None) -> list[Association]:
    """Associations with all their details loaded, by name."""
    query = (
        select(Association)
        .options(
            selectinload(Association.phones),
            selectinload(Association.schedules),
            selectinload(Association.closures),
            selectinload(Association.services).selectinload(Service.areas),
            selectinload(Association.services).selectinload(Service.phones),
            selectinload(Association.services).selectinload(Service.schedules),
            selectinload(Association.services).selectinload(Service.closures),
        )
        .order_by(Association.name)
    )
    if ids is not None:
        query = query.where(Association.id.in_(list(ids)))
    return list(session.scalars(query))


def entry_of(association: Association) -> AssociationEntry:
    """The entry of an association as the database holds it."""
    return AssociationEntry(
        name=association.name,
        active=association.active,
        priority=association.priority,
        description=association.description,
        email=association.email,
        website=association.website,
        street_address=association.street_address,
        postal_code=association.postal_code,
        city=association.city,
        notes=association.notes,
        phones=_phones_of(association.phones),
        hours=_hours_of(association.schedules),
        closures=_closures_of(association.closures),
        services=tuple(
            ServiceEntry(
                name=service.name,
                category=service.category_code,
                communes=tuple(sorted(service.commune_codes)),
                status=service.status,
                description=service.description,
                fees=service.fees,
                eligibility=service.eligibility,
                phones=_phones_of(service.phones),
                hours=_hours_of(service.schedules),
                closures=_closures_of(service.closures),
            )
            for service in sorted(association.services, key=lambda s: s.name)
        ),
    )


def _phones_of(phones: Iterable[Phone]) -> tuple[PhoneEntry, ...]:
    return tuple(PhoneEntry(p.number, p.description, p.ivr) for p in sorted(phones, key=lambda p: p.id))


def _hours_of(schedules: Iterable[Schedule]) -> tuple[HoursEntry, ...]:
    spans = (HoursEntry(s.weekday, s.opens, s.closes) for s in schedules)
    return tuple(sorted(spans, key=lambda span: (span.weekday, span.opens)))


def _closures_of(closures: Iterable[Closure]) -> tuple[ClosureEntry, ...]:
    entries = (ClosureEntry(c.starts_on, c.ends_on, c.reason) for c in closures)
    return tuple(sorted(entries, key=lambda closure: (closure.starts_on, closure.ends_on)))


def apply_entry(session: Session, association: Association, entry: AssociationEntry) -> None:
    """Make the association (new or loaded with `load_associations`) say what the entry says."""
    for name in (
        "name",
        "active",
        "priority",
        "description",
        "email",
        "website",
        "street_address",
        "postal_code",
        "city",
        "notes",
    ):
        setattr(association, name, getattr(entry, name))
    association.phones = [Phone(number=p.number, description=p.description, ivr=p.ivr) for p in entry.phones]
    association.schedules = [Schedule(weekday=h.weekday, opens=h.opens, closes=h.closes) for h in entry.hours]
    association.closures = [
        Closure(starts_on=c.starts_on, ends_on=c.ends_on, reason=c.reason) for c in entry.closures
    ]
    # Services keep their row (and id) when their name stays.
    existing = {service.name: service for service in association.services}
    services = []
    for item in entry.services:
        service = existing.get(item.name) or Service(name=item.name)
        service.category_code = item.category
        service.status = item.status
        service.description, service.fees, service.eligibility = item.description, item.fees, item.eligibility
        kept = [area for area in service.areas if area.commune_insee in item.communes]
        have = {area.commune_insee for area in kept}
        service.areas = kept + [ServiceArea(commune_insee=code) for code in item.communes if code not in have]
        service.phones = [Phone(number=p.number, description=p.description, ivr=p.ivr) for p in item.phones]
        service.schedules = [Schedule(weekday=h.weekday, opens=h.opens, closes=h.closes) for h in item.hours]
        service.closures = [
            Closure(starts_on=c.starts_on, ends_on=c.ends_on, reason=c.reason) for c in item.closures
        ]
        services.append(service)
    association.services = services
    session.add(association)
    session.flush()
