"""The placement's-life lists run a fixed number of SQL statements however many rows they show: the placements
list (filtered, with the cost to date), the children, the spend by provider and the provider's placements."""

from datetime import timedelta
from decimal import Decimal

import pytest

from portal.extensions import db
from portal.models import Child, OffFrameworkProvider, Placement, PlacementCost, PlacementPrice, Referral
from tests.buyer.test_off_framework_routes import add_off_framework_providers
from tests.buyer.test_off_framework_service import exhausted_referral
from tests.portal.test_query_counts import MANY, add_provider, assert_constant


def add_lives(world, clock, template, start, stop, *, provider_for=None):
    """Placements, each of a child of its own with two prices and, for every third, an ending: plain inserts shaped
    as the services make them. `provider_for(index)` the provider organisation's id (else alternately on
    provider_a and off framework)."""
    off_provider = db.session.scalars(db.select(OffFrameworkProvider)).first()
    columns = [column.key for column in Referral.__table__.columns if column.key not in ("id", "reference", "child_id")]
    today = clock.now().date()
    for index in range(start, stop):
        child = Child(authority_id=world.member.id, first_names=f"Child{index:02d}", surname="Lark", known_as="",
                      case_number=f"CASE-{index:03d}", created_at=clock.now(), updated_at=clock.now())
        referral = Referral(reference=f"QL-{index:03d}", child=child,
                            **{key: getattr(template, key) for key in columns})
        db.session.add(referral)
        db.session.flush()
        provider_id = provider_for(index) if provider_for else (
            world.provider_a.organisation_id if index % 2 else None)
        started = today - timedelta(days=100)
        db.session.add(Placement(
            agreement_reference=f"IPA-QL-{index:03d}", referral_id=referral.id, authority_id=world.member.id,
            on_framework=provider_id is not None, provider_id=provider_id,
            off_framework_provider_id=None if provider_id else off_provider.id,
            lot_id=world.lots[0].id if provider_id else None, weekly_cost=Decimal("1000.00"),
            start_date=started, location_area="Tameside", in_home_area=True, location_was_preferred=False,
            created_by_id=world.member_officer.id, created_at=clock.now() + timedelta(seconds=index),
            qa_visit_notes="", end_date=today - timedelta(days=5) if index % 3 == 0 else None,
            notice_given_on=today - timedelta(days=40) if index % 3 == 0 else None,
            costs=[PlacementCost(position=1, description="Core weekly fee", weekly_amount=Decimal("1000.00"))],
            prices=[PlacementPrice(effective_from=started + timedelta(days=days), weekly_cost=Decimal(weekly),
                                   reason="", recorded_by_id=world.member_officer.id, recorded_at=clock.now())
                    for days, weekly in ((0, "1000.00"), (30, "1200.00"))]))
    db.session.commit()


@pytest.fixture
def template(world, clock):
    referral = exhausted_referral(world, clock)
    add_off_framework_providers(world, clock, 0, 1)
    return referral


@pytest.mark.parametrize("query", ["", "?status=live&area=in", "?status=ended&framework=off&sort=cost",
                                   "?provider=f-{provider}&lot={lot}"])
def test_placements_list_with_status_and_filters(world, clock, sign_in, template, query):
    query = query.format(provider=world.provider_a.organisation_id, lot=world.lots[0].id)
    assert_constant(sign_in(world.member_officer), f"/authority/placements{query}",
                    lambda start, stop: add_lives(world, clock, template, start, stop))


def test_placements_export(world, clock, sign_in, template):
    assert_constant(sign_in(world.member_officer), "/authority/placements.csv",
                    lambda start, stop: add_lives(world, clock, template, start, stop),
                    shows=lambda index: f"IPA-QL-{index:03d}")


@pytest.mark.parametrize("query", ["", "?q=lark&sort=case_number"])
def test_children_list(world, clock, sign_in, template, query):
    assert_constant(sign_in(world.member_officer), f"/authority/children{query}",
                    lambda start, stop: add_lives(world, clock, template, start, stop),
                    shows=lambda index: f"CASE-{index:03d}")


def test_spend_page_by_provider(world, clock, sign_in, template):
    def add(start, stop):
        providers = [add_provider(world, index).organisation_id for index in range(start, stop)]
        add_lives(world, clock, template, start, stop,
                  provider_for=lambda index: providers[index - start])

    assert_constant(sign_in(world.member_officer), "/authority/spend", add,
                    shows=lambda index: f"Provider {index:02d}")


def test_child_page(world, clock, sign_in, template):
    """One child with many placements, each moving to the next."""
    child = Child(authority_id=world.member.id, first_names="Wren", surname="Lark", known_as="", case_number="ONE",
                  created_at=clock.now(), updated_at=clock.now())
    db.session.add(child)
    db.session.commit()

    def add(start, stop):
        add_lives(world, clock, template, start, stop)
        rows = db.session.scalars(db.select(Placement).order_by(Placement.id)).all()
        for earlier, later in zip(rows, rows[1:], strict=False):
            earlier.next_placement_id = later.id
        for referral in db.session.scalars(db.select(Referral)):
            referral.child_id = child.id
        db.session.commit()

    assert_constant(sign_in(world.member_officer), f"/authority/children/{child.id}", add)


def test_provider_placements(world, clock, sign_in, template):
    assert_constant(sign_in(world.provider_a), "/provider/placements",
                    lambda start, stop: add_lives(world, clock, template, start, stop,
                                                  provider_for=lambda index: world.provider_a.organisation_id),
                    shows=lambda index: f"IPA-QL-{index:03d}" if index < MANY else "")
