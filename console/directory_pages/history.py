"""An association's change history in words: the fields as its forms name them, the values as users read them.

The history keeps the association's document before and after each change (see `directory.documents`):
codes, day keys, ISO dates and lists. This says them as the forms do: category labels, 'lundi', 'oui'.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from console.context import phone
from directory.audit import changed_fields
from directory.codes import ServiceStatus
from directory.documents import AssociationField, ServiceField
from directory.models import DirectoryChange
from directory.territory import name_key
from foundation.config import DAY_NAMES_FR, DAYS

NOTHING = "—"


@dataclass(frozen=True)
class Names:
    """The directory's names for the codes a document holds."""

    categories: Mapping[str, str]
    communes: Mapping[str, str]


@dataclass(frozen=True)
class ChangeLine:
    """One change of the history: the fields it touched, and each value before and after, in words."""

    change: DirectoryChange
    fields: list[str]
    rows: list[tuple[str, str, str]]


def change_lines(changes: list[DirectoryChange], names: Names) -> list[ChangeLine]:
    """The changes in words, in the order given."""
    lines = []
    for change in changes:
        fields = changed_fields(change)
        rows: list[tuple[str, str, str]] = []
        before, after = change.before or {}, change.after or {}
        for field in fields:
            if field == AssociationField.SERVICES:
                rows += _service_rows(before.get(field) or [], after.get(field) or [], names)
            else:
                label = AssociationField.label_of(field)
                rows.append(
                    (label, _value(field, before.get(field), names), _value(field, after.get(field), names))
                )
        lines.append(ChangeLine(change, [AssociationField.label_of(field) for field in fields], rows))
    return lines


def _value(field: str, value: Any, names: Names) -> str:
    """A value of an association's or a service's document, in words."""
    if value is None or value == "" or value == []:
        return NOTHING
    if isinstance(value, bool):
        return "oui" if value else "non"
    shown = _SHOWN.get(field)
    return shown(value, names) if shown else str(value)


def _category(value: Any, names: Names) -> str:
    return names.categories.get(str(value), str(value))


def _status(value: Any, names: Names) -> str:
    return ServiceStatus.label_of(str(value))


def _address(value: Any, names: Names) -> str:
    town = " ".join(str(value.get(key)) for key in ("postal_code", "city") if value.get(key))
    return ", ".join(part for part in (str(value.get("street") or ""), town) if part) or NOTHING


def _phones(value: Any, names: Names) -> str:
    shown = []
    for item in value:
        text = phone(str(item.get("number") or ""))
        if item.get("description"):
            text += f" ({item['description']})"
        if item.get("ivr"):
            text += ", composé par le serveur vocal"
        shown.append(text)
    return " ; ".join(shown)


def _hours(value: Any, names: Names) -> str:
    days = [
        f"{DAY_NAMES_FR[DAYS.index(day)] if day in DAYS else day} {', '.join(spans)}"
        for day, spans in value.items()
    ]
    return " ; ".join(days)


def _closures(value: Any, names: Names) -> str:
    shown = []
    for item in value:
        starts, ends = _date(item.get("from")), _date(item.get("to") or item.get("from"))
        text = f"le {starts}" if starts == ends else f"du {starts} au {ends}"
        shown.append(f"{text} ({item['reason']})" if item.get("reason") else text)
    return " ; ".join(shown)


def _date(value: Any) -> str:
    try:
        return date.fromisoformat(str(value)).strftime("%d/%m/%Y")
    except ValueError:
        return str(value)


def _communes(value: Any, names: Names) -> str:
    if isinstance(value, str):
        return "tout le territoire" if value == "all" else value
    return ", ".join(sorted((names.communes.get(str(insee), str(insee)) for insee in value), key=name_key))


_SHOWN: dict[str, Callable[[Any, Names], str]] = {
    "address": _address,
    "phones": _phones,
    "hours": _hours,
    "closures": _closures,
    "communes": _communes,
    "category": _category,
    "status": _status,
}


def _service_rows(before: list[Any], after: list[Any], names: Names) -> list[tuple[str, str, str]]:
    """The services added, removed or changed, by name; a changed one field by field."""
    old = {str(item.get("name")): item for item in before}
    new = {str(item.get("name")): item for item in after}
    rows = []
    for name in dict.fromkeys([*old, *new]):
        was, now = old.get(name), new.get(name)
        title = f"Service « {name} »"
        if was is None or now is None:
            rows.append((title, _service(was, names), _service(now, names)))
            continue
        for field in ServiceField:
            if was.get(field) != now.get(field):
                label = f"{title} : {field.label.lower()}"
                rows.append(
                    (label, _value(field, was.get(field), names), _value(field, now.get(field), names))
                )
    return rows


def _service(item: Mapping[str, Any] | None, names: Names) -> str:
    """A service in one line: its category, its state and where it is offered."""
    if item is None:
        return NOTHING
    parts = [
        _value("category", item.get("category"), names),
        _value("status", item.get("status"), names).lower(),
        _value("communes", item.get("communes"), names),
    ]
    return ", ".join(part for part in parts if part != NOTHING)
