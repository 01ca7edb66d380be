"""The journey of calls: how they ended, the month's rates, and the funnel from the menu to the quote."""

from __future__ import annotations

from collections import Counter

from sqlalchemy.orm import Session

from call_log.codes import Beneficiary, Outcome, OutcomeGroup, outcomes_of
from reports.month import FUNNEL_STAGES, MonthCalls
from reports.observatory import Zone, territory_beneficiary
from reports.period import ReportPeriod
from reports.tables import Column, ReportTable, code_column, dimension, share, table


def profile(session: Session, period: ReportPeriod, month: MonthCalls) -> list[ReportTable]:
    """Territory crossed with beneficiary, how calls ended, and the month's rates: one GROUP BY for all.

    The crossing is the observatory's table; reading it from the same GROUP BY as the outcomes saves
    the month's calls a second pass.
    """
    groups = month.groups
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

    def of(code: str) -> int:
        """The month's calls whose outcome counts under `code`, as the log's filter finds them."""
        return sum(by_outcome[outcome] for outcome in outcomes_of(code))

    def where(zones: tuple[str, ...] = tuple(Zone), who: tuple[str | None, ...] | None = None) -> int:
        return sum(n for (z, b), n in by_place.items() if z in zones and (who is None or b in who))

    located, inside = where((Zone.TERRITORY, Zone.OUTSIDE)), where((Zone.TERRITORY,))
    answering, relatives = total - where(who=(None,)), where(who=(Beneficiary.RELATIVE,))
    rates = [
        # The words of the log's outcome filter, so that the same words count the same calls.
        *(
            (code, words, of(counted), total)
            for code, counted, words in (
                ("answered", OutcomeGroup.ANSWERED, OutcomeGroup.ANSWERED.label),
                ("abandoned_in_menu", Outcome.ABANDONED_IN_MENU, "Raccrochés dans le menu"),
                ("missed", Outcome.MISSED, Outcome.MISSED.label),
                ("voicemail", OutcomeGroup.REACHED_VOICEMAIL, OutcomeGroup.REACHED_VOICEMAIL.label),
                ("not_answered", OutcomeGroup.NOT_ANSWERED, OutcomeGroup.NOT_ANSWERED.label),
                ("unmet", Outcome.UNMET, Outcome.UNMET.label),
            )
        ),
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


def funnel(session: Session, period: ReportPeriod, month: MonthCalls) -> list[ReportTable]:
    """From the menu to the quote: each stage counts the calls that passed it and every stage before."""
    labels = (
        "Appels arrivés au menu",
        "Transfert tenté",
        "Transfert décroché",
        "Orienté vers une association",
        "Recontacté par l'association sous 24 h",
        "Devis envoyé",
    )
    stages = list(zip(FUNNEL_STAGES, labels, strict=True))
    counts = month.funnel
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
