"""`helpline directory import | export | check`, through the real command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from directory.models import Association, Commune, DirectoryChange, Phone, Service, ServiceArea
from helpline.cli import main
from tests.conftest import EXAMPLE_CONFIG
from tests.directory_support import RICH_DIRECTORY

pytestmark = pytest.mark.usefixtures("engine")


def run(database_url: str, *args: str) -> Result:
    """Run `helpline ARGS` on the test database with the example config."""
    env = {"HELPLINE_DATABASE_URL": database_url, "HELPLINE_CONFIG": str(EXAMPLE_CONFIG)}
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def test_export_yaml_of_the_example_directory(database_url: str) -> None:
    """The YAML export starts with how to read it and lists the associations by name."""
    result = run(database_url, "directory", "export", "--format", "yaml")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == (
        "# The directory of the 1001 services helpline: `helpline directory import` reads this file back."
    )
    assert [line for line in lines if line.startswith("- name: ")] == [
        "- name: Brenne Aide à Domicile",
        "- name: Brenne Enfance Services",
        "- name: Les Jardiniers de la Brenne",
        "- name: Mobilité Solidaire Brenne",
        "- name: Repas et Courses en Brenne",
    ]


def test_export_csv_and_hsds(database_url: str, tmp_path: Path) -> None:
    """CSV has one row per service; HSDS is JSON with one organization per association; --output writes."""
    result = run(database_url, "directory", "export", "--format", "csv", "--csv", "donnees")
    assert result.exit_code == 0, result.output
    rows = result.output.splitlines()
    assert rows[0].startswith("association,active,priority,description,")
    assert len(rows) == 1 + 7
    assert rows[1] == (
        "Brenne Aide à Domicile,yes,10,,,,,,,,IVR +33261912001,,,Aide aux personnes âgées ou handicapées,"
        "AUTONOMIE,active,,,,all,,,"
    )

    target = tmp_path / "directory.json"
    written = run(database_url, "directory", "export", "--format", "hsds", "--output", str(target))
    assert written.output == f"Annuaire (hsds) écrit dans {target}.\n"
    organizations = json.loads(target.read_text(encoding="utf-8"))
    assert [len(o["services"]) for o in organizations] == [2, 1, 1, 1, 2]


def test_import_then_reimport_its_export_changes_nothing(database_url: str, tmp_path: Path) -> None:
    """An import creates and updates by name; importing the export afterwards finds everything unchanged."""
    result = run(database_url, "directory", "import", str(RICH_DIRECTORY), "--by", "Camille")
    assert result.exit_code == 0, result.output
    assert (
        result.output
        == f"{RICH_DIRECTORY} importé : 1 association(s) créée(s), 2 modifiée(s), 0 inchangée(s).\n"
    )

    for fmt in ("yaml", "csv"):
        exported = tmp_path / f"directory.{fmt}"
        assert (
            run(database_url, "directory", "export", "--format", fmt, "--output", str(exported)).exit_code
            == 0
        )
        again = run(database_url, "directory", "import", str(exported))
        assert (
            again.output
            == f"{exported} importé : 0 association(s) créée(s), 0 modifiée(s), 6 inchangée(s).\n"
        )


def test_a_bad_import_lists_every_problem_and_changes_nothing(
    database_url: str, engine: Engine, tmp_path: Path
) -> None:
    """Exit status 1, one line per problem on stderr, no association or history written."""
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "association,phones,category,communes\n"
        "Nouvelle,+33261912101,MAISON,all\n"
        "Sans catégorie,+33261912102,,all\n"
        "Mauvaise,+33261912103,MAISON,36018 12345\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(
        main,
        ["directory", "import", str(bad)],
        env={"HELPLINE_DATABASE_URL": database_url, "HELPLINE_CONFIG": str(EXAMPLE_CONFIG)},
    )
    assert result.exit_code == 1
    assert result.stderr == (
        f"helpline: {bad} : 2 problèmes ; rien n'a été importé :\n"
        "  ligne 3, category : la catégorie est obligatoire\n"
        "  ligne 4, communes : « 12345 » n'est pas le code INSEE d'une commune du territoire\n"
    )
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Association)) == 5
        assert session.scalar(select(func.count()).select_from(DirectoryChange)) == 0


def test_import_refuses_an_unknown_file_type(database_url: str, tmp_path: Path) -> None:
    """Only .csv, .yaml and .yml files are read."""
    other = tmp_path / "directory.xlsx"
    other.write_bytes(b"PK")
    result = run(database_url, "directory", "import", str(other))
    assert result.exit_code == 1
    assert result.stderr == (
        f"helpline: {other} : 1 problème ; rien n'a été importé :\n"
        "  ligne 1 : directory.xlsx : il faut un fichier .csv, .yaml ou .yml\n"
    )


def test_check_passes_on_the_example_directory(database_url: str) -> None:
    """Every menu category is covered; categories outside the menu that nobody covers are warnings."""
    result = run(database_url, "directory", "check")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == "Vérification de l'annuaire : 0 erreur, 11 points à vérifier."
    assert (
        "à vérifier : la catégorie SANTE (Soins et santé à domicile (orientation)) n'est couverte nulle part"
        in result.stdout
    )


def test_check_reports_bad_numbers_uncovered_menu_categories_and_unknown_communes(
    database_url: str, engine: Engine
) -> None:
    """Numbers not in E.164 or invalid, a menu category nobody covers, a commune not of the territory."""
    with Session(engine) as session, session.begin():
        session.execute(
            update(Association).where(Association.name == "Mobilité Solidaire Brenne").values(active=False)
        )
        session.execute(
            update(Phone).where(Phone.number == "+33261912003").values(number="+33 2 61 91 20 03")
        )
        session.execute(update(Phone).where(Phone.number == "+33261912002").values(number="+33012345678"))
        session.add(Commune(insee="36999", postal_code="36999", name="Nulle-Part", park_member="none"))
        session.flush()
        jardin = session.scalars(select(Service).where(Service.category_code == "EXTERIEUR")).one()
        session.add(ServiceArea(service_id=jardin.id, commune_insee="36999"))
    result = run(database_url, "directory", "check")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "erreur : Brenne Enfance Services : le numéro « +33 2 61 91 20 03 » n'est pas au format E.164 "
        "(écrivez +33261912003)",
        "erreur : Les Jardiniers de la Brenne : « +33012345678 » n'est pas un numéro valide dans son pays",
        "erreur : la catégorie TRANSPORT (Transport et accompagnement) est au menu vocal mais aucune "
        "association active ne la couvre nulle part",
        "erreur : Les Jardiniers de la Brenne / Jardinage, petit bricolage et déménagement : "
        "la commune 36999 n'est pas dans la liste des communes du territoire",
    ]
    assert result.stdout.splitlines()[-1] == "Vérification de l'annuaire : 4 erreurs, 14 points à vérifier."
