"""Reference data shipped with the project: the territory's communes and the service taxonomy."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import cache
from importlib import resources

from foundation.yaml_text import load_yaml


@dataclass(frozen=True)
class CommuneRow:
    """One line of brenne-communes.csv."""

    insee: str
    postal_code: str
    name: str
    park_member: str


@dataclass(frozen=True)
class CategoryRow:
    """One category or sub-category of services-taxonomy.yaml."""

    code: str
    label: str
    parent_code: str | None
    synonyms: tuple[str, ...]
    sap_codes: tuple[str, ...] = ()


@dataclass(frozen=True)
class SapActivity:
    """An activity of the legal list of "services à la personne" (Code du travail art. D7231-1, 2023)."""

    code: str
    regime: str
    label: str


def _data(name: str) -> str:
    return resources.files("directory").joinpath("data", name).read_text(encoding="utf-8")


@cache
def territory_communes() -> tuple[CommuneRow, ...]:
    """The communes of the park (2010 charter) and those proposed in 2025."""
    reader = csv.DictReader(io.StringIO(_data("brenne-communes.csv")))
    return tuple(
        CommuneRow(row["insee"], row["postal_code"], row["name"], row["park_member"]) for row in reader
    )


@cache
def taxonomy() -> tuple[CategoryRow, ...]:
    """Every category of the taxonomy, parents before their sub-categories."""
    document = load_yaml(_data("services-taxonomy.yaml"))
    rows: list[CategoryRow] = []
    for category in document["categories"]:
        services = category.get("services", [])
        synonyms = tuple(word for service in services for word in service.get("synonyms_fr", []))
        rows.append(CategoryRow(category["id"], category["label_fr"], None, synonyms))
        rows.extend(
            CategoryRow(
                service["id"],
                service["label_fr"],
                category["id"],
                tuple(service.get("synonyms_fr", [])),
                tuple(service.get("sap_2023", [])),
            )
            for service in services
        )
    return tuple(rows)


@cache
def sap_activities() -> dict[str, SapActivity]:
    """The legal list of "services à la personne" by code ("I.1" ... "II.21")."""
    reader = csv.DictReader(io.StringIO(_data("sap-2023.csv")))
    return {row["code"]: SapActivity(row["code"], row["regime"], row["label"]) for row in reader}


def category_codes() -> list[str]:
    """The codes a menu option or an association may name."""
    return [row.code for row in taxonomy()]
