"""The public site when the database is locked or gone: a request sent is thanked, kept in the journal and
recorded once the database is back (once, however often it is replayed); pages say so in French."""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from call_log.codes import CallbackState, ReferralSource
from foundation.config import Smtp
from foundation.journal import Replayed
from foundation.runtime import Runtime
from foundation.settings import Settings
from helpline.db import sqlite_file
from helpline.replay import replay_journal
from tests.public.conftest import MakeClient
from tests.public.test_web_form import REQUEST, SENDER, send, web_calls
from tests.report_mail import Mailbox
from tests.sqlite_faults import WriteLock, file_fault


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """SQLite only: its write lock and its file are what these tests take away."""
    return f"sqlite:///{tmp_path / 'helpline.sqlite3'}"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """A short database budget, as in production: a locked database is given up on within a second."""
    return replace(settings, database_budget_s=1.0)


@pytest.fixture
def database_file(database_url: str) -> Path:
    """The SQLite file."""
    path = sqlite_file(database_url)
    assert path is not None
    return path


@pytest.fixture
def locked(engine: object, database_file: Path) -> Iterator[WriteLock]:
    """The write lock, held by another connection from the start of the test (released at its end)."""
    lock = WriteLock(database_file)
    yield lock
    with contextlib.suppress(sqlite3.ProgrammingError):  # released by the test
        lock.release()


def runtime_of(client: FlaskClient) -> Runtime:
    """The runtime of the client's app."""
    found: Runtime = client.application.extensions["helpline"]
    return found


def test_a_request_sent_while_the_database_is_locked_is_recorded_once_it_is_free(
    make_client: MakeClient, sessions: sessionmaker[Session], locked: WriteLock, tmp_path: Path
) -> None:
    """The person is thanked at once; the request waits in the journal, then becomes the same contact a
    request sent on a good day does; a replay made twice records it once."""
    client = make_client(mode="queue")
    response = send(client, REQUEST)
    assert (response.status_code, response.headers["Location"]) == (302, "/demande/merci")
    rt = runtime_of(client)
    assert rt.journal.backlog().pending == 1
    saved = tmp_path / "saved"
    shutil.copytree(rt.journal.directory, saved)
    locked.release()
    assert web_calls(sessions) == []

    assert replay_journal(rt) == Replayed(1, 0, 0)
    [call] = web_calls(sessions)
    assert (call.category_code, call.commune_insee, call.beneficiary, call.heard_from) == (
        "MAISON",
        "36053",
        "relative",
        "internet",
    )
    assert (call.callback_number, call.caller) == ("+33639980001", "+336******01")
    assert call.caller_key is not None
    assert call.notes is not None
    assert call.notes.startswith("Demande reçue par le formulaire en ligne.\nCourriel : camille.martin@")
    [callback] = call.callbacks
    assert (callback.state, callback.callback_number) == (CallbackState.OPEN, "+33639980001")

    shutil.rmtree(rt.journal.directory)
    shutil.copytree(saved, rt.journal.directory)
    assert replay_journal(rt) == Replayed(1, 0, 0)
    assert [c.id for c in web_calls(sessions)] == [call.id]


def test_a_request_whose_transaction_did_commit_is_not_recorded_twice(
    make_client: MakeClient, sessions: sessionmaker[Session]
) -> None:
    """A request kept in the journal although its contact was written (a commit whose answer was lost)."""
    client = make_client(mode="queue")
    assert send(client, REQUEST).status_code == 302
    [call] = web_calls(sessions)
    rt = runtime_of(client)
    fields = {name: value if isinstance(value, list) else [value] for name, value in REQUEST.items()}
    rt.journal.append(
        "web_request", {"id": call.call_sid.removeprefix("MN"), "fields": fields}, at=call.started_at
    )
    assert replay_journal(rt) == Replayed(1, 0, 0)
    assert [c.id for c in web_calls(sessions)] == [call.id]


def test_the_acknowledgement_goes_once_the_request_is_recorded(
    make_client: MakeClient, sessions: sessionmaker[Session], locked: WriteLock, mailbox: Mailbox
) -> None:
    """Refer mode: after the outage, the referral the form would have made, and the e-mail naming it."""
    client = make_client(mode="refer", smtp=Smtp(host="127.0.0.1", port=mailbox.port, sender=SENDER))
    assert send(client, REQUEST).status_code == 302
    locked.release()
    assert mailbox.messages == []
    assert replay_journal(runtime_of(client)) == Replayed(1, 0, 0)
    [call] = web_calls(sessions)
    [referral] = call.referrals
    assert referral.association is not None
    assert (referral.association.name, referral.source) == ("Brenne Aide à Domicile", ReferralSource.WEB)
    [received] = mailbox.wait(1)
    assert "Nous l'avons transmise à Brenne Aide à Domicile" in received.message.get_content()


def test_a_request_that_is_not_right_is_queued_as_typed(
    make_client: MakeClient, sessions: sessionmaker[Session], locked: WriteLock
) -> None:
    """Checked only once the database is back, a commune that is none is not lost: the request waits for
    the operators, with what was typed and what to check in its notes."""
    client = make_client(mode="refer")
    assert send(client, {**REQUEST, "commune": "Cirron"}).status_code == 302
    locked.release()
    assert replay_journal(runtime_of(client)) == Replayed(1, 0, 0)
    [call] = web_calls(sessions)
    assert (call.category_code, call.commune_insee, call.callback_number) == ("MAISON", None, "+33639980001")
    assert call.referrals == []
    [callback] = call.callbacks
    assert callback.state == CallbackState.OPEN
    assert call.notes is not None
    assert call.notes.splitlines()[:3] == [
        "Demande reçue par le formulaire en ligne.",
        "Reçue pendant une panne, la demande n'a pas pu être vérifiée à l'envoi :",
        "La commune de la personne qui a besoin du service : « Cirron » (« Cirron » n'est pas une commune "
        "du territoire : choisissez-la dans la liste, ou « Hors territoire ».)",
    ]


def test_public_pages_without_their_database_say_so_in_french(
    make_client: MakeClient, database_file: Path
) -> None:
    """503, the helpline's number to call instead; no Werkzeug page, no English."""
    client = make_client(mode="queue")
    client.application.config["PROPAGATE_EXCEPTIONS"] = False  # as served, not as tested
    with file_fault(database_file, "missing"):
        for path in ("/demande", "/trouver?service=MAISON&commune=Ciron+%2836300%29"):
            response = client.get(path)
            page = response.get_data(as_text=True)
            assert response.status_code == 503, path
            assert "Le site est momentanément indisponible." in page
            assert 'href="tel:+33261911000"' in page
            assert "Internal Server Error" not in page


def test_the_rate_limit_holds_while_the_database_cannot_count(
    make_client: MakeClient, locked: WriteLock
) -> None:
    """Five requests an hour per address go to the journal; the sixth gets the French 429 page."""
    client = make_client(mode="queue")
    answers = [send(client, REQUEST, address="192.0.2.77").status_code for _ in range(6)]
    assert answers == [302] * 5 + [429]
    assert runtime_of(client).journal.backlog().pending == 5
    assert send(client, REQUEST, address="192.0.2.78").status_code == 302
