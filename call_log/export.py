"""Exporting the call log for a period, with stable columns."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from call_log.models import Call

EXPORT_COLUMNS = (
    "call_sid",
    "started_at",
    "ended_at",
    "caller",
    "status",
    "duration_s",
    "category",
    "association",
    "outcome",
    "menu_path",
    "commune_insee",
)

ExportRow = dict[str, str | int | None]


def export_rows(session: Session, *, start: datetime, end: datetime) -> Iterator[ExportRow]:
    """The calls started in [start, end), oldest first, as rows of EXPORT_COLUMNS."""
    query = (
        select(Call)
        .where(Call.started_at >= start, Call.started_at < end)
        .options(joinedload(Call.association))
        .order_by(Call.started_at, Call.id)
        .execution_options(yield_per=1000)
    )
    for call in session.scalars(query):
        yield {
            "call_sid": call.call_sid,
            "started_at": _iso(call.started_at),
            "ended_at": _iso(call.ended_at),
            "caller": call.caller,
            "status": call.status,
            "duration_s": call.duration_s,
            "category": call.category_code,
            "association": call.association.name if call.association else None,
            "outcome": call.outcome,
            "menu_path": call.menu_path,
            "commune_insee": call.commune_insee,
        }


def _iso(moment: datetime | None) -> str | None:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


def to_csv(rows: Iterable[ExportRow]) -> str:
    """CSV with a header line; empty cells for missing values."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=EXPORT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def to_json(rows: Iterable[ExportRow]) -> str:
    """A JSON array of objects, missing values as null."""
    return json.dumps(list(rows), ensure_ascii=False, indent=1) + "\n"
