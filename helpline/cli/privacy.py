"""`helpline privacy`: purge old identifying data, and a person's rights (find, erase) over their number."""

from __future__ import annotations

import getpass
import socket
from pathlib import Path
from typing import TYPE_CHECKING

import click

from foundation.reasons import system_error
from helpline.cli.french import confirm, group
from helpline.startup import fail, settings_and_config, with_database

if TYPE_CHECKING:
    from collections.abc import Callable

    from sqlalchemy.orm import Session

    from call_log.models import Call
    from call_log.retention import Counts
    from console.person import Person
    from foundation.config import Config
    from foundation.settings import Settings


@group()
def privacy() -> None:
    """Données personnelles : purge des données anciennes, accès et effacement pour une personne."""


def _who() -> str:
    """Who runs the command, for the audit: the system account and the machine."""
    return f"ligne de commande ({getpass.getuser()}@{socket.gethostname()})"


def _counts_lines(counts: Counts, *, verb: str) -> list[str]:
    from call_log.retention import RECORDINGS_LEFT, Shredded
    from foundation.text import french_number

    lines = [f"  {Shredded.label_of(kind)} : {french_number(counts.get(kind, 0))}" for kind in Shredded]
    if counts.get(RECORDINGS_LEFT):
        lines.append(
            f"  messages vocaux laissés chez Twilio (à retenter) : {french_number(counts[RECORDINGS_LEFT])}"
        )
    return [f"{verb} :", *lines]


@privacy.command("purge")
@click.option("--dry-run", is_flag=True, help="Montrer ce qui serait effacé, sans rien effacer.")
def purge_command(dry_run: bool) -> None:
    """Effacer ce que les durées de conservation (privacy.retention) ne permettent plus de garder."""
    from call_log.retention import PrivacyAction, audit, purge
    from foundation.clock import system_clock
    from foundation.db import transaction
    from helpline.app import recording_store
    from helpline.db import make_engine, make_session_factory

    settings, config = settings_and_config()
    retention, tz = config.privacy.retention, config.helpline.tz
    store = recording_store(settings)
    engine = make_engine(settings.database_url)

    def run() -> Counts:
        now = system_clock()
        with transaction(make_session_factory(engine)) as session:
            counts = purge(session, retention, now=now, tz=tz, recordings=store, dry_run=dry_run)
            if dry_run:
                session.rollback()
            else:
                audit(session, PrivacyAction.PURGE, counts, by=_who(), now=now)
            return counts

    try:
        counts = with_database(run)
    finally:
        engine.dispose()
    click.echo(
        f"Durées de conservation : numéros {retention.identifying_days} jours, messages vocaux "
        f"{retention.recordings_days} jours, notes {retention.notes_days} jours."
    )
    click.echo("\n".join(_counts_lines(counts, verb="Serait effacé" if dry_run else "Effacé")))
    if store is None and counts.get("recordings_left", 0) + (counts.get("recordings", 0) if dry_run else 0):
        click.echo(
            "Les messages vocaux restent chez Twilio tant que TWILIO_ACCOUNT_SID et TWILIO_AUTH_TOKEN "
            "ne sont pas définis."
        )


def _with_calls_of(typed: str, action: Callable[[Session, Settings, Config, Person, list[Call]], str]) -> str:
    """Run `action` on the calls tied to the person `typed` names, in one transaction; its message."""
    from console.person import NotAPersonError, read_person
    from foundation.db import transaction
    from helpline.db import make_engine, make_session_factory

    settings, config = settings_and_config()
    try:
        person = read_person(typed)
    except NotAPersonError as error:
        fail(str(error))
    engine = make_engine(settings.database_url)

    def run() -> str:
        with transaction(make_session_factory(engine)) as session:
            return action(session, settings, config, person, person.calls(session, settings))

    try:
        message = with_database(run)
    finally:
        engine.dispose()
    if person.number and settings.caller_key_secret is None:
        message += (
            "\nNi HELPLINE_CALLER_HASH_SECRET ni HELPLINE_SECRET_KEY ne sont définis : les appels dont "
            "seule l'empreinte du numéro est gardée n'ont pas pu être retrouvés."
        )
    return message


@privacy.command("find")
@click.argument("typed", metavar="NUMERO_OU_COURRIEL")
@click.option(
    "--output",
    metavar="FICHIER",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    required=True,
    help="Le fichier à écrire (.json : données pour programmes ; sinon un texte lisible).",
)
def find_command(typed: str, output: Path) -> None:
    """Exporter tout ce qui est lié à un numéro ou à une adresse de courriel, pour la personne."""
    from call_log.retention import PrivacyAction, audit
    from call_log.rights import as_json, as_text, person_records
    from foundation.clock import system_clock

    def export(
        session: Session, _settings: Settings, config: Config, person: Person, calls: list[Call]
    ) -> str:
        records = person_records(session, calls, tz=config.helpline.tz)
        if output.suffix.lower() == ".json":
            text = as_json(records)
        else:
            text = as_text(records, tied_to=person.tied_to, this=person.this, helpline=config.helpline.name)
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as exc:
            fail(f"impossible d'écrire {output} : {system_error(exc)}")
        audit(session, PrivacyAction.FIND, {"calls": len(calls)}, by=_who(), now=system_clock())
        return f"{len(calls)} appel(s) lié(s) {person.tied_to} : écrit dans {output}."

    click.echo(_with_calls_of(typed, export))


@privacy.command("erase")
@click.argument("typed", metavar="NUMERO_OU_COURRIEL")
@click.option("--yes", is_flag=True, help="Effacer sans demander de confirmation.")
def erase_command(typed: str, yes: bool) -> None:
    """Effacer ce qui identifie la personne (numéro ou courriel) ; les champs codés restent."""
    from call_log.retention import PrivacyAction, audit
    from call_log.rights import erase
    from foundation.clock import system_clock
    from helpline.app import recording_store

    def run(session: Session, settings: Settings, config: Config, person: Person, calls: list[Call]) -> str:
        if not calls:
            return f"Aucun appel n'est lié {person.tied_to} : rien à effacer."
        if not yes and not confirm(
            f"{len(calls)} appel(s) lié(s) {person.tied_to} : effacer ce qui identifie la personne ?"
        ):
            fail("effacement annulé ; rien n'a été effacé")
        counts = erase(session, calls, tz=config.helpline.tz, recordings=recording_store(settings))
        audit(session, PrivacyAction.ERASE, {"calls": len(calls), **counts}, by=_who(), now=system_clock())
        return "\n".join(
            [f"{len(calls)} appel(s) lié(s) {person.tied_to}.", *_counts_lines(counts, verb="Effacé")]
        )

    click.echo(_with_calls_of(typed, run))
