"""YAML as staff read and edit it: keys in the order given, accents kept, short lists on one line.

The directory's file and the settings' file are written the same way, so that both read like config.yaml.
"""

from __future__ import annotations

from typing import Any

import yaml


class _Dumper(yaml.SafeDumper):
    """Mappings in block style, lists of plain values on one line (hours, communes)."""


def _represent_list(dumper: yaml.SafeDumper, data: list[Any]) -> yaml.Node:
    flow = all(not isinstance(item, dict | list) for item in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.Node:
    # Several lines of text read best as a literal block.
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(list, _represent_list)
_Dumper.add_representer(str, _represent_str)


# libyaml's loader when PyYAML was built with it: the same documents, read about ten times faster (the
# server reads config.yaml and the taxonomy at every start).
_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(text: str) -> Any:
    """The plain data of a YAML document (yaml.safe_load's result, yaml.YAMLError when it is not YAML)."""
    return yaml.load(text, Loader=_Loader)


# What a YAML syntax error means for whoever wrote the file (yaml's own words are English).
NOT_YAML = "ce n'est pas du YAML valide (vérifiez l'indentation, les « : » et les guillemets)"


def yaml_error_place(exc: yaml.YAMLError) -> tuple[int, int] | None:
    """The line and column (from 1) where a YAML document stopped making sense, if yaml says."""
    mark = getattr(exc, "problem_mark", None)
    return (mark.line + 1, mark.column + 1) if mark is not None else None


def dump_yaml(data: Any) -> str:
    """`data` (plain mappings, lists, strings, numbers) as YAML text, in the order of its mappings."""
    return yaml.dump(
        data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=110, default_flow_style=False
    )
