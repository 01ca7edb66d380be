"""`helpline users`: create console accounts, set passwords, disable accounts (passwords prompted, hidden)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

import click

from helpline.startup import LazyChoice, fail

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from console.accounts import User

T = TypeVar("T")


def _in_transaction(action: Callable[[Session], T]) -> T:
    """Run `action` in one transaction on HELPLINE_DATABASE_URL; expected failures end the command."""
    from sqlalchemy.exc import OperationalError, ProgrammingError

    from console.accounts import AccountError
    from foundation.db import transaction
    from foundation.settings import Settings
    from helpline.db import make_engine, make_session_factory

    engine = make_engine(Settings.from_env().database_url)
    try:
        with transaction(make_session_factory(engine)) as session:
            return action(session)
    except AccountError as exc:
        fail(f"{exc}.")
    except (OperationalError, ProgrammingError) as exc:
        fail(
            f"the database is not ready ({exc.orig.__class__.__name__}); "
            "check HELPLINE_DATABASE_URL and run 'helpline db upgrade'"
        )
    finally:
        engine.dispose()


def _new_password() -> str:
    password: str = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return password


@click.group()
def users() -> None:
    """Console accounts."""


@users.command("add")
@click.argument("username")
@click.option(
    "--role",
    type=LazyChoice("console.accounts:ROLES"),
    default="operator",
    show_default=True,
    help="What the user may do.",
)
@click.option(
    "--name", "display_name", default="", help="The name the console shows (default: the username)."
)
def add(username: str, role: str, display_name: str) -> None:
    """Create an account (asks for its password twice)."""
    from console.accounts import create_user
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

    user = _in_transaction(create)
    click.echo(f"Created {user.role} {user.username}.")


@users.command("passwd")
@click.argument("username")
def passwd(username: str) -> None:
    """Set a new password for an account (its open console sessions end)."""
    from console.accounts import set_password

    password = _new_password()
    user = _in_transaction(lambda session: set_password(session, username, password))
    click.echo(f"Password of {user.username} changed.")


@users.command("disable")
@click.argument("username")
def disable(username: str) -> None:
    """Disable an account: it can no longer sign in, and its open sessions end."""
    from console.accounts import set_active

    user = _in_transaction(lambda session: set_active(session, username, active=False))
    click.echo(f"Disabled {user.username}.")


@users.command("enable")
@click.argument("username")
def enable(username: str) -> None:
    """Enable a disabled account again."""
    from console.accounts import set_active

    user = _in_transaction(lambda session: set_active(session, username, active=True))
    click.echo(f"Enabled {user.username}.")


@users.command("list")
def list_() -> None:
    """List the accounts: username, role, active or disabled, name."""
    from console.accounts import list_users

    for user in _in_transaction(list_users):
        click.echo(
            f"{user.username}\t{user.role}\t{'active' if user.active else 'disabled'}\t{user.display_name}"
        )
