"""The whole database to a file and back: SQLite's online backup API, PostgreSQL's pg_dump/pg_restore."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from datetime import datetime
from pathlib import Path

from sqlalchemy import make_url

from foundation.settings import Settings
from helpline.db import sqlite_file

SQLITE_HEADER = b"SQLite format 3\x00"
PG_DUMP_HEADER = b"PGDMP"


class BackupError(Exception):
    """A backup or a restore could not be made; the message, in French, says what to do."""


def default_backup_path(settings: Settings, now: datetime) -> Path:
    """var/backups/helpline-YYYYMMDD-HHMMSS.sqlite3 (or .dump for PostgreSQL) beside config.yaml."""
    suffix = ".sqlite3" if sqlite_file(settings.database_url) is not None else ".dump"
    folder = settings.config_path.resolve().parent / "var" / "backups"
    return folder / f"helpline-{now:%Y%m%d-%H%M%S}{suffix}"


def backup(database_url: str, output: Path) -> None:
    """Write a consistent copy of the whole database to `output` (the server may keep running)."""
    output.parent.mkdir(parents=True, exist_ok=True)
    database = sqlite_file(database_url)
    if database is None:
        _run_postgresql("pg_dump", database_url, ["--format=custom", f"--file={output}"])
        return
    if not database.is_file():
        raise BackupError(f"la base {database} n'existe pas : vérifiez HELPLINE_DATABASE_URL")
    _sqlite_copy(f"file:{database}?mode=ro", str(output))


def restore(database_url: str, source: Path) -> None:
    """Replace the whole database with the backup in `source`; no server may be using it."""
    if not source.is_file():
        raise BackupError(f"{source} n'existe pas : donnez le fichier écrit par 'helpline backup'")
    header = source.read_bytes()[: len(SQLITE_HEADER)]
    database = sqlite_file(database_url)
    if database is None:
        if not header.startswith(PG_DUMP_HEADER):
            raise BackupError(f"{source} n'est pas une sauvegarde PostgreSQL de 'helpline backup'")
        # One transaction: a restore that fails half-way leaves the database as it was.
        _run_postgresql(
            "pg_restore",
            database_url,
            ["--clean", "--if-exists", "--no-owner", "--single-transaction", str(source)],
        )
        return
    if header != SQLITE_HEADER:
        raise BackupError(f"{source} n'est pas une sauvegarde SQLite de 'helpline backup'")
    if not database.parent.is_dir():
        raise BackupError(f"le dossier {database.parent} n'existe pas : vérifiez HELPLINE_DATABASE_URL")
    _sqlite_copy(f"file:{source}?mode=ro", str(database))


def _sqlite_copy(source: str, target: str) -> None:
    """Copy page by page with SQLite's backup API: the copy is consistent, WAL included."""
    try:
        origin = sqlite3.connect(source, uri=True)
        try:
            copy = sqlite3.connect(target)
            try:
                origin.backup(copy)
            finally:
                copy.close()
        finally:
            origin.close()
    except sqlite3.Error as exc:
        busy = "locked" in str(exc) or "busy" in str(exc)
        raise BackupError(
            "la base est occupée par un autre programme : arrêtez 'helpline serve' puis recommencez"
            if busy
            else f"la copie a échoué vers {target} : vérifiez l'espace disque et les droits d'écriture"
        ) from exc


def _run_postgresql(tool: str, database_url: str, arguments: list[str]) -> None:
    """Run pg_dump or pg_restore on the database; the password goes through the environment, not argv."""
    found = shutil.which(tool)
    if found is None:
        raise BackupError(
            f"{tool} est introuvable : installez le client PostgreSQL de la même version que le serveur "
            "(paquet postgresql-client sur Debian ou Ubuntu)"
        )
    url = make_url(database_url)
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    libpq = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    done = subprocess.run(
        [found, f"--dbname={libpq}", *arguments], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        said = " ".join(done.stderr.split())[:300]
        raise BackupError(
            f"{tool} a échoué ({said}) : vérifiez HELPLINE_DATABASE_URL et que {tool} a la version du serveur"
        )
