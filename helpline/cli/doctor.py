"""`helpline doctor`: one line per thing the real line needs, and what to do about each one that fails."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from helpline.startup import twilio_http_client

if TYPE_CHECKING:
    from collections.abc import Callable

    from helpline.doctor import Check

OK, TO_FIX = "OK", "À corriger"


@click.command()
@click.option(
    "--send-test",
    metavar="ADRESSE",
    help="Envoyer aussi un courriel d'essai à cette adresse par le serveur de reports.smtp.",
)
def doctor(send_test: str | None) -> None:
    """Vérifier que tout est prêt pour la vraie ligne ; code de sortie 1 s'il reste à corriger."""
    from foundation.settings import Settings, SettingsError
    from helpline import doctor as checks
    from helpline.app import load_helpline_config
    from helpline.config import ConfigError

    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        _show(checks.Check("Variables d'environnement", str(exc)))
        sys.exit(1)
    config = None
    try:
        config = load_helpline_config(settings)
        found = [checks.Check("Configuration", detail=str(settings.config_path))]
    except ConfigError as exc:
        found = [checks.Check("Configuration", str(exc))]
    _show(*found)
    steps: list[Callable[[], list[Check]]] = [
        lambda: checks.database_checks(settings),
        lambda: [checks.journal_check(settings)],
        lambda: [checks.secret_key_check(settings)],
        lambda: checks.public_url_checks(settings),
        lambda: checks.twilio_checks(settings, config, http_client=twilio_http_client()),
        lambda: [checks.smtp_check(settings, config, send_test=send_test)] if config is not None else [],
    ]
    for step in steps:
        done = step()
        _show(*done)
        found += done
    problems = sum(not check.ok for check in found)
    if problems:
        click.echo(f"{problems} point(s) à corriger avant d'ouvrir la vraie ligne.")
        sys.exit(1)
    click.echo("Tout est prêt pour la vraie ligne.")


def _show(*found: Check) -> None:
    for check in found:
        if check.problem is None:
            click.echo(f"{OK:<10}  {check.label}" + (f" : {check.detail}" if check.detail else ""))
        else:
            first, *more = check.problem.splitlines()
            click.echo(f"{TO_FIX:<10}  {check.label} : {first}")
            for line in more:
                click.echo(f"{'':<10}  {line}")
