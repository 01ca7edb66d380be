"""The HSDS 3.0 export validates against Open Referral's official JSON schemas and says what we hold."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from functools import cache
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from directory.hsds import export_hsds, hsds_id
from directory.models import Association
from tests.directory_support import DATA, RICH_DIRECTORY, replace_directory

SCHEMAS = DATA / "hsds-3.0"


@cache
def validator(name: str) -> Draft202012Validator:
    """A validator for a compiled HSDS schema (the files declare no $schema: HSDS 3.0 is draft 2020-12)."""
    schema = json.loads((SCHEMAS / f"{name}.json").read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def schema_errors(organizations: list[dict[str, Any]]) -> list[str]:
    """Every validation error of the organizations (and, on their own, of their services)."""
    errors = []
    for organization in organizations:
        errors += [f"{e.json_path}: {e.message}" for e in validator("organization").iter_errors(organization)]
        for service in organization.get("services", []):
            errors += [f"{e.json_path}: {e.message}" for e in validator("service").iter_errors(service)]
    return errors


@pytest.fixture
def exported(sessions: sessionmaker[Session]) -> Iterator[list[dict[str, Any]]]:
    """The HSDS export of the rich test directory."""
    with sessions() as session:
        replace_directory(session, RICH_DIRECTORY.read_text(encoding="utf-8"))
        yield export_hsds(session)


def test_export_validates_against_the_hsds_schemas(exported: list[dict[str, Any]]) -> None:
    """Every organization and every service of the export is valid HSDS 3.0 (formats such as uuid checked)."""
    assert [organization["name"] for organization in exported] == [
        "Association en sommeil",
        "Brenne Aide à Domicile",
        "Les Jardiniers de la Brenne",
    ]
    assert schema_errors(exported) == []


def test_the_validation_would_catch_a_broken_export(exported: list[dict[str, Any]]) -> None:
    """The check is real: a missing name, a bad uuid and an unknown status are each reported."""
    broken = copy.deepcopy(exported)
    del broken[0]["name"]
    broken[1]["id"] = "not-a-uuid"
    broken[1]["services"][0]["status"] = "temporarily_closed"
    assert schema_errors(broken) == [
        "$: 'name' is a required property",
        "$.id: 'not-a-uuid' is not a 'uuid'",
        "$.services[0].status: 'temporarily_closed' is not one of "
        "['active', 'inactive', 'defunct', 'temporarily closed']",
        "$.status: 'temporarily_closed' is not one of "
        "['active', 'inactive', 'defunct', 'temporarily closed']",
    ]


def test_export_carries_the_directory(exported: list[dict[str, Any]]) -> None:
    """Contact details, status, hours, closures, coverage and taxonomy terms are where HSDS puts them."""
    brenne = exported[1]
    assert (brenne["email"], brenne["website"]) == (
        "contact@brenne-aide.example.org",
        "https://brenne-aide.example.org",
    )
    [address] = brenne["locations"][0]["addresses"]
    assert (address["address_1"], address["postal_code"], address["city"], address["country"]) == (
        "2 rue de la Gare",
        "36300",
        "Le Blanc",
        "FR",
    )
    assert [(p["number"], p.get("description")) for p in brenne["phones"]] == [
        ("+33261912001", "Accueil (standard)"),
        ("+33639980011", "2e ligne, responsable"),
    ]
    aged, menage = brenne["services"]
    assert aged["status"] == "temporarily closed"
    assert [
        (s.get("byday"), s.get("opens_at"), s.get("closes_at"), s.get("valid_from"))
        for s in aged["schedules"]
    ] == [
        ("MO", "07:00", "24:00", None),
        ("SA", "08:00", "12:00", None),
        (None, None, None, "2026-08-01"),
        (None, None, None, "2026-12-24"),
        (None, None, None, "2027-05-01"),
    ]
    assert aged["schedules"][2]["description"] == "Fermé du 01/08/2026 au 15/08/2026 : Fermeture estivale"
    assert [area["extent"] for area in aged["service_areas"]] == ["36018", "36053", "36066"]
    assert aged["service_areas"][0]["name"] == "Le Blanc"
    terms = [(a["taxonomy_term"]["taxonomy"], a["taxonomy_term"]["code"]) for a in aged["attributes"]]
    assert terms == [
        ("1001-services", "AUTONOMIE.AUXILIAIRE_DE_VIE"),
        ("sap_2023", "I.3"),
        ("sap_2023", "II.20"),
    ]
    assert aged["attributes"][0]["taxonomy_term"]["parent_id"] == hsds_id(
        "taxonomy_term", "1001-services", "AUTONOMIE"
    )
    # The household service has no hours of its own: it exports its association's (9 spans) and closures.
    assert len([s for s in menage["schedules"] if "byday" in s]) == 9
    assert (menage["fees_description"], menage["eligibility_description"]) == (
        "Tarif horaire selon revenus ; crédit d'impôt de 50 %",
        "Toute personne du territoire",
    )
    assert len(menage["service_areas"]) == 61


def test_identifiers_are_stable_across_exports(sessions: sessionmaker[Session]) -> None:
    """The same directory exports the same UUIDs, derived from our keys, so consumers can follow changes."""
    with sessions() as session:
        replace_directory(session, RICH_DIRECTORY.read_text(encoding="utf-8"))
        first, second = export_hsds(session), export_hsds(session)
        brenne = session.scalars(
            select(Association).where(Association.name == "Brenne Aide à Domicile")
        ).one()
        service_ids = [service.id for service in brenne.services]
    assert first == second
    assert first[1]["id"] == hsds_id("organization", brenne.id)
    assert [service["id"] for service in first[1]["services"]] == [hsds_id("service", i) for i in service_ids]
