"""Which associations can take a caller: the routing function used by the voice menu and the operators."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from directory.models import Association, Commune, ServiceCategory


def find_associations(
    session: Session, category_code: str, *, commune_insee: str | None = None
) -> list[Association]:
    """Active associations offering the category (or its parent), covering the commune if one is known.

    Ordered by priority (lower first), then name, so that the choice is stable and explainable.
    """
    category = session.get(ServiceCategory, category_code)
    if category is None:
        return []
    codes = [category.code] + ([category.parent_code] if category.parent_code else [])
    query = (
        select(Association)
        .where(Association.active, Association.categories.any(ServiceCategory.code.in_(codes)))
        .order_by(Association.priority, Association.name)
    )
    if commune_insee is not None:
        query = query.where(Association.communes.any(Commune.insee == commune_insee))
    return list(session.scalars(query))
