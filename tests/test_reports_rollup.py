"""The monthly roll-up that the 13-month trend reads: filled by the report job, `helpline report` and
`helpline report backfill`, counted as the month's own report counts, and rewritten when a month is
counted again."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from click.testing import CliRunner, Result
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from call_log.models import Call
from foundation.config import Config, Reports
from foundation.db import transaction
from helpline.cli import main
from reports.aggregate import build_report
from reports.models import MonthRollup
from reports.months import months_between
from reports.rollup import INDICATORS, backfill, store_report
from reports.schedule import MonthlyReportJob
from reports.tables import MonthlyDemandReport
from tests.conftest import EXAMPLE_CONFIG, FakeClock

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def report_of(session: Session, month: str) -> MonthlyDemandReport:
    """The report of a month of the data set, built at NOW."""
    return build_report(session, month, tz=PARIS, helpline_name="1001 services", now=NOW)


def stored(sessions: sessionmaker[Session]) -> dict[str, tuple[int, ...]]:
    """Every roll-up row: month -> the key figures in INDICATORS order."""
    with sessions() as session:
        rows = session.scalars(select(MonthRollup).order_by(MonthRollup.month))
        return {row.month: tuple(getattr(row, name) for name in INDICATORS) for row in rows}


def key_figures(report: MonthlyDemandReport) -> tuple[int, ...]:
    """The month's key figures of a report, in INDICATORS order."""
    return tuple(report.figure(name) for name in INDICATORS)


def run(database_url: str, *args: str) -> Result:
    """Run `helpline ARGS` against the test database."""
    env = {
        "HELPLINE_DATABASE_URL": database_url,
        "HELPLINE_CONFIG": str(EXAMPLE_CONFIG),
        "TWILIO_AUTH_TOKEN": "",
    }
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def test_backfill_counts_each_month_as_its_report_does(october: sessionmaker[Session]) -> None:
    """Counted from the calls, every month matches its own report's key figures; a month not over is left."""
    months = months_between("2025-09", "2026-11")
    with transaction(october) as session:
        assert backfill(session, months, PARIS, now=NOW) == months[:-1]
    rows = stored(october)
    assert list(rows) == months[:-1]
    with october() as session:
        for month in ("2025-09", "2025-10", "2026-09", "2026-10"):
            assert rows[month] == key_figures(report_of(session, month))
    assert rows["2026-10"] == (10, 7, 3, 3, 2, 4, 3)
    assert rows["2026-01"] == (0,) * len(INDICATORS)


def test_the_trend_reads_the_roll_up_the_same_as_the_calls(october: sessionmaker[Session]) -> None:
    """With every past month in the roll-up, the key figures and the trend are those counted from calls."""
    with october() as session:
        counted = report_of(session, "2026-10")
    with transaction(october) as session:
        backfill(session, months_between("2025-09", "2026-09"), PARIS, now=NOW)
    with october() as session:
        rolled = report_of(session, "2026-10")
    for name in ("key_figures", "trend"):
        assert rolled.table(name).rows == counted.table(name).rows


def test_a_past_month_shows_as_its_report_counted_it_until_counted_again(
    october: sessionmaker[Session],
) -> None:
    """A call added to September after its report shows in October's trend once September is recounted."""
    with transaction(october) as session:
        assert store_report(session, report_of(session, "2026-09"), now=NOW)
        session.add(
            Call(call_sid="CA-late", started_at=datetime(2026, 9, 20, 8, 0, tzinfo=UTC), channel="ivr")
        )
    with october() as session:
        assert report_of(session, "2026-10").table("key_figures").rows[0][3] == 2
    with transaction(october) as session:
        backfill(session, ["2026-09"], PARIS, now=NOW)
    with october() as session:
        assert report_of(session, "2026-10").table("key_figures").rows[0][3] == 3
    assert stored(october)["2026-09"][0] == 3


def test_a_month_not_over_is_not_stored(october: sessionmaker[Session]) -> None:
    """November's report on 24 November leaves the roll-up alone: its calls are still coming."""
    with transaction(october) as session:
        assert not store_report(session, report_of(session, "2026-11"), now=NOW)
    assert stored(october) == {}


def test_the_monthly_job_stores_its_month(
    october: sessionmaker[Session], example_config: Config, tmp_path: Path
) -> None:
    """The job that builds and stores October's files also keeps October's key figures."""
    config = example_config.model_copy(update={"reports": Reports(output_dir=str(tmp_path / "reports"))})
    job = MonthlyReportJob(october, config, FakeClock(datetime(2026, 11, 3, 10, 0, tzinfo=UTC)))
    assert job.run("2026-10") is not None
    assert stored(october) == {"2026-10": (10, 7, 3, 3, 2, 4, 3)}


def test_cli_report_stores_a_month_that_is_over(october: sessionmaker[Session], database_url: str) -> None:
    """`helpline report` for October (over by now) keeps October's key figures for later trends."""
    result = run(database_url, "report", "--month", "2026-10", "--format", "csv", "--output", "-")
    assert result.exit_code == 0, result.output
    assert stored(october) == {"2026-10": (10, 7, 3, 3, 2, 4, 3)}


def test_cli_backfill_counts_the_months_asked(october: sessionmaker[Session], database_url: str) -> None:
    """From the first call's month by default; --from and --to bound it; one line says what was counted."""
    result = run(database_url, "report", "backfill", "--to", "2026-10")
    assert result.exit_code == 0, result.output
    assert result.output == "Chiffres mensuels recomptés : 14 mois, de 2025-09 à 2026-10.\n"
    assert list(stored(october)) == months_between("2025-09", "2026-10")
    with transaction(october) as session:
        session.add(
            Call(call_sid="CA-late", started_at=datetime(2026, 9, 20, 8, 0, tzinfo=UTC), channel="ivr")
        )
    result = run(database_url, "report", "backfill", "--from", "2026-09", "--to", "2026-09")
    assert result.output == "Chiffres mensuels recomptés : 1 mois, de 2026-09 à 2026-09.\n"
    assert stored(october)["2026-09"][0] == 3


def test_cli_backfill_without_calls_or_with_a_bad_month(
    sessions: sessionmaker[Session], database_url: str
) -> None:
    """An empty call log has nothing to count; a malformed month is named with an example."""
    result = run(database_url, "report", "backfill")
    assert result.exit_code == 0
    assert (
        result.output == "Aucun mois terminé à compter : le journal des appels est vide sur cette période.\n"
    )
    result = run(database_url, "report", "backfill", "--from", "2026-13")
    assert result.exit_code == 1
    assert "helpline: --from : « 2026-13 » n'est pas un mois comme 2026-03" in result.output
    assert stored(sessions) == {}
