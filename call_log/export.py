"""Exporting the call log for a period, with stable columns: as data (CSV or JSON) or for a spreadsheet."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from call_log.codes import Beneficiary, CallStatus, Channel, DialResult, HeardFrom, Outcome, TransferTarget
from call_log.models import OBSERVATORY_FIELDS, Call, TransferAttempt
from directory.models import ServiceCategory
from foundation.codes import Code
from foundation.spreadsheets import Cell, CsvForm, csv_text

# The French headers of the observatory's fields, for every export of calls (a field added there without
# one fails at import).
OBSERVATORY_HEADERS = {
    "commune_insee": "Code INSEE",
    "postal_code": "Code postal",
    "in_territory": "Sur le territoire",
    "departement": "Département",
    "beneficiary": "Pour qui",
    "heard_from": "Connu par",
}
# Each column: its name (data, JSON) and its French header (spreadsheet).
COLUMNS: tuple[tuple[str, str], ...] = (
    ("call_sid", "Identifiant Twilio"),
    ("started_at", "Début"),
    ("ended_at", "Fin"),
    ("caller", "Appelant"),
    ("status", "Statut"),
    ("duration_s", "Durée (s)"),
    ("category", "Service"),
    ("association", "Association"),
    ("outcome", "Issue"),
    ("menu_path", "Choix dans le menu"),
    *((name, OBSERVATORY_HEADERS[name]) for name in OBSERVATORY_FIELDS),
    ("caller_country", "Pays de l'appelant"),
    ("caller_area", "Zone de l'appelant"),
    ("after_hours", "Hors horaires"),
    ("transfers", "Transferts"),
    ("channel", "Canal"),
)
EXPORT_COLUMNS = tuple(name for name, _header in COLUMNS)
# The columns of calls that hold codes, and the kind of code: written in its French words for a spreadsheet.
CODE_WORDS: dict[str, type[Code]] = {
    "status": CallStatus,
    "outcome": Outcome,
    "beneficiary": Beneficiary,
    "heard_from": HeardFrom,
    "channel": Channel,
}

ExportRow = dict[str, str | int | bool | None]


def export_rows(
    session: Session, *, start: datetime, end: datetime, words_in: ZoneInfo | None = None
) -> Iterator[ExportRow]:
    """The calls started in [start, end), oldest first, as rows of EXPORT_COLUMNS.

    With `words_in`, a timezone, the rows are for a spreadsheet: codes in French words, local times.
    """
    query = (
        select(Call)
        .where(Call.started_at >= start, Call.started_at < end)
        .options(
            joinedload(Call.association), selectinload(Call.transfers).joinedload(TransferAttempt.association)
        )
        .order_by(Call.started_at, Call.id)
        .execution_options(yield_per=1000)
    )
    categories: dict[str, str] = {}
    if words_in is not None:
        categories = dict(session.execute(select(ServiceCategory.code, ServiceCategory.label)).all())
    for call in session.scalars(query):
        row: ExportRow = {
            "call_sid": call.call_sid,
            "started_at": _time(call.started_at, words_in),
            "ended_at": _time(call.ended_at, words_in),
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
            "transfers": describe_transfers(call.transfers, in_words=words_in is not None),
            "channel": call.channel,
        }
        if words_in is not None:
            row["category"] = categories.get(call.category_code or "", call.category_code)
            row.update({name: CODE_WORDS[name].label_of(_text(row[name]), missing="") for name in CODE_WORDS})
        yield row


def describe_transfers(transfers: Iterable[TransferAttempt], *, in_words: bool = False) -> str:
    """Each transfer attempt in one cell: 'Brenne Aide à Domicile: no-answer; operators: completed 95 s'.

    `in_words`: 'Brenne Aide à Domicile : pas de réponse ; opérateurs : a répondu 95 s'.
    """
    parts = []
    for transfer in transfers:
        seconds = f" {transfer.duration_s} s" if transfer.duration_s else ""
        if not in_words:
            who = transfer.association.name if transfer.association else transfer.target
            parts.append(f"{who}: {transfer.result or 'ringing'}{seconds}")
            continue
        if transfer.association:
            who = transfer.association.name
        else:
            who = "opérateurs" if transfer.target == TransferTarget.OPERATORS else transfer.target
        parts.append(f"{who} : {DialResult.label_of(transfer.result, missing='sonne')}{seconds}")
    return (" ; " if in_words else "; ").join(parts)


def _time(moment: datetime | None, tz: ZoneInfo | None) -> str | None:
    if moment is None:
        return None
    if tz is None:
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    return moment.astimezone(tz).strftime("%d/%m/%Y %H:%M:%S")


def _text(value: str | int | bool | None) -> str | None:
    return None if value is None else str(value)


def to_csv(rows: Iterable[ExportRow], form: CsvForm) -> str:
    """CSV with a header line, empty cells for missing values; rows of `export_rows` in the same form."""
    headers = EXPORT_COLUMNS if form is CsvForm.DATA else tuple(words for _name, words in COLUMNS)
    lines: list[list[Cell]] = [list(headers)]
    # Spreadsheets and JSON agree on how a yes/no looks in the data form.
    lines.extend(
        [form.yes_no(v) if isinstance(v, bool) else v for v in (row[name] for name in EXPORT_COLUMNS)]
        for row in rows
    )
    return csv_text(lines, form)


def to_json(rows: Iterable[ExportRow]) -> str:
    """A JSON array of objects, missing values as null."""
    return json.dumps(list(rows), ensure_ascii=False, indent=1) + "\n"
