"""The call log for staff: filters, pages, and the CSV export of the filtered view."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, render_template, request, stream_with_context
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session

from call_log.codes import ReadVia
from call_log.privacy import stored_caller
from call_log.reads import record_reads
from call_log.record import find_communes
from call_log.search import CallFilter, Page, calls_after, search_calls
from console.access import current_account
from console.context import DirectoryNames, local_day_bounds
from console.downloads import requested_csv_form
from console.forms import LogFilterForm, e164
from console.log_export import export_row, header
from foundation.db import transaction
from foundation.runtime import runtime
from foundation.spreadsheets import csv_lines
from foundation.text import is_ascii_digits
from ivr.line import caller_key

bp = Blueprint("log", __name__, url_prefix="/log")

PER_PAGE = 50


def _filter(db: Session, names: DirectoryNames) -> tuple[LogFilterForm, CallFilter | None]:
    """The form of the query string, and the filter it means: None if a filter could not be read (its
    field then says why), so that nothing is listed or exported for a question that was not understood."""
    rt = runtime()
    form = LogFilterForm(request.args)
    form.category.choices = names.category_groups(db, blank="Tous")
    form.association.choices = {"": "Toutes"} | {str(i): name for i, name in names.associations.items()}
    form.validate()
    start, end = local_day_bounds(form.start.data, form.end.data)
    commune, postal_code = _place(db, form)
    number = e164(form.phone.data or "") if not form.phone.errors else None
    association = form.chosen(form.association)
    chosen = {
        field.name: form.chosen(field)
        for field in (form.category, form.territory, form.outcome, form.channel)
    }
    if form.unreadable():
        return form, None
    mode = rt.config.privacy.caller_number
    secret = rt.settings.caller_hash_secret
    where = CallFilter(
        start=start,
        end=end,
        category=chosen["category"],
        commune_insee=commune,
        postal_code=postal_code,
        # The keyed hash finds every call of the number ('' when no call has a key yet: none matches);
        # a masked form is shared by many numbers.
        caller_key=(caller_key(number, secret=rt.settings.caller_key_secret) or "") if number else None,
        caller=stored_caller(number, mode, secret=secret) if number and mode != "masked" else None,
        in_territory={"in": True, "out": False}.get(chosen["territory"] or ""),
        outcome=chosen["outcome"],
        association_id=int(association) if association else None,
        channel=chosen["channel"],
        text=form.text.data or None,
    )
    return form, where


def _place(db: Session, form: LogFilterForm) -> tuple[str | None, str | None]:
    """The commune (INSEE code) or the postal code the commune field names; an error if neither."""
    text = (form.commune.data or "").strip()
    if not text or form.commune.errors:
        return None, None
    found = find_communes(db, text)
    if len(found) == 1:
        return found[0].insee, None
    if is_ascii_digits(text) and found:
        return None, text
    if not found:
        message = f"« {text} » : aucune commune du territoire ni aucun code postal ne correspond."
    else:
        message = "Plusieurs communes correspondent : " + ", ".join(
            f"{c.name} ({c.postal_code})" for c in found[:8]
        )
    form.commune.errors = [*form.commune.errors, message]
    return None, None


@bp.get("")
def index() -> ResponseReturnValue:
    """One page of the filtered log, newest first."""
    with runtime().sessions() as db:
        names = DirectoryNames.load(db)
        form, where = _filter(db, names)
        page = (
            search_calls(db, where, page=form.page.data or 1, per_page=PER_PAGE)
            if where is not None
            else Page([], 1, PER_PAGE, 0)
        )
        query = {key: value for key, value in request.args.items() if key != "page" and value}
        return render_template(
            "console/log.html",
            form=form,
            page=page,
            names=names,
            query=urlencode(query),
            page_url=lambda number: "?" + urlencode({**query, "page": number}),
            unreadable=where is None,
        ), (200 if where is not None else 400)


@bp.get("/export.csv")
def export() -> ResponseReturnValue:
    """The filtered log as CSV, oldest first (callers as the privacy setting stores them; no notes).

    `?format=tableur` (the default) opens right in a French spreadsheet; `?format=donnees` is for programs.
    A filter that cannot be read gives the log page saying which, and no file at all.
    """
    form = requested_csv_form()
    rt = runtime()
    with rt.sessions() as db:
        unreadable = _filter(db, DirectoryNames.load(db))[1] is None
    if unreadable:
        return index()
    size = current_app.config["CONSOLE_EXPORT_BATCH"]
    by = current_account().username

    def generate() -> Iterator[str]:
        yield form.preamble + csv_lines([header(form)], form)
        after: tuple[datetime, int] | None = None
        while True:
            with transaction(rt.sessions) as db:
                names = DirectoryNames.load(db)
                _form, where = _filter(db, names)
                batch = calls_after(db, where, after=after, size=size) if where is not None else []
                rows = [export_row(call, names, form) for call in batch]
                # Each exported record is a read of it, in its trail.
                record_reads(db, [call.id for call in batch], by=by, via=ReadVia.LOG_EXPORT, now=rt.clock())
            if not batch:
                return
            yield csv_lines(rows, form)
            after = (batch[-1].started_at, batch[-1].id)

    return Response(
        stream_with_context(generate()),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="journal-des-appels.csv"'},
    )
