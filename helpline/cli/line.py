"""`helpline line`: see whether the line is open, and force it open or closed without a restart."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import click

from helpline.cli.french import group
from helpline.startup import database_reason, fail, settings_and_config

if TYPE_CHECKING:
    from ivr.hours import Override


@group()
def line() -> None:
    """Ouverture de la ligne : son état maintenant, et l'ouverture ou la fermeture forcée par l'équipe."""


def _until(value: str | None, tz_name: str) -> datetime | None:
    if value is None:
        return None
    from zoneinfo import ZoneInfo

    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        fail(f"--until : « {value} » n'est pas une date et une heure comme 2026-12-24T18:00")
    return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(tz_name))


@line.command("status")
def status() -> None:
    """Dire si la ligne est ouverte maintenant, et pourquoi."""
    from call_log.codes import LineState
    from foundation.clock import system_clock
    from helpline.db import make_engine, make_session_factory
    from ivr.hours import describe_hours, line_status
    from ivr.line import current_override
    from ivr.staff_settings import current

    settings, base = settings_and_config()
    engine = make_engine(settings.database_url)
    try:
        with make_session_factory(engine)() as session:
            override = current_override(session)
            # The hours and calendar staff set in the console, over config.yaml's.
            config = current(session, base).config
    except Exception as exc:  # the database may be missing: say so, like the other commands
        fail(f"impossible de lire l'état de la ligne ({database_reason(exc)}) ; lancez 'helpline db upgrade'")
    finally:
        engine.dispose()
    now = system_clock()
    found = line_status(config, now, override=override)
    click.echo(f"La ligne est {LineState.label_of(found.reason)}. Horaires : {describe_hours(config.hours)}.")
    if override is not None and override.active(now):
        until = (
            f" jusqu'au {override.until.astimezone(config.helpline.tz):%d/%m/%Y à %H:%M}"
            if override.until
            else " jusqu'à 'helpline line auto'"
        )
        forced = "ouvert" if override.mode == "open" else "fermé"
        click.echo(f"L'équipe a {forced} la ligne{until}.")
    if found.reopens_at is not None:
        click.echo(f"Réouverture le {found.reopens_at.astimezone(config.helpline.tz):%d/%m/%Y à %H:%M}.")


def _set(override: Override | None, by: str) -> None:
    from foundation.clock import system_clock
    from foundation.db import transaction
    from helpline.db import make_engine, make_session_factory
    from ivr.line import set_override

    settings, _config = settings_and_config()
    engine = make_engine(settings.database_url)
    try:
        with transaction(make_session_factory(engine)) as session:
            set_override(session, override, by=by, now=system_clock())
    except Exception as exc:
        fail(
            f"impossible d'enregistrer l'état de la ligne ({database_reason(exc)}) ; "
            "lancez 'helpline db upgrade'"
        )
    finally:
        engine.dispose()


@line.command("open")
@click.option("--until", help="Date et heure locales de la fin, par exemple 2026-12-24T18:00.")
@click.option("--by", default="cli", show_default=True, help="Qui le décide (gardé avec le réglage).")
def force_open(until: str | None, by: str) -> None:
    """Ouvrir la ligne maintenant, quels que soient les horaires."""
    from ivr.hours import Override

    _settings, config = settings_and_config()
    _set(Override("open", _until(until, config.helpline.timezone)), by)
    click.echo("La ligne est ouverte" + _until_words(until))


@line.command("close")
@click.option("--until", help="Date et heure locales de la fin, par exemple 2026-12-24T18:00.")
@click.option(
    "--message",
    default="",
    help="Ce que les appelants entendent à la place du message de fermeture habituel.",
)
@click.option("--by", default="cli", show_default=True, help="Qui le décide (gardé avec le réglage).")
def force_closed(until: str | None, message: str, by: str) -> None:
    """Fermer la ligne maintenant : les appelants l'entendent et peuvent laisser un message."""
    from ivr.hours import Override

    _settings, config = settings_and_config()
    _set(Override("closed", _until(until, config.helpline.timezone), message), by)
    click.echo("La ligne est fermée" + _until_words(until))


@line.command("auto")
@click.option("--by", default="cli", show_default=True, help="Qui le décide (gardé avec le réglage).")
def automatic(by: str) -> None:
    """Lever l'ouverture ou la fermeture forcée : les horaires de config.yaml décident à nouveau."""
    _set(None, by)
    click.echo("La ligne suit à nouveau ses horaires.")


def _until_words(until: str | None) -> str:
    if until is None:
        return " jusqu'à 'helpline line auto'."
    moment = datetime.fromisoformat(until)
    return f" jusqu'au {moment:%d/%m/%Y à %H:%M}."
