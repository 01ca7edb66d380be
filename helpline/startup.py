"""What every command needs first: settings from the environment, a valid config, one-line failures."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn, TypeVar

import click
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import Session

from foundation.config import Config
from foundation.settings import Settings, SettingsError
from helpline.config import ConfigError

T = TypeVar("T")


def fail(message: str) -> NoReturn:
    """Print one clear line on stderr and exit with status 1."""
    click.echo(f"helpline: {message}", err=True)
    sys.exit(1)


def settings_and_config() -> tuple[Settings, Config]:
    """Settings from the environment and the validated config.yaml; exits with the error otherwise."""
    from helpline.app import load_helpline_config

    try:
        settings = Settings.from_env()
        return settings, load_helpline_config(settings)
    except (ConfigError, SettingsError) as exc:
        fail(str(exc))


def first_admin_hint(engine: Engine) -> str | None:
    """How to create the console's first administrator, while there is none."""
    from console.accounts import has_active_admin

    with Session(engine) as session:
        if has_active_admin(session):
            return None
    found = shutil.which("helpline")
    command = "helpline" if found and Path(found).resolve() == Path(sys.argv[0]).resolve() else sys.argv[0]
    return (
        "Aucun compte pour la console : créez le premier administrateur avec\n"
        f"  {command} users add IDENTIFIANT --role admin"
    )


def with_database(action: Callable[[], T]) -> T:
    """Run `action`, turning a missing or unreachable database into a message that says what to do."""
    try:
        return action()
    except (OperationalError, ProgrammingError) as exc:
        fail(
            f"the database is not ready ({exc.orig.__class__.__name__}: {str(exc.orig).strip()}); "
            "check HELPLINE_DATABASE_URL and run 'helpline db upgrade'"
        )
