"""Routing behaviours that tests/test_directory_routing.py leaves unpinned (issue 11's surviving mutants)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from directory.models import Service
from directory.routing import record_offer, route
from tests.directory_support import replace_directory
from tests.test_directory_routing import PARIS, TWO_EQUALS

# Tuesday 24 November 2026, 10:00 in Paris (UTC+1).
TUESDAY_10H = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)

# Each association has a service in MAISON and one in MAISON.LINGE, named so that the order by name
# alone would pick the other one.
EXACT_FIRST = """
associations:
  - name: Deux
    phones: [{number: "+33261912102", ivr: true}]
    services:
      - {name: Aaa Repassage, category: MAISON.LINGE, communes: all}
      - {name: Zzz Ménage, category: MAISON, communes: all}
  - name: Un
    phones: [{number: "+33261912101", ivr: true}]
    services:
      - {name: Aaa Ménage, category: MAISON, communes: all}
      - {name: Zzz Repassage, category: MAISON.LINGE, communes: all}
"""

OPENING = """
associations:
  - name: Horaires de l'association
    phones: [{number: "+33261912101", ivr: true}]
    hours: {tue: "09:00-12:00"}
    services: [{name: Ménage, category: MAISON, communes: all}]
  - name: Horaires du service
    phones: [{number: "+33261912102", ivr: true}]
    services: [{name: Ménage, category: MAISON, communes: all, hours: {tue: "09:00-12:00"}}]
"""


@pytest.fixture
def session(sessions: sessionmaker[Session]) -> Iterator[Session]:
    """A session on the migrated test database (the test loads its own directory)."""
    with sessions() as opened:
        yield opened


@pytest.mark.parametrize(
    ("category", "services"),
    [
        ("MAISON.LINGE", [("Deux", "Aaa Repassage"), ("Un", "Zzz Repassage")]),
        ("MAISON", [("Deux", "Zzz Ménage"), ("Un", "Aaa Ménage")]),
    ],
)
def test_the_exact_category_is_offered_before_its_parent_or_child(
    session: Session, category: str, services: list[tuple[str, str]]
) -> None:
    """Of an association's open services for a request, the one in the requested category is offered."""
    replace_directory(session, EXACT_FIRST)
    found = route(session, category=category, commune_insee="36018", at=TUESDAY_10H, tz=PARIS)
    assert [(c.name, c.service_name) for c in found] == services
    assert [session.get_one(Service, c.service_id).name for c in found if c.service_id] == [
        s for _, s in services
    ]


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (datetime(2026, 11, 24, 7, 59, tzinfo=UTC), []),  # 08:59 in Paris
        (datetime(2026, 11, 24, 8, 0, tzinfo=UTC), ["Horaires de l'association", "Horaires du service"]),
        (datetime(2026, 11, 24, 10, 59, tzinfo=UTC), ["Horaires de l'association", "Horaires du service"]),
        (datetime(2026, 11, 24, 11, 0, tzinfo=UTC), []),  # 12:00 in Paris: closed
        (datetime(2026, 11, 25, 8, 0, tzinfo=UTC), []),  # 09:00 on the Wednesday: no hours that day
    ],
)
def test_a_service_is_offered_from_its_opening_minute(
    session: Session, at: datetime, expected: list[str]
) -> None:
    """A service opening at 09:00 (its own hours or its association's) is offered at 09:00, not at 08:59."""
    replace_directory(session, OPENING)
    found = route(session, category="MAISON", commune_insee="36018", at=at, tz=PARIS)
    assert [c.name for c in found] == expected


def test_of_two_services_in_the_same_category_the_first_by_name_is_offered(session: Session) -> None:
    """An association with two open services in the requested category is offered with the first by name."""
    replace_directory(
        session,
        """
associations:
  - name: Deux services
    phones: [{number: "+33261912101", ivr: true}]
    services:
      - {name: Ménage 1, category: MAISON, communes: all}
      - {name: Ménage 2, category: MAISON, communes: all}
""",
    )
    # Names in the opposite order of the rows', so that the order of storage cannot pass for the rule.
    first, second = session.scalars(select(Service).order_by(Service.id))
    first.name, second.name = "Zzz Ménage", "Aaa Ménage"
    session.flush()
    found = route(session, category="MAISON", commune_insee="36018", at=TUESDAY_10H, tz=PARIS)
    assert [(c.name, c.service_name) for c in found] == [("Deux services", "Aaa Ménage")]


def test_among_equals_offered_before_the_one_offered_longest_ago_comes_first(session: Session) -> None:
    """Equal priorities are ordered by when each was last offered, oldest first, whatever their names."""
    replace_directory(session, TWO_EQUALS)
    alpha, beta = route(session, category="MAISON", commune_insee=None, at=TUESDAY_10H, tz=PARIS)
    record_offer(session, beta.association_id, at=datetime(2026, 11, 24, 8, 0, tzinfo=UTC))
    record_offer(session, alpha.association_id, at=datetime(2026, 11, 24, 8, 30, tzinfo=UTC))
    found = route(session, category="MAISON", commune_insee=None, at=TUESDAY_10H, tz=PARIS)
    assert [c.name for c in found] == ["Bêta Ménage", "Alpha Ménage"]


def test_a_naive_moment_is_refused_with_a_sentence(session: Session) -> None:
    """route() refuses a moment without timezone, saying what it needs."""
    with pytest.raises(ValueError, match=r"^route\(\) needs an aware datetime$"):
        route(session, category="MAISON", commune_insee=None, at=datetime(2026, 11, 24, 10, 0), tz=PARIS)
