"""The directory in Open Referral's HSDS 3.0: a JSON list of organizations with their services nested.

Identifiers are UUIDs derived from our own keys, so that the same directory always exports the same ids.
Weekly hours become WEEKLY schedules (a service without hours of its own takes its association's);
closures become schedules valid over their dates that say "Fermé". Categories and the legal
"services à la personne" activities become taxonomy terms attached to services.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from directory.codes import ServiceStatus
from directory.entries import HoursEntry
from directory.models import Association, Closure, Commune, Phone, Schedule, Service, ServiceCategory
from directory.reference import sap_activities
from directory.storage import load_associations
from directory.values import format_span

# Our identifiers, made HSDS UUIDs (uuid5 in this namespace).
NAMESPACE = uuid.UUID("6f1c2d9e-4a51-5b7e-9c3a-1001b4e00001")
TAXONOMY = "1001-services"
SAP_TAXONOMY = "sap_2023"
_WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
# HSDS's words for our service statuses.
_STATUS: dict[str, str] = {
    ServiceStatus.ACTIVE: "active",
    ServiceStatus.INACTIVE: "inactive",
    ServiceStatus.TEMPORARILY_CLOSED: "temporarily closed",
}


def hsds_id(*parts: object) -> str:
    """The UUID that stands for one of our rows, such as hsds_id("organization", 3)."""
    return str(uuid.uuid5(NAMESPACE, "/".join(str(part) for part in parts)))


def export_hsds(session: Session, *, published: bool = False) -> list[dict[str, Any]]:
    """Every association as an HSDS 3.0 organization, with its services, phones, schedules and areas.

    `published`: only what the public site shows, as open data: active associations and their services
    that are not inactive (a temporarily closed one stays, with its status).
    """
    categories = {category.code: category for category in session.scalars(select(ServiceCategory))}
    communes = {commune.insee: commune for commune in session.scalars(select(Commune))}
    associations = load_associations(session)
    if published:
        associations = [association for association in associations if association.active]
    return [_organization(a, categories, communes, published=published) for a in associations]


def _organization(
    association: Association,
    categories: dict[str, ServiceCategory],
    communes: dict[str, Commune],
    *,
    published: bool,
) -> dict[str, Any]:
    org_id = hsds_id("organization", association.id)
    services = [
        service
        for service in association.services
        if not published or service.status != ServiceStatus.INACTIVE
    ]
    organization: dict[str, Any] = {
        "id": org_id,
        "name": association.name,
        "description": association.description,
        "phones": [_phone(phone, organization_id=org_id) for phone in association.phones],
        "services": [
            _service(service, org_id, categories, communes, published=published) for service in services
        ],
    }
    if association.email:
        organization["email"] = association.email
    if association.website:
        organization["website"] = association.website
    if association.street_address or association.city:
        location_id = hsds_id("location", association.id)
        organization["locations"] = [
            {
                "id": location_id,
                "organization_id": org_id,
                "location_type": "postal",
                "name": association.name,
                "addresses": [
                    {
                        "id": hsds_id("address", association.id),
                        "location_id": location_id,
                        "address_1": association.street_address,
                        "city": association.city,
                        # The département, from the postal code (36 for the Indre).
                        "state_province": association.postal_code[:2],
                        "postal_code": association.postal_code,
                        "country": "FR",
                        "address_type": "postal",
                    }
                ],
            }
        ]
    return organization


def _phone(phone: Phone, **owner: str) -> dict[str, Any]:
    owner_id = next(iter(owner.values()))
    document: dict[str, Any] = {
        "id": hsds_id("phone", owner_id, phone.number),
        **owner,
        "number": phone.number,
        "type": "voice",
    }
    if phone.description:
        document["description"] = phone.description
    return document


def _service(
    service: Service,
    org_id: str,
    categories: dict[str, ServiceCategory],
    communes: dict[str, Commune],
    *,
    published: bool,
) -> dict[str, Any]:
    service_id = hsds_id("service", service.id)
    association = service.association
    document: dict[str, Any] = {
        "id": service_id,
        "organization_id": org_id,
        "name": service.name,
        "description": service.description,
        "status": _STATUS[service.status],
        "phones": [_phone(phone, service_id=service_id) for phone in service.phones],
        "schedules": _weekly(service_id, service.schedules or association.schedules)
        + _closures(service_id, [*association.closures, *service.closures], published=published),
        "service_areas": [
            {
                "id": hsds_id("service_area", service_id, code),
                "service_id": service_id,
                "name": communes[code].name,
                "description": f"{communes[code].name} ({communes[code].postal_code}), INSEE {code}",
                "extent_type": "other",
                "extent": code,
            }
            for code in service.commune_codes
        ],
        "attributes": _attributes(service_id, categories[service.category_code]),
    }
    if service.fees:
        document["fees_description"] = service.fees
    if service.eligibility:
        document["eligibility_description"] = service.eligibility
    return document


def _weekly(service_id: str, schedules: Iterable[Schedule]) -> list[dict[str, Any]]:
    rows = []
    for schedule in schedules:
        span = HoursEntry(schedule.weekday, schedule.opens, schedule.closes)
        opens, closes = format_span(span).split("-")
        rows.append(
            {
                "id": hsds_id("schedule", service_id, schedule.weekday, opens),
                "service_id": service_id,
                "freq": "WEEKLY",
                "wkst": "MO",
                "byday": _WEEKDAYS[schedule.weekday],
                "opens_at": opens,
                "closes_at": closes,
                "description": "Heures d'ouverture (Europe/Paris)",
            }
        )
    return rows


def _closures(service_id: str, closures: Iterable[Closure], *, published: bool) -> list[dict[str, Any]]:
    """The closures as HSDS schedules; published, only their dates (the reason is the staff's own words)."""
    rows = []
    for closure in sorted(closures, key=lambda c: (c.starts_on, c.ends_on)):
        reason = "" if published else closure.reason
        text = f"Fermé du {closure.starts_on:%d/%m/%Y} au {closure.ends_on:%d/%m/%Y}"
        rows.append(
            {
                "id": hsds_id("closure", service_id, closure.starts_on, closure.ends_on),
                "service_id": service_id,
                "valid_from": closure.starts_on.isoformat(),
                "valid_to": closure.ends_on.isoformat(),
                "description": text + (f" : {reason}" if reason else ""),
                "notes": "fermé",
            }
        )
    return rows


def _attributes(service_id: str, category: ServiceCategory) -> list[dict[str, Any]]:
    terms = [_category_term(category)]
    activities = sap_activities()
    terms += [_sap_term(activities[code].code, activities[code].label) for code in category.sap_codes]
    return [
        {
            "id": hsds_id("attribute", service_id, term["id"]),
            "link_id": service_id,
            "link_type": "service_category" if term["taxonomy"] == TAXONOMY else "sap_activity",
            "link_entity": "service",
            "taxonomy_term_id": term["id"],
            "taxonomy_term": term,
        }
        for term in terms
    ]


def _category_term(category: ServiceCategory) -> dict[str, Any]:
    term: dict[str, Any] = {
        "id": hsds_id("taxonomy_term", TAXONOMY, category.code),
        "code": category.code,
        "name": category.label,
        "description": category.label,
        "taxonomy": TAXONOMY,
        "language": "fr",
        "taxonomy_detail": {
            "id": hsds_id("taxonomy", TAXONOMY),
            "name": "1001 services",
            "description": "Catégories de services du 1001 services (Parc naturel régional de la Brenne)",
        },
    }
    if category.parent_code:
        term["parent_id"] = hsds_id("taxonomy_term", TAXONOMY, category.parent_code)
    return term


def _sap_term(code: str, label: str) -> dict[str, Any]:
    return {
        "id": hsds_id("taxonomy_term", SAP_TAXONOMY, code),
        "code": code,
        "name": label,
        "description": f"Code du travail, article D7231-1, {code}",
        "taxonomy": SAP_TAXONOMY,
        "language": "fr",
        "taxonomy_detail": {
            "id": hsds_id("taxonomy", SAP_TAXONOMY),
            "name": "Services à la personne",
            "description": "Activités de services à la personne, Code du travail article D7231-1 (2023)",
            "uri": "https://www.legifrance.gouv.fr/codes/article_lc/LEGIARTI000047850989",
            "version": "2023-07-17",
        },
    }
