"""Transfer planning, as pure functions: who is rung next, what is logged first, what the whisper says."""

from __future__ import annotations

import pytest

from directory.routing import Candidate
from foundation.config import Config, Prompts
from ivr.flow import Flow
from ivr.menu import CallState, Route, ToOperator
from ivr.transfer_plan import (
    MAX_TRIED,
    JourneyEvent,
    RingAssociation,
    RingOperators,
    after_dial,
    describe_request,
    next_association,
    observatory,
    operators_first,
    parse_tried,
    result_of_dial,
    tried_param,
)
from tests.test_menu import make_flow

PROMPTS = Prompts()
CIRON = CallState(
    category="MAISON",
    postal_code="36300",
    insee="36053",
    territory="in",
    departement="36",
    beneficiary="relative",
    path="1 36300 ~ 2",
)
PARIS = CallState(
    category="AUTONOMIE", postal_code="75015", territory="out", departement="75", path="4 75015"
)
ONE = Candidate(association_id=3, name="Brenne Services", phone="+33261910003", priority=1)
TWO = Candidate(association_id=7, name="Mobilité Solidaire", phone="+33261910007", priority=2)


@pytest.fixture
def flow(example_config: Config) -> Flow:
    """The example config's journey."""
    return make_flow(example_config)


def test_asking_for_an_operator_needs_no_directory() -> None:
    """A caller who pressed 0 goes straight to the operators, told only that one will answer."""
    plan = operators_first(ToOperator("asked", CIRON), PROMPTS, tried=())
    assert plan == RingOperators(("", PROMPTS.connecting_operator), reason="asked")


@pytest.mark.parametrize(
    ("reason", "intro"), [("wrong_keys", PROMPTS.wrong_key), ("silences", PROMPTS.silence)]
)
def test_operators_after_the_limit_say_why(reason: str, intro: str) -> None:
    """After too many wrong keys or silences, the caller hears why before an operator answers."""
    plan = operators_first(ToOperator(reason, CIRON), PROMPTS, tried=())
    assert plan == RingOperators((intro, PROMPTS.connecting_operator), reason=reason)


def test_out_of_territory_goes_to_the_operators_and_is_logged() -> None:
    """A request from outside the park rings the operators, after an out_of_territory event."""
    plan = operators_first(Route(PARIS), PROMPTS, tried=())
    assert plan == RingOperators(
        (PROMPTS.out_of_territory,),
        reason="out_of_territory",
        event=JourneyEvent("out_of_territory", {"postal_code": "75015", "departement": "75"}),
    )


@pytest.mark.parametrize(("state", "tried"), [(CIRON, ()), (PARIS, (3,))])
def test_the_directory_decides_the_rest(state: CallState, tried: tuple[int, ...]) -> None:
    """A request in the territory, or one already put through to an association, asks the directory."""
    assert operators_first(Route(state), PROMPTS, tried=tried) is None


def test_nobody_in_the_directory_is_unmet_demand() -> None:
    """No association at all: the operators, and the call's outcome is unmet with what was collected."""
    plan = next_association(CIRON, PROMPTS, tried=(), candidates=[])
    assert isinstance(plan, RingOperators)
    assert (plan.texts, plan.reason) == ((PROMPTS.no_association,), "unmet")
    assert plan.event is not None
    assert (plan.event.kind, plan.event.payload) == (
        "unmet_demand",
        {"category": "MAISON", "commune_insee": "36053", "postal_code": "36300"},
    )
    assert plan.event.summary == observatory(CIRON) | {"outcome": "unmet"}


def test_every_association_tried_is_unavailable_not_unmet() -> None:
    """When each candidate was rung already, the operators take over and nothing is logged as unmet."""
    plan = next_association(CIRON, PROMPTS, tried=(3, 7), candidates=[ONE, TWO])
    assert plan == RingOperators((PROMPTS.association_unavailable,), reason="associations_unavailable")


def test_first_and_next_association() -> None:
    """The best candidate is rung first; after it, the next one not tried, announced as the next."""
    first = next_association(CIRON, PROMPTS, tried=(), candidates=[ONE, TWO])
    assert first == RingAssociation(ONE, "Je vous passe Brenne Services.", (3,))
    second = next_association(CIRON, PROMPTS, tried=(3,), candidates=[ONE, TWO])
    assert second == RingAssociation(
        TWO, "Cette association n'est pas disponible. J'essaie Mobilité Solidaire.", (3, 7)
    )


@pytest.mark.parametrize(
    ("target", "dial_status", "call_status", "after"),
    [
        ("association", "completed", "in-progress", "connected"),
        ("operators", "answered", "in-progress", "connected"),
        ("association", "no-answer", "completed", "caller_left"),
        ("operators", "busy", "completed", "caller_left"),
        ("association", "busy", "in-progress", "next_association"),
        ("association", "failed", "in-progress", "next_association"),
        ("operators", "no-answer", "in-progress", "voicemail"),
        ("operators", "", "", "voicemail"),
    ],
)
def test_after_a_dial(target: str, dial_status: str, call_status: str, after: str) -> None:
    """A connected dial ends the call's journey; otherwise the next association, or the voicemail."""
    assert after_dial(target, dial_status, call_status) == after


@pytest.mark.parametrize(
    ("dial_status", "dial_bridged", "result"),
    [
        ("completed", "true", "completed"),
        ("completed", "false", "not_accepted"),
        ("completed", None, "completed"),
        ("no-answer", "false", "no-answer"),
        ("busy", None, "busy"),
    ],
)
def test_a_dial_answered_but_not_bridged_is_not_accepted(
    dial_status: str, dial_bridged: str | None, result: str
) -> None:
    """Completed with DialBridged=false is stored as not accepted; without DialBridged the status says it."""
    assert result_of_dial(dial_status, dial_bridged) == result


def test_not_accepted_is_not_connected() -> None:
    """A dial that was not accepted sends the caller on, like one that was not answered."""
    assert after_dial("association", "not_accepted", "in-progress") == "next_association"
    assert after_dial("operators", "not_accepted", "in-progress") == "voicemail"


def test_tried_associations_round_trip_through_the_url() -> None:
    """The tried list is written as '3,7' and read back, ignoring garbage, at most MAX_TRIED long."""
    assert tried_param((3, 7)) == "3,7"
    assert parse_tried(tried_param((3, 7))) == (3, 7)
    assert parse_tried("3,x,,-1,7") == (3, 7)
    assert parse_tried("") == ()
    assert parse_tried(tried_param(tuple(range(25)))) == tuple(range(MAX_TRIED))


@pytest.mark.parametrize(("territory", "in_territory"), [("in", True), ("out", False), ("unknown", None)])
def test_observatory_fields(territory: str, in_territory: bool | None) -> None:
    """The journey's answers become the call summary's fields; in/out/unknown is True/False/None."""
    state = CallState(
        category="ENFANTS",
        postal_code="36300",
        territory=territory,
        departement="36",
        beneficiary="self",
        heard_from="town_hall",
        path="3 36300 1",
    )
    assert observatory(state) == {
        "category_code": "ENFANTS",
        "commune_insee": None,
        "postal_code": "36300",
        "in_territory": in_territory,
        "departement": "36",
        "beneficiary": "self",
        "heard_from": "town_hall",
        "menu_path": "3 36300 1",
    }


@pytest.mark.parametrize(
    ("state", "said"),
    [
        (CIRON, "Ménage, linge et entretien de la maison, commune de Ciron, pour un proche"),
        (PARIS, "Aide aux personnes âgées ou handicapées, hors du territoire, code postal 7 5 0 1 5"),
        (
            CallState(postal_code="36300", territory="unknown", beneficiary="self"),
            "code postal 3 6 3 0 0, pour lui-même",
        ),
        (CallState(), "demande à préciser"),
    ],
)
def test_describe_request_for_the_whisper(flow: Flow, state: CallState, said: str) -> None:
    """The whisper names the service, the commune (or the postal code, digit by digit) and for whom."""
    assert describe_request(state, flow) == said
