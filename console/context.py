"""What the console's views share: the time, the calendars, the directory's names, local dates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from call_log.working_time import WorkingCalendar
from directory.models import Association, Commune, ServiceCategory
from foundation.runtime import runtime

# How a select names a family of services as a whole, before its sub-categories.
WHOLE_FAMILY = " (toute demande)"


def now() -> datetime:
    """The current time, from the app's clock."""
    return runtime().clock()


def tz() -> ZoneInfo:
    """The helpline's timezone: every time in the console is shown in it."""
    return runtime().config.helpline.tz


def working_days() -> WorkingCalendar:
    """Working days (for partners' contact deadlines)."""
    return WorkingCalendar.working_days(tz())


def opening_hours() -> WorkingCalendar:
    """The helpline's opening hours (for operators' callbacks)."""
    hours = runtime().config.hours
    week = [[(span.start, span.end) for span in hours.for_weekday(day)] for day in range(7)]
    return WorkingCalendar.opening_hours(tz(), week)


def local_midnight_utc(day: date) -> datetime:
    """The UTC moment a local day starts."""
    return datetime.combine(day, time.min, tz()).astimezone(UTC)


def local_day_bounds(start: date | None, end: date | None) -> tuple[datetime | None, datetime | None]:
    """UTC [start, end) of the local days from `start` to `end` included."""
    return (
        local_midnight_utc(start) if start else None,
        local_midnight_utc(end + timedelta(days=1)) if end else None,
    )


@dataclass(frozen=True)
class DirectoryNames:
    """The directory's names for codes shown in the console."""

    categories: dict[str, str]
    communes: dict[str, Commune]
    associations: dict[int, str]

    @classmethod
    def load(cls, session: Session) -> DirectoryNames:
        """Read the names (a few hundred rows at most)."""
        categories = {c.code: c.label for c in session.scalars(select(ServiceCategory))}
        communes = {c.insee: c for c in session.scalars(select(Commune).order_by(Commune.name))}
        associations = {a.id: a.name for a in session.scalars(select(Association).order_by(Association.name))}
        return cls(categories, communes, associations)

    def by_field(self) -> dict[str, dict[str, str]]:
        """Names keyed by the call field they explain (see `labels.field_value`)."""
        return {
            "category_code": self.categories,
            "commune_insee": {insee: commune.name for insee, commune in self.communes.items()},
        }

    def commune_label(self, insee: str | None) -> str:
        """'Name (postal code)', as the commune field shows and accepts it."""
        commune = self.communes.get(insee or "")
        return f"{commune.name} ({commune.postal_code})" if commune else ""

    def category_choices(self, session: Session, *, blank: str = "—") -> dict[str, str]:
        """Service categories by code, each parent followed by its sub-categories (the words of each)."""
        options = {"": blank}
        for group in self.category_groups(session, blank=blank).values():
            if isinstance(group, dict):
                options.update({code: words.removesuffix(WHOLE_FAMILY) for code, words in group.items()})
        return options

    def category_groups(self, session: Session, *, blank: str = "—") -> dict[str, str | dict[str, str]]:
        """Service categories for a select: one group per family, the family itself first, then its
        sub-categories by their own words, so that typing a sub-category's first letters selects it."""
        rows = list(session.scalars(select(ServiceCategory).order_by(ServiceCategory.label)))
        groups: dict[str, str | dict[str, str]] = {"": blank}
        for parent in (row for row in rows if row.parent_code is None):
            groups[parent.label] = {
                parent.code: parent.label + WHOLE_FAMILY,
                **{child.code: child.label for child in rows if child.parent_code == parent.code},
            }
        return groups
