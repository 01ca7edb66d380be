"""Build the monthly demand report: every figure is a GROUP BY run by the database.

Python only relabels and orders the grouped rows (a few hundred at most), never loops over calls. A call
belongs to the month it started in (helpline's timezone); its transfers, referrals and their follow-up count
with it, so a month rebuilt later can show more contacts and quotes than when it was first sent.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    SQLColumnExpression,
    String,
    Subquery,
    and_,
    case,
    distinct,
    exists,
    func,
    literal,
    or_,
    select,
    text,
    union_all,
)
from sqlalchemy.orm import Session

from call_log.codes import (
    ANSWERED,
    LEFT_MESSAGE,
    NOT_ANSWERED,
    Beneficiary,
    Channel,
    Code,
    DialResult,
    HeardFrom,
    Outcome,
    TransferTarget,
)
from call_log.models import Call, Referral, TransferAttempt
from call_log.periods import month_bounds
from directory.models import Association, Commune, ServiceCategory
from reports.months import months_between, shift_month
from reports.tables import (
    Column,
    MonthlyDemandReport,
    ReportTable,
    Value,
    change,
    code_column,
    dimension,
    share,
    table,
)

TREND_MONTHS = 13  # the month, the eleven before it, and the same month last year

WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
NOT_GIVEN = "Non renseigné"


class Zone(Code):
    """Where the person who needs the service lives, as the report groups places."""

    TERRITORY = "territory", "Territoire du Parc"
    OUTSIDE = "outside", "Hors territoire"
    UNKNOWN = "unknown", "Lieu inconnu"


class UnmetReason(Code):
    """Why a demand went unmet."""

    NO_ASSOCIATION = "no_association", "Aucune association ne couvre ce service à cet endroit"
    NOT_ANSWERED = "not_answered", "Personne n'a répondu"


@dataclass(frozen=True)
class _Names:
    """The directory's words for codes: categories and the territory's communes."""

    categories: dict[str, ServiceCategory]
    communes: dict[str, str]

    @classmethod
    def load(cls, session: Session) -> _Names:
        """Read the (small) category and commune tables."""
        categories = {category.code: category for category in session.scalars(select(ServiceCategory))}
        return cls(categories, dict(session.execute(select(Commune.insee, Commune.name)).all()))

    def category(self, code: str | None) -> str:
        """A category's label."""
        return self.categories[code].label if code in self.categories else (code or NOT_GIVEN)

    def top(self, code: str | None) -> str | None:
        """The top-level category of a category or sub-category."""
        category = self.categories.get(code or "")
        return (category.parent_code or category.code) if category else code

    def place(self, zone: str, code: str | None) -> str:
        """A commune's name in the territory, a département elsewhere (`code` is INSEE or département)."""
        if zone == Zone.TERRITORY:
            return self.communes.get(code or "", code or "Commune non précisée")
        if zone == Zone.OUTSIDE:
            return f"Département {code}" if code else "Département non précisé"
        return Zone.UNKNOWN.label


@dataclass(frozen=True)
class _Period:
    """The month being reported, how to ask the database about it, and the names of codes."""

    month: str
    tz: ZoneInfo
    start: datetime
    end: datetime
    dialect: str
    names: _Names

    def calls(self) -> ColumnElement[bool]:
        """Calls that started in the month."""
        return and_(Call.started_at >= self.start, Call.started_at < self.end)


def build_report(
    session: Session,
    month: str,
    *,
    tz: ZoneInfo,
    helpline_name: str,
    now: datetime,
    on_step: Callable[[str], None] | None = None,
) -> MonthlyDemandReport:
    """The demand report of `month` ('YYYY-MM' in `tz`); `on_step` hears each step's name as it ends.

    Read-only; on PostgreSQL it turns JIT compilation off for the rest of the session's transaction.
    """
    start, end = month_bounds(month, tz)
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        # Each query runs once: compiling it (PostgreSQL's JIT, on above a cost threshold) costs more than
        # it saves, about a third of the report's time. LOCAL: until the caller's transaction ends.
        session.execute(text("SET LOCAL jit = off"))
    period = _Period(month, tz, start, end, dialect, _Names.load(session))
    tables: list[ReportTable] = []
    for step, builder in _BUILDERS:
        tables.extend(builder(session, period))
        if on_step is not None:
            on_step(step)
    return MonthlyDemandReport(
        month=month,
        helpline_name=helpline_name,
        timezone=tz.key,
        start=start,
        end=end,
        generated_at=now.astimezone(UTC),
        tables=tuple(tables),
    )


# --- SQL helpers ------------------------------------------------------------------------------------


def _count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _within_24h(
    later: SQLColumnExpression[datetime | None], earlier: SQLColumnExpression[datetime], dialect: str
) -> ColumnElement[bool]:
    """`later` is set and at most 24 hours after `earlier` (SQLite keeps datetimes as text)."""
    if dialect == "sqlite":
        return (func.julianday(later) - func.julianday(earlier)) <= 1.0
    return (later - earlier) <= timedelta(hours=24)


def _utc_hour(column: SQLColumnExpression[datetime], dialect: str) -> ColumnElement[str]:
    """The UTC hour a timestamp falls in, as 'YYYY-MM-DD HH'."""
    if dialect == "sqlite":
        return func.strftime("%Y-%m-%d %H", column)
    return func.to_char(func.timezone("UTC", column), "YYYY-MM-DD HH24")


def _grouped_counts(session: Session, dimensions: Subquery) -> list[tuple[Any, ...]]:
    """Count the rows of `dimensions` grouped by all its columns: (dimension values..., count) tuples.

    Dimensions are often expressions with bound parameters (CASE over dates, formats); PostgreSQL refuses
    `GROUP BY` on an expression whose parameters are numbered apart from the SELECT's, so the expressions
    are computed once in the subquery and grouped by name outside.
    """
    keys = list(dimensions.columns)
    return [tuple(row) for row in session.execute(select(*keys, func.count()).group_by(*keys))]


# --- tables -----------------------------------------------------------------------------------------


def _key_figures(session: Session, period: _Period) -> list[ReportTable]:
    """Key figures against the previous month and last year, and the monthly trend."""
    months = months_between(shift_month(period.month, -(TREND_MONTHS - 1)), period.month)
    previous, last_year = shift_month(period.month, -1), shift_month(period.month, -12)

    def in_month(month: str) -> ColumnElement[bool]:
        start, end = month_bounds(month, period.tz)
        return and_(Call.started_at >= start, Call.started_at < end)

    # One aggregate per month, glued by UNION ALL: each reads its month's range of the index, cheaper than
    # bucketing every call of the year through a 13-branch CASE.
    trend_query = union_all(
        *(
            select(
                literal(month).label("month"),
                func.count().label("calls"),
                _count_if(Call.outcome.in_(ANSWERED)).label("answered"),
                _count_if(Call.outcome == Outcome.UNMET).label("unmet"),
                _count_if(Call.outcome.in_(NOT_ANSWERED)).label("not_answered"),
                _count_if(Call.after_hours.is_(True)).label("after_hours"),
            ).where(in_month(month))
            for month in months
        )
    )
    figures: dict[str, dict[str, int]] = {
        row.month: {key: int(value or 0) for key, value in row._mapping.items() if key != "month"}
        for row in session.execute(trend_query)
    }
    # Distinct callers and calls with a referral cost more (a sort; a look at each call's referrals): they
    # are counted for the three months compared only.
    compared = (period.month, previous, last_year)
    callers = union_all(
        *(select(literal(m), func.count(distinct(Call.caller_key))).where(in_month(m)) for m in compared)
    )
    referred = union_all(
        *(
            select(literal(m), func.count()).where(in_month(m), exists().where(Referral.call_id == Call.id))
            for m in compared
        )
    )
    for name, query in (("distinct_callers", callers), ("referred", referred)):
        for month, count in session.execute(query):
            figures[month][name] = int(count)
    indicators = {
        "calls": "Appels",
        "distinct_callers": "Appelants différents",
        "answered": "Appels pris",
        "referred": "Appels orientés",
        "unmet": "Sans association pour ce service",
        "not_answered": "Sans réponse",
        "after_hours": "Hors horaires",
    }
    key_rows = []
    for indicator, label in indicators.items():
        now, before, year_ago = (figures[month][indicator] for month in (period.month, previous, last_year))
        key_rows.append((indicator, label, now, before, change(now, before), year_ago, change(now, year_ago)))
    key_figures = table(
        "key_figures",
        "Chiffres clés",
        (
            code_column("indicator"),
            dimension("label", "Indicateur"),
            Column("month", f"Ce mois ({period.month})"),
            Column("previous_month", f"Mois précédent ({previous})"),
            Column("change_previous_month", "Évolution", "change"),
            Column("same_month_last_year", f"Un an avant ({last_year})"),
            Column("change_last_year", "Évolution sur un an", "change"),
        ),
        key_rows,
    )
    trend_columns = {
        "calls": "Appels",
        "answered": "Appels pris",
        "unmet": "Sans association",
        "not_answered": "Sans réponse",
        "after_hours": "Hors horaires",
    }
    trend = table(
        "trend",
        "Évolution sur 13 mois",
        (dimension("month", "Mois"), *(Column(name, label) for name, label in trend_columns.items())),
        [(month, *(figures[month][name] for name in trend_columns)) for month in months],
    )
    return [key_figures, trend]


def _categories(session: Session, period: _Period) -> list[ReportTable]:
    """Calls by service category, then by sub-category within each category."""
    counts = dict(
        session.execute(
            select(Call.category_code, func.count()).where(period.calls()).group_by(Call.category_code)
        ).all()
    )
    total = sum(counts.values())
    label = period.names.category
    by_top: Counter[str | None] = Counter()
    subs: dict[str | None, list[tuple[str | None, int]]] = defaultdict(list)
    for code, calls in counts.items():
        top = period.names.top(code)
        by_top[top] += calls
        subs[top].append((None if code == top else code, calls))
    tops = sorted(by_top, key=lambda code: (-by_top[code], code is None, code or ""))
    top_rows = [(code or "", label(code), by_top[code], share(by_top[code], total)) for code in tops]
    sub_rows: list[tuple[Value, ...]] = []
    for top in (code for code in tops if code is not None):
        for code, calls in sorted(subs[top], key=lambda item: (-item[1], item[0] or "")):
            sub_label = label(code) if code else "Sans précision"
            sub_rows.append((top or "", label(top), code or "", sub_label, calls, share(calls, by_top[top])))
    return [
        table(
            "categories",
            "Demandes par service",
            (
                code_column("category"),
                dimension("category_label", "Service"),
                Column("calls", "Appels"),
                Column("share", "Part des appels", "share"),
            ),
            top_rows,
        ),
        table(
            "subcategories",
            "Demandes par service précis",
            (
                code_column("category", "Code du service"),
                dimension("category_label", "Service"),
                code_column("subcategory", "Code précis"),
                dimension("subcategory_label", "Service précis"),
                Column("calls", "Appels"),
                Column("share", "Part du service", "share"),
            ),
            sub_rows,
            note="« Sans précision » : l'appelant a choisi le service sans préciser davantage.",
        ),
    ]


def _zone(in_territory: SQLColumnExpression[bool | None]) -> ColumnElement[str]:
    return case(
        (in_territory.is_(True), literal(Zone.TERRITORY, String)),
        (in_territory.is_(False), literal(Zone.OUTSIDE, String)),
        else_=literal(Zone.UNKNOWN, String),
    )


def _communes(session: Session, period: _Period) -> list[ReportTable]:
    """Calls by the beneficiary's place: territory communes, outside by département, unknown."""
    rows = _grouped_counts(
        session,
        select(
            _zone(Call.in_territory).label("zone"),
            case((Call.in_territory.is_(True), Call.commune_insee)).label("insee"),
            case((Call.in_territory.is_(False), Call.departement)).label("departement"),
        )
        .where(period.calls())
        .subquery(),
    )
    total = sum(calls for *_, calls in rows)
    order = list(Zone)

    def place(zone: str, insee: str | None, departement: str | None) -> str:
        return period.names.place(zone, insee if zone == Zone.TERRITORY else departement)

    ordered = sorted(rows, key=lambda r: (order.index(r[0]), -r[3], place(r[0], r[1], r[2])))
    return [
        table(
            "communes",
            "Demandes par lieu du bénéficiaire",
            (
                code_column("zone", "Code zone"),
                dimension("zone_label", "Zone"),
                dimension("commune_insee", "Code INSEE"),
                dimension("place", "Commune ou département"),
                code_column("departement", "Département"),
                Column("calls", "Appels"),
                Column("share", "Part des appels", "share"),
            ),
            [
                (
                    zone,
                    Zone.label_of(zone),
                    insee or "",
                    place(zone, insee, dep),
                    dep or "",
                    calls,
                    share(calls, total),
                )
                for zone, insee, dep, calls in ordered
            ],
            note="Le lieu est celui où le service est nécessaire, pas celui d'où l'on appelle.",
        )
    ]


def _heard_from(session: Session, period: _Period) -> list[ReportTable]:
    """How callers heard of the number."""
    counts = session.execute(
        select(Call.heard_from, func.count()).where(period.calls()).group_by(Call.heard_from)
    )
    rows = sorted(counts, key=lambda r: (r[0] is None, -r[1], r[0] or ""))
    total = sum(calls for _, calls in rows)
    return [
        table(
            "heard_from",
            "Comment les appelants ont connu le numéro",
            (
                code_column("heard_from"),
                dimension("heard_from_label", "Source"),
                Column("calls", "Appels"),
                Column("share", "Part des appels", "share"),
            ),
            [
                (code or "", HeardFrom.label_of(code, missing=NOT_GIVEN), calls, share(calls, total))
                for code, calls in rows
            ],
        )
    ]


def _heatmap(session: Session, period: _Period) -> list[ReportTable]:
    """Calls by weekday and hour of the helpline's timezone (all 168 cells, zeros included)."""
    hours = select(_utc_hour(Call.started_at, period.dialect).label("hour")).where(period.calls())
    cells: Counter[tuple[int, int]] = Counter()
    # At most 24 x 31 grouped rows: turning each UTC hour into the local one is exact for whole-hour offsets.
    for hour, calls in _grouped_counts(session, hours.subquery()):
        local = datetime.strptime(hour, "%Y-%m-%d %H").replace(tzinfo=UTC).astimezone(period.tz)
        cells[(local.isoweekday(), local.hour)] += calls
    return [
        table(
            "heatmap",
            "Appels par jour et par heure",
            (
                code_column("weekday", "N° du jour"),
                dimension("weekday_label", "Jour"),
                dimension("hour", "Heure"),
                Column("calls", "Appels"),
            ),
            [(day, WEEKDAYS[day - 1], hour, cells[(day, hour)]) for day in range(1, 8) for hour in range(24)],
            note=f"Heures locales ({period.tz.key}) : 9 signifie de 9 h 00 à 9 h 59.",
        )
    ]


def _profile(session: Session, period: _Period) -> list[ReportTable]:
    """Territory crossed with beneficiary, how calls ended, and the month's rates: one GROUP BY for all."""
    query = select(
        _zone(Call.in_territory).label("zone"), Call.beneficiary, Call.outcome, Call.after_hours
    ).where(period.calls())
    # A few hundred groups at most (3 zones x 5 beneficiaries x 10 outcomes x 2), folded below.
    groups = _grouped_counts(session, query.subquery())
    total = sum(calls for *_, calls in groups)
    by_place: Counter[tuple[str, str | None]] = Counter()
    by_outcome: Counter[str | None] = Counter()
    after_hours = 0
    for zone, beneficiary, outcome, late, calls in groups:
        by_place[(zone, beneficiary)] += calls
        by_outcome[outcome] += calls
        after_hours += calls if late else 0
    known_beneficiaries = Beneficiary.labels()
    beneficiaries = [
        *known_beneficiaries,
        None,
        *sorted({b for _, b in by_place if b and b not in known_beneficiaries}),
    ]
    place_rows = [
        (
            zone,
            zone.label,
            beneficiary or "",
            Beneficiary.label_of(beneficiary, missing=NOT_GIVEN),
            by_place[(zone, beneficiary)],
            share(by_place[(zone, beneficiary)], total),
        )
        for zone in Zone
        for beneficiary in beneficiaries
    ]
    outcomes = Outcome.labels()
    known = [outcome for outcome in outcomes if by_outcome[outcome]]
    others = sorted(o for o in by_outcome if o is not None and o not in outcomes)
    ordered: list[str | None] = [*known, *others, *([None] if by_outcome[None] else [])]
    outcome_rows = [
        (
            outcome or "",
            Outcome.label_of(outcome, missing="En cours ou non renseigné"),
            by_outcome[outcome],
            share(by_outcome[outcome], total),
        )
        for outcome in ordered
    ]

    def of(*outcomes: str) -> int:
        return sum(by_outcome[outcome] for outcome in outcomes)

    def where(zones: tuple[str, ...] = tuple(Zone), who: tuple[str | None, ...] | None = None) -> int:
        return sum(n for (z, b), n in by_place.items() if z in zones and (who is None or b in who))

    # Calls that reached the voicemail, whether or not the caller left a message.
    reached_voicemail = of(*LEFT_MESSAGE, Outcome.AFTER_HOURS_NO_MESSAGE)
    located, inside = where((Zone.TERRITORY, Zone.OUTSIDE)), where((Zone.TERRITORY,))
    answering, relatives = total - where(who=(None,)), where(who=(Beneficiary.RELATIVE,))
    rates = [
        ("answered", "Appels pris", of(*ANSWERED), total),
        ("abandoned_in_menu", "Raccrochés dans le menu", of(Outcome.ABANDONED_IN_MENU), total),
        ("missed", "Sans réponse (sonnerie)", of(Outcome.MISSED), total),
        ("voicemail", "Messagerie (avec ou sans message)", reached_voicemail, total),
        ("not_answered", "Personne n'a répondu (sonnerie ou messagerie)", of(*NOT_ANSWERED), total),
        ("unmet", "Aucune association pour ce service", of(Outcome.UNMET), total),
        ("after_hours", "Appels hors horaires", after_hours, total),
        ("in_territory", "Bénéficiaire sur le territoire (lieux connus)", inside, located),
        ("for_relative", "Appel pour un proche (réponses connues)", relatives, answering),
    ]
    return [
        table(
            "territory_beneficiary",
            "Territoire et bénéficiaire",
            (
                code_column("zone", "Code zone"),
                dimension("zone_label", "Lieu du bénéficiaire"),
                code_column("beneficiary", "Code bénéficiaire"),
                dimension("beneficiary_label", "Pour qui"),
                Column("calls", "Appels"),
                Column("share", "Part des appels", "share"),
            ),
            place_rows,
        ),
        table(
            "outcomes",
            "Issue des appels",
            (
                code_column("outcome"),
                dimension("outcome_label", "Issue"),
                Column("calls", "Appels"),
                Column("share", "Part des appels", "share"),
            ),
            outcome_rows,
        ),
        table(
            "rates",
            "Taux du mois",
            (
                code_column("indicator"),
                dimension("label", "Indicateur"),
                Column("count", "Nombre"),
                Column("of", "Sur"),
                Column("rate", "Taux", "share"),
            ),
            [(code, label, part, whole, share(part, whole)) for code, label, part, whole in rates],
        ),
    ]


def _funnel(session: Session, period: _Period) -> list[ReportTable]:
    """From the menu to the quote: each stage counts the calls that passed it and every stage before."""
    answered = (
        select(func.max(case((TransferAttempt.result == DialResult.COMPLETED, 1), else_=0)))
        .where(TransferAttempt.call_id == Call.id)
        .scalar_subquery()
    )
    contacted = case((_within_24h(Referral.contacted_at, Referral.created_at, period.dialect), 1), else_=0)
    quoted = case((Referral.quote_sent_at.is_not(None), 1), else_=0)
    # Per call, looked up in the covering indexes: None without transfer, else 1 if one was answered;
    # None without referral, else 2 if one was contacted within 24 h, plus 1 if one got a quote.
    followed = (
        select(func.max(contacted) * 2 + func.max(quoted))
        .where(Referral.call_id == Call.id)
        .scalar_subquery()
    )
    per_call = (
        select(answered.label("answered"), followed.label("followed"))
        .where(period.calls(), Call.channel == Channel.IVR)
        # OFFSET keeps PostgreSQL from inlining the subquery, which would look each call up once per use.
        .offset(0)
        .subquery()
    )
    t, r = per_call.c.answered, per_call.c.followed
    figures = session.execute(
        select(
            func.count(),
            func.count(t),
            _count_if(t == 1),
            _count_if(and_(t == 1, r.is_not(None))),
            _count_if(and_(t == 1, r >= 2)),
            _count_if(and_(t == 1, r == 3)),
        )
    ).one()
    stages = [
        ("menu", "Appels arrivés au menu"),
        ("transfer_attempted", "Transfert tenté"),
        ("answered", "Transfert décroché"),
        ("referred", "Orienté vers une association"),
        ("contacted_24h", "Recontacté par l'association sous 24 h"),
        ("quote", "Devis envoyé"),
    ]
    counts = [int(value or 0) for value in figures]
    rows = [
        (code, label, counts[i], share(counts[i], counts[0]), share(counts[i], counts[i - 1]) if i else None)
        for i, (code, label) in enumerate(stages)
    ]
    return [
        table(
            "funnel",
            "Du menu au devis",
            (
                code_column("stage"),
                dimension("stage_label", "Étape"),
                Column("calls", "Appels"),
                Column("share_of_menu", "Part des appels au menu", "share"),
                Column("share_of_previous", "Part de l'étape précédente", "share"),
            ),
            rows,
            note=(
                "Appels du serveur vocal ; chaque étape compte les appels qui ont franchi toutes "
                "les précédentes."
            ),
        )
    ]


def _unmet(session: Session, period: _Period) -> list[ReportTable]:
    """Unmet demand: no association covers the service there, or nobody answered; by category and place."""
    top = func.coalesce(ServiceCategory.parent_code, Call.category_code)
    reason = case(
        (Call.outcome == Outcome.UNMET, literal(UnmetReason.NO_ASSOCIATION, String)),
        else_=literal(UnmetReason.NOT_ANSWERED, String),
    )
    by_reason = _grouped_counts(
        session,
        select(reason.label("reason"), top.label("category"))
        .outerjoin(ServiceCategory, ServiceCategory.code == Call.category_code)
        .where(period.calls(), or_(Call.outcome == Outcome.UNMET, Call.outcome.in_(NOT_ANSWERED)))
        .subquery(),
    )
    place = case((Call.in_territory.is_(True), Call.commune_insee), else_=Call.departement)
    places = _grouped_counts(
        session,
        select(top.label("category"), _zone(Call.in_territory).label("zone"), place.label("place"))
        .outerjoin(ServiceCategory, ServiceCategory.code == Call.category_code)
        .where(period.calls(), Call.outcome == Outcome.UNMET)
        .subquery(),
    )
    label = period.names.category
    unmet_rows = [
        (reason_code, UnmetReason.label_of(reason_code), code or "", label(code), calls)
        for reason_code, code, calls in sorted(
            by_reason, key=lambda r: (r[0], -r[2], r[1] is None, r[1] or "")
        )
    ]

    place_rows = [
        (
            code or "",
            label(code),
            zone,
            Zone.label_of(zone),
            place or "",
            period.names.place(zone, place),
            calls,
        )
        for code, zone, place, calls in sorted(places, key=lambda r: (-r[3], r[0] or "", r[1], r[2] or ""))
    ]
    return [
        table(
            "unmet",
            "Demande non satisfaite",
            (
                code_column("reason", "Code raison"),
                dimension("reason_label", "Raison"),
                code_column("category", "Code du service"),
                dimension("category_label", "Service"),
                Column("calls", "Appels"),
            ),
            unmet_rows,
            note="« Personne n'a répondu » : sonnerie sans réponse, messagerie, ou appel hors horaires.",
        ),
        table(
            "uncovered_places",
            "Services demandés là où aucune association ne les couvre",
            (
                code_column("category", "Code du service"),
                dimension("category_label", "Service"),
                code_column("zone", "Code zone"),
                dimension("zone_label", "Zone"),
                code_column("place_code", "Code INSEE ou département"),
                dimension("place", "Commune ou département"),
                Column("calls", "Appels"),
            ),
            place_rows,
        ),
    ]


def _associations(session: Session, period: _Period) -> list[ReportTable]:
    """Per association (and the operators): transfers, answers, referrals, contacts within 24 h, quotes."""
    transfers = session.execute(
        select(
            TransferAttempt.target,
            TransferAttempt.association_id,
            func.count(),
            _count_if(TransferAttempt.result == DialResult.COMPLETED),
        )
        .join(Call, Call.id == TransferAttempt.call_id)
        .where(period.calls())
        .group_by(TransferAttempt.target, TransferAttempt.association_id)
    )
    referrals = session.execute(
        select(
            Referral.association_id,
            func.count(),
            _count_if(_within_24h(Referral.contacted_at, Referral.created_at, period.dialect)),
            _count_if(Referral.quote_sent_at.is_not(None)),
        )
        .join(Call, Call.id == Referral.call_id)
        .where(period.calls())
        .group_by(Referral.association_id)
    )
    figures: dict[tuple[str, int | None], list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    for target, association_id, attempts, answered in transfers:
        key = (
            (TransferTarget.OPERATORS, None)
            if target == TransferTarget.OPERATORS
            else (TransferTarget.ASSOCIATION, association_id)
        )
        figures[key][0] += attempts
        figures[key][1] += answered
    for association_id, referred, contacted, quoted in referrals:
        figures[(TransferTarget.ASSOCIATION, association_id)][2:] = [referred, contacted, quoted]
    ids = [key[1] for key in figures if key[1] is not None]
    names = dict(
        session.execute(select(Association.id, Association.name).where(Association.id.in_(ids))).all()
    )

    def name(key: tuple[str, int | None]) -> str:
        if key[0] == TransferTarget.OPERATORS:
            return "Conseillers (opérateurs)"
        return (
            names.get(key[1], "Association supprimée") if key[1] is not None else "Association non précisée"
        )

    ordered = sorted(figures, key=lambda key: (key[0] == TransferTarget.OPERATORS, name(key)))
    rows = [
        (
            key[0],
            "" if key[1] is None else str(key[1]),
            name(key),
            attempts,
            answered,
            share(answered, attempts),
            referred,
            contacted,
            quoted,
        )
        for key in ordered
        for attempts, answered, referred, contacted, quoted in [figures[key]]
    ]
    return [
        table(
            "associations",
            "Associations : transferts, orientations et suivi",
            (
                code_column("target", "Type"),
                code_column("association_id", "N°"),
                dimension("association", "Association"),
                Column("transfers", "Transferts"),
                Column("answered", "Décrochés"),
                Column("answer_rate", "Taux de décroché", "share"),
                Column("referrals", "Orientations"),
                Column("contacted_24h", "Recontactés sous 24 h"),
                Column("quotes", "Devis envoyés"),
            ),
            rows,
        )
    ]


_BUILDERS: tuple[tuple[str, Callable[[Session, _Period], Sequence[ReportTable]]], ...] = (
    ("key_figures", _key_figures),
    ("categories", _categories),
    ("communes", _communes),
    ("profile", _profile),
    ("heard_from", _heard_from),
    ("heatmap", _heatmap),
    ("funnel", _funnel),
    ("unmet", _unmet),
    ("associations", _associations),
)
STEPS = tuple(step for step, _ in _BUILDERS)
"""The steps of `build_report`, in order, for a progress bar."""
