"""`helpline directory check`: what would make routing fail or a caller go unserved."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from directory.codes import ServiceStatus
from directory.coverage import coverage_matrix
from directory.models import Association, Phone, Service, ServiceArea
from directory.reference import territory_communes
from directory.routing import dial_number
from directory.storage import load_associations
from directory.values import parse_phone


@dataclass(frozen=True)
class Finding:
    """One thing the check found: an error (routing is wrong) or a warning (worth a look)."""

    level: Literal["error", "warning"]
    message: str

    def __str__(self) -> str:
        return f"{'erreur' if self.level == 'error' else 'à vérifier'} : {self.message}"


def check_directory(session: Session, *, menu_categories: Iterable[str] = ()) -> list[Finding]:
    """Phone numbers valid E.164 (and one for the IVR to dial), every category covered somewhere, no commune
    code unknown to the territory's list.

    A category of the voice menu that no active association covers anywhere is an error; any other
    uncovered category of the taxonomy is a warning.
    """
    findings: list[Finding] = []
    associations = load_associations(session)
    for association in associations:
        findings += _phone_findings(association.name, association.phones)
        for service in association.services:
            where = f"{association.name} / {service.name}"
            findings += _phone_findings(where, service.phones)
            if service.status == ServiceStatus.ACTIVE and association.active:
                if dial_number(service) is None:
                    findings.append(
                        Finding("error", f"{where} : aucun numéro à composer pour le serveur vocal")
                    )
                if not service.areas:
                    findings.append(Finding("warning", f"{where} : actif mais ne couvre aucune commune"))
    findings += _coverage_findings(session, set(menu_categories))
    known = {row.insee for row in territory_communes()}
    unknown = session.execute(
        select(Association.name, Service.name, ServiceArea.commune_insee)
        .join(Service, Service.id == ServiceArea.service_id)
        .join(Association, Association.id == Service.association_id)
        .where(ServiceArea.commune_insee.not_in(known))
        .order_by(Association.name, Service.name, ServiceArea.commune_insee)
    )
    findings += [
        Finding(
            "error",
            f"{name} / {service} : la commune {code} n'est pas dans la liste des communes du territoire",
        )
        for name, service, code in unknown
    ]
    return findings


def _phone_findings(where: str, phones: list[Phone]) -> list[Finding]:
    findings = []
    for phone in phones:
        try:
            normalized = parse_phone(phone.number)
        except ValueError as exc:
            findings.append(Finding("error", f"{where} : {exc}"))
            continue
        if normalized != phone.number:
            message = (
                f"{where} : le numéro « {phone.number} » n'est pas au format E.164 (écrivez {normalized})"
            )
            findings.append(Finding("error", message))
    if sum(phone.ivr for phone in phones) > 1:
        findings.append(
            Finding(
                "error", f"{where} : plusieurs numéros sont marqués comme celui que compose le serveur vocal"
            )
        )
    return findings


def _coverage_findings(session: Session, menu_categories: set[str]) -> list[Finding]:
    matrix = coverage_matrix(session)
    findings = []
    for category in matrix.categories:
        if any(matrix.count(commune.insee, category.code) for commune in matrix.communes):
            continue
        if category.code in menu_categories:
            message = f"la catégorie {category.code} ({category.label}) est au menu vocal mais aucune "
            findings.append(Finding("error", message + "association active ne la couvre nulle part"))
        else:
            findings.append(
                Finding(
                    "warning", f"la catégorie {category.code} ({category.label}) n'est couverte nulle part"
                )
            )
    return findings
