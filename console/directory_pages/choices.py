"""What the directory's pages offer to choose from: service states, categories and communes, in order."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from directory.codes import ServiceStatus
from directory.models import Commune, ServiceCategory
from directory.territory import name_key

STATUSES = ServiceStatus.labels()


def categories(db: Session) -> list[ServiceCategory]:
    """Every category, each top-level one followed by its sub-categories."""
    rows = list(db.scalars(select(ServiceCategory)))
    ordered = []
    for parent in sorted((r for r in rows if r.parent_code is None), key=lambda r: r.code):
        ordered.append(parent)
        ordered += sorted((r for r in rows if r.parent_code == parent.code), key=lambda r: r.code)
    return ordered


def communes(db: Session) -> list[Commune]:
    """Every commune of the territory, by name (accents aside)."""
    return sorted(db.scalars(select(Commune)), key=lambda c: name_key(c.name))
