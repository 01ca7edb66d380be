"""`helpline report`, `helpline report send`, `helpline demo-data`, and the reports section of config.yaml."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from datetime import datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from click.testing import CliRunner, Result
from openpyxl import load_workbook
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from call_log.models import Call, Referral, TransferAttempt
from directory.reference import category_codes
from foundation.db import transaction
from helpline.cli import main
from helpline.config import ConfigError, parse_config
from reports.months import shift_month
from tests.conftest import EXAMPLE_CONFIG
from tests.report_mail import RECIPIENTS, Mailbox

PARIS = ZoneInfo("Europe/Paris")


def run(database_url: str, *args: str, config: Path = EXAMPLE_CONFIG) -> Result:
    """Run `helpline ARGS` with the test database and a config file in the environment."""
    env = {"HELPLINE_DATABASE_URL": database_url, "HELPLINE_CONFIG": str(config), "TWILIO_AUTH_TOKEN": ""}
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def config_file(tmp_path: Path, reports: dict[str, Any]) -> Path:
    """The example config.yaml with a reports section, written to a file."""
    data = yaml.safe_load(EXAMPLE_CONFIG.read_text(encoding="utf-8"))
    data["reports"] = reports
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _html(content: bytes) -> None:
    assert content.startswith(b"<!doctype html>")
    assert b"<strong>Octobre 2026</strong>" in content


def _csv(content: bytes) -> None:
    records = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))
    calls = [r["Valeur"] for r in records if r["Tableau"] == "Chiffres clés" and r["Indicateur"] == "Appels"]
    assert calls[0] == "10"


def _xlsx(content: bytes) -> None:
    assert load_workbook(io.BytesIO(content))["Chiffres clés"]["C2"].value == 10


def _opendata(content: bytes) -> None:
    lines = content.decode().splitlines()
    assert lines[0] == "month,category_code,category_label,commune_insee,commune_name,calls,suppressed"
    assert len(lines) == 5


@pytest.mark.parametrize(
    ("fmt", "check"), [("html", _html), ("csv", _csv), ("xlsx", _xlsx), ("opendata", _opendata)]
)
def test_report_writes_each_format(
    october: sessionmaker[Session],
    database_url: str,
    tmp_path: Path,
    fmt: str,
    check: Callable[[bytes], None],
) -> None:
    """--format and --output: the file holds the month's report in that format."""
    output = tmp_path / f"octobre.{fmt}"
    result = run(database_url, "report", "--month", "2026-10", "--format", fmt, "--output", str(output))
    assert result.exit_code == 0, result.output
    assert re.search(rf"^{re.escape(str(output))} écrit \([0-9\u202f]+ octets\)\.$", result.stderr, re.M)
    assert "Rapport 2026-10" in result.stderr  # the progress bar's label
    check(output.read_bytes())


def test_report_default_name_and_standard_output(
    october: sessionmaker[Session], database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without --output the file is named after the month; '-' writes to standard output."""
    monkeypatch.chdir(tmp_path)
    assert run(database_url, "report", "--month", "2026-10", "--format", "csv").exit_code == 0
    _csv((tmp_path / "demande-2026-10.csv").read_bytes())
    result = run(database_url, "report", "--month", "2026-10", "--format", "opendata", "--output", "-")
    assert result.exit_code == 0
    _opendata(result.stdout_bytes)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--month", "2026-13"], "helpline: --month : « 2026-13 » n'est pas un mois comme 2026-03\n"),
        (["--month", "oct"], "helpline: --month : « oct » n'est pas un mois comme 2026-03\n"),
        (
            ["--month", "2026-10", "--output", "/nonexistent/dir/r.html"],
            "helpline: impossible d'écrire /nonexistent/dir/r.html : fichier ou dossier introuvable\n",
        ),
    ],
)
def test_report_bad_arguments_say_what_is_wrong(
    engine: Engine, database_url: str, args: list[str], message: str
) -> None:
    """A bad month or an unwritable file: one line on stderr, exit status 1."""
    result = run(database_url, "report", *args)
    assert result.exit_code == 1
    assert result.stderr.endswith(message)
    assert result.stderr.count("helpline:") == 1


def test_report_on_a_database_not_migrated(tmp_path: Path) -> None:
    """An empty database: one line saying to run 'helpline db upgrade'."""
    result = run(f"sqlite:///{tmp_path / 'empty.sqlite3'}", "report", "--month", "2026-10", "--output", "-")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == (
        "helpline: la base de données n'est pas prête (fichier introuvable, ou base sans ses tables) ; "
        "vérifiez HELPLINE_DATABASE_URL et lancez 'helpline db upgrade'"
    )


def test_report_send_mails_the_month_now(
    october: sessionmaker[Session], database_url: str, tmp_path: Path, mailbox: Mailbox
) -> None:
    """`report send` builds, stores and mails at once; without recipients it says what to configure."""
    config = config_file(
        tmp_path,
        {
            "recipients": RECIPIENTS,
            "output_dir": str(tmp_path / "out"),
            "smtp": {"host": "127.0.0.1", "port": mailbox.port, "sender": "rapports@example.org"},
        },
    )
    result = run(database_url, "report", "send", "--month", "2026-10", config=config)
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f"Rapport 2026-10 : 4 fichiers rangés dans {tmp_path / 'out' / '2026-10'}, "
        "envoyés à observatoire@example.org, direction@example.org.\n"
    )
    (received,) = mailbox.wait(1)
    assert [part.get_filename() for part in received.message.iter_attachments()] == [
        "demande-2026-10.html",
        "demande-2026-10.csv",
        "demande-2026-10.xlsx",
    ]
    nobody = run(database_url, "report", "send", "--month", "2026-10")
    assert nobody.exit_code == 1
    assert nobody.stderr == (
        f"helpline: reports.recipients est vide dans {EXAMPLE_CONFIG} : "
        "indiquez qui doit recevoir le rapport\n"
    )


def test_demo_data_fills_a_realistic_month(
    engine: Engine, database_url: str, sessions: sessionmaker[Session]
) -> None:
    """N calls over M whole months, with transfers and referrals; the report of the last month reads them."""
    result = run(database_url, "demo-data", "--calls", "900", "--months", "3", "--seed", "7")
    assert result.exit_code == 0, result.output
    last = shift_month(datetime.now(PARIS).strftime("%Y-%m"), -1)
    assert result.stdout == f"900 appels fictifs ajoutés, de {shift_month(last, -2)} à {last}.\n"
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Call)) == 900
        assert session.scalar(select(func.count()).select_from(TransferAttempt)) > 300
        assert session.scalar(select(func.count()).select_from(Referral)) > 200
        by_beneficiary = dict(
            session.execute(select(Call.beneficiary, func.count()).group_by(Call.beneficiary)).all()
        )
        places = dict(
            session.execute(select(Call.in_territory, func.count()).group_by(Call.in_territory)).all()
        )
    # Most callers call for a relative, and most of the needs are in the park.
    assert max(by_beneficiary, key=lambda key: by_beneficiary[key]) == "relative"
    assert places[True] > places[False] + places[None]
    # The ids the demo chose left the database able to number new calls (PostgreSQL's sequences).
    with transaction(sessions) as session:
        session.add(Call(call_sid="CAafterdemo", started_at=datetime.now(PARIS)))
    report = run(
        database_url, "report", "--month", last, "--format", "csv", "--csv", "donnees", "--output", "-"
    )
    assert report.exit_code == 0
    calls = [
        r
        for r in csv.DictReader(io.StringIO(report.stdout))
        if r["table"] == "trend" and r["measure"] == "calls"
    ]
    assert sum(int(r["value"]) for r in calls) == 900


def test_demo_data_is_the_same_for_the_same_seed(
    engine: Engine, database_url: str, sessions: sessionmaker[Session]
) -> None:
    """Two runs with one seed add the same calls (ids and sids apart)."""
    for _ in range(2):
        assert (
            run(database_url, "demo-data", "--calls", "200", "--months", "2", "--seed", "11").exit_code == 0
        )
    with sessions() as session:
        rows = session.execute(
            select(Call.started_at, Call.category_code, Call.outcome, Call.commune_insee).order_by(Call.id)
        ).all()
    assert [tuple(row) for row in rows[:200]] == [tuple(row) for row in rows[200:]]


# --- config.yaml ------------------------------------------------------------------------------------


def _config_error(reports: dict[str, Any]) -> str:
    data = yaml.safe_load(EXAMPLE_CONFIG.read_text(encoding="utf-8"))
    data["reports"] = reports
    with pytest.raises(ConfigError) as caught:
        parse_config(yaml.safe_dump(data, allow_unicode=True), categories=category_codes())
    return str(caught.value)


@pytest.mark.parametrize(
    ("reports", "message"),
    [
        (
            {"recipients": ["observatoire"]},
            "reports.recipients[0] : « observatoire » n'est pas une adresse de courriel comme observatoire@",
        ),
        (
            {"recipients": ["a@example.org, b@example.org"], "smtp": {"sender": "r@example.org"}},
            "reports.recipients[0] : « a@example.org, b@example.org » n'est pas une adresse de courriel",
        ),
        ({"send_day": 29}, "reports.send_day : « 29 » n'est pas valide : il faut 28 ou moins"),
        ({"send_time": "25:00"}, "reports.send_time : « 25:00 » n'est pas une heure comme 07:00"),
        ({"send_time": "7h"}, "reports.send_time : « 7h » n'est pas une heure comme 07:00"),
        (
            {"smtp": {"starttls": True, "ssl": True}},
            "reports.smtp : choisissez 'starttls: true' (port 587 le plus souvent) "
            "ou 'ssl: true' (port 465), pas les deux",
        ),
        (
            {"recipients": ["observatoire@example.org"]},
            "reports : smtp.sender est obligatoire pour envoyer le rapport par courriel aux destinataires",
        ),
        (
            {"suppress_below": 0},
            "reports.suppress_below : « 0 » n'est pas valide : il faut 1 ou plus",
        ),
        (
            {"day": 1},
            "reports.day : ce réglage n'existe pas (valides : recipients, send_day, send_time, output_dir, "
            "suppress_below, schedule_enabled, smtp)",
        ),
    ],
)
def test_reports_config_mistakes_are_named(reports: dict[str, Any], message: str) -> None:
    """Each mistake in the reports section is named by its YAML path, with what would be valid."""
    assert message in _config_error(reports)


def _uncommented_example(text: str, section: str) -> str:
    """The commented example of one section of config.yaml, from `# section:` to the next blank line."""
    example = text[text.index(f"# {section}:") :].split("\n\n", 1)[0]
    return "\n".join(line[2:] for line in example.splitlines())


def test_reports_config_example_is_valid_and_times_read_as_written() -> None:
    """The commented example at the end of config.yaml is valid once uncommented; 7:30 unquoted is 07:30."""
    text = EXAMPLE_CONFIG.read_text(encoding="utf-8")
    uncommented = _uncommented_example(text, "reports")
    config = parse_config(text + "\n" + uncommented, categories=category_codes())
    assert config.reports.recipients == ["observatoire@example.org", "direction@example.org"]
    assert config.reports.smtp.sender == "1001 services <rapports@example.org>"
    assert config.reports.send_time == time(7, 0)
    unquoted = parse_config(text + "\nreports:\n  send_time: 7:30\n", categories=category_codes())
    assert unquoted.reports.send_time == time(7, 30)
    default = parse_config(text, categories=category_codes()).reports
    assert (default.recipients, default.send_day, default.suppress_below, default.schedule_enabled) == (
        [],
        1,
        3,
        True,
    )


def test_web_form_config_example_is_valid_once_uncommented() -> None:
    """The commented web_form example in config.yaml reads as the defaults it documents."""
    text = EXAMPLE_CONFIG.read_text(encoding="utf-8")
    config = parse_config(text + "\n" + _uncommented_example(text, "web_form"), categories=category_codes())
    default = parse_config(text, categories=category_codes())
    assert config.web_form == default.web_form


def test_report_on_a_database_server_that_is_down(tmp_path: Path) -> None:
    """A PostgreSQL server that refuses connections: the reason in French, not the driver's English."""
    result = run(
        "postgresql+psycopg://postgres@127.0.0.1:1/test", "report", "--month", "2026-10", "--output", "-"
    )
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == (
        "helpline: la base de données n'est pas prête (serveur injoignable) ; "
        "vérifiez HELPLINE_DATABASE_URL et lancez 'helpline db upgrade'"
    )


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"database": "helpline_absent"}, "cette base n'existe pas sur le serveur"),
        ({"username": "helpline_nobody"}, "utilisateur inconnu du serveur"),
    ],
)
def test_report_on_a_mistyped_postgresql_url(
    postgresql_admin: Engine | None, change: dict[str, str], reason: str
) -> None:
    """The usual mistakes in the URL are named, not taken for a server that is down."""
    if postgresql_admin is None:
        pytest.skip("set HELPLINE_TEST_DATABASE_URL to run the PostgreSQL variant")
    url = postgresql_admin.url.set(**change).render_as_string(hide_password=False)
    result = run(url, "report", "--month", "2026-10", "--output", "-")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == (
        f"helpline: la base de données n'est pas prête ({reason}) ; "
        "vérifiez HELPLINE_DATABASE_URL et lancez 'helpline db upgrade'"
    )
