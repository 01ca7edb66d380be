"""The part of the settings staff change from the console: the calendar, who rings, the menu, the prompts.

config.yaml describes a new installation. What staff change is kept in the database as a document of the
same shape as these sections of the file, validated by the same schema: `with_staff_document` lays it over
the file's config and validates the whole, so that a rule of the file (a known category, six spoken options)
holds for a change made in the console too.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from foundation.config.sections import Config, Operator

# The sections of config.yaml staff may change while the line runs, in the order they are shown.
STAFF_SECTIONS = ("hours", "calendar", "operators", "menu", "prompts")


class StaffDocumentError(ValueError):
    """A document that is not a mapping of staff sections."""


def staff_document(config: Config) -> dict[str, Any]:
    """The staff sections of `config`, as config.yaml writes them (JSON-ready: strings, numbers, lists)."""
    return config.model_dump(mode="json", include=set(STAFF_SECTIONS), exclude_none=True)


def with_staff_document(
    base: Config, document: Mapping[str, Any], *, categories: Iterable[str] | None = None
) -> Config:
    """`base` with the sections of `document` in place of its own, validated as one config.

    Raises pydantic's ValidationError (locations are YAML paths from the root, as for the file) or
    StaffDocumentError for a section staff may not change.
    """
    if not isinstance(document, Mapping):
        raise StaffDocumentError("il faut une liste de réglages (hours, calendar, operators, menu, prompts)")
    unknown = sorted(str(key) for key in document if key not in STAFF_SECTIONS)
    if unknown:
        raise StaffDocumentError(
            f"{', '.join(unknown)} : ces réglages ne se changent pas ici "
            f"(valides : {', '.join(STAFF_SECTIONS)}) ; les autres se règlent dans config.yaml"
        )
    # The file's sections as they are (already valid), the document's to be validated.
    data: dict[str, Any] = {name: getattr(base, name) for name in Config.model_fields}
    data.update(document)
    context = {"categories": list(categories)} if categories is not None else None
    return Config.model_validate(data, context=context)


def on_duty(config: Config) -> list[Operator]:
    """The operators' phones that ring when a caller needs a human."""
    return [operator for operator in config.operators if operator.on_duty]
