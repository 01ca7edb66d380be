"""Signing in and out of the console."""

from __future__ import annotations

import math

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_user, logout_user

from console.access import ConsoleUser, current_account, safe_next
from console.accounts import (
    Credentials,
    LoginRefusedError,
    User,
    authenticate,
    end_sessions,
    has_active_admin,
)
from console.context import now
from console.forms import LoginForm
from foundation.db import transaction
from foundation.runtime import runtime

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    """The sign-in form; too many failures for a name or an address are refused for a while (429)."""
    target = safe_next(request.args.get("next")) or url_for("console.board.index")
    if current_user.is_authenticated:
        return redirect(target)
    form = LoginForm(request.form if request.method == "POST" else None)
    if request.method == "GET" or not form.validate():
        with runtime().sessions() as db:
            first_visit = not has_active_admin(db)
        page = render_template("console/login.html", form=form, first_visit=first_visit)
        return page, 200 if request.method == "GET" else 400
    credentials = Credentials(
        username=form.username.data or "",
        password=form.password.data or "",
        remote_addr=request.remote_addr or "",
    )
    refused: LoginRefusedError | None = None
    with transaction(runtime().sessions) as db:
        # Caught inside the transaction so that the failure it recorded is committed.
        try:
            account = ConsoleUser.of(authenticate(db, credentials, now=now()))
        except LoginRefusedError as exc:
            refused = exc
    if refused is not None:
        if refused.reason == "throttled" and refused.retry_after is not None:
            minutes = max(1, math.ceil(refused.retry_after.total_seconds() / 60))
            form.password.errors = [
                f"Trop de tentatives échouées. Réessayez dans {minutes} minute{'s' if minutes > 1 else ''}."
            ]
            return render_template("console/login.html", form=form), 429
        form.password.errors = ["Identifiant ou mot de passe incorrect, ou compte désactivé."]
        return render_template("console/login.html", form=form), 401
    # A CSRF token handed out before sign-in (to whoever set up this browser) must not work after it.
    field = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    session.pop(field, None)
    g.pop(field, None)
    login_user(account)
    # Expire after PERMANENT_SESSION_LIFETIME even if the browser stays open.
    session.permanent = True
    return redirect(target)


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    """Sign out (a POST with the CSRF token, so that no link can sign someone out), on every device.

    The session cookie is signed, not stored: a copy of it would still sign in, so its token is made stale.
    """
    with transaction(runtime().sessions) as db:
        user = db.get(User, current_account().id)
        if user is not None:
            end_sessions(user)
    logout_user()
    flash("Vous êtes déconnecté·e.", "info")
    return redirect(url_for("console.auth.login"))
