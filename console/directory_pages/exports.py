"""The whole directory as a file to download: YAML or CSV (re-importable), or HSDS 3.0 JSON."""

from __future__ import annotations

import json

from flask import Response, abort
from flask.typing import ResponseReturnValue

from directory.entries import Vocabulary
from directory.files import FORMATS, write
from directory.hsds import export_hsds
from directory.storage import entry_of, load_associations
from foundation.runtime import runtime


def export(fmt: str) -> ResponseReturnValue:
    """The whole directory as a file: yaml or csv (re-importable), or json (HSDS 3.0)."""
    with runtime().sessions() as db:
        if fmt == "json":
            text = json.dumps(export_hsds(db), ensure_ascii=False, indent=2) + "\n"
        elif fmt in FORMATS:
            entries = [entry_of(association) for association in load_associations(db)]
            text = write(entries, fmt, Vocabulary.load(db))
        else:
            abort(404)
    kinds = {"yaml": "application/yaml", "csv": "text/csv", "json": "application/json"}
    return attachment(text, f"annuaire.{'hsds.json' if fmt == 'json' else fmt}", kinds[fmt])


def attachment(text: str, filename: str, mimetype: str) -> Response:
    """The text as a file to download, in UTF-8."""
    # A BOM, so that spreadsheet programs read the accents of a UTF-8 CSV right.
    body = ("\ufeff" + text) if mimetype == "text/csv" else text
    return Response(
        body,
        content_type=f"{mimetype}; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
