"""What standing does across the portal (portal.services.standing_effects): standing on one DPS and not another in
invitations, bids, awards, applications and vacancies; bids set aside at the deadline with the reason (kept, shown
to the officer, never ranked nor awarded), the same before and after the round's close; termination leaving the
lots, re-tiering them and requesting reviews; reinstatement restoring the places."""

import json
from datetime import date, timedelta
from types import SimpleNamespace

import pytest

from portal.errors import DomainError, InvalidTransition
from portal.extensions import db
from portal.models import (
    AuditEvent,
    Bid,
    LotMembership,
    Notification,
    Placement,
    Restriction,
    ReviewRequest,
    TierAward,
)
from portal.models.contract import ENFORCEMENT, INSURANCE_EXPIRED, SANCTION
from portal.models.organisation import PROVIDER_STATUSES
from portal.services import applications, awards, bids, outcomes, referrals, standing, standing_effects
from portal.services.bids import BidInput
from portal.services.referrals import rounds
from tests.evaluation.test_age_categories import tiered  # noqa: F401  (the fixture: four providers tiered)
from tests.factories import (
    admit,
    approve_cost,
    build_dps,
    complete_application,
    contract_of,
    placed,
    published_referral,
    setting_for,
)
from tests.portal.test_query_counts import add_provider, counting, grown

SCORES = {"needs": 4, "location": 4, "stability": 4, "education": 4}


def suspend(world, user, clock, *, dps=None, reason="Breach of contract: notice to improve not met", **kwargs):
    return standing.restrict(dps_id=(dps or world.dps).id, provider_id=user.organisation_id, cause=SANCTION,
                             reason=reason, actor=world.admin, now=clock.now(), **kwargs)


def bid_input(core="1200.00") -> BidInput:
    return BidInput(core_weekly_fee=core, additional_costs=[], proposed_start=date(2026, 12, 30),
                    home_area="E08000008", home_description="A two-bedroom home with experienced carers",
                    how_needs_met="A keyworker and a school link worker")


def send(user, referral, clock, core="1200.00") -> Bid:
    bids.submit(user, referrals.invitation_for(user, referral.id), bid_input(core), clock.now())
    return db.session.scalars(db.select(Bid).where(Bid.referral_id == referral.id,
                                                   Bid.provider_id == user.organisation_id)).one()


@pytest.fixture
def two_bids(world, clock):
    """Alpha and Beta admitted to lot 1, invited, each with a bid in; the deadline three days off."""
    admit(world.provider_a, world.lots[0], clock=clock)
    admit(world.provider_b, world.lots[0], clock=clock)
    referral = published_referral(world, clock, deadline=clock.now() + timedelta(days=3))
    alpha, beta = send(world.provider_a, referral, clock), send(world.provider_b, referral, clock, "1000.00")
    return referral, alpha, beta


def past_deadline(clock, referral, hours=1):
    clock.set(referral.current_round.deadline + timedelta(hours=hours))


# Invitations --------------------------------------------------------------------------------------------------

def test_a_provider_suspended_on_one_dps_is_not_invited_there_but_is_on_another(world, clock):
    other = build_dps(world.admin, clock, reference="T-OTHER")
    for lot in (world.lots[0], other.lots[0]):
        admit(world.provider_a, lot, clock=clock)
        admit(world.provider_b, lot, clock=clock)
    suspend(world, world.provider_a, clock)
    db.session.commit()
    here = published_referral(world, clock, deadline=clock.now() + timedelta(days=3))
    assert [i.provider_id for i in here.invitations] == [world.provider_b.organisation_id]
    assert referrals.eligible_memberships(here, None) == []
    # On the other DPS Alpha is in good standing: the same query would invite it (a referral there, as it reads it).
    there = SimpleNamespace(id=None, category_id=None, lot=other.lots[0], lot_id=other.lots[0].id, dps_id=other.id,
                            age_years=other.lots[0].categories[0].age_from)
    assert {place.membership.provider_id for place in referrals.eligible_memberships(there, None)} == {
        world.provider_a.organisation_id, world.provider_b.organisation_id}


def test_a_terminated_provider_is_passed_over_by_the_cascade(world, clock):
    admit(world.provider_a, world.lots[0], clock=clock)
    admit(world.provider_b, world.lots[0], tier=2, clock=clock)
    standing.terminate(contract_of(world, world.provider_a), reason="Registration cancelled", actor=world.admin,
                       now=clock.now())
    db.session.commit()
    referral = published_referral(world, clock, deadline=clock.now() + timedelta(days=3))
    # Tier 1 has nobody left to invite: tier 2 is approached at once.
    assert referral.current_round.tier == 2
    assert [i.provider_id for i in referral.invitations] == [world.provider_b.organisation_id]


# Bids set aside at the deadline -------------------------------------------------------------------------------

def test_a_bid_sent_before_a_suspension_is_set_aside_at_the_deadline_with_the_reason(world, clock, two_bids):
    referral, alpha, beta = two_bids
    clock.advance(days=1)
    suspend(world, world.provider_a, clock, reason="Public liability insurance expired")
    db.session.commit()
    # Suspended now, Alpha can neither revise its bid nor send another.
    with pytest.raises(DomainError, match="Your organisation is suspended on T-DPS: Public liability insurance"):
        bids.submit(world.provider_a, referrals.invitation_for(world.provider_a, referral.id), bid_input(),
                    clock.now())
    past_deadline(clock, referral)
    # Before the close has run the officer already reads it set aside, as the close will record it.
    ranked = awards.ranking_for(world.member_officer, referral, clock.now())
    assert [(item.provider_name, item.is_set_aside) for item in ranked] == [("Beta Homes", False),
                                                                            ("Alpha Care", True)]
    assert "Alpha Care was suspended on T-DPS at the deadline: Public liability insurance expired" == \
        ranked[1].set_aside_reason
    done = rounds.run_due(clock.now())
    assert done == [f"closed referral {referral.reference} round 1 (tier 1), 1 bid set aside"]
    db.session.expire_all()
    kept = db.session.get(Bid, alpha.id)
    assert kept.is_set_aside and kept.set_aside_at == referral.current_round.deadline
    assert kept.set_aside_reason == ranked[1].set_aside_reason and kept.status == "submitted"
    assert db.session.get(Bid, beta.id).set_aside_at is None
    event = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "bid.set_aside")).one()
    assert event.entity_type == "referral" and event.entity_id == referral.id
    assert json.loads(event.after)["bids"] == {str(alpha.id): kept.set_aside_reason}
    assert "1 bid set aside at the deadline" in event.summary and event.summary.endswith(": Alpha Care")
    told = db.session.scalars(db.select(Notification).where(
        Notification.user_id == world.provider_a.id, Notification.subject.like("%set aside%"))).one()
    assert "Reason: Alpha Care was suspended" in told.body
    assert bids.response_label(kept.invitation, kept) == "Set aside at the deadline"
    # Running again changes nothing.
    assert rounds.run_due(clock.now()) == []


def test_a_set_aside_bid_is_neither_weighed_nor_awarded(world, clock, two_bids):
    referral, alpha, beta = two_bids
    clock.advance(days=1)
    suspend(world, world.provider_a, clock)
    past_deadline(clock, referral)
    rounds.run_due(clock.now())
    awards.assess(world.member_officer, beta, scores=SCORES, notes="", now=clock.now())
    ranked = awards.ranking_for(world.member_officer, referral, clock.now())
    # Beta alone is weighed: the lowest price is its own, and Alpha needs no scores.
    assert ranked[0].rank == 1 and ranked[0].lowest_price == ranked[0].price
    assert awards.all_assessed(ranked) and awards.refusal_to_award(referral, ranked, clock.now()) is None
    with pytest.raises(DomainError, match="set aside at the deadline, so it cannot be awarded"):
        awards.ask_cost_approval(world.member_officer, referral, alpha, clock.now())
    # Even once the suspension is lifted, the bid set aside at the deadline stays set aside.
    standing.lift(standing.active_restrictions(world.dps.id, world.provider_a.organisation_id)[0],
                  reason="Lifted at review", actor=world.admin, now=clock.now())
    db.session.commit()
    with pytest.raises(DomainError, match="set aside at the deadline"):
        awards.award(world.member_officer, referral, alpha, reason="Closer to school", now=clock.now())
    assert db.session.scalar(db.select(db.func.count(Placement.id))) == 0
    approve_cost(world, referral, beta, clock)
    assert awards.award(world.member_officer, referral, beta, reason="", now=clock.now()).provider_id == \
        world.provider_b.organisation_id


def test_every_bid_set_aside_leaves_nothing_to_award(world, clock, two_bids):
    referral, _, _ = two_bids
    suspend(world, world.provider_a, clock)
    suspend(world, world.provider_b, clock)
    past_deadline(clock, referral)
    rounds.run_due(clock.now())
    ranked = awards.ranking_for(world.member_officer, referral, clock.now())
    assert awards.refusal_to_award(referral, ranked, clock.now()) == (
        "Every bid was set aside at the deadline, so there is nothing to award")


def test_a_suspension_lifted_before_the_deadline_sets_nothing_aside(world, clock, two_bids):
    referral, alpha, _ = two_bids
    restriction = suspend(world, world.provider_a, clock)
    clock.advance(hours=2)
    standing.lift(restriction, reason="New certificate accepted", actor=world.admin, now=clock.now())
    db.session.commit()
    past_deadline(clock, referral)
    rounds.run_due(clock.now())
    assert db.session.get(Bid, alpha.id).set_aside_at is None


def test_a_suspension_after_the_deadline_sets_nothing_aside_but_refuses_the_award(world, clock, two_bids):
    referral, alpha, _ = two_bids
    past_deadline(clock, referral)
    suspend(world, world.provider_a, clock)
    db.session.commit()
    rounds.run_due(clock.now())
    assert db.session.get(Bid, alpha.id).set_aside_at is None
    awards.assess(world.member_officer, alpha, scores=SCORES, notes="", now=clock.now())
    with pytest.raises(DomainError, match="Alpha Care is suspended on T-DPS: Breach of contract"):
        awards.ask_cost_approval(world.member_officer, referral, alpha, clock.now())


def test_a_suspension_on_another_dps_sets_nothing_aside(world, clock, two_bids):
    referral, alpha, _ = two_bids
    other = build_dps(world.admin, clock, reference="T-OTHER")
    admit(world.provider_a, other.lots[0], clock=clock)
    suspend(world, world.provider_a, clock, dps=other)
    db.session.commit()
    past_deadline(clock, referral)
    rounds.run_due(clock.now())
    assert db.session.get(Bid, alpha.id).set_aside_at is None


def test_a_bid_offering_a_restricted_setting_is_set_aside_and_not_awarded(world, clock, two_bids):
    referral, alpha, beta = two_bids
    home = setting_for(world.provider_a, clock, urn="SC700001", name="Oak House")
    other_home = setting_for(world.provider_b, clock, urn="SC700002", name="Elm House")
    alpha.setting_id, beta.setting_id = home.id, other_home.id  # as part 1's bid form records it
    db.session.commit()
    standing.restrict(dps_id=world.dps.id, provider_id=world.provider_a.organisation_id, setting_id=home.id,
                      cause=ENFORCEMENT, reason="Ofsted restricted accommodation", actor=world.admin,
                      now=clock.now())
    db.session.commit()
    past_deadline(clock, referral)
    rounds.run_due(clock.now())
    kept = db.session.get(Bid, alpha.id)
    assert kept.set_aside_reason == ("New placements at Oak House (URN SC700001), the setting offered, were "
                                     "restricted on T-DPS at the deadline: Ofsted restricted accommodation")
    assert db.session.get(Bid, beta.id).set_aside_at is None


def test_a_setting_restricted_after_the_deadline_refuses_the_award(world, clock, two_bids):
    referral, alpha, beta = two_bids
    home = setting_for(world.provider_b, clock, urn="SC700003", name="Ash House")
    beta.setting_id = home.id
    db.session.commit()
    past_deadline(clock, referral)
    rounds.run_due(clock.now())
    awards.assess(world.member_officer, beta, scores=SCORES, notes="", now=clock.now())
    awards.assess(world.member_officer, alpha, scores=SCORES, notes="", now=clock.now())
    approve_cost(world, referral, beta, clock)
    standing.restrict(dps_id=world.dps.id, provider_id=world.provider_b.organisation_id, setting_id=home.id,
                      cause=ENFORCEMENT, reason="Notice of decision to cancel registration", actor=world.admin,
                      now=clock.now())
    db.session.commit()
    with pytest.raises(DomainError, match="New placements at Ash House .* are restricted on T-DPS: Notice"):
        awards.award(world.member_officer, referral, beta, reason="", now=clock.now())
    assert db.session.scalar(db.select(db.func.count(Placement.id))) == 0


# Applications and vacancies ---------------------------------------------------------------------------------

def test_a_provider_suspended_on_one_dps_may_still_apply_to_another(world, clock):
    standing.contract_for(world.dps.id, world.provider_a.organisation_id, now=clock.now())
    suspend(world, world.provider_a, clock, reason="Employer's liability insurance expired")
    db.session.commit()
    with pytest.raises(DomainError, match="suspended on T-DPS: Employer's liability insurance expired. It cannot "
                                          "apply"):
        applications.start(world.provider_a, world.window, clock.now())
    # Beta, in good standing, starts its application as before.
    assert applications.start(world.provider_b, world.window, clock.now()).provider_id == \
        world.provider_b.organisation_id


def test_a_provider_suspended_elsewhere_submits_its_application_here(world, clock):
    other = build_dps(world.admin, clock, reference="T-OTHER")
    admit(world.provider_a, other.lots[0], clock=clock)
    suspend(world, world.provider_a, clock, dps=other)
    db.session.commit()
    application = complete_application(world.provider_a, world.window, clock, submit=True)
    assert application.status == "submitted"


# Termination and reinstatement --------------------------------------------------------------------------------

def test_termination_leaves_every_lot_keeps_the_places_and_requests_reviews(world, clock):
    placement = placed(world, clock)
    admit(world.provider_a, world.lots[1], clock=clock)
    other = build_dps(world.admin, clock, reference="T-OTHER")
    elsewhere = admit(world.provider_a, other.lots[0], clock=clock)
    standing.terminate(contract_of(world, world.provider_a), reason="Registration cancelled", actor=world.admin,
                       now=clock.now())
    db.session.commit()
    places = db.session.scalars(db.select(LotMembership).where(
        LotMembership.provider_id == world.provider_a.organisation_id).order_by(LotMembership.id)).all()
    assert [(p.lot_id, p.status, p.status_before_leaving) for p in places] == [
        (world.lots[0].id, "left", "admitted"), (world.lots[1].id, "left", "admitted"),
        (other.lots[0].id, "admitted", None)]
    assert db.session.get(LotMembership, elsewhere.id).left_at is None
    request = db.session.scalars(db.select(ReviewRequest)).one()
    assert request.placement_id == placement.id and request.source_type == "provider_contract"
    assert request.reason == "Alpha Care's contract on T-DPS was terminated"
    assert request.due_on == clock.now().date() + timedelta(days=standing_effects.REVIEW_WITHIN_DAYS)
    # The placement continues.
    assert db.session.get(Placement, placement.id).end_date is None
    actions = db.session.scalars(db.select(AuditEvent.action).where(AuditEvent.action.like("contract.%"))
                                 .order_by(AuditEvent.id)).all()
    assert actions == ["contract.terminated", "contract.lots_left", "contract.reviews_requested"]


def test_termination_re_tiers_the_lot_and_reinstatement_restores_the_place(world, clock, tiered):  # noqa: F811
    lot, users, _ = tiered
    young = lot.categories[0]
    before = [(a.provider.name, a.rank, a.tier) for a in outcomes.tier_table(young)]
    assert before[0] == ("Alpha Care", 1, 1)
    clock.advance(days=2)
    standing.terminate(contract_of(world, world.provider_a), reason="Termination upheld at review",
                       actor=world.admin, now=clock.now())
    db.session.commit()
    # Alpha is out of every category's tier table; the others are ranked again by the engine.
    assert [(a.provider.name, a.rank) for a in outcomes.tier_table(young)] == [("Beta Homes", 1), ("Cedar House", 2)]
    assert db.session.scalar(db.select(db.func.count(TierAward.id)).where(
        TierAward.provider_id == world.provider_a.organisation_id, TierAward.current.is_(True))) == 0
    for place in db.session.scalars(db.select(LotMembership).where(LotMembership.lot_id == lot.id,
                                                                   LotMembership.status != "left")):
        for category_place in place.categories:
            line = next(a for a in outcomes.tier_table(category_place.category) if a.provider_id == place.provider_id)
            assert category_place.tier == line.tier
    retiered = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "lot.retiered")).one()
    assert "re-tiered after Alpha Care's contract was terminated" in retiered.summary
    changed = json.loads(retiered.after)["changed"]
    assert changed[f"{young.id}:{users['Beta Homes'].organisation_id}"] == {"before": [2, 1], "after": [1, 1]}
    assert changed[f"{young.id}:{world.provider_a.organisation_id}"] == {"before": [1, 1], "after": None}
    # An upheld appeal reinstates the contract: the place comes back and the lot is re-tiered as before.
    clock.advance(days=20)
    standing.reinstate(contract_of(world, world.provider_a), reason="Appeal upheld", actor=world.admin,
                       now=clock.now())
    db.session.commit()
    alpha_place = db.session.scalars(db.select(LotMembership).where(
        LotMembership.lot_id == lot.id, LotMembership.provider_id == world.provider_a.organisation_id)).one()
    assert (alpha_place.status, alpha_place.left_at, alpha_place.status_before_leaving) == ("admitted", None, None)
    assert [(a.provider.name, a.rank, a.tier) for a in outcomes.tier_table(young)] == before
    assert alpha_place.tier_in(young.id).tier == 1


def test_reinstatement_is_refused_for_a_contract_not_terminated_and_changes_nothing(world, clock):
    admit(world.provider_a, world.lots[0], clock=clock)
    with pytest.raises(DomainError, match="Only a terminated contract"):
        standing.reinstate(contract_of(world, world.provider_a), reason="Appeal upheld", actor=world.admin,
                           now=clock.now())
    assert db.session.scalars(db.select(LotMembership.status)).all() == ["admitted"]


def test_a_place_left_keeps_its_status_to_restore(world, clock):
    place = admit(world.provider_a, world.lots[0], caution=True, clock=clock)
    place.leave(clock.now())
    assert (place.status, place.status_before_leaving, place.has_left) == ("left", "place_with_caution", True)
    with pytest.raises(InvalidTransition):
        place.leave(clock.now())
    place.restore()
    assert (place.status, place.left_at) == ("place_with_caution", None)
    with pytest.raises(InvalidTransition):
        place.restore()


def test_the_register_has_no_suspended_or_terminated_status(world):
    assert set(PROVIDER_STATUSES) == {"applicant", "admitted", "place_with_caution"}
    provider = world.provider_a.organisation
    provider.provider_status = "admitted"
    for barred in ("suspended", "terminated"):
        with pytest.raises(InvalidTransition):
            provider.change_provider_status(barred)


def test_insurance_restriction_counts_like_any_other(world, clock, two_bids):
    referral, alpha, _ = two_bids
    standing.restrict(dps_id=world.dps.id, provider_id=world.provider_a.organisation_id, cause=INSURANCE_EXPIRED,
                      reason="Professional indemnity insurance expired", actor=None, now=clock.now())
    db.session.commit()
    past_deadline(clock, referral)
    rounds.run_due(clock.now())
    assert "Professional indemnity insurance expired" in db.session.get(Bid, alpha.id).set_aside_reason


# The round's close, at two sizes -------------------------------------------------------------------------------

def _suspended_bids(world, clock, providers) -> object:
    """A referral with a bid from each provider, every one of them suspended before the deadline."""
    referral = published_referral(world, clock, deadline=clock.now() + timedelta(days=3))
    for user in providers:
        send(user, referral, clock)
    for user in providers:
        suspend(world, user, clock, reason="Insurance expired")
    db.session.commit()
    return referral


def _close_statements(app, clock, referral, bids_sent: int) -> list[str]:
    past_deadline(clock, referral)
    with app.test_request_context(), counting() as statements:
        assert rounds.run_due(clock.now()) == [
            f"closed referral {referral.reference} round 1 (tier 1), {bids_sent} bids set aside"]
    return statements


def test_closing_a_round_sets_bids_aside_in_as_many_statements_for_many(app, world, clock):
    providers = [add_provider(world, index) for index in range(6)]
    for user in providers:
        admit(user, world.lots[0], clock=clock)
    few = _close_statements(app, clock, _suspended_bids(world, clock, providers[:2]), 2)
    for restriction in db.session.scalars(db.select(Restriction).where(Restriction.lifted_at.is_(None))).all():
        standing.lift(restriction, reason="New certificate accepted", actor=world.admin, now=clock.now())
    db.session.commit()
    many = _close_statements(app, clock, _suspended_bids(world, clock, providers), 6)
    assert db.session.scalar(db.select(db.func.count(Bid.id)).where(Bid.set_aside_at.is_not(None))) == 8
    assert len(many) == len(few), grown(few, many)


def test_the_reason_a_provider_is_barred_reads_as_one_sentence(world, clock):
    admit(world.provider_a, world.lots[0], clock=clock)
    standing.restrict(dps_id=world.dps.id, provider_id=world.provider_a.organisation_id, cause=SANCTION,
                      reason="New placements are paused until the contract review is done.", actor=None,
                      now=clock.now())
    barred = standing_effects.why_barred(world.dps.id, world.provider_a.organisation_id)
    assert barred.endswith("until the contract review is done") and ".." not in f"{barred}."
