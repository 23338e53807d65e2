"""Sufficiency and spend analytics, for one authority (its own data) or for a consortium's administrator (all the
members of the DPSs it leads, or one of them), over a run of financial quarters and, if chosen, one lot.

Every figure is an SQL aggregate grouped by quarter over indexed columns: a quarter is a CASE over the quarters'
bounds (`_quarter_of`), so one statement answers for the whole period, and the page runs the same number of
statements however many referrals and placements there are. Nothing loads rows to count them in Python.

The weekly price's quartiles: PostgreSQL computes them with percentile_cont. Elsewhere (SQLite, for development
and the tests) the database numbers each group's prices in order with window functions and returns only the rows
either side of each quartile's position, at most six a group; Python interpolates between them exactly as
percentile_cont does (`_interpolated`). Both give the same answers (tests/portal/test_analytics.py).
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa

from portal.charts import BAR, COUNT, LINE, MONEY, NUMBER, PERCENT, STACKED, Figure, Series
from portal.errors import NotFound
from portal.extensions import db
from portal.formatting import rounded
from portal.forms import record_id
from portal.models import Bid, BidInvitation, Dps, DpsMember, Lot, Organisation, Placement, Referral, ReferralRound
from portal.models.bid import SUBMITTED
from portal.models.placement_life import PlacementIncident, PlacementPrice
from portal.models.referral import DECLINE_REASONS
from portal.quarters import Quarter, last_n, parse, quarter_of
from portal.timezone import to_local

DEFAULT_QUARTERS = 4
MAX_QUARTERS = 12
QUARTILES = (1, 2, 3)  # in quarters: the lower quartile, the median, the upper quartile


@dataclass(frozen=True)
class Scope:
    """Whose figures, over which quarters (oldest first), for which lot (None: every lot)."""

    authority_ids: tuple[int, ...]
    quarters: tuple[Quarter, ...]
    dps_ids: tuple[int, ...] | None = None  # a consortium's view: only the referrals of its DPSs
    lot_id: int | None = None

    @property
    def first(self) -> Quarter:
        return self.quarters[0]

    @property
    def last(self) -> Quarter:
        return self.quarters[-1]

    @property
    def labels(self) -> list[str]:
        return [quarter.short_label for quarter in self.quarters]


def period(first_key: str | None, last_key: str | None, today: date) -> tuple[Quarter, ...]:
    """The quarters asked for by their keys ("2026-Q2"), oldest first: the last DEFAULT_QUARTERS up to this one
    when not given or not readable, and at most MAX_QUARTERS (the latest kept)."""
    last = parse(last_key) or quarter_of(today)
    first = parse(first_key) or last_n(last, DEFAULT_QUARTERS)[0]
    if first > last:
        first, last = last, first
    quarters = [first]
    while quarters[-1] < last:
        quarters.append(quarters[-1].next)
    return tuple(quarters[-MAX_QUARTERS:])


@dataclass(frozen=True)
class Filters:
    """What the analytics page was asked for, read from its address (so a view can be shared)."""

    quarters: tuple[Quarter, ...]
    lot_id: int | None = None
    authority_id: int | None = None

    def args(self) -> dict:
        """The address's arguments for these filters."""
        args = {"from": self.quarters[0].key, "to": self.quarters[-1].key}
        if self.lot_id is not None:
            args["lot"] = self.lot_id
        if self.authority_id is not None:
            args["authority"] = self.authority_id
        return args


def read_filters(args, today: date, lot_ids, authority_ids=None) -> Filters:
    """The filters of a page's address. An unreadable period falls back to the default; a lot or an authority that
    is not among those offered raises NotFound (a tampered address)."""
    quarters = period(args.get("from"), args.get("to"), today)
    lot_id = _chosen(args.get("lot"), lot_ids)
    authority_id = _chosen(args.get("authority"), authority_ids or ())
    return Filters(quarters, lot_id, authority_id)


def _chosen(value: str | None, allowed) -> int | None:
    if not value:
        return None
    chosen = record_id(value)
    if chosen is None or chosen not in set(allowed):
        raise NotFound()
    return chosen


def quarter_choices(today: date, count: int = 16) -> list[Quarter]:
    """The quarters a period may be chosen from, newest first."""
    return last_n(quarter_of(today), count)[::-1]


@dataclass(frozen=True)
class FilterOptions:
    """The options of the filters' selects, each (value, text, selected); `authorities` only on a consortium's."""

    first: list[tuple]
    last: list[tuple]
    lots: list[tuple]
    authorities: list[tuple] | None


def filter_options(filters: Filters, today: date, lots, authorities=None) -> FilterOptions:
    quarters = quarter_choices(today)
    return FilterOptions(
        first=[(quarter.key, quarter.short_label, quarter == filters.quarters[0]) for quarter in quarters],
        last=[(quarter.key, quarter.short_label, quarter == filters.quarters[-1]) for quarter in quarters],
        lots=[("", "Every lot", False)] + [(lot.id, f"{lot.dps.name}: {lot.label}", lot.id == filters.lot_id)
                                           for lot in lots],
        authorities=None if authorities is None else [("", "Every authority", False)] + [
            (authority.id, authority.name, authority.id == filters.authority_id) for authority in authorities])


# Whose data ----------------------------------------------------------------------------------------------------

def led_dps_ids(administrator) -> tuple[int, ...]:
    return tuple(db.session.scalars(db.select(Dps.id).where(Dps.lead_authority_id == administrator.organisation_id)
                                    .order_by(Dps.id)))


def consortium_authorities(dps_ids: tuple[int, ...]) -> list[Organisation]:
    """The authorities of the consortium's DPSs: their leads and every member, past or present, by name."""
    members = db.select(DpsMember.authority_id).where(DpsMember.dps_id.in_(dps_ids))
    leads = db.select(Dps.lead_authority_id).where(Dps.id.in_(dps_ids))
    return list(db.session.scalars(db.select(Organisation).where(
        sa.or_(Organisation.id.in_(members), Organisation.id.in_(leads))).order_by(Organisation.name)))


def lots_of(dps_ids) -> list[Lot]:
    """The lots a period may be filtered by. `dps_ids` may be a subquery."""
    from sqlalchemy.orm import selectinload

    return list(db.session.scalars(db.select(Lot).where(Lot.dps_id.in_(dps_ids)).options(selectinload(Lot.dps))
                                   .order_by(Lot.dps_id, Lot.number)))


def _referral_scope(scope: Scope) -> list:
    conditions = [Referral.authority_id.in_(scope.authority_ids)]
    if scope.dps_ids is not None:
        conditions.append(Referral.dps_id.in_(scope.dps_ids))
    if scope.lot_id is not None:
        conditions.append(Referral.lot_id == scope.lot_id)
    return conditions


def _placement_scope(scope: Scope) -> list:
    """Placements of the scope: by the placing authority, and through their referral its DPS and lot (an
    off-framework placement has no lot of its own, its referral has)."""
    conditions = [Placement.authority_id.in_(scope.authority_ids)]
    if scope.dps_ids is not None or scope.lot_id is not None:
        # joined on the referral's key, so the placements' own index (authority, date) leads the plan
        conditions += [Placement.referral_id == Referral.id, *_referral_scope(scope)[1:]]
    return conditions


# Quarters in SQL -----------------------------------------------------------------------------------------------

def _quarter_of(column, scope: Scope, *, stored_time: bool):
    """The index in scope.quarters of the quarter `column` falls in (a UK date, or a stored UTC time)."""
    whens = []
    for index, quarter in enumerate(scope.quarters):
        start, end = (quarter.start_utc, quarter.end_utc) if stored_time else (quarter.start, quarter.end)
        whens.append((sa.and_(column >= start, column < end), index))
    return sa.case(*whens, else_=None)


def _in_period(column, scope: Scope, *, stored_time: bool):
    if stored_time:
        return sa.and_(column >= scope.first.start_utc, column < scope.last.end_utc)
    return sa.and_(column >= scope.first.start, column < scope.last.end)


def _days_between(later, earlier, *, later_is_date: bool = False):
    """Days from `earlier` (a stored time) to `later` (a stored time or a date), as a number, in SQL."""
    if db.engine.dialect.name == "postgresql":
        later = sa.cast(later, sa.DateTime) if later_is_date else later
        return sa.extract("epoch", later - earlier) / 86400
    return sa.func.julianday(later) - sa.func.julianday(earlier)


def _decimal(value) -> Decimal | None:
    if value is None:
        return None
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


def _share(part, whole) -> Decimal | None:
    return rounded(Decimal(part) * 100 / Decimal(whole), 1) if whole else None


# The figures ---------------------------------------------------------------------------------------------------

def _placements_started(scope: Scope) -> list[Figure]:
    """Placements started in each quarter: in the authority's own area or elsewhere, on or off the framework."""
    quarter = _quarter_of(Placement.start_date, scope, stored_time=False).label("quarter")
    rows = db.session.execute(
        db.select(quarter, Placement.in_home_area, Placement.on_framework, sa.func.count(Placement.id))
        .where(*_placement_scope(scope), _in_period(Placement.start_date, scope, stored_time=False))
        .group_by(quarter, Placement.in_home_area, Placement.on_framework)).all()
    in_area, elsewhere = [0] * len(scope.quarters), [0] * len(scope.quarters)
    framework, off = [0] * len(scope.quarters), [0] * len(scope.quarters)
    for index, in_home_area, on_framework, count in rows:
        (in_area if in_home_area else elsewhere)[index] += count
        (framework if on_framework else off)[index] += count
    totals = [a + b for a, b in zip(in_area, elsewhere, strict=True)]
    return [
        Figure("in-area", "Placements in the authority's own area", scope.labels,
               [Series("In its own area", [_share(a, t) for a, t in zip(in_area, totals, strict=True)]),
                Series("Elsewhere", [_share(b, t) for b, t in zip(elsewhere, totals, strict=True)])],
               unit=PERCENT, kind=STACKED, label_heading="Quarter started",
               note="The share of the placements started in each quarter whose home is in the placing authority's "
                    "own area."),
        Figure("framework", "Placements on and off the framework", scope.labels,
               [Series("On the framework", framework), Series("Off the framework", off)], unit=COUNT, kind=STACKED,
               label_heading="Quarter started", note="Placements started in each quarter."),
    ]


def _spend(scope: Scope, now: datetime) -> list[Figure]:
    """The weekly spend at each quarter's end: every placement live on its last day at the price then in force; for
    the quarter under way, today (a price agreed from a later day is not yet spent)."""
    today = to_local(now).date()
    selects = []
    for index, quarter in enumerate(scope.quarters):
        day = min(quarter.last_day, today)
        in_force = (db.select(PlacementPrice.weekly_cost).where(PlacementPrice.placement_id == Placement.id,
                                                                PlacementPrice.effective_from <= day)
                    .order_by(PlacementPrice.effective_from.desc(), PlacementPrice.id.desc()).limit(1)
                    .scalar_subquery())
        selects.append(
            db.select(sa.literal(index).label("quarter"), Placement.on_framework.label("on_framework"),
                      sa.func.sum(sa.func.coalesce(in_force, Placement.weekly_cost)).label("weekly"))
            .where(*_placement_scope(scope), Placement.start_date <= day,
                   sa.or_(Placement.end_date.is_(None), Placement.end_date > day))
            .group_by(Placement.on_framework))
    framework, off = [Decimal("0.00")] * len(scope.quarters), [Decimal("0.00")] * len(scope.quarters)
    for index, on_framework, weekly in db.session.execute(sa.union_all(*selects)).all():
        (framework if on_framework else off)[index] = rounded(_decimal(weekly), 2)
    return [Figure("spend", "Weekly spend at the end of each quarter", scope.labels,
                   [Series("On the framework", framework), Series("Off the framework", off)], unit=MONEY,
                   kind=STACKED, label_heading="Quarter",
                   note="The weekly price in force on the quarter's last day (today, for the quarter under way) of "
                        "every placement live that day.")]


def _interpolated(ordered: dict[int, Decimal], count: int, quarter: int) -> Decimal:
    """percentile_cont(quarter / 4) from the prices at the positions either side (0-based, in order)."""
    position = Decimal((count - 1) * quarter) / 4
    lower = int(position)
    upper = lower + (1 if position > lower else 0)
    low, high = ordered[lower], ordered[upper]
    return low + (high - low) * (position - lower)


def _price_groups(scope: Scope) -> list[tuple[int, int, int | None, int, list[Decimal]]]:
    """(quarter index, lot id, tier, placements, [lower quartile, median, upper quartile]) of the weekly price
    agreed for the placements started in each quarter, by the referral's lot and the tier placed in."""
    quarter = _quarter_of(Placement.start_date, scope, stored_time=False)
    keys = (quarter.label("quarter"), Referral.lot_id.label("lot_id"), Placement.tier.label("tier"))
    where = [Placement.referral_id == Referral.id, *_placement_scope(scope),
             _in_period(Placement.start_date, scope, stored_time=False)]
    if db.engine.dialect.name == "postgresql":
        quartiles = [sa.func.percentile_cont(number / 4).within_group(Placement.weekly_cost) for number in QUARTILES]
        rows = db.session.execute(db.select(*keys, sa.func.count(Placement.id), *quartiles).where(*where)
                                  .group_by(*keys)).all()
        return [(row[0], row[1], row[2], row[3], [rounded(_decimal(value), 2) for value in row[4:]])
                for row in rows]
    return _price_groups_by_window(keys, where)


def _price_groups_by_window(keys, where) -> list:
    partition = [key.element for key in keys]
    numbered = (db.select(*keys, Placement.weekly_cost.label("price"),
                          (sa.func.row_number().over(partition_by=partition, order_by=Placement.weekly_cost) - 1)
                          .label("position"),
                          sa.func.count().over(partition_by=partition).label("count"))
                .where(*where).subquery())
    near = sa.or_(*(sa.func.abs(numbered.c.position * 4 - (numbered.c.count - 1) * number) < 4
                    for number in QUARTILES))
    rows = db.session.execute(db.select(numbered.c.quarter, numbered.c.lot_id, numbered.c.tier, numbered.c.count,
                                        numbered.c.position, numbered.c.price).where(near)).all()
    groups: dict[tuple, dict[int, Decimal]] = defaultdict(dict)
    counts = {}
    for quarter, lot_id, tier, count, position, price in rows:
        groups[(quarter, lot_id, tier)][position] = _decimal(price)
        counts[(quarter, lot_id, tier)] = count
    return [(*key, counts[key], [rounded(_interpolated(ordered, counts[key], number), 2) for number in QUARTILES])
            for key, ordered in groups.items()]


def _prices(scope: Scope) -> list[Figure]:
    groups = sorted(_price_groups(scope), key=lambda group: (group[0], group[1], group[2] is None, group[2] or 0))
    lots = {lot.id: lot for lot in db.session.scalars(db.select(Lot).where(Lot.id.in_({g[1] for g in groups})))}
    labels, counts, lower, median, upper = [], [], [], [], []
    for index, lot_id, tier, count, (q1, q2, q3) in groups:
        lot = lots[lot_id]
        tier_text = f"tier {tier}" if tier else "no tier or off the framework"
        labels.append(f"{scope.quarters[index].short_label}, {lot.label}, {tier_text} "
                      f"({count} placement{'' if count == 1 else 's'})")
        counts.append(count)
        lower.append(q1)
        median.append(q2)
        upper.append(q3)
    return [Figure("weekly-price", "Weekly price by lot and tier", labels,
                   [Series("Lower quartile", lower), Series("Median", median), Series("Upper quartile", upper)],
                   unit=MONEY, kind=BAR, label_heading="Quarter started, lot and tier",
                   note="The weekly price agreed at the award for the placements started in each quarter.",
                   extra={"placements": counts})]


def _referrals(scope: Scope, now: datetime) -> list[Figure]:
    """Referrals published in each quarter: bids received, those that got none once bidding closed, and those
    that went through every tier without an award (the framework exhausted)."""
    bids = (db.select(sa.func.count(Bid.id)).where(Bid.referral_id == Referral.id, Bid.status == SUBMITTED)
            .correlate(Referral).scalar_subquery())
    last_deadline = (db.select(sa.func.max(ReferralRound.deadline)).where(ReferralRound.referral_id == Referral.id)
                     .correlate(Referral).scalar_subquery())
    each = (db.select(_quarter_of(Referral.published_at, scope, stored_time=True).label("quarter"),
                      bids.label("bids"), last_deadline.label("closes"), Referral.exhausted_at.label("exhausted_at"))
            .where(*_referral_scope(scope), _in_period(Referral.published_at, scope, stored_time=True)).subquery())
    rows = db.session.execute(
        db.select(each.c.quarter, sa.func.count(), sa.func.sum(each.c.bids),
                  sa.func.sum(sa.case((sa.and_(each.c.bids == 0, each.c.closes <= now), 1), else_=0)),
                  sa.func.sum(sa.case((each.c.exhausted_at.is_not(None), 1), else_=0)))
        .group_by(each.c.quarter)).all()
    size = len(scope.quarters)
    published, received, no_bid, exhausted = [0] * size, [0] * size, [0] * size, [0] * size
    for index, count, bid_count, none, used_up in rows:
        published[index], received[index] = count, int(bid_count or 0)
        no_bid[index], exhausted[index] = int(none or 0), int(used_up or 0)
    return [
        Figure("bids-per-referral", "Bids per referral", scope.labels,
               [Series("Bids per referral", [rounded(Decimal(b) / p, 2) if p else None
                                             for b, p in zip(received, published, strict=True)])],
               unit=NUMBER, kind=BAR, label_heading="Quarter published",
               note="Bids received (not withdrawn) for the referrals published in each quarter, per referral."),
        Figure("no-bid", "Referrals that got no bid", scope.labels,
               [Series("Referrals published", published), Series("No bid once bidding closed", no_bid)],
               unit=COUNT, kind=BAR, label_heading="Quarter published",
               note="Market data: referrals for which no provider bid, of those published in each quarter."),
        Figure("exhausted", "Referrals that exhausted every tier", scope.labels,
               [Series("Framework exhausted", [_share(e, p) for e, p in zip(exhausted, published, strict=True)])],
               unit=PERCENT, kind=BAR, label_heading="Quarter published",
               note="The share of the referrals published in each quarter that went through every tier without "
                    "an award."),
    ]


def _declines(scope: Scope) -> list[Figure]:
    rows = dict(db.session.execute(
        db.select(BidInvitation.decline_reason, sa.func.count(BidInvitation.id))
        .join(Referral, Referral.id == BidInvitation.referral_id)
        .where(*_referral_scope(scope), _in_period(BidInvitation.declined_at, scope, stored_time=True))
        .group_by(BidInvitation.decline_reason)).all())
    return [Figure("decline-reasons", "Why providers declined referrals", list(DECLINE_REASONS.values()),
                   [Series("Declines", [rows.get(key, 0) for key in DECLINE_REASONS])], unit=COUNT, kind=BAR,
                   label_heading="Reason",
                   note="Market data: the reasons providers gave for declining an invitation in the period.")]


def _time_to_award(scope: Scope) -> list[Figure]:
    """For the referrals awarded in each quarter: the average days from publication to the award, and to the
    placement's start."""
    quarter = _quarter_of(Referral.awarded_at, scope, stored_time=True).label("quarter")
    rows = db.session.execute(
        db.select(quarter, sa.func.avg(_days_between(Referral.awarded_at, Referral.published_at)),
                  sa.func.avg(_days_between(Placement.start_date, Referral.published_at, later_is_date=True)))
        .outerjoin(Placement, Placement.referral_id == Referral.id)
        .where(*_referral_scope(scope), _in_period(Referral.awarded_at, scope, stored_time=True))
        .group_by(quarter)).all()
    to_award, to_start = [None] * len(scope.quarters), [None] * len(scope.quarters)
    for index, award_days, start_days in rows:
        to_award[index] = rounded(_decimal(award_days), 1) if award_days is not None else None
        to_start[index] = rounded(_decimal(start_days), 1) if start_days is not None else None
    return [Figure("time-to-award", "Days from publication to the award and to the start", scope.labels,
                   [Series("To the award", to_award), Series("To the placement's start", to_start)], unit=NUMBER,
                   kind=BAR, label_heading="Quarter awarded",
                   note="Average calendar days, for the referrals awarded in each quarter.")]


def _kpi_trends(scope: Scope) -> list[Figure]:
    """Endings, unplanned endings, endings without 28 days' notice by the provider, and allegations, per quarter."""
    size = len(scope.quarters)
    quarter = _quarter_of(Placement.end_date, scope, stored_time=False).label("quarter")
    endings, unplanned, short, allegations = [0] * size, [0] * size, [0] * size, [0] * size
    for index, count, not_planned, breaches in db.session.execute(
            db.select(quarter, sa.func.count(Placement.id),
                      sa.func.sum(sa.case((Placement.ending_planned.is_(False), 1), else_=0)),
                      sa.func.sum(sa.case((Placement.short_notice_breach.is_(True), 1), else_=0)))
            .where(*_placement_scope(scope), _in_period(Placement.end_date, scope, stored_time=False))
            .group_by(quarter)).all():
        endings[index], unplanned[index], short[index] = count, int(not_planned or 0), int(breaches or 0)
    occurred = _quarter_of(PlacementIncident.occurred_on, scope, stored_time=False).label("quarter")
    for index, count in db.session.execute(
            db.select(occurred, sa.func.count(PlacementIncident.id))
            .join(Placement, Placement.id == PlacementIncident.placement_id)
            .where(*_placement_scope(scope), PlacementIncident.category == "allegation",
                   _in_period(PlacementIncident.occurred_on, scope, stored_time=False))
            .group_by(occurred)).all():
        allegations[index] = count
    return [Figure("kpi-trends", "Endings and allegations", scope.labels,
                   [Series("Endings", endings), Series("Unplanned endings", unplanned),
                    Series("Ended without 28 days' notice", short), Series("Allegations", allegations)],
                   unit=COUNT, kind=LINE, label_heading="Quarter",
                   note="Placements ended in each quarter, those unplanned, those a provider ended with less than "
                        "28 days' written notice, and allegations of misconduct recorded.")]


# Each figure's key and the function that computes it (with the figures that share its query).
BUILDERS: dict[str, Callable] = {
    "in-area": _placements_started, "framework": _placements_started, "spend": _spend, "weekly-price": _prices,
    "bids-per-referral": _referrals, "no-bid": _referrals, "exhausted": _referrals, "decline-reasons": _declines,
    "time-to-award": _time_to_award, "kpi-trends": _kpi_trends,
}
ORDER = tuple(BUILDERS)


def figures(scope: Scope, now: datetime, keys: tuple[str, ...] = ORDER) -> list[Figure]:
    """The figures asked for, in ORDER, each builder run once."""
    computed: dict[str, Figure] = {}
    for key in keys:
        if key in computed:
            continue
        builder = BUILDERS[key]
        made = builder(scope, now) if builder in (_referrals, _spend) else builder(scope)
        computed.update({figure.key: figure for figure in made})
    return [computed[key] for key in ORDER if key in keys]


def figure(scope: Scope, now: datetime, key: str) -> Figure | None:
    """One figure by its key (for its CSV download); None for a key there is none of."""
    if key not in BUILDERS:
        return None
    return figures(scope, now, (key,))[0]
