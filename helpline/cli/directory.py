"""`helpline directory ...`: import and export the directory, and check it."""

from __future__ import annotations

import getpass
import json
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import click

from foundation.reasons import system_error
from helpline.cli.french import group
from helpline.startup import LazyChoice, csv_form_option, fail, settings_and_config, with_database

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from directory.checks import Finding
    from directory.files import FileFormat
    from directory.importing import ImportReport


def _engine() -> Engine:
    from helpline.db import make_engine

    settings, _config = settings_and_config()
    return make_engine(settings.database_url)


@group()
def directory() -> None:
    """L'annuaire des associations : importer, exporter, vérifier."""


@directory.command("import")
@click.argument("file", metavar="FICHIER", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--by",
    "actor",
    default=None,
    help="Qui importe, pour l'historique des modifications (par défaut : votre identifiant).",
)
def import_command(file: Path, actor: str | None) -> None:
    """Créer ou mettre à jour les associations de FICHIER (.yaml/.yml ou .csv), tout ou rien."""
    from directory.entries import Vocabulary
    from directory.files import read_file
    from directory.importing import DirectoryImportError, import_entries
    from foundation.clock import system_clock
    from foundation.db import transaction
    from helpline.db import make_session_factory

    engine = _engine()

    def run() -> ImportReport:
        with transaction(make_session_factory(engine)) as session:
            vocabulary = Vocabulary.load(session)
            entries = read_file(file, vocabulary)
            return import_entries(
                session, entries, vocabulary=vocabulary, actor=actor or _login(), at=system_clock()
            )

    try:
        report = with_database(run)
    except DirectoryImportError as exc:
        fail(f"{file} : {exc}")
    finally:
        engine.dispose()
    click.echo(
        f"{file} importé : {len(report.created)} association(s) créée(s), {len(report.updated)} modifiée(s), "
        f"{len(report.unchanged)} inchangée(s)."
    )


def _login() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "cli"


@directory.command("export")
@click.option(
    "--format",
    "fmt",
    type=LazyChoice("directory.files:FORMATS", extra=["hsds"]),
    default="yaml",
    show_default=True,
    help="Format : csv ou yaml (réimportables), ou hsds (JSON Open Referral HSDS 3.0).",
)
@click.option(
    "--output",
    metavar="FICHIER",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Écrire dans ce fichier plutôt que sur la sortie standard.",
)
@csv_form_option(
    "Avec --format csv : pour un tableur français (« ; », en-têtes en français) ou en données ; "
    "les deux se réimportent."
)
def export_command(fmt: FileFormat | Literal["hsds"], output: Path | None, csv_form: str) -> None:
    """Écrire tout l'annuaire : csv ou yaml (réimportables), ou hsds (JSON Open Referral HSDS 3.0)."""
    from directory.entries import Vocabulary
    from directory.files import write
    from directory.hsds import export_hsds
    from directory.storage import entry_of, load_associations
    from foundation.spreadsheets import CsvForm
    from helpline.db import make_session_factory

    engine = _engine()

    def run() -> str:
        with make_session_factory(engine)() as session:
            if fmt == "hsds":
                return json.dumps(export_hsds(session), ensure_ascii=False, indent=2) + "\n"
            entries = [entry_of(association) for association in load_associations(session)]
            return write(entries, fmt, Vocabulary.load(session), csv_form=CsvForm(csv_form))

    try:
        text = with_database(run)
    finally:
        engine.dispose()
    if output is None:
        click.echo(text, nl=False)
    else:
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as exc:
            fail(f"impossible d'écrire {output} : {system_error(exc)}")
        click.echo(f"Annuaire ({fmt}) écrit dans {output}.")


@directory.command("check")
def check_command() -> None:
    """Vérifier les numéros, que chaque catégorie est couverte quelque part, et les codes des communes."""
    from directory.checks import check_directory
    from foundation.config import walk_options
    from helpline.db import make_engine, make_session_factory

    settings, config = settings_and_config()
    menu = {option.category for _, option in walk_options(config.menu.options, "menu") if option.category}
    engine = make_engine(settings.database_url)

    def run() -> list[Finding]:
        with make_session_factory(engine)() as session:
            return check_directory(session, menu_categories=menu)

    try:
        findings = with_database(run)
    finally:
        engine.dispose()
    for finding in findings:
        click.echo(str(finding), err=finding.level == "error")
    errors = sum(finding.level == "error" for finding in findings)
    warnings = len(findings) - errors
    click.echo(
        f"Vérification de l'annuaire : {errors} erreur{'s' * (errors > 1)}, "
        f"{warnings} point{'s' * (warnings > 1)} à vérifier."
    )
    if errors:
        raise SystemExit(1)
