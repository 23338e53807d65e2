"""The analytics (portal/services/analytics.py) on hand-built referrals and placements whose figures are known in
advance. Rows are inserted directly, shaped as the services make them, so each test controls every date and price.

The world's clock stands at Monday 2 November 2026 (Q3 2026-27); the period is Q1 to Q3 2026-27."""

from datetime import date, datetime
from decimal import Decimal
from itertools import count

import pytest

from portal.extensions import db
from portal.models import Bid, BidInvitation, Placement, Referral, ReferralRound
from portal.models.placement_life import PlacementIncident, PlacementPrice
from portal.quarters import Quarter
from portal.services import analytics
from portal.services.analytics import Scope, _interpolated, period

Q1, Q2, Q3 = Quarter(2026, 1), Quarter(2026, 2), Quarter(2026, 3)
NUMBERS = count(1)


def scope_of(world, *, authority=None, lot_id=None, dps_ids=None) -> Scope:
    return Scope(authority_ids=((authority or world.member).id,), quarters=(Q1, Q2, Q3), lot_id=lot_id,
                 dps_ids=dps_ids)


def referral(world, *, published: datetime | None = None, lot=None, authority=None, awarded: datetime | None = None,
             exhausted: datetime | None = None, deadline: datetime | None = None) -> Referral:
    number = next(NUMBERS)
    lot = lot or world.lots[0]
    moment = published or datetime(2026, 4, 1)
    item = Referral(reference=f"T-{number:05d}", dps_id=lot.dps_id, lot_id=lot.id,
                    authority_id=(authority or world.member).id, created_by_id=world.member_officer.id,
                    expected_duration="A year", age_years=16, created_at=moment, updated_at=moment,
                    published_at=published, awarded_at=awarded, exhausted_at=exhausted)
    db.session.add(item)
    db.session.flush()
    if published is not None:
        db.session.add(ReferralRound(referral_id=item.id, number=1, tier=1, opened_at=published,
                                     opened_by_id=world.member_officer.id, deadline=deadline or published))
        db.session.flush()
    return item


def placement(world, *, start: date, weekly: str = "1000.00", in_area=True, on_framework=True, tier=1, lot=None,
              authority=None, end: date | None = None, planned=True, breach=False, published=None,
              awarded=None) -> Placement:
    made = referral(world, published=published or datetime(2026, 4, 1), lot=lot, authority=authority,
                    awarded=awarded)
    item = Placement(agreement_reference=f"IPA-{made.reference}", referral_id=made.id,
                     authority_id=made.authority_id, on_framework=on_framework,
                     provider_id=world.provider_a.organisation_id if on_framework else None,
                     lot_id=made.lot_id if on_framework else None, tier=tier if on_framework else None,
                     weekly_cost=Decimal(weekly), start_date=start, location_area="Sefton", in_home_area=in_area,
                     location_was_preferred=True, created_by_id=world.member_officer.id, created_at=made.created_at,
                     end_date=end, ending_planned=None if end is None else planned, short_notice_breach=breach)
    db.session.add(item)
    db.session.flush()
    db.session.add(PlacementPrice(placement_id=item.id, effective_from=start, weekly_cost=Decimal(weekly),
                                  recorded_by_id=world.member_officer.id, recorded_at=made.created_at))
    db.session.flush()
    return item


def one(world, key, **scope_kwargs):
    return analytics.figure(scope_of(world, **scope_kwargs), datetime(2026, 11, 2, 10), key)


def values(figure, series=0):
    return figure.series[series].values


# The period -------------------------------------------------------------------------------------------------

def test_the_period_defaults_to_the_last_four_quarters_and_keeps_at_most_twelve():
    today = date(2026, 11, 2)
    assert period(None, None, today) == (Quarter(2025, 4), Q1, Q2, Q3)
    assert period("2026-Q2", "2026-Q1", today) == (Q1, Q2)  # turned round
    assert period("nonsense", "2026-Q2", today)[-1] == Q2
    long = period("2020-Q1", "2026-Q3", today)
    assert len(long) == 12 and long[-1] == Q3


def test_interpolation_is_percentile_cont():
    # 4 prices 100, 200, 300, 400: positions (n-1)p = 0.75, 1.5, 2.25
    ordered = {0: Decimal(100), 1: Decimal(200), 2: Decimal(300), 3: Decimal(400)}
    assert [_interpolated(ordered, 4, number) for number in (1, 2, 3)] == [Decimal(175), Decimal(250),
                                                                        Decimal(325)]
    assert _interpolated({0: Decimal(70)}, 1, 2) == Decimal(70)


# Placements ---------------------------------------------------------------------------------------------------

def test_in_area_share_per_quarter(world):
    placement(world, start=date(2026, 5, 1), in_area=True)
    for _ in range(3):
        placement(world, start=date(2026, 5, 2), in_area=False)
    placement(world, start=date(2026, 8, 1), in_area=True)
    placement(world, start=date(2026, 8, 1), in_area=True, authority=world.lead)  # another authority's
    db.session.commit()
    figure = one(world, "in-area")
    assert values(figure, 0) == [Decimal("25.0"), Decimal("100.0"), None]
    assert values(figure, 1) == [Decimal("75.0"), Decimal("0.0"), None]
    assert one(world, "in-area", authority=world.lead).series[0].values == [None, Decimal("100.0"), None]


def test_framework_and_off_framework_placements(world):
    placement(world, start=date(2026, 4, 1))
    placement(world, start=date(2026, 10, 5), on_framework=False)
    placement(world, start=date(2026, 3, 31))  # the day before the period
    db.session.commit()
    figure = one(world, "framework")
    assert values(figure, 0) == [1, 0, 0]
    assert values(figure, 1) == [0, 0, 1]


def test_weekly_spend_follows_the_price_in_force_at_each_quarters_end(world):
    changed = placement(world, start=date(2026, 5, 1), weekly="1000.00")
    db.session.add(PlacementPrice(placement_id=changed.id, effective_from=date(2026, 9, 1),
                                  weekly_cost=Decimal("1200.00"), recorded_by_id=world.member_officer.id,
                                  recorded_at=datetime(2026, 9, 1)))
    # Agreed on 2 November (today) from 1 December: Q3 is under way, so its spend is today's, still 1200.
    db.session.add(PlacementPrice(placement_id=changed.id, effective_from=date(2026, 12, 1),
                                  weekly_cost=Decimal("1500.00"), recorded_by_id=world.member_officer.id,
                                  recorded_at=datetime(2026, 11, 2)))
    placement(world, start=date(2026, 6, 1), weekly="800.00", on_framework=False, end=date(2026, 9, 30))
    placement(world, start=date(2026, 6, 1), weekly="500.00", end=date(2026, 6, 30))  # ends on Q1's last day
    placement(world, start=date(2026, 11, 20), weekly="700.00")  # starts after today: not yet spent
    db.session.commit()
    figure = one(world, "spend")
    assert values(figure, 0) == [Decimal("1000.00"), Decimal("1200.00"), Decimal("1200.00")]
    # An end date is the first day the child no longer lives there: on 30 September the off-framework one has ended.
    assert values(figure, 1) == [Decimal("800.00"), Decimal("0.00"), Decimal("0.00")]


def test_weekly_price_quartiles_by_lot_and_tier(world):
    for weekly in ("100.00", "200.00", "300.00", "400.00"):
        placement(world, start=date(2026, 5, 1), weekly=weekly, tier=1)
    placement(world, start=date(2026, 5, 1), weekly="900.00", tier=2)
    placement(world, start=date(2026, 8, 1), weekly="700.00", tier=1, lot=world.lots[1])
    db.session.commit()
    figure = one(world, "weekly-price")
    rows = dict(zip(figure.labels, zip(*(series.values for series in figure.series), strict=True), strict=True))
    lot_1, lot_2 = world.lots[0].label, world.lots[1].label
    assert rows[f"Q1 2026-27, {lot_1}, tier 1 (4 placements)"] == (Decimal("175.00"), Decimal("250.00"),
                                                                  Decimal("325.00"))
    assert rows[f"Q1 2026-27, {lot_1}, tier 2 (1 placement)"] == (Decimal("900.00"),) * 3
    assert rows[f"Q2 2026-27, {lot_2}, tier 1 (1 placement)"] == (Decimal("700.00"),) * 3
    assert figure.extra["placements"] == [4, 1, 1]
    only_lot_2 = one(world, "weekly-price", lot_id=world.lots[1].id)
    assert only_lot_2.labels == [f"Q2 2026-27, {lot_2}, tier 1 (1 placement)"]


def test_the_window_function_fallback_agrees_with_the_database(world, monkeypatch):
    """On PostgreSQL the quartiles come from percentile_cont: the fallback must give the same answers."""
    for weekly in ("100.00", "150.00", "200.00", "260.00", "1000.00", "1010.00", "2000.00"):
        placement(world, start=date(2026, 5, 1), weekly=weekly)
    db.session.commit()
    scope = scope_of(world)
    native = sorted(analytics._price_groups(scope))
    monkeypatch.setattr(db.engine.dialect, "name", "other")
    assert sorted(analytics._price_groups(scope)) == native
    assert native[0][4] == [Decimal("175.00"), Decimal("260.00"), Decimal("1005.00")]


def test_kpi_trends_count_endings_unplanned_short_notice_and_allegations(world):
    placement(world, start=date(2026, 1, 5), end=date(2026, 5, 1), planned=True)
    placement(world, start=date(2026, 1, 5), end=date(2026, 5, 2), planned=False, breach=True)
    placement(world, start=date(2026, 1, 5), end=date(2026, 8, 2), planned=False)
    alleged = placement(world, start=date(2026, 1, 5))
    for day, category in ((date(2026, 10, 1), "allegation"), (date(2026, 10, 2), "allegation"),
                          (date(2026, 10, 3), "incident")):
        db.session.add(PlacementIncident(placement_id=alleged.id, occurred_on=day, category=category,
                                          recorded_by_id=world.member_officer.id, recorded_at=datetime(2026, 10, 3)))
    db.session.commit()
    figure = one(world, "kpi-trends")
    assert [series.values for series in figure.series] == [[2, 1, 0], [1, 1, 0], [1, 0, 0], [0, 0, 2]]


# Referrals ----------------------------------------------------------------------------------------------------

def _bid(world, item, provider, status="submitted"):
    invitation = BidInvitation(referral_id=item.id, round_id=item.rounds[0].id, provider_id=provider.organisation_id,
                               tier=1, invited_at=item.published_at)
    db.session.add(invitation)
    db.session.flush()
    db.session.add(Bid(referral_id=item.id, round_id=item.rounds[0].id, invitation_id=invitation.id,
                       provider_id=provider.organisation_id, status=status, core_weekly_fee=Decimal("1000.00"),
                       weekly_price=Decimal("1000.00"), proposed_start=date(2026, 6, 1), home_area="Sefton",
                       home_description="A home", how_needs_met="Well", submitted_at=item.published_at,
                       submitted_by_id=provider.id, content_sha256="0" * 64))
    db.session.flush()


def test_bids_per_referral_no_bid_and_exhausted(world):
    first = referral(world, published=datetime(2026, 5, 1, 9))
    _bid(world, first, world.provider_a)
    _bid(world, first, world.provider_b)
    second = referral(world, published=datetime(2026, 5, 2, 9), exhausted=datetime(2026, 5, 20))
    _bid(world, second, world.provider_a, status="withdrawn")
    referral(world, published=datetime(2026, 10, 30, 9), deadline=datetime(2026, 11, 9))  # still open, no bid yet
    referral(world)  # a draft: never counted
    db.session.commit()
    assert values(one(world, "bids-per-referral")) == [Decimal("1.00"), None, Decimal("0.00")]
    no_bid = one(world, "no-bid")
    assert values(no_bid, 0) == [2, 0, 1]
    assert values(no_bid, 1) == [1, 0, 0]
    assert values(one(world, "exhausted")) == [Decimal("50.0"), None, Decimal("0.0")]


def test_a_quarter_is_bounded_in_uk_time(world):
    # 23:30 UTC on 30 June 2026 is 00:30 on 1 July in London: Q2
    referral(world, published=datetime(2026, 6, 30, 23, 30))
    db.session.commit()
    assert values(one(world, "no-bid"), 0) == [0, 1, 0]


def test_decline_reasons(world):
    item = referral(world, published=datetime(2026, 5, 1, 9))
    for provider, reason in ((world.provider_a, "no_vacancy"), (world.provider_b, "no_vacancy")):
        db.session.add(BidInvitation(referral_id=item.id, round_id=item.rounds[0].id,
                                     provider_id=provider.organisation_id, tier=1, invited_at=item.published_at,
                                     declined_at=datetime(2026, 5, 2), decline_reason=reason))
    db.session.commit()
    figure = one(world, "decline-reasons")
    assert dict(zip(figure.labels, values(figure), strict=True))["No vacancy"] == 2
    assert sum(values(figure)) == 2


def test_time_from_publication_to_award_and_start(world):
    placement(world, start=date(2026, 5, 11), published=datetime(2026, 5, 1, 9), awarded=datetime(2026, 5, 5, 9))
    placement(world, start=date(2026, 5, 21), published=datetime(2026, 5, 1, 9), awarded=datetime(2026, 5, 7, 9))
    db.session.commit()
    figure = one(world, "time-to-award")
    assert values(figure, 0) == [Decimal("5.0"), None, None]
    # (9 days 15 hours + 19 days 15 hours) / 2 from 09:00 on 1 May to midnight at the start
    assert values(figure, 1) == [Decimal("14.6"), None, None]


# Filters ------------------------------------------------------------------------------------------------------

def test_the_lot_and_the_consortium_filters(world, clock):
    from tests.factories import build_dps

    placement(world, start=date(2026, 5, 1), lot=world.lots[0])
    placement(world, start=date(2026, 5, 1), lot=world.lots[1])
    other = build_dps(world.outside_admin, clock, reference="ELSEWHERE")
    placement(world, start=date(2026, 5, 1), lot=other.lots[0])  # the member on another consortium's DPS
    db.session.commit()
    assert values(one(world, "framework"), 0) == [3, 0, 0]
    assert values(one(world, "framework", lot_id=world.lots[1].id), 0) == [1, 0, 0]
    assert values(one(world, "framework", dps_ids=(world.dps.id,)), 0) == [2, 0, 0]


def test_consortium_authorities_are_the_leads_and_members(world):
    dps_ids = analytics.led_dps_ids(world.admin)
    assert [authority.name for authority in analytics.consortium_authorities(dps_ids)] == ["Lead Council",
                                                                                         "Member Council"]
    assert analytics.led_dps_ids(world.member_officer) == ()


@pytest.mark.parametrize("key", list(analytics.ORDER))
def test_every_figure_is_empty_without_data(world, key):
    assert one(world, key).is_empty()
