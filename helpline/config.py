"""Loading config.yaml: read the file, validate it against the schema, and explain every mistake in one line.

The schema itself is in the shared leaf (`foundation.config`); secrets never live in the file, they come from
the environment (see `foundation.settings`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from foundation.config import Config


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
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path} : fichier illisible ({exc})") from None
    return parse_config(text, source=str(path), categories=categories)


def parse_config(
    text: str, *, source: str = "config.yaml", categories: Iterable[str] | None = None
) -> Config:
    """Validate the YAML text of a config file."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f", ligne {mark.line + 1}, colonne {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or exc
        raise ConfigError(f"{source}{where} : ce n'est pas du YAML valide ({problem})") from None
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


def format_error(error: Mapping[str, Any]) -> str:
    """One line, in French, naming the YAML path of a validation error and what would be valid."""
    loc = [part for part in error["loc"] if part not in _VALIDATOR_LOC_NOISE]
    path = _yaml_path(loc)
    kind = error["type"]
    message = str(error["msg"]).removeprefix("Value error, ")
    if kind == "missing":
        return f"{path} : réglage obligatoire"
    if kind == "extra_forbidden":
        parent = _model_at(loc[:-1])
        valid = f" (valides : {', '.join(parent.model_fields)})" if parent else ""
        return f"{path} : ce réglage n'existe pas{valid}"
    if kind != "value_error":
        expected = _EXPECTED.get(kind)
        what = expected.format(**error.get("ctx", {})).replace("' or '", "' ou '") if expected else message
        message = f"« {_shown(error['input'])} » n'est pas valide : {what}"
    # Cross-section checks (model validators at the root) name their own path in the message.
    return f"{path} : {message}" if path else message


# What pydantic's checks expect, in French, by error type (their context fills the braces).
_EXPECTED = {
    "int_parsing": "il faut un nombre entier",
    "int_type": "il faut un nombre entier",
    "int_from_float": "il faut un nombre entier",
    "float_parsing": "il faut un nombre",
    "float_type": "il faut un nombre",
    "bool_parsing": "il faut true ou false",
    "bool_type": "il faut true ou false",
    "string_type": "il faut un texte",
    "string_too_short": "il faut au moins {min_length} caractère(s)",
    "string_too_long": "il faut au plus {max_length} caractères",
    "list_type": "il faut une liste",
    "dict_type": "il faut une liste de réglages",
    "model_type": "il faut une liste de réglages",
    "model_attributes_type": "il faut une liste de réglages",
    "too_short": "il faut au moins {min_length} élément(s)",
    "too_long": "il faut au plus {max_length} éléments",
    "greater_than": "il faut plus de {gt}",
    "greater_than_equal": "il faut {ge} ou plus",
    "less_than": "il faut moins de {lt}",
    "less_than_equal": "il faut {le} ou moins",
    "literal_error": "valeurs possibles : {expected}",
    "enum": "valeurs possibles : {expected}",
    "date_from_datetime_parsing": "il faut une date comme 2026-12-24",
    "date_parsing": "il faut une date comme 2026-12-24",
    "date_type": "il faut une date comme 2026-12-24",
    "time_parsing": "il faut une heure comme 07:00",
    "time_type": "il faut une heure comme 07:00",
    "url_parsing": "il faut une adresse web",
}


def _shown(value: Any) -> str:
    """A value of the file as it was written, for the message (a mapping or a list by its kind)."""
    if isinstance(value, Mapping):
        return "liste de réglages"
    return str(value)


# Pydantic names union members and validator kinds in error locations; they are not YAML keys.
_VALIDATOR_LOC_NOISE = {"list[str]", "literal['all']", "function-after[_e164(), str]"}


def _yaml_path(loc: list[Any]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path


def _model_at(loc: list[Any]) -> type[BaseModel] | None:
    """The config model found at a location, to list the settings valid there."""
    model: type[BaseModel] = Config
    for part in loc:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(str(part))
        if field is None:
            return None
        annotation = field.annotation
        found = _first_model(annotation)
        if found is None:
            return None
        model = found
    return model


def _first_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _first_model(arg)
        if found is not None:
            return found
    return None
