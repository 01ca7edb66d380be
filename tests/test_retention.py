"""Shredding: old identifying data is cleared and audited; the observatory's coded fields and reports stay."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner, Result
from pydantic import ValidationError
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker
from twilio.http import HttpClient
from twilio.http.response import Response

from call_log.models import Call, CallbackRequest, CallEvent, PrivacyAudit, Referral
from call_log.purge_job import DailyPurgeJob
from call_log.retention import RECORDINGS_LEFT, TOKEN_PREFIX, purge
from call_log.twilio_recordings import TwilioRecordings
from directory.models import Association
from foundation.config import Config, Retention
from foundation.db import transaction
from helpline.cli import main
from ivr.line import caller_key
from reports.aggregate import build_report
from tests.conftest import CALLER_HASH_SECRET, EXAMPLE_CONFIG, FakeClock
from tests.report_dataset import MONTH

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
NUMBER = "+33639980001"
SHOWN = "06 39 98 00 01"  # NUMBER as staff read it
OLD = datetime(2025, 6, 10, 8, 0, tzinfo=UTC)  # past every default period
RECENT = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
SID_OLD, SID_RECENT = "RE" + "1" * 32, "RE" + "2" * 32


class StubTwilioHttp(HttpClient):
    """Twilio's REST API as twilio's Client reaches it: DELETE of a recording answers 204, or `answers`."""

    def __init__(self, answers: dict[str, int] | None = None) -> None:
        """Remember the requests; `answers` gives another status for some recording SIDs."""
        super().__init__(logging.getLogger("tests.twilio"), False)
        self.answers = answers or {}
        self.requests: list[tuple[str, str]] = []

    def request(self, method: str, uri: str, *args: Any, **kwargs: Any) -> Response:
        """Answer as Twilio does: 204 for a deleted recording, a JSON error otherwise."""
        self.requests.append((method, uri))
        status = self.answers.get(uri.rsplit("/", 1)[-1].removesuffix(".json"), 204)
        if status == 204:
            return Response(204, "")
        return Response(status, json.dumps({"code": 20000 + status, "message": "refused", "status": status}))


def _call(session: Session, sid: str, at: datetime, *, recording: str) -> Call:
    association = session.scalars(select(Association)).first()
    call = Call(
        call_sid=sid,
        started_at=at,
        caller=NUMBER,
        caller_key=caller_key(NUMBER, secret=CALLER_HASH_SECRET),
        callback_number="+33639980002",
        notes="Mme Dupont, rappeler le soir",
        category_code="MAISON",
        commune_insee="36018",
        in_territory=True,
        beneficiary="relative",
        outcome="voicemail",
        caller_area="Centre-Val de Loire",
    )
    call.callbacks.append(
        CallbackRequest(
            created_at=at,
            callback_number="+33639980002",
            recording_sid=recording,
            recording_url=f"https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/{recording}",
            notes="pas de réponse",
        )
    )
    call.referrals.append(Referral(association=association, created_at=at, source="operator", notes="devis"))
    payloads = [
        ("call_started", {"caller": "+336******01", "to": "+332******00", "line": "open"}),
        ("menu_input", {"phase": "category", "speech": "du ménage chez ma mère"}),
        ("voicemail", {"recording_url": call.callbacks[0].recording_url, "recording_sid": recording}),
        ("record_updated", {"by": "olivia", "changes": {"notes": {"before": "", "after": "Mme Dupont"}}}),
    ]
    for seq, (kind, payload) in enumerate(payloads, start=1):
        call.events.append(CallEvent(seq=seq, at=at, kind=kind, payload=payload))
    session.add(call)
    return call


@pytest.fixture
def two_calls(sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    """An old call, past every period, and a recent one, both holding every kind of personal data."""
    with transaction(sessions) as session:
        _call(session, "CA" + "1" * 32, OLD, recording=SID_OLD)
        _call(session, "CA" + "2" * 32, RECENT, recording=SID_RECENT)
    return sessions


def _load(session: Session, sid: str) -> Call:
    call = session.scalars(select(Call).where(Call.call_sid == sid)).one()
    _ = call.events, call.callbacks, call.referrals
    return call


def test_purge_clears_old_identifying_data_and_keeps_the_codes(two_calls: sessionmaker[Session]) -> None:
    """Past the periods: numbers, key, recording (deleted at Twilio), notes, speech go; the codes stay."""
    http = StubTwilioHttp()
    with transaction(two_calls) as session:
        counts = purge(
            session,
            Retention(),
            now=NOW,
            tz=PARIS,
            recordings=TwilioRecordings("AC" + "0" * 32, "token", http_client=http),
        )
    assert counts == {
        "caller_numbers": 1,
        "callback_numbers": 2,
        "caller_keys": 1,
        "recordings": 1,
        RECORDINGS_LEFT: 0,
        "notes": 3,
        "transcripts": 1,
    }
    assert http.requests == [
        ("DELETE", f"https://api.twilio.com/2010-04-01/Accounts/AC{'0' * 32}/Recordings/{SID_OLD}.json")
    ]
    with two_calls() as session:
        old, recent = _load(session, "CA" + "1" * 32), _load(session, "CA" + "2" * 32)
        assert (old.caller, old.callback_number, old.notes) == ("", None, "")
        assert (old.caller_key or "").startswith(TOKEN_PREFIX)
        assert [(c.callback_number, c.recording_url, c.recording_sid, c.notes) for c in old.callbacks] == [
            ("", "", "", "")
        ]
        assert [r.notes for r in old.referrals] == [""]
        assert [e.payload for e in old.events] == [
            {"caller": None, "to": "+332******00", "line": "open"},
            {"phase": "category", "speech": None},
            {"recording_url": None, "recording_sid": SID_OLD},
            {"by": "olivia", "changes": {"notes": None}},
        ]
        kept = ("category_code", "commune_insee", "in_territory", "beneficiary", "outcome", "caller_area")
        assert [getattr(old, name) for name in kept] == [
            "MAISON",
            "36018",
            True,
            "relative",
            "voicemail",
            "Centre-Val de Loire",
        ]
        assert old.started_at == OLD
        assert (recent.caller, recent.notes) == (NUMBER, "Mme Dupont, rappeler le soir")
        assert recent.callbacks[0].recording_sid == SID_RECENT
        assert recent.events[1].payload["speech"] == "du ménage chez ma mère"


def test_purge_again_clears_nothing_more(two_calls: sessionmaker[Session]) -> None:
    """A second purge finds nothing left to clear: the counts say what changed, not what was looked at."""
    for _ in range(2):
        with transaction(two_calls) as session:
            counts = purge(session, Retention(), now=NOW, tz=PARIS, recordings=None)
    assert counts == {
        "caller_numbers": 0,
        "callback_numbers": 0,
        "caller_keys": 0,
        "recordings": 0,
        RECORDINGS_LEFT: 1,
        "notes": 0,
        "transcripts": 0,
    }


def test_a_recording_twilio_refuses_stays_to_try_again(two_calls: sessionmaker[Session]) -> None:
    """Twilio refusing a deletion leaves the recording's SID in the database; a 404 counts as deleted."""
    http = StubTwilioHttp({SID_OLD: 500})
    store = TwilioRecordings("AC" + "0" * 32, "token", http_client=http)
    with transaction(two_calls) as session:
        counts = purge(session, Retention(), now=NOW, tz=PARIS, recordings=store)
    assert (counts["recordings"], counts[RECORDINGS_LEFT]) == (0, 1)
    http.answers = {SID_OLD: 404}
    with transaction(two_calls) as session:
        counts = purge(session, Retention(), now=NOW, tz=PARIS, recordings=store)
    assert (counts["recordings"], counts[RECORDINGS_LEFT]) == (1, 0)


def test_purged_month_report_is_unchanged(october: sessionmaker[Session]) -> None:
    """The monthly report of a purged month (and of the same month a year before) is the same after."""
    months = (MONTH, "2025-10")
    with october() as session:
        before = [build_report(session, m, tz=PARIS, helpline_name="1001 services", now=NOW) for m in months]
    with transaction(october) as session:
        counts = purge(session, Retention(), now=datetime(2028, 1, 5, tzinfo=UTC), tz=PARIS, recordings=None)
    assert counts["caller_keys"] > 0
    assert counts["callback_numbers"] > 0
    with october() as session:
        after = [build_report(session, m, tz=PARIS, helpline_name="1001 services", now=NOW) for m in months]
        assert session.scalar(select(Call.caller_key).where(Call.caller_key == "k1")) is None
    assert after == before


def test_caller_keys_go_by_whole_months() -> None:
    """The keys of a month stay until the whole month is past the period, so it never counts them twice."""
    from call_log.retention import Cutoffs

    cutoffs = Cutoffs.of(Retention(identifying_days=365), now=NOW, tz=PARIS)
    assert cutoffs.identifying == NOW - timedelta(days=365)
    assert cutoffs.caller_keys == datetime(2025, 10, 31, 23, 0, tzinfo=UTC)  # 1 November 2025, Paris


def test_daily_job_runs_once_a_day_whatever_the_instances(
    two_calls: sessionmaker[Session], example_config: Config, clock: FakeClock
) -> None:
    """Two instances at the same hour: one claims the day and purges; the audit row says how many."""
    first = DailyPurgeJob(two_calls, example_config, clock, None, instance="a")
    second = DailyPurgeJob(two_calls, example_config, clock, None, instance="b")
    done = first.run()
    assert second.run() is None
    assert done is not None
    with two_calls() as session:
        rows = session.scalars(select(PrivacyAudit)).all()
        assert [(r.action, r.by, r.claim, r.status, r.counts["caller_numbers"]) for r in rows] == [
            ("purge", "tâche quotidienne a", "purge:2026-11-24", "done", 1)
        ]
    clock.advance(24 * 3600)
    assert second.run() is not None


def _cli(
    database_url: str, *args: str, env: dict[str, str] | None = None, input: str | None = None
) -> Result:
    environment = {
        "HELPLINE_DATABASE_URL": database_url,
        "HELPLINE_CONFIG": str(EXAMPLE_CONFIG),
        "TWILIO_AUTH_TOKEN": "",
        "HELPLINE_CALLER_HASH_SECRET": CALLER_HASH_SECRET,
        **(env or {}),
    }
    return CliRunner().invoke(main, list(args), env=environment, input=input, catch_exceptions=False)


def test_cli_purge_dry_run_then_purge(two_calls: sessionmaker[Session], database_url: str) -> None:
    """--dry-run says in French what would go and changes nothing; the purge then clears and is audited."""
    dry = _cli(database_url, "privacy", "purge", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "Serait effacé :\n  numéros d'appelant : 1\n  numéros de rappel : 2\n" in dry.output
    assert "  messages vocaux : 1\n" in dry.output
    assert "restent chez Twilio tant que TWILIO_ACCOUNT_SID" in dry.output
    with two_calls() as session:
        assert _load(session, "CA" + "1" * 32).caller == NUMBER
        assert session.scalars(select(PrivacyAudit)).all() == []
    done = _cli(database_url, "privacy", "purge")
    assert done.exit_code == 0, done.output
    assert "Effacé :\n  numéros d'appelant : 1\n" in done.output
    assert "messages vocaux laissés chez Twilio (à retenter) : 1" in done.output
    with two_calls() as session:
        assert _load(session, "CA" + "1" * 32).caller == ""
        [row] = session.scalars(select(PrivacyAudit)).all()
        assert (row.action, row.counts["notes"], row.counts["recordings_left"]) == ("purge", 3, 1)
        assert row.by.startswith("ligne de commande (")


def test_cli_find_exports_every_record_of_a_number(
    two_calls: sessionmaker[Session], database_url: str, tmp_path: Path
) -> None:
    """`privacy find` writes the person's calls, callbacks and referrals in French, text or JSON."""
    text_file, json_file = tmp_path / "personne.txt", tmp_path / "personne.json"
    result = _cli(database_url, "privacy", "find", "06 39 98 00 01", "--output", str(text_file))
    assert result.exit_code == 0, result.output
    assert result.output == f"2 appel(s) lié(s) au numéro {SHOWN} : écrit dans {text_file}.\n"
    text = text_file.read_text(encoding="utf-8")
    assert text.startswith(f"1001 services : données liées au numéro {SHOWN}\n\nAppel du 10/06/2025 10:00")
    assert "  paroles transcrites :\n    - du ménage chez ma mère\n" in text
    assert "  service demandé : Ménage, linge et entretien de la maison\n" in text
    assert "  orientations :\n    - date : 10/06/2025 10:00, association : " in text
    assert _cli(database_url, "privacy", "find", NUMBER, "--output", str(json_file)).exit_code == 0
    records = json.loads(json_file.read_text(encoding="utf-8"))["appels"]
    assert [r["numéro de rappel"] for r in records] == ["+33639980002", "+33639980002"]
    assert records[0]["orientations"][0]["notes"] == "devis"
    with two_calls() as session:
        assert [r.action for r in session.scalars(select(PrivacyAudit))] == ["find", "find"]


def test_cli_find_by_key_alone(two_calls: sessionmaker[Session], database_url: str, tmp_path: Path) -> None:
    """A call that kept only the caller's keyed hash (masked number, no callback) is found by it."""
    with transaction(two_calls) as session:
        for call in session.scalars(select(Call)):
            call.caller, call.callback_number = "+336******01", None
        for callback in session.scalars(select(CallbackRequest)):
            callback.callback_number = ""
    out = tmp_path / "p.json"
    assert _cli(database_url, "privacy", "find", NUMBER, "--output", str(out)).exit_code == 0
    assert len(json.loads(out.read_text(encoding="utf-8"))["appels"]) == 2
    without = _cli(
        database_url, "privacy", "find", NUMBER, "--output", str(out), env={"HELPLINE_CALLER_HASH_SECRET": ""}
    )
    assert without.output.startswith(f"0 appel(s) lié(s) au numéro {SHOWN}")
    assert "Ni HELPLINE_CALLER_HASH_SECRET ni HELPLINE_SECRET_KEY ne sont définis" in without.output


def test_cli_erase_unlinks_the_number(
    two_calls: sessionmaker[Session], database_url: str, tmp_path: Path
) -> None:
    """`privacy erase --yes` clears the person's data, keeps the codes, is audited; then nothing is found."""
    refused = _cli(database_url, "privacy", "erase", NUMBER, input="n\n")
    assert refused.exit_code == 1
    assert "effacement annulé ; rien n'a été effacé" in refused.output
    result = _cli(database_url, "privacy", "erase", NUMBER, "--yes")
    assert result.exit_code == 0, result.output
    assert result.output.startswith(
        f"2 appel(s) lié(s) au numéro {SHOWN}.\nEffacé :\n  numéros d'appelant : 2\n"
    )
    with two_calls() as session:
        calls = [_load(session, "CA" + "1" * 32), _load(session, "CA" + "2" * 32)]
        assert [(c.caller, c.callback_number, c.notes, c.category_code) for c in calls] == [
            ("", None, "", "MAISON")
        ] * 2
        assert all((c.caller_key or "").startswith(TOKEN_PREFIX) for c in calls)
        assert calls[0].caller_key != calls[1].caller_key  # two months: two tokens
        erased = session.scalars(select(PrivacyAudit).where(PrivacyAudit.action == "erase")).one()
        assert (erased.counts["calls"], erased.counts["caller_keys"]) == (2, 2)
    out = tmp_path / "after.txt"
    assert _cli(database_url, "privacy", "find", NUMBER, "--output", str(out)).output.startswith("0 appel(s)")
    assert "Aucune donnée n'est liée à ce numéro." in out.read_text(encoding="utf-8")


def test_cli_refuses_what_is_not_a_number(engine: Engine, database_url: str) -> None:
    """A NUMBER that is no phone number: one French line, exit 1."""
    result = _cli(database_url, "privacy", "erase", "bonjour", "--yes")
    assert result.exit_code == 1
    assert "« bonjour » n'est pas un numéro de téléphone" in result.output


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"recordings_days": 400}, "recordings_days (400) dépasse identifying_days (365)"),
        ({"notes_days": 0}, "il faut 1 ou plus"),
    ],
)
def test_retention_is_checked_in_french(tmp_path: Path, values: dict[str, int], message: str) -> None:
    """A retention period out of bounds fails at start with a French message naming the key."""
    import yaml

    from helpline.config import ConfigError, load_config

    data = yaml.safe_load(EXAMPLE_CONFIG.read_text(encoding="utf-8"))
    data.setdefault("privacy", {})["retention"] = values
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"privacy\.retention") as error:
        load_config(path)
    assert message in str(error.value)
    with pytest.raises(ValidationError):
        Retention(recordings_days=400)
