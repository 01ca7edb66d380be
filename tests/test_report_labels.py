"""The report speaks the call log's words: every stored code gets the label the console shows too."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session, sessionmaker

from call_log.models import Call
from foundation.db import transaction
from reports.aggregate import build_report
from reports.tables import MonthlyDemandReport
from tests.report_dataset import MONTH

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def report_of(sessions: sessionmaker[Session]) -> MonthlyDemandReport:
    """The report of the data set's month."""
    with sessions() as session:
        return build_report(session, MONTH, tz=PARIS, helpline_name="1001 services", now=NOW)


def labels(report: MonthlyDemandReport, name: str) -> dict[str, str]:
    """Code -> label of a table whose first two columns are a code and its label."""
    return {str(row[0]): str(row[1]) for row in report.table(name).rows}


def test_outcomes_and_beneficiaries_in_the_call_logs_words(october: sessionmaker[Session]) -> None:
    """How calls ended and for whom, in the words of call_log.codes (the console's too)."""
    report = report_of(october)
    assert labels(report, "outcomes") == {
        "connected_association": "Mis en relation avec une association",
        "connected_operator": "Pris par un opérateur",
        "missed": "Sans réponse (sonnerie)",
        "abandoned_in_menu": "Raccroché dans le menu",
        "after_hours_voicemail": "Hors horaires, message laissé",
        "after_hours_no_message": "Hors horaires, sans message",
        "unmet": "Aucune association pour ce service",
    }
    by_beneficiary = {row[2]: row[3] for row in report.table("territory_beneficiary").rows}
    assert by_beneficiary == {
        "self": "Pour soi-même",
        "relative": "Pour un proche",
        "professional": "Pour un usager (appel d'un professionnel)",
        "other": "Autre",
        "": "Non renseigné",
    }


def test_codes_only_operators_enter_have_their_words(sessions: sessionmaker[Session]) -> None:
    """Answers an operator records (a health professional sent them) are named, not shown as raw codes."""
    with transaction(sessions) as session:
        for number, heard_from in enumerate(("health_professional", "social_worker", "already_called")):
            session.add(
                Call(
                    call_sid=f"CA{number:032d}",
                    channel="phone",
                    started_at=datetime(2026, 10, 6 + number, 9, 0, tzinfo=UTC),
                    status="completed",
                    outcome="voicemail",
                    heard_from=heard_from,
                )
            )
    report = report_of(sessions)
    assert labels(report, "heard_from") == {
        "already_called": "A déjà appelé",
        "health_professional": "Professionnel de santé",
        "social_worker": "Travailleur social",
    }
    assert labels(report, "outcomes") == {"voicemail": "Message laissé (opérateurs occupés)"}
