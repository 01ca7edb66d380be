"""Who reaches what: sign-in everywhere but the webhooks, roles per page, CSRF on every form, cookies."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Blueprint, Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from console.access import require_role
from console.accounts import User, set_active, set_password
from ivr.simulator.call import CallSimulator
from tests.console.conftest import PASSWORD, Browser

CONSOLE_PAGES = [
    "/",
    "/board/rows",
    "/go?call=1",
    "/calls/new",
    "/calls/1",
    "/callbacks",
    "/referrals",
    "/log",
    "/log/export.csv",
    "/admin/users",
    "/no/such/page",
]
# Every form of the console, with data that would be accepted if the CSRF token were there.
FORMS = [
    ("/calls/new", {"channel": "visit", "received_at": "2026-11-24T09:30"}),
    ("/calls/1", {"notes": "x"}),
    ("/calls/1/referrals", {"association_id": "1"}),
    ("/callbacks/1/take", {}),
    ("/callbacks/1/result", {"result": "done"}),
    ("/referrals/1", {"state": "contacted"}),
    ("/admin/users", {"username": "intruder", "role": "admin", "password": PASSWORD}),
    ("/admin/users/1/password", {"password": "a new long password"}),
    ("/admin/users/1/role", {"role": "admin"}),
    ("/admin/users/1/active", {"active": "0"}),
    ("/logout", {}),
]


@pytest.mark.parametrize("page", CONSOLE_PAGES)
def test_signed_out_pages_redirect_to_login(browser: Browser, page: str) -> None:
    """Every console URL, known or not, sends a signed-out visitor to the login page, then back."""
    response = browser.get(page)
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/login"
    assert parse_qs(location.query) == {"next": [page]}


def test_signed_out_board_refresh_gets_401(browser: Browser) -> None:
    """The board's background refresh is told 401 (the page then reloads into the login) instead of HTML."""
    assert browser.client.get("/board/rows", headers={"X-Requested-With": "fetch"}).status_code == 401


def test_webhooks_need_no_login_and_no_csrf_token(simulator: CallSimulator, accounts: dict[str, str]) -> None:
    """Twilio's signed requests reach the webhooks without a session or a CSRF token."""
    response = simulator.post(
        "/ivr/voice",
        simulator.base_params("CA" + "1" * 32, "ringing", "+33639980001", "+33261911000", "inbound"),
    )
    assert response.status == 200
    assert response.content_type.startswith("text/xml")


def test_health_stays_public(browser: Browser) -> None:
    """Load balancers check /health without signing in; it tells nothing about calls."""
    response = browser.get("/health")
    assert response.status_code == 200
    assert response.get_json() == {
        "status": "ok",
        "database": "ok",
        "journal": {"pending": 0, "oldest_age_s": None, "stale": False},
        "scheme": "http",
    }


@pytest.mark.parametrize(
    ("username", "allowed", "refused"),
    [
        (
            "olivia",
            ["/", "/board/rows", "/calls/new", "/callbacks"],
            ["/referrals", "/log", "/log/export.csv", "/admin/users"],
        ),
        ("sam", ["/", "/calls/new", "/callbacks", "/referrals", "/log", "/log/export.csv"], ["/admin/users"]),
        (
            "ada",
            ["/", "/calls/new", "/callbacks", "/referrals", "/log", "/log/export.csv", "/admin/users"],
            [],
        ),
    ],
)
def test_each_role_reaches_its_pages_only(
    browser: Browser, username: str, allowed: list[str], refused: list[str]
) -> None:
    """Operators work calls and callbacks; staff also follow-ups and the log; only admins manage accounts."""
    assert browser.login(username).status_code == 302
    for page in allowed:
        assert browser.get(page).status_code == 200, page
    for page in refused:
        response = browser.get(page)
        assert response.status_code == 403, page
        assert "pas accessible avec votre rôle" in response.get_data(as_text=True)


def test_operator_cannot_use_admin_forms(
    browser: Browser, sessions: sessionmaker[Session], accounts: dict[str, str]
) -> None:
    """An operator posting with a valid token to admin URLs is refused, the account existing or not."""
    assert browser.login("olivia").status_code == 302
    created = browser.post("/admin/users", {"username": "mallory", "role": "admin", "password": PASSWORD})
    assert created.status_code == 403
    with sessions() as session:
        admin_id = session.scalar(select(User.id).where(User.username == "ada"))
    for user_id in (admin_id, 9999):
        assert browser.post(f"/admin/users/{user_id}/role", {"role": "operator"}).status_code == 403
        assert (
            browser.post(f"/admin/users/{user_id}/password", {"password": "taken over!!"}).status_code == 403
        )
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(User)) == 3
        assert session.scalar(select(User.role).where(User.username == "ada")) == "admin"


@pytest.mark.parametrize(("url", "data"), FORMS)
def test_forms_without_csrf_token_are_refused(
    browser: Browser, sessions: sessionmaker[Session], url: str, data: dict[str, str]
) -> None:
    """Every console form posted without its CSRF token is refused with 400, and changes nothing."""
    assert browser.login("ada").status_code == 302
    response = browser.client.post(url, data=data)
    assert response.status_code == 400
    assert "Le formulaire a expiré" in response.get_data(as_text=True)
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(User)) == 3
    assert browser.get("/").status_code == 200  # still signed in: /logout was refused too


def test_login_without_csrf_token_is_refused(browser: Browser) -> None:
    """Even the login form needs its token (no login CSRF)."""
    response = browser.client.post("/login", data={"username": "olivia", "password": PASSWORD})
    assert response.status_code == 400


def test_wrong_password_then_throttled(browser: Browser) -> None:
    """A wrong password gets 401 and a message; the sixth try in a row is refused with 429."""
    for _ in range(5):
        wrong = browser.login("olivia", "not my password")
        assert wrong.status_code == 401
        assert "Identifiant ou mot de passe incorrect" in wrong.get_data(as_text=True)
    throttled = browser.login("olivia")
    assert throttled.status_code == 429
    assert "Trop de tentatives échouées. Réessayez dans 15 minutes." in throttled.get_data(as_text=True)


@pytest.mark.parametrize(
    ("target", "landing"),
    [("/callbacks", "/callbacks"), ("//evil.example/x", "/"), ("https://evil.example", "/")],
)
def test_login_goes_back_to_the_page_asked_for_only_on_this_site(
    browser: Browser, target: str, landing: str
) -> None:
    """After signing in, the visitor lands where they were going, unless that is another site."""
    response = browser.client.post(
        "/login",
        query_string={"next": target},
        data={"username": "olivia", "password": PASSWORD, "csrf_token": browser.token("/login")},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == landing


@pytest.mark.parametrize("change", ["password", "disabled"])
def test_session_ends_when_password_changes_or_account_is_disabled(
    browser: Browser, sessions: sessionmaker[Session], change: str
) -> None:
    """An open session is signed out at its next request once its password changed or its account is off."""
    assert browser.login("olivia").status_code == 302
    assert browser.get("/").status_code == 200
    with sessions() as session, session.begin():
        if change == "password":
            set_password(session, "olivia", "a new long password")
        else:
            set_active(session, "olivia", active=False)
    assert browser.get("/").status_code == 302


def test_logout(browser: Browser) -> None:
    """Signing out (a POST with its token) ends the session."""
    assert browser.login("olivia").status_code == 302
    assert browser.post("/logout", {}).headers["Location"] == "/login"
    assert browser.get("/").status_code == 302


def test_cookie_and_security_headers(browser: Browser) -> None:
    """The session cookie is Secure, HttpOnly, SameSite=Lax; pages are not cached, framed or scripted."""
    response = browser.login("olivia")
    [cookie] = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("helpline_session=")]
    for flag in ("Secure", "HttpOnly", "SameSite=Lax"):
        assert flag in cookie
    page = browser.get("/")
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert "script-src" not in page.headers["Content-Security-Policy"]  # default-src 'self' covers scripts


def test_pages_without_a_declared_role_are_refused(app: Flask, browser: Browser) -> None:
    """A blueprint added without `require_role` is refused to everyone; declaring a role opens it."""
    extra = Blueprint("extra", __name__)
    extra.add_url_rule("/extra", "page", lambda: "secret")
    app.register_blueprint(extra)
    assert browser.login("ada").status_code == 302
    assert browser.get("/extra").status_code == 403
    require_role(app, "extra", "operator")
    assert browser.get("/extra").get_data(as_text=True) == "secret"
