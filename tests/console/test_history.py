"""A call record's history reads as sentences: no code, JSON or English, whatever the voice server wrote."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import replace
from typing import get_args
from unittest.mock import patch

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from call_log.codes import EventKind, LineState, MenuPhase, OperatorReason
from call_log.models import Call, CallEvent
from call_log.sweep import close_unfinished
from console.context import phone
from foundation.codes import Code
from foundation.db import transaction
from ivr.hours import Reason
from ivr.menu import PHASES
from ivr.simulator.call import CallSimulator, StatusCallbacks
from ivr.simulator.callers import (
    VOICEMAIL_PICKS_UP,
    DialOutcome,
    Keys,
    RecordOutcome,
    ScriptedCaller,
    Silence,
    Speech,
)
from ivr.transfer_plan import OperatorReason as IvrOperatorReason
from tests.conftest import PUBLIC_URL, FakeClock
from tests.console.conftest import Browser
from tests.console.test_records import EMPTY_RECORD, seen_seq

# What must never reach a user in a history line: stored codes, JSON, Python values, Twilio's words.
_RAW = re.compile(
    r"\b[a-z]+_[a-z_]+\b"  # a stored code such as transfer_accepted
    r"|[{}\[\]\"]"  # JSON
    r"|\b(None|True|False|null|true|false)\b"
    r"|\b(completed|no-answer|in-progress|busy|failed|canceled|ringing|answered|absent)\b"
    r"|\b(CA|RE|SM|MN)[0-9a-f]{32}\b"  # Twilio SIDs
    r"|\+\d{6,}|touche —|hmac:"
)


def history_lines(page: str) -> list[str]:
    """The lines of the record's history as the operator reads them, oldest first."""
    section = page.split('<ol class="history"', 1)[1].split("</ol>", 1)[0]
    items = re.findall(r"<li><span class=\"when\">[^<]*</span>(.*?)\n      </li>", section, re.S)
    texts = [html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", item))).strip() for item in items]
    return texts[::-1]


class TextSender:
    """A text sender that accepts every text, as Twilio's API does."""

    def send(self, *, to: str, body: str) -> str:
        """Accept the text."""
        return "SM" + "5" * 32


class RefusingSender:
    """A text sender that refuses, naming the number as Twilio's API does."""

    def send(self, *, to: str, body: str) -> str:
        """Refuse the text."""
        raise RuntimeError(f"The 'To' number {to} is not a valid phone number.")


def test_a_callers_journey_and_the_operators_work_read_as_sentences(
    simulator: CallSimulator,
    as_operator: Browser,
    browser_factory: Callable[[str], Browser],
    read_call: Callable[[str], Call],
    clock: FakeClock,
) -> None:
    """Keys, words, transfers and the operators' changes, each said in a sentence, oldest first here."""
    caller = ScriptedCaller(
        [Keys("1"), Keys("36300"), Speech("Ciron"), Keys("1")],
        dials=[VOICEMAIL_PICKS_UP, DialOutcome("completed", 60)],
    )
    call = read_call(simulator.place_call(caller).call_sid)
    page = as_operator.text(f"/calls/{call.id}")
    clock.advance(60)
    form = {
        **EMPTY_RECORD,
        "category_code": call.category_code or "",
        "commune": "Ciron",
        "beneficiary": "relative",
        "outcome": call.outcome or "",
        "seen_seq": seen_seq(page),
    }
    assert as_operator.post(f"/calls/{call.id}", form).status_code == 302
    association = next(iter(call.referrals)).association_id if call.referrals else None
    assert association is not None
    assert (
        as_operator.post(f"/calls/{call.id}/referrals", {"association_id": str(association)}).status_code
        == 302
    )
    referral = read_call(call.call_sid).referrals[-1]
    sam = browser_factory("sam")
    followed = sam.post(
        f"/referrals/{referral.id}",
        {"state": "contacted", "at": "2026-11-24T11:30", "notes": "Rappelée par l'association."},
        token_from=f"/calls/{call.id}",
    )
    assert followed.status_code == 302

    assert history_lines(as_operator.text(f"/calls/{call.id}")) == [
        "Appel reçu du 06 ** ** ** 01",
        "L'appelant a tapé 1 au menu principal : Ménage, linge et entretien de la maison",
        "L'appelant a tapé le code postal 36300",
        "L'appelant a dit « Ciron » à la question de la commune",
        "L'appelant a tapé 1 à la question « pour qui ? » : Pour soi-même",
        "Transfert vers l'association Brenne Aide à Domicile",
        "Fin du transfert vers l'association Brenne Aide à Domicile : n'a pas pris l'appel (17 s)",
        "Transfert vers l'association Repas et Courses en Brenne",
        "L'association Repas et Courses en Brenne a accepté l'appel",
        "Fin du transfert vers l'association Repas et Courses en Brenne : a répondu (1 min 00 s)",
        "Statut de l'appel chez Twilio : terminé (durée 1 min 59 s)",
        "olivia a modifié la fiche Pour qui : Pour soi-même → Pour un proche",
        "olivia a orienté la personne vers Repas et Courses en Brenne",
        "sam a mis à jour le suivi de l'orientation vers Repas et Courses en Brenne"
        " · note : « Rappelée par l'association. » Suivi : En attente de contact → Personne contactée"
        " Contact le : — → 24/11/2026 11:30",
    ]


def test_every_kind_of_event_reads_as_french(
    app: Flask,
    simulator: CallSimulator,
    as_operator: Browser,
    read_call: Callable[[str], Call],
    sessions: sessionmaker[Session],
    clock: FakeClock,
    replay: Callable[[], object],
) -> None:
    """Calls that write every kind of event the voice server and the console write: no code, JSON, English."""
    sids: list[str] = []

    def place(caller: ScriptedCaller, callbacks: StatusCallbacks | None = None) -> str:
        sids.append(simulator.place_call(caller, status_callbacks=callbacks or StatusCallbacks()).call_sid)
        return sids[-1]

    outside = place(
        ScriptedCaller(
            [Keys("1"), Keys("75011"), Keys("2"), Keys("1")],
            dials=[DialOutcome("no-answer")],
            records=[RecordOutcome(duration_s=25)],
        )
    )
    unmet = place(
        ScriptedCaller(
            [Keys("2"), Keys("36290"), Speech("Azay-le-Ferron"), Silence()],
            dials=[DialOutcome("completed", 30)],
        )
    )
    odd = place(
        ScriptedCaller(
            [Keys("9"), Silence(), Keys("*"), Keys("#"), Keys("0"), Keys("0612")],
            dials=[DialOutcome("no-answer")],
        )
    )
    simulator.post("/ivr/voicemail", {"CallSid": odd, "RecordingDuration": "0"})
    spoken = place(ScriptedCaller([Speech("du repassage"), Keys("36300"), Speech("Ciron"), Keys("2")]))
    app.extensions["ivr.sms"] = TextSender()
    texted = place(
        ScriptedCaller(
            [Keys("6"), Keys("36300"), Speech("Ciron"), Keys("2")], dials=[DialOutcome("completed", 5)]
        )
    )
    app.extensions["ivr.sms"] = RefusingSender()
    place(
        ScriptedCaller(
            [Keys("6"), Keys("36300"), Speech("Ciron"), Keys("2")], dials=[DialOutcome("completed", 5)]
        )
    )
    app.extensions["ivr.sms"] = None
    flow = app.extensions["ivr.settings"].last().flow
    with patch("ivr.webhooks.journey.flow", lambda: replace(flow, nodes={})):  # a broken menu: voice fails
        broken = place(ScriptedCaller([], dials=[DialOutcome("no-answer")]))
    left_open = place(
        ScriptedCaller([Keys("0")], dials=[DialOutcome("completed", 20)]), StatusCallbacks(after=())
    )
    fallback = {"CallSid": left_open, "ErrorCode": "11200", "ErrorUrl": f"{PUBLIC_URL}/ivr/voice"}
    assert simulator.post("/ivr/fallback", fallback).status == 200
    replay()
    clock.advance(10 * 3600)  # 20:00 in Paris: the line is closed
    with transaction(sessions) as session:
        assert close_unfinished(session, now=clock()) == 1
    night = place(ScriptedCaller([Keys("1")], records=[RecordOutcome(duration_s=12)]))
    # The operators' own events, on the night's voicemail and on a contact entered by hand.
    callback = read_call(night).callbacks[0]
    assert as_operator.post(f"/callbacks/{callback.id}/take", {}, token_from="/callbacks").status_code == 302
    result = {"result": "retry", "notes": "Messagerie pleine."}
    assert (
        as_operator.post(f"/callbacks/{callback.id}/result", result, token_from="/callbacks").status_code
        == 302
    )
    manual = {
        **EMPTY_RECORD,
        "channel": "visit",
        "received_at": "2026-11-24T17:00",
        "category_code": "TRANSPORT",
    }
    taken = as_operator.post(f"/calls/{read_call(night).id}/take", {}, token_from="/")
    assert taken.status_code == 302
    entered = as_operator.post("/calls/new", manual, token_from="/calls/new")
    contact_id = int(entered.headers["Location"].split("/")[2].split("#")[0])

    pages = {sid: as_operator.text(f"/calls/{read_call(sid).id}") for sid in sids}
    pages["manual"] = as_operator.text(f"/calls/{contact_id}")
    with sessions() as session:
        kinds = {event.kind for event in session.scalars(select(CallEvent))}
    # See the test above; the association's link: tests/console/test_partner_notices.py.
    referral_kinds = {EventKind.REFERRAL_ADDED, EventKind.REFERRAL_FOLLOW_UP, EventKind.REFERRAL_LINK_VIEWED}
    assert kinds == set(EventKind) - referral_kinds
    lines = {sid: history_lines(page) for sid, page in pages.items()}
    raw = [(sid, line) for sid, found in lines.items() for line in found if _RAW.search(line)]
    assert raw == []
    assert lines[outside][4:11] == [
        "La personne habite hors du territoire (code postal 75011)",
        "Transfert vers les opérateurs : la personne habite hors du territoire",
        "Fin du transfert vers les opérateurs : pas de réponse",
        "L'appelant a confirmé son numéro pour être rappelé",
        "L'appelant a laissé un message de 25 s",
        "Enregistrement du message prêt à écouter (25 s)",
        "Statut de l'appel chez Twilio : terminé (durée 1 min 46 s)",
    ]
    assert lines[unmet][4:8] == [
        "L'appelant n'a rien répondu à la question « pour qui ? »",
        "Aucune association pour « Jardinage, petit bricolage et déménagement » à Azay-le-Ferron",
        "Transfert vers les opérateurs : aucune association pour ce service",
        "Un opérateur a accepté l'appel",
    ]
    assert lines[odd][1:9] + lines[odd][-1:] == [
        "L'appelant a tapé 9 au menu principal : touche sans choix",
        "L'appelant n'a rien répondu au menu principal",
        "L'appelant a tapé * pour réécouter",
        "L'appelant a tapé # pour revenir en arrière",
        "L'appelant a tapé 0 pour parler à un opérateur",
        "Transfert vers les opérateurs : l'appelant a tapé 0",
        "Fin du transfert vers les opérateurs : pas de réponse",
        "L'appelant a tapé un numéro de rappel inutilisable",
        "L'appelant n'a pas laissé de message",
    ]
    assert lines[spoken][1] == "L'appelant a dit « du repassage » au menu principal"
    assert lines[texted][-2] == "Texto envoyé à l'appelant avec les coordonnées de l'association"
    assert lines[broken][1] == (
        "Erreur technique du serveur vocal ; l'appelant a été dirigé vers un opérateur ou la messagerie"
    )
    assert lines[left_open][-2:] == [
        "Twilio a signalé une erreur (code 11200) ; l'appel a été passé aux opérateurs",
        "Twilio n'a jamais signalé la fin de l'appel : appel clos d'office",
    ]
    assert lines[night][0] == "Appel reçu du 06 ** ** ** 01, ligne fermée (en dehors des horaires)"
    assert lines[night][-3:] == [
        "olivia a mis à jour le rappel État : À rappeler → En cours",
        "olivia a mis à jour le rappel (tentative 1) · note : « Messagerie pleine. »"
        " État : En cours → À réessayer",
        "Olivia a pris l'appel (« Je prends »)",
    ]
    assert lines["manual"][0] == "olivia a saisi ce contact (visite)"


@pytest.mark.parametrize(
    ("code", "words"),
    [(LineState, get_args(Reason)), (MenuPhase, PHASES), (OperatorReason, get_args(IvrOperatorReason))],
)
def test_the_words_name_every_code_the_voice_server_writes(code: type[Code], words: tuple[str, ...]) -> None:
    """The codes of the voice server's events each have their French words, and no others."""
    assert tuple(code) == words


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("+33261911250", "02 61 91 12 50"),
        ("+33639980001", "06 39 98 00 01"),
        ("+336******01", "06 ** ** ** 01"),
        ("+336••••••01", "06 •• •• •• 01"),
        ("+442079460000", "+44 20 7946 0000"),
        ("+442*******00", "+44 2* **** **00"),
        ("anonymous", "numéro masqué par l'appelant"),
        ("hmac:0123456789abcdef01234567", "numéro non conservé"),
        ("", "—"),
        (None, "—"),
        ("025*****17", "025*****17"),
    ],
)
def test_numbers_are_shown_as_french_people_write_them(stored: str | None, shown: str) -> None:
    """National numbers in pairs, others in their country's grouping; a masked one keeps its mask."""
    assert phone(stored) == shown
