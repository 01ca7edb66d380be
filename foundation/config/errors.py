"""Validation errors of the helpline's settings in French, one line each, named by their YAML path.

The same words whether the settings come from config.yaml, from `helpline settings import` or from a console
form: the path says which setting, the rest what is wrong and what would be valid.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from foundation.config.sections import Config


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
        expected = _PATTERNS.get(error.get("ctx", {}).get("pattern", "")) or _EXPECTED.get(kind)
        # A check without its French words says so in French (pydantic's own are English).
        what = expected.format(**error.get("ctx", {})).replace("' or '", "' ou '") if expected else UNEXPECTED
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
    "date_from_datetime_inexact": "il faut une date seule, sans heure, comme 2026-12-24",
}
UNEXPECTED = "cette valeur ne convient pas ici (voyez l'exemple de config.yaml)"
# What the schema's patterns (`Field(pattern=...)`) ask for, in words.
_PATTERNS = {
    r"^[a-z_]{2,40}$": "il faut de 2 à 40 lettres minuscules sans accent ou « _ » (ex. bouche_a_oreille)",
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
