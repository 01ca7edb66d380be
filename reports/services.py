"""Demand by service: calls by top-level category, then by sub-category within each."""

from __future__ import annotations

from collections import Counter, defaultdict

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from call_log.models import Call
from reports.period import ReportPeriod
from reports.tables import Column, ReportTable, Value, code_column, dimension, share, table


def demand_by_service(session: Session, period: ReportPeriod) -> list[ReportTable]:
    """Calls by service category, then by sub-category within each category."""
    counts = dict(
        session.execute(
            select(Call.category_code, func.count()).where(period.calls()).group_by(Call.category_code)
        ).all()
    )
    total = sum(counts.values())
    label = period.names.category
    by_top: Counter[str | None] = Counter()
    subs: dict[str | None, list[tuple[str | None, int]]] = defaultdict(list)
    for code, calls in counts.items():
        top = period.names.top(code)
        by_top[top] += calls
        subs[top].append((None if code == top else code, calls))
    tops = sorted(by_top, key=lambda code: (-by_top[code], code is None, code or ""))
    top_rows = [(code or "", label(code), by_top[code], share(by_top[code], total)) for code in tops]
    sub_rows: list[tuple[Value, ...]] = []
    for top in (code for code in tops if code is not None):
        for code, calls in sorted(subs[top], key=lambda item: (-item[1], item[0] or "")):
            sub_label = label(code) if code else "Sans précision"
            sub_rows.append((top or "", label(top), code or "", sub_label, calls, share(calls, by_top[top])))
    return [
        table(
            "categories",
            "Demandes par service",
            (
                code_column("category"),
                dimension("category_label", "Service"),
                Column("calls", "Appels"),
                Column("share", "Part des appels", "share"),
            ),
            top_rows,
        ),
        table(
            "subcategories",
            "Demandes par service précis",
            (
                code_column("category", "Code du service"),
                dimension("category_label", "Service"),
                code_column("subcategory", "Code précis"),
                dimension("subcategory_label", "Service précis"),
                Column("calls", "Appels"),
                Column("share", "Part du service", "share"),
            ),
            sub_rows,
            note="« Sans précision » : l'appelant a choisi le service sans préciser davantage.",
        ),
    ]
