"""Batches of demo rows and their bulk insert: COPY on PostgreSQL, executemany elsewhere.

Rows carry explicit ids, so that a batch's transfers, referrals and callbacks can refer to its calls
without a round trip; `reset_sequences` then moves PostgreSQL's id sequences past them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Table, func, insert, select, text

from call_log.models import Call, CallbackRequest, Referral, TransferAttempt
from foundation.db import Base

Row = dict[str, Any]


@dataclass
class DemoBatch:
    """Rows to insert together: children refer to their calls by explicit ids."""

    calls: list[Row] = field(default_factory=list)
    transfers: list[Row] = field(default_factory=list)
    referrals: list[Row] = field(default_factory=list)
    callbacks: list[Row] = field(default_factory=list)


TABLES: tuple[tuple[str, Table], ...] = tuple(
    (attribute, Base.metadata.tables[model.__tablename__])
    for attribute, model in (
        ("calls", Call),
        ("transfers", TransferAttempt),
        ("referrals", Referral),
        ("callbacks", CallbackRequest),
    )
)


def next_ids(connection: Connection) -> tuple[int, int, int, int]:
    """The first free id of each demo table (rows get explicit ids so children can refer to calls)."""
    found = [connection.scalar(select(func.coalesce(func.max(table.c.id), 0))) or 0 for _, table in TABLES]
    return found[0] + 1, found[1] + 1, found[2] + 1, found[3] + 1


def insert_batch(connection: Connection, batch: DemoBatch) -> None:
    """Insert a batch in bulk: COPY on PostgreSQL, executemany elsewhere."""
    for attribute, table in TABLES:
        rows: list[Row] = getattr(batch, attribute)
        if not rows:
            continue
        if connection.dialect.name == "postgresql":
            _copy(connection, table, rows)
        else:
            connection.execute(insert(table), rows)


def _copy(connection: Connection, table: Table, rows: list[Row]) -> None:
    names = list(rows[0])
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor.copy(f"COPY {table.name} ({', '.join(names)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([row[name] for name in names])


def reset_sequences(connection: Connection) -> None:
    """After explicit ids, move PostgreSQL's id sequences past them (SQLite needs nothing)."""
    if connection.dialect.name != "postgresql":
        return
    for _, table in TABLES:
        connection.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                f"(SELECT coalesce(max(id), 1) FROM {table.name}))"
            )
        )
