"""The directory's console pages: staff edit associations; each change is recorded and routes at once."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from directory.csv_file import read_csv
from directory.entries import Vocabulary
from directory.models import Association, DirectoryChange
from directory.routing import route
from directory.storage import entry_of, load_associations
from directory.yaml_file import read_yaml
from tests.console.conftest import Browser

PARIS = ZoneInfo("Europe/Paris")

# The test clock: Tuesday 24 November 2026, 10:00 in Paris.
TUESDAY_10H = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
TUESDAY_15H = datetime(2026, 11, 24, 14, 0, tzinfo=UTC)


def routed(
    sessions: sessionmaker[Session], category: str, commune: str | None = "36018", at: datetime = TUESDAY_10H
) -> list[tuple[str, str]]:
    """(name, number dialled) of the candidates routing gives now, from a fresh session (as the next call)."""
    with sessions() as session:
        return [
            (c.name, c.phone)
            for c in route(session, category=category, commune_insee=commune, at=at, tz=PARIS)
        ]


def changes(sessions: sessionmaker[Session]) -> list[tuple[str, str, str, str]]:
    """(association, action, actor, source) of every recorded change, oldest first."""
    with sessions() as session:
        rows = session.scalars(select(DirectoryChange).order_by(DirectoryChange.id))
        return [(c.association_name, c.action, c.actor, c.source) for c in rows]


def association_id(sessions: sessionmaker[Session], name: str) -> int:
    """The id of the association called `name`."""
    with sessions() as session:
        return session.scalars(select(Association.id).where(Association.name == name)).one()


def test_operators_cannot_reach_the_directory(as_operator: Browser) -> None:
    """The directory pages are for staff and administrators."""
    assert as_operator.get("/directory").status_code == 403
    assert as_operator.get("/directory/coverage").status_code == 403


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", 5),
        ("?q=ENFANCE", 1),
        ("?q=mobilite", 1),
        ("?category=EXTERIEUR", 1),
        ("?category=MAISON.MENAGE", 0),
        ("?commune=36010", 4),
        ("?state=inactive", 0),
    ],
)
def test_list_and_search(as_staff: Browser, query: str, expected: int) -> None:
    """Search by name (case and accents aside), by category, by commune covered, by state."""
    html = as_staff.text("/directory" + query)
    assert html.count('<tr id="association-') == expected
    assert f"{expected} association" in html


def test_create_an_association_then_a_service_routes_the_next_call(
    as_staff: Browser, sessions: sessionmaker[Session]
) -> None:
    """A new association with a phone and a gardening service in Le Blanc is offered at once, and recorded."""
    created = as_staff.post(
        "/directory/new",
        {
            "name": "Jardins Solidaires",
            "priority": "5",
            "active": "1",
            "email": "bonjour@jardins.example.org",
        },
        token_from="/directory/new",
    )
    assert created.status_code == 302
    new_id = association_id(sessions, "Jardins Solidaires")
    assert created.headers["Location"] == f"/directory/{new_id}"
    page = f"/directory/{new_id}"
    assert (
        as_staff.post(
            page,
            {
                "section": "phones",
                "phone-rows": "2",
                "phone-0-number": "02 61 91 23 45",
                "phone-0-description": "Accueil",
                "ivr": "0",
            },
            token_from=page,
        ).status_code
        == 302
    )
    added = as_staff.post(
        f"{page}/services/new",
        {
            "section": "general",
            "name": "",
            "category": "EXTERIEUR.JARDINAGE",
            "status": "active",
            "commune": ["36018", "36053"],
        },  # type: ignore[dict-item]
        token_from=page,
    )
    assert added.status_code == 302

    assert routed(sessions, "EXTERIEUR.JARDINAGE") == [
        ("Jardins Solidaires", "+33261912345"),
        ("Les Jardiniers de la Brenne", "+33261912002"),
    ]
    assert routed(sessions, "EXTERIEUR.JARDINAGE", commune="36010") == []
    assert changes(sessions) == [
        ("Jardins Solidaires", "create", "sam", "console"),
        ("Jardins Solidaires", "update", "sam", "console"),
        ("Jardins Solidaires", "update", "sam", "console"),
    ]
    html = as_staff.text(page)
    assert "Petits travaux de jardinage" in html
    assert "création" in html


def test_a_bad_phone_is_refused_in_french_and_nothing_changes(
    as_staff: Browser, sessions: sessionmaker[Session]
) -> None:
    """An invalid number: 400, the message by the field, the number typed kept, the database as it was."""
    page = f"/directory/{association_id(sessions, 'Brenne Aide à Domicile')}"
    response = as_staff.post(
        page, {"section": "phones", "phone-rows": "2", "phone-0-number": "02 61", "ivr": "0"}, token_from=page
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Numéro invalide : « 02 61 » (écrivez par exemple +33 2 61 91 00 00 ou 02 61 91 00 00)." in html
    assert 'value="02 61"' in html
    assert routed(sessions, "MAISON")[0] == ("Brenne Aide à Domicile", "+33261912001")
    assert changes(sessions) == []


def test_a_form_the_page_cannot_read_gets_a_french_page(
    as_staff: Browser, sessions: sessionmaker[Session]
) -> None:
    """A section the page does not have (a form from another version): 400, said in French, nothing saved."""
    page = f"/directory/{association_id(sessions, 'Brenne Aide à Domicile')}"
    response = as_staff.post(page, {"section": "unknown"}, token_from=page)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Ce formulaire n&#39;a pas pu être lu. Rechargez la page et recommencez." in html
    assert "Bad Request" not in html
    assert changes(sessions) == []


def test_hours_and_closures_of_an_association_apply_to_routing(
    as_staff: Browser, sessions: sessionmaker[Session]
) -> None:
    """Mornings only, then closed today: offered at 10:00, not at 15:00, then not at all."""
    page = f"/directory/{association_id(sessions, 'Brenne Aide à Domicile')}"
    saved = as_staff.post(
        page, {"section": "hours", "hours-tue": "09:00-12:30", "hours-wed": "9:00-12:00"}, token_from=page
    )
    assert saved.status_code == 302
    assert routed(sessions, "AUTONOMIE") == [("Brenne Aide à Domicile", "+33261912001")]
    assert routed(sessions, "AUTONOMIE", at=TUESDAY_15H) == []

    closed = as_staff.post(
        page,
        {
            "section": "closures",
            "closure-rows": "2",
            "closure-0-from": "2026-11-24",
            "closure-0-to": "",
            "closure-0-reason": "Inventaire",
        },
        token_from=page,
    )
    assert closed.status_code == 302
    assert routed(sessions, "AUTONOMIE") == []
    html = as_staff.text(page)
    assert 'value="09:00-12:30"' in html
    assert 'value="Inventaire"' in html

    bad = as_staff.post(page, {"section": "hours", "hours-mon": "le matin"}, token_from=page)
    assert bad.status_code == 400
    assert "Horaires du lundi invalides" in bad.get_data(as_text=True)


@pytest.mark.parametrize(
    ("written", "stored"),
    [
        ("9h-12h 14h-17h", "09:00-12:00 14:00-17:00"),
        ("de 9 h à 12 h 30 et de 14 h à 17 h", "09:00-12:30 14:00-17:00"),
        ("9h30 - 12h ; 13h30 - 17h30", "09:30-12:00 13:30-17:30"),
        ("8h à midi", "08:00-12:00"),
        ("fermé", ""),
    ],
)
def test_hours_are_read_as_people_write_them_in_french(
    as_staff: Browser, sessions: sessionmaker[Session], written: str, stored: str
) -> None:
    """« 9h-12h 14h-17h » and its cousins are opening hours, shown back in one form."""
    page = f"/directory/{association_id(sessions, 'Brenne Aide à Domicile')}"
    saved = as_staff.post(page, {"section": "hours", "hours-mon": written}, token_from=page)
    assert saved.status_code == 302
    assert f'id="hours-mon" name="hours-mon" value="{stored}"' in as_staff.text(page)


def test_service_status_and_coverage(as_staff: Browser, sessions: sessionmaker[Session]) -> None:
    """A service closed for a while is not offered; reopened on fewer communes, it is offered there only."""
    with sessions() as session:
        [enfance] = [a for a in load_associations(session) if a.name == "Brenne Enfance Services"]
        page = f"/directory/{enfance.id}/services/{enfance.services[0].id}"
        name, category = enfance.services[0].name, enfance.services[0].category_code
    general = {
        "section": "general",
        "name": name,
        "category": category,
        "description": "",
        "fees": "",
        "eligibility": "",
    }
    assert (
        as_staff.post(page, {**general, "status": "temporarily_closed"}, token_from=page).status_code == 302
    )
    assert routed(sessions, "ENFANTS") == []
    assert as_staff.post(page, {**general, "status": "active"}, token_from=page).status_code == 302
    assert (
        as_staff.post(page, {"section": "coverage", "commune": "36053"}, token_from=page).status_code == 302
    )
    assert routed(sessions, "ENFANTS") == []
    assert routed(sessions, "ENFANTS", commune="36053") == [("Brenne Enfance Services", "+33261912003")]
    html = as_staff.text(f"/directory/{enfance.id}")
    assert "1 commune" in html
    assert [c[1] for c in changes(sessions)] == ["update", "update", "update"]


def test_history_shows_before_and_after(as_staff: Browser, sessions: sessionmaker[Session]) -> None:
    """The association page lists who changed what, with the values before and after."""
    page = f"/directory/{association_id(sessions, 'Mobilité Solidaire Brenne')}"
    with sessions() as session:
        [mobilite] = [a for a in load_associations(session) if a.name == "Mobilité Solidaire Brenne"]
        entry = entry_of(mobilite)
    form = {"section": "general", "name": entry.name, "priority": "20", "active": "1"}
    assert as_staff.post(page, form, token_from=page).status_code == 302
    html = as_staff.text(page)
    assert "sam\n      (console) :" in html
    assert "priorité" in html
    assert "<del>100</del><br><ins>20</ins>" in html


def test_two_associations_cannot_share_a_name(as_staff: Browser, sessions: sessionmaker[Session]) -> None:
    """Renaming into another association's name is refused next to the field."""
    page = f"/directory/{association_id(sessions, 'Mobilité Solidaire Brenne')}"
    response = as_staff.post(
        page, {"section": "general", "name": "Brenne Enfance Services", "priority": "100"}, token_from=page
    )
    assert response.status_code == 400
    assert "Une autre association porte déjà ce nom." in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("field", "label", "value", "code"),
    [
        ("name", "Nom", "Brenne\vAide à Domicile", "U+000B"),
        ("description", "Description", "Aide\x1fà domicile", "U+001F"),
    ],
)
def test_a_control_character_is_refused_by_the_field(
    as_staff: Browser, sessions: sessionmaker[Session], field: str, label: str, value: str, code: str
) -> None:
    """A control character pasted in a name or a description: 400, a French message naming the field."""
    page = f"/directory/{association_id(sessions, 'Brenne Aide à Domicile')}"
    form = {"section": "general", "name": "Brenne Aide à Domicile", "priority": "100"} | {field: value}
    response = as_staff.post(page, form, token_from=page)
    assert response.status_code == 400
    assert (
        f"Le champ « {label} » contient un caractère de contrôle invisible ({code}), "
        "souvent collé depuis un tableur ou un traitement de texte : retapez le texte sans lui."
    ) in response.get_data(as_text=True)
    assert changes(sessions) == []


def test_coverage_page_and_csv(as_staff: Browser) -> None:
    """The matrix shows the gaps; the CSV is for a French spreadsheet and has one row per commune."""
    html = as_staff.text("/directory/coverage")
    assert "237 manques." in html
    assert html.count('<td class="gap">0</td>') == 237
    response = as_staff.get("/directory/coverage.csv")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    text = response.get_data(as_text=True)
    assert text.startswith(
        "\ufeffCode INSEE;Commune;Code postal;Parc;Aide aux personnes âgées ou handicapées;"
    )
    rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff")), delimiter=";"))
    assert len(rows) == 61
    assert {row["Jardinage, petit bricolage et déménagement"] for row in rows} == {"0", "1"}
    data = as_staff.get("/directory/coverage.csv?format=donnees").get_data(as_text=True)
    assert data.startswith("insee,commune,postal_code,park_member,AUTONOMIE,")


@pytest.mark.parametrize("fmt", ["yaml", "csv", "csv?format=donnees"])
def test_exports_download_and_read_back(as_staff: Browser, sessions: sessionmaker[Session], fmt: str) -> None:
    """The downloads are the re-importable files of the command line (a CSV in either form)."""
    response = as_staff.get(f"/directory/export.{fmt}")
    fmt = fmt.partition("?")[0]
    assert response.headers["Content-Disposition"] == f'attachment; filename="annuaire.{fmt}"'
    text = response.get_data(as_text=True).removeprefix("\ufeff")
    with sessions() as session:
        read = read_yaml if fmt == "yaml" else read_csv
        entries = read(text, Vocabulary.load(session))
        assert entries == [entry_of(a) for a in load_associations(session)]


def test_forms_without_csrf_token_are_refused(as_staff: Browser, sessions: sessionmaker[Session]) -> None:
    """A POST without the console's token changes nothing."""
    page = f"/directory/{association_id(sessions, 'Brenne Aide à Domicile')}"
    response = as_staff.client.post(page, data={"section": "general", "name": "Piratée", "priority": "1"})
    assert response.status_code == 400
    assert changes(sessions) == []
