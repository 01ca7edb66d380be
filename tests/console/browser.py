"""Real-browser support for the console's tests: Debian's chromium driven by Playwright, a live server.

The fixtures (`chromium`, `live_server`, `page`, `shot`) are re-exported by tests/console/conftest.py, so
every console test module can take them; `sign_in` is imported where needed. Screenshots of each step go to
test-output/console-screenshots/ for review.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Callable, Iterator

import pytest
from axe_playwright_python.sync_playwright import Axe
from flask import Flask
from playwright.sync_api import Browser as Chromium
from playwright.sync_api import Page, expect, sync_playwright
from werkzeug.serving import make_server

from tests.conftest import ROOT

SCREENSHOTS = ROOT / "test-output" / "console-screenshots"
REQUIRE_BROWSER = os.environ.get("HELPLINE_TEST_REQUIRE_BROWSER") == "1"
# Long enough for a loaded CI machine; expect() polls, it never sleeps this long when things are right.
TIMEOUT_MS = 15_000
# The password of every test account (tests.console.conftest.ACCOUNTS).
PASSWORD = "correct horse battery"


@pytest.fixture(scope="session")
def chromium() -> Iterator[Chromium]:
    """Debian's chromium, headless (Playwright downloads no browser)."""
    path = (
        os.environ.get("HELPLINE_TEST_CHROMIUM")
        or shutil.which("chromium")
        or shutil.which("chromium-browser")
    )
    if path is None:
        if REQUIRE_BROWSER:
            pytest.fail("HELPLINE_TEST_REQUIRE_BROWSER=1 but no chromium: apt-get install chromium")
        pytest.skip("no chromium to drive: apt-get install chromium (or set HELPLINE_TEST_CHROMIUM)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def live_server(app: Flask, accounts: dict[str, str]) -> Iterator[str]:
    """The app served over HTTP by a real server in a thread; the board refreshes every second."""
    app.config["CONSOLE_BOARD_REFRESH_S"] = 1
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    # "localhost": browsers keep Secure cookies over plain http there.
    yield f"http://localhost:{server.server_port}"
    server.shutdown()
    thread.join()
    server.server_close()


@pytest.fixture
def page(chromium: Chromium, live_server: str) -> Iterator[Page]:
    """A fresh browser window the size of a 1366x768 laptop (closed before the server stops).

    Any error in the browser's console (a script error, a resource refused by the CSP) fails the test.
    """
    context = chromium.new_context(viewport={"width": 1366, "height": 768}, locale="fr-FR")
    context.set_default_timeout(TIMEOUT_MS)
    opened = context.new_page()
    errors: list[str] = []
    opened.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    yield opened
    context.close()
    # 400/403/404 pages are expected in some tests; script errors and CSP violations are not.
    assert [e for e in errors if "status of 4" not in e] == []


@pytest.fixture
def shot(request: pytest.FixtureRequest) -> Callable[[Page, str], None]:
    """Save a screenshot named after the test and the step."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    name = request.node.name.replace("[", "-").replace("]", "")

    def take(page: Page, step: str) -> None:
        page.screenshot(path=SCREENSHOTS / f"{name}-{step}.png", full_page=True)

    return take


def sign_in(page: Page, base: str, username: str) -> None:
    """Sign in with the keyboard alone: type, Tab, type, Enter."""
    page.goto(f"{base}/login")
    expect(page.get_by_label("Identifiant")).to_be_focused()
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_text("Se déconnecter")).to_be_visible()


# The impacts that fail a page: axe-core's "serious" and "critical" (issue: 0 of them on every page).
BLOCKING_IMPACTS = ("serious", "critical")


def accessibility_problems(page: Page) -> list[str]:
    """axe-core's serious and critical violations on the page as it is now, one line each."""
    results = Axe().run(page)
    return [
        f"{violation['id']} ({violation['impact']}): {violation['help']}: "
        + "; ".join(str(node.get("target")) for node in violation["nodes"][:5])
        for violation in results.response["violations"]
        if violation.get("impact") in BLOCKING_IMPACTS
    ]
