"""Saving an association from its entry, with the change recorded: what the console and imports do."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from directory.audit import record_change
from directory.codes import ChangeSource
from directory.documents import to_document
from directory.entries import AssociationEntry, Vocabulary
from directory.models import Association
from directory.storage import apply_entry, entry_of, keeping_notices, same_entry


class DirectoryError(Exception):
    """A change the directory refuses; the message says why in a sentence."""


def save_entry(
    session: Session,
    entry: AssociationEntry,
    *,
    association: Association | None,
    vocabulary: Vocabulary,
    actor: str,
    source: ChangeSource,
    at: datetime,
) -> Association:
    """Create (association None) or update an association from a checked entry, and record the change.

    `association` must be loaded with `storage.load_associations`. Nothing is written if the entry says
    what the database already holds.
    """
    same_name = session.scalar(select(Association).where(Association.name == entry.name))
    if same_name is not None and same_name is not association:
        raise DirectoryError(f"another association is already named {entry.name!r}")
    entry = keeping_notices(entry, association)
    before = None
    if association is not None:
        current = entry_of(association)
        if same_entry(current, entry):
            return association
        before = to_document(current, all_communes=vocabulary.communes)
    target = association or Association()
    apply_entry(session, target, entry)
    record_change(
        session,
        actor=actor,
        source=source,
        at=at,
        association_id=target.id,
        association_name=entry.name,
        before=before,
        after=to_document(entry, all_communes=vocabulary.communes),
    )
    return target
