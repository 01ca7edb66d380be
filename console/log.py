"""The call log for staff: filters, pages, and the CSV export of the filtered view."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, render_template, request, stream_with_context
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session

from call_log.record import find_communes
from call_log.search import CallFilter, calls_after, search_calls
from console.context import DirectoryNames, local_day_bounds
from console.downloads import requested_csv_form
from console.forms import LogFilterForm
from console.log_export import export_row, header
from foundation.runtime import runtime
from foundation.spreadsheets import csv_lines

bp = Blueprint("log", __name__, url_prefix="/log")

PER_PAGE = 50


def _filter(db: Session, names: DirectoryNames) -> tuple[LogFilterForm, CallFilter]:
    """The form of the query string, and the filter it means (invalid filters are ignored and shown)."""
    form = LogFilterForm(request.args)
    form.category.choices = names.category_choices(db, blank="Tous")
    form.association.choices = {"": "Toutes"} | {str(i): name for i, name in names.associations.items()}
    form.validate()
    start, end = local_day_bounds(
        form.start.data if not form.start.errors else None, form.end.data if not form.end.errors else None
    )
    commune = None
    if form.commune.data:
        found = find_communes(db, form.commune.data)
        if len(found) == 1:
            commune = found[0].insee
        else:
            form.commune.errors = [
                *form.commune.errors,
                "Aucune commune du territoire ne correspond."
                if not found
                else "Plusieurs communes correspondent.",
            ]
    association = form.chosen(form.association)
    where = CallFilter(
        start=start,
        end=end,
        category=form.chosen(form.category),
        commune_insee=commune,
        in_territory={"in": True, "out": False}.get(form.territory.data or ""),
        outcome=form.chosen(form.outcome),
        association_id=int(association) if association else None,
        channel=form.chosen(form.channel),
        text=form.text.data or None,
    )
    return form, where


@bp.get("")
def index() -> ResponseReturnValue:
    """One page of the filtered log, newest first."""
    with runtime().sessions() as db:
        names = DirectoryNames.load(db)
        form, where = _filter(db, names)
        page = search_calls(db, where, page=form.page.data or 1, per_page=PER_PAGE)
        query = {key: value for key, value in request.args.items() if key != "page" and value}
        return render_template(
            "console/log.html",
            form=form,
            page=page,
            names=names,
            query=urlencode(query),
            page_url=lambda number: "?" + urlencode({**query, "page": number}),
        )


@bp.get("/export.csv")
def export() -> ResponseReturnValue:
    """The filtered log as CSV, oldest first (callers as the privacy setting stores them; no notes).

    `?format=tableur` (the default) opens right in a French spreadsheet; `?format=donnees` is for programs.
    """
    form = requested_csv_form()
    rt = runtime()
    size = current_app.config["CONSOLE_EXPORT_BATCH"]

    def generate() -> Iterator[str]:
        yield form.preamble + csv_lines([header(form)], form)
        after: tuple[datetime, int] | None = None
        while True:
            with rt.sessions() as db:
                names = DirectoryNames.load(db)
                _form, where = _filter(db, names)
                batch = calls_after(db, where, after=after, size=size)
                rows = [export_row(call, names, form) for call in batch]
            if not batch:
                return
            yield csv_lines(rows, form)
            after = (batch[-1].started_at, batch[-1].id)

    return Response(
        stream_with_context(generate()),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="journal-des-appels.csv"'},
    )
