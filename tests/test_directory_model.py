"""The directory's schema and domain: migration of the first schema's data, territory, coverage, history."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import DateTime, Engine, bindparam, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from directory.audit import changed_fields, history
from directory.coverage import coverage_matrix, matrix_csv
from directory.editing import DirectoryError, save_entry
from directory.entries import AssociationEntry, PhoneEntry, ServiceEntry, Vocabulary
from directory.models import Commune, Service
from directory.storage import entry_of, load_associations
from directory.territory import communes_by_postal_code, find_commune_by_name
from foundation.spreadsheets import CsvForm
from helpline.db import make_engine
from helpline.migrate import alembic_config

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


@pytest.fixture
def session(sessions: sessionmaker[Session]) -> Iterator[Session]:
    """A session on the test database, which holds config.yaml's example directory."""
    with sessions() as opened:
        yield opened


def _migrate(engine: Engine, action: str, revision: str) -> None:
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        getattr(command, action)(config, revision)


def test_migration_moves_associations_to_services_and_back(database_url: str) -> None:
    """0003_directory: a service per (association, category) with its communes, the phone as IVR phone;
    calls keep their association; the downgrade puts everything back."""
    engine = make_engine(database_url, create=True)
    try:
        _migrate(engine, "upgrade", "0002_voice_journey")
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO commune (insee, postal_code, name, park_member) VALUES "
                    "('36018', '36300', 'Le Blanc', '2010-charter'), "
                    "('36053', '36300', 'Ciron', '2010-charter')"
                )
            )
            connection.execute(
                text(
                    "INSERT INTO service_category (code, label, parent_code, synonyms) VALUES "
                    "('MAISON', 'Maison', NULL, '[]'), ('EXTERIEUR', 'Extérieur', NULL, '[]')"
                )
            )
            connection.execute(
                text(
                    "INSERT INTO association (id, name, phone, priority, active, notes) VALUES "
                    "(1, 'Aide', '+33261912001', 10, :yes, ''), (2, 'Jardins', '+33261912002', 20, :no, 'x')"
                ),
                {"yes": True, "no": False},
            )
            connection.execute(
                text(
                    "INSERT INTO association_category VALUES "
                    "(1, 'MAISON'), (1, 'EXTERIEUR'), (2, 'EXTERIEUR')"
                )
            )
            connection.execute(
                text("INSERT INTO association_commune VALUES (1, '36018'), (1, '36053'), (2, '36053')")
            )
            connection.execute(
                text(
                    "INSERT INTO call (call_sid, channel, started_at, caller, caller_country, called, "
                    "status, menu_path, association_id, caller_area, after_hours, notes) VALUES "
                    "('CA1', 'ivr', :at, '', '', '', 'completed', '1', 1, '', :no, '')"
                    # Typed, so that SQLAlchemy converts it: sqlite3's own datetime adapter is deprecated.
                ).bindparams(bindparam("at", type_=DateTime(timezone=True))),
                {"at": NOW, "no": False},
            )

        _migrate(engine, "upgrade", "0003_directory")
        with engine.connect() as connection:
            services = connection.execute(
                text("SELECT id, association_id, category_code, name, status FROM service ORDER BY id")
            ).all()
            # INSERT ... SELECT gives no order: compare as sorted.
            assert sorted(tuple(row[1:]) for row in services) == [
                (1, "EXTERIEUR", "Extérieur", "active"),
                (1, "MAISON", "Maison", "active"),
                (2, "EXTERIEUR", "Extérieur", "active"),
            ]
            areas = connection.execute(
                text(
                    "SELECT s.association_id, s.category_code, a.commune_insee FROM service_area a "
                    "JOIN service s ON s.id = a.service_id ORDER BY 1, 2, 3"
                )
            ).all()
            assert [tuple(row) for row in areas] == [
                (1, "EXTERIEUR", "36018"),
                (1, "EXTERIEUR", "36053"),
                (1, "MAISON", "36018"),
                (1, "MAISON", "36053"),
                (2, "EXTERIEUR", "36053"),
            ]
            phones = connection.execute(
                text("SELECT association_id, service_id, number, ivr FROM phone ORDER BY association_id")
            ).all()
            assert [tuple(row) for row in phones] == [
                (1, None, "+33261912001", True),
                (2, None, "+33261912002", True),
            ]
            assert connection.execute(text("SELECT association_id FROM call")).scalar_one() == 1
            assert connection.execute(
                text("SELECT name, active, notes FROM association ORDER BY id")
            ).all() == [
                ("Aide", True, ""),
                ("Jardins", False, "x"),
            ]

        _migrate(engine, "downgrade", "0002_voice_journey")
        with engine.connect() as connection:
            assert connection.execute(text("SELECT id, phone FROM association ORDER BY id")).all() == [
                (1, "+33261912001"),
                (2, "+33261912002"),
            ]
            assert connection.execute(
                text("SELECT association_id, category_code FROM association_category ORDER BY 1, 2")
            ).all() == [(1, "EXTERIEUR"), (1, "MAISON"), (2, "EXTERIEUR")]
            assert connection.execute(
                text("SELECT association_id, commune_insee FROM association_commune ORDER BY 1, 2")
            ).all() == [(1, "36018"), (1, "36053"), (2, "36053")]
            assert connection.execute(text("SELECT association_id FROM call")).scalar_one() == 1
    finally:
        engine.dispose()


def test_communes_by_postal_code_in_alphabetical_order(session: Session) -> None:
    """Nine communes share 36300; accents do not upset the order."""
    assert [c.name for c in communes_by_postal_code(session, "36300")] == [
        "Ciron",
        "Concremiers",
        "Douadic",
        "Ingrandes",
        "Le Blanc",
        "Pouligny-Saint-Pierre",
        "Rosnay",
        "Ruffec",
        "Saint-Aigny",
    ]
    assert [c.name for c in communes_by_postal_code(session, "36370")][:2] == ["Bélâbre", "Chalais"]
    assert communes_by_postal_code(session, "75001") == []


@pytest.mark.parametrize(
    ("said", "insee"),
    [
        ("Le Blanc", "36018"),
        ("le blanc", "36018"),
        ("chatre langlin", "36047"),
        ("LA CHÂTRE-LANGLIN", "36047"),
        ("Pérouille", "36157"),
        ("St Gaultier", "36192"),
        ("saint-gaultier", "36192"),
        ("Ste Gemme", "36193"),
        ("Vendoeuvres", "36232"),
        ("Mézières en Brenne", "36123"),
        ("Saint", None),
        ("Paris", None),
        ("", None),
    ],
)
def test_find_commune_by_name_forgives_accents_case_and_hyphens(
    session: Session, said: str, insee: str | None
) -> None:
    """Names are matched whatever the accents, case, hyphens, 'St'/'Ste' or a missing article."""
    found = find_commune_by_name(session, said)
    assert (found.insee if found else None) == insee


def test_find_commune_by_name_among_some(session: Session) -> None:
    """Among the communes of a postal code, only those are candidates."""
    among = communes_by_postal_code(session, "36300")
    found = find_commune_by_name(session, "le blanc", among=among)
    assert found is not None
    assert found.insee == "36018"
    assert find_commune_by_name(session, "Saint-Gaultier", among=among) is None


def test_park_membership_flags(session: Session) -> None:
    """Communes of the 2010 charter and those the 2025 charter proposes are told apart."""
    le_blanc, chatre = session.get_one(Commune, "36018"), session.get_one(Commune, "36047")
    assert (le_blanc.in_2010_charter, le_blanc.proposed_2025) == (True, False)
    assert (chatre.in_2010_charter, chatre.proposed_2025) == (False, True)
    members = session.scalars(select(Commune)).all()
    assert (sum(c.in_2010_charter for c in members), sum(c.proposed_2025 for c in members)) == (51, 10)


def test_coverage_matrix_of_the_example_directory(session: Session) -> None:
    """Counts of associations per commune and category; gaps where none; sub-categories via their parent."""
    matrix = coverage_matrix(session, top_level_only=True)
    assert [c.code for c in matrix.categories] == [
        "AUTONOMIE",
        "AUTRE",
        "COURSES_REPAS",
        "DEMARCHES",
        "ENFANTS",
        "EXTERIEUR",
        "MAISON",
        "SANTE",
        "TRANSPORT",
    ]
    assert (matrix.count("36018", "MAISON"), matrix.count("36018", "EXTERIEUR")) == (2, 1)
    assert (matrix.count("36010", "EXTERIEUR"), matrix.count("36010", "SANTE")) == (0, 0)
    # Three categories nobody covers, in 61 communes; gardening in 54 communes of 61.
    assert len(matrix.gaps()) == 3 * 61 + 54
    full = coverage_matrix(session)
    assert full.count("36018", "MAISON.MENAGE") == 2
    lines = matrix_csv(matrix, CsvForm.DATA).splitlines()
    assert lines[0] == (
        "insee,commune,postal_code,park_member,AUTONOMIE,AUTRE,COURSES_REPAS,DEMARCHES,ENFANTS,EXTERIEUR,"
        "MAISON,SANTE,TRANSPORT"
    )
    assert lines[1] == "36010,Azay-le-Ferron,36290,2010-charter,1,0,1,0,1,0,2,0,1"
    assert "36018,Le Blanc,36300,2010-charter,1,0,1,0,1,1,2,0,1" in lines
    sheet = matrix_csv(matrix, CsvForm.SPREADSHEET).splitlines()
    assert sheet[0] == (
        "\ufeffCode INSEE;Commune;Code postal;Parc;Aide aux personnes âgées ou handicapées;"
        "Autre demande ou vous ne savez pas;Courses et repas;Démarches administratives et informatique;"
        "Enfants : garde, sorties d'école, soutien scolaire et loisirs;"
        "Jardinage, petit bricolage et déménagement;Ménage, linge et entretien de la maison;"
        "Soins et santé à domicile (orientation);Transport et accompagnement"
    )
    assert sheet[1] == "36010;Azay-le-Ferron;36290;Charte de 2010;1;0;1;0;1;0;2;0;1"


def test_coverage_ignores_inactive_services_and_associations(session: Session) -> None:
    """Only active services of active associations cover communes."""
    session.execute(update(Service).where(Service.category_code == "COURSES_REPAS").values(status="inactive"))
    matrix = coverage_matrix(session, top_level_only=True)
    assert matrix.count("36018", "COURSES_REPAS") == 0
    assert matrix.count("36018", "MAISON") == 2


def test_save_entry_records_who_changed_what(session: Session) -> None:
    """Creating, then changing an association each add a change with the documents before and after."""
    vocabulary = Vocabulary.load(session)
    entry = AssociationEntry(
        name="Nouvelle",
        phones=(PhoneEntry("+33261912101", ivr=True),),
        services=(ServiceEntry(name="Ménage", category="MAISON", communes=("36018",)),),
    )
    created = save_entry(
        session, entry, association=None, vocabulary=vocabulary, actor="camille", source="console", at=NOW
    )
    [association] = load_associations(session, ids=[created.id])
    changed = replace(entry, phones=(PhoneEntry("+33261912102", "Nouveau standard", ivr=True),))
    later = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    save_entry(
        session,
        changed,
        association=association,
        vocabulary=vocabulary,
        actor="dominique",
        source="console",
        at=later,
    )
    # Saving what is already there records nothing.
    save_entry(
        session,
        changed,
        association=association,
        vocabulary=vocabulary,
        actor="dominique",
        source="console",
        at=later,
    )
    session.flush()

    changes = history(session, association_id=created.id)
    assert [(c.action, c.actor, c.at) for c in changes] == [
        ("update", "dominique", later),
        ("create", "camille", NOW),
    ]
    update_change, create_change = changes
    assert create_change.before is None
    assert create_change.after == {
        "name": "Nouvelle",
        "active": True,
        "priority": 100,
        "phones": [{"number": "+33261912101", "ivr": True}],
        "services": [{"name": "Ménage", "category": "MAISON", "status": "active", "communes": ["36018"]}],
    }
    assert changed_fields(update_change) == ["phones"]
    assert update_change.after is not None
    assert update_change.after["phones"] == [
        {"number": "+33261912102", "description": "Nouveau standard", "ivr": True}
    ]
    assert entry_of(association) == changed


def test_two_associations_cannot_share_a_name(session: Session) -> None:
    """Saving under the name of another association is refused with a sentence saying so."""
    [first, second, *_] = load_associations(session)
    with pytest.raises(DirectoryError, match="another association is already named 'Brenne Aide à Domicile'"):
        save_entry(
            session,
            replace(entry_of(second), name=first.name),
            association=second,
            vocabulary=Vocabulary.load(session),
            actor="camille",
            source="console",
            at=NOW,
        )
