"""Entries and the database: associations loaded with all their details, read as entries, and written."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import TypedDict

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from directory.entries import (
    ASSOCIATION_VALUES,
    NOTICE_VALUES,
    AssociationEntry,
    ClosureEntry,
    ContactDetails,
    HoursEntry,
    PhoneEntry,
    ServiceEntry,
)
from directory.models import Association, Closure, Phone, Schedule, Service, ServiceArea


def load_associations(session: Session, *, ids: Iterable[int] | None = None) -> list[Association]:
    """Associations with all their details loaded, by name."""
    query = (
        select(Association)
        .options(
            selectinload(Association.phones),
            selectinload(Association.schedules),
            selectinload(Association.closures),
            selectinload(Association.services).selectinload(Service.areas),
            selectinload(Association.services).selectinload(Service.phones),
            selectinload(Association.services).selectinload(Service.schedules),
            selectinload(Association.services).selectinload(Service.closures),
        )
        .order_by(Association.name)
    )
    if ids is not None:
        query = query.where(Association.id.in_(list(ids)))
    return list(session.scalars(query))


def entry_of(association: Association) -> AssociationEntry:
    """The entry of an association as the database holds it."""
    return AssociationEntry(
        name=association.name,
        active=association.active,
        priority=association.priority,
        description=association.description,
        email=association.email,
        website=association.website,
        street_address=association.street_address,
        postal_code=association.postal_code,
        city=association.city,
        notes=association.notes,
        notify_sms=association.notify_sms,
        notify_email=association.notify_email,
        **_details_of(association),
        services=tuple(
            ServiceEntry(
                name=service.name,
                category=service.category_code,
                communes=tuple(sorted(service.commune_codes)),
                status=service.status,
                description=service.description,
                fees=service.fees,
                eligibility=service.eligibility,
                **_details_of(service),
            )
            for service in sorted(association.services, key=lambda s: s.name)
        ),
    )


class _Details(TypedDict):
    """The `ContactDetails` fields of an entry."""

    phones: tuple[PhoneEntry, ...]
    hours: tuple[HoursEntry, ...]
    closures: tuple[ClosureEntry, ...]


def _details_of(owner: Association | Service) -> _Details:
    """The phones, hours and closures of an association or a service, in the order of its entry."""
    spans = (HoursEntry(s.weekday, s.opens, s.closes) for s in owner.schedules)
    closures = (ClosureEntry(c.starts_on, c.ends_on, c.reason) for c in owner.closures)
    return _Details(
        phones=tuple(
            PhoneEntry(p.number, p.description, p.ivr) for p in sorted(owner.phones, key=lambda p: p.id)
        ),
        hours=tuple(sorted(spans, key=lambda span: (span.weekday, span.opens))),
        closures=tuple(sorted(closures, key=lambda closure: (closure.starts_on, closure.ends_on))),
    )


def _apply_details(owner: Association | Service, details: ContactDetails) -> None:
    """Make the phones, schedules and closures of an association or a service say what the entry says."""
    owner.phones = [Phone(number=p.number, description=p.description, ivr=p.ivr) for p in details.phones]
    owner.schedules = [Schedule(weekday=h.weekday, opens=h.opens, closes=h.closes) for h in details.hours]
    owner.closures = [
        Closure(starts_on=c.starts_on, ends_on=c.ends_on, reason=c.reason) for c in details.closures
    ]


def keeping_notices(entry: AssociationEntry, association: Association | None) -> AssociationEntry:
    """The entry with where the association hears of its referrals filled in from the database where the
    entry does not say (None)."""
    sms, email = (association.notify_sms, association.notify_email) if association is not None else ("", "")
    return replace(
        entry,
        notify_sms=sms if entry.notify_sms is None else entry.notify_sms,
        notify_email=email if entry.notify_email is None else entry.notify_email,
    )


def same_entry(current: AssociationEntry, entry: AssociationEntry) -> bool:
    """Whether saving `entry` over `current` would change nothing (where it hears of referrals included)."""
    return current == entry and all(getattr(current, n) == getattr(entry, n) for n in NOTICE_VALUES)


def apply_entry(session: Session, association: Association, entry: AssociationEntry) -> None:
    """Make the association (new or loaded with `load_associations`) say what the entry says."""
    for name in ASSOCIATION_VALUES:
        setattr(association, name, getattr(entry, name))
    for name in NOTICE_VALUES:
        if getattr(entry, name) is not None:
            setattr(association, name, getattr(entry, name))
    _apply_details(association, entry)
    # Services keep their row (and id) when their name stays.
    existing = {service.name: service for service in association.services}
    services = []
    for item in entry.services:
        service = existing.get(item.name) or Service(name=item.name)
        service.category_code = item.category
        service.status = item.status
        service.description, service.fees, service.eligibility = item.description, item.fees, item.eligibility
        kept = [area for area in service.areas if area.commune_insee in item.communes]
        have = {area.commune_insee for area in kept}
        service.areas = kept + [ServiceArea(commune_insee=code) for code in item.communes if code not in have]
        _apply_details(service, item)
        services.append(service)
    association.services = services
    session.add(association)
    session.flush()
