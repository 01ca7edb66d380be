"""`helpline settings`: export the settings staff change to a YAML file, import one, see their versions."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import click

from helpline.cli.french import group
from helpline.startup import fail, settings_and_config

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from foundation.config import Config

T = TypeVar("T")


@group()
def settings() -> None:
    """Les réglages que l'équipe change (horaires, calendrier, opérateurs, menu, messages) : fichier YAML."""


def _in_database(action: Callable[[Session, Config], T], *, write: bool = False) -> T:
    """Run `action` in one session (one transaction when it writes); a database not ready fails clearly."""
    from sqlalchemy.exc import OperationalError, ProgrammingError

    from foundation.db import transaction
    from helpline.db import make_engine, make_session_factory

    env, config = settings_and_config()
    engine = make_engine(env.database_url)
    factory = make_session_factory(engine)
    try:
        if write:
            with transaction(factory) as session:
                return action(session, config)
        with factory() as session:
            return action(session, config)
    except (OperationalError, ProgrammingError):
        fail(
            "la base de données n'est pas prête ou pas à jour : vérifiez HELPLINE_DATABASE_URL "
            "et lancez 'helpline db upgrade'"
        )
    finally:
        engine.dispose()


@settings.command("export")
@click.argument("file", metavar="[FICHIER]", required=False, type=click.Path(path_type=Path))
def export_command(file: Path | None) -> None:
    """Écrire les réglages en vigueur en YAML, dans FICHIER ou sur la sortie standard."""
    from foundation.clock import system_clock
    from ivr.models import SettingsVersion
    from ivr.settings_file import write_settings
    from ivr.staff_settings import current, version_recordings

    def export(session: Session, config: Config) -> str:
        now = current(session, config)
        version = session.get(SettingsVersion, now.version) if now.version is not None else None
        # The recordings the version maps its prompts to (whether or not this machine can play them).
        recorded = sorted(version_recordings(version)) if version is not None else []
        return write_settings(now.config, version=version, exported_at=system_clock(), recorded=recorded)

    text = _in_database(export)
    if file is None:
        click.echo(text, nl=False)
        return
    try:
        file.write_text(text, encoding="utf-8")
    except OSError:
        fail(f"{file} : impossible d'écrire ce fichier (dossier absent, ou droits d'accès)")
    click.echo(f"Réglages écrits dans {file}.")


@settings.command("import")
@click.argument("file", metavar="FICHIER", type=click.Path(path_type=Path))
@click.option(
    "--dry-run", is_flag=True, help="Vérifier le fichier et dire ce qui changerait, sans l'enregistrer."
)
@click.option("--par", "by", default="ligne de commande", show_default=True, help="Qui importe (historique).")
def import_command(file: Path, dry_run: bool, by: str) -> None:
    """Lire FICHIER (un export, ou ces sections de config.yaml) ; une section absente reste telle quelle."""
    from foundation.clock import system_clock
    from ivr.settings_file import SettingsImport, import_settings, read_settings
    from ivr.staff_settings import SettingsRefusedError

    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        fail(f"{file} : fichier introuvable")
    except IsADirectoryError:
        fail(f"{file} : c'est un dossier ; donnez le chemin d'un fichier de réglages")
    except (OSError, UnicodeDecodeError):
        fail(f"{file} : fichier illisible (droits d'accès, ou pas un fichier texte en UTF-8)")

    def run(session: Session, config: Config) -> SettingsImport:
        return import_settings(
            session,
            config,
            read_settings(text),
            by=by,
            now=system_clock(),
            summary=f"Import de {file.name}",
            dry_run=dry_run,
        )

    try:
        done = _in_database(run, write=not dry_run)
    except SettingsRefusedError as refused:
        click.echo(f"{file} : réglages refusés, rien n'est enregistré.", err=True)
        for problem in refused.problems:
            click.echo(f"  {problem}", err=True)
        raise SystemExit(1) from None
    if not done.changes:
        click.echo("Rien à changer : ce sont déjà les réglages en vigueur (aucune version ajoutée).")
        return
    if done.version is None:
        click.echo(f"Essai : l'import changerait {', '.join(done.sections)} ; rien n'est enregistré.")
    else:
        click.echo(f"Réglages importés : version {done.version}.")
        click.echo(f"Changé : {', '.join(done.sections)}.")
    for change in done.changes:
        click.echo(f"  {change}")


@settings.command("history")
@click.option(
    "--limit", default=10, show_default=True, type=click.IntRange(1, 1000), help="Combien de versions."
)
def history_command(limit: int) -> None:
    """Les dernières versions des réglages : numéro, date, qui, quoi."""
    from ivr.staff_settings import history

    def lines(session: Session, config: Config) -> list[str]:
        tz = config.helpline.tz
        return [
            f"{version.id}  {version.created_at.astimezone(tz):%d/%m/%Y %H:%M}  "
            f"{version.created_by or '?'}  {version.summary}"
            for version in history(session, limit=limit)
        ]

    found = _in_database(lines)
    click.echo("\n".join(found) if found else "Aucune version : la ligne suit config.yaml.")
