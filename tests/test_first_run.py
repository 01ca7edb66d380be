"""A newcomer's first run: where config and database are by default, and how the first admin is created."""

from __future__ import annotations

from pathlib import Path

import pytest

from foundation.settings import CHECKOUT, Settings, default_config_path
from tests.console.conftest import PASSWORD
from tests.test_cli import run


def test_from_another_folder_the_checkouts_config_and_database_are_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Run from a folder without config.yaml, a command uses the checkout's config and its var/ database."""
    monkeypatch.chdir(tmp_path)
    settings = Settings.from_env({})
    assert settings.config_path == CHECKOUT / "config.yaml"
    assert settings.database_url == f"sqlite:///{CHECKOUT / 'var' / 'helpline.sqlite3'}"


def test_the_config_of_the_current_folder_comes_first(tmp_path: Path) -> None:
    """A folder with its own config.yaml is a helpline of its own: its config, its var/ database."""
    (tmp_path / "config.yaml").write_text("helpline: {}\n", encoding="utf-8")
    assert default_config_path(tmp_path) == tmp_path / "config.yaml"
    settings = Settings.from_env({"HELPLINE_CONFIG": str(tmp_path / "config.yaml")})
    assert settings.database_url == f"sqlite:///{tmp_path / 'var' / 'helpline.sqlite3'}"


def test_a_command_never_creates_an_empty_sqlite_file(tmp_path: Path) -> None:
    """Pointed at a SQLite file that does not exist, a command says to run db upgrade and creates nothing."""
    missing = tmp_path / "mistyped.sqlite3"
    result = run(f"sqlite:///{missing}", "calls", "export", "--month", "2026-11")
    assert result.exit_code == 1
    assert "lancez 'helpline db upgrade'" in result.output
    assert list(tmp_path.iterdir()) == []


def test_db_upgrade_creates_the_folder_of_the_database(tmp_path: Path) -> None:
    """The default database lives in var/, which db upgrade creates."""
    database = tmp_path / "var" / "helpline.sqlite3"
    result = run(f"sqlite:///{database}", "db", "upgrade")
    assert result.exit_code == 0, result.output
    assert database.is_file()


def test_db_upgrade_says_how_to_create_the_first_admin_until_there_is_one(database_url: str) -> None:
    """A new database has no account: db upgrade prints the command that creates the first admin."""
    first = run(database_url, "db", "upgrade")
    assert "Aucun compte pour la console : créez le premier administrateur avec\n" in first.output
    assert "users add IDENTIFIANT --role admin\n" in first.output

    added = run(database_url, "users", "add", "marie", "--role", "admin", input=f"{PASSWORD}\n{PASSWORD}\n")
    assert added.exit_code == 0, added.output
    assert "Aucun compte" not in run(database_url, "db", "upgrade").output
