"""A service's page: what it offers and in which state, its communes, phones, hours and closures."""

from __future__ import annotations

from dataclasses import replace

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session

from console.directory_pages.choices import STATUSES, categories, communes
from console.directory_pages.editing import (
    association_or_404,
    flash_saved,
    save_change,
    service_entry_or_404,
    service_id_of,
)
from console.directory_pages.form import EntryForm, Errors, coverage, editors, service_general
from directory.entries import ServiceEntry, Vocabulary
from directory.models import Association
from directory.storage import entry_of
from foundation.db import transaction
from foundation.runtime import runtime


def new_service(association_id: int) -> ResponseReturnValue:
    """Add a service to an association: what it offers, where, in which state."""
    service = ServiceEntry(name="", category="")
    if request.method == "GET":
        with runtime().sessions() as db:
            return _page(db, association_or_404(db, association_id), service, None, {}, section=None)
    with transaction(runtime().sessions) as db:
        association = association_or_404(db, association_id)
        entry = entry_of(association)
        vocabulary = Vocabulary.load(db)
        form = EntryForm(request.form)
        service = replace(service_general(service, form, vocabulary), communes=coverage(form, vocabulary))
        if any(other.name == service.name for other in entry.services):
            form.errors["name"] = "L'association a déjà un service de ce nom."
        if form.errors:
            return _page(db, association, service, None, form.errors, section="general"), 400
        save_change(db, replace(entry, services=(*entry.services, service)), association)
        service_id = service_id_of(association, service.name)
    flash(f"Service « {service.name} » ajouté.", "success")
    return redirect(
        url_for("console.directory.service", association_id=association_id, service_id=service_id)
    )


def service(association_id: int, service_id: int) -> ResponseReturnValue:
    """A service: what it offers, its state, coverage, phones, hours and closures."""
    with runtime().sessions() as db:
        association = association_or_404(db, association_id)
        current = service_entry_or_404(association, service_id)
        return _page(db, association, current, service_id, {}, section=None)


def save_service(association_id: int, service_id: int) -> ResponseReturnValue:
    """Save one section of a service's page: general, coverage, phones, hours or closures."""
    section = request.form.get("section", "")
    form = EntryForm(request.form)
    with transaction(runtime().sessions) as db:
        association = association_or_404(db, association_id)
        entry = entry_of(association)
        current = service_entry_or_404(association, service_id)
        vocabulary = Vocabulary.load(db)
        changed: ServiceEntry | None
        if section == "general":
            changed = service_general(current, form, vocabulary)
            if changed.name != current.name and any(s.name == changed.name for s in entry.services):
                form.errors["name"] = "L'association a déjà un service de ce nom."
        elif section == "coverage":
            changed = replace(current, communes=coverage(form, vocabulary))
        else:
            changed = form.details(current, section)
        if changed is None:
            abort(400)
        if form.errors:
            return _page(db, association, current, service_id, form.errors, section=section), 400
        services = tuple(changed if s.name == current.name else s for s in entry.services)
        save_change(db, replace(entry, services=services), association)
        # A renamed service is a new row (services are matched by name): follow it.
        service_id = service_id_of(association, changed.name)
    flash_saved(changed != current)
    return redirect(
        url_for(
            "console.directory.service", association_id=association_id, service_id=service_id, _anchor=section
        )
    )


def delete_service(association_id: int, service_id: int) -> ResponseReturnValue:
    """Remove a service from its association (to stop it for a while, set it inactive instead)."""
    with transaction(runtime().sessions) as db:
        association = association_or_404(db, association_id)
        entry = entry_of(association)
        current = service_entry_or_404(association, service_id)
        save_change(
            db,
            replace(entry, services=tuple(s for s in entry.services if s.name != current.name)),
            association,
        )
    flash(f"Service « {current.name} » supprimé.", "success")
    return redirect(url_for("console.directory.view", association_id=association_id, _anchor="services"))


def _page(
    db: Session,
    association: Association,
    service: ServiceEntry,
    service_id: int | None,
    errors: Errors,
    *,
    section: str | None,
) -> str:
    return render_template(
        "console/directory/service.html",
        association=association,
        service=service,
        service_id=service_id,
        **editors(service, errors, section),
        statuses=STATUSES,
        categories=categories(db),
        communes=communes(db),
    )
