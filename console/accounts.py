"""Console accounts: users with a role, hashed passwords, and throttling of failed logins.

Flask-free: the login view and the `helpline users` commands both call these functions with a Session
they own. Failed logins are kept in the database so that every server process sees the same count.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from hashlib import sha256

from sqlalchemy import Boolean, Integer, String, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from foundation.db import Base, UTCDateTime
from foundation.text import is_ascii_digits

# Each role has the rights of the roles before it: staff do what operators do, admins what staff do.
ROLES = ("operator", "staff", "admin")
MIN_PASSWORD_LENGTH = 10
THROTTLE_WINDOW = timedelta(minutes=15)
# Failures for one username from one address: only that address waits, so that nobody elsewhere can
# lock the real user out by failing on purpose.
MAX_FAILURES_PER_USER = 5
# Failures from one address, whatever the usernames: that address waits (higher than per user: several
# operators share one office address; behind a proxy, set HELPLINE_TRUSTED_PROXIES to see real addresses).
MAX_FAILURES_PER_ADDRESS = 20
# Checked against when the username is unknown, so that a wrong name takes as long as a wrong password.
# A literal (the hash of "not a password of anyone" with werkzeug's default method): computing it at
# import cost every process 0.15 s of scrypt; tests/console pins its method to the default one.
DUMMY_HASH = (
    "scrypt:32768:8:1$S97NaI4DvGFrglLh$f8ceb944ed190b663e6b6b494540e82013e6eafc742abc67c87eecc8f304b584"
    "e21121451ed22f02c815dcdfcaaaa86f867a2b8affbec5732a80f97afa68d341"
)


class AccountError(Exception):
    """An account cannot be created or changed as asked; the message says why.

    `kind` names the problem for interfaces that word it themselves: 'username', 'taken', 'unknown',
    'role' or 'password'.
    """

    def __init__(self, message: str, *, kind: str) -> None:
        """Keep the message and the kind of problem."""
        super().__init__(message)
        self.kind = kind


class LoginRefusedError(Exception):
    """A login attempt is refused: wrong credentials, disabled account, or too many recent failures."""

    def __init__(self, reason: str, *, retry_after: timedelta | None = None) -> None:
        """`reason` is 'invalid' or 'throttled'; `retry_after` says how long a throttled client waits."""
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


class User(Base):
    """Someone who signs in to the console."""

    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(120), default="")
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Part of every session token: raised on sign-out and password change, which ends the open sessions.
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role}>"


class LoginFailure(Base):
    """One failed login, counted for throttling while it is recent."""

    __tablename__ = "login_failure"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(80), index=True)
    remote_addr: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


@dataclass(frozen=True)
class Credentials:
    """What a login form sends."""

    username: str
    password: str
    remote_addr: str


def has_role(role: str, required: str) -> bool:
    """Whether a user with `role` may do what `required` may."""
    return role in ROLES and ROLES.index(role) >= ROLES.index(required)


def normalize_username(username: str) -> str:
    """Usernames are compared without case or surrounding spaces."""
    return username.strip().lower()


def find_user(session: Session, username: str) -> User | None:
    """The user with this username, active or not."""
    return session.scalar(select(User).where(User.username == normalize_username(username)))


def create_user(
    session: Session, *, username: str, password: str, role: str, display_name: str = "", now: datetime
) -> User:
    """Add an active user; AccountError if the username is taken or malformed, the role or password bad."""
    name = normalize_username(username)
    if not re.fullmatch(r"[a-z0-9][a-z0-9._-]{1,79}", name):
        raise AccountError(
            f"{username!r} is not a usable username: use 2-80 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit",
            kind="username",
        )
    if role not in ROLES:
        raise AccountError(f"{role!r} is not a role (valid: {', '.join(ROLES)})", kind="role")
    if find_user(session, name) is not None:
        raise AccountError(f"the username {name!r} is taken", kind="taken")
    user = User(
        username=name,
        display_name=display_name.strip() or name,
        role=role,
        password_hash=_hash(password),
        active=True,
        created_at=now,
    )
    session.add(user)
    session.flush()
    return user


def set_password(session: Session, username: str, password: str) -> User:
    """Give a user a new password (their open sessions end: see `session_token`)."""
    user = _existing(session, username)
    user.password_hash = _hash(password)
    end_sessions(user)
    return user


def set_active(session: Session, username: str, *, active: bool) -> User:
    """Disable (or enable again) an account; a disabled user can no longer sign in and is signed out."""
    user = _existing(session, username)
    user.active = active
    if not active:
        end_sessions(user)  # for good: enabling the account again does not bring its old sessions back
    return user


def set_role(session: Session, username: str, role: str) -> User:
    """Change a user's role."""
    if role not in ROLES:
        raise AccountError(f"{role!r} is not a role (valid: {', '.join(ROLES)})", kind="role")
    user = _existing(session, username)
    user.role = role
    return user


def list_users(session: Session) -> list[User]:
    """Every account, active ones first, by username."""
    return list(session.scalars(select(User).order_by(User.active.desc(), User.username)))


def has_active_admin(session: Session) -> bool:
    """Whether someone can sign in to manage the accounts: a new installation has nobody yet."""
    admins = select(User.id).where(User.role == "admin", User.active.is_(True)).limit(1)
    return session.scalar(admins) is not None


def session_token(user: User) -> str:
    """What a console session remembers of its user: changes on sign-out and password change."""
    # The password's hash too: a password set straight in the database also ends the sessions.
    return f"{user.id}:{user.session_version}:{sha256(user.password_hash.encode()).hexdigest()[:16]}"


def end_sessions(user: User) -> None:
    """End every open console session of this user, on every device: their tokens no longer match."""
    user.session_version = (user.session_version or 0) + 1


def user_for_token(session: Session, token: str) -> User | None:
    """The active user a session token belongs to, or None if the account or its password changed."""
    user_id, _, _ = token.partition(":")
    if not is_ascii_digits(user_id):
        return None
    user = session.get(User, int(user_id))
    if user is None or not user.active or session_token(user) != token:
        return None
    return user


def authenticate(session: Session, credentials: Credentials, *, now: datetime) -> User:
    """The active user these credentials belong to; raises LoginRefusedError, and records a failure if wrong.

    After MAX_FAILURES_PER_USER failures for a username from one address, or MAX_FAILURES_PER_ADDRESS
    from one address, within THROTTLE_WINDOW, that address is refused without checking the password until
    the window passes. Other addresses are not: failing on purpose cannot lock the real user out.
    """
    name = normalize_username(credentials.username)[:80]
    address = credentials.remote_addr[:64]
    since = now - THROTTLE_WINDOW
    # Old failures only matter while recent; clear them as we go.
    session.execute(delete(LoginFailure).where(LoginFailure.at <= since))
    retry_after = _throttled_for(session, name, address, now=now)
    if retry_after is not None:
        raise LoginRefusedError("throttled", retry_after=retry_after)
    user = session.scalar(select(User).where(User.username == name))
    valid = check_password_hash(user.password_hash if user else DUMMY_HASH, credentials.password)
    if user is None or not valid or not user.active:
        session.add(LoginFailure(username=name, remote_addr=address, at=now))
        raise LoginRefusedError("invalid")
    # Only this address's failures: a success elsewhere must not give another address its tries back.
    session.execute(
        delete(LoginFailure).where(LoginFailure.username == name, LoginFailure.remote_addr == address)
    )
    user.last_login_at = now
    return user


def _throttled_for(session: Session, username: str, address: str, *, now: datetime) -> timedelta | None:
    """How long until this username may try again from this address, or None if it may now."""
    failures = list(
        session.scalars(
            select(LoginFailure).where(LoginFailure.remote_addr == address).order_by(LoginFailure.at)
        )
    )
    for limit, same in (
        (MAX_FAILURES_PER_USER, [f for f in failures if f.username == username]),
        (MAX_FAILURES_PER_ADDRESS, failures),
    ):
        if len(same) >= limit:
            # Free again when enough of the counted failures have aged out of the window.
            return same[len(same) - limit].at + THROTTLE_WINDOW - now
    return None


def _existing(session: Session, username: str) -> User:
    user = find_user(session, username)
    if user is None:
        raise AccountError(f"there is no user {normalize_username(username)!r}", kind="unknown")
    return user


def _hash(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(
            f"the password is too short: use at least {MIN_PASSWORD_LENGTH} characters", kind="password"
        )
    return generate_password_hash(password)
