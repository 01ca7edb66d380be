"""Call records: operators complete calls, refer callers and enter contacts by hand, all kept in history."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from call_log.models import Call, CallEvent, Referral
from call_log.recording import find_call
from ivr.simulator.call import CallSimulator
from ivr.simulator.callers import VOICEMAIL_PICKS_UP, DialOutcome, Keys, ScriptedCaller, Speech
from tests.conftest import FakeClock
from tests.console.conftest import Browser

ENFANTS = "Enfants : garde, sorties d&#39;école, soutien scolaire et loisirs"
EMPTY_RECORD = {
    "category_code": "",
    "commune": "",
    "departement": "",
    "beneficiary": "",
    "heard_from": "",
    "outcome": "",
    "notes": "",
}


def operator_call(simulator: CallSimulator, read_call: Callable[[str], Call]) -> Call:
    """A caller who pressed 0 and talked to an operator."""
    placed = simulator.place_call(ScriptedCaller([Keys("0")], dials=[DialOutcome("completed", 60)]))
    return read_call(placed.call_sid)


def seen_seq(html: str) -> str:
    """The last event the record page was rendered with."""
    found = re.search(r'name="seen_seq" type="hidden" value="(\d+)"', html)
    assert found is not None
    return found.group(1)


def record_events(sessions: sessionmaker[Session], call_id: int) -> list[CallEvent]:
    """The operator's changes to a call, oldest first."""
    with sessions() as session:
        return list(
            session.scalars(
                select(CallEvent)
                .where(CallEvent.call_id == call_id, CallEvent.kind == "record_updated")
                .order_by(CallEvent.seq)
            )
        )


def test_operator_completes_a_call_and_the_history_shows_it(
    as_operator: Browser,
    simulator: CallSimulator,
    read_call: Callable[[str], Call],
    sessions: sessionmaker[Session],
    clock: FakeClock,
) -> None:
    """Saving the record changes the call and writes one event with who, when, and each field before/after."""
    call = operator_call(simulator, read_call)
    page = as_operator.text(f"/calls/{call.id}")
    clock.advance(120)
    saved = as_operator.post(
        f"/calls/{call.id}",
        {
            **EMPTY_RECORD,
            "category_code": "MAISON.LINGE",
            "commune": "mezieres en brenne",
            "beneficiary": "relative",
            "heard_from": "town_hall",
            "outcome": "connected_operator",
            "notes": "Pour sa mère, deux heures par semaine.",
            "seen_seq": seen_seq(page),
        },
    )
    assert saved.status_code == 302
    assert saved.headers["Location"] == f"/calls/{call.id}"

    record = read_call(call.call_sid)
    assert (record.category_code, record.commune_insee, record.postal_code, record.in_territory) == (
        "MAISON.LINGE",
        "36123",
        "36290",
        True,
    )
    assert (record.departement, record.beneficiary, record.heard_from, record.notes) == (
        "36",
        "relative",
        "town_hall",
        "Pour sa mère, deux heures par semaine.",
    )
    [event] = record_events(sessions, call.id)
    assert event.at == clock()
    assert event.payload["by"] == "olivia"
    assert event.payload["changes"]["category_code"] == {"before": None, "after": "MAISON.LINGE"}
    assert event.payload["changes"]["commune_insee"] == {"before": None, "after": "36123"}
    assert "outcome" not in event.payload["changes"]  # unchanged: the call already said so

    history = as_operator.text(f"/calls/{call.id}")
    assert "Fiche enregistrée." in history
    assert '<span class="what">olivia a modifié la fiche</span>' in history
    assert "Commune : <del>—</del> → <ins>Mézières-en-Brenne</ins>" in history
    assert "Pour qui : <del>—</del> → <ins>Pour un proche</ins>" in history
    assert "Département" not in history.split("Historique")[1]  # follows from the commune

    again = as_operator.post(
        f"/calls/{call.id}",
        {
            **EMPTY_RECORD,
            "category_code": "MAISON.LINGE",
            "commune": "Mézières-en-Brenne (36290)",
            "beneficiary": "relative",
            "heard_from": "town_hall",
            "outcome": "connected_operator",
            "notes": "Pour sa mère, deux heures par semaine.",
        },
    )
    assert again.status_code == 302
    assert len(record_events(sessions, call.id)) == 1  # nothing changed, nothing written
    assert "Aucune modification." in as_operator.text(f"/calls/{call.id}")


def test_concurrent_edits_keep_both_or_report_the_conflict(
    as_operator: Browser,
    browser_factory: Callable[[str], Browser],
    simulator: CallSimulator,
    read_call: Callable[[str], Call],
) -> None:
    """A change made meanwhile stands unless the editor changed the same field: then 409 and nothing saved."""
    call = operator_call(simulator, read_call)
    seen = seen_seq(as_operator.text(f"/calls/{call.id}"))
    colleague = browser_factory("sam")
    assert (
        colleague.post(f"/calls/{call.id}", {**EMPTY_RECORD, "category_code": "ENFANTS"}).status_code == 302
    )

    # Olivia still sees no category; she only writes notes: Sam's category stays.
    notes = as_operator.post(
        f"/calls/{call.id}", {**EMPTY_RECORD, "notes": "Rappeler lundi.", "seen_seq": seen}
    )
    assert notes.status_code == 302
    record = read_call(call.call_sid)
    assert (record.category_code, record.notes) == ("ENFANTS", "Rappeler lundi.")

    # She also picks a category, still from her old page: conflict, nothing saved, Sam's value shown.
    conflict = as_operator.post(
        f"/calls/{call.id}",
        {**EMPTY_RECORD, "category_code": "TRANSPORT", "notes": "Rappeler lundi.", "seen_seq": seen},
    )
    assert conflict.status_code == 409
    page = conflict.get_data(as_text=True)
    assert "Quelqu'un a modifié cette fiche pendant que vous l'éditiez" in page
    assert f"<li>Service : {ENFANTS} (par sam)</li>" in page
    assert read_call(call.call_sid).category_code == "ENFANTS"
    # Saving the re-shown form (now up to date) overwrites deliberately.
    retry = as_operator.post(
        f"/calls/{call.id}",
        {
            **EMPTY_RECORD,
            "category_code": "TRANSPORT",
            "notes": "Rappeler lundi.",
            "seen_seq": seen_seq(page),
        },
    )
    assert retry.status_code == 302
    assert read_call(call.call_sid).category_code == "TRANSPORT"


def test_a_number_typed_in_the_notes_stays_out_of_the_history(
    as_operator: Browser,
    browser_factory: Callable[[str], Browser],
    simulator: CallSimulator,
    read_call: Callable[[str], Call],
    sessions: sessionmaker[Session],
) -> None:
    """The record keeps the number an operator typed; its history masks it, and still tells edits apart."""
    call = operator_call(simulator, read_call)
    kept = {**EMPTY_RECORD, "outcome": "connected_operator"}
    noted = "Rappeler sa fille au 06 39 98 00 17 après 18 h."
    assert as_operator.post(f"/calls/{call.id}", {**kept, "notes": noted}).status_code == 302
    seen = seen_seq(as_operator.text(f"/calls/{call.id}"))
    colleague = browser_factory("sam")
    changed = "Rappeler sa fille au 06 39 98 00 18 après 18 h."
    assert colleague.post(f"/calls/{call.id}", {**kept, "notes": changed}).status_code == 302

    # Olivia, from her page of before Sam's change, only picks a category: Sam's notes stand.
    category = {**kept, "category_code": "ENFANTS", "notes": noted, "seen_seq": seen}
    assert as_operator.post(f"/calls/{call.id}", category).status_code == 302

    record = read_call(call.call_sid)
    assert (record.category_code, record.notes) == ("ENFANTS", changed)
    history = [event.payload["changes"] for event in record_events(sessions, call.id)]
    assert history == [
        {"notes": {"before": "", "after": "Rappeler sa fille au 063*****17 après 18 h."}},
        {
            "notes": {
                "before": "Rappeler sa fille au 063*****17 après 18 h.",
                "after": "Rappeler sa fille au 063*****18 après 18 h.",
            }
        },
        {"category_code": {"before": None, "after": "ENFANTS"}},
    ]


@pytest.mark.parametrize(
    ("commune", "departement", "status", "expected"),
    [
        ("Ciron", "", 302, ("36053", "36300", True, "36")),
        ("ciron (36300)", "", 302, ("36053", "36300", True, "36")),
        ("Mezieres", "", 302, ("36123", "36290", True, "36")),
        ("", "75", 302, (None, None, False, "75")),
        ("", "2a", 302, (None, None, False, "2A")),
        ("", "", 302, (None, None, None, None)),
        (
            "36290",
            "",
            400,
            "Plusieurs communes correspondent : Azay-le-Ferron (36290), Mézières-en-Brenne (36290)",
        ),
        ("Saint", "", 400, "Plusieurs communes correspondent"),
        ("Châteauroux", "", 400, "n&#39;est pas une commune du territoire"),
        ("Ciron", "75", 400, "pas les deux"),
        ("", "36", 400, "indiquez la commune"),
        ("", "99", 400, "pas un numéro de département"),
    ],
)
def test_where_the_person_lives(
    as_operator: Browser,
    simulator: CallSimulator,
    read_call: Callable[[str], Call],
    commune: str,
    departement: str,
    status: int,
    expected: tuple[str | None, str | None, bool | None, str | None] | str,
) -> None:
    """A territory commune by name or 'Name (postal code)', or a département outside; else a clear error."""
    call = operator_call(simulator, read_call)
    response = as_operator.post(
        f"/calls/{call.id}", {**EMPTY_RECORD, "commune": commune, "departement": departement}
    )
    assert response.status_code == status
    record = read_call(call.call_sid)
    if isinstance(expected, str):
        assert expected in response.get_data(as_text=True)
        assert record.commune_insee is None
    else:
        assert (record.commune_insee, record.postal_code, record.in_territory, record.departement) == expected


def test_referral_candidates_come_first_and_are_recorded(
    as_operator: Browser,
    simulator: CallSimulator,
    read_call: Callable[[str], Call],
    sessions: sessionmaker[Session],
    clock: FakeClock,
) -> None:
    """The routing candidates for the call's service and commune head the list; a referral starts pending."""
    call = operator_call(simulator, read_call)
    as_operator.post(f"/calls/{call.id}", {**EMPTY_RECORD, "category_code": "EXTERIEUR", "commune": "Rosnay"})
    page = as_operator.text(f"/calls/{call.id}")
    proposed = page.split('<optgroup label="Proposées pour ce service et cette commune">')[1].split(
        "</optgroup>"
    )[0]
    others = page.split('<optgroup label="Autres associations">')[1].split("</optgroup>")[0]
    assert "Les Jardiniers de la Brenne" in proposed
    assert "Les Jardiniers de la Brenne" not in others
    assert "Brenne Enfance Services" in others
    with sessions() as session:
        jardiniers = _association_id(session, "Les Jardiniers de la Brenne")

    referred = as_operator.post(f"/calls/{call.id}/referrals", {"association_id": str(jardiniers)})
    assert referred.status_code == 302
    with sessions() as session:
        [referral] = session.scalars(select(Referral).where(Referral.call_id == call.id)).all()
        assert (referral.association_id, referral.source, referral.created_by, referral.follow_up) == (
            jardiniers,
            "operator",
            "olivia",
            "pending",
        )
        assert (referral.category_code, referral.created_at) == ("EXTERIEUR", clock())
    history = as_operator.text(f"/calls/{call.id}")
    assert (
        '<span class="what">olivia a orienté la personne vers Les Jardiniers de la Brenne</span>' in history
    )
    assert "En attente de contact" in history

    refused = as_operator.post(f"/calls/{call.id}/referrals", {"association_id": "99999"})
    assert refused.status_code == 400
    assert "Choisissez une association de la liste." in refused.get_data(as_text=True)


def _association_id(session: Session, name: str) -> int:
    from directory.models import Association

    found = session.scalar(select(Association.id).where(Association.name == name))
    assert found is not None
    return found


def test_manual_contact_is_a_call_with_the_same_fields(
    as_operator: Browser, sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    """A visit entered by hand is a call (channel, time received, masked number) with record and history."""
    form = as_operator.text("/calls/new")
    assert 'value="2026-11-24T10:00"' in form  # now, in Paris
    saved = as_operator.post(
        "/calls/new",
        {
            **EMPTY_RECORD,
            "channel": "visit",
            "received_at": "2026-11-23T16:45",
            "caller_number": "06 39 98 00 42",
            "category_code": "TRANSPORT",
            "commune": "Ciron",
            "beneficiary": "self",
            "heard_from": "already_called",
            "outcome": "connected_operator",
            "notes": "Venu à la permanence.",
        },
        token_from="/calls/new",
    )
    assert saved.status_code == 302
    call_id = int(saved.headers["Location"].split("/")[2].split("#")[0])
    with sessions() as session:
        call = session.get_one(Call, call_id)
        assert (call.channel, call.status, call.caller) == ("visit", "completed", "+336******42")
        assert call.started_at == datetime(2026, 11, 23, 15, 45, tzinfo=UTC)
        assert (call.category_code, call.commune_insee, call.beneficiary, call.heard_from) == (
            "TRANSPORT",
            "36053",
            "self",
            "already_called",
        )
        assert call.call_sid.startswith("MN")
        kinds = [(event.kind, event.payload["by"]) for event in call.events]
        assert kinds == [("manual_entry", "olivia"), ("record_updated", "olivia")]
        assert find_call(session, call.call_sid) is not None
    page = as_operator.text(f"/calls/{call_id}")
    assert f"Contact n° {call_id}" in page
    assert '<span class="what">olivia a saisi ce contact (visite)</span>' in page


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"received_at": ""}, "Indiquez la date et l&#39;heure."),
        ({"caller_number": "12"}, "Ce numéro n&#39;est pas valide"),
        ({"channel": "ivr"}, "N&#39;est pas un choix valide."),
        ({"commune": "Paris"}, "n&#39;est pas une commune du territoire"),
        # Outcomes fit the channel, whatever the page's script offered.
        (
            {"channel": "letter", "outcome": "voicemail"},
            "« Message laissé (opérateurs occupés) » ne convient pas à un contact « Courrier » : "
            "choisissez « Pris par un opérateur », « Aucune association pour ce service » ou laissez vide.",
        ),
        ({"channel": "visit", "outcome": "abandoned_in_menu"}, "N&#39;est pas un choix valide."),
    ],
)
def test_manual_contact_form_says_what_to_fix(
    as_operator: Browser, sessions: sessionmaker[Session], fields: dict[str, str], message: str
) -> None:
    """A bad manual entry is shown again with the message next to the field, and nothing is saved."""
    data = {
        **EMPTY_RECORD,
        "channel": "phone",
        "received_at": "2026-11-24T09:00",
        "caller_number": "",
    } | fields
    response = as_operator.post("/calls/new", data, token_from="/calls/new")
    assert response.status_code == 400
    assert message in response.get_data(as_text=True) or message.replace(
        "Not a valid choice", "choix"
    ) in response.get_data(as_text=True)
    with sessions() as session:
        assert session.scalars(select(Call)).all() == []


def test_unknown_call_and_go_to_call(as_operator: Browser) -> None:
    """A call number that does not exist is 404; the board's 'Appel n°' box opens a call by its number."""
    assert as_operator.get("/calls/4242").status_code == 404
    assert as_operator.get("/go?call=42").headers["Location"] == "/calls/42"
    assert as_operator.get("/go?call=n°%2042").headers["Location"] == "/calls/42"
    wrong = as_operator.get("/go?call=abc")
    assert wrong.headers["Location"] == "/"


def test_values_the_lists_do_not_name_stay_selectable(
    as_operator: Browser,
    simulator: CallSimulator,
    read_call: Callable[[str], Call],
    sessions: sessionmaker[Session],
) -> None:
    """An answer config.yaml added to the voice menu's question is shown as recorded and kept on save."""
    call = operator_call(simulator, read_call)
    with sessions() as session, session.begin():
        session.get_one(Call, call.id).heard_from = "radio_locale"
    page = as_operator.text(f"/calls/{call.id}")
    assert '<option selected value="radio_locale">radio_locale</option>' in page
    saved = as_operator.post(
        f"/calls/{call.id}", {**EMPTY_RECORD, "heard_from": "radio_locale", "notes": "Entendu à la radio."}
    )
    assert saved.status_code == 302
    assert (read_call(call.call_sid).heard_from, read_call(call.call_sid).notes) == (
        "radio_locale",
        "Entendu à la radio.",
    )


def test_a_call_not_taken_at_the_whisper_shows_as_not_taken(
    as_operator: Browser, simulator: CallSimulator, read_call: Callable[[str], Call]
) -> None:
    """The timeline says the first association's voicemail did not take the call, then the second answered."""
    caller = ScriptedCaller(
        [Keys("1"), Keys("36300"), Speech("Ciron"), Keys("1")],
        dials=[VOICEMAIL_PICKS_UP, DialOutcome("completed", 60)],
    )
    call = read_call(simulator.place_call(caller).call_sid)
    page = as_operator.text(f"/calls/{call.id}")
    ends = re.findall(r'<span class="what">Fin du transfert vers ([^<\n]*)</span>', page)
    assert ends == [  # newest first
        "l&#39;association Repas et Courses en Brenne : a répondu (1 min 00 s)",
        "l&#39;association Brenne Aide à Domicile : n&#39;a pas pris l&#39;appel (17 s)",
    ]
