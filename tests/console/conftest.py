"""Console fixtures: accounts of each role, a signed-in test client, calls placed through the simulator.

The real-browser fixtures (chromium, live_server, page, shot) live in tests/console/browser.py and are
re-exported here, so that every console test module can take them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.security import generate_password_hash
from werkzeug.test import TestResponse

import console.accounts
from call_log.models import Call
from call_log.recording import find_call
from console.accounts import create_user
from ivr.simulator.call import CallSimulator
from ivr.simulator.transports import FlaskClientTransport
from tests.conftest import AUTH_TOKEN, PUBLIC_URL, FakeClock
from tests.console.browser import PASSWORD, chromium, live_server, page, shot

__all__ = ["chromium", "live_server", "page", "shot"]

# username -> role; the console shows people by name.
ACCOUNTS = {"olivia": "operator", "sam": "staff", "ada": "admin"}
HELPLINE_NUMBER = "+33261911000"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(scope="session")
def password_hash() -> str:
    """PASSWORD hashed once (scrypt takes 0.1 s a hash, and nearly every console test makes accounts)."""
    return generate_password_hash(PASSWORD)


@pytest.fixture
def accounts(
    sessions: sessionmaker[Session], clock: FakeClock, password_hash: str, monkeypatch: pytest.MonkeyPatch
) -> dict[str, str]:
    """An operator (olivia), a staff member (sam) and an administrator (ada), all with PASSWORD."""
    real_hash = console.accounts.generate_password_hash

    def hashed(password: str) -> str:
        return password_hash if password == PASSWORD else real_hash(password)

    with monkeypatch.context() as patched, sessions() as session, session.begin():
        patched.setattr(console.accounts, "generate_password_hash", hashed)
        for username, role in ACCOUNTS.items():
            create_user(
                session,
                username=username,
                password=PASSWORD,
                role=role,
                display_name=username.title(),
                now=clock(),
            )
    return dict(ACCOUNTS)


@dataclass
class Browser:
    """A test client that signs in and sends forms with their CSRF token, as the console's pages do."""

    client: FlaskClient

    def login(self, username: str, password: str = PASSWORD) -> TestResponse:
        """Sign in through the login form."""
        return self.post("/login", {"username": username, "password": password}, token_from="/login")

    def token(self, page: str = "/") -> str:
        """The CSRF token a console page carries."""
        html = self.client.get(page).get_data(as_text=True)
        found = _CSRF.search(html)
        assert found is not None, f"no CSRF token on {page}"
        return found.group(1)

    def post(self, url: str, data: dict[str, str], *, token_from: str = "/") -> TestResponse:
        """POST a form with the CSRF token of `token_from`."""
        return self.client.post(url, data={**data, "csrf_token": self.token(token_from)})

    def get(self, url: str) -> TestResponse:
        """GET a page."""
        return self.client.get(url)

    def text(self, url: str) -> str:
        """The text of a page that must answer 200."""
        response = self.client.get(url)
        assert response.status_code == 200, f"GET {url}: {response.status_code}"
        return response.get_data(as_text=True)


@pytest.fixture
def browser(app: Flask, accounts: dict[str, str]) -> Browser:
    """A client of the console, not signed in yet."""
    return Browser(app.test_client())


@pytest.fixture
def as_operator(browser: Browser) -> Browser:
    """Signed in as olivia, an operator."""
    assert browser.login("olivia").status_code == 302
    return browser


@pytest.fixture
def as_staff(browser: Browser) -> Browser:
    """Signed in as sam, staff."""
    assert browser.login("sam").status_code == 302
    return browser


@pytest.fixture
def browser_factory(app: Flask, accounts: dict[str, str]) -> Callable[[str], Browser]:
    """Another person's browser, signed in as `username`."""

    def signed_in(username: str) -> Browser:
        other = Browser(app.test_client())
        assert other.login(username).status_code == 302
        return other

    return signed_in


@pytest.fixture
def simulator(app: Flask) -> CallSimulator:
    """The call simulator posting to the app in-process, signed as Twilio does."""
    return CallSimulator(
        FlaskClientTransport(app.test_client()),
        base_url=PUBLIC_URL,
        auth_token=AUTH_TOKEN,
        to=HELPLINE_NUMBER,
    )


@pytest.fixture
def read_call(sessions: sessionmaker[Session]) -> Callable[[str], Call]:
    """A call read back by its CallSid, with its events, referrals and callbacks loaded."""

    def read(call_sid: str) -> Call:
        with sessions() as session:
            call = find_call(session, call_sid)
            assert call is not None, f"call {call_sid} was not logged"
            _ = call.events, call.referrals, call.callbacks, call.association
            return call

    return read
