"""The monthly demand report: every table of a hand-built month checked exactly, and each format read back."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlalchemy.orm import Session, sessionmaker

from foundation.config import Config
from foundation.spreadsheets import CsvForm
from reports.aggregate import build_report
from reports.files import FORMATS, ReportFile, collect_month, render_files
from reports.opendata import open_data_rows, render_open_data
from reports.render_csv import render_csv
from reports.render_html import render_html
from reports.render_xlsx import render_xlsx, sheet_name
from reports.tables import MonthlyDemandReport
from tests.report_dataset import FULL_NUMBERS, MONTH

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
MAISON = "Ménage, linge et entretien de la maison"
EXTERIEUR = "Jardinage, petit bricolage et déménagement"
AUXILIAIRE = "Auxiliaire de vie, aide à domicile (toilette, lever, repas)"
ENFANTS = "Enfants : garde, sorties d'école, soutien scolaire et loisirs"
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def october(october: sessionmaker[Session]) -> Iterator[Session]:
    """A session on the database holding the hand-built data set (conftest's `october`, read here)."""
    with october() as session:
        yield session


def report_of(session: Session, month: str = MONTH) -> MonthlyDemandReport:
    """The report of a month of the data set."""
    return build_report(session, month, tz=PARIS, helpline_name="1001 services", now=NOW)


def all_files(session: Session, config: Config, month: str = MONTH) -> list[ReportFile]:
    """The four files of a month's report."""
    return render_files(collect_month(session, month, FORMATS, config=config, now=NOW), FORMATS)


def rows(report: MonthlyDemandReport, name: str) -> list[tuple[Any, ...]]:
    """The rows of one table, as a list."""
    return list(report.table(name).rows)


def test_key_figures_compare_with_previous_month_and_last_year(october: Session) -> None:
    """Key figures count October against September 2026 and October 2025, changes as fractions."""
    report = report_of(october)
    assert rows(report, "key_figures") == [
        ("calls", "Appels", 10, 2, 4.0, 4, 1.5),
        ("distinct_callers", "Appelants différents", 7, 2, 2.5, 3, pytest.approx(4 / 3)),
        ("answered", "Appels pris", 3, 1, 2.0, 2, 0.5),
        ("referred", "Appels orientés", 3, 1, 2.0, 1, 2.0),
        ("unmet", "Sans association pour ce service", 2, 0, None, 1, 1.0),
        ("not_answered", "Sans réponse", 4, 1, 3.0, 1, 3.0),
        ("after_hours", "Hors horaires", 3, 0, None, 0, None),
    ]
    assert report.figure("distinct_callers") == 7


def test_trend_covers_thirteen_months(october: Session) -> None:
    """The trend runs from the same month last year to the month, empty months included as zeros."""
    trend = rows(report_of(october), "trend")
    assert [row[0] for row in trend] == [
        "2025-10", "2025-11", "2025-12", "2026-01", "2026-02", "2026-03", "2026-04",
        "2026-05", "2026-06", "2026-07", "2026-08", "2026-09", "2026-10",
    ]  # fmt: skip
    assert trend[0] == ("2025-10", 4, 2, 1, 1, 0)
    assert all(row[1:] == (0, 0, 0, 0, 0) for row in trend[1:11])
    assert trend[11] == ("2026-09", 2, 1, 0, 1, 0)
    assert trend[12] == ("2026-10", 10, 3, 2, 4, 3)


def test_categories_and_subcategories(october: Session) -> None:
    """Top-level categories sum their sub-categories; a choice without detail is 'Sans précision'."""
    report = report_of(october)
    assert rows(report, "categories") == [
        ("MAISON", MAISON, 3, 0.3),
        ("EXTERIEUR", EXTERIEUR, 2, 0.2),
        ("AUTONOMIE", "Aide aux personnes âgées ou handicapées", 1, 0.1),
        ("COURSES_REPAS", "Courses et repas", 1, 0.1),
        ("ENFANTS", ENFANTS, 1, 0.1),
        ("TRANSPORT", "Transport et accompagnement", 1, 0.1),
        ("", "Non renseigné", 1, 0.1),
    ]
    subcategories = rows(report, "subcategories")
    assert [(row[0], row[2], row[3], row[4]) for row in subcategories] == [
        ("MAISON", "", "Sans précision", 1),
        ("MAISON", "MAISON.LINGE", "Repassage et blanchissage", 1),
        ("MAISON", "MAISON.MENAGE", "Ménage, aide ménagère", 1),
        ("EXTERIEUR", "EXTERIEUR.JARDINAGE", "Petits travaux de jardinage", 2),
        ("AUTONOMIE", "AUTONOMIE.AUXILIAIRE_DE_VIE", AUXILIAIRE, 1),
        ("COURSES_REPAS", "COURSES_REPAS.PORTAGE_REPAS", "Portage de repas à domicile", 1),
        ("ENFANTS", "", "Sans précision", 1),
        ("TRANSPORT", "", "Sans précision", 1),
    ]  # fmt: skip
    assert [row[5] for row in subcategories] == [pytest.approx(1 / 3)] * 3 + [1.0] * 5


def test_places_beneficiaries_and_how_callers_heard(october: Session) -> None:
    """Territory communes by name, outside by département, unknown; crossed with whom the call is for."""
    report = report_of(october)
    assert rows(report, "communes") == [
        ("territory", "Territoire du Parc", "36016", "Bélâbre", "", 3, 0.3),
        ("territory", "Territoire du Parc", "36010", "Azay-le-Ferron", "", 2, 0.2),
        ("territory", "Territoire du Parc", "36018", "Le Blanc", "", 1, 0.1),
        ("outside", "Hors territoire", "", "Département 37", "37", 1, 0.1),
        ("outside", "Hors territoire", "", "Département 75", "75", 1, 0.1),
        ("unknown", "Lieu inconnu", "", "Lieu inconnu", "", 2, 0.2),
    ]
    crossed = {(row[0], row[2]): row[4] for row in rows(report, "territory_beneficiary")}
    assert len(crossed) == 15
    assert {key: calls for key, calls in crossed.items() if calls} == {
        ("territory", "self"): 1,
        ("territory", "relative"): 4,
        ("territory", "professional"): 1,
        ("outside", "relative"): 2,
        ("unknown", ""): 2,
    }
    assert rows(report, "heard_from") == [
        ("town_hall", "Mairie", 3, 0.3),
        ("internet", "Internet", 1, 0.1),
        ("other", "Autre", 1, 0.1),
        ("press", "Presse ou radio", 1, 0.1),
        ("shop", "Commerçant", 1, 0.1),
        ("word_of_mouth", "Bouche à oreille", 1, 0.1),
        ("", "Non renseigné", 2, 0.2),
    ]


def test_heatmap_is_in_local_time_across_the_end_of_summer_time(october: Session) -> None:
    """02:30 CEST and 02:30 CET on 25 October both fall on Sunday at 2 h; 1 October 00:00 is Thursday 0 h."""
    heatmap = rows(report_of(october), "heatmap")
    assert len(heatmap) == 7 * 24
    assert {(row[0], row[2]): row[3] for row in heatmap if row[3]} == {
        (4, 0): 1,  # Thursday 1 October 00:00
        (1, 10): 1,
        (1, 11): 1,
        (2, 16): 1,
        (3, 12): 1,
        (6, 11): 1,
        (7, 2): 2,  # Sunday 25 October, 02:30 twice
        (6, 23): 1,  # Saturday 31 October 23:59
        (2, 9): 1,
    }
    assert heatmap[0][:3] == (1, "lundi", 0)


def test_outcomes_and_rates(october: Session) -> None:
    """How calls ended, and the voice journey's rates with their numerators and denominators."""
    report = report_of(october)
    assert [(row[0], row[2]) for row in rows(report, "outcomes")] == [
        ("connected_association", 2),
        ("connected_operator", 1),
        ("missed", 1),
        ("abandoned_in_menu", 1),
        ("after_hours_voicemail", 2),
        ("after_hours_no_message", 1),
        ("unmet", 2),
    ]
    assert [(row[0], row[2], row[3], row[4]) for row in rows(report, "rates")] == [
        ("answered", 3, 10, 0.3),
        ("abandoned_in_menu", 1, 10, 0.1),
        ("missed", 1, 10, 0.1),
        ("voicemail", 3, 10, 0.3),
        ("not_answered", 4, 10, 0.4),
        ("unmet", 2, 10, 0.2),
        ("after_hours", 3, 10, 0.3),
        ("in_territory", 6, 8, 0.75),
        ("for_relative", 6, 8, 0.75),
    ]


def test_funnel_from_menu_to_quote(october: Session) -> None:
    """Each stage counts the voice calls that passed it and all before; 30 h is not 'within 24 h'."""
    assert rows(report_of(october), "funnel") == [
        ("menu", "Appels arrivés au menu", 9, 1.0, None),
        ("transfer_attempted", "Transfert tenté", 5, pytest.approx(5 / 9), pytest.approx(5 / 9)),
        ("answered", "Transfert décroché", 3, pytest.approx(3 / 9), 0.6),
        ("referred", "Orienté vers une association", 2, pytest.approx(2 / 9), pytest.approx(2 / 3)),
        ("contacted_24h", "Recontacté par l'association sous 24 h", 1, pytest.approx(1 / 9), 0.5),
        ("quote", "Devis envoyé", 1, pytest.approx(1 / 9), 1.0),
    ]


def test_unmet_demand_has_both_reasons(october: Session) -> None:
    """No association covering the service there, apart from nobody answering; and where coverage lacks."""
    report = report_of(october)
    no_coverage = "Aucune association ne couvre ce service à cet endroit"
    assert [(row[0], row[2], row[4]) for row in rows(report, "unmet")] == [
        ("no_association", "EXTERIEUR", 2),
        ("not_answered", "COURSES_REPAS", 1),
        ("not_answered", "ENFANTS", 1),
        ("not_answered", "TRANSPORT", 1),
        ("not_answered", "", 1),
    ]
    assert rows(report, "unmet")[0][1] == no_coverage
    assert rows(report, "uncovered_places") == [
        ("EXTERIEUR", EXTERIEUR, "territory", "Territoire du Parc", "36016", "Bélâbre", 2),
    ]


def test_associations_transfers_answers_and_follow_up(october: Session) -> None:
    """Per association: transfers, answer rate, referrals (operators' too), contacts within 24 h, quotes."""
    table = report_of(october).table("associations")
    assert [row[2:] for row in table.rows] == [
        ("Brenne Aide à Domicile", 2, 1, 0.5, 2, 2, 2),
        ("Brenne Enfance Services", 1, 0, 0.0, 0, 0, 0),
        ("Repas et Courses en Brenne", 1, 1, 1.0, 1, 0, 0),
        ("Opérateurs", 3, 1, pytest.approx(1 / 3), 0, 0, 0),
    ]
    assert table.column("target") == ["association", "association", "association", "operators"]


def test_month_boundaries_follow_paris_time(october: Session) -> None:
    """23:59 on 30 September (Paris) is September's, 00:00 on 1 November is November's."""
    assert report_of(october, "2026-09").figure("calls") == 2
    assert report_of(october, "2026-11").figure("calls") == 1
    assert report_of(october, "2025-09").figure("calls") == 1
    assert report_of(october, "2026-12").figure("calls") == 0


def test_an_empty_month_renders(sessions: sessionmaker[Session], example_config: Config) -> None:
    """A month without calls gives zeros and undefined shares, in every format."""
    with sessions() as session:
        files = all_files(session, example_config, "2026-10")
        report = report_of(session)
    assert report.figure("calls") == 0
    assert rows(report, "funnel")[0] == ("menu", "Appels arrivés au menu", 0, None, None)
    assert [file.name for file in files] == [
        "demande-2026-10.html",
        "demande-2026-10.csv",
        "demande-2026-10.xlsx",
        "opendata-demande-2026-10.csv",
    ]
    assert files[3].content.decode() == (
        "month,category_code,category_label,commune_insee,commune_name,calls,suppressed\n"
    )


# --- formats ----------------------------------------------------------------------------------------


@SQLITE_ONLY
def test_csv_is_one_figure_per_row(october: Session) -> None:
    """Tidy CSV: report month, table, the table's dimensions, measure, value; one row per figure."""
    report = report_of(october)
    records = list(csv.DictReader(io.StringIO(render_csv(report, CsvForm.DATA))))
    header = next(csv.reader(io.StringIO(render_csv(report, CsvForm.DATA))))
    assert header[:2] == ["report_month", "table"]
    assert header[-2:] == ["measure", "value"]
    assert len(records) == sum(len(t.rows) * len(t.measures) for t in report.tables)
    assert {r["report_month"] for r in records} == {"2026-10"}
    calls = [r for r in records if r["table"] == "key_figures" and r["indicator"] == "calls"]
    assert [(r["measure"], r["value"]) for r in calls] == [
        ("month", "10"),
        ("previous_month", "2"),
        ("change_previous_month", "4"),
        ("same_month_last_year", "4"),
        ("change_last_year", "1.5"),
    ]
    funnel = {r["stage"]: r["value"] for r in records if r["table"] == "funnel" and r["measure"] == "calls"}
    assert funnel == {
        "menu": "9", "transfer_attempted": "5", "answered": "3",
        "referred": "2", "contacted_24h": "1", "quote": "1",
    }  # fmt: skip
    shares = [r["value"] for r in records if r["table"] == "funnel" and r["measure"] == "share_of_menu"]
    assert shares == ["1", "0.555556", "0.333333", "0.222222", "0.111111", "0.111111"]
    sunday = [r for r in records if r["table"] == "heatmap" and r["weekday"] == "7" and r["hour"] == "2"]
    assert [(r["weekday_label"], r["value"]) for r in sunday] == [("dimanche", "2")]
    # Dimensions of other tables stay empty, even one named like a measure of this table.
    assert all(r["commune_insee"] == "" for r in records if r["table"] == "funnel")
    assert {r["month"] for r in records if r["table"] == "key_figures"} == {""}


@SQLITE_ONLY
def test_csv_for_a_french_spreadsheet(october: Session) -> None:
    """The default CSV: ';', a byte-order mark, French titles and labels, decimal commas, no code columns."""
    report = report_of(october)
    text = render_csv(report, CsvForm.SPREADSHEET)
    assert text.splitlines()[0] == (  # the code columns left out: their label columns say them
        "\ufeffMois du rapport;Tableau;Indicateur;Mois;Service;Service précis;Zone;Code INSEE;"
        "Commune ou département;Pour qui;Issue;Source;Jour;Heure;Étape;Raison;Association;Mesure;Valeur"
    )
    records = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff")), delimiter=";"))
    assert len(records) == sum(len(t.rows) * len(t.measures) for t in report.tables)
    assert list(records[0].values())[-2:] == ["Ce mois (2026-10)", "10"]
    calls = [r for r in records if r["Tableau"] == "Chiffres clés" and r["Indicateur"] == "Appels"]
    assert [(r["Mois du rapport"], r["Mois"], r["Mesure"], r["Valeur"]) for r in calls] == [
        ("octobre 2026", "", "Ce mois (2026-10)", "10"),
        ("octobre 2026", "", "Mois précédent (2026-09)", "2"),
        ("octobre 2026", "", "Évolution", "4"),
        ("octobre 2026", "", "Un an avant (2025-10)", "4"),
        ("octobre 2026", "", "Évolution sur un an", "1,5"),
    ]


def _as_read_back(cell: Any) -> Any:
    """A cell as openpyxl reads it back: no empty strings, floats to 15 significant digits."""
    if cell == "":
        return None
    return pytest.approx(cell, rel=1e-14) if isinstance(cell, float) else cell


@SQLITE_ONLY
def test_xlsx_reads_back_with_numbers_as_numbers(october: Session) -> None:
    """A contents sheet then one sheet per table: header labels, the same values, counts and shares typed."""
    report = report_of(october)
    workbook = load_workbook(io.BytesIO(render_xlsx(report)))
    assert workbook.sheetnames == [
        "Sommaire",
        "Chiffres clés",
        "Évolution sur 13 mois",
        "Demandes par service",
        "Demandes par service précis",
        "Lieu du bénéficiaire",
        "Territoire et bénéficiaire",
        "Issue des appels",
        "Taux du mois",
        "Connaissance du numéro",
        "Appels par jour et par heure",
        "Du menu au devis",
        "Demande non satisfaite",
        "Services sans association",
        "Associations",
    ]
    contents = list(workbook["Sommaire"].iter_rows(min_row=5, values_only=True))
    assert [row[:2] for row in contents] == [(sheet_name(table), table.title) for table in report.tables]
    assert workbook["Sommaire"]["A5"].hyperlink.target == "#'Chiffres clés'!A1"
    for table in report.tables:
        sheet = workbook[sheet_name(table)]
        values = list(sheet.iter_rows(values_only=True))
        assert values[0] == tuple(column.label for column in table.columns)
        assert values[1:] == [tuple(_as_read_back(cell) for cell in row) for row in table.rows]
    key_figures = workbook["Chiffres clés"]
    assert key_figures["C2"].value == 10
    assert key_figures["C2"].number_format == "#,##0"
    assert key_figures["E2"].value == 4.0
    assert key_figures["E2"].number_format == "+0.0%;-0.0%;0.0%"
    funnel = workbook["Du menu au devis"]
    assert isinstance(funnel["D3"].value, float)
    assert funnel["D3"].number_format == "0.0%"
    assert funnel.freeze_panes == "A2"


class _Page(HTMLParser):
    """Collects the ids of tables, the headings and how many SVG charts a page holds."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[str] = []
        self.svgs = 0
        self.scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.tables.append(dict(attrs).get("id") or "")
        self.svgs += tag == "svg"
        self.scripts += tag == "script"


@SQLITE_ONLY
def test_html_is_a_self_contained_printable_page(october: Session) -> None:
    """All tables but the heat map's, six inline SVG charts, print CSS, no script, French figures."""
    report = report_of(october)
    html = render_html(report)
    page = _Page()
    page.feed(html)
    assert sorted(page.tables) == sorted(f"table-{t.name}" for t in report.tables if t.name != "heatmap")
    assert page.svgs == 6
    assert page.scripts == 0
    assert "<title>1001 services : observatoire de la demande, octobre 2026</title>" in html
    assert "@page { size: A4" in html
    assert 'lang="fr"' in html
    assert "+400,0\u202f%" in html  # calls against September
    assert ">Bélâbre<" in html
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)  # nothing fetched from elsewhere


PHONE_PATTERNS = (
    re.compile(r"\+33\s?[1-9](?:[\s.]?\d){8}"),
    re.compile(r"(?<!\d)0[1-9](?:[\s.]?\d{2}){4}(?!\d)"),
)


@SQLITE_ONLY
def test_no_full_phone_number_in_any_output(october: Session, example_config: Config) -> None:
    """Callers' and callback numbers are in the data set; no format of the report shows a phone number."""
    files = all_files(october, example_config)
    texts = [file.content.decode() for file in files if not file.name.endswith(".xlsx")]
    workbook = load_workbook(io.BytesIO(files[2].content))
    texts.append(
        " ".join(str(v) for sheet in workbook for row in sheet.iter_rows(values_only=True) for v in row)
    )
    for text in texts:
        for number in FULL_NUMBERS:
            assert number not in text
            assert number[3:] not in text  # without the country code
            assert "0" + number[3:] not in text  # national form
        # Text outside the SVG charts (their path data is made of numbers).
        for pattern in PHONE_PATTERNS:
            assert not pattern.search(re.sub(r"<svg.*?</svg>", "", text, flags=re.S))


def test_open_data_suppresses_small_counts(october: Session) -> None:
    """Cells by category and commune; under the threshold the count is withheld, flagged as suppressed."""
    published = open_data_rows(october, MONTH, tz=PARIS, suppress_below=2)
    assert [(r.category_code, r.commune_insee, r.calls) for r in published] == [
        ("COURSES_REPAS", "36018", None),
        ("EXTERIEUR", "36016", 2),
        ("MAISON", "36010", 2),
        ("MAISON", "36016", None),
    ]  # fmt: skip
    rows = open_data_rows(october, MONTH, tz=PARIS, suppress_below=3)
    assert render_open_data(rows) == (
        "month,category_code,category_label,commune_insee,commune_name,calls,suppressed\n"
        "2026-10,COURSES_REPAS,Courses et repas,36018,Le Blanc,,true\n"
        f'2026-10,EXTERIEUR,"{EXTERIEUR}",36016,Bélâbre,,true\n'
        f'2026-10,MAISON,"{MAISON}",36010,Azay-le-Ferron,,true\n'
        f'2026-10,MAISON,"{MAISON}",36016,Bélâbre,,true\n'
    )
