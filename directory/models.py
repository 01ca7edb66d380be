"""Tables of the directory, shaped after Open Referral's HSDS 3.0.

An `Association` is HSDS's organization; it offers `Service`s, each in one `ServiceCategory` (HSDS's taxonomy
term) and covering communes (`ServiceArea`). `Phone`s, weekly `Schedule` rows and `Closure`s belong either to
an association (they then hold for all its services) or to one service. Every edit is a `DirectoryChange`,
and every change to what routing reads, through any session, renews `DirectoryVersion`'s token.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    Time,
    UniqueConstraint,
    event,
    insert,
    inspect,
    update,
)
from sqlalchemy.orm import InstanceState, Mapped, ORMExecuteState, Session, mapped_column, relationship
from sqlalchemy.types import JSON

from directory.codes import ParkMembership, ServiceStatus
from foundation.db import Base, UTCDateTime

# Phones, schedules and closures belong to exactly one of an association or a service.
_ONE_OWNER = "(association_id IS NULL) <> (service_id IS NULL)"


class Commune(Base):
    """A commune of the territory (or proposed for it), keyed by its INSEE code."""

    __tablename__ = "commune"

    insee: Mapped[str] = mapped_column(String(5), primary_key=True)
    postal_code: Mapped[str] = mapped_column(String(5), index=True)
    name: Mapped[str] = mapped_column(String(100))
    # A ParkMembership: CHARTER_2010 for the park's communes, PROPOSED_2025 for those the 2025 charter
    # would add.
    park_member: Mapped[str] = mapped_column(String(40))

    @property
    def in_2010_charter(self) -> bool:
        """Whether the commune is in the park under its 2010 charter."""
        return self.park_member == ParkMembership.CHARTER_2010

    @property
    def proposed_2025(self) -> bool:
        """Whether the commune is only proposed, by the 2025 charter, to join the park."""
        return self.park_member == ParkMembership.PROPOSED_2025

    def __repr__(self) -> str:
        return f"<Commune {self.insee} {self.name}>"


class ServiceCategory(Base):
    """A taxonomy term: a kind of service callers ask for; top-level categories have sub-categories."""

    __tablename__ = "service_category"

    code: Mapped[str] = mapped_column(String(60), primary_key=True)
    label: Mapped[str] = mapped_column(String(200))
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("service_category.code"), index=True)
    synonyms: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The activities of the legal list of "services à la personne" (Code du travail D7231-1, 2023) it falls
    # under, such as "II.1"; empty when none applies.
    sap_codes: Mapped[list[str]] = mapped_column(JSON, default=list)

    def __repr__(self) -> str:
        return f"<ServiceCategory {self.code}>"


class Association(Base):
    """A local association the helpline sends callers to (HSDS: organization)."""

    __tablename__ = "association"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    email: Mapped[str] = mapped_column(String(200), default="")
    website: Mapped[str] = mapped_column(String(300), default="")
    street_address: Mapped[str] = mapped_column(String(200), default="")
    postal_code: Mapped[str] = mapped_column(String(10), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    priority: Mapped[int] = mapped_column(Integer, default=100)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    notes: Mapped[str] = mapped_column(Text, default="")
    # Where the helpline tells the association of each referral: a mobile for a text, an address for an
    # e-mail; empty: not by that channel.
    notify_sms: Mapped[str] = mapped_column(String(20), default="")
    notify_email: Mapped[str] = mapped_column(String(200), default="")
    # When the IVR last offered a caller to this association: equals in priority take turns by it.
    last_offered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    services: Mapped[list[Service]] = relationship(
        back_populates="association", order_by="Service.name", cascade="all, delete-orphan"
    )
    phones: Mapped[list[Phone]] = relationship(
        primaryjoin="Phone.association_id == Association.id",
        order_by="Phone.id",
        cascade="all, delete-orphan",
    )
    schedules: Mapped[list[Schedule]] = relationship(
        primaryjoin="Schedule.association_id == Association.id",
        order_by="(Schedule.weekday, Schedule.opens)",
        cascade="all, delete-orphan",
    )
    closures: Mapped[list[Closure]] = relationship(
        primaryjoin="Closure.association_id == Association.id",
        order_by="Closure.starts_on",
        cascade="all, delete-orphan",
    )

    def __repr__(self) -> str:
        return f"<Association {self.id} {self.name}>"


class Service(Base):
    """What an association offers in one category of the taxonomy (HSDS: service)."""

    __tablename__ = "service"
    __table_args__ = (UniqueConstraint("association_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    association_id: Mapped[int] = mapped_column(ForeignKey("association.id", ondelete="CASCADE"), index=True)
    category_code: Mapped[str] = mapped_column(ForeignKey("service_category.code"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default=ServiceStatus.ACTIVE.value)  # a ServiceStatus
    fees: Mapped[str] = mapped_column(Text, default="")
    eligibility: Mapped[str] = mapped_column(Text, default="")

    association: Mapped[Association] = relationship(back_populates="services")
    category: Mapped[ServiceCategory] = relationship()
    areas: Mapped[list[ServiceArea]] = relationship(
        order_by="ServiceArea.commune_insee", cascade="all, delete-orphan"
    )
    phones: Mapped[list[Phone]] = relationship(
        primaryjoin="Phone.service_id == Service.id", order_by="Phone.id", cascade="all, delete-orphan"
    )
    schedules: Mapped[list[Schedule]] = relationship(
        primaryjoin="Schedule.service_id == Service.id",
        order_by="(Schedule.weekday, Schedule.opens)",
        cascade="all, delete-orphan",
    )
    closures: Mapped[list[Closure]] = relationship(
        primaryjoin="Closure.service_id == Service.id",
        order_by="Closure.starts_on",
        cascade="all, delete-orphan",
    )

    @property
    def commune_codes(self) -> list[str]:
        """INSEE codes of the communes the service covers."""
        return [area.commune_insee for area in self.areas]

    def __repr__(self) -> str:
        return f"<Service {self.id} {self.name} ({self.category_code})>"


class ServiceArea(Base):
    """A commune a service covers (HSDS: service_area)."""

    __tablename__ = "service_area"

    service_id: Mapped[int] = mapped_column(ForeignKey("service.id", ondelete="CASCADE"), primary_key=True)
    commune_insee: Mapped[str] = mapped_column(ForeignKey("commune.insee"), primary_key=True, index=True)

    commune: Mapped[Commune] = relationship()


class Phone(Base):
    """A phone number of an association or of one of its services; `ivr` marks the one the IVR dials."""

    __tablename__ = "phone"
    __table_args__ = (CheckConstraint(_ONE_OWNER, name="one_owner"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    association_id: Mapped[int | None] = mapped_column(
        ForeignKey("association.id", ondelete="CASCADE"), index=True
    )
    service_id: Mapped[int | None] = mapped_column(ForeignKey("service.id", ondelete="CASCADE"), index=True)
    number: Mapped[str] = mapped_column(String(20))
    description: Mapped[str] = mapped_column(String(200), default="")
    ivr: Mapped[bool] = mapped_column(Boolean, default=False)


class Schedule(Base):
    """One weekly opening span of an association or a service, in the helpline's timezone."""

    __tablename__ = "schedule"
    __table_args__ = (
        CheckConstraint(_ONE_OWNER, name="one_owner"),
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday"),
        CheckConstraint("opens < closes", name="opens_before_closes"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    association_id: Mapped[int | None] = mapped_column(
        ForeignKey("association.id", ondelete="CASCADE"), index=True
    )
    service_id: Mapped[int | None] = mapped_column(ForeignKey("service.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int] = mapped_column(Integer)  # Monday is 0
    opens: Mapped[time] = mapped_column(Time)
    # Exclusive; time.max stands for midnight at the end of the day ("24:00").
    closes: Mapped[time] = mapped_column(Time)


class Closure(Base):
    """Days (inclusive range) an association or a service is closed whatever its schedule says."""

    __tablename__ = "closure"
    __table_args__ = (
        CheckConstraint(_ONE_OWNER, name="one_owner"),
        CheckConstraint("starts_on <= ends_on", name="ordered"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    association_id: Mapped[int | None] = mapped_column(
        ForeignKey("association.id", ondelete="CASCADE"), index=True
    )
    service_id: Mapped[int | None] = mapped_column(ForeignKey("service.id", ondelete="CASCADE"), index=True)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(200), default="")


class DirectoryChange(Base):
    """One change of the directory: who made it, when, and the association before and after."""

    __tablename__ = "directory_change"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    actor: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(20))  # a ChangeAction
    source: Mapped[str] = mapped_column(String(20))  # a ChangeSource
    # No foreign key: the history of an association outlives it.
    association_id: Mapped[int | None] = mapped_column(Integer, index=True)
    association_name: Mapped[str] = mapped_column(String(200))
    # The association as its directory document (see directory.documents), None before a creation or
    # after a deletion.
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class DirectoryVersion(Base):
    """One row whose token changes with every change to what routing reads (see directory.snapshot)."""

    __tablename__ = "directory_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token: Mapped[str] = mapped_column(String(32))


# What routing reads: a change to any of these is a change of the directory (see directory.snapshot).
ROUTING_MODELS = (Association, Service, ServiceArea, Phone, Schedule, Closure, ServiceCategory, Commune)
# What changes with every call, read fresh by routing: not a change of the directory.
ROTATION_ATTRIBUTE = "last_offered_at"
VERSION_ROW = 1


@event.listens_for(Session, "before_flush")
def _new_token_on_change(session: Session, _context: Any, _instances: Any) -> None:
    """A flush that changes what routing reads gives the directory a new token, in its transaction."""
    if any(_changes_routing(session, obj) for obj in [*session.new, *session.dirty, *session.deleted]):
        new_token(session)


@event.listens_for(Session, "do_orm_execute")
def _new_token_on_bulk_change(state: ORMExecuteState) -> None:
    """An UPDATE or DELETE statement run through a session on what routing reads: a new token too."""
    if (state.is_update or state.is_delete) and any(
        mapper.class_ in ROUTING_MODELS for mapper in state.all_mappers
    ):
        new_token(state.session)


def new_token(session: Session) -> None:
    """Mark the directory as changed, in the session's transaction."""
    token = uuid.uuid4().hex
    connection = session.connection()
    updated = connection.execute(
        update(DirectoryVersion).where(DirectoryVersion.id == VERSION_ROW).values(token=token)
    )
    if updated.rowcount == 0:
        connection.execute(insert(DirectoryVersion).values(id=VERSION_ROW, token=token))


def _changes_routing(session: Session, obj: object) -> bool:
    if not isinstance(obj, ROUTING_MODELS):
        return False
    if obj in session.new or obj in session.deleted:
        return True
    state: InstanceState[Any] = inspect(obj)
    changed = {attr.key for attr in state.attrs if attr.history.has_changes()}
    return bool(changed - {ROTATION_ATTRIBUTE})
