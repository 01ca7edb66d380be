"""Tables of the directory."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Column, ForeignKey, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import JSON

from helpline.db import Base, UTCDateTime

association_category = Table(
    "association_category",
    Base.metadata,
    Column("association_id", ForeignKey("association.id", ondelete="CASCADE"), primary_key=True),
    Column("category_code", ForeignKey("service_category.code", ondelete="CASCADE"), primary_key=True),
)

association_commune = Table(
    "association_commune",
    Base.metadata,
    Column("association_id", ForeignKey("association.id", ondelete="CASCADE"), primary_key=True),
    Column("commune_insee", ForeignKey("commune.insee", ondelete="CASCADE"), primary_key=True),
)


class Commune(Base):
    """A commune of the territory (or proposed for it), keyed by its INSEE code."""

    __tablename__ = "commune"

    insee: Mapped[str] = mapped_column(String(5), primary_key=True)
    postal_code: Mapped[str] = mapped_column(String(5), index=True)
    name: Mapped[str] = mapped_column(String(100))
    park_member: Mapped[str] = mapped_column(String(40))

    def __repr__(self) -> str:
        return f"<Commune {self.insee} {self.name}>"


class ServiceCategory(Base):
    """A kind of service callers ask for; top-level categories have sub-categories."""

    __tablename__ = "service_category"

    code: Mapped[str] = mapped_column(String(60), primary_key=True)
    label: Mapped[str] = mapped_column(String(200))
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("service_category.code"), index=True)
    synonyms: Mapped[list[str]] = mapped_column(JSON, default=list)

    def __repr__(self) -> str:
        return f"<ServiceCategory {self.code}>"


class Association(Base):
    """A local association the helpline transfers callers to."""

    __tablename__ = "association"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    phone: Mapped[str] = mapped_column(String(20))
    priority: Mapped[int] = mapped_column(Integer, default=100)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    notes: Mapped[str] = mapped_column(Text, default="")
    # When the IVR last offered a caller to this association: equals in priority take turns by it.
    last_offered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    categories: Mapped[list[ServiceCategory]] = relationship(secondary=association_category)
    communes: Mapped[list[Commune]] = relationship(secondary=association_commune)

    def __repr__(self) -> str:
        return f"<Association {self.id} {self.name}>"
