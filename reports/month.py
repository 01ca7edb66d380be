"""What several of the report's tables read from the month's calls, each read once.

Two statements cover the key figures of the month, the outcomes and rates, the territory crossed with the
beneficiary, and the funnel: the month's calls grouped by place, beneficiary, outcome and after-hours; and
one row counting each call's journey (its transfers, referrals and their follow-up) with the distinct
callers and the calls with a referral, which used to take a pass of their own each.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlalchemy import Subquery, and_, case, distinct, func, select
from sqlalchemy.orm import Session

from call_log.codes import Channel, DialResult, Outcome, OutcomeGroup, outcomes_of
from call_log.models import Call, Referral, TransferAttempt
from reports.observatory import zone_of
from reports.period import ReportPeriod, count_if, grouped_counts, within_24h

FUNNEL_STAGES = ("menu", "transfer_attempted", "answered", "referred", "contacted_24h", "quote")


@dataclass(frozen=True)
class MonthCalls:
    """The month's calls counted by (zone, beneficiary, outcome, after hours), and their journeys."""

    groups: tuple[tuple[str, str | None, str | None, bool, int], ...]
    funnel: tuple[int, ...]  # voice calls past each of FUNNEL_STAGES and every stage before it
    referred: int  # calls of any channel with at least one referral
    distinct_callers: int

    def key_figures(self) -> dict[str, int]:
        """The month's key figures, as reports.rollup stores them."""
        by_outcome: Counter[str | None] = Counter()
        for _zone, _beneficiary, outcome, _late, calls in self.groups:
            by_outcome[outcome] += calls
        return {
            "calls": sum(by_outcome.values()),
            "distinct_callers": self.distinct_callers,
            "answered": sum(by_outcome[outcome] for outcome in outcomes_of(OutcomeGroup.ANSWERED)),
            "referred": self.referred,
            "unmet": by_outcome[Outcome.UNMET],
            "not_answered": sum(by_outcome[o] for o in outcomes_of(OutcomeGroup.NOT_ANSWERED)),
            "after_hours": sum(calls for *_, late, calls in self.groups if late),
        }


def read_month_calls(session: Session, period: ReportPeriod) -> MonthCalls:
    """Count the month's calls and their journeys (two statements)."""
    query = select(
        zone_of(Call.in_territory).label("zone"), Call.beneficiary, Call.outcome, Call.after_hours
    ).where(period.calls())
    # A few hundred groups at most (3 zones x 5 beneficiaries x 10 outcomes x 2).
    groups = tuple(tuple(row) for row in grouped_counts(session, query.subquery()))
    per_call = _journeys(period)
    answered, followed, ivr = per_call.c.answered, per_call.c.followed, per_call.c.channel == Channel.IVR
    figures = session.execute(
        select(
            count_if(ivr),
            count_if(and_(ivr, answered.is_not(None))),
            count_if(and_(ivr, answered == 1)),
            count_if(and_(ivr, answered == 1, followed.is_not(None))),
            count_if(and_(ivr, answered == 1, followed >= 2)),
            count_if(and_(ivr, answered == 1, followed == 3)),
            func.count(followed),
            func.count(distinct(per_call.c.caller_key)),
        )
    ).one()
    counts = [int(value or 0) for value in figures]
    return MonthCalls(groups, tuple(counts[:6]), referred=counts[6], distinct_callers=counts[7])


def _journeys(period: ReportPeriod) -> Subquery:
    """The month's calls: channel, caller, `answered` and `followed` (NULL without transfer, referral).

    `answered`: 1 if a transfer was answered, else 0. `followed`: 2 if a referral was contacted within
    24 h, plus 1 if one got a quote. SQLite aggregates the transfers and the referrals of the month's calls
    per call (in call_id order, from the covering indexes, without sorting) and joins them as sets.
    PostgreSQL looks each call up in the same covering indexes: its hash joins read the year's transfers
    and referrals to keep a month's, and took 1.2-1.5x as long on 1,000,000 calls (bench/).
    """
    answered = func.max(case((TransferAttempt.result == DialResult.COMPLETED, 1), else_=0))
    contacted = case((within_24h(Referral.contacted_at, Referral.created_at, period.dialect), 2), else_=0)
    followed = func.max(contacted) + func.max(case((Referral.quote_sent_at.is_not(None), 1), else_=0))
    if period.dialect == "postgresql":
        return (
            select(
                Call.channel,
                Call.caller_key,
                select(answered).where(TransferAttempt.call_id == Call.id).label("answered"),
                select(followed).where(Referral.call_id == Call.id).label("followed"),
            )
            .where(period.calls())
            # OFFSET keeps PostgreSQL from inlining the subquery, which would look each call up per use.
            .offset(0)
            .subquery()
        )
    month_ids = select(Call.id).where(period.calls())
    transfers = (
        select(TransferAttempt.call_id.label("call_id"), answered.label("answered"))
        .where(TransferAttempt.call_id.in_(month_ids))
        .group_by(TransferAttempt.call_id)
        .subquery()
    )
    referrals = (
        select(Referral.call_id.label("call_id"), followed.label("followed"))
        .where(Referral.call_id.in_(month_ids))
        .group_by(Referral.call_id)
        .subquery()
    )
    return (
        select(Call.channel, Call.caller_key, transfers.c.answered, referrals.c.followed)
        .outerjoin(transfers, transfers.c.call_id == Call.id)
        .outerjoin(referrals, referrals.c.call_id == Call.id)
        .where(period.calls())
        .subquery()
    )
