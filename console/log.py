"""The call log for staff: filters, pages, and the CSV export of the filtered view."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, render_template, request, stream_with_context
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session

from call_log.models import OBSERVATORY_FIELDS, Call
from call_log.privacy import stored_caller
from call_log.record import find_communes
from call_log.search import CallFilter, Page, calls_after, search_calls
from console.context import DirectoryNames, local_day_bounds, tz
from console.forms import LogFilterForm, e164
from foundation.runtime import runtime
from foundation.text import is_ascii_digits
from ivr.line import known_caller_key

bp = Blueprint("log", __name__, url_prefix="/log")

PER_PAGE = 50
CSV_COLUMNS = (
    "call_id",
    "call_sid",
    "started_at",
    "channel",
    "caller",
    "status",
    "duration_s",
    "category",
    "category_label",
    *OBSERVATORY_FIELDS,
    "commune",
    "outcome",
    "association",
    "referrals",
)


def _filter(db: Session, names: DirectoryNames) -> tuple[LogFilterForm, CallFilter | None]:
    """The form of the query string, and the filter it means: None if a filter could not be read (its
    field then says why), so that nothing is listed or exported for a question that was not understood."""
    rt = runtime()
    form = LogFilterForm(request.args)
    form.category.choices = names.category_choices(db, blank="Tous")
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
        caller_key=(known_caller_key(db, number, secret=secret) or "") if number else None,
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
    """The filtered log as CSV, oldest first (callers as the privacy setting stores them; no notes)."""
    rt = runtime()
    with rt.sessions() as db:
        unreadable = _filter(db, DirectoryNames.load(db))[1] is None
    if unreadable:
        return index()  # the log page, saying which filter could not be read: no file at all
    size = current_app.config["CONSOLE_EXPORT_BATCH"]

    def generate() -> Iterator[str]:
        yield _csv_lines([CSV_COLUMNS])
        after: tuple[datetime, int] | None = None
        while True:
            with rt.sessions() as db:
                names = DirectoryNames.load(db)
                _form, where = _filter(db, names)
                batch = calls_after(db, where, after=after, size=size) if where is not None else []
                rows = [_csv_row(call, names) for call in batch]
            if not batch:
                return
            yield _csv_lines(rows)
            after = (batch[-1].started_at, batch[-1].id)

    return Response(
        stream_with_context(generate()),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="journal-des-appels.csv"'},
    )


def _csv_lines(rows: Iterable[Sequence[object]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


def _csv_row(call: Call, names: DirectoryNames) -> list[str | int | None]:
    commune = names.communes.get(call.commune_insee or "")
    return [
        call.id,
        call.call_sid,
        call.started_at.astimezone(tz()).isoformat(timespec="seconds"),
        call.channel,
        call.caller,
        call.status,
        call.duration_s,
        call.category_code,
        names.categories.get(call.category_code or "", ""),
        *(_cell(getattr(call, name)) for name in OBSERVATORY_FIELDS),
        commune.name if commune else "",
        call.outcome,
        call.association.name if call.association else "",
        "; ".join(names.associations.get(r.association_id or 0, "") for r in call.referrals),
    ]


def _cell(value: str | bool | None) -> str | None:
    """A recorded field in a CSV cell: yes or no for a flag (None is written blank)."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return value
