"""What every command needs first: settings from the environment, a valid config, one-line failures."""

from __future__ import annotations

import sys
from typing import NoReturn

import click

from helpline.config import Config, ConfigError
from helpline.settings import Settings


def fail(message: str) -> NoReturn:
    """Print one clear line on stderr and exit with status 1."""
    click.echo(f"helpline: {message}", err=True)
    sys.exit(1)


def settings_and_config() -> tuple[Settings, Config]:
    """Settings from the environment and the validated config.yaml; exits with the error otherwise."""
    from helpline.app import load_helpline_config

    settings = Settings.from_env()
    try:
        return settings, load_helpline_config(settings)
    except ConfigError as exc:
        fail(str(exc))
