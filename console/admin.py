"""Administration of console accounts: add users, set passwords and roles, disable accounts."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from console import labels
from console.access import current_account
from console.accounts import AccountError, User, create_user, list_users, set_active, set_password, set_role
from console.context import now
from console.forms import NewUserForm, PasswordForm, RoleForm
from foundation.db import transaction
from foundation.runtime import runtime

bp = Blueprint("admin", __name__, url_prefix="/admin")

_ACCOUNT_ERRORS = {
    "username": "Identifiant invalide : 2 à 80 lettres, chiffres, « . », « _ » ou « - ».",
    "taken": "Cet identifiant est déjà pris.",
    "unknown": "Ce compte n'existe pas.",
    "role": "Ce rôle n'existe pas.",
    "password": "Mot de passe trop court.",
}


def _render(form: NewUserForm, status: int = 200) -> ResponseReturnValue:
    with runtime().sessions() as db:
        users = list_users(db)
    return (
        render_template(
            "console/admin_users.html",
            users=users,
            form=form,
            password_form=PasswordForm(),
            role_form=RoleForm(),
        ),
        status,
    )


@bp.get("/users")
def users() -> ResponseReturnValue:
    """Every account, and the form to add one."""
    return _render(NewUserForm())


@bp.post("/users")
def add() -> ResponseReturnValue:
    """Add an account."""
    form = NewUserForm(request.form)
    if not form.validate():
        return _render(form, 400)
    try:
        with transaction(runtime().sessions) as db:
            create_user(
                db,
                username=form.username.data or "",
                password=form.password.data or "",
                role=form.role.data or "",
                display_name=form.display_name.data or "",
                now=now(),
            )
    except AccountError as exc:
        form.username.errors = [*form.username.errors, _ACCOUNT_ERRORS[exc.kind]]
        return _render(form, 400)
    flash(f"Compte {form.username.data} créé ({labels.ROLES[form.role.data or '']}).", "success")
    return redirect(url_for("console.admin.users"))


def _user(db_user: User | None) -> User:
    if db_user is None:
        abort(404)
    return db_user


@bp.post("/users/<int:user_id>/password")
def password(user_id: int) -> ResponseReturnValue:
    """Set a new password for an account (its open sessions end)."""
    form = PasswordForm(request.form)
    if not form.validate():
        flash("Mot de passe non modifié : il faut au moins 10 caractères.", "error")
        return redirect(url_for("console.admin.users"))
    with transaction(runtime().sessions) as db:
        user = _user(db.get(User, user_id))
        set_password(db, user.username, form.password.data or "")
    flash(f"Mot de passe de {user.username} modifié.", "success")
    return redirect(url_for("console.admin.users"))


@bp.post("/users/<int:user_id>/role")
def role(user_id: int) -> ResponseReturnValue:
    """Change an account's role (not one's own: an administrator cannot lock themselves out)."""
    form = RoleForm(request.form)
    with transaction(runtime().sessions) as db:
        user = _user(db.get(User, user_id))
        if user.username == current_account().username:
            flash("Vous ne pouvez pas changer votre propre rôle.", "error")
        elif form.validate():
            set_role(db, user.username, form.role.data or "")
            flash(f"{user.username} : {labels.ROLES[user.role]}.", "success")
    return redirect(url_for("console.admin.users"))


@bp.post("/users/<int:user_id>/active")
def active(user_id: int) -> ResponseReturnValue:
    """Disable an account (it is signed out at once) or enable it again."""
    enable = request.form.get("active") == "1"
    with transaction(runtime().sessions) as db:
        user = _user(db.get(User, user_id))
        if user.username == current_account().username:
            flash("Vous ne pouvez pas désactiver votre propre compte.", "error")
        else:
            set_active(db, user.username, active=enable)
            flash(f"Compte {user.username} {'réactivé' if enable else 'désactivé'}.", "success")
    return redirect(url_for("console.admin.users"))
