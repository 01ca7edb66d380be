"""The codes of the directory and their French words: one definition each, for the files and the console.

Rows keep a code as its plain string (see `foundation.codes.Code`); entries and documents hold plain
strings too, so that YAML, which knows no enums, can write them.
"""

from __future__ import annotations

from foundation.codes import Code


class ServiceStatus(Code):
    """What a service is doing now: only active services take callers."""

    ACTIVE = "active", "Actif"
    INACTIVE = "inactive", "Inactif"
    TEMPORARILY_CLOSED = "temporarily_closed", "Fermé temporairement"


class ParkMembership(Code):
    """Where a commune stands with the park (`Commune.park_member`), as in brenne-communes.csv."""

    CHARTER_2010 = "2010-charter", "Charte de 2010"
    PROPOSED_2025 = "proposed-2025-charter", "Proposée pour la charte de 2025"


class ChangeAction(Code):
    """What a change of the directory did to an association, in the words of its history."""

    CREATE = "create", "création"
    UPDATE = "update", "modification"
    DELETE = "delete", "suppression"


class ChangeSource(Code):
    """Where a change of the directory was made."""

    CONSOLE = "console", "console"
    IMPORT = "import", "import de fichier"
