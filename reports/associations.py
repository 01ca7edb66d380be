"""Associations: per association (and the operators), transfers, answers, referrals and their follow-up."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from call_log.codes import DialResult, TransferTarget
from call_log.models import Call, Referral, TransferAttempt
from directory.models import Association
from reports.period import ReportPeriod, count_if, within_24h
from reports.tables import Column, ReportTable, code_column, dimension, share, table


def per_association(session: Session, period: ReportPeriod) -> list[ReportTable]:
    """Per association (and the operators): transfers, answers, referrals, contacts within 24 h, quotes."""
    transfers = session.execute(
        select(
            TransferAttempt.target,
            TransferAttempt.association_id,
            func.count(),
            count_if(TransferAttempt.result == DialResult.COMPLETED),
        )
        .join(Call, Call.id == TransferAttempt.call_id)
        .where(period.calls())
        .group_by(TransferAttempt.target, TransferAttempt.association_id)
    )
    referrals = session.execute(
        select(
            Referral.association_id,
            func.count(),
            count_if(within_24h(Referral.contacted_at, Referral.created_at, period.dialect)),
            count_if(Referral.quote_sent_at.is_not(None)),
        )
        .join(Call, Call.id == Referral.call_id)
        .where(period.calls())
        .group_by(Referral.association_id)
    )
    figures: dict[tuple[str, int | None], list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    for target, association_id, attempts, answered in transfers:
        key = (
            (TransferTarget.OPERATORS, None)
            if target == TransferTarget.OPERATORS
            else (TransferTarget.ASSOCIATION, association_id)
        )
        figures[key][0] += attempts
        figures[key][1] += answered
    for association_id, referred, contacted, quoted in referrals:
        figures[(TransferTarget.ASSOCIATION, association_id)][2:] = [referred, contacted, quoted]
    ids = [key[1] for key in figures if key[1] is not None]
    names = dict(
        session.execute(select(Association.id, Association.name).where(Association.id.in_(ids))).all()
    )

    def name(key: tuple[str, int | None]) -> str:
        if key[0] == TransferTarget.OPERATORS:
            return "Opérateurs"
        return (
            names.get(key[1], "Association supprimée") if key[1] is not None else "Association non précisée"
        )

    ordered = sorted(figures, key=lambda key: (key[0] == TransferTarget.OPERATORS, name(key)))
    rows = [
        (
            key[0],
            "" if key[1] is None else str(key[1]),
            name(key),
            attempts,
            answered,
            share(answered, attempts),
            referred,
            contacted,
            quoted,
        )
        for key in ordered
        for attempts, answered, referred, contacted, quoted in [figures[key]]
    ]
    return [
        table(
            "associations",
            "Associations : transferts, orientations et suivi",
            (
                code_column("target", "Type"),
                code_column("association_id", "N°"),
                dimension("association", "Association"),
                Column("transfers", "Transferts"),
                Column("answered", "Décrochés"),
                Column("answer_rate", "Taux de décroché", "share"),
                Column("referrals", "Orientations"),
                Column("contacted_24h", "Recontactés sous 24 h"),
                Column("quotes", "Devis envoyés"),
            ),
            rows,
        )
    ]
