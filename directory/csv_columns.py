"""The directory CSV's columns: their names in data files, and their French headers in spreadsheets.

One row per service, the association's values repeated on each: association columns, then service columns.
"""

from __future__ import annotations

from directory.entries import ASSOCIATION_VALUES

# The association's values have columns of their own names, but for its name: 'association'.
ASSOCIATION_COLUMNS = (
    *("association" if name == "name" else name for name in ASSOCIATION_VALUES),
    "phones",
    "hours",
    "closures",
)
SERVICE_COLUMNS = (
    "service",
    "category",
    "status",
    "service_description",
    "fees",
    "eligibility",
    "communes",
    "service_phones",
    "service_hours",
    "service_closures",
)
CSV_COLUMNS = ASSOCIATION_COLUMNS + SERVICE_COLUMNS
# The columns' headers for a French spreadsheet.
HEADERS = {
    "association": "Association",
    "active": "Active",
    "priority": "Priorité",
    "description": "Description",
    "email": "Courriel",
    "website": "Site web",
    "street_address": "Adresse",
    "postal_code": "Code postal",
    "city": "Ville",
    "notes": "Notes",
    "phones": "Téléphones",
    "hours": "Horaires",
    "closures": "Fermetures",
    "service": "Service",
    "category": "Catégorie",
    "status": "Statut",
    "service_description": "Description du service",
    "fees": "Tarifs",
    "eligibility": "Conditions",
    "communes": "Communes",
    "service_phones": "Téléphones du service",
    "service_hours": "Horaires du service",
    "service_closures": "Fermetures du service",
}
_COLUMN_OF = {header.lower(): column for column, header in HEADERS.items()}


def column_of(header: str) -> str:
    """The column a header names: its name, or its French header."""
    name = header.strip().lower()
    return _COLUMN_OF.get(name, name)
