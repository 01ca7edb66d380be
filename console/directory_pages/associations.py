"""An association's page: its details, phones, hours and closures, its services and its change history.

Each section of the page (general, phones, hours, closures) is a form of its own, saved on its own.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session

from console.directory_pages.choices import STATUSES, categories, communes
from console.directory_pages.editing import association_or_404, flash_saved, save_change
from console.directory_pages.form import EntryForm, Errors, editors, general
from console.directory_pages.history import Names, change_lines
from directory.audit import history
from directory.codes import ChangeAction, ChangeSource
from directory.editing import DirectoryError
from directory.entries import AssociationEntry
from directory.models import Association
from directory.storage import entry_of
from foundation.db import transaction
from foundation.runtime import runtime

CHANGE_ACTIONS = ChangeAction.labels()
CHANGE_SOURCES = ChangeSource.labels()


def new() -> ResponseReturnValue:
    """Add an association (its phones, hours and services come next, on its page)."""
    if request.method == "GET":
        return render_template("console/directory/new.html", entry=AssociationEntry(name=""), errors={})
    form = EntryForm(request.form)
    entry = general(AssociationEntry(name=""), form)
    with transaction(runtime().sessions) as db:
        if not form.errors:
            try:
                association = save_change(db, entry, None)
            except DirectoryError:
                form.errors["name"] = "Une autre association porte déjà ce nom."
        if form.errors:
            return render_template("console/directory/new.html", entry=entry, errors=form.errors), 400
        association_id = association.id
    flash(f"Association « {entry.name} » créée. Ajoutez ses téléphones et ses services.", "success")
    return redirect(url_for("console.directory.view", association_id=association_id))


def view(association_id: int) -> ResponseReturnValue:
    """An association: its details, phones, hours, closures, services and change history."""
    with runtime().sessions() as db:
        association = association_or_404(db, association_id)
        return _page(db, association, entry_of(association), {}, section=None)


def save(association_id: int) -> ResponseReturnValue:
    """Save one section of the association's page: general, phones, hours or closures."""
    section = request.form.get("section", "")
    form = EntryForm(request.form)
    with transaction(runtime().sessions) as db:
        association = association_or_404(db, association_id)
        entry = entry_of(association)
        changed = general(entry, form) if section == "general" else form.details(entry, section)
        if changed is None:
            abort(400)
        if not form.errors:
            try:
                save_change(db, changed, association)
            except DirectoryError:
                form.errors["name"] = "Une autre association porte déjà ce nom."
        if form.errors:
            return _page(db, association, entry, form.errors, section=section), 400
    flash_saved(changed != entry)
    return redirect(url_for("console.directory.view", association_id=association_id, _anchor=section))


def _page(
    db: Session, association: Association, entry: AssociationEntry, errors: Errors, *, section: str | None
) -> str:
    changes = history(db, association_id=association.id, limit=30)
    territory = communes(db)
    category_names = {c.code: c.label for c in categories(db)}
    commune_names = {c.insee: c.name for c in territory}
    return render_template(
        "console/directory/association.html",
        association=association,
        entry=entry,
        **editors(entry, errors, section),
        statuses=STATUSES,
        categories=category_names,
        all_communes=len(territory),
        changes=change_lines(changes, Names(category_names, commune_names)),
        change_actions=CHANGE_ACTIONS,
        change_sources=CHANGE_SOURCES,
    )
