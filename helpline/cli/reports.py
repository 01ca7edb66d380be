"""`helpline report` (build a month's report, or send it now) and `helpline demo-data` (synthetic calls)."""

from __future__ import annotations

import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import click

from foundation.reasons import system_error
from foundation.text import french_number
from helpline.cli.french import group
from helpline.startup import LazyChoice, csv_form_option, fail, settings_and_config, with_database
from reports.months import month_of, months_between, parse_month, shift_month

if TYPE_CHECKING:
    from reports.files import Format


def _month(month: str | None, now: datetime, tz: ZoneInfo, *, option: str = "--month") -> str:
    """The month given as `option`, checked, or last month."""
    if month is None:
        return shift_month(month_of(now, tz), -1)
    try:
        parse_month(month)
    except ValueError:
        fail(f"{option} : « {month} » n'est pas un mois comme 2026-03")
    return month


@group(invoke_without_command=True)
@click.option(
    "--month",
    help="Le mois, au format AAAA-MM, dans le fuseau horaire de la ligne (par défaut : le mois dernier).",
)
@click.option(
    "--format",
    "fmt",
    type=LazyChoice("reports.files:FORMATS"),
    default="html",
    show_default=True,
    help="Le format du rapport.",
)
@click.option(
    "--output",
    metavar="FICHIER",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Le fichier à écrire ('-' pour la sortie standard ; par défaut : demande-AAAA-MM.<format> ici).",
)
@csv_form_option(
    "Avec --format csv : pour un tableur français (« ; », titres en français) ou en données pour programmes."
)
@click.pass_context
def report(ctx: click.Context, month: str | None, fmt: Format, output: Path | None, csv_form: str) -> None:
    """Le rapport de la demande d'un mois, en HTML, CSV, XLSX ou données ouvertes.

    Exemple : helpline report --month 2026-10 --format xlsx --output octobre.xlsx

    Les chiffres clés d'un mois terminé sont aussi gardés pour l'évolution des rapports suivants.
    """
    if ctx.invoked_subcommand is not None:
        return
    from foundation.clock import system_clock
    from foundation.db import transaction
    from foundation.spreadsheets import CsvForm
    from helpline.db import make_engine, make_session_factory
    from reports.files import collect_month, file_name, render_files, step_count
    from reports.rollup import store_report

    settings, config = settings_and_config()
    now = system_clock()
    month = _month(month, now, config.helpline.tz)
    engine = make_engine(settings.database_url)

    def build() -> bytes:
        sessions = make_session_factory(engine)
        with click.progressbar(length=step_count([fmt]), label=f"Rapport {month}", file=sys.stderr) as bar:
            with sessions() as session:
                figures = collect_month(
                    session, month, [fmt], config=config, now=now, on_step=lambda _step: bar.update(1)
                )
            if figures.report is not None:
                with transaction(sessions) as session:
                    store_report(session, figures.report, now=now)
            (built,) = render_files(
                figures, [fmt], on_step=lambda _step: bar.update(1), csv_form=CsvForm(csv_form)
            )
            return built.content

    try:
        content = with_database(build)
    finally:
        engine.dispose()
    if output is not None and str(output) == "-":
        sys.stdout.buffer.write(content)
        return
    target = output or Path(file_name(month, fmt))
    try:
        target.write_bytes(content)
    except OSError as exc:
        fail(f"impossible d'écrire {target} : {system_error(exc)}")
    click.echo(f"{target} écrit ({french_number(len(content))} octets).", err=True)


@report.command("send")
@click.option(
    "--month",
    help="Le mois, au format AAAA-MM, dans le fuseau horaire de la ligne (par défaut : le mois dernier).",
)
def report_send(month: str | None) -> None:
    """Établir le rapport d'un mois, le ranger dans reports.output_dir et l'envoyer à reports.recipients."""
    from foundation.clock import system_clock
    from foundation.mail import MailError
    from helpline.db import make_engine, make_session_factory
    from reports.schedule import MonthlyReportJob

    settings, config = settings_and_config()
    month = _month(month, system_clock(), config.helpline.tz)
    if not config.reports.recipients:
        fail(
            f"reports.recipients est vide dans {settings.config_path} : indiquez qui doit recevoir le rapport"
        )
    engine = make_engine(settings.database_url)
    job = MonthlyReportJob(make_session_factory(engine), config, system_clock, settings.smtp_password)
    try:
        paths, sent_to = with_database(lambda: job.produce(month))
    except MailError as exc:
        fail(str(exc))
    finally:
        engine.dispose()
    where = Path(paths[0]).parent
    click.echo(
        f"Rapport {month} : {len(paths)} fichiers rangés dans {where}, envoyés à {', '.join(sent_to)}."
    )


@report.command("backfill")
@click.option(
    "--from", "first", help="Le premier mois, au format AAAA-MM (par défaut : celui du premier appel)."
)
@click.option("--to", "last", help="Le dernier mois, au format AAAA-MM (par défaut : le mois dernier).")
def report_backfill(first: str | None, last: str | None) -> None:
    """Recompter les mois passés depuis les appels, pour l'évolution sur 13 mois des rapports.

    À lancer une fois après une mise à jour, et pour les mois dont les appels ont changé après leur rapport.
    """
    from sqlalchemy import func, select

    from call_log.models import Call
    from foundation.clock import system_clock
    from foundation.db import transaction
    from helpline.db import make_engine, make_session_factory
    from reports.rollup import backfill

    settings, config = settings_and_config()
    now, tz = system_clock(), config.helpline.tz
    last = _month(last, now, tz, option="--to")
    first = None if first is None else _month(first, now, tz, option="--from")
    engine = make_engine(settings.database_url)

    def count() -> list[str]:
        with transaction(make_session_factory(engine)) as session:
            earliest = session.scalar(select(func.min(Call.started_at)))
            if earliest is None:
                return []
            start = first or month_of(earliest, tz)
            return backfill(session, months_between(start, last), tz, now=now)

    try:
        counted = with_database(count)
    finally:
        engine.dispose()
    if not counted:
        click.echo("Aucun mois terminé à compter : le journal des appels est vide sur cette période.")
        return
    click.echo(f"Chiffres mensuels recomptés : {len(counted)} mois, de {counted[0]} à {counted[-1]}.")


@click.command("demo-data")
@click.option(
    "--calls", type=click.IntRange(1, 5_000_000), default=2000, show_default=True, help="Combien d'appels."
)
@click.option(
    "--months", type=click.IntRange(1, 120), default=12, show_default=True, help="Sur combien de mois."
)
@click.option("--seed", type=int, help="Même graine, mêmes appels.")
def demo_data(calls: int, months: int, seed: int | None) -> None:
    """Ajouter des appels fictifs réalistes sur les derniers mois entiers, pour essayer les rapports."""
    from sqlalchemy import func, select

    from directory.models import Commune
    from foundation.clock import system_clock
    from foundation.db import transaction
    from helpline.db import make_engine, make_session_factory
    from reports import demo

    settings, config = settings_and_config()
    tz, now = config.helpline.tz, system_clock()
    periods = demo.demo_months(now, tz, months)
    engine = make_engine(settings.database_url)

    def fill() -> int:
        added = 0
        with transaction(make_session_factory(engine)) as session:
            if not session.scalar(select(func.count()).select_from(Commune)):
                fail("la base n'a pas encore de communes : lancez d'abord 'helpline db upgrade'")
            # Who covers what is asked of the routing on a Tuesday morning, when associations are open.
            local = now.astimezone(tz).replace(hour=10, minute=0, second=0, microsecond=0)
            tuesday = local - timedelta(days=(local.weekday() - 1) % 7 or 7)
            directory = demo.DemoDirectory.load(session, at=tuesday, tz=config.helpline.tz)
            connection = session.connection()
            generator = demo.DemoGenerator(
                directory, hours=config.hours, tz=tz, now=now, seed=seed, first_ids=demo.next_ids(connection)
            )
            with click.progressbar(length=calls, label="Appels de démonstration", file=sys.stderr) as bar:
                for batch in generator.batches(periods, calls):
                    demo.insert_batch(connection, batch)
                    added += len(batch.calls)
                    bar.update(len(batch.calls))
            demo.reset_sequences(connection)
        return added

    try:
        added = with_database(fill)
    finally:
        engine.dispose()
    click.echo(f"{french_number(added)} appels fictifs ajoutés, de {periods[0]} à {periods[-1]}.")
