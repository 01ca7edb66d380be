"""Helpers for the directory's tests: give the test database a directory written in YAML."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import delete
from sqlalchemy.orm import Session

from directory.entries import AssociationEntry, Vocabulary
from directory.importing import ImportReport, import_entries
from directory.models import Association
from directory.storage import entry_of, load_associations
from directory.yaml_file import read_yaml

DATA = Path(__file__).resolve().parent / "data"
RICH_DIRECTORY = DATA / "directory.yaml"
# When the test imports happen: a Tuesday of November 2026, 10:00 in Paris.
IMPORTED_AT = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def replace_directory(session: Session, text: str, *, actor: str = "test") -> ImportReport:
    """Empty the directory, then import the YAML `text` into it."""
    session.execute(delete(Association))
    vocabulary = Vocabulary.load(session)
    entries = read_yaml(text, vocabulary)
    return import_entries(session, entries, vocabulary=vocabulary, actor=actor, at=IMPORTED_AT)


def current_entries(session: Session) -> list[AssociationEntry]:
    """The directory as the database holds it now."""
    session.expire_all()
    return [entry_of(association) for association in load_associations(session)]
