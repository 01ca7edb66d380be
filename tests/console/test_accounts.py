"""Console accounts: creation rules, password hashing, login throttling, and the `helpline users` commands."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.security import check_password_hash, generate_password_hash

from console.accounts import (
    DUMMY_HASH,
    MAX_FAILURES_PER_ADDRESS,
    MAX_FAILURES_PER_USER,
    THROTTLE_WINDOW,
    AccountError,
    Credentials,
    LoginFailure,
    LoginRefusedError,
    User,
    authenticate,
    create_user,
    find_user,
    session_token,
    set_password,
    user_for_token,
)
from helpline.cli import main
from tests.conftest import EXAMPLE_CONFIG, FakeClock
from tests.console.conftest import PASSWORD


def run(database_url: str, *args: str, input: str | None = None) -> Result:
    """Run `helpline ARGS` against the test database."""
    env = {"HELPLINE_DATABASE_URL": database_url, "HELPLINE_CONFIG": str(EXAMPLE_CONFIG)}
    return CliRunner().invoke(main, list(args), env=env, input=input, catch_exceptions=False)


def login(sessions: sessionmaker[Session], clock: FakeClock, username: str, password: str, addr: str) -> User:
    """Authenticate in a committed transaction (failures are recorded even when refused)."""
    with sessions() as session, session.begin():
        try:
            return authenticate(session, Credentials(username, password, addr), now=clock())
        except LoginRefusedError as refused:
            error = refused
    raise error


@pytest.mark.parametrize(
    ("username", "role", "password", "kind"),
    [
        ("olivia", "operator", PASSWORD, "taken"),
        ("OLIVIA ", "operator", PASSWORD, "taken"),
        ("x", "operator", PASSWORD, "username"),
        ("jean dupont", "operator", PASSWORD, "username"),
        ("jean", "boss", PASSWORD, "role"),
        ("jean", "operator", "short", "password"),
    ],
)
def test_create_user_refuses_bad_accounts(
    sessions: sessionmaker[Session],
    clock: FakeClock,
    accounts: dict[str, str],
    username: str,
    role: str,
    password: str,
    kind: str,
) -> None:
    """Taken names (whatever the case), malformed names, unknown roles and short passwords are refused."""
    with sessions() as session, pytest.raises(AccountError) as error:
        create_user(session, username=username, password=password, role=role, now=clock())
    assert error.value.kind == kind


def test_passwords_are_hashed_and_checked(
    sessions: sessionmaker[Session], clock: FakeClock, accounts: dict[str, str]
) -> None:
    """The stored hash is not the password; the right password signs in and stamps the last login."""
    with sessions() as session:
        user = find_user(session, "olivia")
        assert user is not None
        assert PASSWORD not in user.password_hash
        assert user.password_hash.startswith(("scrypt:", "pbkdf2:"))
    clock.advance(60)
    signed_in = login(sessions, clock, "Olivia", PASSWORD, "10.0.0.1")
    assert signed_in.username == "olivia"
    with sessions() as session:
        assert session.get_one(User, signed_in.id).last_login_at == clock()


def test_unknown_usernames_are_checked_against_a_hash_as_costly_as_a_real_one() -> None:
    """The dummy hash uses the method and cost of new passwords' hashes, and no password matches it."""
    method = generate_password_hash(PASSWORD).split("$")[0]
    assert DUMMY_HASH.split("$")[0] == method
    assert check_password_hash(DUMMY_HASH, "not a password of anyone")
    assert not check_password_hash(DUMMY_HASH, PASSWORD)


def test_failed_logins_are_throttled_per_username_and_address(
    sessions: sessionmaker[Session], clock: FakeClock, accounts: dict[str, str]
) -> None:
    """After 5 failures for a name from one address, that address waits out the window; others sign in."""
    for _ in range(MAX_FAILURES_PER_USER):
        with pytest.raises(LoginRefusedError) as refused:
            login(sessions, clock, "olivia", "wrong password", "198.51.100.7")
        assert refused.value.reason == "invalid"
        clock.advance(10)
    with pytest.raises(LoginRefusedError) as throttled:
        login(sessions, clock, "olivia", PASSWORD, "198.51.100.7")
    assert throttled.value.reason == "throttled"
    assert throttled.value.retry_after == THROTTLE_WINDOW - timedelta(seconds=10 * MAX_FAILURES_PER_USER)
    # Failing on purpose locks nobody out: the real user elsewhere, another user there.
    assert login(sessions, clock, "olivia", PASSWORD, "203.0.113.5").username == "olivia"
    assert login(sessions, clock, "sam", PASSWORD, "198.51.100.7").username == "sam"
    with pytest.raises(LoginRefusedError):
        login(sessions, clock, "olivia", PASSWORD, "198.51.100.7")  # a success elsewhere gives no tries back
    clock.advance(throttled.value.retry_after.total_seconds())
    assert login(sessions, clock, "olivia", PASSWORD, "198.51.100.7").username == "olivia"
    with sessions() as session:
        assert session.scalars(select(LoginFailure).where(LoginFailure.username == "olivia")).all() == []


def test_failed_logins_are_throttled_per_address(
    sessions: sessionmaker[Session], clock: FakeClock, accounts: dict[str, str]
) -> None:
    """Guessing many usernames from one address locks that address, not the people elsewhere."""
    for attempt in range(MAX_FAILURES_PER_ADDRESS):
        with pytest.raises(LoginRefusedError):
            login(sessions, clock, f"guess{attempt}", "wrong password", "203.0.113.7")
    with pytest.raises(LoginRefusedError) as throttled:
        login(sessions, clock, "ada", PASSWORD, "203.0.113.7")
    assert throttled.value.reason == "throttled"
    assert login(sessions, clock, "ada", PASSWORD, "10.0.0.2").username == "ada"


def test_disabled_or_unknown_accounts_cannot_sign_in(
    sessions: sessionmaker[Session], clock: FakeClock, accounts: dict[str, str]
) -> None:
    """A disabled account and an unknown name are refused like a wrong password."""
    with sessions() as session, session.begin():
        user = find_user(session, "olivia")
        assert user is not None
        user.active = False
    for username in ("olivia", "nobody"):
        with pytest.raises(LoginRefusedError) as refused:
            login(sessions, clock, username, PASSWORD, "10.0.0.1")
        assert refused.value.reason == "invalid"


def test_session_token_changes_with_the_password(
    sessions: sessionmaker[Session], clock: FakeClock, accounts: dict[str, str]
) -> None:
    """A session's token finds its user until the password changes; then only the new token does."""
    with sessions() as session, session.begin():
        user = session.get_one(User, login(sessions, clock, "sam", PASSWORD, "10.0.0.1").id)
        old_token = session_token(user)
        assert user_for_token(session, old_token) is user
        set_password(session, "sam", "another long password")
        assert user_for_token(session, old_token) is None
        assert user_for_token(session, session_token(user)) is user
        assert user_for_token(session, "garbage") is None


def test_cli_users_add_passwd_disable(
    database_url: str, sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    """`helpline users add|passwd|disable|enable|list` manage accounts; passwords are prompted twice."""
    added = run(
        database_url,
        "users",
        "add",
        "Marie",
        "--role",
        "staff",
        "--name",
        "Marie Durand",
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert added.exit_code == 0, added.output
    assert "Compte marie créé (équipe)." in added.output
    assert login(sessions, clock, "marie", PASSWORD, "10.0.0.1").display_name == "Marie Durand"

    changed = run(database_url, "users", "passwd", "marie", input="a brand new secret\na brand new secret\n")
    assert changed.exit_code == 0
    assert "Mot de passe de marie changé." in changed.output
    with pytest.raises(LoginRefusedError):
        login(sessions, clock, "marie", PASSWORD, "10.0.0.1")
    assert login(sessions, clock, "marie", "a brand new secret", "10.0.0.1").username == "marie"

    disabled = run(database_url, "users", "disable", "marie")
    assert disabled.exit_code == 0
    assert "Compte marie désactivé." in disabled.output
    with pytest.raises(LoginRefusedError):
        login(sessions, clock, "marie", "a brand new secret", "10.0.0.1")
    assert run(database_url, "users", "list").output == "marie\tÉquipe\tdésactivé\tMarie Durand\n"
    assert run(database_url, "users", "enable", "marie").exit_code == 0
    assert login(sessions, clock, "marie", "a brand new secret", "10.0.0.1").username == "marie"


@pytest.mark.parametrize(
    ("args", "input", "message"),
    [
        (
            ("users", "add", "olivia"),
            f"{PASSWORD}\n{PASSWORD}\n",
            "helpline: l'identifiant « olivia » est déjà pris.\n",
        ),
        (
            ("users", "add", "jean"),
            "short\nshort\n",
            "helpline: mot de passe trop court : 10 caractères au moins.\n",
        ),
        (
            ("users", "passwd", "nobody"),
            f"{PASSWORD}\n{PASSWORD}\n",
            "helpline: aucun compte « nobody ».\n",
        ),
        (("users", "disable", "nobody"), None, "helpline: aucun compte « nobody ».\n"),
    ],
)
def test_cli_users_errors_are_one_line(
    database_url: str, accounts: dict[str, str], args: tuple[str, ...], input: str | None, message: str
) -> None:
    """A refused change prints one line saying why and exits 1."""
    result = run(database_url, *args, input=input)
    assert result.exit_code == 1
    assert result.output.endswith(message)


def test_cli_users_on_an_unmigrated_database(tmp_path: Path) -> None:
    """Before `helpline db upgrade`, the command says to run it."""
    result = run(f"sqlite:///{tmp_path}/empty.sqlite3", "users", "list")
    assert result.exit_code == 1
    assert "lancez 'helpline db upgrade'" in result.output
