"""The directory's entries: one `AssociationEntry` per association, with its services, phones and hours.

The import formats (YAML, CSV), the console's forms and the change history all go through this one shape:
`directory.values` checks each value, `directory.documents` reads and writes whole entries as plain data,
and `directory.storage` loads them from the database and applies them to it. Every surface uses the same
checks, so that whatever one of them accepts the others can write back: exports re-import to the same data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, time

from sqlalchemy import select
from sqlalchemy.orm import Session

from directory.codes import ServiceStatus
from directory.models import Commune, ServiceCategory


@dataclass(frozen=True)
class PhoneEntry:
    """A phone number; `ivr` marks the one the IVR dials."""

    number: str
    description: str = ""
    ivr: bool = False


@dataclass(frozen=True)
class HoursEntry:
    """A weekly opening span: weekday (Monday is 0), opening and closing time (time.max is 24:00)."""

    weekday: int
    opens: time
    closes: time


@dataclass(frozen=True)
class ClosureEntry:
    """Days closed, both included."""

    starts_on: date
    ends_on: date
    reason: str = ""


@dataclass(frozen=True, kw_only=True)
class ContactDetails:
    """How and when callers reach an association or one of its services: phones, weekly hours, closures."""

    phones: tuple[PhoneEntry, ...] = ()
    hours: tuple[HoursEntry, ...] = ()
    closures: tuple[ClosureEntry, ...] = ()


@dataclass(frozen=True)
class ServiceEntry(ContactDetails):
    """A service of an association: its category, status, notes, coverage, phones and hours."""

    name: str
    category: str
    communes: tuple[str, ...] = ()
    status: str = ServiceStatus.ACTIVE.value  # a ServiceStatus
    description: str = ""
    fees: str = ""
    eligibility: str = ""


# The association's own values (its lists aside), named alike in its entry, its row and its CSV columns.
ASSOCIATION_VALUES = (
    "name",
    "active",
    "priority",
    "description",
    "email",
    "website",
    "street_address",
    "postal_code",
    "city",
    "notes",
)


# Where the association hears of its referrals: kept as stored when an entry does not say (None).
NOTICE_VALUES = ("notify_sms", "notify_email")


@dataclass(frozen=True)
class AssociationEntry(ContactDetails):
    """An association with everything staff keep up about it."""

    name: str
    active: bool = True
    priority: int = 100
    description: str = ""
    email: str = ""
    website: str = ""
    street_address: str = ""
    postal_code: str = ""
    city: str = ""
    notes: str = ""
    services: tuple[ServiceEntry, ...] = ()
    # Where the association is told of each referral (a mobile, an e-mail address; "" : not that way).
    # None: the file did not say (the CSV has no such columns), so an import keeps what is stored. Left
    # out of ==, so that a CSV reads back equal to what it was written from: `storage.same_entry` counts them.
    notify_sms: str | None = field(default="", compare=False)
    notify_email: str | None = field(default="", compare=False)


@dataclass(frozen=True)
class Vocabulary:
    """What entries may name: the taxonomy's categories (code → label) and the communes' INSEE codes."""

    categories: Mapping[str, str]
    communes: frozenset[str]

    @classmethod
    def load(cls, session: Session) -> Vocabulary:
        """The categories and communes of the database."""
        categories = {c.code: c.label for c in session.scalars(select(ServiceCategory))}
        return cls(categories, frozenset(session.scalars(select(Commune.insee))))
