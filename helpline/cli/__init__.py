"""The `helpline` command: database, server, simulated calls and exports.

Each command builds what it needs from the environment (HELPLINE_CONFIG, HELPLINE_DATABASE_URL, ...),
owns its database session, and turns any expected failure into one clear message and a non-zero exit.
"""

from __future__ import annotations

import dataclasses
import secrets
from typing import TYPE_CHECKING

import click

from foundation.reasons import system_error
from helpline.cli.backup import backup, restore
from helpline.cli.calls import sweep
from helpline.cli.directory import directory
from helpline.cli.doctor import doctor
from helpline.cli.french import group, speak_french
from helpline.cli.journal import journal
from helpline.cli.line import line
from helpline.cli.privacy import privacy
from helpline.cli.reports import demo_data, report
from helpline.cli.settings import settings
from helpline.cli.twilio_number import twilio
from helpline.cli.users import users
from helpline.startup import csv_form_option, fail, first_admin_hint, settings_and_config, with_database

if TYPE_CHECKING:
    from foundation.config import Config
    from ivr.simulator.errors import SimulatorError


@group()
def main() -> None:
    """1001 services : serveur vocal, journal des appels et rapports de la ligne."""


@main.group()
def db() -> None:
    """Créer et mettre à jour la base de données."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Créer ou mettre à jour la base ; une base neuve reçoit l'annuaire d'exemple de config.yaml."""
    from helpline.db import make_engine, sqlite_file
    from helpline.migrate import upgrade_database

    settings, config = settings_and_config()
    if (path := sqlite_file(settings.database_url)) is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            fail(f"impossible de créer le dossier {path.parent} : {system_error(exc)}")
    engine = make_engine(settings.database_url, create=True)
    try:
        report = with_database(lambda: upgrade_database(engine, config))
        hint = with_database(lambda: first_admin_hint(engine))
    finally:
        engine.dispose()
    click.echo(f"La base de données {engine.url.render_as_string(hide_password=True)} est à jour.")
    if report.associations_added:
        click.echo(
            f"{report.associations_added} associations d'exemple chargées depuis {settings.config_path}."
        )
    if hint:
        click.echo(hint)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Adresse d'écoute.")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535), help="Port d'écoute.")
@click.option(
    "--workers", default=2, show_default=True, type=click.IntRange(1, 32), help="Nombre de processus."
)
@click.option(
    "--dev",
    is_flag=True,
    help="Développement seulement : accepter les requêtes /ivr non signées (HELPLINE_DEV_SKIP_SIGNATURE=1).",
)
def serve(host: str, port: int, workers: int, dev: bool) -> None:
    """Lancer la ligne (serveur vocal et console) avec gunicorn."""
    from helpline.server import run

    settings, config = settings_and_config()
    if dev:
        settings = dataclasses.replace(settings, skip_signature_check=True)
    url = f"http://{host}:{port}"
    click.echo(f"{config.helpline.name} écoute sur {url}")
    if settings.skip_signature_check:
        click.secho(
            "ATTENTION : la vérification des signatures Twilio est DÉSACTIVÉE ; "
            "n'exposez jamais ce serveur à Internet.",
            fg="yellow",
            err=True,
        )
    elif not settings.twilio_auth_token:
        click.secho(
            "ATTENTION : TWILIO_AUTH_TOKEN n'est pas défini : les requêtes de Twilio seront refusées.",
            err=True,
        )
    click.echo(f"Console : {url}/")
    click.echo(f"Pour simuler un appel depuis un autre terminal :  helpline simulate --url {url}")
    run(settings, config, host=host, port=port, workers=workers)


@main.command()
@click.option(
    "--url",
    help="Appeler un serveur lancé (par exemple http://127.0.0.1:5000) au lieu d'une application en mémoire.",
)
@click.option("--from", "from_", default="+33639980001", show_default=True, help="Le numéro de l'appelant.")
def simulate(url: str | None, from_: str) -> None:
    """Simuler un appel dans le terminal : écouter le menu, taper des touches, décider qui répond."""
    from helpline.app import create_app
    from ivr.simulator.call import CallSimulator
    from ivr.simulator.callers import InteractiveCaller
    from ivr.simulator.errors import SimulatorError
    from ivr.simulator.transports import FlaskClientTransport, HttpTransport, Transport

    settings, config = settings_and_config()
    transport: Transport
    app = None
    if url:
        base_url = url.rstrip("/")
        transport, token = HttpTransport(), settings.twilio_auth_token
    else:
        # In-process, both ends are ours: sign with the configured token or a throwaway one.
        token = settings.twilio_auth_token or secrets.token_hex(16)
        settings = dataclasses.replace(settings, twilio_auth_token=token, public_url="http://localhost")
        app = create_app(settings, config=config)
        base_url, transport = "http://localhost", FlaskClientTransport(app.test_client())
    simulator = CallSimulator(
        transport, base_url=base_url, auth_token=token, to=config.helpline.number, from_=from_
    )
    caller = InteractiveCaller(
        input_fn=lambda prompt: click.prompt(prompt, default="", show_default=False, prompt_suffix=""),
        output_fn=click.echo,
        names=_phone_names(settings.database_url, config),
    )
    try:
        call = simulator.place_call(caller)
    except SimulatorError as exc:
        fail(simulation_failure(exc))
    except OSError as exc:
        fail(f"impossible de joindre {base_url} : {system_error(exc)}")
    finally:
        if app is not None:
            app.extensions["helpline"].engine.dispose()
    click.echo(
        f"Appel terminé ({call.call_sid}, {call.duration_s} s). "
        f"Voir : helpline calls export --month {_month_of_today(config)}"
    )


def simulation_failure(exc: SimulatorError) -> str:
    """What the simulator found, in French (its own words, for tests and developers, are English)."""
    from ivr.simulator.errors import InvalidTwiML, SimulationLimit, WebhookError

    if isinstance(exc, WebhookError):
        return (
            f"{exc.url} a répondu {exc.status} au lieu de 200 : Twilio ferait entendre son message "
            "d'erreur à l'appelant (le journal du serveur dit pourquoi)"
        )
    if isinstance(exc, InvalidTwiML):
        return f"{exc.url} a répondu un document que Twilio refuserait (TwiML invalide)"
    if isinstance(exc, SimulationLimit):
        return f"l'appel a demandé plus de {exc.limit} documents à la ligne : le menu tourne en rond"
    return "la ligne a répondu quelque chose que ce simulateur ne sait pas jouer"


def _phone_names(database_url: str, config: Config) -> dict[str, str]:
    """Whose phone each number the line may ring is: the directory's associations, then the operators."""
    from directory.routing import phone_book
    from helpline.db import make_engine, make_session_factory

    engine = make_engine(database_url)
    try:
        with make_session_factory(engine)() as session:
            names = with_database(lambda: phone_book(session))
    finally:
        engine.dispose()
    return names | {operator.phone: f"{operator.name} (opérateur)" for operator in config.operators}


def _month_of_today(config: Config) -> str:
    from foundation.clock import system_clock

    return system_clock().astimezone(config.helpline.tz).strftime("%Y-%m")


@main.group()
def calls() -> None:
    """Le journal des appels."""


@calls.command("export")
@click.option(
    "--month", required=True, help="Le mois, au format AAAA-MM, dans le fuseau horaire de la ligne."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "json"]),
    default="csv",
    show_default=True,
    help="Format du fichier.",
)
@csv_form_option(
    "CSV pour un tableur français (« ; », mots en français, heures locales) ou données pour programmes."
)
def calls_export(month: str, fmt: str, csv_form: str) -> None:
    """Écrire les appels d'un mois sur la sortie standard (numéros tels que la confidentialité les garde)."""
    from call_log.export import export_rows, to_csv, to_json
    from call_log.periods import month_bounds
    from foundation.spreadsheets import CsvForm
    from helpline.db import make_engine, make_session_factory

    settings, config = settings_and_config()
    try:
        start, end = month_bounds(month, config.helpline.tz)
    except ValueError:
        fail(f"--month : « {month} » n'est pas un mois comme 2026-03")
    engine = make_engine(settings.database_url)

    def export() -> str:
        with make_session_factory(engine)() as session:
            if fmt == "json":
                return to_json(export_rows(session, start=start, end=end))
            form = CsvForm(csv_form)
            words_in = config.helpline.tz if form is CsvForm.SPREADSHEET else None
            return to_csv(export_rows(session, start=start, end=end, words_in=words_in), form)

    try:
        click.echo(with_database(export), nl=False)
    finally:
        engine.dispose()


calls.add_command(sweep)
main.add_command(users)
main.add_command(line)
main.add_command(privacy)
main.add_command(settings)
main.add_command(journal)
main.add_command(directory)
main.add_command(report)
main.add_command(demo_data)
main.add_command(doctor)
main.add_command(twilio)
main.add_command(backup)
main.add_command(restore)

# Click's own words in French, once every command is declared (their paths' names included).
speak_french(main)
