"""`helpline backup` and `helpline restore`: the whole database to a file and back (SQLite, PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from click.testing import CliRunner, Result
from sqlalchemy import Engine, MetaData, func, select, text
from sqlalchemy.orm import Session

from call_log.models import Call
from directory.models import Association
from helpline.cli import main
from helpline.db import make_engine
from tests.conftest import EXAMPLE_CONFIG


def run(database_url: str, *args: str, **env: str) -> Result:
    """Run `helpline ARGS` on the test database."""
    environment = {"HELPLINE_DATABASE_URL": database_url, "HELPLINE_CONFIG": str(EXAMPLE_CONFIG)} | env
    return CliRunner().invoke(main, list(args), env=environment)


def row_counts(engine: Engine) -> dict[str, int]:
    """How many rows each table of the database holds."""
    tables = MetaData()
    tables.reflect(engine)
    with engine.connect() as connection:
        return {
            name: connection.execute(select(func.count()).select_from(table)).scalar_one()
            for name, table in tables.tables.items()
        }


def add_call(engine: Engine, sid: str) -> None:
    """One finished call in the log."""
    with Session(engine) as session, session.begin():
        session.add(
            Call(
                call_sid=sid,
                started_at=datetime(2026, 3, 2, 9, 15, tzinfo=UTC),
                caller="+336******01",
                status="completed",
                duration_s=125,
                menu_path="1",
            )
        )


def test_backup_then_restore_gives_the_same_rows(engine: Engine, database_url: str, tmp_path: Path) -> None:
    """Rows added and changed after a backup are gone once it is restored; every table counts the same."""
    add_call(engine, "CA" + "a" * 32)
    before = row_counts(engine)
    with engine.connect() as connection:
        names = connection.execute(select(Association.id, Association.name).order_by(Association.id)).all()
    output = tmp_path / "saved" / "helpline.backup"

    saved = run(database_url, "backup", "--output", str(output))
    assert saved.exit_code == 0, saved.output
    assert saved.output.splitlines()[0] == f"Base sauvegardée dans {output}"
    assert output.stat().st_size > 0

    add_call(engine, "CA" + "b" * 32)
    with engine.begin() as connection:
        connection.execute(text("UPDATE association SET name = 'Renommée' WHERE id = 1"))
    assert row_counts(engine) != before
    engine.dispose()

    refused = run(database_url, "restore", str(output))
    assert refused.exit_code == 1
    assert "arrêtez 'helpline serve', puis relancez la commande avec --yes" in refused.output

    restored = run(database_url, "restore", str(output), "--yes")
    assert restored.exit_code == 0, restored.output

    again = make_engine(database_url)
    try:
        assert row_counts(again) == before
        with again.connect() as connection:
            assert connection.execute(select(Call.call_sid)).scalars().all() == ["CA" + "a" * 32]
            assert (
                connection.execute(select(Association.id, Association.name).order_by(Association.id)).all()
                == names
            )
    finally:
        again.dispose()


def test_restore_refuses_a_file_that_is_not_a_backup(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    """A file that is not a backup of this kind of database: refused, the database untouched."""
    before = row_counts(engine)
    engine.dispose()
    junk = tmp_path / "notes.txt"
    junk.write_text("pas une sauvegarde\n", encoding="utf-8")

    result = run(database_url, "restore", str(junk), "--yes")

    kind = "SQLite" if database_url.startswith("sqlite") else "PostgreSQL"
    assert result.exit_code == 1
    assert result.output == f"helpline: {junk} n'est pas une sauvegarde {kind} de 'helpline backup'\n"
    assert row_counts(engine) == before


def test_backup_says_when_pg_dump_is_missing(tmp_path: Path) -> None:
    """PostgreSQL without pg_dump on the PATH: what to install."""
    url = "postgresql+psycopg://postgres@127.0.0.1:5432/helpline"
    result = run(url, "backup", "--output", str(tmp_path / "b.dump"), PATH=str(tmp_path))

    assert result.exit_code == 1
    assert result.output == (
        "helpline: pg_dump est introuvable : installez le client PostgreSQL de la même version que le "
        "serveur (paquet postgresql-client sur Debian ou Ubuntu)\n"
    )
