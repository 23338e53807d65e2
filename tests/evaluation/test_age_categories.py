"""Lots divided into age categories: each category's own tier table on its own prices, by the same engine, with
its exact figures, ties and tier sizes; the referral of a child of 7 going only to the 5 to 10 category's tiers."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from portal.errors import DomainError
from portal.extensions import db
from portal.models import AuditEvent, CategoryMembership, LotMembership, Notification, TierAward
from portal.services import applications, dps_setup, outcomes, referrals
from tests.factories import (
    admit,
    approve_funding,
    award_approved,
    child_details,
    complete_application,
    draft_referral,
    evaluate,
    provider_user,
    published_referral,
    referral_fields,
)

# Quality: question 1 (weight 2) and question 2 (weight 1), out of 5 each.
SCORES = {
    "Alpha Care": {1: 5, 2: 5},  # 100%: quality component 60
    "Beta Homes": {1: 4, 2: 4},  # 80%: 48
    "Cedar House": {1: 3, 2: 3},  # 60%: 36
    "Dune Lodge": {1: 4, 2: 2},  # 10 of 15, kept as 66.6667%: 40.00002
}
# Weekly prices by category (youngest first); None: not offered.
PRICES = {
    "Alpha Care": ("1000.00", "1200.00", "1400.00"),
    "Beta Homes": ("800.00", "1000.00", "1000.00"),
    "Cedar House": ("800.00", "750.00", "700.00"),
    "Dune Lodge": (None, "900.00", "875.00"),
}


def divide(world, clock, lot=None):
    """The lot divided into 0 to 4 (2 tiers), 5 to 10 (3 tiers) and 11 to 17 (3 tiers)."""
    lot = lot or world.lots[0]
    dps_setup.update_lot(world.admin, lot, name=lot.name, description="",
                         categories=[(0, 4, 2), (5, 10, 3), (11, 17, 3)], now=clock.now())
    return lot


@pytest.fixture
def tiered(world, clock):
    """Four providers admitted to the divided lot 1 and tiered in each category they priced."""
    lot = divide(world, clock)
    users = {"Alpha Care": world.provider_a, "Beta Homes": world.provider_b,
             "Cedar House": provider_user("Cedar House", "cedar@provider.example.org", clock, urn="SC300003"),
             "Dune Lodge": provider_user("Dune Lodge", "dune@provider.example.org", clock, urn="SC400004")}
    submitted = {}
    for name, user in users.items():
        application = complete_application(user, world.window, clock, lots=[lot])
        prices = {category.id: price or "" for category, price in zip(lot.categories, PRICES[name], strict=True)}
        assert applications.set_prices(user, application, prices, clock.now()) == {}
        applications.submit(user, application, clock.now())
        submitted[name] = application
    clock.set(world.window.closes_at + timedelta(days=1))
    for name, application in submitted.items():
        evaluate(application, [world.admin, world.evaluator], clock, scores=SCORES[name])
    outcomes.publish(world.admin, world.window, clock.now())
    return lot, users, submitted


def lines(category):
    return [(a.provider.name, a.quality_component, a.weekly_price, a.lowest_price, a.cost_component, a.total, a.rank,
             a.tier, a.tied_with) for a in outcomes.tier_table(category)]


def test_each_category_is_tiered_on_its_own_prices_with_the_exact_figures(tiered):
    lot, _, _ = tiered
    young, middle, older = lot.categories
    # 0 to 4, 2 tiers, 3 providers (Dune Lodge does not offer it): sizes 2, 1. Lowest price £800.
    assert lines(young) == [
        ("Alpha Care", Decimal("60.0000"), Decimal("1000.00"), Decimal("800.00"), Decimal("32.0000"),
         Decimal("92.0000"), 1, 1, ""),
        ("Beta Homes", Decimal("48.0000"), Decimal("800.00"), Decimal("800.00"), Decimal("40.0000"),
         Decimal("88.0000"), 2, 1, ""),
        ("Cedar House", Decimal("36.0000"), Decimal("800.00"), Decimal("800.00"), Decimal("40.0000"),
         Decimal("76.0000"), 3, 2, ""),
    ]
    # 5 to 10, 3 tiers, 4 providers: sizes 2, 1, 1. Lowest price £750.
    assert lines(middle) == [
        ("Alpha Care", Decimal("60.0000"), Decimal("1200.00"), Decimal("750.00"), Decimal("25.0000"),
         Decimal("85.0000"), 1, 1, ""),
        ("Beta Homes", Decimal("48.0000"), Decimal("1000.00"), Decimal("750.00"), Decimal("30.0000"),
         Decimal("78.0000"), 2, 1, ""),
        ("Cedar House", Decimal("36.0000"), Decimal("750.00"), Decimal("750.00"), Decimal("40.0000"),
         Decimal("76.0000"), 3, 2, ""),
        # The moderated quality is kept as 66.6667%: 40.00002 + 33.33333... = 73.33335..., shown as 73.3334.
        ("Dune Lodge", Decimal("40.0000"), Decimal("900.00"), Decimal("750.00"), Decimal("33.3333"),
         Decimal("73.3334"), 4, 3, ""),
    ]


def test_a_tie_in_one_category_shares_a_rank_and_a_tier_and_the_next_tier_stays_empty(tiered):
    lot, _, _ = tiered
    older = lot.categories[2]
    # 11 to 17: lowest £700. Beta 48 + 40 x 700/1000 = 76 and Cedar 36 + 40 = 76 tie for rank 2; with target
    # sizes 2, 1, 1 the tie joins tier 1 (3 providers), tier 2 stays empty and Dune Lodge (rank 4) is in tier 3.
    assert lines(older) == [
        ("Alpha Care", Decimal("60.0000"), Decimal("1400.00"), Decimal("700.00"), Decimal("20.0000"),
         Decimal("80.0000"), 1, 1, ""),
        ("Beta Homes", Decimal("48.0000"), Decimal("1000.00"), Decimal("700.00"), Decimal("28.0000"),
         Decimal("76.0000"), 2, 1, "Cedar House"),
        ("Cedar House", Decimal("36.0000"), Decimal("700.00"), Decimal("700.00"), Decimal("40.0000"),
         Decimal("76.0000"), 2, 1, "Beta Homes"),
        ("Dune Lodge", Decimal("40.0000"), Decimal("875.00"), Decimal("700.00"), Decimal("32.0000"),
         Decimal("72.0000"), 4, 3, ""),
    ]


def test_places_tiers_and_published_lines_are_per_category(tiered):
    lot, users, submitted = tiered
    young, middle, older = lot.categories
    places = {(place.membership.provider.name, place.category_id): place.tier
              for place in db.session.scalars(db.select(CategoryMembership))}
    assert places == {
        ("Alpha Care", young.id): 1, ("Beta Homes", young.id): 1, ("Cedar House", young.id): 2,
        ("Alpha Care", middle.id): 1, ("Beta Homes", middle.id): 1, ("Cedar House", middle.id): 2,
        ("Dune Lodge", middle.id): 3,
        ("Alpha Care", older.id): 1, ("Beta Homes", older.id): 1, ("Cedar House", older.id): 1,
        ("Dune Lodge", older.id): 3,
    }
    published = outcomes.published_tier_lines(submitted["Cedar House"])[lot.id]
    assert {category_id: (line.tier, line.rank) for category_id, line in published.items()} == {
        young.id: (2, 3), middle.id: (2, 3), older.id: (1, 2)}
    dune = db.session.scalar(db.select(LotMembership).where(LotMembership.provider_id == users["Dune Lodge"]
                                                            .organisation_id))
    assert dune.tier_summary == "Ages 5 to 10: tier 3; ages 11 to 17: tier 3"
    # One audit event for each category re-tiered.
    summaries = db.session.scalars(db.select(AuditEvent.summary).where(
        AuditEvent.action == "evaluation.tiers_awarded").order_by(AuditEvent.id)).all()
    assert summaries[:3] == [f"{lot.label}, ages 0 to 4 re-tiered: 3 providers",
                             f"{lot.label}, ages 5 to 10 re-tiered: 4 providers",
                             f"{lot.label}, ages 11 to 17 re-tiered: 4 providers"]
    assert db.session.scalar(db.select(db.func.count(TierAward.id)).where(TierAward.lot_id == lot.id)) == 11


def test_the_outcome_page_shows_the_tier_and_rank_in_each_category(tiered, sign_in):
    lot, users, submitted = tiered
    page = sign_in(users["Dune Lodge"]).get(f"/provider/applications/{submitted['Dune Lodge'].id}/outcome")
    text = " ".join(page.get_data(as_text=True).split())
    assert "<strong>Ages 5 to 10</strong>: Tier 3, rank 4" in text
    assert "<strong>Ages 11 to 17</strong>: Tier 3, rank 4" in text
    assert "Ages 0 to 4</strong>" not in text  # not offered, not tiered


def test_the_tier_tables_page_and_the_officers_list_show_each_category(tiered, world, sign_in):
    lot, _, _ = tiered
    page = sign_in(world.evaluator).get(f"/evaluation/windows/{world.window.id}/tiers").get_data(as_text=True)
    for band, tiers in (("0 to 4", "2 tiers"), ("5 to 10", "3 tiers"), ("11 to 17", "3 tiers")):
        assert f"{lot.label}, ages {band} ({tiers})" in page
    officer = sign_in(world.member_officer).get(f"/authority/dps/{world.dps.id}").get_data(as_text=True)
    assert "Tier in each age category" in officer
    assert "Ages 0 to 4: tier 2<br>Ages 5 to 10: tier 2<br>Ages 11 to 17: tier 1" in officer  # Cedar House


def test_a_referral_for_a_7_year_old_invites_only_the_5_to_10_categorys_tier_1(tiered, world, clock):
    lot, users, _ = tiered
    middle = lot.categories[1]
    referral = published_referral(world, clock, lot=lot, age_years=7, deadline=clock.now() + timedelta(days=3))
    assert referral.category_id == middle.id
    assert referral.current_round.tier == 1
    invited = {invitation.provider.name: invitation.tier for invitation in referral.invitations}
    assert invited == {"Alpha Care": 1, "Beta Homes": 1}  # not Cedar House, tier 1 in the 11 to 17 category
    assert referrals.anonymised(referral).lot_label == f"{lot.label}, ages 5 to 10"  # what providers read
    # The referral and any placement from it say the lot by one rule: the lot's, with the category bid in.
    assert referral.lot_label == lot.label_with(middle.id) == f"{lot.label}, ages 5 to 10"
    assert lot.label_with(None) == lot.label
    told = db.session.scalar(db.select(Notification).where(Notification.user_id == world.provider_a.id)
                             .order_by(Notification.id.desc()).limit(1))
    assert f"on {world.dps.name}, {lot.label}, ages 5 to 10: a child aged 7, placement needed" in told.body
    # The cascade goes on within the category: tier 2 is Cedar House, tier 3 Dune Lodge.
    clock.set(referral.current_round.deadline + timedelta(minutes=1))
    referrals.run_due(clock.now())
    assert referrals.next_tier(referral) == 2
    referrals.reopen_to_next_tier(world.member_officer, referral, deadline=clock.now() + timedelta(days=2),
                                  now=clock.now())
    assert {i.provider.name: i.tier for i in referral.invitations if i.round_id == referral.current_round.id} == {
        "Cedar House": 2}


def test_the_officer_sees_the_referrals_age_category(tiered, world, clock, sign_in):
    lot, _, _ = tiered
    referral = published_referral(world, clock, lot=lot, age_years=7, deadline=clock.now() + timedelta(days=3))
    page = sign_in(world.member_officer).get(f"/authority/referrals/{referral.id}").get_data(as_text=True)
    assert f"{world.dps.name}: {lot.label}, ages 5 to 10</span>" in page
    assert "Round 1 (tier 1)" in page


def test_a_referral_for_a_2_year_old_goes_to_the_0_to_4_category(tiered, world, clock):
    lot, _, _ = tiered
    referral = published_referral(world, clock, lot=lot, age_years=2, deadline=clock.now() + timedelta(days=3))
    assert referral.category == lot.categories[0]
    assert sorted(i.provider.name for i in referral.invitations) == ["Alpha Care", "Beta Homes"]


def test_publishing_refuses_a_referral_whose_age_is_in_no_category(world, clock):
    lot = divide(world, clock)
    referral = draft_referral(world, clock, lot=lot, age_years=16)
    # The lot is then narrowed to under-11s (nothing used the 11 to 17 category yet).
    dps_setup.update_lot(world.admin, lot, name=lot.name, description="", categories=[(0, 4, 2), (5, 10, 3)],
                         now=clock.now())
    approve_funding(world, referral, clock)
    with pytest.raises(DomainError) as error:
        referrals.publish(world.member_officer, referral, clock.now(), deadline=clock.now() + timedelta(days=3))
    assert (f"{lot.label} is for ages 0 to 10 (age categories 0 to 4, 5 to 10): a child aged 16 is in none of its "
            "age categories, check the age") in error.value.message
    db.session.rollback()
    assert referral.published_at is None and referral.category_id is None and not referral.rounds


@pytest.mark.parametrize(("age", "ages"), [(4, "0 to 4"), (5, "5 to 10"), (10, "5 to 10"), (11, "11 to 17"),
                                          (17, "11 to 17")])
def test_the_edge_ages_of_each_category_go_to_that_category(tiered, world, clock, age, ages):
    lot, _, _ = tiered
    referral = published_referral(world, clock, lot=lot, age_years=age, deadline=clock.now() + timedelta(days=3))
    assert referral.category.age_band == ages


def test_a_child_whose_birthday_passed_while_the_referral_was_a_draft_is_not_sent_to_the_younger_category(
        tiered, world, clock, sign_in):
    lot, _, _ = tiered
    # Drafted on 2 November 2026 for a child of 4 who turns 5 on 10 November.
    referral = draft_referral(world, clock, lot=lot, age_years=4, child={"date_of_birth": date(2021, 11, 10)})
    approve_funding(world, referral, clock)
    clock.advance(days=9)
    expected = ("The child's date of birth, 10 November 2021, makes them 5 today, but the referral gives the age as "
                "4: change the age (a child of 5 is in ages 5 to 10), or correct the date of birth")
    assert expected in referrals.publication_problems(referral, clock.now())
    with pytest.raises(DomainError) as error:
        referrals.publish(world.member_officer, referral, clock.now(), deadline=clock.now() + timedelta(days=3))
    assert expected in error.value.message
    db.session.rollback()
    assert referral.published_at is None and referral.category_id is None and not referral.invitations
    page = sign_in(world.member_officer).get(f"/authority/referrals/{referral.id}/publish").get_data(as_text=True)
    assert "makes them 5 today, but the referral gives the age as 4" in " ".join(page.split())
    # Once the officer changes the age, the referral goes to the 5 to 10 category.
    referrals.update(world.member_officer, referral, fields=referral_fields(age_years=5),
                     child=child_details(date_of_birth=date(2021, 11, 10)), now=clock.now())
    referrals.publish(world.member_officer, referral, clock.now(), deadline=clock.now() + timedelta(days=3))
    assert referral.category == lot.categories[1]


def test_an_age_18_is_refused_on_a_lot_for_ages_0_to_17(tiered, world, clock):
    lot, _, _ = tiered
    with pytest.raises(referrals.ReferralInvalid) as error:
        draft_referral(world, clock, lot=lot, age_years=18)
    assert error.value.errors == {"age_years": f"{lot.label} is for ages 0 to 17: choose another lot, or check the age"}


# Setting up the categories -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("categories", "message", "field"), [
    ([], "Enter at least one age category: its ages and its number of tiers", "category-1-age_from"),
    ([(0, 4, 3), (4, 10, 3)], "Ages 0 to 4 and 4 to 10 overlap: each age belongs to one category",
     "category-2-age_from"),
    ([(0, 4, 3), (7, 10, 3)], "No category covers ages 5 to 6: the categories must follow on without a gap",
     "category-2-age_from"),
    ([(0, 4, 3), (6, 10, 3)], "No category covers age 5: the categories must follow on without a gap",
     "category-2-age_from"),
    ([(0, 4, 3), (10, 5, 3)], "Age category 2: enter ages from 0 to 25, the youngest first (not 10 to 5)",
     "category-2-age_from"),
    ([(0, 4, 3), (5, 26, 3)], "Age category 2: enter ages from 0 to 25, the youngest first (not 5 to 26)",
     "category-2-age_from"),
    ([(0, 4, 6)], "Age category 1 (0 to 4): enter a number of tiers from 0 (no tiers) to 5", "category-1-tiers"),
    ([(age, age, 1) for age in range(7)], "A lot has at most 6 age categories: you gave 7. Join some ages into one "
     "category", "category-7-age_from"),
])
def test_categories_with_a_gap_an_overlap_or_bad_figures_are_refused(world, clock, categories, message, field):
    lot = world.lots[0]
    with pytest.raises(DomainError) as error:
        dps_setup.update_lot(world.admin, lot, name=lot.name, description="", categories=categories,
                             now=clock.now())
    assert (error.value.message, error.value.field) == (message, field)
    db.session.rollback()
    assert [(c.age_from, c.age_to, c.tiers) for c in lot.categories] == [(16, 18, 3)]


def test_categories_typed_in_any_order_are_kept_youngest_first_and_span_the_lot(world, clock):
    lot = dps_setup.add_lot(world.admin, world.dps, name="Fostering", description="",
                            categories=[(11, 17, 3), (0, 4, 3), (5, 10, 2)], now=clock.now())
    assert [(c.age_from, c.age_to, c.tiers) for c in lot.categories] == [(0, 4, 3), (5, 10, 2), (11, 17, 3)]
    assert (lot.age_from, lot.age_to, lot.is_divided) == (0, 17, True)
    assert lot.category_for(7).age_band == "5 to 10" and lot.category_for(18) is None


def test_a_priced_category_keeps_its_ages_but_may_change_its_tiers(world, clock):
    lot = divide(world, clock)
    application = complete_application(world.provider_a, world.window, clock, lots=[lot])
    assert application.lots[0].price_for(lot.categories[0].id) == Decimal("1250.00")
    with pytest.raises(DomainError) as error:
        dps_setup.update_lot(world.admin, lot, name=lot.name, description="",
                             categories=[(0, 5, 2), (6, 10, 3), (11, 17, 3)], now=clock.now())
    assert error.value.message == ("Ages 0 to 4 cannot be changed or removed because providers have priced it. You "
                                   "can still change its number of tiers, or add categories for ages the lot does "
                                   "not cover yet")
    db.session.rollback()
    assert [c.age_band for c in lot.categories] == ["0 to 4", "5 to 10", "11 to 17"]
    dps_setup.update_lot(world.admin, lot, name=lot.name, description="",
                         categories=[(0, 4, 1), (5, 10, 3), (11, 17, 3), (18, 20, 2)], now=clock.now())
    assert [(c.age_band, c.tiers) for c in lot.categories] == [("0 to 4", 1), ("5 to 10", 3), ("11 to 17", 3),
                                                               ("18 to 20", 2)]
    assert application.lots[0].price_for(lot.categories[0].id) == Decimal("1250.00")  # kept
    assert (lot.age_from, lot.age_to) == (0, 20)


def test_a_divided_lot_needs_a_price_for_at_least_one_category(world, clock):
    lot = divide(world, clock)
    application = complete_application(world.provider_a, world.window, clock, lots=[lot])
    empty = {category.id: "" for category in lot.categories}
    # Every category left empty is refused at once, with the lot's earlier prices kept.
    assert applications.set_prices(world.provider_a, application, empty, clock.now()) == {
        lot.categories[0].id: f"{lot.label}: enter a weekly price for at least one age category you offer, or "
                              "remove the lot from your application"}
    assert [price for _, price in application.lots[0].priced_categories] == [Decimal("1250.00")] * 3
    # A lot chosen and not priced yet is still to do at submission.
    application.lots[0].prices.clear()
    missing = [item.message for item in applications.missing_items(application, clock.now())]
    assert f"Enter a weekly price for at least one age category of {lot.label}" in missing
    errors = applications.set_prices(world.provider_a, application, {lot.categories[1].id: "12x"}, clock.now())
    assert errors == {lot.categories[1].id: f"Lot {lot.number}, ages 5 to 10: Enter the weekly price in "
                                            "pounds and pence, like 1,450.00"}
    applications.set_prices(world.provider_a, application, {lot.categories[1].id: "1,100"}, clock.now())
    assert [item.message for item in applications.missing_items(application, clock.now())
            if "weekly price" in item.message] == []


def places_in(category):
    return {place.membership.provider.name: place.tier for place in db.session.scalars(
        db.select(CategoryMembership).where(CategoryMembership.category_id == category.id))}


def test_three_tiers_down_to_one_re_tiers_the_category_at_once_and_the_cascade_reaches_everyone(tiered, world, clock):
    lot, _, _ = tiered
    middle = lot.categories[1]
    messages = dps_setup.update_lot(world.admin, lot, name=lot.name, description="",
                                    categories=[(0, 4, 2), (5, 10, 1), (11, 17, 3)], now=clock.now())
    assert messages == [f"{lot.label}, ages 5 to 10 re-tiered into 1 tier: 2 providers moved"]
    assert places_in(middle) == {"Alpha Care": 1, "Beta Homes": 1, "Cedar House": 1, "Dune Lodge": 1}
    # The stored workings are kept: the same figures and ranks, every line now in tier 1; the old lines superseded.
    assert [(name, total, rank, tier) for name, _, _, _, _, total, rank, tier, _ in lines(middle)] == [
        ("Alpha Care", Decimal("85.0000"), 1, 1), ("Beta Homes", Decimal("78.0000"), 2, 1),
        ("Cedar House", Decimal("76.0000"), 3, 1), ("Dune Lodge", Decimal("73.3334"), 4, 1)]
    assert db.session.scalar(db.select(db.func.count(TierAward.id)).where(TierAward.category_id == middle.id)) == 8
    assert places_in(lot.categories[0]) == {"Alpha Care": 1, "Beta Homes": 1, "Cedar House": 2}  # untouched
    event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "evaluation.tiers_awarded")
                              .order_by(AuditEvent.id.desc()).limit(1))
    assert event.actor_id == world.admin.id and event.summary == messages[0]
    referral = published_referral(world, clock, lot=lot, age_years=7, deadline=clock.now() + timedelta(days=3))
    assert referral.current_round.tier == 1
    assert sorted(i.provider.name for i in referral.invitations) == [
        "Alpha Care", "Beta Homes", "Cedar House", "Dune Lodge"]


def test_no_tiers_then_three_gives_tiers_by_score_again(tiered, world, clock):
    lot, _, _ = tiered
    middle = lot.categories[1]
    assert dps_setup.update_lot(world.admin, lot, name=lot.name, description="",
                                categories=[(0, 4, 2), (5, 10, 0), (11, 17, 3)], now=clock.now()) == [
        f"{lot.label}, ages 5 to 10 re-tiered into no tiers: 4 providers moved"]
    assert set(places_in(middle).values()) == {None}
    assert dps_setup.update_lot(world.admin, lot, name=lot.name, description="",
                                categories=[(0, 4, 2), (5, 10, 3), (11, 17, 3)], now=clock.now()) == [
        f"{lot.label}, ages 5 to 10 re-tiered into 3 tiers: 4 providers moved"]
    assert places_in(middle) == {"Alpha Care": 1, "Beta Homes": 1, "Cedar House": 2, "Dune Lodge": 3}
    assert [line[7] for line in lines(middle)] == [1, 1, 2, 3]


def test_the_lot_form_says_the_category_was_re_tiered(tiered, world, sign_in):
    lot, _, _ = tiered
    admin = sign_in(world.admin)
    data = {"name": lot.name, "description": ""}
    for number, (low, high, tiers) in enumerate([(0, 4, 2), (5, 10, 1), (11, 17, 3)], start=1):
        data.update({f"category-{number}-age_from": str(low), f"category-{number}-age_to": str(high),
                     f"category-{number}-tiers": str(tiers)})
    response = admin.post(f"/admin/dps/{world.dps.id}/lots/{lot.id}", data=data, follow_redirects=True)
    assert f"{lot.label}, ages 5 to 10 re-tiered into 1 tier: 2 providers moved" in response.get_data(as_text=True)


def test_the_officers_and_the_providers_placement_pages_name_the_age_category(tiered, world, clock, sign_in):
    from tests.buyer.test_awards_service import SCORES_90, assess, bid_input, bid_of, past_deadline, send

    lot, _, _ = tiered
    referral = published_referral(world, clock, lot=lot, age_years=7, deadline=clock.now() + timedelta(days=3))
    send(world.provider_a, referral, clock, bid_input("1200.00"))
    past_deadline(clock, referral)
    assess(world, referral, world.provider_a, SCORES_90, clock)
    placement = award_approved(world, clock, referral, bid_of(referral, world.provider_a), reason="",
                               now=clock.now())
    page = " ".join(sign_in(world.member_officer).get(f"/authority/placements/{placement.id}")
                    .get_data(as_text=True).split())
    assert f"{world.dps.name}, {lot.label}, ages 5 to 10, tier 1" in page
    # The provider's own placement pages name the category too.
    provider = sign_in(world.provider_a)
    listed = " ".join(provider.get("/provider/placements").get_data(as_text=True).split())
    assert f'<td class="govuk-table__cell">{lot.label}, ages 5 to 10</td>' in listed
    own = " ".join(provider.get(f"/provider/placements/{placement.id}").get_data(as_text=True).split())
    assert f"{lot.label}, ages 5 to 10" in own


def test_places_without_stored_scores_are_kept_within_the_new_number_of_tiers(world, clock):
    """Providers admitted before the portal kept outcomes have no line to rank on: a place in a tier that no longer
    exists goes to the last tier that does."""
    lot = world.lots[0]
    (category,) = lot.categories
    assert category.tiers == 3
    admit(world.provider_a, lot, tier=3, clock=clock)
    admit(world.provider_b, lot, tier=1, clock=clock)
    ages = (category.age_from, category.age_to, 1)
    assert dps_setup.update_lot(world.admin, lot, name=lot.name, description="", categories=[ages],
                                now=clock.now()) == [f"{lot.label} re-tiered into 1 tier: 1 provider moved"]
    assert set(places_in(category).values()) == {1}
    referral = published_referral(world, clock, lot=lot, age_years=category.age_from,
                                  deadline=clock.now() + timedelta(days=3))
    assert len(referral.invitations) == 2


def test_the_invited_providers_list_and_the_officers_lists_and_bids_name_the_age_category(tiered, world, clock,
                                                                                          sign_in):
    from tests.buyer.test_awards_service import bid_input, past_deadline, send

    lot, _, _ = tiered
    referral = published_referral(world, clock, lot=lot, age_years=7, deadline=clock.now() + timedelta(days=3))
    label = f"{lot.label}, ages 5 to 10"
    invited = " ".join(sign_in(world.provider_a).get("/provider/referrals").get_data(as_text=True).split())
    assert f'<td class="govuk-table__cell">{label}</td>' in invited
    officer = sign_in(world.member_officer)
    listed = " ".join(officer.get("/authority/referrals").get_data(as_text=True).split())
    assert f'<td class="govuk-table__cell">{label}</td>' in listed
    send(world.provider_a, referral, clock, bid_input("1200.00"))
    past_deadline(clock, referral)
    officer = sign_in(world.member_officer)  # again: the clock has moved past the session's idle limit
    bids_page = " ".join(officer.get(f"/authority/referrals/{referral.id}/bids").get_data(as_text=True).split())
    assert f"Referral {referral.reference}: {label}</span>" in bids_page


def test_the_outcome_page_says_a_category_was_re_tiered_when_its_number_of_tiers_changed(tiered, world, clock,
                                                                                         sign_in):
    lot, users, submitted = tiered
    clock.advance(days=30)
    dps_setup.update_lot(world.admin, lot, name=lot.name, description="",
                         categories=[(0, 4, 2), (5, 10, 1), (11, 17, 3)], now=clock.now())
    page = sign_in(users["Dune Lodge"]).get(f"/provider/applications/{submitted['Dune Lodge'].id}/outcome")
    text = " ".join(page.get_data(as_text=True).split())
    assert "<strong>Ages 5 to 10</strong>: Tier 3, rank 4" in text  # as published, as in the letter
    assert (f"<strong>Now tier 1, rank 4</strong>: the category was re-tiered on {clock.now():%-d %B %Y}, when the "
            "lead authority changed its number of tiers.") in text
    assert "when the outcomes of" not in text


def test_the_referral_form_says_the_age_decides_the_category(tiered, world, sign_in):
    lot, _, _ = tiered
    page = sign_in(world.member_officer).get(f"/authority/referrals/new?lot_id={lot.id}").get_data(as_text=True)
    assert (f"{lot.label} is for ages 0 to 17, in age categories 0 to 4, 5 to 10, 11 to 17: the child&#39;s age "
            "today, which must agree with the date of birth, decides which category&#39;s providers are invited"
            ) in " ".join(page.split())
    undivided = sign_in(world.member_officer).get(f"/authority/referrals/new?lot_id={world.lots[1].id}")
    assert f"{world.lots[1].label} is for ages 16 to 18 </div>" in " ".join(undivided.get_data(as_text=True).split())


def test_the_providers_contract_page_shows_its_tier_now_in_each_category(tiered, world, clock, sign_in):
    lot, users, _ = tiered
    page = " ".join(sign_in(users["Cedar House"]).get(f"/provider/contracts/{world.dps.id}").get_data(as_text=True)
                    .split())
    assert "Your lots and tiers" in page
    assert (f'<td class="govuk-table__cell">{lot.label}</td> <td class="govuk-table__cell">Admitted</td> '
            '<td class="govuk-table__cell">Ages 0 to 4: tier 2; ages 5 to 10: tier 2; ages 11 to 17: tier 1</td>'
            ) in page
    dps_setup.update_lot(world.admin, lot, name=lot.name, description="",
                         categories=[(0, 4, 2), (5, 10, 1), (11, 17, 3)], now=clock.now())
    page = " ".join(sign_in(users["Cedar House"]).get(f"/provider/contracts/{world.dps.id}").get_data(as_text=True)
                    .split())
    assert "Ages 0 to 4: tier 2; ages 5 to 10: tier 1; ages 11 to 17: tier 1" in page
