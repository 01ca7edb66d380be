"""`helpline backup` and `helpline restore`: the whole database to a file, and back."""

from __future__ import annotations

from pathlib import Path

import click

from foundation.reasons import system_error
from helpline.startup import fail, settings_and_config


@click.command()
@click.option(
    "--output",
    metavar="FICHIER",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Le fichier à écrire (par défaut : var/backups/helpline-DATE-HEURE à côté de config.yaml).",
)
def backup(output: Path | None) -> None:
    """Sauvegarder toute la base dans un fichier ; la ligne peut continuer de tourner."""
    from foundation.clock import system_clock
    from helpline.backup import BackupError, default_backup_path
    from helpline.backup import backup as write_backup

    settings, _config = settings_and_config()
    output = output or default_backup_path(settings, system_clock())
    try:
        write_backup(settings.database_url, output)
    except BackupError as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"impossible d'écrire {output} : {system_error(exc)}")
    click.echo(f"Base sauvegardée dans {output}")
    click.echo(f"Pour la remettre en place : helpline restore {output} --yes (serveur arrêté)")


@click.command()
@click.argument("file", metavar="FICHIER", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Confirmer : la base actuelle est entièrement remplacée.")
def restore(file: Path, yes: bool) -> None:
    """Remplacer toute la base par une sauvegarde de 'helpline backup' (arrêtez d'abord le serveur)."""
    from sqlalchemy import make_url

    from helpline.backup import BackupError
    from helpline.backup import restore as read_backup

    settings, _config = settings_and_config()
    shown = make_url(settings.database_url).render_as_string(hide_password=True)
    if not yes:
        fail(
            f"la restauration remplace toute la base {shown} par {file} : arrêtez 'helpline serve', "
            "puis relancez la commande avec --yes"
        )
    try:
        read_backup(settings.database_url, file)
    except BackupError as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"impossible de lire {file} ou d'écrire la base : {system_error(exc)}")
    click.echo(f"La base {shown} est celle de la sauvegarde {file}.")
    click.echo("Lancez 'helpline db upgrade' si la sauvegarde vient d'une version plus ancienne.")
