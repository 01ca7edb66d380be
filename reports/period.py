"""The month a report is built for, the directory's names for its codes, and the SQL every table uses.

Each family of tables (volumes, services, the observatory, the journey, unmet demand, associations) is a
function of a session and a `ReportPeriod` that returns its tables; `reports.aggregate` runs them in order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, SQLColumnExpression, Subquery, and_, case, func, select
from sqlalchemy.orm import Session

from call_log.models import Call
from directory.models import Commune, ServiceCategory

NOT_GIVEN = "Non renseigné"


@dataclass(frozen=True)
class DirectoryNames:
    """The directory's words for codes: categories and the territory's communes."""

    categories: dict[str, ServiceCategory]
    communes: dict[str, str]

    @classmethod
    def load(cls, session: Session) -> DirectoryNames:
        """Read the (small) category and commune tables."""
        categories = {category.code: category for category in session.scalars(select(ServiceCategory))}
        return cls(categories, dict(session.execute(select(Commune.insee, Commune.name)).all()))

    def category(self, code: str | None) -> str:
        """A category's label."""
        return self.categories[code].label if code in self.categories else (code or NOT_GIVEN)

    def top(self, code: str | None) -> str | None:
        """The top-level category of a category or sub-category."""
        category = self.categories.get(code or "")
        return (category.parent_code or category.code) if category else code


@dataclass(frozen=True)
class ReportPeriod:
    """The month being reported, how to ask the database about it, and the names of codes."""

    month: str
    tz: ZoneInfo
    start: datetime
    end: datetime
    dialect: str
    names: DirectoryNames

    def calls(self) -> ColumnElement[bool]:
        """Calls that started in the month."""
        return and_(Call.started_at >= self.start, Call.started_at < self.end)


def count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    """How many rows meet `condition` (0, not NULL, when there are none)."""
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def within_24h(
    later: SQLColumnExpression[datetime | None], earlier: SQLColumnExpression[datetime], dialect: str
) -> ColumnElement[bool]:
    """`later` is set and at most 24 hours after `earlier` (SQLite keeps datetimes as text)."""
    if dialect == "sqlite":
        return (func.julianday(later) - func.julianday(earlier)) <= 1.0
    return (later - earlier) <= timedelta(hours=24)


def utc_hour(column: SQLColumnExpression[datetime], dialect: str) -> ColumnElement[str]:
    """The UTC hour a timestamp falls in, as 'YYYY-MM-DD HH'."""
    if dialect == "sqlite":
        return func.strftime("%Y-%m-%d %H", column)
    return func.to_char(func.timezone("UTC", column), "YYYY-MM-DD HH24")


def grouped_counts(session: Session, dimensions: Subquery) -> list[tuple[Any, ...]]:
    """Count the rows of `dimensions` grouped by all its columns: (dimension values..., count) tuples.

    Dimensions are often expressions with bound parameters (CASE over dates, formats); PostgreSQL refuses
    `GROUP BY` on an expression whose parameters are numbered apart from the SELECT's, so the expressions
    are computed once in the subquery and grouped by name outside.
    """
    keys = list(dimensions.columns)
    return [tuple(row) for row in session.execute(select(*keys, func.count()).group_by(*keys))]
