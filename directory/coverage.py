"""Where the directory has gaps: for each commune and category, how many active associations cover it.

Coverage is routing (see `directory.routing.route`) with hours and closures aside: each cell counts the
associations the voice menu would ring for that request, from the same rule.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from directory.codes import ParkMembership
from directory.models import Commune, ServiceCategory
from directory.routing import candidates_among, in_routing_order, request_codes
from directory.snapshot import read_snapshot
from directory.territory import name_key
from foundation.spreadsheets import Cell, CsvForm, csv_text


@dataclass(frozen=True)
class CoverageMatrix:
    """Communes (rows) × categories (columns) → number of associations that would take the request."""

    communes: list[Commune]
    categories: list[ServiceCategory]
    counts: dict[tuple[str, str], int]

    def count(self, commune_insee: str, category_code: str) -> int:
        """How many associations cover this commune for this category."""
        return self.counts.get((commune_insee, category_code), 0)

    def gaps(self) -> list[tuple[Commune, ServiceCategory]]:
        """Every (commune, category) that no active association covers."""
        return [
            (commune, category)
            for commune in self.communes
            for category in self.categories
            if not self.count(commune.insee, category.code)
        ]


def coverage_matrix(session: Session, *, top_level_only: bool = False) -> CoverageMatrix:
    """The matrix over every commune and every category (or only the top-level ones).

    Each cell counts what `directory.routing` would offer a request for that category in that commune,
    hours and closures aside: the same rule as the voice menu's and the operators' candidates.
    """
    category_query = select(ServiceCategory).order_by(ServiceCategory.code)
    if top_level_only:
        category_query = category_query.where(ServiceCategory.parent_code.is_(None))
    categories = list(session.scalars(category_query))
    communes = sorted(session.scalars(select(Commune)), key=lambda commune: name_key(commune.name))
    snapshot = read_snapshot(session)
    services = in_routing_order(session, snapshot.services, exact=None)
    counts = {}
    for category in categories:
        codes = request_codes(snapshot, category.code)
        offering = [service for service in services if service.category_code in codes]
        for commune in communes:
            found = candidates_among(offering, commune_insee=commune.insee, local=None)
            if found:
                counts[(commune.insee, category.code)] = len(found)
    return CoverageMatrix(communes, categories, counts)


def matrix_csv(matrix: CoverageMatrix, form: CsvForm) -> str:
    """The matrix as CSV: one row per commune, one column per category (0 is a gap).

    For a spreadsheet the categories are headed by their labels and the park membership is in words;
    as data, by their codes.
    """
    header: list[Cell]
    if form is CsvForm.DATA:
        header = ["insee", "commune", "postal_code", "park_member", *(c.code for c in matrix.categories)]
    else:
        header = ["Code INSEE", "Commune", "Code postal", "Parc", *(c.label for c in matrix.categories)]
    lines: list[list[Cell]] = [header]
    for commune in matrix.communes:
        park = commune.park_member
        lines.append(
            [
                commune.insee,
                commune.name,
                commune.postal_code,
                park if form is CsvForm.DATA else ParkMembership.label_of(park, missing=""),
                *(matrix.count(commune.insee, category.code) for category in matrix.categories),
            ]
        )
    return csv_text(lines, form)
