"""The whole directory as a file to download: YAML or CSV (re-importable), or HSDS 3.0 JSON."""

from __future__ import annotations

import json

from flask import abort
from flask.typing import ResponseReturnValue

from console.downloads import attachment, requested_csv_form
from directory.entries import Vocabulary
from directory.files import FORMATS, write
from directory.hsds import export_hsds
from directory.storage import entry_of, load_associations
from foundation.runtime import runtime


def export(fmt: str) -> ResponseReturnValue:
    """The whole directory as a file: yaml or csv (re-importable), or json (HSDS 3.0).

    The CSV is for a French spreadsheet, or as data with `?format=donnees`; both import back.
    """
    form = requested_csv_form()
    with runtime().sessions() as db:
        if fmt == "json":
            text = json.dumps(export_hsds(db), ensure_ascii=False, indent=2) + "\n"
        elif fmt in FORMATS:
            entries = [entry_of(association) for association in load_associations(db)]
            text = write(entries, fmt, Vocabulary.load(db), csv_form=form)
        else:
            abort(404)
    kinds = {"yaml": "application/yaml", "csv": "text/csv", "json": "application/json"}
    return attachment(text, f"annuaire.{'hsds.json' if fmt == 'json' else fmt}", kinds[fmt])
