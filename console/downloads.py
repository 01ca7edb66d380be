"""Files the console hands out: an attachment in UTF-8, and the CSV form a download asks for."""

from __future__ import annotations

from flask import Response, abort, request

from foundation.spreadsheets import CsvForm


def requested_csv_form() -> CsvForm:
    """The CSV form a download asks for: `?format=tableur` (the default) or `?format=donnees`; else 404."""
    try:
        return CsvForm(request.args.get("format") or CsvForm.SPREADSHEET)
    except ValueError:
        abort(404)


def attachment(text: str, filename: str, mimetype: str) -> Response:
    """The text as a file to download, in UTF-8 (a CSV for a spreadsheet brings its own byte-order mark)."""
    return Response(
        text,
        content_type=f"{mimetype}; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
