"""The directory as files staff edit: YAML (one document per association) and CSV (one row per service).

Both are round-trip safe: an export imports back to the same data. An import is all or nothing (see
`directory.importing`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from directory.csv_file import read_csv, write_csv
from directory.entries import AssociationEntry, Vocabulary
from directory.importing import DirectoryImportError, FileProblem
from directory.yaml_file import read_yaml, write_yaml
from foundation.spreadsheets import CsvForm

# The formats a file of the directory can be in (both re-import).
FileFormat = Literal["csv", "yaml"]
FORMATS: tuple[FileFormat, ...] = ("csv", "yaml")


def read_file(path: Path, vocabulary: Vocabulary) -> list[AssociationEntry]:
    """The entries of a .yaml/.yml or .csv file; raises DirectoryImportError listing every problem."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DirectoryImportError(
            [
                FileProblem(
                    1,
                    "",
                    f"le fichier n'est pas du texte UTF-8 (octet {exc.start + 1} illisible) ; "
                    "enregistrez-le en UTF-8",
                )
            ]
        ) from None
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return read_csv(text, vocabulary)
    if suffix in {".yaml", ".yml"}:
        return read_yaml(text, vocabulary)
    raise DirectoryImportError([FileProblem(1, "", f"{path.name} : il faut un fichier .csv, .yaml ou .yml")])


def write(
    entries: Sequence[AssociationEntry], fmt: FileFormat, vocabulary: Vocabulary, *, csv_form: CsvForm
) -> str:
    """The entries in a file of this format (a CSV in `csv_form`: for a spreadsheet, or as data)."""
    return write_csv(entries, vocabulary, csv_form) if fmt == "csv" else write_yaml(entries, vocabulary)
