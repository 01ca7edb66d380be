"""`helpline journal`: what waits for the database, and replaying it now (the server does it by itself)."""

from __future__ import annotations

import sys
from collections import Counter

import click

from helpline.cli.french import group
from helpline.startup import settings_and_config


@group()
def journal() -> None:
    """Le journal de secours : ce que la base n'a pas pu enregistrer (gardé sur disque, recopié tout seul)."""


@journal.command("status")
def status() -> None:
    """Dire combien d'enregistrements attendent la base de données, depuis quand, et de quelle sorte."""
    from call_log.codes import EventKind
    from foundation.journal import STALE_AFTER_S
    from helpline.app import build_runtime

    settings, config = settings_and_config()
    rt = build_runtime(settings, config, pooled=False)
    entries = rt.journal.entries()
    click.echo(f"Journal de secours : {rt.journal.directory}")
    if not entries:
        click.echo("Aucun enregistrement en attente : tout est dans la base de données.")
        return
    tz = config.helpline.tz
    oldest = entries[0].at.astimezone(tz)
    click.echo(
        f"{len(entries)} enregistrement(s) en attente de la base de données, "
        f"le plus ancien du {oldest:%d/%m/%Y à %H:%M:%S}."
    )
    kinds = Counter(str(entry.data.get("kind", "")) for entry in entries)
    for kind, count in kinds.most_common():
        click.echo(f"  {count} × {EventKind.label_of(kind)}")
    if (rt.clock() - entries[0].at).total_seconds() > STALE_AFTER_S:
        click.echo("La base de données refuse les écritures depuis plus de 5 minutes : vérifiez-la.")


@journal.command("replay")
def replay() -> None:
    """Recopier maintenant dans la base ce qui attend ; code de sortie 1 s'il reste des enregistrements."""
    from helpline.app import build_runtime
    from helpline.replay import replay_journal

    settings, config = settings_and_config()
    rt = build_runtime(settings, config, pooled=False)
    done = replay_journal(rt)
    click.echo(f"{done.written} enregistrement(s) recopié(s) dans la base de données.")
    if done.rejected:
        click.echo(
            f"{done.rejected} enregistrement(s) refusé(s) par la base, mis de côté dans "
            f"{rt.journal.directory / 'rejected.jsonl'} : à examiner."
        )
    if done.left:
        click.echo(f"{done.left} enregistrement(s) en attente : la base ne répond toujours pas.", err=True)
        sys.exit(1)
