"""Routing: who takes a request for a category in a commune at a moment, in which order."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session, sessionmaker

from directory.editing import save_entry
from directory.entries import Vocabulary
from directory.routing import Candidate, record_offer, route
from directory.storage import entry_of, load_associations
from tests.directory_support import replace_directory

PARIS = ZoneInfo("Europe/Paris")
# Tuesday 24 November 2026, 10:00 in Paris (UTC+1).
TUESDAY_10H = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
TUESDAY_13H = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
SATURDAY_10H = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
# Tuesday 7 July 2026, 10:00 in Paris (UTC+2): hours are local, whatever the season.
SUMMER_TUESDAY_10H = datetime(2026, 7, 7, 8, 0, tzinfo=UTC)

TWO_EQUALS = """
associations:
  - name: Alpha Ménage
    priority: 10
    phones: [{number: "+33261912101", ivr: true}]
    services: [{name: Ménage, category: MAISON, communes: all}]
  - name: Bêta Ménage
    priority: 10
    phones: [{number: "+33261912102", ivr: true}]
    services: [{name: Ménage, category: MAISON, communes: all}]
"""


def names(candidates: list[Candidate]) -> list[str]:
    """The associations' names, in order."""
    return [candidate.name for candidate in candidates]


def routed(
    session: Session, category: str = "MAISON", commune: str | None = "36018", at: datetime = TUESDAY_10H
) -> list[str]:
    """Names of the candidates for a request."""
    return names(route(session, category=category, commune_insee=commune, at=at, tz=PARIS))


@pytest.fixture
def session(sessions: sessionmaker[Session]) -> Iterator[Session]:
    """A session on the migrated test database (the test loads its own directory)."""
    with sessions() as opened:
        yield opened


def test_lower_priority_comes_first(session: Session) -> None:
    """Priority orders candidates whatever their names; each candidate carries the number the IVR dials."""
    replace_directory(
        session,
        """
associations:
  - name: Aaa Premier par le nom
    priority: 50
    phones: [{number: "+33261912101"}]
    services: [{name: Ménage, category: MAISON, communes: all}]
  - name: Zzz Premier par la priorité
    priority: 5
    phones: [{number: "+33639980102", description: Portable}, {number: "+33261912102", ivr: true}]
    services: [{name: Ménage, category: MAISON, communes: all}]
""",
    )
    candidates = route(session, category="MAISON", commune_insee="36018", at=TUESDAY_10H, tz=PARIS)
    assert [(c.name, c.phone, c.priority, c.service_name) for c in candidates] == [
        ("Zzz Premier par la priorité", "+33261912102", 5, "Ménage"),
        ("Aaa Premier par le nom", "+33261912101", 50, "Ménage"),
    ]


def test_equals_take_turns_and_the_turn_survives_a_new_session(
    session: Session, sessions: sessionmaker[Session]
) -> None:
    """Among equal priorities the least recently offered comes first; the order is kept in the database."""
    replace_directory(session, TWO_EQUALS)
    session.commit()
    assert routed(session) == ["Alpha Ménage", "Bêta Ménage"]

    first = route(session, category="MAISON", commune_insee="36018", at=TUESDAY_10H, tz=PARIS)[0]
    record_offer(session, first.association_id, at=TUESDAY_10H)
    session.commit()
    with sessions() as later:
        assert routed(later) == ["Bêta Ménage", "Alpha Ménage"]
        record_offer(
            later,
            route(later, category="MAISON", commune_insee=None, at=TUESDAY_10H, tz=PARIS)[0].association_id,
            at=TUESDAY_13H,
        )
        later.commit()
    with sessions() as again:
        assert routed(again) == ["Alpha Ménage", "Bêta Ménage"]


HOURS = """
associations:
  - name: Matin
    phones: [{number: "+33261912101", ivr: true}]
    hours: {mon: "09:00-12:00", tue: "09:00-12:00"}
    services:
      - {name: Ménage, category: MAISON, communes: all}
      - name: Repassage
        category: MAISON.LINGE
        communes: all
        hours: {tue: "12:30-18:00", sat: ["08:00-11:00"]}
  - name: Sans horaires
    priority: 200
    phones: [{number: "+33261912102", ivr: true}]
    services: [{name: Ménage, category: MAISON, communes: all}]
"""


@pytest.mark.parametrize(
    ("category", "at", "expected"),
    [
        ("MAISON", TUESDAY_10H, ["Matin", "Sans horaires"]),
        # A request for the whole family (a menu key) is also offered to the ironing service, open then.
        ("MAISON", TUESDAY_13H, ["Matin", "Sans horaires"]),
        ("MAISON", SATURDAY_10H, ["Matin", "Sans horaires"]),
        ("MAISON", SUMMER_TUESDAY_10H, ["Matin", "Sans horaires"]),
        # The service's own hours replace its association's; the parent-category service follows the
        # association's hours, so at 13:00 on a Tuesday only the ironing service of "Matin" is open.
        ("MAISON.LINGE", TUESDAY_13H, ["Matin", "Sans horaires"]),
        ("MAISON.LINGE", SATURDAY_10H, ["Matin", "Sans horaires"]),
        ("MAISON.LINGE", datetime(2026, 11, 24, 17, 0, tzinfo=UTC), ["Sans horaires"]),
    ],
)
def test_opening_hours_in_paris_time(
    session: Session, category: str, at: datetime, expected: list[str]
) -> None:
    """Only services open at that moment (local time, by their hours or their association's) are offered."""
    replace_directory(session, HOURS)
    assert routed(session, category, at=at) == expected


@pytest.mark.parametrize(
    ("timezone", "expected"),
    [("Europe/Paris", ["Sans horaires"]), ("America/Cayenne", ["Matin", "Sans horaires"])],
)
def test_hours_are_read_in_the_helplines_timezone(
    session: Session, timezone: str, expected: list[str]
) -> None:
    """Tuesday 17:30 UTC is 18:30 in Paris (all closed) but 14:30 in Cayenne (ironing open at Matin)."""
    replace_directory(session, HOURS)
    at = datetime(2026, 11, 24, 17, 30, tzinfo=UTC)
    found = route(session, category="MAISON.LINGE", commune_insee="36018", at=at, tz=ZoneInfo(timezone))
    assert names(found) == expected


NIGHT = """
associations:
  - name: Veille de nuit
    phones: [{number: "+33261912101", ivr: true}]
    hours: {mon: "20:00-24:00", tue: "00:00-02:00"}
    services: [{name: Garde de nuit, category: AUTONOMIE, communes: all}]
"""


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        (datetime(2026, 11, 23, 19, 59), []),
        (datetime(2026, 11, 23, 23, 59, 59, 999999), ["Veille de nuit"]),
        (datetime(2026, 11, 24, 0, 0), ["Veille de nuit"]),
        (datetime(2026, 11, 24, 1, 59), ["Veille de nuit"]),
        (datetime(2026, 11, 24, 2, 0), []),
    ],
)
def test_hours_past_midnight(session: Session, local: datetime, expected: list[str]) -> None:
    """A night written as Monday until 24:00 then Tuesday from 00:00 is open across midnight, only then."""
    replace_directory(session, NIGHT)
    at = local.replace(tzinfo=PARIS)
    assert names(route(session, category="AUTONOMIE", commune_insee=None, at=at, tz=PARIS)) == expected


def test_the_service_open_now_is_the_one_offered(session: Session) -> None:
    """Of an association's services for a request, the one open at that moment is the candidate."""
    replace_directory(session, HOURS)
    [matin, _] = route(session, category="MAISON.LINGE", commune_insee="36018", at=TUESDAY_13H, tz=PARIS)
    assert matin.service_name == "Repassage"
    [matin, _] = route(session, category="MAISON.LINGE", commune_insee="36018", at=TUESDAY_10H, tz=PARIS)
    # At 10:00 the ironing service is closed (its own hours start at 12:30): the association's service of
    # the parent category, open by the association's hours, is offered instead.
    assert matin.service_name == "Ménage"


CLOSURES = """
associations:
  - name: Fermée à Noël
    phones: [{number: "+33261912101", ivr: true}]
    closures: [{from: 2026-11-23, to: 2026-11-24, reason: Inventaire}]
    services: [{name: Ménage, category: MAISON, communes: all}]
  - name: Service fermé ce jour
    phones: [{number: "+33261912102", ivr: true}]
    services:
      - {name: Ménage, category: MAISON, communes: all, closures: [{from: 2026-11-24}]}
  - name: Ouverte
    phones: [{number: "+33261912103", ivr: true}]
    services: [{name: Ménage, category: MAISON, communes: all}]
"""


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (TUESDAY_10H, ["Ouverte"]),
        # 25 November: both closures are over.
        (datetime(2026, 11, 25, 9, 0, tzinfo=UTC), ["Fermée à Noël", "Ouverte", "Service fermé ce jour"]),
        # 23:30 UTC on the 23rd is already the 24th in Paris.
        (datetime(2026, 11, 23, 23, 30, tzinfo=UTC), ["Ouverte"]),
    ],
)
def test_closures_exclude_whatever_the_hours(session: Session, at: datetime, expected: list[str]) -> None:
    """A closure of the association or of the service (days in Paris, both ends included) excludes it."""
    replace_directory(session, CLOSURES)
    assert routed(session, at=at) == expected


def test_inactive_and_closed_services_and_inactive_associations_are_not_offered(session: Session) -> None:
    """Only active services of active associations are candidates."""
    replace_directory(
        session,
        """
associations:
  - name: Service inactif
    phones: [{number: "+33261912101"}]
    services: [{name: Ménage, category: MAISON, communes: all, status: inactive}]
  - name: Service fermé temporairement
    phones: [{number: "+33261912102"}]
    services: [{name: Ménage, category: MAISON, communes: all, status: temporarily_closed}]
  - name: Association inactive
    active: false
    phones: [{number: "+33261912103"}]
    services: [{name: Ménage, category: MAISON, communes: all}]
  - name: Sans téléphone
    services: [{name: Ménage, category: MAISON, communes: all}]
  - name: Active
    phones: [{number: "+33261912104"}]
    services: [{name: Ménage, category: MAISON, communes: all}]
""",
    )
    assert routed(session) == ["Active"]


def test_commune_must_be_covered_unless_unknown(session: Session) -> None:
    """A commune not covered excludes the service; no commune (not asked) matches any coverage."""
    replace_directory(
        session,
        """
associations:
  - name: Le Blanc seulement
    phones: [{number: "+33261912101"}]
    services: [{name: Ménage, category: MAISON, communes: ["36018"]}]
  - name: Ciron seulement
    phones: [{number: "+33261912102"}]
    services: [{name: Ménage, category: MAISON, communes: ["36053"]}]
""",
    )
    assert routed(session, commune="36018") == ["Le Blanc seulement"]
    assert routed(session, commune="36053") == ["Ciron seulement"]
    assert routed(session, commune="36010") == []
    assert routed(session, commune=None) == ["Ciron seulement", "Le Blanc seulement"]


def test_categories_and_their_families(session: Session) -> None:
    """A MAISON service takes MAISON.MENAGE requests; a MAISON.LINGE one takes MAISON (a menu key) too."""
    replace_directory(
        session,
        """
associations:
  - name: Généraliste
    phones: [{number: "+33261912101"}]
    services: [{name: Maison, category: MAISON, communes: all}]
  - name: Repassage seulement
    phones: [{number: "+33261912102"}]
    services: [{name: Repassage, category: MAISON.LINGE, communes: all}]
""",
    )
    assert routed(session, "MAISON.MENAGE") == ["Généraliste"]
    assert routed(session, "MAISON.LINGE") == ["Généraliste", "Repassage seulement"]
    assert routed(session, "MAISON") == ["Généraliste", "Repassage seulement"]
    assert routed(session, "EXTERIEUR") == []
    assert routed(session, "NO_SUCH_CATEGORY") == []


def test_an_edit_counts_from_the_next_request(session: Session, sessions: sessionmaker[Session]) -> None:
    """Routing reads the directory as it is now: an edit saved elsewhere changes the very next answer."""
    replace_directory(session, TWO_EQUALS)
    session.commit()
    assert routed(session) == ["Alpha Ménage", "Bêta Ménage"]
    session.rollback()  # end this request's transaction, as a webhook does

    with sessions() as console, console.begin():
        [alpha, _] = load_associations(console)
        entry = entry_of(alpha)
        closed = replace(entry.services[0], status="temporarily_closed")
        save_entry(
            console,
            replace(entry, services=(closed,)),
            association=alpha,
            vocabulary=Vocabulary.load(console),
            actor="staff",
            source="console",
            at=TUESDAY_10H,
        )
    session.rollback()
    assert routed(session) == ["Bêta Ménage"]


def test_route_refuses_a_naive_moment(session: Session) -> None:
    """A moment without timezone is a bug in the caller: it would be read in the machine's timezone."""
    with pytest.raises(ValueError, match="aware"):
        route(session, category="MAISON", commune_insee=None, at=datetime(2026, 11, 24, 10, 0), tz=PARIS)


def test_example_directory_routes_each_menu_category(session: Session) -> None:
    """The example directory of config.yaml, moved to services, still routes each menu key's category."""
    expected = {
        "MAISON": [
            ("Brenne Aide à Domicile", "+33261912001"),
            ("Repas et Courses en Brenne", "+33261912004"),
        ],
        "EXTERIEUR": [("Les Jardiniers de la Brenne", "+33261912002")],
        "ENFANTS": [("Brenne Enfance Services", "+33261912003")],
        "AUTONOMIE": [("Brenne Aide à Domicile", "+33261912001")],
        "COURSES_REPAS": [("Repas et Courses en Brenne", "+33261912004")],
        "TRANSPORT": [("Mobilité Solidaire Brenne", "+33261912005")],
    }
    for category, candidates in expected.items():
        found = route(session, category=category, commune_insee="36018", at=TUESDAY_10H, tz=PARIS)
        assert [(c.name, c.phone) for c in found] == candidates
    assert route(session, category="EXTERIEUR", commune_insee="36010", at=TUESDAY_10H, tz=PARIS) == []
