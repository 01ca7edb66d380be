"""Migrated PostgreSQL databases that a test process reuses instead of creating and dropping one per test.

CREATE DATABASE ... TEMPLATE and DROP DATABASE each copy or remove the whole database and wait for the
disk: 0.3 s to 2 s apiece on a busy machine, four of them per test, for a third of the suite. A database
given back is instead emptied and refilled with the template's rows in one transaction (its sequences
set back as the template has them), and renamed, so that a connection a finished test left behind (a
server it started, a thread) cannot reach the next test's data: it would have to reconnect under the old
name. Anything a test changed in the schema shows in the check before reuse, and that database is
dropped and a new copy made.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

import psycopg
from psycopg import sql
from sqlalchemy import Engine, make_url, text

# What a reused database must still have: its tables, columns, indexes and constraints, as the template.
_SCHEMA_FINGERPRINT = """
SELECT md5(string_agg(item, ',' ORDER BY item)) FROM (
    SELECT table_name || '.' || column_name || ':' || data_type || ':' || coalesce(column_default, '')
        AS item FROM information_schema.columns WHERE table_schema = 'public'
    UNION ALL SELECT 'index ' || indexdef FROM pg_indexes WHERE schemaname = 'public'
    UNION ALL SELECT 'constraint ' || conname || ' ' || pg_get_constraintdef(oid)
        FROM pg_constraint WHERE connamespace = 'public'::regnamespace
    UNION ALL SELECT 'version ' || version_num FROM alembic_version
) AS schema_items
"""


@dataclass(frozen=True)
class Snapshot:
    """The template's rows (COPY's binary format, per table) and sequences, and its schema's fingerprint."""

    rows: dict[str, bytes]
    sequences: dict[str, tuple[int, bool]]
    fingerprint: str


class PostgresqlPool:
    """A test process's migrated databases: taken for a test, given back after it, reset before the next."""

    def __init__(self, admin: Engine, server_url: str, create_from_template: Callable[[str], None]) -> None:
        self.admin, self.server_url, self.create = admin, server_url, create_from_template
        self.free: list[str] = []
        self.in_use: set[str] = set()
        self.snapshot: Snapshot | None = None

    def take(self) -> str:
        """The name of a migrated database holding exactly the template's rows, for one test."""
        while self.free:
            old = self.free.pop()
            name = _new_name()
            try:
                self._rename(old, name)
            except Exception:
                self._drop(old)
                continue
            if self._reset(name):
                self.in_use.add(name)
                return name
            self._drop(name)
        name = _new_name()
        self.create(name)
        if self.snapshot is None:
            self.snapshot = self._snapshot(name)
        self.in_use.add(name)
        return name

    def give_back(self, name: str) -> None:
        """The test is over: the database waits for the next one."""
        self.in_use.discard(name)
        self.free.append(name)

    def close(self) -> None:
        """Drop every database of the pool (the end of the test process)."""
        for name in [*self.free, *self.in_use]:
            self._drop(name)
        self.free.clear()
        self.in_use.clear()

    def _connect(self, name: str) -> psycopg.Connection[tuple[object, ...]]:
        url = make_url(self.server_url).set(drivername="postgresql", database=name)
        return psycopg.connect(url.render_as_string(hide_password=False))

    def _snapshot(self, name: str) -> Snapshot:
        rows: dict[str, bytes] = {}
        with self._connect(name) as connection:
            tables = [
                row[0]
                for row in connection.execute(
                    "SELECT tablename FROM pg_tables"
                    " WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
                )
            ]
            for table in tables:
                with connection.cursor().copy(
                    sql.SQL("COPY {} TO STDOUT (FORMAT BINARY)").format(sql.Identifier(table))
                ) as copy:
                    rows[table] = b"".join(bytes(chunk) for chunk in copy)
            sequences = {
                str(sequence): (int(last or start), last is not None)
                for sequence, last, start in connection.execute(
                    "SELECT sequencename, last_value, start_value FROM pg_sequences"
                    " WHERE schemaname = 'public'"
                )
            }
            fingerprint = str(connection.execute(_SCHEMA_FINGERPRINT).fetchone()[0])  # type: ignore[index]
        return Snapshot(rows, sequences, fingerprint)

    def _reset(self, name: str) -> bool:
        """Empty `name` and put the template's rows back; False if its schema is no longer the template's."""
        snapshot = self.snapshot
        assert snapshot is not None
        with self._connect(name) as connection:
            row = connection.execute(_SCHEMA_FINGERPRINT).fetchone()
            if row is None or row[0] != snapshot.fingerprint:
                return False
            # Foreign keys are checked by triggers, which the replica role does not fire: every table is
            # emptied and refilled in any order, and the result is the template's, consistent by itself.
            connection.execute("SET LOCAL session_replication_role = replica")
            for table, data in snapshot.rows.items():
                connection.execute(sql.SQL("DELETE FROM {}").format(sql.Identifier(table)))
                if len(data) > 21:  # more than COPY's header and trailer: the table has rows
                    with connection.cursor().copy(
                        sql.SQL("COPY {} FROM STDIN (FORMAT BINARY)").format(sql.Identifier(table))
                    ) as copy:
                        copy.write(data)
            for sequence, (value, called) in snapshot.sequences.items():
                connection.execute("SELECT setval(%s, %s, %s)", (sequence, value, called))
        return True

    def _rename(self, old: str, new: str) -> None:
        with self.admin.connect() as connection:
            connection.execute(
                # Waits (up to 5 s each) until they are gone: RENAME refuses a database in use.
                text("SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE datname = :name"),
                {"name": old},
            )
            connection.execute(text(f'ALTER DATABASE "{old}" RENAME TO "{new}"'))

    def _drop(self, name: str) -> None:
        with self.admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _new_name() -> str:
    return f"test_{uuid.uuid4().hex[:12]}"
