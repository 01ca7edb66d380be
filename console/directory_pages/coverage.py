"""The coverage matrix: communes × categories, how many active associations cover each, and the gaps."""

from __future__ import annotations

from flask import render_template, request
from flask.typing import ResponseReturnValue

from console.downloads import attachment, requested_csv_form
from directory.coverage import coverage_matrix, matrix_csv
from foundation.runtime import runtime


def coverage() -> ResponseReturnValue:
    """Communes × categories: how many active associations cover each; where none does."""
    detail = request.args.get("detail") == "1"
    with runtime().sessions() as db:
        matrix = coverage_matrix(db, top_level_only=not detail)
        return render_template("console/directory/coverage.html", matrix=matrix, detail=detail)


def coverage_csv() -> ResponseReturnValue:
    """The coverage matrix as CSV: for a spreadsheet, or as data with `?format=donnees`."""
    detail = request.args.get("detail") == "1"
    form = requested_csv_form()
    with runtime().sessions() as db:
        text = matrix_csv(coverage_matrix(db, top_level_only=not detail), form)
    return attachment(text, "couverture.csv", "text/csv")
