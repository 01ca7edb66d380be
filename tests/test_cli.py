"""The `helpline` command: database upgrade, a simulated call in the terminal, exports, the real server."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner, Result
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from call_log.models import Call
from directory.models import Association, Commune, ServiceCategory
from foundation.config import Config
from foundation.db import transaction
from helpline.cli import main
from ivr.simulator.call import CallSimulator
from ivr.simulator.callers import DialOutcome, Keys, ScriptedCaller, Speech
from ivr.simulator.transports import HttpTransport
from ivr.staff_settings import change
from tests.conftest import AUTH_TOKEN, EXAMPLE_CONFIG

EXPORT_HEADER = (
    "call_sid,started_at,ended_at,caller,status,duration_s,category,association,outcome,menu_path,"
    "commune_insee,postal_code,in_territory,departement,beneficiary,heard_from,caller_country,caller_area,"
    "after_hours,transfers,channel"
)


def run(database_url: str, *args: str, input: str | None = None, config: Path = EXAMPLE_CONFIG) -> Result:
    """Run `helpline ARGS` with the test database and config in the environment."""
    env = {"HELPLINE_DATABASE_URL": database_url, "HELPLINE_CONFIG": str(config), "TWILIO_AUTH_TOKEN": ""}
    return CliRunner().invoke(main, list(args), env=env, input=input, catch_exceptions=False)


def this_month() -> str:
    """The current month in Paris, as the CLI computes it for calls placed now."""
    from zoneinfo import ZoneInfo

    return datetime.now(ZoneInfo("Europe/Paris")).strftime("%Y-%m")


def test_db_upgrade_creates_and_loads_once(database_url: str) -> None:
    """A new database is migrated and gets the example directory; a second upgrade changes nothing."""
    first = run(database_url, "db", "upgrade")
    assert first.exit_code == 0, first.output
    assert re.search(r"^La base de données \S+ est à jour\.$", first.output, re.M)
    assert "5 associations d'exemple chargées depuis " in first.output

    second = run(database_url, "db", "upgrade")
    assert second.exit_code == 0
    assert "chargées" not in second.output

    from helpline.db import make_engine

    engine = make_engine(database_url)
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Association)) == 5
        assert session.scalar(select(func.count()).select_from(Commune)) == 61
        assert session.scalar(select(func.count()).select_from(ServiceCategory)) == 38
        assert session.get_one(Commune, "36053").name == "Ciron"
    engine.dispose()


def test_simulate_reaches_an_association_then_export_shows_the_call(
    engine: Engine, database_url: str
) -> None:
    """`helpline simulate`: press 1, the association answers; the call is then in `calls export`."""
    assert run(database_url, "line", "open").output == "La ligne est ouverte jusqu'à 'helpline line auto'.\n"
    result = run(database_url, "simulate", input="1\n36300\n:dire Ciron\n2\nr\n1\n")

    assert result.exit_code == 0, result.output
    assert "🔊 Bonjour, ici le 1001 services." in result.output
    assert "🔊 Je vous passe Brenne Aide à Domicile." in result.output
    assert "📞 Le 1001 services appelle Brenne Aide à Domicile (+33 2 61 91 20 01)…" in result.output
    assert "🔔 (annonce au correspondant) " in result.output
    assert "Appel terminé (CA" in result.output

    exported = run(database_url, "calls", "export", "--month", this_month(), "--csv", "donnees")
    assert exported.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(exported.output)))
    assert exported.output.splitlines()[0] == EXPORT_HEADER
    assert len(rows) == 1
    row = rows[0]
    assert (row["category"], row["association"], row["outcome"], row["menu_path"]) == (
        "MAISON",
        "Brenne Aide à Domicile",
        "connected_association",
        "1 36300 ~ 2",
    )
    assert (row["caller"], row["status"], row["commune_insee"]) == ("'+336******01", "completed", "36053")
    assert (row["postal_code"], row["in_territory"], row["beneficiary"], row["caller_country"]) == (
        "36300",
        "true",
        "relative",
        "FR",
    )
    assert row["transfers"] == "Brenne Aide à Domicile: completed 60 s"
    assert re.fullmatch(r"CA[0-9a-f]{32}", row["call_sid"])


@pytest.fixture
def known_calls(sessions: sessionmaker[Session]) -> None:
    """Three calls: two in March 2026 (Paris time), one in the first minutes of April in Paris."""
    with sessions() as session, session.begin():
        maison = session.get_one(Association, 1)
        session.add_all(
            [
                Call(
                    call_sid="CA" + "a" * 32,
                    started_at=datetime(2026, 3, 2, 9, 15, tzinfo=UTC),
                    ended_at=datetime(2026, 3, 2, 9, 17, 5, tzinfo=UTC),
                    caller="+336******01",
                    status="completed",
                    duration_s=125,
                    category_code="MAISON",
                    association=maison,
                    outcome="connected_association",
                    menu_path="1",
                ),
                Call(
                    call_sid="CA" + "b" * 32,
                    started_at=datetime(2026, 3, 31, 21, 59, tzinfo=UTC),
                    caller="anonymous",
                    status="in-progress",
                    menu_path="",
                ),
                Call(
                    call_sid="CA" + "c" * 32,
                    started_at=datetime(2026, 3, 31, 22, 0, tzinfo=UTC),
                    caller="+336******02",
                    status="completed",
                    duration_s=40,
                    outcome="abandoned_in_menu",
                    menu_path="8 9",
                ),
            ]
        )


@pytest.mark.usefixtures("known_calls")
def test_export_csv_has_stable_columns_and_month_bounds(engine: Engine, database_url: str) -> None:
    """The month is taken in Paris time: 31 March 23:59 is March, 1 April 00:00 is April."""
    result = run(database_url, "calls", "export", "--month", "2026-03", "--format", "csv", "--csv", "donnees")

    assert result.exit_code == 0
    assert result.output == (
        f"{EXPORT_HEADER}\n"
        f"{'CA' + 'a' * 32},2026-03-02T09:15:00Z,2026-03-02T09:17:05Z,'+336******01,completed,125,MAISON,"
        "Brenne Aide à Domicile,connected_association,1,,,,,,,,,false,,ivr\n"
        f"{'CA' + 'b' * 32},2026-03-31T21:59:00Z,,anonymous,in-progress,,,,,,,,,,,,,,false,,ivr\n"
    )


@pytest.mark.usefixtures("known_calls")
def test_export_json(engine: Engine, database_url: str) -> None:
    """JSON export: the same columns, missing values as null."""
    result = run(database_url, "calls", "export", "--month", "2026-04", "--format", "json")

    assert result.exit_code == 0
    assert json.loads(result.output) == [
        {
            "call_sid": "CA" + "c" * 32,
            "started_at": "2026-03-31T22:00:00Z",
            "ended_at": None,
            "caller": "+336******02",
            "status": "completed",
            "duration_s": 40,
            "category": None,
            "association": None,
            "outcome": "abandoned_in_menu",
            "menu_path": "8 9",
            "commune_insee": None,
            "postal_code": None,
            "in_territory": None,
            "departement": None,
            "beneficiary": None,
            "heard_from": None,
            "caller_country": "",
            "caller_area": "",
            "after_hours": False,
            "transfers": "",
            "channel": "ivr",
        }
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["calls", "export"], "Il manque l'option '--month'"),
        (["calls", "export", "--month", "2026-03", "--format", "xml"], "Valeur invalide pour '--format'"),
        (["serve", "--port", "0"], "Valeur invalide pour '--port'"),
    ],
)
def test_bad_arguments_exit_non_zero_with_one_clear_line(
    tmp_path: Path, args: list[str], message: str
) -> None:
    """Arguments click itself refuses print what is wrong and exit 2."""
    result = run(f"sqlite:///{tmp_path / 'x.sqlite3'}", *args)
    assert result.exit_code == 2
    assert message in result.output


@pytest.mark.parametrize("month", ["2026-13", "March"])
def test_a_bad_month_is_refused_in_french(tmp_path: Path, month: str) -> None:
    """A month that is not YYYY-MM: one French line saying what a month looks like, exit 1."""
    result = run(f"sqlite:///{tmp_path / 'x.sqlite3'}", "calls", "export", "--month", month)
    assert result.exit_code == 1
    assert result.output == f"helpline: --month : « {month} » n'est pas un mois comme 2026-03\n"


def test_bad_config_stops_every_command(tmp_path: Path) -> None:
    """A broken config.yaml stops the command with the YAML path of the mistake."""
    config = tmp_path / "config.yaml"
    config.write_text(
        EXAMPLE_CONFIG.read_text(encoding="utf-8").replace("key: 4", "key: 12"), encoding="utf-8"
    )
    result = run(f"sqlite:///{tmp_path / 'x.sqlite3'}", "db", "upgrade", config=config)
    assert result.exit_code == 1
    assert "menu.options[3].key : « 12 » n'est pas une seule touche de 0 à 9" in result.output


def test_database_not_migrated_says_what_to_run(tmp_path: Path) -> None:
    """Exporting from a database that was never upgraded says to run `helpline db upgrade`."""
    result = run(f"sqlite:///{tmp_path / 'empty.sqlite3'}", "calls", "export", "--month", "2026-03")
    assert result.exit_code == 1
    assert "lancez 'helpline db upgrade'" in result.output


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def server(engine: Engine, database_url: str) -> Iterator[str]:
    """`helpline serve` running for real (gunicorn) on a free local port, with signature checks on."""
    run(database_url, "line", "open")  # whatever the time of the test run
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = os.environ | {
        "HELPLINE_DATABASE_URL": database_url,
        "HELPLINE_CONFIG": str(EXAMPLE_CONFIG),
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "HELPLINE_PUBLIC_URL": base,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "helpline", "serve", "--port", str(port), "--workers", "1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            # Refused until gunicorn listens, slow while the worker loads the app.
            except (requests.ConnectionError, requests.Timeout):
                pass
            assert process.poll() is None, process.stdout.read() if process.stdout else ""
            assert time.monotonic() < deadline, "the server did not start within 30 s"
            time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout:
            process.stdout.close()


def test_served_over_http(server: str, sessions: sessionmaker[Session]) -> None:
    """The real server answers a whole simulated call over HTTP, signatures checked."""
    simulator = CallSimulator(HttpTransport(), base_url=server, auth_token=AUTH_TOKEN, to="+33261911000")
    call = simulator.place_call(
        ScriptedCaller(
            [Keys("6"), Keys("36290"), Speech("Mézières"), Keys("1")], dials=[DialOutcome("completed", 30)]
        )
    )

    assert call.heard[-1] == "Je vous passe Mobilité Solidaire Brenne."
    assert (
        CallSimulator(HttpTransport(), base_url=server, auth_token="wrong").post("/ivr/voice", {}).status
        == 403
    )
    with sessions() as session:
        logged = session.scalars(select(Call)).one()
        assert (logged.call_sid, logged.outcome) == (call.call_sid, "connected_association")


def test_line_override_from_the_cli(engine: Engine, database_url: str) -> None:
    """Staff close the line with their message and lift it again from the CLI; status says which holds."""
    closed = run(
        database_url, "line", "close", "--message", "Fermé pour l'inventaire.", "--until", "2099-01-01T09:00"
    )
    assert closed.output == "La ligne est fermée jusqu'au 01/01/2099 à 09:00.\n"
    status = run(database_url, "line", "status")
    assert status.output.splitlines() == [
        "La ligne est fermée par l'équipe. "
        "Horaires : du lundi au vendredi de 9 h à 12 h 30 et de 13 h 30 à 17 h 30.",
        "L'équipe a fermé la ligne jusqu'au 01/01/2099 à 09:00.",
        "Réouverture le 01/01/2099 à 09:00.",
    ]
    assert run(database_url, "line", "auto").output == "La ligne suit à nouveau ses horaires.\n"
    assert "L'équipe a" not in run(database_url, "line", "status").output


def test_line_override_needs_a_date(engine: Engine, database_url: str) -> None:
    """A --until that is not a date and time is refused with what is expected."""
    result = run(database_url, "line", "open", "--until", "tomorrow")
    assert result.exit_code == 1
    assert result.output == (
        "helpline: --until : « tomorrow » n'est pas une date et une heure comme 2026-12-24T18:00\n"
    )


def test_line_status_says_the_hours_staff_set(
    engine: Engine, database_url: str, sessions: sessionmaker[Session], example_config: Config
) -> None:
    """`line status` reads the hours staff set in the console, not config.yaml's."""
    with transaction(sessions) as session:
        change(
            session,
            example_config,
            lambda document: document.update(hours={"mon": ["09:00-10:00"]}),
            by="sam",
            now=datetime.now(UTC),
            summary="Horaires",
        )
    status = run(database_url, "line", "status")
    assert "Horaires : le lundi de 9 h à 10 h." in status.output
