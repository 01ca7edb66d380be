"""A person's rights, for administrators: what is tied to a number or an address, its export, its erasure.

The same as `helpline privacy find` and `helpline privacy erase` (call_log.rights), audited alike in the
`privacy_audit` table, with the administrator's username. The person travels in POSTed forms only, never
in a URL (URLs end up in logs and browser histories).
"""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request
from flask.typing import ResponseReturnValue

from call_log.codes import ReadVia
from call_log.reads import record_reads
from call_log.retention import RECORDINGS_LEFT, PrivacyAction, RecordingStore, Shredded, audit
from call_log.rights import as_json, as_text, erase, person_records, tied_summary
from console.access import current_account
from console.downloads import attachment
from console.person import NotAPersonError, Person, read_person
from foundation.db import transaction
from foundation.runtime import runtime

bp = Blueprint("privacy", __name__, url_prefix="/admin/confidentialite")

# Where the app factory leaves the voicemails' store at Twilio (None without credentials).
RECORDINGS_EXTENSION = "call_log.recordings"
_EXPORT_FORMS = {"texte": ("donnees-personnelles.txt", "text/plain"), "json": ("donnees-personnelles.json",
                 "application/json")}  # fmt: skip


def _person() -> tuple[str, Person | None, str]:
    """The person posted: as typed, read (None if it names nobody), and what to fix if any."""
    typed = (request.form.get("numero") or "").strip()[:200]
    try:
        return typed, read_person(typed), ""
    except NotAPersonError as error:
        return typed, None, str(error)


def _page(
    typed: str = "", *, error: str = "", confirm_error: str = "", status: int = 200
) -> ResponseReturnValue:
    """The search form, and what is tied to the person when one was read."""
    person = None
    if typed and not error:
        person = read_person(typed)
    tied = None
    if person is not None:
        with runtime().voice_reads() as db:
            tied = tied_summary(person.calls(db, runtime().settings))
    return (
        render_template(
            "console/privacy.html",
            typed=typed,
            person=person,
            tied=tied,
            error=error,
            confirm_error=confirm_error,
            keyless=runtime().settings.caller_key_secret is None,
        ),
        status,
    )


@bp.get("")
def index() -> ResponseReturnValue:
    """The form to look a number up."""
    return _page()


@bp.post("")
def find() -> ResponseReturnValue:
    """What is tied to the number posted: counts and dates, never the content."""
    typed, person, error = _person()
    return _page(typed, error=error, status=400 if person is None else 200)


@bp.post("/export")
def export() -> ResponseReturnValue:
    """Everything tied to the number, as a file for the person (as `helpline privacy find` writes it)."""
    typed, person, error = _person()
    form = request.form.get("format", "texte")
    if person is None or form not in _EXPORT_FORMS:
        return _page(typed, error=error or "Choisissez un format de fichier de la liste.", status=400)
    rt = runtime()
    with transaction(rt.sessions) as db:
        calls = person.calls(db, rt.settings)
        records = person_records(db, calls, tz=rt.config.helpline.tz)
        text = (
            as_json(records)
            if form == "json"
            else as_text(records, tied_to=person.tied_to, this=person.this, helpline=rt.config.helpline.name)
        )
        by = current_account().username
        audit(db, PrivacyAction.FIND, {"calls": len(calls)}, by=by, now=rt.clock())
        record_reads(db, [call.id for call in calls], by=by, via=ReadVia.RIGHTS_EXPORT, now=rt.clock())
    filename, mimetype = _EXPORT_FORMS[form]
    return attachment(text, filename, mimetype)


@bp.post("/effacer")
def erase_number() -> ResponseReturnValue:
    """Erase what identifies the person, once the number is typed again; the coded fields stay."""
    typed, person, error = _person()
    if person is None:
        return _page(typed, error=error, status=400)
    if not person.is_same((request.form.get("confirmation") or "")[:200]):
        return _page(
            typed,
            confirm_error=f"Retapez {person.shown} pour confirmer l'effacement ; rien n'a été effacé.",
            status=400,
        )
    rt = runtime()
    store: RecordingStore | None = current_app.extensions.get(RECORDINGS_EXTENSION)
    with transaction(rt.sessions) as db:
        calls = person.calls(db, rt.settings)
        counts = erase(db, calls, tz=rt.config.helpline.tz, recordings=store) if calls else {}
        if calls:
            by = current_account().username
            audit(db, PrivacyAction.ERASE, {"calls": len(calls), **counts}, by=by, now=rt.clock())
    erased = [(Shredded.label_of(kind), counts.get(kind, 0)) for kind in Shredded]
    return render_template(
        "console/privacy_erased.html",
        person=person,
        calls=len(calls),
        erased=erased,
        left=counts.get(RECORDINGS_LEFT, 0),
    )
