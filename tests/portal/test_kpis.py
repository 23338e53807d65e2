"""The quarterly KPIs on a hand-built quarter (Q2 2026-27: 1 July to 30 September 2026) whose figures are worked
out in advance, the rates, the ranking and thresholds, and the quarter's boundaries in UK time."""

from datetime import date, datetime
from decimal import Decimal

import pytest

from portal.extensions import db
from portal.models import KpiThreshold, PlacementFeedback, PlacementIncident
from portal.quarters import Quarter, quarter_at
from portal.services import kpis
from portal.services.kpis import Scope
from portal.timezone import to_local
from tests.factories import admit, placed

Q2 = Quarter(2026, 2)
AFTER = date(2026, 11, 2)  # the quarter has ended


def set_life(placement, start, end=None, *, planned=None, breach=False):
    placement.start_date = start
    placement.end_date = end
    placement.ending_planned = planned
    placement.short_notice_breach = breach
    return placement


def incident(world, placement, day, category):
    db.session.add(PlacementIncident(placement=placement, occurred_on=day, category=category, summary="",
                                     recorded_by_id=world.member_officer.id, recorded_at=datetime(2026, 11, 1)))


def feedback(world, placement, day, rating):
    db.session.add(PlacementFeedback(placement=placement, given_on=day, given_by="iro", rating=rating,
                                     recorded_by_id=world.member_officer.id, recorded_at=datetime(2026, 11, 1)))


def several(world, clock, count, user):
    admit(user, world.lots[0], clock=clock)
    return [placed(world, clock, user=user, admitted=False) for _ in range(count)]


@pytest.fixture
def quarter(world, clock):
    """Alpha: a1 live throughout; a2 ended on 1 July (unplanned, provider's short notice); a3 started 10 August and
    ended 30 September (planned); a4 starts 1 October; a5 ended 30 June. Beta: b1 started 30 September; b2 live
    from 1 April, ended 1 October (unplanned, after the quarter). Off the count: an off-framework-style row."""
    a1, a2, a3, a4, a5 = several(world, clock, 5, world.provider_a)
    b1, b2 = several(world, clock, 2, world.provider_b)
    set_life(a1, date(2026, 5, 1))
    set_life(a2, date(2026, 6, 1), date(2026, 7, 1), planned=False, breach=True)
    set_life(a3, date(2026, 8, 10), date(2026, 9, 30), planned=True)
    set_life(a4, date(2026, 10, 1))
    set_life(a5, date(2026, 3, 1), date(2026, 6, 30), planned=False)
    set_life(b1, date(2026, 9, 30))
    set_life(b2, date(2026, 4, 1), date(2026, 10, 1), planned=False)
    incident(world, a1, date(2026, 7, 15), "allegation")
    incident(world, a1, date(2026, 6, 30), "allegation")  # Q1
    incident(world, a3, date(2026, 9, 30), "safeguarding")
    incident(world, b1, date(2026, 10, 1), "incident")  # Q3
    feedback(world, a1, date(2026, 8, 1), 4)
    feedback(world, a3, date(2026, 9, 1), 5)
    feedback(world, a1, date(2026, 10, 1), 1)  # Q3
    db.session.commit()
    return {"alpha": world.provider_a.organisation_id, "beta": world.provider_b.organisation_id,
            "placements": (a1, a2, a3, a4, a5, b1, b2)}


def test_each_count_of_a_hand_built_quarter(world, quarter):
    figures = kpis.by_provider(Q2, Scope(world.dps.id), AFTER)
    alpha, beta = figures[quarter["alpha"]], figures[quarter["beta"]]
    assert (alpha.live_at_start, alpha.live_at_end, alpha.live_during) == (1, 1, 3)  # a1 | a1 | a1, a2, a3
    assert (alpha.started, alpha.ended, alpha.unplanned, alpha.short_notice) == (1, 2, 1, 1)
    assert (alpha.allegations, alpha.safeguarding, alpha.incidents) == (1, 1, 0)
    assert (alpha.feedback_count, alpha.feedback_average) == (2, Decimal("4.50"))
    assert (beta.live_at_start, beta.live_at_end, beta.live_during) == (1, 2, 2)
    assert (beta.started, beta.ended, beta.unplanned, beta.short_notice, beta.incidents) == (1, 0, 0, 0, 0)
    assert beta.feedback_average is None


def test_rates_are_per_100_placements_live_during_the_quarter(world, quarter):
    alpha = kpis.by_provider(Q2, Scope(world.dps.id), AFTER)[quarter["alpha"]]
    assert alpha.rate("unplanned") == Decimal("33.3")
    assert alpha.rate("ended") == Decimal("66.7")
    assert alpha.value("feedback") == Decimal("4.50")
    assert kpis.Figures().rate("unplanned") is None  # no placements, no rate


def test_the_consortium_adds_the_providers_up(world, quarter):
    whole = kpis.consortium(Q2, Scope(world.dps.id), AFTER)
    assert (whole.live_during, whole.ended, whole.unplanned, whole.started) == (5, 2, 1, 2)
    assert whole.rate("unplanned") == Decimal("20.0")
    assert whole.feedback_average == Decimal("4.50")


def test_one_authoritys_placements_only(world, quarter):
    assert kpis.by_provider(Q2, Scope(world.dps.id, authority_id=world.lead.id), AFTER) == {}
    assert kpis.consortium(Q2, Scope(world.dps.id, authority_id=world.member.id), AFTER).live_during == 5


def test_off_framework_and_other_arrangements_are_not_counted(world, quarter):
    a1 = quarter["placements"][0]
    a1.on_framework = False
    db.session.commit()
    alpha = kpis.by_provider(Q2, Scope(world.dps.id), AFTER)[quarter["alpha"]]
    assert alpha.live_during == 2 and alpha.allegations == 0
    assert kpis.by_provider(Q2, Scope(world.dps.id + 1000), AFTER) == {}


def test_the_quarter_running_counts_up_to_today(world, quarter):
    # On 15 September: a3's ending on 30 September has not happened, and b1 has not started
    beta = kpis.by_provider(Q2, Scope(world.dps.id), date(2026, 9, 15))[quarter["beta"]]
    alpha = kpis.by_provider(Q2, Scope(world.dps.id), date(2026, 9, 15))[quarter["alpha"]]
    assert (alpha.ended, alpha.live_at_end) == (1, 2)
    assert (beta.started, beta.live_during) == (0, 1)
    assert kpis.by_provider(Quarter(2027, 1), Scope(world.dps.id), date(2026, 9, 15)) == {}


def test_an_ending_on_1_july_counts_in_q2_at_the_change_of_quarter_in_summer_time(world, quarter):
    moment = datetime(2026, 6, 30, 23, 30)  # 00:30 on 1 July in British Summer Time
    today = to_local(moment).date()
    assert quarter_at(moment) == Q2 and today == date(2026, 7, 1)
    alpha_q2 = kpis.by_provider(Q2, Scope(world.dps.id), today)[quarter["alpha"]]
    assert alpha_q2.ended == 1 and alpha_q2.unplanned == 1  # a2, ended 1 July
    alpha_q1 = kpis.by_provider(Q2.previous, Scope(world.dps.id), today)[quarter["alpha"]]
    assert alpha_q1.live_at_end == 2  # a1 and a2 lived there on 30 June
    assert alpha_q1.ended == 1  # a5, on 30 June
    assert alpha_q1.allegations == 1


def test_ranking_puts_the_lowest_rate_first_with_the_previous_quarter_and_flags(world, quarter, clock):
    db.session.add(KpiThreshold(dps_id=world.dps.id, kpi="unplanned", limit=Decimal("10"),
                                set_by_id=world.admin.id, set_at=clock.now()))
    db.session.commit()
    rows = kpis.ranking(Q2, Scope(world.dps.id), "unplanned", AFTER)
    assert [(row.rank, row.figures.name) for row in rows] == [(1, "Beta Homes"), (2, "Alpha Care")]
    assert rows[1].figures.flags == {"unplanned"} and rows[0].figures.flags == set()
    assert rows[1].previous.rate("unplanned") == Decimal("33.3")  # Q1: a5 of a1, a2, a5 (a2 ended in Q2)
    feedback_rows = kpis.ranking(Q2, Scope(world.dps.id), "feedback", AFTER)
    assert [(row.rank, row.figures.name) for row in feedback_rows] == [(1, "Alpha Care"), (None, "Beta Homes")]


def test_equal_rates_share_a_rank(world, quarter):
    rows = kpis.ranking(Q2.next, Scope(world.dps.id), "short_notice", AFTER)  # Q3 so far: no breach by anyone
    assert [row.rank for row in rows] == [1, 1]


def test_thresholds_flag_a_rate_above_and_a_feedback_below():
    assert kpis.past_threshold("unplanned", Decimal("10.1"), Decimal("10"))
    assert not kpis.past_threshold("unplanned", Decimal("10.0"), Decimal("10"))
    assert kpis.past_threshold("feedback", Decimal("2.99"), Decimal("3"))
    assert not kpis.past_threshold("feedback", None, Decimal("3"))


def test_the_trend_covers_four_quarters_oldest_first(world, quarter):
    points = kpis.trend(Q2, Scope(world.dps.id), quarter["alpha"], AFTER)
    assert [point[0] for point in points] == [Quarter(2025, 3), Quarter(2025, 4), Quarter(2026, 1), Q2]
    assert [point[1].live_during for point in points] == [0, 1, 3, 3]  # a5 from March; a1, a2, a5 in Q1
