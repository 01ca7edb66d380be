"""Volumes: the key figures against last month and last year, the 13-month trend, and when calls come."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from call_log.models import Call
from foundation.config import DAY_NAMES_FR
from reports.month import MonthCalls
from reports.months import months_between, shift_month
from reports.period import ReportPeriod, grouped_counts, utc_hour
from reports.rollup import past_months
from reports.tables import Column, ReportTable, change, code_column, dimension, table

TREND_MONTHS = 13  # the month, the eleven before it, and the same month last year


def key_figures(session: Session, period: ReportPeriod, month_calls: MonthCalls) -> list[ReportTable]:
    """Key figures against the previous month and last year, and the monthly trend.

    The month is counted from its calls; the twelve before it are read from the monthly roll-up (counted
    from the calls when it has no row for them).
    """
    months = months_between(shift_month(period.month, -(TREND_MONTHS - 1)), period.month)
    previous, last_year = shift_month(period.month, -1), shift_month(period.month, -12)
    figures = past_months(session, months[:-1], period.tz)
    figures[period.month] = month_calls.key_figures()
    indicators = {
        "calls": "Appels",
        "distinct_callers": "Appelants différents",
        "answered": "Appels pris",
        "referred": "Appels orientés",
        "unmet": "Sans association pour ce service",
        "not_answered": "Sans réponse",
        "after_hours": "Hors horaires",
    }
    key_rows = []
    for indicator, label in indicators.items():
        now, before, year_ago = (figures[month][indicator] for month in (period.month, previous, last_year))
        key_rows.append((indicator, label, now, before, change(now, before), year_ago, change(now, year_ago)))
    key_figures = table(
        "key_figures",
        "Chiffres clés",
        (
            code_column("indicator"),
            dimension("label", "Indicateur"),
            Column("month", f"Ce mois ({period.month})"),
            Column("previous_month", f"Mois précédent ({previous})"),
            Column("change_previous_month", "Évolution", "change"),
            Column("same_month_last_year", f"Un an avant ({last_year})"),
            Column("change_last_year", "Évolution sur un an", "change"),
        ),
        key_rows,
    )
    trend_columns = {
        "calls": "Appels",
        "answered": "Appels pris",
        "unmet": "Sans association",
        "not_answered": "Sans réponse",
        "after_hours": "Hors horaires",
    }
    trend = table(
        "trend",
        "Évolution sur 13 mois",
        (dimension("month", "Mois"), *(Column(name, label) for name, label in trend_columns.items())),
        [(month, *(figures[month][name] for name in trend_columns)) for month in months],
    )
    return [key_figures, trend]


def heatmap(session: Session, period: ReportPeriod) -> list[ReportTable]:
    """Calls by weekday and hour of the helpline's timezone (all 168 cells, zeros included)."""
    hours = select(utc_hour(Call.started_at, period.dialect).label("hour")).where(period.calls())
    cells: Counter[tuple[int, int]] = Counter()
    # At most 24 x 31 grouped rows: turning each UTC hour into the local one is exact for whole-hour offsets.
    for hour, calls in grouped_counts(session, hours.subquery()):
        local = datetime.strptime(hour, "%Y-%m-%d %H").replace(tzinfo=UTC).astimezone(period.tz)
        cells[(local.isoweekday(), local.hour)] += calls
    return [
        table(
            "heatmap",
            "Appels par jour et par heure",
            (
                code_column("weekday", "N° du jour"),
                dimension("weekday_label", "Jour"),
                dimension("hour", "Heure"),
                Column("calls", "Appels"),
            ),
            [
                (day, DAY_NAMES_FR[day - 1], hour, cells[(day, hour)])
                for day in range(1, 8)
                for hour in range(24)
            ],
            note=f"Heures locales ({period.tz.key}) : 9 signifie de 9 h 00 à 9 h 59.",
        )
    ]
