"""The directory kept between calls: the same candidates as reading it, read again when it changes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, delete, event, select
from sqlalchemy.orm import Session, sessionmaker

from directory.models import Association, Commune, Phone, Service, ServiceArea, ServiceCategory
from directory.routing import record_offer, route
from directory.snapshot import DirectoryCache, current_token

PARIS = ZoneInfo("Europe/Paris")
TUESDAY_10H = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
SATURDAY_19H = datetime(2026, 11, 28, 18, 0, tzinfo=UTC)
LE_BLANC = "36018"


@pytest.fixture
def statements(engine: Engine) -> Iterator[list[str]]:
    """Every SQL statement the engine runs from now on."""
    seen: list[str] = []

    def count(_connection: object, _cursor: object, statement: str, *_args: object) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    yield seen
    event.remove(engine, "before_cursor_execute", count)


def test_the_kept_directory_routes_every_request_as_reading_it_does(sessions: sessionmaker[Session]) -> None:
    """Every category x communes (and none), open hours and closed: the same candidates, in order."""
    cache = DirectoryCache()
    with sessions() as session:
        categories = list(session.scalars(select(ServiceCategory.code)))
        # Every seventh commune of the territory (each one routes the same way; the test stays short).
        communes = [None, *list(session.scalars(select(Commune.insee).order_by(Commune.insee)))[::7]]
        for at in (TUESDAY_10H, SATURDAY_19H, None):
            for category in categories:
                for commune in communes:
                    request = {"category": category, "commune_insee": commune, "at": at, "tz": PARIS}
                    assert route(session, **request, cache=cache) == route(session, **request), request


def test_a_call_reads_two_statements_while_the_directory_does_not_change(
    sessions: sessionmaker[Session], statements: list[str]
) -> None:
    """The token and the rotation: not the services, phones, hours and closures again."""
    cache = DirectoryCache()
    with sessions() as session:
        request = {"category": "MAISON", "commune_insee": LE_BLANC, "at": TUESDAY_10H, "tz": PARIS}
        first = route(session, **request, cache=cache)
        statements.clear()
        again = route(session, **request, cache=cache)
    assert again == first != []
    assert [" ".join(s.split()[:3]) for s in statements] == [
        "SELECT directory_version.token FROM",
        "SELECT association.id, association.last_offered_at",
    ]


def test_a_change_in_another_session_is_seen_by_the_next_call(sessions: sessionmaker[Session]) -> None:
    """Deactivated, a new phone, a commune no longer covered, services deleted: the next call sees it."""
    cache = DirectoryCache()

    def routed(commune: str | None = LE_BLANC) -> list[tuple[str, str]]:
        with sessions() as session:
            found = route(
                session, category="MAISON", commune_insee=commune, at=TUESDAY_10H, tz=PARIS, cache=cache
            )
            return [(candidate.name, candidate.phone) for candidate in found]

    before = routed()
    assert len(before) >= 2
    (first_name, _), (second_name, _) = before[:2]
    with sessions() as session, session.begin():
        session.scalars(select(Association).where(Association.name == first_name)).one().active = False
    assert [name for name, _ in routed()] == [name for name, _ in before[1:]]

    with sessions() as session, session.begin():
        second = session.scalars(select(Association).where(Association.name == second_name)).one()
        for phone in second.phones:
            phone.ivr = False
        second.phones.append(Phone(number="+33261912999", ivr=True))
    assert (second_name, "+33261912999") in routed()

    with sessions() as session, session.begin():
        session.execute(delete(ServiceArea).where(ServiceArea.commune_insee == LE_BLANC))
    assert routed() == []
    assert routed(None) != []

    with sessions() as session, session.begin():
        session.execute(delete(Service))
    assert routed(None) == []


def test_the_rotation_is_not_a_change_of_the_directory(sessions: sessionmaker[Session]) -> None:
    """Offering a caller keeps the token (calls do not make the directory be read again), yet the next
    call sees the turn taken."""
    cache = DirectoryCache()
    with sessions() as session:
        token = current_token(session)
        first = route(session, category="MAISON", commune_insee=None, at=TUESDAY_10H, tz=PARIS, cache=cache)
    with sessions() as session, session.begin():
        record_offer(session, first[0].association_id, at=TUESDAY_10H)
        assoc = session.get(Association, first[1].association_id)
        assert assoc is not None
        assoc.last_offered_at = TUESDAY_10H + timedelta(seconds=1)  # through the ORM, as the console could
    with sessions() as session:
        assert current_token(session) == token
        after = route(session, category="MAISON", commune_insee=None, at=TUESDAY_10H, tz=PARIS, cache=cache)
        assert after == route(session, category="MAISON", commune_insee=None, at=TUESDAY_10H, tz=PARIS)
    assert token is not None
