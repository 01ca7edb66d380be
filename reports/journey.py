"""The journey of calls: how they ended, the month's rates, and the funnel from the menu to the quote."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from call_log.codes import ANSWERED, LEFT_MESSAGE, NOT_ANSWERED, Beneficiary, Channel, DialResult, Outcome
from call_log.models import Call, Referral, TransferAttempt
from reports.observatory import Zone, territory_beneficiary, zone_of
from reports.period import ReportPeriod, count_if, grouped_counts, within_24h
from reports.tables import Column, ReportTable, code_column, dimension, share, table


def profile(session: Session, period: ReportPeriod) -> list[ReportTable]:
    """Territory crossed with beneficiary, how calls ended, and the month's rates: one GROUP BY for all.

    The crossing is the observatory's table; reading it from the same GROUP BY as the outcomes saves
    the month's calls a second pass.
    """
    query = select(
        zone_of(Call.in_territory).label("zone"), Call.beneficiary, Call.outcome, Call.after_hours
    ).where(period.calls())
    # A few hundred groups at most (3 zones x 5 beneficiaries x 10 outcomes x 2), folded below.
    groups = grouped_counts(session, query.subquery())
    total = sum(calls for *_, calls in groups)
    by_place: Counter[tuple[str, str | None]] = Counter()
    by_outcome: Counter[str | None] = Counter()
    after_hours = 0
    for zone, beneficiary, outcome, late, calls in groups:
        by_place[(zone, beneficiary)] += calls
        by_outcome[outcome] += calls
        after_hours += calls if late else 0
    outcomes = Outcome.labels()
    known = [outcome for outcome in outcomes if by_outcome[outcome]]
    others = sorted(o for o in by_outcome if o is not None and o not in outcomes)
    ordered: list[str | None] = [*known, *others, *([None] if by_outcome[None] else [])]
    outcome_rows = [
        (
            outcome or "",
            Outcome.label_of(outcome, missing="En cours ou non renseigné"),
            by_outcome[outcome],
            share(by_outcome[outcome], total),
        )
        for outcome in ordered
    ]

    def of(*outcomes: str) -> int:
        return sum(by_outcome[outcome] for outcome in outcomes)

    def where(zones: tuple[str, ...] = tuple(Zone), who: tuple[str | None, ...] | None = None) -> int:
        return sum(n for (z, b), n in by_place.items() if z in zones and (who is None or b in who))

    # Calls that reached the voicemail, whether or not the caller left a message.
    reached_voicemail = of(*LEFT_MESSAGE, Outcome.AFTER_HOURS_NO_MESSAGE)
    located, inside = where((Zone.TERRITORY, Zone.OUTSIDE)), where((Zone.TERRITORY,))
    answering, relatives = total - where(who=(None,)), where(who=(Beneficiary.RELATIVE,))
    rates = [
        ("answered", "Appels pris", of(*ANSWERED), total),
        ("abandoned_in_menu", "Raccrochés dans le menu", of(Outcome.ABANDONED_IN_MENU), total),
        ("missed", "Sans réponse (sonnerie)", of(Outcome.MISSED), total),
        ("voicemail", "Messagerie (avec ou sans message)", reached_voicemail, total),
        ("not_answered", "Personne n'a répondu (sonnerie ou messagerie)", of(*NOT_ANSWERED), total),
        ("unmet", "Aucune association pour ce service", of(Outcome.UNMET), total),
        ("after_hours", "Appels hors horaires", after_hours, total),
        ("in_territory", "Bénéficiaire sur le territoire (lieux connus)", inside, located),
        ("for_relative", "Appel pour un proche (réponses connues)", relatives, answering),
    ]
    return [
        territory_beneficiary(by_place, total),
        table(
            "outcomes",
            "Issue des appels",
            (
                code_column("outcome"),
                dimension("outcome_label", "Issue"),
                Column("calls", "Appels"),
                Column("share", "Part des appels", "share"),
            ),
            outcome_rows,
        ),
        table(
            "rates",
            "Taux du mois",
            (
                code_column("indicator"),
                dimension("label", "Indicateur"),
                Column("count", "Nombre"),
                Column("of", "Sur"),
                Column("rate", "Taux", "share"),
            ),
            [(code, label, part, whole, share(part, whole)) for code, label, part, whole in rates],
        ),
    ]


def funnel(session: Session, period: ReportPeriod) -> list[ReportTable]:
    """From the menu to the quote: each stage counts the calls that passed it and every stage before."""
    answered = (
        select(func.max(case((TransferAttempt.result == DialResult.COMPLETED, 1), else_=0)))
        .where(TransferAttempt.call_id == Call.id)
        .scalar_subquery()
    )
    contacted = case((within_24h(Referral.contacted_at, Referral.created_at, period.dialect), 1), else_=0)
    quoted = case((Referral.quote_sent_at.is_not(None), 1), else_=0)
    # Per call, looked up in the covering indexes: None without transfer, else 1 if one was answered;
    # None without referral, else 2 if one was contacted within 24 h, plus 1 if one got a quote.
    followed = (
        select(func.max(contacted) * 2 + func.max(quoted))
        .where(Referral.call_id == Call.id)
        .scalar_subquery()
    )
    per_call = (
        select(answered.label("answered"), followed.label("followed"))
        .where(period.calls(), Call.channel == Channel.IVR)
        # OFFSET keeps PostgreSQL from inlining the subquery, which would look each call up once per use.
        .offset(0)
        .subquery()
    )
    t, r = per_call.c.answered, per_call.c.followed
    figures = session.execute(
        select(
            func.count(),
            func.count(t),
            count_if(t == 1),
            count_if(and_(t == 1, r.is_not(None))),
            count_if(and_(t == 1, r >= 2)),
            count_if(and_(t == 1, r == 3)),
        )
    ).one()
    stages = [
        ("menu", "Appels arrivés au menu"),
        ("transfer_attempted", "Transfert tenté"),
        ("answered", "Transfert décroché"),
        ("referred", "Orienté vers une association"),
        ("contacted_24h", "Recontacté par l'association sous 24 h"),
        ("quote", "Devis envoyé"),
    ]
    counts = [int(value or 0) for value in figures]
    rows = [
        (code, label, counts[i], share(counts[i], counts[0]), share(counts[i], counts[i - 1]) if i else None)
        for i, (code, label) in enumerate(stages)
    ]
    return [
        table(
            "funnel",
            "Du menu au devis",
            (
                code_column("stage"),
                dimension("stage_label", "Étape"),
                Column("calls", "Appels"),
                Column("share_of_menu", "Part des appels au menu", "share"),
                Column("share_of_previous", "Part de l'étape précédente", "share"),
            ),
            rows,
            note=(
                "Appels du serveur vocal ; chaque étape compte les appels qui ont franchi toutes "
                "les précédentes."
            ),
        )
    ]
