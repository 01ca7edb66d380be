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
            f"{path}: no such file; set HELPLINE_CONFIG to the helpline's config.yaml"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot be read ({exc})") from None
    return parse_config(text, source=str(path), categories=categories)


def parse_config(
    text: str, *, source: str = "config.yaml", categories: Iterable[str] | None = None
) -> Config:
    """Validate the YAML text of a config file."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or exc
        raise ConfigError(f"{source}{where}: this is not valid YAML ({problem})") from None
    if not isinstance(data, Mapping):
        raise ConfigError(f"{source}: expected a mapping of settings (helpline, operators, menu, ...)")
    context = {"categories": list(categories)} if categories is not None else None
    try:
        return Config.model_validate(data, context=context)
    except ValidationError as exc:
        lines = [format_error(error) for error in exc.errors(include_url=False)]
        raise ConfigError(f"{source} is invalid:\n" + "\n".join(f"  {line}" for line in lines)) from None


def format_error(error: Mapping[str, Any]) -> str:
    """One line naming the YAML path of a validation error and what would be valid."""
    loc = [part for part in error["loc"] if part not in _VALIDATOR_LOC_NOISE]
    path = _yaml_path(loc)
    kind = error["type"]
    message = str(error["msg"]).removeprefix("Value error, ")
    if kind == "missing":
        return f"{path}: is required"
    if kind == "extra_forbidden":
        parent = _model_at(loc[:-1])
        valid = f" (valid: {', '.join(parent.model_fields)})" if parent else ""
        return f"{path}: is not a known setting{valid}"
    if kind != "value_error":
        message = f"{error['input']!r} is not valid: {message}"
    # Cross-section checks (model validators at the root) name their own path in the message.
    return f"{path}: {message}" if path else message


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
