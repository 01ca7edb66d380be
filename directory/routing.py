"""Which associations can take a caller: the routing function used by the voice menu and the operators.

Pure given the session and the moment: it reads the directory as it is now (an edit made in the console
counts from the next call) and never reads the clock.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import Table, func, select, update
from sqlalchemy.orm import Session

from directory.models import Association, Phone, Service, ServiceCategory
from directory.snapshot import DirectoryCache, Snapshot, offered_at, read_snapshot
from foundation.config import is_within


@dataclass(frozen=True)
class Candidate:
    """An association that can take a request, the number the IVR dials, and the service it offers."""

    association_id: int
    name: str
    phone: str
    priority: int
    service_id: int | None = None
    service_name: str = ""


def route(
    session: Session,
    *,
    category: str,
    commune_insee: str | None,
    at: datetime | None,
    tz: ZoneInfo,
    cache: DirectoryCache | None = None,
) -> list[Candidate]:
    """Associations that can take a request for `category` in the commune at `at`, best first.

    A candidate is an active association with an active service in `category`, its parent category, or,
    for a top-level category (what a menu key names), one of its sub-categories,
    covering the commune (None: not asked or not understood, matches any), open at `at` by its schedule
    (a service without schedule follows its association's; with neither it is open whenever the helpline
    is) and not in a closure, with a phone to dial. `at=None` leaves hours and closures aside: who takes
    the request at all (the coverage matrix, an operator's referral). Ordered by priority (lower first);
    among equals the one offered a caller longest ago comes first, so that equals take turns (see
    `record_offer`), then by name for a stable order. One candidate per association.
    The directory is read through `cache` when given (the voice menu's: read again only when it changed).
    """
    if at is not None and at.tzinfo is None:
        raise ValueError("route() needs an aware datetime")
    snapshot = cache.current(session) if cache is not None else read_snapshot(session)
    if category not in snapshot.categories:
        return []
    codes = request_codes(snapshot, category)
    services = [
        service
        for service in snapshot.services
        if service.category_code in codes
        and (commune_insee is None or any(area.commune_insee == commune_insee for area in service.areas))
    ]
    local = at.astimezone(tz) if at is not None else None
    return candidates_among(
        in_routing_order(session, services, exact=category), commune_insee=None, local=local
    )


def request_codes(snapshot: Snapshot, code: str) -> set[str]:
    """The categories whose services can take a request for `code`.

    The category itself, its parent, and, for a top-level category (a menu key names a whole family,
    "ménage, repassage"), its sub-categories: an ironing service can take that call.
    """
    parent, children = snapshot.categories[code]
    return {code, parent} if parent is not None else {code, *children}


def _routing_order(
    service: Service, offered: dict[int, datetime | None], *, exact: str | None
) -> tuple[Any, ...]:
    """Priority, then who was offered a caller longest ago (never first), then the name; an association's
    service in the exact category before its parent-category one."""
    association = service.association
    last = offered.get(association.id)
    return (
        association.priority,
        last is not None,
        last,
        association.name,
        service.category_code != exact,
        service.name,
    )


def in_routing_order(session: Session, services: Iterable[Service], *, exact: str | None) -> list[Service]:
    """`services` in the order routing offers them, by the rotation as it is now (see `_routing_order`)."""
    listed = list(services)
    offered = offered_at(session, (service.association_id for service in listed))
    return sorted(listed, key=lambda service: _routing_order(service, offered, exact=exact))


def candidates_among(
    services: Iterable[Service],
    *,
    commune_insee: str | None,
    local: datetime | None,
) -> list[Candidate]:
    """The candidates among services in routing order: the one rule of who takes a request.

    `services` are those of the request's categories (see `request_codes`). A service takes the request
    if it covers the commune (None matches any), has a phone to dial and, unless `local` is None, is
    open at that local time. The first such service of each association stands for it.
    """
    candidates: list[Candidate] = []
    taken: set[int] = set()
    for service in services:
        association = service.association
        if association.id in taken:
            continue
        if commune_insee is not None and all(a.commune_insee != commune_insee for a in service.areas):
            continue
        phone = dial_number(service)
        if phone is None or (local is not None and not is_open(service, local)):
            continue
        taken.add(association.id)
        candidates.append(
            Candidate(
                association_id=association.id,
                name=association.name,
                phone=phone,
                priority=association.priority,
                service_id=service.id,
                service_name=service.name,
            )
        )
    return candidates


def is_open(service: Service, local: datetime) -> bool:
    """Whether the service takes callers at this local time: no closure, and within its weekly hours."""
    day = local.date()
    association = service.association
    if any(c.starts_on <= day <= c.ends_on for c in [*service.closures, *association.closures]):
        return False
    schedules = service.schedules or association.schedules
    if not schedules:
        return True
    now = local.time().replace(tzinfo=None)
    return any(s.weekday == local.weekday() and is_within(s.opens, s.closes, now) for s in schedules)


def dial_number(service: Service) -> str | None:
    """The number the IVR dials for a service: its own IVR phone, else its association's, else any phone."""
    owners = (service.phones, service.association.phones)
    for phones in owners:
        for phone in phones:
            if phone.ivr:
                return phone.number
    for phones in owners:
        if phones:
            return phones[0].number
    return None


def reached(session: Session, *, association_id: int, service_id: int | None) -> tuple[str, str] | None:
    """The name of the association a transfer rang and the number it dialed for the service, if known.

    What the caller is texted after a referral is looked up here, so that no URL has to carry it.
    """
    service = session.get(Service, service_id) if service_id is not None else None
    if service is not None and service.association_id == association_id:
        phone = dial_number(service)
        return (service.association.name, phone) if phone else None
    association = session.get(Association, association_id)
    if association is None:
        return None
    phones = sorted(association.phones, key=lambda phone: not phone.ivr)
    return (association.name, phones[0].number) if phones else None


def phone_book(session: Session) -> dict[str, str]:
    """Whose phone each number of the directory is: number -> association name."""
    rows = session.execute(
        select(Phone.number, Association.name)
        .outerjoin(Service, Service.id == Phone.service_id)
        .join(Association, Association.id == func.coalesce(Phone.association_id, Service.association_id))
    )
    return {row.number: row.name for row in rows}


def lock_rotation(session: Session, *, category: str) -> None:
    """Take the turn of the associations that may take `category` until the transaction ends.

    Call it before `route` when the transaction then records the offer (`record_offer`): a concurrent call
    for the same request waits here, then sees the offer and is offered the next equal. PostgreSQL locks
    the associations' rows (in id order, so that two calls cannot deadlock); SQLite's write lock, taken
    when the transaction begins, already serialises it.
    """
    found = session.get(ServiceCategory, category)
    if found is None:
        return
    family = found.parent_code or found.code
    codes = select(ServiceCategory.code).where(
        (ServiceCategory.code == family) | (ServiceCategory.parent_code == family)
    )
    session.execute(
        select(Association.id)
        .where(Association.id.in_(select(Service.association_id).where(Service.category_code.in_(codes))))
        .order_by(Association.id)
        .with_for_update()
    )


def record_offer(session: Session, association_id: int, *, at: datetime) -> None:
    """Note that a caller was just offered to this association, so that its equals come first next time."""
    # On the connection: the rotation is not a change of the directory (see directory.snapshot).
    table = cast(Table, Association.__table__)
    session.connection().execute(update(table).where(table.c.id == association_id).values(last_offered_at=at))
