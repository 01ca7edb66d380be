"""`helpline privacy`: purge old identifying data, and a person's rights (find, erase) over their number."""

from __future__ import annotations

import getpass
import socket
from pathlib import Path
from typing import TYPE_CHECKING

import click

from helpline.startup import fail, settings_and_config, with_database

if TYPE_CHECKING:
    from collections.abc import Callable

    from sqlalchemy.orm import Session

    from call_log.models import Call
    from call_log.retention import Counts
    from foundation.config import Config
    from foundation.settings import Settings


@click.group()
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


def _with_calls_of(number: str, action: Callable[[Session, Settings, Config, str, list[Call]], str]) -> str:
    """Run `action` on the calls tied to `number` (in E.164 form), in one transaction; its message."""
    from call_log.privacy import stored_caller
    from call_log.rights import calls_of
    from console.forms import e164
    from foundation.db import transaction
    from helpline.db import make_engine, make_session_factory
    from ivr.line import caller_key

    settings, config = settings_and_config()
    full = e164(number)
    if not full:
        fail(f"« {number} » n'est pas un numéro de téléphone comme 02 61 91 00 01 ou +33261910001")
    stored = [full]
    if settings.caller_hash_secret:
        stored.append(stored_caller(full, "hashed", secret=settings.caller_hash_secret))
    key = caller_key(full, secret=settings.caller_key_secret)
    engine = make_engine(settings.database_url)

    def run() -> str:
        with transaction(make_session_factory(engine)) as session:
            calls = calls_of(session, full, caller_key=key, stored=stored)
            return action(session, settings, config, full, calls)

    try:
        message = with_database(run)
    finally:
        engine.dispose()
    if key is None:
        message += (
            "\nNi HELPLINE_CALLER_HASH_SECRET ni HELPLINE_SECRET_KEY ne sont définis : les appels dont "
            "seule l'empreinte du numéro est gardée n'ont pas pu être retrouvés."
        )
    return message


@privacy.command("find")
@click.argument("number")
@click.option(
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    required=True,
    help="Le fichier à écrire (.json : données pour programmes ; sinon un texte lisible).",
)
def find_command(number: str, output: Path) -> None:
    """Exporter tout ce qui est lié à un numéro (appels, rappels, orientations), pour la personne."""
    from call_log.retention import PrivacyAction, audit
    from call_log.rights import as_json, as_text, person_records
    from foundation.clock import system_clock

    def export(session: Session, _settings: Settings, config: Config, full: str, calls: list[Call]) -> str:
        records = person_records(calls, tz=config.helpline.tz)
        if output.suffix.lower() == ".json":
            text = as_json(records)
        else:
            text = as_text(records, number=full, helpline=config.helpline.name)
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as exc:
            fail(f"impossible d'écrire {output} : {exc.strerror}")
        audit(session, PrivacyAction.FIND, {"calls": len(calls)}, by=_who(), now=system_clock())
        return f"{len(calls)} appel(s) lié(s) au numéro {full} : écrit dans {output}."

    click.echo(_with_calls_of(number, export))


@privacy.command("erase")
@click.argument("number")
@click.option("--yes", is_flag=True, help="Effacer sans demander de confirmation.")
def erase_command(number: str, yes: bool) -> None:
    """Effacer ce qui identifie la personne de ce numéro ; les champs codés de l'observatoire restent."""
    from call_log.retention import PrivacyAction, audit
    from call_log.rights import erase
    from foundation.clock import system_clock
    from helpline.app import recording_store

    def run(session: Session, settings: Settings, config: Config, full: str, calls: list[Call]) -> str:
        if not calls:
            return f"Aucun appel n'est lié au numéro {full} : rien à effacer."
        if not yes and not click.confirm(
            f"{len(calls)} appel(s) lié(s) au numéro {full} : effacer ce qui identifie la personne ?"
        ):
            fail("effacement annulé ; rien n'a été effacé")
        counts = erase(session, calls, tz=config.helpline.tz, recordings=recording_store(settings))
        audit(session, PrivacyAction.ERASE, {"calls": len(calls), **counts}, by=_who(), now=system_clock())
        return "\n".join(
            [f"{len(calls)} appel(s) lié(s) au numéro {full}.", *_counts_lines(counts, verb="Effacé")]
        )

    click.echo(_with_calls_of(number, run))
