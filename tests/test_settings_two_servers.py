"""Two server processes on one database: a change staff make through one is heard on a call the other
answers, with no restart (each process checks the newest settings version on every call)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import requests
from sqlalchemy.orm import Session, sessionmaker

from console.accounts import create_user
from foundation.db import transaction
from ivr.hours import Override
from ivr.line import set_override
from ivr.simulator.call import CallSimulator
from ivr.simulator.callers import DialOutcome, HangUp, Keys, ScriptedCaller
from ivr.simulator.transports import HttpTransport
from tests.conftest import AUTH_TOKEN
from tests.live_server import LiveServer, live_server, server_env

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
PASSWORD = "correct horse battery"


class Staff:
    """A staff member's browser on one server: the session cookie kept by hand, since the console's
    cookies are Secure and requests sends those over https only."""

    def __init__(self, server: LiveServer) -> None:
        self.base, self.cookies = server.url, {}
        self.post("/login", {"username": "sam", "password": PASSWORD})

    def _send(self, method: str, path: str, data: dict[str, str] | None = None) -> requests.Response:
        cookie = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        response = requests.request(
            method, self.base + path, data=data, headers={"Cookie": cookie}, allow_redirects=False, timeout=10
        )
        self.cookies.update(response.cookies.get_dict())
        return response

    def post(self, path: str, data: dict[str, str]) -> requests.Response:
        """POST a form with the CSRF token of the page it belongs to."""
        page = self._send("GET", path.rsplit("/", 1)[0] if path.count("/") > 2 else path)
        token = _CSRF.search(page.text)
        assert token is not None, f"no CSRF token on {path}: {page.status_code}"
        response = self._send("POST", path, {**data, "csrf_token": token.group(1)})
        assert response.status_code == 302, response.text
        return response


def _greeting(server: LiveServer) -> str:
    simulator = CallSimulator(HttpTransport(), base_url=server.url, auth_token=AUTH_TOKEN, to="+33261911000")
    return simulator.place_call(ScriptedCaller([HangUp()])).heard[0]


def _operators_rung(server: LiveServer) -> list[str]:
    simulator = CallSimulator(HttpTransport(), base_url=server.url, auth_token=AUTH_TOKEN, to="+33261911000")
    call = simulator.place_call(ScriptedCaller([Keys("0")], dials=[DialOutcome("completed", 5)]))
    return call.dialled[0].numbers


def test_a_change_made_through_one_server_is_heard_on_a_call_the_other_answers(
    tmp_path: Path, database_url: str, sessions: sessionmaker[Session]
) -> None:
    with transaction(sessions) as session:
        # Open whatever the time of the test run; staff's account.
        set_override(session, Override("open"), by="test", now=datetime.now(UTC))
        create_user(
            session,
            username="sam",
            password=PASSWORD,
            role="staff",
            display_name="Sam",
            now=datetime.now(UTC),
        )
    env = server_env(tmp_path, database_url)
    with (
        live_server(env, workers=1, log_path=tmp_path / "one.log") as one,
        live_server(env, workers=1, log_path=tmp_path / "other.log") as other,
    ):
        # The other server has answered a call already: it holds the settings of that moment.
        assert _greeting(other) == "Bonjour, ici le 1001 services."
        assert _operators_rung(other) == ["+33261911001", "+33261911002"]

        staff = Staff(one)
        staff.post("/settings/prompts/menu.greeting", {"text": "Bonjour, ici le 1001 services de la Brenne."})
        assert _greeting(other) == "Bonjour, ici le 1001 services de la Brenne."
        staff.post("/duty", {"phone": "+33261911001", "on_duty": "0"})
        assert _operators_rung(other) == ["+33261911002"]
        staff.post("/settings/line", {"mode": "closed", "message": "Fermé pour l'inventaire."})
        assert _greeting(other) == "Fermé pour l'inventaire."
