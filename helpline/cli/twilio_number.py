"""`helpline twilio connect`: point the helpline's Twilio number at this server (voice, fallback, status)."""

from __future__ import annotations

import re

import click

from helpline.cli.french import group
from helpline.startup import fail, settings_and_config, twilio_http_client

E164 = re.compile(r"\+[1-9][0-9]{6,14}")


@group()
def twilio() -> None:
    """Le numéro de la ligne chez Twilio."""


@twilio.command("connect")
@click.option("--dry-run", is_flag=True, help="Montrer ce qui changerait, sans rien changer.")
@click.option(
    "--number",
    metavar="E164",
    help="Le numéro à relier, par exemple +33261911000 (par défaut : helpline.number de config.yaml).",
)
def connect(dry_run: bool, number: str | None) -> None:
    """Faire appeler ce serveur par le numéro : adresses /ivr/voice, /ivr/fallback et /ivr/status, en POST."""
    from helpline.twilio_line import (
        TwilioLineError,
        account_name,
        connect_number,
        find_number,
        planned_webhooks,
        twilio_client,
    )

    settings, config = settings_and_config()
    number = number or config.helpline.number
    if not E164.fullmatch(number):
        fail(f"--number : « {number} » n'est pas un numéro international comme +33261911000")
    public_url = settings.public_url
    if not public_url or not public_url.startswith("https://"):
        fail(
            "HELPLINE_PUBLIC_URL doit être l'adresse https de ce serveur (par exemple "
            "https://ligne.example.org) : Twilio n'appelle la ligne qu'en https"
        )
    try:
        client = twilio_client(settings, http_client=twilio_http_client())
        name = account_name(client)
        sid = find_number(client, number)
        if sid is None:
            fail(
                f"le numéro {number} n'est pas sur le compte Twilio « {name} » : vérifiez helpline.number "
                "dans config.yaml (ou --number) et les identifiants du compte"
            )
        hooks = planned_webhooks(client, sid, public_url)
        click.echo(f"Numéro {number} du compte Twilio « {name} » :")
        for hook in hooks:
            now = hook.current or "(vide)"
            click.echo(
                f"  {hook.label} : {now}" + (f"  ->  {hook.wanted}" if hook.changes else " (inchangé)")
            )
        if dry_run:
            click.echo("Essai (--dry-run) : rien n'a été changé chez Twilio.")
            return
        connect_number(client, sid, public_url)
    except TwilioLineError as exc:
        fail(str(exc))
    click.echo(f"Le numéro {number} appelle maintenant {public_url}/ivr/voice (méthode POST).")
