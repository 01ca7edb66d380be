"""Loading config.yaml: read the file, validate it against the schema, and explain every mistake in one line.

The schema itself is in the shared leaf (`foundation.config`); secrets never live in the file, they come from
the environment (see `foundation.settings`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

import yaml
from pydantic import ValidationError

from foundation.config import Config
from foundation.config.errors import format_error
from foundation.reasons import system_error
from foundation.yaml_text import NOT_YAML, load_yaml, yaml_error_place


class ConfigError(Exception):
    """config.yaml cannot be used; the message names every bad key and what would be valid."""


def load_config(path: str | Path, *, categories: Iterable[str] | None = None) -> Config:
    """Read and validate config.yaml; `categories` are the known service category codes, if checked."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"{path} : fichier introuvable ; donnez à HELPLINE_CONFIG le chemin du config.yaml de la ligne"
        ) from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path} : ce n'est pas du texte en UTF-8 ; enregistrez-le en UTF-8") from None
    except OSError as exc:
        raise ConfigError(f"{path} : fichier illisible ({system_error(exc)})") from None
    return parse_config(text, source=str(path), categories=categories)


def parse_config(
    text: str, *, source: str = "config.yaml", categories: Iterable[str] | None = None
) -> Config:
    """Validate the YAML text of a config file."""
    try:
        data = load_yaml(text)
    except yaml.YAMLError as exc:
        place = yaml_error_place(exc)
        where = f", ligne {place[0]}, colonne {place[1]}" if place else ""
        raise ConfigError(f"{source}{where} : {NOT_YAML}") from None
    if not isinstance(data, Mapping):
        raise ConfigError(f"{source} : il faut une liste de réglages (helpline, operators, menu…)")
    context = {"categories": list(categories)} if categories is not None else None
    try:
        return Config.model_validate(data, context=context)
    except ValidationError as exc:
        lines = [format_error(error) for error in exc.errors(include_url=False)]
        raise ConfigError(
            f"{source} n'est pas valide :\n" + "\n".join(f"  {line}" for line in lines)
        ) from None
