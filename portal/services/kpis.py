"""The quarterly KPIs of the providers on a DPS, computed from the placements' own records (never typed twice).

Which placements: those on the framework (Placement.provider_id) whose lot belongs to the DPS; optionally only one
authority's. Over a quarter (portal/quarters.py: UK dates), up to `today` for the quarter still running:

- live at the start: living there on the quarter's first day (start_date <= first day < end_date);
- live at the end: living there on the quarter's last day (or on `today` for the quarter still running);
- live during the quarter: started before the quarter's end and not ended before its start (start_date < end of
  the quarter, and no end date or an end date on or after its first day); a placement that ended on the first day
  of the quarter counts: its ending is in this quarter. These are the "placements" of each rate;
- started: start date in the quarter; ended: end date (the first day the child no longer lives there) in the
  quarter, so an ending on 1 July counts in Q2; unplanned: ended with `ending_planned` False; without 28 days'
  notice: ended with `short_notice_breach` (the provider's breach);
- allegations, safeguarding concerns, serious incidents: PlacementIncident records dated in the quarter;
- feedback: PlacementFeedback given in the quarter, its average rating (1 to 5) and how many.

Each count is also a rate per 100 placements live during the quarter (None when there were none). Three SQL
aggregates grouped by provider make a quarter, whatever the number of providers or placements.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import sqlalchemy as sa

from portal.charts import LINE, NUMBER, Figure, Series
from portal.errors import DomainError
from portal.extensions import db
from portal.models import (
    KpiThreshold,
    Lot,
    LotMembership,
    Organisation,
    Placement,
    PlacementFeedback,
    PlacementIncident,
)
from portal.quarters import Quarter, last_n, quarter_of
from portal.services import audit

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Kpi:
    key: str
    label: str
    higher_is_worse: bool = True
    average: bool = False  # the average feedback: a rating, not a rate

    @property
    def unit(self) -> str:
        return "average rating (1 to 5)" if self.average else "per 100 placements"


KPIS = {kpi.key: kpi for kpi in (
    Kpi("unplanned", "Unplanned endings"),
    Kpi("short_notice", "Endings without 28 days' notice"),
    Kpi("allegations", "Allegations"),
    Kpi("safeguarding", "Safeguarding concerns"),
    Kpi("incidents", "Serious incidents"),
    Kpi("ended", "Placements ended"),
    Kpi("started", "Placements started", higher_is_worse=False),
    Kpi("feedback", "Average feedback", higher_is_worse=False, average=True),
)}
DEFAULT_KPI = "unplanned"
COUNTS = ("started", "ended", "unplanned", "short_notice", "allegations", "safeguarding", "incidents")


@dataclass
class Figures:
    """One provider's (or the consortium's) figures for a quarter."""

    provider_id: int | None = None
    name: str = ""
    live_at_start: int = 0
    live_at_end: int = 0
    live_during: int = 0
    started: int = 0
    ended: int = 0
    unplanned: int = 0
    short_notice: int = 0
    allegations: int = 0
    safeguarding: int = 0
    incidents: int = 0
    feedback_count: int = 0
    feedback_total: int = 0
    flags: set = field(default_factory=set)  # the KPIs past their threshold

    def count(self, key: str) -> int:
        return self.feedback_count if key == "feedback" else getattr(self, key)

    def rate(self, key: str) -> Decimal | None:
        """Per 100 placements live during the quarter, to one decimal place; None without placements."""
        if not self.live_during:
            return None
        return (Decimal(getattr(self, key)) * HUNDRED / self.live_during).quantize(Decimal("0.1"), ROUND_HALF_UP)

    @property
    def feedback_average(self) -> Decimal | None:
        if not self.feedback_count:
            return None
        return (Decimal(self.feedback_total) / self.feedback_count).quantize(Decimal("0.01"), ROUND_HALF_UP)

    def value(self, key: str) -> Decimal | None:
        """What a KPI is ranked and flagged on: its rate, or the average for feedback."""
        return self.feedback_average if KPIS[key].average else self.rate(key)

    def shown(self, key: str) -> str:
        """The KPI's rate (or average) as a page shows it: "No placements" / "No feedback" without one."""
        value = self.value(key)
        if value is None:
            return "No feedback" if KPIS[key].average else "No placements"
        return str(value)

    def add(self, other: "Figures") -> None:
        for name in ("live_at_start", "live_at_end", "live_during", *COUNTS, "feedback_count", "feedback_total"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass(frozen=True)
class Scope:
    """Whose placements: a DPS's, optionally one authority's, optionally some providers only."""

    dps_id: int
    authority_id: int | None = None
    provider_ids: tuple[int, ...] | None = None

    def where(self) -> list:
        clauses = [Placement.on_framework.is_(True), Placement.provider_id.is_not(None),
                   Placement.lot_id.in_(sa.select(Lot.id).where(Lot.dps_id == self.dps_id))]
        if self.authority_id is not None:
            clauses.append(Placement.authority_id == self.authority_id)
        if self.provider_ids is not None:
            clauses.append(Placement.provider_id.in_(self.provider_ids))
        return clauses


def upto(quarter: Quarter, today: date) -> date:
    """The first day not counted: the quarter's end, or the day after `today` for the quarter still running."""
    return min(quarter.end, today + timedelta(days=1))


def _count(condition):
    return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)


def _placements(quarter: Quarter, scope: Scope, until: date) -> dict[int, Figures]:
    first, last = quarter.start, until - timedelta(days=1)
    ended = sa.and_(Placement.end_date >= first, Placement.end_date < until)

    def live_on(day):
        return sa.and_(Placement.start_date <= day, sa.or_(Placement.end_date.is_(None), Placement.end_date > day))

    rows = db.session.execute(
        sa.select(Placement.provider_id, _count(live_on(first)), _count(live_on(last)), sa.func.count(Placement.id),
                  _count(Placement.start_date >= first), _count(ended),
                  _count(sa.and_(ended, Placement.ending_planned.is_(False))),
                  _count(sa.and_(ended, Placement.short_notice_breach.is_(True))))
        .where(*scope.where(), Placement.start_date < until,
               sa.or_(Placement.end_date.is_(None), Placement.end_date >= first))
        .group_by(Placement.provider_id)).all()
    return {row[0]: Figures(provider_id=row[0], live_at_start=row[1], live_at_end=row[2], live_during=row[3],
                            started=row[4], ended=row[5], unplanned=row[6], short_notice=row[7]) for row in rows}


def _incidents(quarter: Quarter, scope: Scope, until: date) -> list:
    category = PlacementIncident.category
    return db.session.execute(
        sa.select(Placement.provider_id, _count(category == "allegation"), _count(category == "safeguarding"),
                  _count(category == "incident"))
        .join(Placement, Placement.id == PlacementIncident.placement_id)
        .where(*scope.where(), PlacementIncident.occurred_on >= quarter.start, PlacementIncident.occurred_on < until)
        .group_by(Placement.provider_id)).all()


def _feedback(quarter: Quarter, scope: Scope, until: date) -> list:
    return db.session.execute(
        sa.select(Placement.provider_id, sa.func.count(PlacementFeedback.id), sa.func.sum(PlacementFeedback.rating))
        .join(Placement, Placement.id == PlacementFeedback.placement_id)
        .where(*scope.where(), PlacementFeedback.given_on >= quarter.start, PlacementFeedback.given_on < until)
        .group_by(Placement.provider_id)).all()


def by_provider(quarter: Quarter, scope: Scope, today: date) -> dict[int, Figures]:
    """Each provider's figures for the quarter (those with any), in three queries."""
    until = upto(quarter, today)
    if until <= quarter.start:
        return {}
    figures = _placements(quarter, scope, until)
    for provider_id, allegations, safeguarding, incidents in _incidents(quarter, scope, until):
        item = figures.setdefault(provider_id, Figures(provider_id=provider_id))
        item.allegations, item.safeguarding, item.incidents = allegations, safeguarding, incidents
    for provider_id, count, total in _feedback(quarter, scope, until):
        item = figures.setdefault(provider_id, Figures(provider_id=provider_id))
        item.feedback_count, item.feedback_total = count, int(total or 0)
    return figures


def total(figures) -> Figures:
    """The consortium's figures: the providers' added up (the average feedback over every rating)."""
    result = Figures(name="All providers")
    for item in figures:
        result.add(item)
    return result


def consortium(quarter: Quarter, scope: Scope, today: date) -> Figures:
    return total(by_provider(quarter, scope, today).values())


def provider_figures(quarter: Quarter, scope: Scope, provider_id: int, today: date) -> Figures:
    one = Scope(scope.dps_id, scope.authority_id, (provider_id,))
    return by_provider(quarter, one, today).get(provider_id) or Figures(provider_id=provider_id)


# Thresholds ------------------------------------------------------------------------------------------------

def thresholds(dps_id: int) -> dict[str, Decimal]:
    return {row.kpi: row.limit for row in db.session.scalars(
        sa.select(KpiThreshold).where(KpiThreshold.dps_id == dps_id))}


def past_threshold(key: str, value: Decimal | None, limit: Decimal | None) -> bool:
    """A rate above its limit where more is worse; an average feedback below its limit. No figure, no flag."""
    if value is None or limit is None:
        return False
    return value > limit if KPIS[key].higher_is_worse else value < limit


def flag(figures: Figures, limits: dict[str, Decimal]) -> Figures:
    figures.flags = {key for key, limit in limits.items() if key in KPIS
                     and past_threshold(key, figures.value(key), limit)}
    return figures


# The consortium's ranking --------------------------------------------------------------------------------------

@dataclass
class RankedRow:
    rank: int | None
    figures: Figures
    previous: Figures


def providers_on(dps_id: int, extra_ids) -> dict[int, str]:
    """The providers admitted to the DPS, and any others with figures (`extra_ids`), by id: their names."""
    admitted = sa.select(LotMembership.provider_id).join(Lot, Lot.id == LotMembership.lot_id).where(
        Lot.dps_id == dps_id)
    rows = db.session.execute(sa.select(Organisation.id, Organisation.name).where(
        sa.or_(Organisation.id.in_(admitted), Organisation.id.in_(list(extra_ids) or [0])))).all()
    return dict(rows)


def ranking(quarter: Quarter, scope: Scope, key: str, today: date) -> list[RankedRow]:
    """Every provider of the DPS ranked on a KPI's rate for the quarter, best first (lowest where more is worse),
    with the previous quarter beside it; equal figures share a rank; providers without placements come last,
    unranked. Flags come from the DPS's thresholds."""
    kpi = KPIS[key]
    current, previous = by_provider(quarter, scope, today), by_provider(quarter.previous, scope, today)
    names = providers_on(scope.dps_id, set(current) | set(previous))
    limits = thresholds(scope.dps_id)
    rows = []
    for provider_id, name in names.items():
        now_figures = current.get(provider_id) or Figures(provider_id=provider_id)
        before = previous.get(provider_id) or Figures(provider_id=provider_id)
        now_figures.name = before.name = name
        rows.append(RankedRow(None, flag(now_figures, limits), flag(before, limits)))

    def order(row):
        value = row.figures.value(key)
        if value is None:
            return (1, Decimal(0), row.figures.name.lower())
        return (0, value if kpi.higher_is_worse else -value, row.figures.name.lower())

    rows.sort(key=order)
    rank, last = 0, None
    for position, row in enumerate(rows, start=1):
        value = row.figures.value(key)
        if value is None:
            break
        if value != last:
            rank, last = position, value
        row.rank = rank
    return rows


# Trends ----------------------------------------------------------------------------------------------------------

def trend(latest: Quarter, scope: Scope, provider_id: int, today: date,
          count: int = 4) -> list[tuple[Quarter, Figures]]:
    return [(quarter, provider_figures(quarter, scope, provider_id, today)) for quarter in last_n(latest, count)]


def quarter_choices(today: date, count: int = 8) -> list[Quarter]:
    """The quarters a page offers, newest first: the one running and those before it."""
    return last_n(quarter_of(today), count)[::-1]


def default_quarter(today: date) -> Quarter:
    """The last quarter that has ended."""
    return quarter_of(today).previous


def set_thresholds(user, dps, typed: dict[str, str | None], now) -> list[str]:
    """Set the thresholds typed for the DPS's KPIs (an empty one removes it): every one is checked before any is
    stored, so a refused form changes nothing. Returns the keys changed."""
    existing = {row.kpi: row for row in db.session.scalars(
        sa.select(KpiThreshold).where(KpiThreshold.dps_id == dps.id))}
    wanted = {}
    for key, text in typed.items():
        if key not in KPIS:
            raise DomainError("Choose a KPI", field="kpi")
        text = (text or "").strip()
        wanted[key] = _limit(key, text) if text else None
    changed = [key for key, value in wanted.items()
               if value != (existing[key].limit if key in existing else None)]
    for key in changed:
        _store_threshold(user, dps, key, existing.get(key), wanted[key], now)
    db.session.commit()
    return changed


def set_threshold(user, dps, key: str, limit: str | None, now) -> None:
    set_thresholds(user, dps, {key: limit}, now)


def _store_threshold(user, dps, key: str, row: KpiThreshold | None, value: Decimal | None, now) -> None:
    before = {"limit": str(row.limit)} if row else None
    if value is None:
        db.session.delete(row)
    else:
        row = row or KpiThreshold(dps_id=dps.id, kpi=key)
        row.limit, row.set_by_id, row.set_at = value, user.id, now
        db.session.add(row)
    audit.record(at=now, actor=user, action="kpis.threshold_set", entity=dps,
                 summary=f"{KPIS[key].label} threshold on {dps.reference}: {value if value is not None else 'none'}",
                 before=before, after={"limit": None if value is None else str(value)})


def _limit(key: str, text: str) -> Decimal:
    kpi = KPIS[key]
    highest = Decimal(5) if kpi.average else Decimal(100)
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise DomainError(f"Enter the limit of {kpi.label.lower()} as a number, like 10", field=key) from None
    if not value.is_finite() or not 0 <= value <= highest:
        raise DomainError(f"The limit of {kpi.label.lower()} must be between 0 and {highest}", field=key)
    return value.quantize(Decimal("0.01"))


# A provider's page ---------------------------------------------------------------------------------------------------

CHARTED = ("unplanned", "short_notice", "allegations", "ended")


def provider_name(dps_id: int, provider_id: int) -> str | None:
    """The provider's name if it is (or was) admitted to the DPS or has placements on it; else None."""
    on_dps = sa.or_(
        Organisation.id.in_(sa.select(LotMembership.provider_id).join(Lot, Lot.id == LotMembership.lot_id)
                            .where(Lot.dps_id == dps_id)),
        Organisation.id.in_(sa.select(Placement.provider_id).join(Lot, Lot.id == Placement.lot_id)
                            .where(Lot.dps_id == dps_id)))
    return db.session.scalar(sa.select(Organisation.name).where(Organisation.id == provider_id, on_dps))


@dataclass
class ProviderPage:
    quarter: Quarter
    figures: Figures
    previous: Figures
    points: list
    limits: dict

    @property
    def kpis(self):
        return list(KPIS.values())

    def figure(self):
        return Figure(key="kpi-trend", title="KPIs over the last four quarters (per 100 placements)",
                      labels=[quarter.short_label for quarter, _ in self.points],
                      series=[Series(KPIS[key].label, [item.rate(key) for _, item in self.points]) for key in CHARTED],
                      unit=NUMBER, kind=LINE, label_heading="Quarter",
                      note="Each figure is per 100 placements live during the quarter.")


def provider_page(quarter: Quarter, scope: Scope, provider_id: int, today: date) -> ProviderPage:
    """The provider's figures for the quarter and the one before, its trend over four quarters, flagged on the
    DPS's thresholds: 4 x 3 queries and one for the thresholds."""
    points = trend(quarter, scope, provider_id, today)
    limits = thresholds(scope.dps_id)
    for _, item in points:
        flag(item, limits)
    return ProviderPage(quarter, points[-1][1], points[-2][1], points, limits)


class RowsPage:
    """A page of an already-bounded list computed in Python (the ranking), shaped as Flask-SQLAlchemy's pages
    for the `pagination` macro."""

    def __init__(self, items: list, page: int, per_page: int = 25):
        self.total = len(items)
        self.per_page = per_page
        self.pages = max(1, -(-self.total // per_page))
        self.page = min(max(page, 1), self.pages)
        self.items = items[(self.page - 1) * per_page:self.page * per_page]
        self.has_prev, self.has_next = self.page > 1, self.page < self.pages
        self.prev_num, self.next_num = self.page - 1, self.page + 1

    def iter_pages(self):
        return iter(range(1, self.pages + 1))
