"""The console when its database is gone: a French page that says so (503), never Werkzeug's."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpline.db import sqlite_file
from tests.console.conftest import Browser
from tests.sqlite_faults import file_fault


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """SQLite only: its file is what the test takes away."""
    return f"sqlite:///{tmp_path / 'helpline.sqlite3'}"


def test_a_signed_in_page_without_the_database_says_so_in_french(browser: Browser, database_url: str) -> None:
    """The layout reads the signed-in user from the database: without it, a bare French page is sent."""
    assert browser.login("olivia").status_code == 302
    browser.client.application.config["PROPAGATE_EXCEPTIONS"] = False  # as served, not as tested
    database = sqlite_file(database_url)
    assert database is not None
    with file_fault(database, "missing"):
        response = browser.get("/")
    page = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "La base de données ne répond pas pour le moment." in page
    assert "Internal Server Error" not in page
    assert '<html lang="fr">' in page
