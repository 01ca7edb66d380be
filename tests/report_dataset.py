"""A small call log where every figure of the October 2026 report is known in advance.

October 2026 in Paris runs from 2026-09-30 22:00 UTC to 2026-10-31 23:00 UTC, and summer time ends inside
it (Sunday 25 October, 03:00 CEST -> 02:00 CET): two calls an hour apart in UTC both fall at 02:xx local.
Times below are UTC; the comment gives the local time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from call_log.models import Call, CallbackRequest, Referral, TransferAttempt
from directory.models import Association

MONTH = "2026-10"
BAD = "Brenne Aide à Domicile"
ENFANCE = "Brenne Enfance Services"
REPAS = "Repas et Courses en Brenne"
# Full numbers of the data set: fictional (ARCEP), and they must never appear in a report.
FULL_NUMBERS = ("+33639980001", "+33639980002", "+33261910007")


def utc(*parts: int) -> datetime:
    """An aware UTC datetime."""
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


@dataclass
class Spec:
    """One call to insert, with its transfers (target, association name or None, result) and referrals."""

    started_at: datetime
    fields: dict[str, Any] = field(default_factory=dict)
    transfers: list[tuple[str, str | None, str | None]] = field(default_factory=list)
    # (association name, hours until contacted or None, quote sent)
    referrals: list[tuple[str, float | None, bool]] = field(default_factory=list)


def _in(insee: str, **fields: Any) -> dict[str, Any]:
    return {"commune_insee": insee, "in_territory": True, "departement": "36", **fields}


def _out(departement: str, **fields: Any) -> dict[str, Any]:
    return {"in_territory": False, "departement": departement, **fields}


SPECS = [
    # c1: Thursday 1 October 00:00 CEST, the month's first minute.
    Spec(
        utc(2026, 9, 30, 22, 0),
        _in(
            "36010",
            category_code="MAISON.LINGE",
            beneficiary="relative",
            heard_from="town_hall",
            caller_key="k1",
            caller="+33639980001",
            outcome="connected_association",
        ),
        [("association", BAD, "completed")],
        [(BAD, 3, True)],
    ),
    # c2: Monday 5 October 10:15; the first association does not answer, the second does.
    Spec(
        utc(2026, 10, 5, 8, 15),
        _in(
            "36010",
            category_code="MAISON",
            beneficiary="relative",
            heard_from="word_of_mouth",
            caller_key="k2",
            outcome="connected_association",
        ),
        [("association", BAD, "no-answer"), ("association", REPAS, "completed")],
        [(REPAS, 30, False)],
    ),
    # c3: Monday 5 October 11:00; nobody gardens in Bélâbre: unmet, an operator answers.
    Spec(
        utc(2026, 10, 5, 9, 0),
        _in(
            "36016",
            category_code="EXTERIEUR.JARDINAGE",
            beneficiary="self",
            heard_from="town_hall",
            caller_key="k1",
            caller="+33639980001",
            outcome="unmet",
        ),
        [("operators", None, "completed")],
    ),
    # c4: Tuesday 6 October 16:00, for a relative in Indre-et-Loire; nobody answers.
    Spec(
        utc(2026, 10, 6, 14, 0),
        _out(
            "37",
            category_code="ENFANTS",
            beneficiary="relative",
            heard_from="internet",
            caller_key="k3",
            outcome="missed",
        ),
        [("association", ENFANCE, "no-answer"), ("operators", None, "no-answer")],
    ),
    # c5: Wednesday 7 October 12:00, hung up in the menu: place and beneficiary unknown.
    Spec(
        utc(2026, 10, 7, 10, 0),
        {"category_code": "AUTONOMIE.AUXILIAIRE_DE_VIE", "caller_key": "k4", "outcome": "abandoned_in_menu"},
    ),
    # c6: Saturday 10 October 11:00, closed: a message for a relative in Paris.
    Spec(
        utc(2026, 10, 10, 9, 0),
        _out(
            "75",
            category_code="TRANSPORT",
            beneficiary="relative",
            heard_from="press",
            caller_key="k5",
            outcome="after_hours_voicemail",
            after_hours=True,
            caller="+33639980002",
        ),
    ),
    # c7 and c8: Sunday 25 October at 02:30 CEST and again at 02:30 CET, the same caller.
    Spec(
        utc(2026, 10, 25, 0, 30),
        {"caller_key": "k6", "outcome": "after_hours_no_message", "after_hours": True},
    ),
    Spec(
        utc(2026, 10, 25, 1, 30),
        _in(
            "36018",
            category_code="COURSES_REPAS.PORTAGE_REPAS",
            beneficiary="relative",
            heard_from="shop",
            caller_key="k6",
            outcome="after_hours_voicemail",
            after_hours=True,
        ),
    ),
    # c9: Saturday 31 October 23:59 CET, the month's last minute: a contact entered by an operator.
    Spec(
        utc(2026, 10, 31, 22, 59),
        _in(
            "36016",
            channel="phone",
            category_code="MAISON.MENAGE",
            beneficiary="professional",
            heard_from="other",
            caller_key=None,
            outcome="connected_operator",
            caller="+33261910007",
        ),
        [],
        [(BAD, 2, True)],
    ),
    # c10: Tuesday 20 October 09:00; no gardener here either, and the operators do not answer.
    Spec(
        utc(2026, 10, 20, 7, 0),
        _in(
            "36016",
            category_code="EXTERIEUR.JARDINAGE",
            beneficiary="relative",
            heard_from="town_hall",
            caller_key="k7",
            outcome="unmet",
        ),
        [("operators", None, "no-answer")],
    ),
    # Outside October: 23:59 on 30 September, September, October 2025, before the trend, November.
    Spec(
        utc(2026, 9, 30, 21, 59),
        {"category_code": "MAISON", "caller_key": "k1", "outcome": "connected_operator"},
        [("operators", None, "completed")],
        [(BAD, 1, False)],
    ),
    Spec(utc(2026, 9, 15, 8, 0), {"category_code": "ENFANTS", "caller_key": "k8", "outcome": "missed"}),
    Spec(
        utc(2025, 10, 10, 8, 0),
        _in("36010", category_code="MAISON", caller_key="k1", outcome="connected_association"),
        [("association", BAD, "completed")],
        [(BAD, None, False)],
    ),
    Spec(
        utc(2025, 10, 11, 8, 0),
        {"category_code": "MAISON", "caller_key": "k2", "outcome": "connected_association"},
    ),
    Spec(utc(2025, 10, 12, 8, 0), {"category_code": "EXTERIEUR", "caller_key": "k2", "outcome": "unmet"}),
    Spec(utc(2025, 10, 13, 8, 0), {"category_code": "ENFANTS", "caller_key": "k9", "outcome": "missed"}),
    Spec(utc(2025, 9, 30, 21, 0), {"category_code": "MAISON", "caller_key": "k1", "outcome": "unmet"}),
    Spec(utc(2026, 10, 31, 23, 0), {"category_code": "MAISON", "caller_key": "k1", "outcome": "unmet"}),
]


def insert_dataset(session: Session) -> None:
    """Insert the calls of SPECS (the example directory must be loaded)."""
    ids = dict(session.execute(select(Association.name, Association.id)).all())
    for number, spec in enumerate(SPECS, start=1):
        fields = {"channel": "ivr", "caller": "+336******99", "status": "completed", **spec.fields}
        call = Call(call_sid=f"CA{number:032d}", started_at=spec.started_at, **fields)
        for attempt, (target, name, result) in enumerate(spec.transfers, start=1):
            call.transfers.append(
                TransferAttempt(
                    attempt=attempt,
                    target=target,
                    association_id=ids[name] if name else None,
                    started_at=spec.started_at + timedelta(minutes=attempt),
                    result=result,
                )
            )
        for name, hours, quoted in spec.referrals:
            created = spec.started_at + timedelta(minutes=5)
            call.referrals.append(
                Referral(
                    association_id=ids[name],
                    created_at=created,
                    source="ivr" if fields["channel"] == "ivr" else "operator",
                    contacted_at=None if hours is None else created + timedelta(hours=hours),
                    quote_sent_at=created + timedelta(days=5) if quoted else None,
                )
            )
        if "voicemail" in str(fields.get("outcome")):
            call.callbacks.append(
                CallbackRequest(created_at=spec.started_at, callback_number=FULL_NUMBERS[1])
            )
        session.add(call)
    session.flush()
