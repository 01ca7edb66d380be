"""The directory as routing reads it, kept between calls and read again only when it changed.

Routing a call read the whole of what it needs (services, their association, phones, hours, closures)
in nine statements. The directory changes a few times a month; calls come by the hundred. So every
change to it, made through the ORM by whoever makes it (console, CLI, import, seed), gives the one row
of `directory_version` a new token in the same transaction, and a process keeps the directory it read
with the token it read it under: routing a call then reads that token, and the directory only when the
token changed. The rotation among equals (`Association.last_offered_at`) changes with every call, so it
is not part of what is kept: it is read fresh for the candidates.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from directory.codes import ServiceStatus
from directory.models import (
    VERSION_ROW,
    Association,
    DirectoryVersion,
    Service,
    ServiceCategory,
)


@dataclass(frozen=True)
class Snapshot:
    """The directory under one token: routable services (detached, all routing needs loaded)."""

    token: str | None
    services: tuple[Service, ...]
    categories: dict[str, tuple[str | None, tuple[str, ...]]]  # code -> (parent, children)


class DirectoryCache:
    """The snapshot this process read last, shared by the threads that route calls.

    Two threads that find it out of date may both read the directory; either snapshot is right.
    """

    def __init__(self) -> None:
        self._snapshot: Snapshot | None = None

    def current(self, session: Session) -> Snapshot:
        """The directory as the session's transaction sees it: kept, or read again if it changed."""
        token = current_token(session)
        kept = self._snapshot
        if kept is not None and kept.token == token:
            return kept
        fresh = self._snapshot = read_snapshot(session, token)
        return fresh


def current_token(session: Session) -> str | None:
    """The token of the directory as it is now (None before its first change through the ORM)."""
    return session.scalar(select(DirectoryVersion.token).where(DirectoryVersion.id == VERSION_ROW))


def read_snapshot(session: Session, token: str | None = None) -> Snapshot:
    """Read every routable service in a session of its own on the same transaction, then detach them.

    `token` is the directory's version it is read under, when it is kept (see `DirectoryCache`).
    """
    session.flush()  # what the session changed and did not write yet is part of the directory it sees
    with Session(bind=session.connection(), expire_on_commit=False, autoflush=False) as reader:
        services = tuple(
            reader.scalars(
                select(Service)
                .join(Service.association)
                .where(Service.status == ServiceStatus.ACTIVE, Association.active)
                .options(
                    selectinload(Service.association).selectinload(Association.phones),
                    selectinload(Service.association).selectinload(Association.schedules),
                    selectinload(Service.association).selectinload(Association.closures),
                    selectinload(Service.phones),
                    selectinload(Service.schedules),
                    selectinload(Service.closures),
                    selectinload(Service.areas),
                )
                .order_by(Service.id)
            ).unique()
        )
        rows = reader.execute(select(ServiceCategory.code, ServiceCategory.parent_code)).all()
    children: dict[str, list[str]] = {}
    for code, parent in rows:
        if parent is not None:
            children.setdefault(parent, []).append(code)
    categories = {code: (parent, tuple(sorted(children.get(code, ())))) for code, parent in rows}
    return Snapshot(token, services, categories)


def offered_at(session: Session, association_ids: Iterable[int]) -> dict[int, datetime | None]:
    """When each association was last offered a caller: the rotation, as it is now."""
    wanted = sorted(set(association_ids))
    if not wanted:
        return {}
    rows = session.execute(
        select(Association.id, Association.last_offered_at).where(Association.id.in_(wanted))
    )
    return {row.id: row.last_offered_at for row in rows}
