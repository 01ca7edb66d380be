"""The directory as files staff edit: YAML (one document per association) and CSV (one row per service).

Both are round-trip safe: an export imports back to the same data. An import is all or nothing: every
problem of the file is reported with its line, and the database is only changed when there is none.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path as FilePath
from typing import Any

import yaml
from sqlalchemy.orm import Session

from directory.documents import Path, from_document, to_document
from directory.editing import save_entry
from directory.entries import AssociationEntry, ClosureEntry, HoursEntry, PhoneEntry, Vocabulary
from directory.storage import entry_of, load_associations
from directory.values import format_span
from foundation.config import DAYS

FORMATS = ("yaml", "csv")


@dataclass(frozen=True)
class FileProblem:
    """A problem of an import file: its line, the field (YAML path or CSV column) and what is wrong."""

    line: int
    field: str
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", {self.field}" if self.field else "")
        return f"{where}: {self.message}"


class DirectoryImportError(Exception):
    """The file cannot be imported; `problems` lists every bad row, and nothing was changed."""

    def __init__(self, problems: Sequence[FileProblem]) -> None:
        self.problems = sorted(problems, key=lambda problem: problem.line)
        count = len(self.problems)
        super().__init__(
            f"{count} problem{'s' if count > 1 else ''}; nothing was imported:\n"
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
        if association is not None and entry_of(association) == entry:
            report.unchanged.append(entry.name)
            continue
        save_entry(
            session,
            entry,
            association=association,
            vocabulary=vocabulary,
            actor=actor,
            source="import",
            at=at,
        )
        (report.created if association is None else report.updated).append(entry.name)
    session.flush()
    return report


def read_file(path: FilePath, vocabulary: Vocabulary) -> list[AssociationEntry]:
    """The entries of a .yaml/.yml or .csv file; raises DirectoryImportError listing every problem."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DirectoryImportError(
            [FileProblem(1, "", f"the file is not UTF-8 text ({exc.reason}); save it as UTF-8")]
        ) from None
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return read_csv(text, vocabulary)
    if suffix in {".yaml", ".yml"}:
        return read_yaml(text, vocabulary)
    raise DirectoryImportError([FileProblem(1, "", f"{path.name}: expected a .csv, .yaml or .yml file")])


def write(entries: Sequence[AssociationEntry], fmt: str, vocabulary: Vocabulary) -> str:
    """The entries in `fmt` (one of FORMATS)."""
    return write_csv(entries, vocabulary) if fmt == "csv" else write_yaml(entries, vocabulary)


def _check_all(
    documents: Iterable[tuple[Any, Callable[[Path], tuple[int, str]]]], vocabulary: Vocabulary
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
                    f"duplicate: association {entry.name!r} is already on line {first_line[entry.name]}",
                )
            )
        elif entry.name:
            first_line[entry.name] = line
        entries.append(entry)
    if problems:
        raise DirectoryImportError(problems)
    return entries


# --- YAML ------------------------------------------------------------------------------------------------

_YAML_HEADER = (
    "# The directory of the 1001 services helpline: `helpline directory import` reads this file back.\n"
    "# Phones: 'ivr: true' marks the number the voice menu dials. Hours by day (mon ... sun), such as\n"
    "# mon: ['09:00-12:30', '13:30-17:30']. Service status: active, inactive or temporarily_closed.\n"
    "# Communes: INSEE codes, or 'all'.\n"
)


class _Dumper(yaml.SafeDumper):
    """Mappings in block style, lists of plain values on one line (hours, communes)."""


def _represent_list(dumper: yaml.SafeDumper, data: list[Any]) -> yaml.Node:
    flow = all(not isinstance(item, dict | list) for item in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.Node:
    # Several lines of text read best as a literal block.
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(list, _represent_list)
_Dumper.add_representer(str, _represent_str)


def write_yaml(entries: Sequence[AssociationEntry], vocabulary: Vocabulary) -> str:
    """The entries as the YAML document staff edit."""
    documents = [to_document(entry, all_communes=vocabulary.communes) for entry in entries]
    body = yaml.dump(
        {"associations": documents},
        Dumper=_Dumper,
        allow_unicode=True,
        sort_keys=False,
        width=110,
        default_flow_style=False,
    )
    return _YAML_HEADER + body


def read_yaml(text: str, vocabulary: Vocabulary) -> list[AssociationEntry]:
    """The entries of a YAML document; raises DirectoryImportError listing every problem."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or exc
        line = mark.line + 1 if mark else 1
        raise DirectoryImportError([FileProblem(line, "", f"this is not valid YAML ({problem})")]) from None
    if not isinstance(data, Mapping) or not isinstance(data.get("associations"), list):
        raise DirectoryImportError([FileProblem(1, "", "expected 'associations:' followed by a list")])
    extra = [key for key in data if key != "associations"]
    if extra:
        raise DirectoryImportError([FileProblem(1, str(extra[0]), "is not known (only 'associations')")])

    def locator(index: int) -> Callable[[Path], tuple[int, str]]:
        def locate(path: Path) -> tuple[int, str]:
            full: Path = ("associations", index, *path)
            return _node_line(root, full), _yaml_path(full)

        return locate

    return _check_all(
        ((document, locator(index)) for index, document in enumerate(data["associations"])), vocabulary
    )


def _node_line(node: yaml.Node | None, path: Path) -> int:
    """The line of the deepest node along `path` (1-based)."""
    line = 1
    for part in path:
        if node is None:
            break
        line = node.start_mark.line + 1
        child: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode):
            child = next((value for key, value in node.value if key.value == str(part)), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            child = node.value[part]
        node = child
    if node is not None:
        line = node.start_mark.line + 1
    return line


def _yaml_path(path: Path) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


# --- CSV -------------------------------------------------------------------------------------------------

# Association columns, then service columns: one row per service (association values repeated).
ASSOCIATION_COLUMNS = (
    "association",
    "active",
    "priority",
    "description",
    "email",
    "website",
    "street_address",
    "postal_code",
    "city",
    "notes",
    "phones",
    "hours",
    "closures",
)
SERVICE_COLUMNS = (
    "service",
    "category",
    "status",
    "service_description",
    "fees",
    "eligibility",
    "communes",
    "service_phones",
    "service_hours",
    "service_closures",
)
CSV_COLUMNS = ASSOCIATION_COLUMNS + SERVICE_COLUMNS
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
_PHONE_ITEM = re.compile(r"(?:(?P<ivr>ivr)\s*:?\s+)?(?P<number>\+?\d[\d .]*\d)(?:\s+(?P<rest>.*))?", re.I)
_CLOSURE_ITEM = re.compile(r"(?P<start>[^\s.]+)(?:\.\.(?P<end>\S+))?(?:\s+(?P<reason>.*))?")
_ITEMS = re.compile(r"\s*[;\n\r]+\s*")


def write_csv(entries: Sequence[AssociationEntry], vocabulary: Vocabulary) -> str:
    """The entries as a spreadsheet: one row per service, the association's columns repeated."""
    every = sorted(vocabulary.communes)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for entry in entries:
        association = [
            entry.name,
            "yes" if entry.active else "no",
            str(entry.priority),
            entry.description,
            entry.email,
            entry.website,
            entry.street_address,
            entry.postal_code,
            entry.city,
            entry.notes,
            _phones_cell(entry.phones),
            _hours_cell(entry.hours),
            _closures_cell(entry.closures),
        ]
        if not entry.services:
            writer.writerow(association + [""] * len(SERVICE_COLUMNS))
        for service in entry.services:
            communes = "all" if every and list(service.communes) == every else " ".join(service.communes)
            writer.writerow(
                [
                    *association,
                    service.name,
                    service.category,
                    service.status,
                    service.description,
                    service.fees,
                    service.eligibility,
                    communes,
                    _phones_cell(service.phones),
                    _hours_cell(service.hours),
                    _closures_cell(service.closures),
                ]
            )
    return out.getvalue()


def _phones_cell(phones: Iterable[PhoneEntry]) -> str:
    return "; ".join(
        ("IVR " if phone.ivr else "")
        + phone.number
        + (f" ({phone.description})" if phone.description else "")
        for phone in phones
    )


def _hours_cell(hours: Iterable[HoursEntry]) -> str:
    days: dict[int, list[str]] = {}
    for span in hours:
        days.setdefault(span.weekday, []).append(format_span(span))
    return "; ".join(f"{DAYS[day]} {' '.join(spans)}" for day, spans in days.items())


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
        header = [name.strip().lower() for name in next(reader)]
    except StopIteration:
        raise DirectoryImportError([FileProblem(1, "", "the file is empty")]) from None
    except csv.Error as exc:
        raise DirectoryImportError([FileProblem(1, "", f"this is not valid CSV ({exc})")]) from None
    unknown = [name for name in header if name not in CSV_COLUMNS]
    if unknown or "association" not in header:
        valid = ", ".join(CSV_COLUMNS)
        message = f"is not a known column (valid: {valid})"
        header_problems = [FileProblem(1, name, message) for name in unknown]
        if "association" not in header:
            header_problems.append(FileProblem(1, "association", "this column is required"))
        raise DirectoryImportError(header_problems)

    groups: dict[str, list[_Row]] = {}
    problems: list[FileProblem] = []
    line = reader.line_num + 1
    try:
        for record in reader:
            row = _Row(line, {name: value.strip() for name, value in zip(header, record, strict=False)})
            line = reader.line_num + 1
            if not any(row.cells.values()):
                continue
            if len(record) > len(header):
                problems.append(
                    FileProblem(row.line, "", f"has {len(record)} cells for {len(header)} columns")
                )
            name = row.cells.get("association", "")
            if not name:
                problems.append(FileProblem(row.line, "association", "a name is required"))
                continue
            groups.setdefault(name, []).append(row)
    except csv.Error as exc:
        problems.append(FileProblem(line, "", f"this is not valid CSV ({exc})"))
    documents = []
    for rows in groups.values():
        document, locate, found = _csv_document(rows)
        problems.extend(found)
        documents.append((document, locate))
    if problems:
        # Report the file's problems together with those of the documents' checks.
        try:
            _check_all(documents, vocabulary)
        except DirectoryImportError as exc:
            problems.extend(exc.problems)
        raise DirectoryImportError(problems)
    return _check_all(documents, vocabulary)


def _csv_document(
    rows: list[_Row],
) -> tuple[dict[str, Any], Callable[[Path], tuple[int, str]], list[FileProblem]]:
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
                        f"{value!r} differs from {values[column]!r} on line {source[column]} "
                        "(the rows of an association must agree)",
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
                "category": get("category", ""),
                "status": get("status", "") or "active",
                "description": get("service_description", ""),
                "fees": get("fees", ""),
                "eligibility": get("eligibility", ""),
                "communes": communes
                if communes.lower() == "all"
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


def _read_phones(text: str, problem: Callable[[str], None]) -> list[dict[str, Any]]:
    phones = []
    for item in _ITEMS.split(text.strip()):
        if not item:
            continue
        match = _PHONE_ITEM.fullmatch(item)
        if match is None:
            problem(f"{item!r} is not a phone such as 'IVR +33261910000 (Accueil)'")
            continue
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
    closures = []
    for item in _ITEMS.split(text.strip()):
        if not item:
            continue
        match = _CLOSURE_ITEM.fullmatch(item)
        if match is None:
            problem(f"{item!r} is not a closure such as '2026-12-24..2027-01-02 Congés'")
            continue
        closures.append(
            {"from": match["start"], "to": match["end"] or match["start"], "reason": match["reason"] or ""}
        )
    return closures
