"""What the directory's pages edit: the association of the URL (404 if none), saved as the signed-in user."""

from __future__ import annotations

from flask import abort, flash
from sqlalchemy.orm import Session

from console.access import current_account
from console.context import now
from directory.codes import ChangeSource
from directory.editing import save_entry
from directory.entries import AssociationEntry, ServiceEntry, Vocabulary
from directory.models import Association
from directory.storage import entry_of, load_associations


def save_change(db: Session, entry: AssociationEntry, association: Association | None) -> Association:
    """Create (association None) or update the association, recorded as a change by the signed-in user."""
    return save_entry(
        db,
        entry,
        association=association,
        vocabulary=Vocabulary.load(db),
        actor=current_account().username,
        source=ChangeSource.CONSOLE,
        at=now(),
    )


def flash_saved(changed: bool) -> None:
    """Tell the user whether the save changed anything."""
    if changed:
        flash("Modifications enregistrées : elles comptent dès le prochain appel.", "success")
    else:
        flash("Aucune modification.", "info")


def association_or_404(db: Session, association_id: int) -> Association:
    """The association with all its details; 404 if there is none with this id."""
    found = load_associations(db, ids=[association_id])
    if not found:
        abort(404)
    return found[0]


def service_entry_or_404(association: Association, service_id: int) -> ServiceEntry:
    """The entry of the association's service with this id; 404 if it has none."""
    entry = entry_of(association)
    for row in association.services:
        if row.id == service_id:
            return next(s for s in entry.services if s.name == row.name)
    abort(404)


def service_id_of(association: Association, name: str) -> int:
    """The id of the association's service with this name."""
    return next(s.id for s in association.services if s.name == name)
