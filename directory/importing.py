"""Importing the directory from a file: all or nothing.

Every problem of the file is reported with its line and field, and the database is only changed when there
is none. The readers (`directory.yaml_file`, `directory.csv_file`) turn a file into documents, each with
where its paths are in the file; `check_documents` checks them all before anything is imported.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from directory.codes import ChangeSource
from directory.documents import Path, from_document
from directory.editing import save_entry
from directory.entries import AssociationEntry, Vocabulary
from directory.storage import entry_of, keeping_notices, load_associations, same_entry

# Where a path of a document is in its file: (line, field).
Locate = Callable[[Path], tuple[int, str]]


@dataclass(frozen=True)
class FileProblem:
    """A problem of an import file: its line, the field (YAML path or CSV column) and what is wrong."""

    line: int
    field: str
    message: str

    def __str__(self) -> str:
        where = f"ligne {self.line}" + (f", {self.field}" if self.field else "")
        return f"{where} : {self.message}"


class DirectoryImportError(Exception):
    """The file cannot be imported; `problems` lists every bad row, and nothing was changed."""

    def __init__(self, problems: Sequence[FileProblem]) -> None:
        self.problems = sorted(problems, key=lambda problem: problem.line)
        count = len(self.problems)
        super().__init__(
            f"{count} problème{'s' if count > 1 else ''} ; rien n'a été importé :\n"
            + "\n".join(f"  {problem}" for problem in self.problems)
        )


@dataclass(frozen=True)
class ImportReport:
    """What an import did, by association name."""

    created: list[str]
    updated: list[str]
    unchanged: list[str]


def import_entries(
    session: Session,
    entries: Sequence[AssociationEntry],
    *,
    vocabulary: Vocabulary,
    actor: str,
    at: datetime,
) -> ImportReport:
    """Create or update the associations of a checked file, by name; the others stay as they are."""
    existing = {association.name: association for association in load_associations(session)}
    report = ImportReport([], [], [])
    for entry in entries:
        association = existing.get(entry.name)
        entry = keeping_notices(entry, association)
        if association is not None and same_entry(entry_of(association), entry):
            report.unchanged.append(entry.name)
            continue
        save_entry(
            session,
            entry,
            association=association,
            vocabulary=vocabulary,
            actor=actor,
            source=ChangeSource.IMPORT,
            at=at,
        )
        (report.created if association is None else report.updated).append(entry.name)
    session.flush()
    return report


def check_documents(
    documents: Iterable[tuple[Any, Locate]], vocabulary: Vocabulary
) -> list[AssociationEntry]:
    """Check documents (each with where its paths are in the file); duplicates of a name are problems."""
    entries: list[AssociationEntry] = []
    problems: list[FileProblem] = []
    first_line: dict[str, int] = {}
    for document, locate in documents:
        entry, found = from_document(document, vocabulary)
        problems.extend(FileProblem(*locate(problem.path), problem.message) for problem in found)
        line, field = locate(("name",))
        if entry.name in first_line:
            problems.append(
                FileProblem(
                    line,
                    field,
                    f"en double : l'association « {entry.name} » est déjà ligne {first_line[entry.name]}",
                )
            )
        elif entry.name:
            first_line[entry.name] = line
        entries.append(entry)
    if problems:
        raise DirectoryImportError(problems)
    return entries
