"""The call log for staff: every filter, pages of 50, and the CSV export of exactly the filtered calls."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.test import TestResponse

from call_log.privacy import mask
from call_log.record import Place, add_referral, open_manual_contact, update_record
from console.log_export import CSV_COLUMNS
from directory.models import Association, Commune
from tests.console.conftest import Browser

# (started, channel, number, category, commune or département, outcome, notes, referred to)
CONTACTS = [
    (
        "2026-10-30T09:00",
        "phone",
        "+33639980011",
        "MAISON.LINGE",
        "36053",
        "connected_operator",
        "repassage",
        "",
    ),
    ("2026-11-02T10:00", "visit", "+33639980012", "EXTERIEUR", "36123", "unmet", "haie à tailler", ""),
    (
        "2026-11-15T11:00",
        "email",
        "",
        "MAISON",
        "75",
        "connected_operator",
        "Pour sa Mère",
        "Brenne Aide à Domicile",
    ),
    ("2026-11-30T23:30", "letter", "+33261910013", "TRANSPORT", "", "connected_operator", "100% urgent", ""),
    ("2026-12-01T08:00", "phone", "+33639980014", "ENFANTS", "36053", "unmet", "", "Brenne Enfance Services"),
]


@pytest.fixture
def contacts(sessions: sessionmaker[Session]) -> list[int]:
    """The CONTACTS entered by hand, ids in the same order."""
    ids = []
    with sessions() as session, session.begin():
        for started, channel, number, category, where, outcome, notes, referred in CONTACTS:
            moment = datetime.fromisoformat(started).replace(tzinfo=UTC)
            call = open_manual_contact(
                session,
                channel=channel,
                started_at=moment,
                caller=mask(number) if number else "",
                by="olivia",
                now=moment,
            )
            commune = session.get(Commune, where) if where.isdigit() and len(where) == 5 else None
            place = (
                Place.of_commune(commune) if commune else Place.outside(where) if where else Place.unknown()
            )
            values = {"category_code": category, "outcome": outcome, "notes": notes, **place.fields()}
            update_record(session, call, values, by="olivia", now=moment)
            if referred:
                association = session.scalars(select(Association).where(Association.name == referred)).one()
                add_referral(session, call, association, by="olivia", now=moment)
            ids.append(call.id)
    return ids


def listed(browser: Browser, query: str) -> list[int]:
    """The call numbers the log lists for a query string, in page order."""
    html = browser.text(f"/log?{query}")
    return [int(n) for n in re.findall(r'<td><a href="/calls/(\d+)">', html)]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", [4, 3, 2, 1, 0]),
        ("start=2026-11-01&end=2026-11-30", [2, 1]),  # local days: 23:30 UTC on the 30th is December 1st
        ("start=2026-12-01", [4, 3]),
        ("category=MAISON", [2, 0]),  # a parent category includes its sub-categories
        ("category=MAISON.LINGE", [0]),
        ("commune=Ciron", [4, 0]),
        ("commune=ciron+(36300)", [4, 0]),
        ("commune=Ciron+36300", [4, 0]),  # without brackets
        ("commune=36300+ciron", [4, 0]),
        ("commune=36300", [4, 0]),  # a postal code: Ciron, Rosnay... and the calls under it
        ("commune=36290", [1]),
        ("phone=02+61+91+00+13", []),  # no call has a keyed hash yet: a number finds none, not all
        ("territory=in", [4, 1, 0]),
        ("territory=out", [2]),
        ("outcome=unmet", [4, 1]),
        ("channel=letter", [3]),
        ("text=POUR+SA+m%C3%A8re", [2]),  # any case (SQLite folds only unaccented letters)
        ("text=100%25", [3]),  # % is a character, not a wildcard
        ("text=%2B336", [4, 1, 0]),  # the masked caller
        ("category=MAISON&territory=in", [0]),
    ],
)
def test_filters(as_staff: Browser, contacts: list[int], query: str, expected: list[int]) -> None:
    """Each filter, alone or combined, lists exactly the matching calls, newest first."""
    assert listed(as_staff, query) == [contacts[i] for i in expected]
    assert 'class="error"' not in as_staff.text(f"/log?{query}")


def test_association_filter_matches_referrals(
    as_staff: Browser, contacts: list[int], sessions: sessionmaker[Session]
) -> None:
    """Filtering by association finds the calls referred (or transferred) to it."""
    with sessions() as session:
        enfance = session.scalars(
            select(Association.id).where(Association.name == "Brenne Enfance Services")
        ).one()
    assert listed(as_staff, f"association={enfance}") == [contacts[4]]
    assert "Brenne Enfance Services" in as_staff.text(f"/log?association={enfance}")


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        (
            "commune=Paris",
            "commune",
            "« Paris » : aucune commune du territoire ni aucun code postal ne correspond.",
        ),
        ("start=2026-13-01", "start", "N&#39;est pas une date valide."),
        ("outcome=bogus", "outcome", "« bogus » n&#39;est pas un choix de la liste."),
        ("channel=fax", "channel", "« fax » n&#39;est pas un choix de la liste."),
        ("category=NOPE", "category", "« NOPE » n&#39;est pas un choix de la liste."),
        ("association=x", "association", "« x » n&#39;est pas un choix de la liste."),
        ("phone=12", "phone", "Ce numéro n&#39;est pas valide"),
    ],
)
def test_a_filter_that_cannot_be_read_lists_and_exports_nothing(
    as_staff: Browser, contacts: list[int], query: str, field: str, message: str
) -> None:
    """An unreadable filter is pointed out on its field; nothing is listed, and the export is refused."""
    response = as_staff.get(f"/log?{query}&territory=in")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert f'<p class="error" id="{field}-error">{message}' in html
    assert "Aucun appel n'est affiché ni exporté" in html
    assert re.findall(r'<td><a href="/calls/(\d+)">', html) == []
    assert 'id="export"' not in html
    export = as_staff.get(f"/log/export.csv?{query}")
    assert (export.status_code, export.mimetype) == (400, "text/html")
    assert message in export.get_data(as_text=True)


def test_pages_of_fifty(as_staff: Browser, sessions: sessionmaker[Session]) -> None:
    """120 calls make three pages (50, 50, 20); the links keep the filters; a page too far shows the last."""
    start = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
    with sessions() as session, session.begin():
        for n in range(120):
            moment = start + timedelta(minutes=n)
            open_manual_contact(
                session, channel="phone", started_at=moment, caller="", by="olivia", now=moment
            )
    first = as_staff.text("/log?channel=phone")
    assert "120 appels · page 1 sur 3" in first
    assert 'href="?channel=phone&amp;page=2" rel="next"' in first
    assert len(listed(as_staff, "channel=phone")) == 50
    assert len(listed(as_staff, "channel=phone&page=3")) == 20
    assert listed(as_staff, "channel=phone&page=9") == listed(as_staff, "channel=phone&page=3")


def test_csv_export_of_the_filtered_view(as_staff: Browser, contacts: list[int]) -> None:
    """The data form holds the filtered calls, oldest first, callers as stored (masked), and no notes."""
    response = as_staff.get("/log/export.csv?outcome=connected_operator&format=donnees")
    assert response.status_code == 200
    assert response.content_type == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == 'attachment; filename="journal-des-appels.csv"'
    body = response.get_data(as_text=True)
    assert body.startswith("call_id,call_sid,")  # no byte-order mark: for programs
    rows = list(csv.DictReader(io.StringIO(body)))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert [int(row["call_id"]) for row in rows] == [contacts[0], contacts[2], contacts[3]]
    first, second, third = rows
    assert (first["caller"], first["started_at"], first["commune"], first["in_territory"]) == (
        "'+336******11",  # would start a formula: kept as text
        "2026-10-30T10:00:00+01:00",
        "Ciron",
        "yes",
    )
    assert (first["channel"], first["outcome"], first["category"]) == (
        "phone",
        "connected_operator",
        "MAISON.LINGE",
    )
    assert (second["caller"], second["in_territory"], second["departement"], second["referrals"]) == (
        "",
        "no",
        "75",
        "Brenne Aide à Domicile",
    )
    assert third["category_label"].startswith("Transport")
    assert "repassage" not in body
    assert "+33261910013" not in body


def spreadsheet_rows(response: TestResponse) -> list[dict[str, str]]:
    """The rows of a CSV download in the spreadsheet form (';', byte-order mark)."""
    body = response.get_data()
    assert body.startswith("\ufeff".encode())
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))


def test_csv_export_opens_in_a_french_spreadsheet(as_staff: Browser, contacts: list[int]) -> None:
    """By default: ';', a byte-order mark, French headers, codes in French words, local dates, oui/non."""
    response = as_staff.get("/log/export.csv?outcome=connected_operator")
    assert response.content_type == "text/csv; charset=utf-8"
    rows = spreadsheet_rows(response)
    assert list(rows[0]) == [
        "N° d'appel",
        "Identifiant Twilio",
        "Début",
        "Canal",
        "Appelant",
        "Statut",
        "Durée (s)",
        "Service",
        "Code INSEE",
        "Code postal",
        "Sur le territoire",
        "Département",
        "Pour qui",
        "Connu par",
        "Commune",
        "Issue",
        "Association",
        "Orientations",
    ]
    assert [int(row["N° d'appel"]) for row in rows] == [contacts[0], contacts[2], contacts[3]]
    first, second, _third = rows
    assert {key: first[key] for key in ("Début", "Canal", "Appelant", "Sur le territoire", "Issue")} == {
        "Début": "30/10/2026 10:00:00",
        "Canal": "Ligne directe",
        "Appelant": "'+336******11",
        "Sur le territoire": "oui",
        "Issue": "Pris par un opérateur",
    }
    assert first["Service"] == "Repassage et blanchissage"
    assert (second["Sur le territoire"], second["Orientations"]) == ("non", "Brenne Aide à Domicile")


def test_csv_export_of_an_unknown_form_is_404(as_staff: Browser, contacts: list[int]) -> None:
    """Only the two forms exist."""
    assert as_staff.get("/log/export.csv?format=xls").status_code == 404


def test_csv_export_streams_in_batches(
    app: Flask, as_staff: Browser, sessions: sessionmaker[Session]
) -> None:
    """Across batches, even with equal start times at their edges, every call comes out once, in order."""
    app.config["CONSOLE_EXPORT_BATCH"] = 500
    start = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
    with sessions() as session, session.begin():
        ids = [
            open_manual_contact(
                session,
                channel="visit",
                started_at=start + timedelta(seconds=n // 3),
                caller="",
                by="olivia",
                now=start,
            ).id
            for n in range(1203)
        ]
    rows = spreadsheet_rows(as_staff.get("/log/export.csv"))
    assert [int(row["N° d'appel"]) for row in rows] == ids
