"""`helpline calls sweep`: close the calls whose final status never came from Twilio."""

from __future__ import annotations

import click

from helpline.startup import with_database


@click.command("sweep")
def sweep() -> None:
    """Clore les appels encore ouverts 4 heures après leur début (leur statut final de Twilio s'est perdu)."""
    from call_log.sweep import close_unfinished
    from foundation.clock import system_clock
    from foundation.db import transaction
    from foundation.settings import Settings
    from foundation.text import french_number
    from helpline.db import make_engine, make_session_factory

    engine = make_engine(Settings.from_env().database_url)

    def close() -> int:
        with transaction(make_session_factory(engine)) as session:
            return close_unfinished(session, now=system_clock())

    try:
        closed = with_database(close)
    finally:
        engine.dispose()
    if closed == 0:
        click.echo("Aucun appel à clore : tous ont reçu leur statut final de Twilio.")
    elif closed == 1:
        click.echo("1 appel clos sans statut final de Twilio.")
    else:
        click.echo(f"{french_number(closed)} appels clos sans statut final de Twilio.")
