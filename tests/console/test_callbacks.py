"""The callback queue: voicemails oldest first, overdue ones highlighted, taken and worked by one operator."""

from __future__ import annotations

import re
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from call_log.models import Call, CallbackRequest, CallEvent
from ivr.simulator.call import CallSimulator
from ivr.simulator.callers import DialOutcome, Keys, RecordOutcome, ScriptedCaller
from tests.conftest import FakeClock
from tests.console.conftest import Browser


def leave_voicemail(simulator: CallSimulator, read_call: Callable[[str], Call], seconds: int = 25) -> Call:
    """A caller presses 0, no operator answers, they confirm their number and leave a message."""
    placed = simulator.place_call(
        ScriptedCaller(
            [Keys("0"), Keys("1")],
            dials=[DialOutcome("no-answer")],
            records=[RecordOutcome(duration_s=seconds)],
        )
    )
    call = read_call(placed.call_sid)
    assert len(call.callbacks) == 1, "the voicemail webhook queues a callback request"
    return call


def queue_rows(html: str) -> list[str]:
    """The ids of the queue's rows, in page order, with ' overdue' when highlighted."""
    return [
        f"{number}{' overdue' if classes.strip() == 'overdue' else ''}"
        for number, classes in re.findall(r'<tr id="callback-(\d+)" class="([^"]*)">', html)
    ]


def test_queue_is_oldest_first_with_overdue_highlighted(
    as_operator: Browser, simulator: CallSimulator, read_call: Callable[[str], Call], clock: FakeClock
) -> None:
    """Requests are listed oldest first; past half a day of opening hours they are marked overdue."""
    first = leave_voicemail(simulator, read_call)  # Tuesday 10:00 in Paris
    clock.advance(3600)
    second = leave_voicemail(simulator, read_call)  # 11:00
    ids = [str(first.callbacks[0].id), str(second.callbacks[0].id)]

    page = as_operator.text("/callbacks")
    assert queue_rows(page) == ids
    assert "à rappeler avant 24/11 15:00" in page  # 10:00-12:30, then 13:30-15:00: four opening hours
    assert f'src="{first.callbacks[0].recording_url}.mp3"' in page
    assert '<a href="tel:+33639980001">06 39 98 00 01</a>' in page

    clock.advance(4 * 3600)  # 15:00: the first is due now, not yet late
    assert queue_rows(as_operator.text("/callbacks")) == ids
    clock.advance(1)
    page = as_operator.text("/callbacks")
    assert queue_rows(page) == [f"{ids[0]} overdue", ids[1]]
    assert "En retard" in page
    assert "dont 1 en retard" in as_operator.text("/")


def test_take_retry_then_done(
    as_operator: Browser,
    browser_factory: Callable[[str], Browser],
    simulator: CallSimulator,
    read_call: Callable[[str], Call],
    sessions: sessionmaker[Session],
    clock: FakeClock,
) -> None:
    """An operator takes a request (others cannot), retries it, then closes it; each step is a call event."""
    call = leave_voicemail(simulator, read_call)
    request_id = call.callbacks[0].id
    assert as_operator.post(f"/callbacks/{request_id}/take", {}, token_from="/callbacks").status_code == 302

    colleague = browser_factory("sam")
    assert "Pris par olivia" in colleague.text("/callbacks")
    colleague.post(f"/callbacks/{request_id}/take", {}, token_from="/callbacks")
    colleague.post(f"/callbacks/{request_id}/result", {"result": "done"}, token_from="/callbacks")
    assert "Ce rappel est pris par quelqu&#39;un d&#39;autre, ou déjà terminé." in colleague.text(
        "/callbacks"
    )
    with sessions() as session:
        request = session.get_one(CallbackRequest, request_id)
        assert (request.state, request.assigned_to, request.attempts) == ("in_progress", "olivia", 0)

    clock.advance(300)
    retried = as_operator.post(
        f"/callbacks/{request_id}/result",
        {"result": "retry", "notes": "Messagerie pleine. Essayer le 02 54 37 00 17."},
        token_from="/callbacks",
    )
    assert retried.status_code == 302
    with sessions() as session:
        request = session.get_one(CallbackRequest, request_id)
        assert (request.state, request.assigned_to, request.attempts) == ("retry", None, 1)
        assert request.notes == "Messagerie pleine. Essayer le 02 54 37 00 17."
    assert "À réessayer" in as_operator.text("/callbacks")

    colleague.post(f"/callbacks/{request_id}/take", {}, token_from="/callbacks")
    clock.advance(300)
    assert (
        colleague.post(
            f"/callbacks/{request_id}/result", {"result": "done"}, token_from="/callbacks"
        ).status_code
        == 302
    )
    page = colleague.text("/callbacks")
    assert "Aucun message à rappeler." in page
    assert f'<tr id="closed-{request_id}">' in page

    with sessions() as session:
        request = session.get_one(CallbackRequest, request_id)
        assert (request.state, request.assigned_to, request.attempts, request.updated_at) == (
            "done",
            "sam",
            2,
            clock(),
        )
        events = session.scalars(
            select(CallEvent)
            .where(CallEvent.call_id == call.id, CallEvent.kind == "callback_updated")
            .order_by(CallEvent.seq)
        ).all()
    assert [(e.payload["by"], e.payload["changes"]["state"]) for e in events] == [
        ("olivia", {"before": "open", "after": "in_progress"}),
        ("olivia", {"before": "in_progress", "after": "retry"}),
        ("sam", {"before": "retry", "after": "in_progress"}),
        ("sam", {"before": "in_progress", "after": "done"}),
    ]
    # The request keeps the number typed; the call's history masks it.
    assert [e.payload.get("notes") for e in events] == [
        None,
        "Messagerie pleine. Essayer le 025*****17.",
        None,
        None,
    ]
    history = as_operator.text(f"/calls/{call.id}")
    assert "Messagerie pleine. Essayer le 025*****17." in history
    assert "État : <del>À réessayer</del> → <ins>En cours</ins>" in history


def test_given_up_callback_leaves_the_queue(
    as_operator: Browser,
    simulator: CallSimulator,
    read_call: Callable[[str], Call],
    sessions: sessionmaker[Session],
) -> None:
    """'Injoignable' closes the request; it cannot be worked again."""
    call = leave_voicemail(simulator, read_call)
    request_id = call.callbacks[0].id
    assert (
        as_operator.post(
            f"/callbacks/{request_id}/result", {"result": "no_answer"}, token_from="/callbacks"
        ).status_code
        == 302
    )
    as_operator.post(f"/callbacks/{request_id}/take", {}, token_from="/callbacks")
    with sessions() as session:
        assert session.get_one(CallbackRequest, request_id).state == "no_answer"
    assert as_operator.post("/callbacks/999/take", {}, token_from="/callbacks").status_code == 404
