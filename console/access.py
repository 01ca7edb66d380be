"""Who may see what: Flask-Login sessions, and the role each blueprint requires, checked before every request.

Access is denied by default. Every request needs a signed-in user except the Twilio webhooks (which check
Twilio's signature), the login page, static files, the health check and the public site; and a signed-in
user reaches a blueprint only if it declared its role with `require_role` and the user has it. So a page
nobody thought about is refused, not open, and no record can be read by guessing its URL.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import cast

from flask import Flask, abort, current_app, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import LoginManager, current_user

from console.accounts import ROLES, User, has_role, session_token, user_for_token
from foundation.runtime import runtime

logger = logging.getLogger(__name__)

# Reachable without signing in. The webhooks are not: they answer only requests signed by Twilio; the
# recorded prompts' files only requests with their URL's token (or Twilio's signature).
# /metrics asks for its own bearer token.
PUBLIC_ENDPOINTS = frozenset({"console.auth.login", "console.static", "health", "metrics"})
# The public site: every page of it is open, and none shows anything a visitor did not type.
PUBLIC_BLUEPRINTS = frozenset({"console.public"})
SIGNATURE_CHECKED_BLUEPRINTS = frozenset({"ivr", "ivr_audio"})
_ROLES_KEY = "console.roles"


@dataclass(frozen=True)
class ConsoleUser:
    """The signed-in user as a request sees it (what Flask-Login calls a user)."""

    id: int
    username: str
    display_name: str
    role: str
    token: str

    is_authenticated = True
    is_active = True
    is_anonymous = False

    @classmethod
    def of(cls, user: User) -> ConsoleUser:
        """The console's view of an account."""
        return cls(user.id, user.username, user.display_name, user.role, session_token(user))

    def get_id(self) -> str:
        """What the session cookie keeps: invalid once the password changes or the account is disabled."""
        return self.token

    def can(self, role: str) -> bool:
        """Whether this user has `role` or a higher one."""
        return has_role(self.role, role)


def current_account() -> ConsoleUser:
    """The signed-in user of this request (the guard has made sure there is one)."""
    user = current_user._get_current_object()
    if not isinstance(user, ConsoleUser):
        abort(401)
    return user


def current_user_or_none() -> ConsoleUser | None:
    """The signed-in user, if any (for templates)."""
    user = current_user._get_current_object()
    return user if isinstance(user, ConsoleUser) else None


def init_access(app: Flask) -> None:
    """Set up Flask-Login and the access guard that runs before every request."""
    login_manager = LoginManager()
    login_manager.session_protection = "strong"
    login_manager.user_loader(_load_user)
    login_manager.init_app(app)
    app.extensions.setdefault(_ROLES_KEY, {})
    app.before_request(_guard)


def require_role(app: Flask, blueprint: str, role: str) -> None:
    """Let users with `role` (or a higher one) reach the pages of `blueprint`."""
    if role not in ROLES:
        raise ValueError(f"{role!r} is not a role (valid: {', '.join(ROLES)})")
    app.extensions.setdefault(_ROLES_KEY, {})[blueprint] = role


def _load_user(token: str) -> ConsoleUser | None:
    with runtime().sessions() as session:
        user = user_for_token(session, token)
        return ConsoleUser.of(user) if user is not None else None


def _guard() -> ResponseReturnValue | None:
    """Before every request: sign-in required (except public endpoints), then the blueprint's role."""
    if request.blueprint in SIGNATURE_CHECKED_BLUEPRINTS or request.endpoint in PUBLIC_ENDPOINTS:
        return None
    if PUBLIC_BLUEPRINTS.intersection(request.blueprints):
        return None
    if not current_user.is_authenticated:
        if request.headers.get("X-Requested-With") == "fetch":
            abort(401)  # the board's refresh: the page reloads and then meets the login
        return redirect(url_for("console.auth.login", next=request.full_path.rstrip("?")))
    if request.endpoint is None:
        return None  # an unknown URL: 404
    roles = cast(dict[str, str], current_app.extensions[_ROLES_KEY])
    required = roles.get(request.blueprint or "")
    if required is None:
        logger.warning(
            "Refused %s: its blueprint %r declared no role; call console.access.require_role for it",
            request.endpoint,
            request.blueprint,
        )
        abort(403)
    if not current_account().can(required):
        abort(403)
    return None


def safe_next(target: str | None) -> str | None:
    """A redirect target after login, only if it is a path of this site; None for anything else.

    Browsers drop tabs and new lines anywhere in a URL and read a backslash as '/', so '/', a tab, then
    '/evil.example' is '//evil.example' to them: a target with a control character or a backslash is
    refused whole (and a new line would not even fit in the Location header).
    """
    if not target or any(ord(char) < 0x20 or ord(char) == 0x7F for char in target) or "\\" in target:
        return None
    if not target.startswith("/") or target.startswith("//"):
        return None
    return target
