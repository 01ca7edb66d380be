"""The observatory of demand: where the service is needed, for whom, and how callers heard of the number."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import ColumnElement, SQLColumnExpression, String, case, func, literal, select
from sqlalchemy.orm import Session

from call_log.codes import Beneficiary, HeardFrom
from call_log.models import Call
from foundation.codes import Code
from reports.period import NOT_GIVEN, DirectoryNames, ReportPeriod, grouped_counts
from reports.tables import Column, ReportTable, code_column, dimension, share, table


class Zone(Code):
    """Where the person who needs the service lives, as the report groups places."""

    TERRITORY = "territory", "Territoire du Parc"
    OUTSIDE = "outside", "Hors territoire"
    UNKNOWN = "unknown", "Lieu inconnu"


def zone_of(in_territory: SQLColumnExpression[bool | None]) -> ColumnElement[str]:
    """The zone of a call's beneficiary, computed by the database."""
    return case(
        (in_territory.is_(True), literal(Zone.TERRITORY, String)),
        (in_territory.is_(False), literal(Zone.OUTSIDE, String)),
        else_=literal(Zone.UNKNOWN, String),
    )


def place_name(names: DirectoryNames, zone: str, code: str | None) -> str:
    """A commune's name in the territory, a département elsewhere (`code` is INSEE or département)."""
    if zone == Zone.TERRITORY:
        return names.communes.get(code or "", code or "Commune non précisée")
    if zone == Zone.OUTSIDE:
        return f"Département {code}" if code else "Département non précisé"
    return Zone.UNKNOWN.label


def communes(session: Session, period: ReportPeriod) -> list[ReportTable]:
    """Calls by the beneficiary's place: territory communes, outside by département, unknown."""
    rows = grouped_counts(
        session,
        select(
            zone_of(Call.in_territory).label("zone"),
            case((Call.in_territory.is_(True), Call.commune_insee)).label("insee"),
            case((Call.in_territory.is_(False), Call.departement)).label("departement"),
        )
        .where(period.calls())
        .subquery(),
    )
    total = sum(calls for *_, calls in rows)
    order = list(Zone)

    def place(zone: str, insee: str | None, departement: str | None) -> str:
        return place_name(period.names, zone, insee if zone == Zone.TERRITORY else departement)

    ordered = sorted(rows, key=lambda r: (order.index(r[0]), -r[3], place(r[0], r[1], r[2])))
    return [
        table(
            "communes",
            "Demandes par lieu du bénéficiaire",
            (
                code_column("zone", "Code zone"),
                dimension("zone_label", "Zone"),
                dimension("commune_insee", "Code INSEE"),
                dimension("place", "Commune ou département"),
                code_column("departement", "Département"),
                Column("calls", "Appels"),
                Column("share", "Part des appels", "share"),
            ),
            [
                (
                    zone,
                    Zone.label_of(zone),
                    insee or "",
                    place(zone, insee, dep),
                    dep or "",
                    calls,
                    share(calls, total),
                )
                for zone, insee, dep, calls in ordered
            ],
            note="Le lieu est celui où le service est nécessaire, pas celui d'où l'on appelle.",
        )
    ]


def territory_beneficiary(by_place: Counter[tuple[str, str | None]], total: int) -> ReportTable:
    """Calls by the beneficiary's zone crossed with whom the call is for, every pair (zeros included)."""
    known = Beneficiary.labels()
    beneficiaries = [*known, None, *sorted({b for _, b in by_place if b and b not in known})]
    rows = [
        (
            zone,
            zone.label,
            beneficiary or "",
            Beneficiary.label_of(beneficiary, missing=NOT_GIVEN),
            by_place[(zone, beneficiary)],
            share(by_place[(zone, beneficiary)], total),
        )
        for zone in Zone
        for beneficiary in beneficiaries
    ]
    return table(
        "territory_beneficiary",
        "Territoire et bénéficiaire",
        (
            code_column("zone", "Code zone"),
            dimension("zone_label", "Lieu du bénéficiaire"),
            code_column("beneficiary", "Code bénéficiaire"),
            dimension("beneficiary_label", "Pour qui"),
            Column("calls", "Appels"),
            Column("share", "Part des appels", "share"),
        ),
        rows,
    )


def heard_from(session: Session, period: ReportPeriod) -> list[ReportTable]:
    """How callers heard of the number."""
    counts = session.execute(
        select(Call.heard_from, func.count()).where(period.calls()).group_by(Call.heard_from)
    )
    rows = sorted(counts, key=lambda r: (r[0] is None, -r[1], r[0] or ""))
    total = sum(calls for _, calls in rows)
    return [
        table(
            "heard_from",
            "Comment les appelants ont connu le numéro",
            (
                code_column("heard_from"),
                dimension("heard_from_label", "Source"),
                Column("calls", "Appels"),
                Column("share", "Part des appels", "share"),
            ),
            [
                (code or "", HeardFrom.label_of(code, missing=NOT_GIVEN), calls, share(calls, total))
                for code, calls in rows
            ],
        )
    ]
