"""Which associations can take a caller: the routing function used by the voice menu and the operators."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from directory.models import Association, Commune, ServiceCategory


@dataclass(frozen=True)
class Candidate:
    """An association that can take a request, and the number the IVR dials."""

    association_id: int
    name: str
    phone: str
    priority: int


def route(session: Session, *, category: str, commune_insee: str | None, at: datetime) -> list[Candidate]:
    """Active associations offering `category` (or its parent) that cover the commune, best first.

    A commune of None (not asked, or not understood) matches every association offering the category.
    Ordered by priority (lower first); among equals, the one offered a caller longest ago comes first,
    so that equals take turns (see `record_offer`), then by name for a stable order.
    """
    del at  # opening hours of associations come with the directory's schedules
    found = session.get(ServiceCategory, category)
    if found is None:
        return []
    codes = [found.code] + ([found.parent_code] if found.parent_code else [])
    query = (
        select(Association)
        .where(Association.active, Association.categories.any(ServiceCategory.code.in_(codes)))
        .order_by(
            Association.priority,
            Association.last_offered_at.is_not(None),
            Association.last_offered_at,
            Association.name,
        )
    )
    if commune_insee is not None:
        query = query.where(Association.communes.any(Commune.insee == commune_insee))
    return [
        Candidate(association_id=a.id, name=a.name, phone=a.phone, priority=a.priority)
        for a in session.scalars(query)
    ]


def record_offer(session: Session, association_id: int, *, at: datetime) -> None:
    """Note that a caller was just offered to this association, so that its equals come first next time."""
    association = session.get(Association, association_id)
    if association is not None:
        association.last_offered_at = at
