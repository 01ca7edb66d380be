"""What each voice webhook asks of the database: one short transaction per logged step.

A webhook that writes reads the settings' version in its own write transaction. Two steps make two: the
call's first request reads the line's override first (it decides what the call hears, and so what is
written), and the answer that transfers logs the answer, then routes and logs the transfer (the route
needs the flow of the settings the first transaction read).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from flask import Flask
from sqlalchemy import event

from ivr.simulator.call import CallSimulator
from ivr.simulator.callers import ScriptedCaller
from ivr.simulator.transports import FlaskClientTransport
from tests.conftest import AUTH_TOKEN, PUBLIC_URL
from tests.test_calls import ANSWER, HELPLINE_NUMBER, journey


class CountingTransport(FlaskClientTransport):
    """The in-process transport, counting the transactions and statements each webhook made."""

    def __init__(self, app: Flask) -> None:
        super().__init__(app.test_client())
        self.counts = Counter[str]()
        self.steps: list[tuple[str, int, int]] = []
        engine = app.extensions["helpline"].engine
        event.listen(engine, "begin", lambda _connection: self.counts.update(["begin"]))
        event.listen(engine, "before_cursor_execute", self._statement)

    def _statement(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.startswith(("BEGIN", "PRAGMA", "SELECT set_config")):
            self.counts.update(["sql"])

    def post(self, url: str, params: dict[str, str], headers: dict[str, str]):  # type: ignore[no-untyped-def]
        before = self.counts.copy()
        response = super().post(url, params, headers)
        path = url.split("?")[0].removeprefix(PUBLIC_URL)
        self.steps.append((path, self.counts["begin"] - before["begin"], self.counts["sql"] - before["sql"]))
        return response


def test_each_logged_step_makes_one_transaction(app: Flask) -> None:
    """A call put through to an association: every step after the first waits for the database once."""
    transport = CountingTransport(app)
    simulator = CallSimulator(transport, base_url=PUBLIC_URL, auth_token=AUTH_TOKEN, to=HELPLINE_NUMBER)
    simulator.place_call(ScriptedCaller(journey("1"), dials=[ANSWER]))  # warms the process's caches
    transport.steps.clear()

    simulator.place_call(ScriptedCaller(journey("1"), dials=[ANSWER]))
    assert [(path, begins) for path, begins, _ in transport.steps] == [
        ("/ivr/voice", 2),  # the override and the settings' version, then the call
        *[("/ivr/menu", 1)] * 3,
        ("/ivr/menu", 2),  # the answer, then the transfer with its routing
        ("/ivr/whisper", 1),  # reads the settings' version only
        ("/ivr/whisper-answer", 1),
        ("/ivr/dial-result", 1),
        ("/ivr/status", 1),
    ]
    statements = {path: sql for path, _, sql in transport.steps}
    # The override and the version; then the version, the call's INSERT (its caller's key in it, no UPDATE
    # after it) and its first event.
    assert statements["/ivr/voice"] == 4, transport.steps
    assert statements["/ivr/status"] <= 5, transport.steps
    assert max(sql for path, _, sql in transport.steps[1:4]) <= 4, transport.steps  # a plain menu answer
