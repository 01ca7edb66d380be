"""Bring a database's reference data up to date and give a new database its example directory."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from directory.models import Association, Commune, Phone, Service, ServiceArea, ServiceCategory
from directory.reference import taxonomy, territory_communes
from foundation.config import ExampleAssociation


def sync_reference_data(session: Session) -> None:
    """Insert or update the shipped communes and service categories (never deletes: calls refer to them)."""
    for row in territory_communes():
        commune = session.get(Commune, row.insee) or Commune(insee=row.insee)
        commune.postal_code, commune.name, commune.park_member = row.postal_code, row.name, row.park_member
        session.add(commune)
    for cat in taxonomy():
        category = session.get(ServiceCategory, cat.code) or ServiceCategory(code=cat.code)
        category.label, category.parent_code = cat.label, cat.parent_code
        category.synonyms, category.sap_codes = list(cat.synonyms), list(cat.sap_codes)
        session.add(category)
        # Parents must exist before their children reference them.
        session.flush()


def load_example_directory(session: Session, associations: Sequence[ExampleAssociation]) -> int:
    """Load the example associations into an empty directory; returns how many were added.

    Each becomes an association whose phone is the one the IVR dials, with one service per category
    (named after it) covering the example's communes.
    """
    if session.scalar(select(func.count()).select_from(Association)):
        return 0
    all_codes = list(session.scalars(select(Commune.insee).order_by(Commune.insee)))
    for example in associations:
        codes = all_codes if example.communes == "all" else list(example.communes)
        session.add(
            Association(
                name=example.name,
                priority=example.priority,
                phones=[Phone(number=example.phone, ivr=True)],
                services=[
                    Service(
                        name=session.get_one(ServiceCategory, code).label,
                        category_code=code,
                        areas=[ServiceArea(commune_insee=insee) for insee in codes],
                    )
                    for code in example.categories
                ],
            )
        )
    session.flush()
    return len(associations)
