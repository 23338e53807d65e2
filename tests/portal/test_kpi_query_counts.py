"""The quarterly KPI and return pages run a fixed number of SQL statements however many providers, placements,
incidents, ratings and returns there are (the method of tests/portal/test_query_counts.py)."""

import itertools
from datetime import date, datetime

from portal.extensions import db
from portal.models import (
    DpsMember,
    LotMembership,
    Organisation,
    PlacementFeedback,
    PlacementIncident,
    QuarterlyReturn,
    ReturnAnswer,
)
from portal.models.organisation import AUTHORITY
from portal.quarters import Quarter
from tests.factories import admit, child_details, placed
from tests.portal.test_query_counts import add_provider, assert_constant

RECORDED = datetime(2026, 11, 1)
CASES = itertools.count(1)


def _placed(world, clock, **kwargs):
    """placed() moves the clock on past the bids' deadline: put it back, so the page's session stays fresh."""
    moment = clock.now()
    # a child of its own each time: a child whose last placement ended unplanned needs senior approvals to be
    # referred again
    kwargs.setdefault("child", child_details(case_number=f"CN-KPI-{next(CASES)}"))
    placement = placed(world, clock, **kwargs)
    clock.set(moment)
    return placement


def _life(world, placement, index: int) -> None:
    """A placement live in Q2 2026-27, every other one ended unplanned, with an allegation and a rating."""
    placement.start_date = date(2026, 5, 1)
    if index % 2:
        placement.end_date, placement.ending_planned, placement.short_notice_breach = date(2026, 8, 1), False, True
    db.session.add(PlacementIncident(placement=placement, occurred_on=date(2026, 7, 10), category="allegation",
                                     recorded_by_id=world.member_officer.id, recorded_at=RECORDED))
    db.session.add(PlacementFeedback(placement=placement, given_on=date(2026, 9, 1), given_by="iro",
                                     rating=1 + index % 5, recorded_by_id=world.member_officer.id,
                                     recorded_at=RECORDED))
    db.session.commit()


def _providers_with_placements(world, clock):
    def add(start, stop):
        for index in range(start, stop):
            user = add_provider(world, index)
            _life(world, _placed(world, clock, user=user), index)
    return add


def test_admin_ranking(world, sign_in, clock):
    """More providers with placements, and more member authorities to choose from."""
    with_placements = _providers_with_placements(world, clock)

    def add(start, stop):
        with_placements(start, stop)
        for index in range(start, stop):
            authority = Organisation(name=f"Council {index:02d}", kind=AUTHORITY, created_at=clock.now())
            db.session.add(DpsMember(dps_id=world.dps.id, authority=authority, joined_on=clock.now().date()))
        db.session.commit()

    assert_constant(sign_in(world.admin), f"/admin/dps/{world.dps.id}/kpis?quarter=2026-Q2", add,
                    shows=lambda i: f"Council {i:02d}")


def test_officers_ranking(world, sign_in, clock):
    assert_constant(sign_in(world.member_officer), f"/authority/dps/{world.dps.id}/kpis?quarter=2026-Q2&kpi=feedback",
                    _providers_with_placements(world, clock), shows=lambda i: f"Provider {i:02d}")


def _a_providers_placements(world, clock):
    admit(world.provider_a, world.lots[0], clock=clock)

    def add(start, stop):
        for index in range(start, stop):
            _life(world, _placed(world, clock, admitted=False), index)
    return add


def test_admin_provider_page(world, sign_in, clock):
    provider_id = world.provider_a.organisation_id
    assert_constant(sign_in(world.admin), f"/admin/dps/{world.dps.id}/kpis/providers/{provider_id}?quarter=2026-Q2",
                    _a_providers_placements(world, clock))


def test_providers_own_kpis(world, sign_in, clock):
    assert_constant(sign_in(world.provider_a), f"/provider/kpis?dps={world.dps.id}&quarter=2026-Q2",
                    _a_providers_placements(world, clock))


def _returns(world, clock, *, provider_ids=None):
    """A return per provider (new ones), or per quarter for provider_a, with two answers each."""
    def add(start, stop):
        for index in range(start, stop):
            provider_id = provider_ids(index) if provider_ids else world.provider_a.organisation_id
            quarter = Quarter(2026, 2) if provider_ids else Quarter(2010 + index, 1 + index % 4)
            db.session.add(QuarterlyReturn(
                dps_id=world.dps.id, provider_id=provider_id, quarter=quarter.key, requested_at=clock.now(),
                due_on=date(2026, 10, 30), answers=[ReturnAnswer(position=1, question="Beds?", answer_type="number"),
                                                    ReturnAnswer(position=2, question="Notes?", answer_type="text")]))
        db.session.commit()
    return add


def _new_provider(world, clock):
    def provider_id(index):
        provider = add_provider(world, index).organisation
        db.session.add(LotMembership(lot=world.lots[0], provider=provider, status="admitted", admitted_at=clock.now()))
        return provider.id
    return provider_id


def test_providers_returns_list(world, sign_in, clock):
    assert_constant(sign_in(world.provider_a), "/provider/returns", _returns(world, clock))


def test_admin_returns_of_a_quarter_and_overdue(world, sign_in, clock):
    add = _returns(world, clock, provider_ids=_new_provider(world, clock))
    assert_constant(sign_in(world.admin), f"/admin/dps/{world.dps.id}/returns?quarter=2026-Q2", add,
                    shows=lambda i: f"Provider {i:02d}")


def test_admin_overdue_returns(world, sign_in, clock):
    add = _returns(world, clock, provider_ids=_new_provider(world, clock))
    assert_constant(sign_in(world.admin), "/admin/returns/overdue", add, shows=lambda i: f"Provider {i:02d}")
