"""`helpline settings export|import|history`: the staff settings as a YAML file, read back as written."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import Engine, func, make_url, select, text
from sqlalchemy.orm import Session

from foundation.config import Config
from foundation.config.staff import STAFF_SECTIONS, staff_document
from foundation.db import transaction
from foundation.yaml_text import dump_yaml
from helpline.config import parse_config
from helpline.db import make_engine, make_session_factory
from ivr.models import SettingsVersion
from ivr.staff_settings import current, save, version_recordings
from tests.conftest import EXAMPLE_CONFIG, Templates
from tests.test_cli import run


def versions(database_url: str) -> list[tuple[str, str]]:
    """(by, summary) of each settings version in the database, oldest first."""
    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            found = session.scalars(select(SettingsVersion).order_by(SettingsVersion.id))
            return [(version.created_by, version.summary) for version in found]
    finally:
        engine.dispose()


def body(exported: str) -> str:
    """The YAML of an export without its comment header (which says when it was made)."""
    lines = exported.splitlines(keepends=True)
    assert lines[0].startswith("# Réglages de la ligne 1001 services")
    return "".join(line for line in lines if not line.startswith("#"))


def greeting(config: Config, words: str) -> dict[str, Any]:
    """A menu section: config.yaml's whole menu (a section replaces the current one), a new greeting."""
    return {"menu": {**staff_document(config)["menu"], "greeting": words}}


def write(folder: Path, name: str, document: Any) -> Path:
    """A settings file named `name` holding `document` as YAML."""
    path = folder / name
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture
def second_url(
    database_url: str, tmp_path: Path, templates: Templates, postgresql_admin: Engine | None
) -> Iterator[str]:
    """Another fresh installation on the same kind of database (migrated, settings untouched)."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        target = tmp_path / "second.sqlite3"
        templates.sqlite(target)
        yield f"sqlite:///{target}"
        return
    assert postgresql_admin is not None
    name = f"test_{uuid.uuid4().hex[:12]}"
    templates.postgresql(postgresql_admin, name)
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with postgresql_admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.mark.usefixtures("engine")
def test_export_of_a_fresh_install_is_config_yaml_s_sections_and_pastes_into_it(
    database_url: str, example_config: Config
) -> None:
    """Nothing changed yet: the export is config.yaml's staff sections, in order, and config.yaml takes it."""
    result = run(database_url, "settings", "export")

    assert result.exit_code == 0, result.output
    header = [line for line in result.output.splitlines() if line.startswith("#")]
    assert "# Depuis : config.yaml, aucun changement ; exportés le " in header[1]
    assert header[-1] == "# Les messages enregistrés (fichiers audio) ne sont jamais dans ce fichier."
    exported = yaml.safe_load(result.output)
    assert list(exported) == list(STAFF_SECTIONS)
    assert exported == staff_document(example_config)
    assert "  mon: ['09:00-12:30', '13:30-17:30']\n" in result.output
    assert "    reason: Fermeture de fin d'année\n" in result.output
    assert "  - start: '2026-12-24'\n" in result.output

    # config.yaml without its staff sections, then the export pasted at its end: the same line.
    shipped = EXAMPLE_CONFIG.read_text(encoding="utf-8")
    others = {key: value for key, value in yaml.safe_load(shipped).items() if key not in STAFF_SECTIONS}
    assert parse_config(dump_yaml(others) + result.output) == parse_config(shipped)


def test_export_then_import_on_another_installation_round_trips_and_calls_hear_it(
    engine: Engine, database_url: str, second_url: str, tmp_path: Path, example_config: Config
) -> None:
    """A file imported elsewhere exports the same YAML, and the next call there hears its greeting."""
    partial = write(
        tmp_path,
        "changes.yaml",
        {
            "menu": {**staff_document(example_config)["menu"], "greeting": "Bonjour, ici la Brenne. Ça va ?"},
            "hours": {"mon": ["9:00-12:00"], "sat": ["10:00-12:00"]},
        },
    )
    imported = run(database_url, "settings", "import", str(partial), "--par", "Marie")
    assert imported.exit_code == 0, imported.output
    assert imported.output.splitlines()[:2] == ["Réglages importés : version 1.", "Changé : hours, menu."]
    assert "  menu.greeting\n" in imported.output
    assert "  hours.sat\n" in imported.output
    # A section the file leaves out keeps the current one.
    calendar = run(database_url, "settings", "import", str(write(tmp_path, "cal.yaml", {"calendar": {}})))
    assert calendar.output.startswith("Réglages importés : version 2.\nChangé : calendar.\n")

    exported = run(database_url, "settings", "export", str(tmp_path / "backup.yaml"))
    assert exported.output == f"Réglages écrits dans {tmp_path / 'backup.yaml'}.\n"
    first = (tmp_path / "backup.yaml").read_text(encoding="utf-8")
    assert "# Depuis : version 2 du " in first
    assert "(ligne de commande) ; exportés le " in first
    assert "  greeting: Bonjour, ici la Brenne. Ça va ?\n" in first
    assert "  mon: ['09:00-12:00']\n" in first

    moved = run(second_url, "settings", "import", str(tmp_path / "backup.yaml"))
    assert moved.exit_code == 0, moved.output
    assert moved.output.startswith("Réglages importés : version 1.\nChangé : hours, calendar, menu.\n")
    assert body(run(second_url, "settings", "export").output) == body(first)
    assert versions(second_url) == [("ligne de commande", "Import de backup.yaml")]

    elsewhere = make_engine(second_url)
    try:
        with Session(elsewhere) as session:
            heard = current(session, example_config).config
    finally:
        elsewhere.dispose()
    assert heard.menu.greeting == "Bonjour, ici la Brenne. Ça va ?"
    assert heard.calendar.closures == []
    assert heard.operators == example_config.operators


def _menu_with_seven_options(config: Config) -> dict[str, Any]:
    menu = staff_document(config)["menu"]
    menu["options"].append({"key": "7", "say": "Autre chose, tapez 7.", "category": "MAISON"})
    return {"menu": menu}


@pytest.mark.usefixtures("engine")
@pytest.mark.parametrize(
    ("document", "problem"),
    [
        pytest.param(
            _menu_with_seven_options,
            "  menu.options : un menu propose au plus 6 choix énoncés, pas 7 ; "
            "regroupez les autres dans un sous-menu",
            id="seventh-option",
        ),
        pytest.param(
            lambda _config: {"hours": {"mon": ["18:00-09:00"]}},
            "  hours.mon : « 18:00-09:00 » finit avant de commencer",
            id="hours-backwards",
        ),
        pytest.param(
            lambda _config: {"menu": {"greeting": "Bonjour"}, "questions": {"commune": False}},
            "  ligne 3 : questions : ce réglage ne se change pas ici "
            "(valides : hours, calendar, operators, menu, prompts) ; il se règle dans config.yaml",
            id="unknown-section",
        ),
    ],
)
def test_an_invalid_file_is_refused_naming_the_key_and_adds_no_version(
    database_url: str, tmp_path: Path, example_config: Config, document: Any, problem: str
) -> None:
    """Each bad setting is named on its own line, the exit code says it failed, and nothing is kept."""
    path = write(tmp_path, "bad.yaml", document(example_config))
    for args in (["--dry-run"], []):
        result = run(database_url, "settings", "import", str(path), *args)
        assert result.exit_code == 1
        assert result.stderr.splitlines() == [f"{path} : réglages refusés, rien n'est enregistré.", problem]
    assert versions(database_url) == []


@pytest.mark.usefixtures("engine")
def test_dry_run_says_what_would_change_and_writes_nothing(database_url: str, tmp_path: Path) -> None:
    """--dry-run lists the settings that would change; the import itself then adds the version."""
    path = write(tmp_path, "prompts.yaml", {"prompts": {"goodbye": "À bientôt."}})
    trial = run(database_url, "settings", "import", str(path), "--dry-run")

    assert trial.exit_code == 0, trial.output
    assert trial.output == (
        "Essai : l'import changerait prompts ; rien n'est enregistré.\n  prompts.goodbye\n"
    )
    assert versions(database_url) == []
    assert run(database_url, "settings", "import", str(path)).exit_code == 0
    assert versions(database_url) == [("ligne de commande", "Import de prompts.yaml")]


@pytest.mark.usefixtures("engine")
def test_importing_the_settings_in_force_adds_no_version(
    database_url: str, tmp_path: Path, example_config: Config
) -> None:
    """An export imported back unchanged, before and after a version exists, changes nothing."""
    unchanged = "Rien à changer : ce sont déjà les réglages en vigueur (aucune version ajoutée).\n"
    fresh = tmp_path / "fresh.yaml"
    run(database_url, "settings", "export", str(fresh))
    assert run(database_url, "settings", "import", str(fresh)).output == unchanged
    assert versions(database_url) == []

    run(
        database_url, "settings", "import", str(write(tmp_path, "m.yaml", greeting(example_config, "Allô ?")))
    )
    again = tmp_path / "again.yaml"
    run(database_url, "settings", "export", str(again))
    # The same hours, written the way staff might type them, are the same settings.
    loose = again.read_text(encoding="utf-8").replace("'09:00-12:30'", "'9:00-12:30'")
    assert "'9:00-12:30'" in loose
    again.write_text(loose, encoding="utf-8")
    assert run(database_url, "settings", "import", str(again), "--par", "Marie").output == unchanged
    assert versions(database_url) == [("ligne de commande", "Import de m.yaml")]


@pytest.mark.usefixtures("engine")
@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param(
            "menu:\n  greeting: [Bonjour\nhours: {}\n",
            "  ligne 3, colonne 6 : ce n'est pas du YAML valide "
            "(vérifiez l'indentation, les « : » et les guillemets)",
            id="yaml-syntax",
        ),
        pytest.param(
            "",
            "  le fichier est vide : il faut des réglages parmi hours, calendar, operators, menu, prompts",
            id="empty",
        ),
        pytest.param(
            "- hours\n",
            "  il faut une liste de réglages parmi hours, calendar, operators, menu, prompts",
            id="not-a-mapping",
        ),
    ],
)
def test_a_file_that_is_not_settings_is_refused_with_its_line(
    database_url: str, tmp_path: Path, content: str, message: str
) -> None:
    """A YAML mistake is named by its line; a file that holds no settings says what it should hold."""
    path = tmp_path / "broken.yaml"
    path.write_text(content, encoding="utf-8")
    result = run(database_url, "settings", "import", str(path))
    assert result.exit_code == 1
    assert result.stderr.splitlines()[1:] == [message]
    assert versions(database_url) == []


def test_a_missing_file_or_a_database_not_migrated_fails_in_one_french_line(
    database_url: str, tmp_path: Path, example_config: Config
) -> None:
    """No file, a folder, or a database `helpline db upgrade` has not made: one line saying what to do."""
    missing = run(database_url, "settings", "import", str(tmp_path / "absent.yaml"))
    assert (missing.exit_code, missing.stderr) == (
        1,
        f"helpline: {tmp_path / 'absent.yaml'} : fichier introuvable\n",
    )
    folder = run(database_url, "settings", "import", str(tmp_path))
    assert (
        folder.stderr
        == f"helpline: {tmp_path} : c'est un dossier ; donnez le chemin d'un fichier de réglages\n"
    )

    not_ready = (
        "helpline: la base de données n'est pas prête ou pas à jour : vérifiez HELPLINE_DATABASE_URL "
        "et lancez 'helpline db upgrade'\n"
    )
    path = write(tmp_path, "m.yaml", greeting(example_config, "Allô ?"))
    for args in (["export"], ["import", str(path)], ["history"]):
        result = run(database_url, "settings", *args)
        assert (result.exit_code, result.stderr) == (1, not_ready), args


@pytest.mark.usefixtures("engine")
def test_history_lists_the_versions_newest_first(
    database_url: str, tmp_path: Path, example_config: Config
) -> None:
    """One line per version: number, local date, who, what; none yet says config.yaml applies."""
    assert run(database_url, "settings", "history").output == "Aucune version : la ligne suit config.yaml.\n"
    run(database_url, "settings", "import", str(write(tmp_path, "a.yaml", greeting(example_config, "A"))))
    run(
        database_url,
        "settings",
        "import",
        str(write(tmp_path, "b.yaml", greeting(example_config, "B"))),
        "--par",
        "Marie",
    )

    lines = run(database_url, "settings", "history").output.splitlines()
    assert [line.split("  ", 1)[0] for line in lines] == ["2", "1"]
    assert lines[0].endswith("  Marie  Import de b.yaml")
    assert lines[1].endswith("  ligne de commande  Import de a.yaml")
    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            assert session.scalar(select(func.count()).select_from(SettingsVersion)) == 2
    finally:
        engine.dispose()


def test_recorded_prompts_are_named_in_the_header_and_kept_by_an_import(
    engine: Engine, database_url: str, tmp_path: Path, example_config: Config
) -> None:
    """Recorded audio is not in the file: the header names the prompts that have one, an import keeps it."""
    with transaction(make_session_factory(engine)) as session:
        save(
            session,
            example_config,
            staff_document(example_config),
            by="Marie\nDupont",
            now=datetime(2026, 11, 24, 9, 0, tzinfo=UTC),
            summary="Accueil enregistré",
            recordings={"menu.greeting": 1, "prompts.voicemail": 2},
        )
    exported = run(database_url, "settings", "export").output
    assert exported.splitlines()[1].startswith("# Depuis : version 1 du 24/11/2026 à 10:00 (Marie Dupont) ; ")
    assert exported.splitlines()[4] == (
        "# Messages enregistrés, non inclus (fichiers audio gardés dans la base) : "
        "menu.greeting, prompts.voicemail."
    )

    path = write(tmp_path, "m.yaml", greeting(example_config, "Bonjour."))
    assert run(database_url, "settings", "import", str(path)).exit_code == 0
    with Session(engine) as session:
        newest = current(session, example_config).version
        assert newest is not None
        kept = session.get(SettingsVersion, newest)
        assert kept is not None
        assert version_recordings(kept) == {"menu.greeting": 1, "prompts.voicemail": 2}
