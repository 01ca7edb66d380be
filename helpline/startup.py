"""What every command needs first: settings from the environment, a valid config, one-line failures."""

from __future__ import annotations

import importlib
import re
import shutil
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from twilio.http import HttpClient

    from foundation.config import Config
    from foundation.settings import Settings

# The commands import the domain packages (SQLAlchemy, pydantic, ...) when they run, not when `helpline`
# starts: `helpline --help` and every command's start do not pay for the others' imports.

T = TypeVar("T")


class LazyChoice(click.Choice):  # type: ignore[type-arg]
    """A click.Choice over the values of `module:attribute`, imported the first time they are needed."""

    def __init__(self, source: str, *, extra: Sequence[str] = ()) -> None:
        """Remember where the values are; click reads them when it checks or shows the option."""
        self.source, self.extra = source, tuple(extra)
        super().__init__(())

    @property
    def choices(self) -> tuple[Any, ...]:
        """The values, read from their module."""
        module, name = self.source.split(":")
        return (*getattr(importlib.import_module(module), name), *self.extra)

    @choices.setter
    def choices(self, _value: Any) -> None:
        # click.Choice.__init__ sets the values; ours are read from their module instead.
        pass


def csv_form_option(help: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The `--csv tableur|donnees` option of the commands that write CSV (foundation.spreadsheets.CsvForm)."""
    return click.option(
        "--csv",
        "csv_form",
        type=click.Choice(["tableur", "donnees"]),
        default="tableur",
        show_default=True,
        help=help,
    )


def fail(message: str) -> NoReturn:
    """Print one clear line on stderr and exit with status 1."""
    click.echo(f"helpline: {message}", err=True)
    sys.exit(1)


def settings_and_config() -> tuple[Settings, Config]:
    """Settings from the environment and the validated config.yaml; exits with the error otherwise."""
    from foundation.settings import Settings, SettingsError
    from helpline.app import load_helpline_config
    from helpline.config import ConfigError

    try:
        settings = Settings.from_env()
        return settings, load_helpline_config(settings)
    except (ConfigError, SettingsError) as exc:
        fail(str(exc))


def first_admin_hint(engine: Engine) -> str | None:
    """How to create the console's first administrator, while there is none."""
    from sqlalchemy.orm import Session

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
    from sqlalchemy.exc import OperationalError, ProgrammingError

    try:
        return action()
    except (OperationalError, ProgrammingError) as exc:
        fail(
            f"la base de données n'est pas prête ({database_reason(exc)}) ; "
            "vérifiez HELPLINE_DATABASE_URL et lancez 'helpline db upgrade'"
        )


def database_reason(exc: Exception) -> str:
    """What the driver's (English) error says, in French: staff read French, the driver's words stay out."""
    from helpline.health import DatabaseState, state_of_error

    cause = getattr(exc, "orig", None) or exc
    said = str(cause).lower()
    # The usual mistakes in HELPLINE_DATABASE_URL, before the "connection ..." they are worded in.
    if "password authentication failed" in said or "no password supplied" in said:
        return "mot de passe refusé par le serveur"
    if re.search(r'role "[^"]*" does not exist', said):
        return "utilisateur inconnu du serveur"
    if re.search(r'database "[^"]*" does not exist', said):
        return "cette base n'existe pas sur le serveur"
    if re.search(r'relation "[^"]*" does not exist', said):
        return "base sans ses tables"
    if "no such column" in said or re.search(r"column \S+ (of relation \S+ )?does not exist", said):
        return "base pas à jour pour cette version"
    state = state_of_error(exc)
    reasons = {
        DatabaseState.MISSING: "fichier introuvable, ou base sans ses tables",
        DatabaseState.READ_ONLY: "en lecture seule",
        DatabaseState.LOCKED: "verrouillée par un autre programme",
        DatabaseState.UNREACHABLE: "serveur injoignable",
        DatabaseState.TIMEOUT: "pas de réponse dans le délai",
    }
    return reasons.get(state, "erreur inattendue de la base")


def twilio_http_client() -> HttpClient | None:
    """The HTTP client for Twilio's REST API passed in click's `obj` (a test's stub); None: twilio's own."""
    from twilio.http import HttpClient

    obj = click.get_current_context().obj
    found = obj.get("twilio_http_client") if isinstance(obj, dict) else None
    return found if isinstance(found, HttpClient) else None
