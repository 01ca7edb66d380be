"""The settings staff change, as a YAML file: for backups and for moving an installation.

The file holds the staff sections (`foundation.config.staff.STAFF_SECTIONS`) in config.yaml's shape, so that
it can be read back by `import_settings` or pasted into config.yaml. Recorded prompts (audio files kept in
the database) are not in it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import yaml
from sqlalchemy.orm import Session

from foundation.config import Config
from foundation.config.staff import STAFF_SECTIONS, staff_document
from foundation.yaml_text import NOT_YAML, dump_yaml, load_yaml, yaml_error_place
from ivr.models import SettingsVersion
from ivr.staff_settings import SettingsRefusedError, current, save, validated


def write_settings(
    config: Config, *, version: SettingsVersion | None, exported_at: datetime, recorded: list[str]
) -> str:
    """The staff sections of `config` as YAML, under a comment header saying what they are and from where.

    `version` is the version they come from (None: config.yaml alone), `recorded` the prompts that have a
    recorded audio file, which the file does not hold.
    """
    tz = config.helpline.tz
    source = (
        f"version {version.id} du {version.created_at.astimezone(tz):%d/%m/%Y à %H:%M}"
        + (f" ({_one_line(version.created_by)})" if version.created_by else "")
        if version is not None
        else "config.yaml, aucun changement"
    )
    recordings = (
        f"# Messages enregistrés, non inclus (fichiers audio gardés dans la base) : {', '.join(recorded)}.\n"
        if recorded
        else "# Les messages enregistrés (fichiers audio) ne sont jamais dans ce fichier.\n"
    )
    header = (
        f"# Réglages de la ligne {_one_line(config.helpline.name)} : "
        "horaires, calendrier, opérateurs, menu, messages.\n"
        f"# Depuis : {source} ; exportés le {exported_at.astimezone(tz):%d/%m/%Y à %H:%M}.\n"
        "# Se relit avec 'helpline settings import FICHIER' ; ces sections se collent aussi telles\n"
        "# quelles dans config.yaml.\n"
        f"{recordings}"
    )
    document = staff_document(config)
    return header + dump_yaml({name: document[name] for name in STAFF_SECTIONS if name in document})


def _one_line(words: str) -> str:
    # A line break in a name would end the comment and make the rest of the header YAML.
    return " ".join(words.split())


def read_settings(text: str) -> dict[str, Any]:
    """The sections of a settings file; SettingsRefusedError when it is not YAML or holds other sections."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = load_yaml(text)
    except yaml.YAMLError as exc:
        place = yaml_error_place(exc)
        where = f"ligne {place[0]}, colonne {place[1]} : " if place else ""
        raise SettingsRefusedError([f"{where}{NOT_YAML}"]) from None
    valid = ", ".join(STAFF_SECTIONS)
    if data is None:
        raise SettingsRefusedError([f"le fichier est vide : il faut des réglages parmi {valid}"])
    if not isinstance(data, Mapping) or not isinstance(root, yaml.MappingNode):
        raise SettingsRefusedError([f"il faut une liste de réglages parmi {valid}"])
    lines = {str(key.value): key.start_mark.line + 1 for key, _value in root.value}
    unknown = [
        f"ligne {lines.get(str(key), 1)} : {key} : ce réglage ne se change pas ici (valides : {valid}) ; "
        "il se règle dans config.yaml"
        for key in data
        if key not in STAFF_SECTIONS
    ]
    if unknown:
        raise SettingsRefusedError(unknown)
    return {str(key): value for key, value in data.items()}


@dataclass(frozen=True)
class SettingsImport:
    """What an import changed: the settings that differ (YAML paths), and the version added if any."""

    changes: list[str]
    version: int | None

    @property
    def sections(self) -> list[str]:
        """The sections that differ, in the order of config.yaml's staff sections."""
        touched = {change.split(".")[0].split("[")[0] for change in self.changes}
        return [name for name in STAFF_SECTIONS if name in touched]


def import_settings(
    session: Session,
    base: Config,
    sections: Mapping[str, Any],
    *,
    by: str,
    now: datetime,
    summary: str,
    dry_run: bool = False,
) -> SettingsImport:
    """Lay `sections` over the current settings and keep them as a new version if they change anything.

    A section the file leaves out keeps its current content. Refused as a whole (SettingsRefusedError) when
    the result does not validate; nothing is written for `dry_run`, nor when nothing changes.
    """
    before = staff_document(current(session, base).config)
    document = {**before, **sections}
    # Compared as the schema writes them back, so that "9:00-12:30" and "09:00-12:30" are the same hours.
    after = staff_document(validated(base, document))
    changes = [found for name in STAFF_SECTIONS for found in differences(before[name], after[name], name)]
    if not changes or dry_run:
        return SettingsImport(changes, None)
    return SettingsImport(changes, save(session, base, document, by=by, now=now, summary=summary).id)


def differences(before: Any, after: Any, path: str = "") -> list[str]:
    """The YAML paths where `after` differs from `before` (a list of another length differs as a whole)."""
    if before == after:
        return []
    if isinstance(before, Mapping) and isinstance(after, Mapping):
        keys = [*before, *(key for key in after if key not in before)]
        return [
            found
            for key in keys
            for found in differences(before.get(key), after.get(key), f"{path}.{key}" if path else str(key))
        ]
    if isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        return [
            found
            for index, (old, new) in enumerate(zip(before, after, strict=True))
            for found in differences(old, new, f"{path}[{index}]")
        ]
    return [path]
