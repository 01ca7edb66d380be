"""The directory's change history: who changed which association, when, and what it was before and after."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from directory.codes import ChangeAction, ChangeSource
from directory.models import DirectoryChange


def record_change(
    session: Session,
    *,
    actor: str,
    source: ChangeSource,
    at: datetime,
    association_id: int | None,
    association_name: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> DirectoryChange | None:
    """Add a change (documents before and after, None for none); returns None if nothing changed."""
    if before == after:
        return None
    if before is None:
        action = ChangeAction.CREATE
    elif after is None:
        action = ChangeAction.DELETE
    else:
        action = ChangeAction.UPDATE
    change = DirectoryChange(
        at=at,
        actor=actor,
        action=action,
        source=source,
        association_id=association_id,
        association_name=association_name,
        before=before,
        after=after,
    )
    session.add(change)
    return change


def history(
    session: Session, *, association_id: int | None = None, limit: int = 100
) -> list[DirectoryChange]:
    """The latest changes, newest first; only those of one association if given."""
    query = (
        select(DirectoryChange).order_by(DirectoryChange.at.desc(), DirectoryChange.id.desc()).limit(limit)
    )
    if association_id is not None:
        query = query.where(DirectoryChange.association_id == association_id)
    return list(session.scalars(query))


def changed_fields(change: DirectoryChange) -> list[str]:
    """The top-level fields of the association document that the change touched, in document order."""
    before, after = change.before or {}, change.after or {}
    keys = list(dict.fromkeys([*before, *after]))
    return [key for key in keys if before.get(key) != after.get(key)]
