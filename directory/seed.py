"""Bring a database's reference data up to date and give a new database its example directory."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from directory.models import Association, Commune, ServiceCategory
from directory.reference import taxonomy, territory_communes
from helpline.config import ExampleAssociation


def sync_reference_data(session: Session) -> None:
    """Insert or update the shipped communes and service categories (never deletes: calls refer to them)."""
    for row in territory_communes():
        commune = session.get(Commune, row.insee) or Commune(insee=row.insee)
        commune.postal_code, commune.name, commune.park_member = row.postal_code, row.name, row.park_member
        session.add(commune)
    for cat in taxonomy():
        category = session.get(ServiceCategory, cat.code) or ServiceCategory(code=cat.code)
        category.label, category.parent_code, category.synonyms = (
            cat.label,
            cat.parent_code,
            list(cat.synonyms),
        )
        session.add(category)
        # Parents must exist before their children reference them.
        session.flush()


def load_example_directory(session: Session, associations: Sequence[ExampleAssociation]) -> int:
    """Load the example associations into an empty directory; returns how many were added."""
    if session.scalar(select(func.count()).select_from(Association)):
        return 0
    all_communes = list(session.scalars(select(Commune).order_by(Commune.insee)))
    by_insee = {commune.insee: commune for commune in all_communes}
    for example in associations:
        communes = (
            all_communes if example.communes == "all" else [by_insee[code] for code in example.communes]
        )
        session.add(
            Association(
                name=example.name,
                phone=example.phone,
                priority=example.priority,
                categories=[session.get_one(ServiceCategory, code) for code in example.categories],
                communes=communes,
            )
        )
    session.flush()
    return len(associations)
