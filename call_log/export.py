"""Exporting the call log for a period, with stable columns."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from call_log.models import OBSERVATORY_FIELDS, Call, TransferAttempt

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
    *OBSERVATORY_FIELDS,
    "caller_country",
    "caller_area",
    "after_hours",
    "transfers",
    "channel",
)

ExportRow = dict[str, str | int | bool | None]


def export_rows(session: Session, *, start: datetime, end: datetime) -> Iterator[ExportRow]:
    """The calls started in [start, end), oldest first, as rows of EXPORT_COLUMNS."""
    query = (
        select(Call)
        .where(Call.started_at >= start, Call.started_at < end)
        .options(
            joinedload(Call.association), selectinload(Call.transfers).joinedload(TransferAttempt.association)
        )
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
            **{name: getattr(call, name) for name in OBSERVATORY_FIELDS},
            "caller_country": call.caller_country,
            "caller_area": call.caller_area,
            "after_hours": call.after_hours,
            "transfers": describe_transfers(call.transfers),
            "channel": call.channel,
        }


def describe_transfers(transfers: Iterable[TransferAttempt]) -> str:
    """Each transfer attempt in one cell: 'Brenne Aide à Domicile: no-answer; operators: completed 95 s'."""
    parts = []
    for transfer in transfers:
        who = transfer.association.name if transfer.association else transfer.target
        seconds = f" {transfer.duration_s} s" if transfer.duration_s else ""
        parts.append(f"{who}: {transfer.result or 'ringing'}{seconds}")
    return "; ".join(parts)


def _iso(moment: datetime | None) -> str | None:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


def to_csv(rows: Iterable[ExportRow]) -> str:
    """CSV with a header line; empty cells for missing values."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=EXPORT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    # Spreadsheets and JSON agree on how a yes/no looks.
    writer.writerows(
        {k: str(v).lower() if isinstance(v, bool) else v for k, v in row.items()} for row in rows
    )
    return buffer.getvalue()


def to_json(rows: Iterable[ExportRow]) -> str:
    """A JSON array of objects, missing values as null."""
    return json.dumps(list(rows), ensure_ascii=False, indent=1) + "\n"
