"""The award rules (portal.services.awards): assessing, ranking with the engine's exact arithmetic, negotiating,
awarding (the placement and its cost lines, the QA visit of an emergency, the home area), refusals with nothing
changed, and each provider's own outcome.

The figures, worked by hand. Quality % = sum of the four scores / 20 x 100.
    Alpha Care   scores 5, 5, 4, 4 -> 90%;  core £1,200 + therapy £300 = £1,500 a week
    Beta Homes   scores 3, 3, 3, 3 -> 60%;  £1,000 a week (the lowest)
With 60% quality, 40% cost:
    Alpha 90 x 0.6 = 54.0000 + 1000/1500 x 40 = 26.6667 -> 80.6667, rank 1
    Beta  60 x 0.6 = 36.0000 + 1000/1000 x 40 = 40.0000 -> 76.0000, rank 2
With 40% quality, 60% cost the winner changes:
    Alpha 36.0000 + 40.0000 = 76.0000, rank 2
    Beta  24.0000 + 60.0000 = 84.0000, rank 1
Beta's price negotiated to £800 (60/40) changes the rank: the lowest price becomes £800:
    Alpha 54.0000 + 800/1500 x 40 = 21.3333 -> 75.3333, rank 2
    Beta  36.0000 + 40.0000 = 76.0000, rank 1
A tie at the top (60/40): Alpha 100% at £2,000 = 60 + 1000/2000 x 40 = 80; Gamma 80% at £1,250 = 48 + 32 = 80;
Beta 76: Alpha and Gamma share rank 1, Beta is ranked 3.
"""

import os
import threading
from datetime import date, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest

from portal.errors import DomainError, NotFound
from portal.extensions import db
from portal.models import (
    AuditEvent,
    Bid,
    BidAssessment,
    LotMembership,
    Notification,
    OutboxMessage,
    Placement,
    Referral,
    User,
)
from portal.models.user import COMMISSIONING_OFFICER
from portal.services import awards, bids, referrals, standing
from portal.services.bids import AdditionalCost, BidInput
from tests.factories import (
    admit,
    answer_as,
    approve_cost,
    authority_user,
    deciders,
    provider_user,
    published_referral,
)

CHILD_WORDS = ("Kestrel", "Quennell-Abara", "CN-48213-Q", "2010")
START_DATE = date(2026, 11, 30)
THERAPY_REVIEW = date(2027, 2, 1)
SCORES_90 = {"needs": 5, "location": 5, "stability": 4, "education": 4}
SCORES_60 = {"needs": 3, "location": 3, "stability": 3, "education": 3}
SCORES_100 = {"needs": 5, "location": 5, "stability": 5, "education": 5}
SCORES_80 = {"needs": 4, "location": 4, "stability": 4, "education": 4}


def bid_input(core: str, *, therapy: str | None = None, **overrides) -> BidInput:
    values = {
        "core_weekly_fee": core,
        "additional_costs": [AdditionalCost("Weekly therapy sessions", therapy, "First 12 weeks", THERAPY_REVIEW)]
        if therapy else [],
        "proposed_start": START_DATE,
        "home_area": "E08000008",
        "home_description": "A two-bedroom home with experienced carers",
        "how_needs_met": "A keyworker and a school link worker",
    }
    values.update(overrides)
    return BidInput(**values)


def send(user, referral, clock, data: BidInput):
    invitation = referrals.invitation_for(user, referral.id)
    bids.submit(user, invitation, data, clock.now())
    return bids.own_bid(user, referral)


@pytest.fixture
def gamma(clock):
    return provider_user("Gamma Fostering", "gamma@provider.example.org", clock, urn="SC777777")


def competition(world, clock, *, bidders, weights=(60, 40), **overrides) -> Referral:
    """A referral on lot 1 with every bidder admitted to tier 1 and invited; deadline in 10 days."""
    for user, _ in bidders:
        admit(user, world.lots[0], clock=clock)
    referral = published_referral(world, clock, lot=world.lots[0], deadline=clock.now() + timedelta(days=10),
                                  quality_weight=weights[0], cost_weight=weights[1], **overrides)
    for user, data in bidders:
        send(user, referral, clock, data)
    return referral


def past_deadline(clock, referral):
    clock.set(referral.rounds[-1].deadline + timedelta(hours=1))
    return clock.now()


def bid_of(referral, user):
    return db.session.scalars(db.select(Bid).where(Bid.referral_id == referral.id,
                                                   Bid.provider_id == user.organisation_id)).one()


def assess(world, referral, user, scores, clock):
    return awards.assess(world.member_officer, bid_of(referral, user), scores=scores, notes="", now=clock.now())


@pytest.fixture
def two_bids(world, clock):
    """Alpha (90%, £1,500 with an additional cost) and Beta (60%, £1,000), past the deadline, both assessed."""
    referral = competition(world, clock, bidders=[(world.provider_a, bid_input("1200.00", therapy="300.00")),
                                                  (world.provider_b, bid_input("1000.00", home_area="E08000014"))])
    past_deadline(clock, referral)
    assess(world, referral, world.provider_a, SCORES_90, clock)
    assess(world, referral, world.provider_b, SCORES_60, clock)
    return referral


def by_name(ranked) -> dict[str, awards.RankedBid]:
    return {item.provider_name: item for item in ranked}


def award_args(clock, **overrides) -> dict:
    values = {"reason": "", "now": clock.now()}
    values.update(overrides)
    return values


def award_with_cost(world, clock, referral, bid, **kwargs):
    """The award by world.member_officer, once the bid's cost is approved (where it can be asked for: otherwise the
    award's own refusal is what the test checks)."""
    try:
        approve_cost(world, referral, bid, clock)
    except DomainError:
        pass
    return awards.award(world.member_officer, referral, bid, **kwargs)


def count(model) -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(model))


# Ranking -----------------------------------------------------------------------------------------------------

def test_ranking_with_60_40_matches_the_hand_worked_figures(world, clock, two_bids):
    ranked = awards.ranking(two_bids, clock.now())
    assert [item.provider_name for item in ranked] == ["Alpha Care", "Beta Homes"]
    alpha, beta = ranked
    assert alpha.quality_percent == Decimal(90) and beta.quality_percent == Decimal(60)
    assert (alpha.quality_component, alpha.cost_component) == (Decimal("54.0000"), Decimal("26.6667"))
    assert alpha.display_total == Decimal("80.6667") and alpha.rank == 1 and alpha.tied_with == ()
    assert (beta.quality_component, beta.cost_component, beta.display_total) == (
        Decimal("36.0000"), Decimal("40.0000"), Decimal("76.0000"))
    assert beta.rank == 2
    assert alpha.price == Decimal("1500.00") and alpha.lowest_price == beta.lowest_price == Decimal("1000.00")
    assert alpha.tier == 1 and alpha.place_with_caution is False and alpha.assessed


def test_ranking_with_40_60_gives_a_different_winner(world, clock, two_bids):
    two_bids.quality_weight, two_bids.cost_weight = 40, 60
    db.session.commit()
    ranked = by_name(awards.ranking(two_bids, clock.now()))
    assert ranked["Beta Homes"].rank == 1 and ranked["Beta Homes"].display_total == Decimal("84.0000")
    assert ranked["Alpha Care"].rank == 2 and ranked["Alpha Care"].display_total == Decimal("76.0000")


def test_the_dps_weighting_is_used_only_when_the_referral_has_none(world, clock, two_bids):
    two_bids.quality_weight = two_bids.cost_weight = None
    db.session.commit()
    assert awards.weighting(two_bids) == (60, 40)  # the test DPS's current question set
    assert by_name(awards.ranking(two_bids, clock.now()))["Alpha Care"].rank == 1


def test_a_tie_at_the_top_shares_rank_one_and_either_may_be_awarded_without_a_reason(world, clock, gamma):
    referral = competition(world, clock, bidders=[(world.provider_a, bid_input("2000.00")),
                                                  (world.provider_b, bid_input("1000.00")),
                                                  (gamma, bid_input("1250.00"))])
    past_deadline(clock, referral)
    assess(world, referral, world.provider_a, SCORES_100, clock)
    assess(world, referral, world.provider_b, SCORES_60, clock)
    assess(world, referral, gamma, SCORES_80, clock)
    ranked = by_name(awards.ranking(referral, clock.now()))
    assert ranked["Alpha Care"].rank == ranked["Gamma Fostering"].rank == 1
    assert ranked["Alpha Care"].tied_with == ("Gamma Fostering",)
    assert ranked["Gamma Fostering"].tied_with == ("Alpha Care",)
    assert ranked["Alpha Care"].display_total == ranked["Gamma Fostering"].display_total == Decimal("80.0000")
    assert ranked["Beta Homes"].rank == 3
    placement = award_with_cost(world, clock, referral, bid_of(referral, gamma), **award_args(clock))
    assert placement.provider_id == gamma.organisation_id


def test_unassessed_bids_are_listed_unranked_and_block_the_award(world, clock):
    referral = competition(world, clock, bidders=[(world.provider_a, bid_input("1200.00", therapy="300.00")),
                                                  (world.provider_b, bid_input("1000.00"))])
    past_deadline(clock, referral)
    assess(world, referral, world.provider_a, SCORES_90, clock)
    ranked = by_name(awards.ranking(referral, clock.now()))
    assert ranked["Alpha Care"].rank == 1 and ranked["Alpha Care"].lowest_price == Decimal("1500.00")
    beta = ranked["Beta Homes"]
    assert (beta.assessed, beta.rank, beta.total, beta.quality_percent) == (False, None, None, None)
    assert awards.refusal_to_award(referral, list(ranked.values()), clock.now()) == "Score every bid before you award"
    with pytest.raises(DomainError, match="Score every bid before you award"):
        award_with_cost(world, clock, referral, bid_of(referral, world.provider_a), **award_args(clock))
    assert count(Placement) == 0


def test_ranking_is_sealed_until_the_deadline(world, clock):
    referral = competition(world, clock, bidders=[(world.provider_a, bid_input("1000.00"))])
    with pytest.raises(DomainError, match="Bids are sealed until"):
        awards.ranking(referral, clock.now())
    with pytest.raises(DomainError, match="Bids are sealed until"):
        awards.ranking_for(world.member_officer, referral, clock.now())


# Assessing ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("bad", ["\u00b2", "4.5", "6", "-1", "", None, True, 4.5, "\u0663", "five"])
def test_a_score_must_be_a_whole_number_from_0_to_5(world, clock, bad):
    referral = competition(world, clock, bidders=[(world.provider_a, bid_input("1000.00"))])
    past_deadline(clock, referral)
    with pytest.raises(awards.InvalidScores) as refused:
        assess(world, referral, world.provider_a, {**SCORES_90, "stability": bad}, clock)
    assert list(refused.value.problems) == ["stability"]
    assert "Stability of the placement" in refused.value.problems["stability"]
    assert count(BidAssessment) == 0


def test_scores_typed_as_text_are_read_and_every_mistake_is_listed(world, clock):
    referral = competition(world, clock, bidders=[(world.provider_a, bid_input("1000.00"))])
    past_deadline(clock, referral)
    with pytest.raises(awards.InvalidScores) as refused:
        assess(world, referral, world.provider_a, {"needs": "9", "location": "4.5"}, clock)
    assert set(refused.value.problems) == {"needs", "location", "stability", "education"}
    assessment = assess(world, referral, world.provider_a, {"needs": " 5 ", "location": "0", "stability": "3",
                                                           "education": "2"}, clock)
    assert (assessment.needs, assessment.location, assessment.stability, assessment.education) == (5, 0, 3, 2)


def test_assessing_is_refused_before_the_deadline(world, clock):
    referral = competition(world, clock, bidders=[(world.provider_a, bid_input("1000.00"))])
    with pytest.raises(DomainError, match="Bids are sealed until"):
        assess(world, referral, world.provider_a, SCORES_90, clock)
    assert count(BidAssessment) == 0


def test_only_the_referring_authoritys_officers_assess(world, clock, two_bids):
    bid = bid_of(two_bids, world.provider_a)
    for outsider in (world.lead_officer, world.outside_admin, world.admin, world.provider_a):
        with pytest.raises(NotFound):
            awards.assess(outsider, bid, scores=SCORES_60, notes="", now=clock.now())
        with pytest.raises(NotFound):
            awards.bid_of_authority(outsider, bid.id)
    db.session.expire_all()
    assert bid_of(two_bids, world.provider_a).assessment.needs == 5


def test_a_bid_is_reassessed_until_the_award_and_each_assessment_is_audited(world, clock, two_bids):
    assess(world, two_bids, world.provider_b, SCORES_100, clock)
    assert by_name(awards.ranking(two_bids, clock.now()))["Beta Homes"].rank == 1
    events = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "bid.assessed")
                                .order_by(AuditEvent.id)).all()
    assert len(events) == 3
    assert '"needs": 3' in events[-1].before and '"needs": 5' in events[-1].after
    award_with_cost(world, clock, two_bids, bid_of(two_bids, world.provider_b), **award_args(clock))
    with pytest.raises(DomainError, match="This referral has already been awarded"):
        assess(world, two_bids, world.provider_a, SCORES_60, clock)
    db.session.expire_all()
    assert bid_of(two_bids, world.provider_a).assessment.needs == 5


# Negotiating -------------------------------------------------------------------------------------------------

def test_a_negotiated_price_changes_the_rank_and_is_audited(world, clock, two_bids):
    beta = bid_of(two_bids, world.provider_b)
    awards.negotiate(world.member_officer, beta, price="800.00", note="Agreed on the telephone", now=clock.now())
    ranked = by_name(awards.ranking(two_bids, clock.now()))
    assert ranked["Beta Homes"].rank == 1 and ranked["Beta Homes"].display_total == Decimal("76.0000")
    assert ranked["Beta Homes"].price == Decimal("800.00") and ranked["Beta Homes"].is_negotiated
    assert ranked["Alpha Care"].rank == 2 and ranked["Alpha Care"].display_total == Decimal("75.3333")
    assert ranked["Alpha Care"].lowest_price == Decimal("800.00")
    event = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "bid.negotiated")).one()
    assert '"weekly_price": "1000.00"' in event.before and '"negotiated_weekly_price": "800.00"' in event.after


@pytest.mark.parametrize(("price", "note", "message"), [
    ("", "Agreed", "Enter the weekly price agreed"),
    ("abc", "Agreed", "^Enter the weekly price agreed in pounds and pence, like 1,450.00$"),
    ("1e5", "Agreed", "^Enter the weekly price agreed in pounds and pence, like 1,450.00$"),
    ("Infinity", "Agreed", "^Enter the weekly price agreed in pounds and pence, like 1,450.00$"),
    ("0", "Agreed", "must be more than £0"),
    ("-5", "Agreed", "must be more than £0"),
    ("100000.01", "Agreed", "£100,000 or less"),
    ("12.345", "Agreed", "no more than 2 decimal places"),
    ("800.00", "  ", "Say what was agreed"),
])
def test_a_bad_negotiated_price_is_refused_and_nothing_changes(world, clock, two_bids, price, note, message):
    with pytest.raises(DomainError, match=message):
        awards.negotiate(world.member_officer, bid_of(two_bids, world.provider_b), price=price, note=note,
                         now=clock.now())
    db.session.expire_all()
    assert bid_of(two_bids, world.provider_b).negotiated_weekly_price is None


def test_negotiating_is_refused_before_the_deadline_and_after_the_award(world, clock):
    referral = competition(world, clock, bidders=[(world.provider_a, bid_input("1000.00"))])
    bid = bid_of(referral, world.provider_a)
    with pytest.raises(DomainError, match="Bids are sealed until"):
        awards.negotiate(world.member_officer, bid, price="900.00", note="Agreed", now=clock.now())
    past_deadline(clock, referral)
    assess(world, referral, world.provider_a, SCORES_90, clock)
    award_with_cost(world, clock, referral, bid, **award_args(clock))
    with pytest.raises(DomainError, match="This referral has already been awarded"):
        awards.negotiate(world.member_officer, bid, price="900.00", note="Agreed", now=clock.now())
    db.session.expire_all()
    assert bid_of(referral, world.provider_a).negotiated_weekly_price is None


# Awarding ----------------------------------------------------------------------------------------------------

def test_awarding_the_top_ranked_bid_makes_the_placement(world, clock, two_bids):
    alpha = bid_of(two_bids, world.provider_a)
    placement = award_with_cost(world, clock, two_bids, alpha, **award_args(clock))
    db.session.expire_all()
    placement = db.session.get(Placement, placement.id)
    assert placement.on_framework and placement.provider_id == world.provider_a.organisation_id
    assert placement.off_framework_provider_id is None
    assert (placement.lot_id, placement.tier, placement.bid_id) == (world.lots[0].id, 1, alpha.id)
    assert placement.weekly_cost == Decimal("1500.00")
    assert [(cost.position, cost.description, cost.weekly_amount, cost.timescale, cost.review_date)
            for cost in placement.costs] == [
        (1, "Core weekly fee", Decimal("1200.00"), "", None),
        (2, "Weekly therapy sessions", Decimal("300.00"), "First 12 weeks", THERAPY_REVIEW)]
    assert placement.start_date == START_DATE and placement.location_area == "Tameside"
    assert placement.agreement_reference == f"IPA-{two_bids.reference}"
    assert placement.authority_id == world.member.id and placement.created_by_id == world.member_officer.id
    approval = placement.cost_approval
    assert (approval.kind, approval.basis, approval.weekly_cost) == ("placement_cost", f"bid {alpha.id}",
                                                                     placement.weekly_cost)
    assert approval.answered_by_id == world.deciders.budget_holder.id and approval.answered_role == "budget_holder"
    assert placement.qa_visit_due_at is None  # a planned placement on the framework
    referral = db.session.get(Referral, two_bids.id)
    assert referral.awarded_at == clock.now() and referral.awarded_bid_id == alpha.id and referral.award_reason == ""
    assert referral.status(clock.now()) == "awarded"
    event = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "referral.awarded")).one()
    assert event.entity_id == referral.id and "Alpha Care" in event.summary


def test_the_bidders_are_told_without_the_child_or_the_officer(world, clock, two_bids):
    award_with_cost(world, clock, two_bids, bid_of(two_bids, world.provider_a), **award_args(clock))
    won = db.session.scalars(db.select(OutboxMessage).where(OutboxMessage.user_id.in_(
        [world.provider_a.id, world.colleague_a.id]))).all()
    lost = db.session.scalars(db.select(OutboxMessage).where(OutboxMessage.user_id == world.provider_b.id)).all()
    [won_message] = [message for message in won if message.user_id == world.provider_a.id
                     and "awarded" in message.subject]
    assert "£1,500.00" in won_message.body and "30 November 2026" in won_message.body
    assert f"IPA-{two_bids.reference}" in won_message.body
    assert "The authority will send the agreement to sign" in won_message.body
    [lost_message] = [message for message in lost if "not successful" in message.subject]
    assert f"/provider/referrals/{two_bids.id}/outcome" in lost_message.body
    for message in [*won, *lost]:
        for word in (*CHILD_WORDS, world.member_officer.name, world.member_officer.email):
            assert word not in message.body and word not in message.subject
    assert "Alpha Care" not in lost_message.body and "1,500" not in lost_message.body
    notified = db.session.scalars(db.select(Notification.user_id).where(Notification.subject.like("%not successful")))
    assert set(notified) == {world.provider_b.id}


def test_a_bid_not_ranked_first_needs_a_written_reason(world, clock, two_bids):
    beta = bid_of(two_bids, world.provider_b)
    with pytest.raises(DomainError, match="Give the reason for choosing a bid that is not ranked first") as refused:
        award_with_cost(world, clock, two_bids, beta, **award_args(clock, reason="   "))
    assert refused.value.field == "reason"
    assert count(Placement) == 0 and db.session.get(Referral, two_bids.id).awarded_at is None
    placement = award_with_cost(world, clock, two_bids, beta,
                             **award_args(clock, reason="Beta's carers live near the child's school"))
    assert placement.provider_id == world.provider_b.organisation_id
    assert db.session.get(Referral, two_bids.id).award_reason == "Beta's carers live near the child's school"


def test_the_award_reason_and_negotiation_note_stay_out_of_the_audit_trail(world, clock, two_bids, sign_in):
    beta = bid_of(two_bids, world.provider_b)
    note, reason = "Kestrel Quennell-Abara's social worker agreed it", "Kestrel's brother lives near Beta's home"
    awards.negotiate(world.member_officer, beta, price="950.00", note=note, now=clock.now())
    award_with_cost(world, clock, two_bids, beta, **award_args(clock, reason=reason))
    assert db.session.get(Referral, two_bids.id).award_reason == reason and beta.negotiation_note == note
    events = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action.in_(
        ["bid.negotiated", "referral.awarded"]))).all()
    assert len(events) == 2
    for event in events:
        recorded = f"{event.summary} {event.before} {event.after}"
        assert "Kestrel" not in recorded and "Quennell" not in recorded, event.action
    negotiated = next(event for event in events if event.action == "bid.negotiated")
    awarded = next(event for event in events if event.action == "referral.awarded")
    assert f'"note_length": {len(note)}' in negotiated.after
    assert '"reason_given": true' in awarded.after and f'"reason_length": {len(reason)}' in awarded.after
    page = sign_in(world.admin).get("/admin/audit").get_data(as_text=True)
    assert "awarded to Beta Homes" in page and "Kestrel" not in page and "Quennell" not in page


def test_a_negotiated_award_adds_an_adjustment_line_so_the_lines_add_up(world, clock, two_bids):
    alpha = bid_of(two_bids, world.provider_a)
    awards.negotiate(world.member_officer, alpha, price="1425.50", note="5% off", now=clock.now())
    placement = award_with_cost(world, clock, two_bids, alpha, **award_args(clock))
    assert placement.weekly_cost == Decimal("1425.50")
    assert [(cost.description, cost.weekly_amount) for cost in placement.costs] == [
        ("Core weekly fee", Decimal("1200.00")), ("Negotiated adjustment", Decimal("-74.50")),
        ("Weekly therapy sessions", Decimal("300.00"))]
    assert sum(cost.weekly_amount for cost in placement.costs) == placement.weekly_cost


def test_award_is_refused_before_the_deadline(world, clock):
    referral = competition(world, clock, bidders=[(world.provider_a, bid_input("1000.00"))])
    with pytest.raises(DomainError, match="you can award once the deadline has passed"):
        award_with_cost(world, clock, referral, bid_of(referral, world.provider_a), **award_args(clock))
    assert count(Placement) == 0


def test_award_is_refused_twice(world, clock, two_bids):
    award_with_cost(world, clock, two_bids, bid_of(two_bids, world.provider_a), **award_args(clock))
    with pytest.raises(DomainError, match="This referral has already been awarded"):
        award_with_cost(world, clock, two_bids, bid_of(two_bids, world.provider_b),
                     **award_args(clock, reason="Second thoughts"))
    assert count(Placement) == 1
    assert db.session.get(Referral, two_bids.id).awarded_bid_id == bid_of(two_bids, world.provider_a).id


def test_a_withdrawn_bid_cannot_be_awarded(world, clock):
    referral = competition(world, clock, bidders=[(world.provider_a, bid_input("1000.00")),
                                                  (world.provider_b, bid_input("900.00"))])
    withdrawn = bid_of(referral, world.provider_b)
    bids.withdraw(world.provider_b, withdrawn, clock.now())
    past_deadline(clock, referral)
    assess(world, referral, world.provider_a, SCORES_90, clock)
    assert [item.provider_name for item in awards.ranking(referral, clock.now())] == ["Alpha Care"]
    with pytest.raises(DomainError, match="withdrawn"):
        award_with_cost(world, clock, referral, withdrawn, **award_args(clock, reason="Cheaper"))
    assert count(Placement) == 0


def test_a_withdrawn_or_exhausted_referral_cannot_be_awarded(world, clock, two_bids):
    alpha = bid_of(two_bids, world.provider_a)
    referrals.withdraw(world.member_officer, two_bids, "The child is staying with family", clock.now())
    with pytest.raises(DomainError, match="withdrawn"):
        award_with_cost(world, clock, two_bids, alpha, **award_args(clock))
    with pytest.raises(DomainError, match="withdrawn"):
        assess(world, two_bids, world.provider_a, SCORES_60, clock)
    assert count(Placement) == 0
    assert awards.refusal_to_award(two_bids, awards.ranking(two_bids, clock.now()), clock.now()) == (
        "You cannot award it: the referral is withdrawn.")


def test_another_authoritys_officer_cannot_award(world, clock, two_bids):
    alpha = bid_of(two_bids, world.provider_a)
    for outsider in (world.lead_officer, world.outside_admin, world.provider_a):
        with pytest.raises(NotFound):
            awards.award(outsider, two_bids, alpha, **award_args(clock))
    assert count(Placement) == 0


def test_a_bid_of_another_referral_cannot_be_awarded(world, clock, two_bids):
    other = published_referral(world, clock, lot=world.lots[0], deadline=clock.now() + timedelta(days=10))
    send(world.provider_b, other, clock, bid_input("900.00"))
    with pytest.raises(NotFound):
        award_with_cost(world, clock, two_bids, bid_of(other, world.provider_b), **award_args(clock))
    assert count(Placement) == 0


def test_the_award_needs_the_bids_cost_approved_as_it_stands(world, clock, two_bids):
    alpha, beta = bid_of(two_bids, world.provider_a), bid_of(two_bids, world.provider_b)
    with pytest.raises(DomainError, match="Ask a budget holder to approve this bid's weekly cost") as refused:
        awards.award(world.member_officer, two_bids, alpha, **award_args(clock))
    assert refused.value.field == "bid_id"
    asked = awards.ask_cost_approval(world.member_officer, two_bids, alpha, clock.now())
    with pytest.raises(DomainError, match="waiting for an answer"):
        awards.award(world.member_officer, two_bids, alpha, **award_args(clock))
    answer_as(deciders(world, clock).budget_holder, asked, clock)
    # approved for Alpha: it does not count for Beta, nor for Alpha at a price negotiated since
    with pytest.raises(DomainError, match="Ask a budget holder"):
        awards.award(world.member_officer, two_bids, beta, **award_args(clock, reason="Nearer school"))
    awards.negotiate(world.member_officer, alpha, price="1,100.00", note="Agreed by phone", now=clock.now())
    with pytest.raises(DomainError, match="Ask a budget holder"):
        awards.award(world.member_officer, two_bids, alpha, **award_args(clock))
    assert count(Placement) == 0
    approve_cost(world, two_bids, alpha, clock)
    placement = awards.award(world.member_officer, two_bids, alpha, **award_args(clock))
    assert placement.cost_approval.weekly_cost == Decimal("1100.00") == placement.weekly_cost


def test_a_suspended_provider_cannot_be_awarded(world, clock, two_bids):
    clock.advance(days=1)  # suspended after the deadline: its bid was not set aside, but no award is made
    standing.restrict(dps_id=world.dps.id, provider_id=world.provider_a.organisation_id, cause="sanction",
                      reason="Breach of contract", actor=world.admin, now=clock.now())
    db.session.commit()
    with pytest.raises(DomainError, match="Alpha Care is suspended on T-DPS: Breach of contract"):
        award_with_cost(world, clock, two_bids, bid_of(two_bids, world.provider_a), **award_args(clock))
    assert count(Placement) == 0


def _caution_by_standing(world, referral):
    world.provider_a.organisation.provider_status = "place_with_caution"


def _caution_on_the_lot(world, referral):
    membership = db.session.scalars(db.select(LotMembership).where(
        LotMembership.provider_id == world.provider_a.organisation_id,
        LotMembership.lot_id == referral.lot_id)).one()
    membership.status = "place_with_caution"


@pytest.mark.parametrize("caution", [_caution_by_standing, _caution_on_the_lot], ids=["standing", "lot"])
def test_a_caution_given_after_the_invitation_is_shown_and_must_be_acknowledged(world, clock, two_bids, caution):
    alpha = bid_of(two_bids, world.provider_a)
    assert not alpha.invitation.place_with_caution
    caution(world, two_bids)
    db.session.commit()
    ranked = by_name(awards.ranking_for(world.member_officer, two_bids, clock.now()))
    assert ranked["Alpha Care"].place_with_caution and not ranked["Beta Homes"].place_with_caution
    with pytest.raises(DomainError) as refused:
        award_with_cost(world, clock, two_bids, alpha, **award_args(clock))
    assert refused.value.field == "caution_acknowledged"
    assert refused.value.message == ("Alpha Care is marked place with caution: confirm that you have read the "
                                     "caution and still wish to award")
    assert count(Placement) == 0 and db.session.get(Referral, two_bids.id).awarded_at is None
    placement = award_with_cost(world, clock, two_bids, alpha, caution_acknowledged=True, **award_args(clock))
    assert placement.provider_id == world.provider_a.organisation_id


def test_a_caution_flagged_at_the_invitation_must_be_acknowledged(world, clock):
    admit(world.provider_a, world.lots[0], clock=clock, caution=True)
    referral = competition(world, clock, bidders=[])
    send(world.provider_a, referral, clock, bid_input("1000.00"))
    past_deadline(clock, referral)
    assess(world, referral, world.provider_a, SCORES_90, clock)
    with pytest.raises(DomainError, match="marked place with caution"):
        award_with_cost(world, clock, referral, bid_of(referral, world.provider_a), **award_args(clock))
    assert count(Placement) == 0


# The QA visit of an emergency, and the home area ---------------------------------------------------------------

def test_an_emergency_placement_gets_a_qa_visit_due_72_hours_after_its_start(world, clock):
    referral = competition(world, clock, needed_by="today",
                           bidders=[(world.provider_a, bid_input("1000.00", proposed_start=date(2026, 11, 20)))])
    past_deadline(clock, referral)
    assess(world, referral, world.provider_a, SCORES_90, clock)
    placement = award_with_cost(world, clock, referral, bid_of(referral, world.provider_a), **award_args(clock))
    # 00:00 on 20 November 2026 in London is 00:00 UTC (GMT); 72 hours later is 00:00 on the 23rd.
    assert placement.qa_visit_due_at == datetime(2026, 11, 23, 0, 0)


def test_an_emergency_award_after_the_proposed_start_counts_72_hours_from_the_award(world, clock):
    referral = competition(world, clock, needed_by="today",
                           bidders=[(world.provider_a, bid_input("1000.00", proposed_start=clock.now().date()))])
    awarded_at = past_deadline(clock, referral)
    assess(world, referral, world.provider_a, SCORES_90, clock)
    placement = award_with_cost(world, clock, referral, bid_of(referral, world.provider_a), **award_args(clock))
    assert placement.qa_visit_due_at == awarded_at + timedelta(hours=72)


def test_an_emergency_award_of_a_bid_starting_years_ahead_is_refused_not_crashed(world, clock):
    referral = competition(world, clock, needed_by="today",
                           bidders=[(world.provider_a, bid_input("1000.00", proposed_start=clock.now().date()))])
    past_deadline(clock, referral)
    assess(world, referral, world.provider_a, SCORES_90, clock)
    bid = bid_of(referral, world.provider_a)
    bid.proposed_start = date(9999, 12, 31)  # a bid sent before starts were limited to two years ahead
    db.session.commit()
    with pytest.raises(DomainError, match="31 December 9999, more than two years ahead") as refused:
        award_with_cost(world, clock, referral, bid, **award_args(clock))
    assert refused.value.field == "bid_id"
    assert count(Placement) == 0 and db.session.get(Referral, referral.id).awarded_at is None


def test_the_qa_visit_counts_from_midnight_uk_time_in_summer(clock):
    # 00:00 on 1 July 2027 in London (BST) is 23:00 UTC on 30 June; 72 hours later is 23:00 UTC on 3 July.
    emergency, planned = SimpleNamespace(is_emergency=True), SimpleNamespace(is_emergency=False)
    assert awards.qa_visit_due(emergency, date(2027, 7, 1), clock.now()) == datetime(2027, 7, 3, 23, 0)
    assert awards.qa_visit_due(planned, date(2027, 7, 1), clock.now()) is None


@pytest.mark.parametrize(("home_area", "in_home", "preferred"), [
    ("E08000014", True, False),  # Sefton: the member authority's own area
    ("E08000008", False, True),  # Tameside: a preferred area
    ("E08000007", False, True),  # Stockport: another preferred area
    ("E07000118", False, True),  # Chorley: a district inside Lancashire, a preferred county
    ("E08000004", False, False),  # Oldham: a metropolitan borough inside no other
])
def test_in_home_area_and_preferred_location(world, clock, home_area, in_home, preferred):
    referral = competition(world, clock, preferred_areas=["E08000008", "E08000007", "E10000017"],
                           bidders=[(world.provider_a, bid_input("1000.00", home_area=home_area))])
    past_deadline(clock, referral)
    assess(world, referral, world.provider_a, SCORES_90, clock)
    placement = award_with_cost(world, clock, referral, bid_of(referral, world.provider_a), **award_args(clock))
    assert (placement.in_home_area, placement.location_was_preferred) == (in_home, preferred)


# A provider's own outcome ------------------------------------------------------------------------------------

def test_each_bidder_sees_only_its_own_outcome_after_the_award(world, clock, two_bids, gamma):
    for user in (world.provider_a, world.provider_b):
        with pytest.raises(NotFound):
            awards.outcome_for_provider(user, two_bids.id, clock.now())  # not yet awarded
    award_with_cost(world, clock, two_bids, bid_of(two_bids, world.provider_a), **award_args(clock))
    won = awards.outcome_for_provider(world.colleague_a, two_bids.id, clock.now())
    assert won.awarded and won.rank == 1 and won.bids_count == 2 and won.total == Decimal("80.6667")
    assert won.terms.weekly_cost == Decimal("1500.00") and won.terms.start_date == START_DATE
    assert won.terms.agreement_reference == f"IPA-{two_bids.reference}"
    assert [line.description for line in won.terms.costs] == ["Core weekly fee", "Weekly therapy sessions"]
    lost = awards.outcome_for_provider(world.provider_b, two_bids.id, clock.now())
    assert not lost.awarded and lost.terms is None
    assert (lost.rank, lost.bids_count, lost.quality_percent, lost.total) == (2, 2, Decimal(60), Decimal("76.0000"))
    assert lost.referral.reference == two_bids.reference
    assert not hasattr(lost.referral, "child")
    for outsider in (gamma, world.member_officer, world.lead_officer):
        with pytest.raises(NotFound):
            awards.outcome_for_provider(outsider, two_bids.id, clock.now())
    with pytest.raises(NotFound):
        awards.outcome_for_provider(world.provider_a, 999999, clock.now())


def test_the_placement_is_seen_only_by_the_referring_authoritys_officers(world, clock, two_bids):
    placement = award_with_cost(world, clock, two_bids, bid_of(two_bids, world.provider_a), **award_args(clock))
    assert awards.placement_for_authority(world.member_officer, placement.id).id == placement.id
    for outsider in (world.lead_officer, world.outside_admin, world.admin, world.provider_a):
        with pytest.raises(NotFound):
            awards.placement_for_authority(outsider, placement.id)


# Racing awards (PostgreSQL) ----------------------------------------------------------------------------------

@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"),
                    reason="needs PostgreSQL (TEST_DATABASE_URL): SQLite has no row locks to test")
def test_officers_awarding_at_the_same_moment_make_one_placement(app, world, clock, two_bids):
    """Two officers of the member authority award at once the bid whose cost was approved: one wins, the other is
    told."""
    second = authority_user(world.member, "Sam Second", "second@member.example.org", [COMMISSIONING_OFFICER], clock)
    approve_cost(world, two_bids, bid_of(two_bids, world.provider_a), clock)
    jobs = [(world.member_officer.id, bid_of(two_bids, world.provider_a).id, ""),
            (second.id, bid_of(two_bids, world.provider_a).id, "")] * 3
    referral_id, moment = two_bids.id, clock.now()
    db.session.commit()
    start = threading.Barrier(len(jobs))
    results = []

    def race(officer_id: int, bid_id: int, reason: str):
        with app.test_request_context(base_url="http://portal.test"):
            try:
                officer, bid = db.session.get(User, officer_id), db.session.get(Bid, bid_id)
                referral = db.session.get(Referral, referral_id)
                start.wait(timeout=30)
                awards.award(officer, referral, bid, reason=reason, now=moment)
                results.append("awarded")
            except DomainError as error:
                results.append(error.message)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=race, args=job) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert results.count("awarded") == 1, results
    assert set(results) == {"awarded", awards.ALREADY_AWARDED}, results
    db.session.expire_all()
    placement = db.session.scalars(db.select(Placement)).one()
    assert db.session.get(Referral, referral_id).awarded_bid_id == placement.bid_id
    assert db.session.scalar(db.select(db.func.count(AuditEvent.id)).where(
        AuditEvent.action == "referral.awarded")) == 1
