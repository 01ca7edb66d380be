"""`helpline users`: create console accounts, set passwords, disable accounts (passwords prompted, hidden)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

import click

from helpline.cli.french import group
from helpline.startup import LazyChoice, database_reason, fail

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from console.accounts import User

T = TypeVar("T")


def _in_transaction(action: Callable[[Session], T], username: str = "") -> T:
    """Run `action` in one transaction on HELPLINE_DATABASE_URL; expected failures end the command."""
    from sqlalchemy.exc import OperationalError, ProgrammingError

    from console.accounts import MIN_PASSWORD_LENGTH, ROLES, AccountError, normalize_username
    from foundation.db import transaction
    from foundation.settings import Settings
    from helpline.db import make_engine, make_session_factory

    engine = make_engine(Settings.from_env().database_url)
    try:
        with transaction(make_session_factory(engine)) as session:
            return action(session)
    except AccountError as exc:
        name = normalize_username(username)
        fail(
            {
                "username": f"« {username} » ne peut pas servir d'identifiant : de 2 à 80 lettres, chiffres, "
                "« . », « _ » ou « - », en commençant par une lettre ou un chiffre.",
                "taken": f"l'identifiant « {name} » est déjà pris.",
                "unknown": f"aucun compte « {name} ».",
                "role": f"rôle inconnu (valides : {', '.join(ROLES)}).",
                "password": f"mot de passe trop court : {MIN_PASSWORD_LENGTH} caractères au moins.",
            }.get(exc.kind, f"{exc}.")
        )
    except (OperationalError, ProgrammingError) as exc:
        fail(
            f"la base de données n'est pas prête ({database_reason(exc)}) ; "
            "vérifiez HELPLINE_DATABASE_URL et lancez 'helpline db upgrade'"
        )
    finally:
        engine.dispose()


def _new_password() -> str:
    password: str = click.prompt(
        "Mot de passe", hide_input=True, confirmation_prompt="Le même mot de passe, pour confirmer"
    )
    return password


@group()
def users() -> None:
    """Les comptes de la console."""


@users.command("add")
@click.argument("username", metavar="IDENTIFIANT")
@click.option(
    "--role",
    type=LazyChoice("console.accounts:ROLES"),
    default="operator",
    show_default=True,
    help="Ce que le compte peut faire : operator (opérateur), staff (équipe), admin (administration).",
)
@click.option(
    "--name", "display_name", default="", help="Le nom que la console affiche (par défaut : l'identifiant)."
)
def add(username: str, role: str, display_name: str) -> None:
    """Créer un compte (son mot de passe est demandé deux fois)."""
    from console.accounts import create_user
    from console.labels import ROLES
    from foundation.clock import system_clock

    password = _new_password()

    def create(session: Session) -> User:
        return create_user(
            session,
            username=username,
            password=password,
            role=role,
            display_name=display_name,
            now=system_clock(),
        )

    user = _in_transaction(create, username)
    click.echo(f"Compte {user.username} créé ({ROLES.get(user.role, user.role).lower()}).")


@users.command("passwd")
@click.argument("username", metavar="IDENTIFIANT")
def passwd(username: str) -> None:
    """Changer le mot de passe d'un compte (ses sessions ouvertes dans la console se ferment)."""
    from console.accounts import set_password

    password = _new_password()
    user = _in_transaction(lambda session: set_password(session, username, password), username)
    click.echo(f"Mot de passe de {user.username} changé.")


@users.command("disable")
@click.argument("username", metavar="IDENTIFIANT")
def disable(username: str) -> None:
    """Désactiver un compte : il ne peut plus se connecter, et ses sessions ouvertes se ferment."""
    from console.accounts import set_active

    user = _in_transaction(lambda session: set_active(session, username, active=False), username)
    click.echo(f"Compte {user.username} désactivé.")


@users.command("enable")
@click.argument("username", metavar="IDENTIFIANT")
def enable(username: str) -> None:
    """Réactiver un compte désactivé."""
    from console.accounts import set_active

    user = _in_transaction(lambda session: set_active(session, username, active=True), username)
    click.echo(f"Compte {user.username} réactivé.")


@users.command("list")
def list_() -> None:
    """Lister les comptes : identifiant, rôle, actif ou désactivé, nom."""
    from console.accounts import list_users
    from console.labels import ROLES

    for user in _in_transaction(list_users):
        click.echo(
            f"{user.username}\t{ROLES.get(user.role, user.role)}\t{'actif' if user.active else 'désactivé'}"
            f"\t{user.display_name}"
        )
