"""Fewer questions, better understood: for whom the caller said, short commune names, a second try."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from sqlalchemy.orm import Session, sessionmaker

from call_log.codes import Beneficiary
from call_log.models import Call
from call_log.recording import find_call
from ivr.places import match_commune, spoken_forms
from ivr.simulator.call import CallSimulator, SimulatedCall
from ivr.simulator.callers import DialOutcome, Keys, ScriptedCaller, Speech
from ivr.simulator.transports import FlaskClientTransport
from ivr.speech import beneficiary_in
from tests.conftest import AUTH_TOKEN, PUBLIC_URL

ANSWER = DialOutcome("completed", duration_s=60)
POSTAL_CODE = "Le code postal de la commune concernée ?"
COMMUNE = "Le nom de la commune ?"
AGAIN = "Je n'ai pas reconnu la commune. Dites seulement son nom, lentement."
WHO = "Pour vous, tapez 1. Pour un proche, tapez 2."

Place = Callable[[ScriptedCaller], tuple[SimulatedCall, Call]]


@pytest.fixture
def place(app: Flask) -> Place:
    """Place a call through the simulator and read back its record."""
    simulator = CallSimulator(
        FlaskClientTransport(app.test_client()), base_url=PUBLIC_URL, auth_token=AUTH_TOKEN
    )
    sessions: sessionmaker[Session] = app.extensions["helpline"].sessions

    def call(caller: ScriptedCaller) -> tuple[SimulatedCall, Call]:
        result = simulator.place_call(caller)
        with sessions() as session:
            record = find_call(session, result.call_sid)
            assert record is not None
            _ = record.association
        return result, record

    return call


@pytest.mark.parametrize(
    ("said", "beneficiary"),
    [
        ("du repassage pour ma mère", Beneficiary.RELATIVE),
        ("une aide à domicile pour mon père", Beneficiary.RELATIVE),
        ("le ménage chez mes parents", Beneficiary.RELATIVE),
        ("garder ma fille mercredi", Beneficiary.RELATIVE),
        ("des courses pour mon fils", Beneficiary.RELATIVE),
        ("pour ma grand-mère", Beneficiary.RELATIVE),
        ("c'est pour un voisin", Beneficiary.RELATIVE),
        ("pour une amie", Beneficiary.RELATIVE),
        ("du jardinage pour moi", Beneficiary.SELF),
        ("pour moi-même", Beneficiary.SELF),
        ("repassage", None),
        ("une femme de ménage", None),
        ("pour moi et ma mère", None),
    ],
)
def test_beneficiary_in_speech(said: str, beneficiary: Beneficiary | None) -> None:
    """For whom the caller asks is read from their words; nothing said, or both, leaves it open."""
    assert beneficiary_in(said) == beneficiary


@pytest.mark.parametrize(
    ("postal_code", "said", "insee"),
    [
        ("36290", "Mezieres", "36123"),
        ("36290", "Mézières", "36123"),
        ("36290", "à Mézières-en-Brenne s'il vous plaît", "36123"),
        ("36800", "Saint-Gaultier", "36192"),
        ("36800", "St Gaultier", "36192"),
        ("36800", "Gaultier", "36192"),
        ("36300", "Blanc", "36018"),
        ("36300", "Ciron", "36053"),
        ("36290", "Saint-Michel", "36204"),
        ("36170", "Châteauroux", None),
        ("36300", "euh je ne sais pas", None),
    ],
)
def test_match_commune_on_short_and_spoken_forms(postal_code: str, said: str, insee: str | None) -> None:
    """A commune is found by its distinctive part and usual spoken forms; another town is not."""
    commune = match_commune(postal_code, said)
    assert (commune.insee if commune else None) == insee


def test_spoken_forms_of_compound_names() -> None:
    """A compound name is said in full, without its article, or by its distinctive part."""
    assert spoken_forms("Mézières-en-Brenne") == {"mezieres en brenne", "mezieres"}
    assert spoken_forms("Saint-Gaultier") == {"saint gaultier", "gaultier"}
    assert spoken_forms("Le Blanc") == {"le blanc", "blanc"}


def test_beneficiary_said_skips_the_question(place: Place) -> None:
    """'du repassage pour ma mère': for whom is not asked, and the call is logged for a relative."""
    result, record = place(
        ScriptedCaller([Speech("du repassage pour ma mère"), Keys("36300"), Speech("Ciron")], dials=[ANSWER])
    )
    assert WHO not in result.heard
    assert result.heard[-3:] == [POSTAL_CODE, COMMUNE, "Je vous passe Brenne Aide à Domicile."]
    assert result.whispers[0] == (
        "Appel du 1001 services : Repassage et blanchissage, commune de Ciron, pour un proche. "
        "Tapez 1 pour prendre l'appel."
    )
    assert (record.category_code, record.commune_insee, record.beneficiary, record.outcome) == (
        "MAISON.LINGE",
        "36053",
        "relative",
        "connected_association",
    )


def test_short_commune_name(place: Place) -> None:
    """'Mezieres' is Mézières-en-Brenne: its gardeners are rung, the commune is logged."""
    _result, record = place(
        ScriptedCaller([Keys("2"), Keys("36290"), Speech("Mezieres"), Keys("1")], dials=[ANSWER])
    )
    assert record.association is not None
    assert (record.commune_insee, record.in_territory, record.association.name) == (
        "36123",
        True,
        "Les Jardiniers de la Brenne",
    )


def test_commune_asked_once_more(place: Place) -> None:
    """A name not understood is asked once more with a hint; the second answer is kept."""
    result, record = place(
        ScriptedCaller(
            [Keys("1"), Keys("36800"), Speech("euh attendez"), Speech("St Gaultier"), Keys("2")],
            dials=[ANSWER],
        )
    )
    assert result.heard[-6:-1] == [POSTAL_CODE, COMMUNE, AGAIN, COMMUNE, WHO]
    assert (record.commune_insee, record.beneficiary) == ("36192", "relative")


def test_commune_not_understood_twice_moves_on(place: Place) -> None:
    """Two names not understood: the postal code is kept, the commune unknown, the next question asked."""
    result, record = place(
        ScriptedCaller(
            [Keys("1"), Keys("36800"), Speech("Châteauroux"), Speech("Châteauroux"), Keys("1")],
            dials=[ANSWER],
        )
    )
    assert result.heard.count(COMMUNE) == 2
    assert result.heard.count(AGAIN) == 1
    assert (record.postal_code, record.commune_insee, record.beneficiary) == ("36800", None, "self")
