"""The directory as a spreadsheet (CSV): one row per service, the association's columns repeated.

Written for a French spreadsheet (';', a byte-order mark, French headers, days, statuses and service
labels) or as data (',', the column names and codes); both read back. What spreadsheets do to such a file
is forgiven: ';' or ',' as the separator, a byte-order mark, numbers that lost their '+', the apostrophe
that keeps a cell starting with '+' or '=' text. Lists in a cell (phones, hours, closures) are separated
by ';' or new lines.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from directory.codes import ServiceStatus
from directory.csv_columns import ASSOCIATION_COLUMNS, CSV_COLUMNS, HEADERS, SERVICE_COLUMNS, column_of
from directory.documents import Path
from directory.entries import (
    ASSOCIATION_VALUES,
    AssociationEntry,
    ClosureEntry,
    ContactDetails,
    HoursEntry,
    PhoneEntry,
    Vocabulary,
)
from directory.importing import DirectoryImportError, FileProblem, Locate, check_documents
from directory.values import format_span
from foundation.config import DAY_NAMES_FR, DAYS
from foundation.spreadsheets import Cell, CsvForm, csv_text, restored_text

if TYPE_CHECKING:
    from _csv import Reader

# Every commune of the territory, in the communes cell.
_ALL = {CsvForm.DATA: "all", CsvForm.SPREADSHEET: "toutes"}
NOT_CSV = "ce n'est pas du CSV valide (une cellule trop longue, ou des guillemets ouverts et jamais fermés)"
# Document paths (first part) → CSV column.
_ASSOCIATION_FIELD_COLUMN = {
    "name": "association",
    "street": "street_address",
    "postal_code": "postal_code",
    "city": "city",
}
_SERVICE_FIELD_COLUMN = {
    "name": "service",
    "description": "service_description",
    "phones": "service_phones",
    "hours": "service_hours",
    "closures": "service_closures",
}
_PHONE_ITEM = re.compile(r"(?:(?P<ivr>ivr|svi)\s*:?\s+)?(?P<number>\+?\d[\d .]*\d)(?:\s+(?P<rest>.*))?", re.I)
_CLOSURE_ITEM = re.compile(r"(?P<start>[^\s.]+)(?:\.\.(?P<end>\S+))?(?:\s+(?P<reason>.*))?")
_ITEMS = re.compile(r"\s*[;\n\r]+\s*")


def write_csv(entries: Sequence[AssociationEntry], vocabulary: Vocabulary, form: CsvForm) -> str:
    """The entries as a spreadsheet: one row per service, the association's columns repeated."""
    every = sorted(vocabulary.communes)
    words = form is CsvForm.SPREADSHEET
    lines: list[list[Cell]] = [[HEADERS[name] if words else name for name in CSV_COLUMNS]]
    for entry in entries:
        association = [
            *(_cell(getattr(entry, name), form) for name in ASSOCIATION_VALUES),
            *_details_cells(entry, form),
        ]
        if not entry.services:
            lines.append(association + [""] * len(SERVICE_COLUMNS))
        for service in entry.services:
            every_one = every and list(service.communes) == every
            lines.append(
                [
                    *association,
                    service.name,
                    vocabulary.categories.get(service.category, service.category)
                    if words
                    else service.category,
                    ServiceStatus.label_of(service.status) if words else service.status,
                    service.description,
                    service.fees,
                    service.eligibility,
                    _ALL[form] if every_one else " ".join(service.communes),
                    *_details_cells(service, form),
                ]
            )
    return csv_text(lines, form)


def _cell(value: str | int | bool, form: CsvForm) -> Cell:
    """A value as a cell: yes or no (oui or non) for a flag."""
    if isinstance(value, bool):
        return ("oui" if value else "non") if form is CsvForm.SPREADSHEET else ("yes" if value else "no")
    return value


def _details_cells(details: ContactDetails, form: CsvForm) -> list[Cell]:
    """The phones, hours and closures cells of an association or a service."""
    return [
        _phones_cell(details.phones, form),
        _hours_cell(details.hours, form),
        _closures_cell(details.closures),
    ]


def _phones_cell(phones: Iterable[PhoneEntry], form: CsvForm) -> str:
    ivr = "SVI " if form is CsvForm.SPREADSHEET else "IVR "
    return "; ".join(
        (ivr if phone.ivr else "") + phone.number + (f" ({phone.description})" if phone.description else "")
        for phone in phones
    )


def _hours_cell(hours: Iterable[HoursEntry], form: CsvForm) -> str:
    names = DAY_NAMES_FR if form is CsvForm.SPREADSHEET else DAYS
    days: dict[int, list[str]] = {}
    for span in hours:
        days.setdefault(span.weekday, []).append(format_span(span))
    return "; ".join(f"{names[day]} {' '.join(spans)}" for day, spans in days.items())


def _closures_cell(closures: Iterable[ClosureEntry]) -> str:
    items = []
    for closure in closures:
        days = closure.starts_on.isoformat()
        if closure.ends_on != closure.starts_on:
            days += f"..{closure.ends_on.isoformat()}"
        items.append(days + (f" {closure.reason}" if closure.reason else ""))
    return "; ".join(items)


@dataclass
class _Row:
    line: int
    cells: dict[str, str]


def read_csv(text: str, vocabulary: Vocabulary) -> list[AssociationEntry]:
    """The entries of a CSV file (',' or ';' separated, as spreadsheets save); raises DirectoryImportError."""
    text = text.removeprefix("\ufeff")
    header_line = text.split("\n", 1)[0]
    delimiter = ";" if header_line.count(";") > header_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        typed = next(reader)
    except StopIteration:
        raise DirectoryImportError([FileProblem(1, "", "le fichier est vide")]) from None
    except csv.Error:
        raise DirectoryImportError([FileProblem(1, "", NOT_CSV)]) from None
    header = [column_of(name) for name in typed]
    # Problems name a column as the file does: « Adresse » in a spreadsheet's file, street_address in data.
    as_typed = {column: name.strip() for column, name in zip(header, typed, strict=True)}
    # The spreadsheet's headers as it writes them: « Association », not association.
    spreadsheet = any(name in HEADERS.values() for name in as_typed.values())
    try:
        return _entries(reader, header, vocabulary, spreadsheet=spreadsheet)
    except DirectoryImportError as exc:
        named = [replace(found, field=as_typed.get(found.field, found.field)) for found in exc.problems]
        raise DirectoryImportError(named) from None


def _entries(
    reader: Reader, header: list[str], vocabulary: Vocabulary, *, spreadsheet: bool
) -> list[AssociationEntry]:
    unknown = [name for name in header if name not in CSV_COLUMNS]
    if unknown or "association" not in header:
        valid = ", ".join(HEADERS[column] if spreadsheet else column for column in CSV_COLUMNS)
        message = f"cette colonne n'existe pas (valides : {valid})"
        header_problems = [FileProblem(1, name, message) for name in unknown]
        if "association" not in header:
            header_problems.append(FileProblem(1, "association", "cette colonne est obligatoire"))
        raise DirectoryImportError(header_problems)

    groups: dict[str, list[_Row]] = {}
    problems: list[FileProblem] = []
    line = reader.line_num + 1
    try:
        for record in reader:
            cells = zip(header, record, strict=False)
            row = _Row(line, {name: restored_text(value.strip()) for name, value in cells})
            line = reader.line_num + 1
            if not any(row.cells.values()):
                continue
            if len(record) > len(header):
                problems.append(
                    FileProblem(row.line, "", f"a {len(record)} cellules pour {len(header)} colonnes")
                )
            name = row.cells.get("association", "")
            if not name:
                problems.append(FileProblem(row.line, "association", "le nom est obligatoire"))
                continue
            groups.setdefault(name, []).append(row)
    except csv.Error:
        problems.append(FileProblem(line, "", NOT_CSV))
    documents = []
    for rows in groups.values():
        document, locate, found = _csv_document(rows, vocabulary)
        problems.extend(found)
        documents.append((document, locate))
    if problems:
        # Report the file's problems together with those of the documents' checks.
        try:
            check_documents(documents, vocabulary)
        except DirectoryImportError as exc:
            problems.extend(exc.problems)
        raise DirectoryImportError(problems)
    return check_documents(documents, vocabulary)


def _code(text: str, words: dict[str, str]) -> str:
    """A code written as itself or as its words (whatever the case); anything else as it is, to be checked."""
    by_words = {label.lower(): code for code, label in words.items()}
    return by_words.get(text.lower(), text) if text not in words else text


def _csv_document(
    rows: list[_Row], vocabulary: Vocabulary
) -> tuple[dict[str, Any], Locate, list[FileProblem]]:
    """One association's document from its rows, where each of its paths comes from, and cell problems."""
    problems: list[FileProblem] = []
    source: dict[str, int] = {}
    values: dict[str, str] = {}
    for column in ASSOCIATION_COLUMNS:
        for row in rows:
            value = row.cells.get(column, "")
            if not value:
                continue
            if column not in values:
                values[column], source[column] = value, row.line
            elif value != values[column]:
                problems.append(
                    FileProblem(
                        row.line,
                        column,
                        f"« {value} » diffère de « {values[column]} » ligne {source[column]} "
                        "(les lignes d'une association doivent concorder)",
                    )
                )

    def cell(column: str) -> str:
        return values.get(column, "")

    first = rows[0].line

    def problem_sink(line: int, column: str) -> Callable[[str], None]:
        return lambda message: problems.append(FileProblem(line, column, message))

    document: dict[str, Any] = {
        "name": cell("association"),
        "active": cell("active") or True,
        "priority": cell("priority") or 100,
        "description": cell("description"),
        "email": cell("email"),
        "website": cell("website"),
        "address": {
            "street": cell("street_address"),
            "postal_code": cell("postal_code"),
            "city": cell("city"),
        },
        "notes": cell("notes"),
        "phones": _read_phones(cell("phones"), problem_sink(source.get("phones", first), "phones")),
        "hours": _read_hours(cell("hours")),
        "closures": _read_closures(cell("closures"), problem_sink(source.get("closures", first), "closures")),
    }
    service_lines: list[int] = []
    services = []
    for row in rows:
        get = row.cells.get
        if not any(get(column, "") for column in SERVICE_COLUMNS):
            continue
        communes = get("communes", "")
        services.append(
            {
                "name": get("service", ""),
                "category": _code(get("category", ""), dict(vocabulary.categories)),
                "status": _code(get("status", ""), ServiceStatus.labels()) or ServiceStatus.ACTIVE.value,
                "description": get("service_description", ""),
                "fees": get("fees", ""),
                "eligibility": get("eligibility", ""),
                "communes": "all"
                if communes.lower() in _ALL.values()
                else re.split(r"[\s,;]+", communes.strip())
                if communes
                else [],
                "phones": _read_phones(get("service_phones", ""), problem_sink(row.line, "service_phones")),
                "hours": _read_hours(get("service_hours", "")),
                "closures": _read_closures(
                    get("service_closures", ""), problem_sink(row.line, "service_closures")
                ),
            }
        )
        service_lines.append(row.line)
    document["services"] = services
    document["notify"] = None  # where the association hears of its referrals: not in the CSV, kept

    def locate(path: Path) -> tuple[int, str]:
        if path and path[0] == "services" and len(path) > 2:
            index, field = int(path[1]), str(path[2])
            return service_lines[index], _SERVICE_FIELD_COLUMN.get(field, field)
        if path and path[0] == "services" and len(path) == 2:
            return service_lines[int(path[1])], "service"
        field = str(path[-1]) if path and path[0] == "address" else str(path[0]) if path else "association"
        column = _ASSOCIATION_FIELD_COLUMN.get(field, field)
        return source.get(column, first), column

    return document, locate, problems


def _matching_items(
    text: str, pattern: re.Pattern[str], problem: Callable[[str], None], *, example: str
) -> Iterator[re.Match[str]]:
    """The items of a list cell that match `pattern`; any other is a problem (`example` shows what fits)."""
    for item in _ITEMS.split(text.strip()):
        if not item:
            continue
        match = pattern.fullmatch(item)
        if match is None:
            problem(f"« {item} » n'est pas {example}")
        else:
            yield match


def _read_phones(text: str, problem: Callable[[str], None]) -> list[dict[str, Any]]:
    phones = []
    example = "un numéro comme IVR +33261910000 (Accueil)"
    for match in _matching_items(text, _PHONE_ITEM, problem, example=example):
        rest = (match["rest"] or "").strip()
        if rest.startswith("(") and rest.endswith(")"):
            rest = rest[1:-1].strip()
        phones.append({"number": match["number"], "description": rest, "ivr": match["ivr"] is not None})
    return phones


def _read_hours(text: str) -> dict[str, str]:
    hours: dict[str, str] = {}
    for item in _ITEMS.split(text.strip()):
        if item:
            day, _, spans = item.partition(" ")
            hours[day] = f"{hours[day]} {spans}" if day in hours else spans
    return hours


def _read_closures(text: str, problem: Callable[[str], None]) -> list[dict[str, Any]]:
    example = "une fermeture comme 2026-12-24..2027-01-02 Congés"
    return [
        {"from": match["start"], "to": match["end"] or match["start"], "reason": match["reason"] or ""}
        for match in _matching_items(text, _CLOSURE_ITEM, problem, example=example)
    ]
