"""The Tasks page's sections of the placement's life run a fixed number of SQL statements however many
agreements, reviews and cost reviews are due (tests/portal/test_query_counts.py's assert_constant)."""

from datetime import timedelta
from decimal import Decimal

from portal.extensions import db
from portal.models import Placement, PlacementCost
from portal.services import agreements
from tests.buyer.test_off_framework_routes import add_off_framework_providers, add_placements
from tests.buyer.test_off_framework_service import exhausted_referral
from tests.factories import deciders
from tests.portal.test_query_counts import assert_constant


def add_life(world, clock, template, start, stop):
    """provider_a's placements started 100 days ago (a review overdue), each with an additional cost to review;
    every other one's agreement issued and signed by the provider (to countersign), the rest not issued."""
    add_placements(world, clock, template, start, stop)
    for placement in db.session.scalars(db.select(Placement).where(Placement.agreement_reference.in_(
            [f"IPA-QC-{index:03d}" for index in range(start, stop)]))):
        placement.on_framework, placement.off_framework_provider_id = True, None
        placement.provider_id, placement.lot_id = world.provider_a.organisation_id, world.lots[0].id
        placement.start_date = clock.now().date() - timedelta(days=100)
        placement.costs.append(PlacementCost(position=2, description=f"Extra support {placement.id}",
                                             weekly_amount=Decimal("100.00"), review_date=clock.now().date()))
        db.session.commit()
        if int(placement.agreement_reference[-3:]) % 2 == 1:
            version = agreements.issue(world.member_officer, placement, now=clock.now())
            agreements.sign_as_provider(world.provider_a, version, name="Alex Alpha", position="Manager",
                                        sha256=version.sha256, now=clock.now())


def test_the_officers_tasks_query_count(world, clock, sign_in):
    template = exhausted_referral(world, clock)
    add_off_framework_providers(world, clock, 0, 1)
    assert_constant(sign_in(world.member_officer), "/authority/tasks",
                    lambda start, stop: add_life(world, clock, template, start, stop),
                    shows=lambda index: f"IPA-QC-{index:03d}")


def test_the_budget_holders_tasks_query_count(world, clock, sign_in):
    template = exhausted_referral(world, clock)
    add_off_framework_providers(world, clock, 0, 1)
    assert_constant(sign_in(deciders(world, clock).budget_holder), "/authority/tasks",
                    lambda start, stop: add_life(world, clock, template, start, stop))


def test_the_providers_agreements_query_count(world, clock, sign_in):
    template = exhausted_referral(world, clock)
    add_off_framework_providers(world, clock, 0, 1)
    assert_constant(sign_in(world.provider_a), "/provider/agreements",
                    lambda start, stop: add_life(world, clock, template, start, stop))
