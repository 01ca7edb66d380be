"""Unmet demand: no association covers the service where it is needed, or nobody answered."""

from __future__ import annotations

from sqlalchemy import String, case, func, literal, or_, select
from sqlalchemy.orm import Session

from call_log.codes import Outcome, OutcomeGroup
from call_log.models import Call
from call_log.search import outcome_is
from directory.models import ServiceCategory
from foundation.codes import Code
from reports.observatory import Zone, place_name, zone_of
from reports.period import ReportPeriod, grouped_counts
from reports.tables import Column, ReportTable, code_column, dimension, table


class UnmetReason(Code):
    """Why a demand went unmet."""

    NO_ASSOCIATION = "no_association", "Aucune association ne couvre ce service à cet endroit"
    NOT_ANSWERED = "not_answered", OutcomeGroup.NOT_ANSWERED.label


def unmet_demand(session: Session, period: ReportPeriod) -> list[ReportTable]:
    """Unmet demand: no association covers the service there, or nobody answered; by category and place."""
    top = func.coalesce(ServiceCategory.parent_code, Call.category_code)
    reason = case(
        (outcome_is(Outcome.UNMET), literal(UnmetReason.NO_ASSOCIATION, String)),
        else_=literal(UnmetReason.NOT_ANSWERED, String),
    )
    by_reason = grouped_counts(
        session,
        select(reason.label("reason"), top.label("category"))
        .outerjoin(ServiceCategory, ServiceCategory.code == Call.category_code)
        .where(period.calls(), or_(outcome_is(Outcome.UNMET), outcome_is(OutcomeGroup.NOT_ANSWERED)))
        .subquery(),
    )
    place = case((Call.in_territory.is_(True), Call.commune_insee), else_=Call.departement)
    places = grouped_counts(
        session,
        select(top.label("category"), zone_of(Call.in_territory).label("zone"), place.label("place"))
        .outerjoin(ServiceCategory, ServiceCategory.code == Call.category_code)
        .where(period.calls(), outcome_is(Outcome.UNMET))
        .subquery(),
    )
    label = period.names.category
    unmet_rows = [
        (reason_code, UnmetReason.label_of(reason_code), code or "", label(code), calls)
        for reason_code, code, calls in sorted(
            by_reason, key=lambda r: (r[0], -r[2], r[1] is None, r[1] or "")
        )
    ]

    place_rows = [
        (
            code or "",
            label(code),
            zone,
            Zone.label_of(zone),
            place or "",
            place_name(period.names, zone, place),
            calls,
        )
        for code, zone, place, calls in sorted(places, key=lambda r: (-r[3], r[0] or "", r[1], r[2] or ""))
    ]
    return [
        table(
            "unmet",
            "Demande non satisfaite",
            (
                code_column("reason", "Code raison"),
                dimension("reason_label", "Raison"),
                code_column("category", "Code du service"),
                dimension("category_label", "Service"),
                Column("calls", "Appels"),
            ),
            unmet_rows,
            note=(
                f"« {OutcomeGroup.NOT_ANSWERED.label} » : sonnerie sans réponse, messagerie, "
                "ou appel hors horaires."
            ),
        ),
        table(
            "uncovered_places",
            "Services demandés là où aucune association ne les couvre",
            (
                code_column("category", "Code du service"),
                dimension("category_label", "Service"),
                code_column("zone", "Code zone"),
                dimension("zone_label", "Zone"),
                code_column("place_code", "Code INSEE ou département"),
                dimension("place", "Commune ou département"),
                Column("calls", "Appels"),
            ),
            place_rows,
        ),
    ]
