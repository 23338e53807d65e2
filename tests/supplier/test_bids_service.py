"""The bid rules (portal.services.bids): sending and revising until the deadline, exactly-at-the-deadline
refusals, validation with nothing stored, withdrawal, declining, sealing, and an audit trail that never
reveals a bid's price or text."""

import html
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from portal.errors import DomainError, NotFound
from portal.extensions import db
from portal.models import (
    AuditEvent,
    Bid,
    BidCost,
    BidInvitation,
    BidReceipt,
    CategoryMembership,
    LotMembership,
    Notification,
    OutboxMessage,
)
from portal.models.referral import DECLINE_REASONS
from portal.services import bids, referrals
from portal.services import standing as standings
from portal.services.bids import AdditionalCost, BidInput
from portal.timezone import format_datetime
from tests.factories import admit, published_referral

CANARY = "Marigold-Lantern-7731 therapeutic parenting"  # a phrase only the bid's text holds


def good_bid(**overrides) -> BidInput:
    values = {
        "core_weekly_fee": "1234.56",
        "additional_costs": [AdditionalCost("1:1 support at school", "150.00", "First 12 weeks", date(2027, 2, 1))],
        "proposed_start": date(2026, 11, 20),
        "home_area": "E08000008",
        "home_description": "Two experienced foster carers with a spare room",
        "how_needs_met": f"Through {CANARY} and a school link worker",
    }
    values.update(overrides)
    return BidInput(**values)


@pytest.fixture
def referral(world, clock):
    """A referral of the member authority on lot 1, open for ten days, both providers invited."""
    admit(world.provider_a, world.lots[0], clock=clock)
    admit(world.provider_b, world.lots[0], clock=clock)
    return published_referral(world, clock, lot=world.lots[0], deadline=clock.now() + timedelta(days=10))


def invitation(user, referral) -> BidInvitation:
    return referrals.invitation_for(user, referral.id)


def deadline_of(referral):
    return referral.rounds[0].deadline


def stored_bids(referral) -> list[Bid]:
    db.session.expire_all()
    return db.session.scalars(db.select(Bid).where(Bid.referral_id == referral.id)).all()


def count(model) -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(model))


def send(user, referral, clock, **overrides) -> bids.BidReceipt:
    return bids.submit(user, invitation(user, referral), good_bid(**overrides), clock.now())


# Sending and revising --------------------------------------------------------------------------------------------

def test_a_bid_is_stored_whole_with_a_receipt_and_its_fingerprint(world, clock, referral):
    receipt = send(world.provider_a, referral, clock)
    [bid] = stored_bids(referral)
    assert bid.provider_id == world.provider_a.organisation_id
    assert bid.core_weekly_fee == Decimal("1234.56")
    assert bid.weekly_price == Decimal("1384.56")
    assert [(c.description, c.weekly_amount, c.timescale, c.review_date) for c in bid.costs] == [
        ("1:1 support at school", Decimal("150.00"), "First 12 weeks", date(2027, 2, 1))]
    assert bid.revision == 1 and bid.status == "submitted" and bid.submitted_at == clock.now()
    assert bid.content_sha256 == bids.fingerprint(bid) and len(bid.content_sha256) == 64
    assert (receipt.action, receipt.revision, receipt.at, receipt.content_sha256) == (
        "submitted", 1, clock.now(), bid.content_sha256)
    assert bids.received_count(referral) == 1


def test_the_fingerprint_is_of_a_canonical_form_of_the_content(world, clock, referral):
    send(world.provider_a, referral, clock)
    [bid] = stored_bids(referral)
    content = bids.content_of(bid)
    assert content["core_weekly_fee"] == "1234.56" and content["weekly_price"] == "1384.56"
    assert content["additional_costs"][0]["weekly_amount"] == "150.00"
    # The same content sent again gives the same fingerprint; any change gives another.
    first = bid.content_sha256
    assert send(world.provider_a, referral, clock).content_sha256 == first
    assert send(world.provider_a, referral, clock, home_area="E08000004").content_sha256 != first


def test_a_revision_keeps_one_bid_and_adds_a_receipt_with_a_new_fingerprint(world, clock, referral):
    first = send(world.provider_a, referral, clock)
    clock.advance(hours=2)
    second = bids.submit(world.colleague_a, invitation(world.colleague_a, referral),
                         good_bid(core_weekly_fee="1300", additional_costs=[]), clock.now())
    [bid] = stored_bids(referral)
    assert bid.revision == 2 and second.revision == 2 and second.action == "revised"
    assert bid.weekly_price == Decimal("1300.00") and bid.costs == []
    assert bid.submitted_by_id == world.colleague_a.id and bid.submitted_at == clock.now()
    assert second.content_sha256 != first.content_sha256 == db.session.get(BidReceipt, first.id).content_sha256
    assert [r.revision for r in bid.receipts] == [1, 2]
    assert count(BidCost) == 0


def test_the_providers_users_are_told_with_the_receipt_but_not_the_price(world, clock, referral):
    receipt = send(world.provider_a, referral, clock)
    messages = db.session.scalars(db.select(OutboxMessage).where(OutboxMessage.subject.like("Bid sent%"))).all()
    assert {m.to_address for m in messages} == {world.provider_a.email, world.colleague_a.email}
    for message in messages:
        assert receipt.content_sha256 in message.body
        assert format_datetime(receipt.at) in message.body
        assert "1234.56" not in message.body and "1,234.56" not in message.body and CANARY not in message.body
    assert not db.session.scalars(db.select(Notification).where(
        Notification.user_id == world.provider_b.id, Notification.subject.like("Bid%"))).all()
    # Nobody at the authority hears of it: that would tell them who bid and when.
    assert not db.session.scalars(db.select(OutboxMessage).where(
        OutboxMessage.to_address == world.member_officer.email, OutboxMessage.subject.like("Bid%"))).all()


# The deadline ----------------------------------------------------------------------------------------------------

def test_a_bid_exactly_at_the_deadline_is_refused_and_one_second_before_is_taken(world, clock, referral):
    clock.set(deadline_of(referral))
    with pytest.raises(DomainError) as refused:
        send(world.provider_a, referral, clock)
    assert refused.value.message == (f"The deadline for bids was {format_datetime(deadline_of(referral))}; "
                                     "your bid was not sent")
    assert stored_bids(referral) == [] and count(BidReceipt) == 0 and count(BidCost) == 0

    clock.set(deadline_of(referral) - timedelta(seconds=1))
    receipt = send(world.provider_a, referral, clock)
    assert receipt.at == deadline_of(referral) - timedelta(seconds=1)
    assert len(stored_bids(referral)) == 1


def test_a_late_revision_leaves_the_bid_as_it_was(world, clock, referral):
    send(world.provider_a, referral, clock)
    [bid] = stored_bids(referral)
    before = (bid.revision, bids.content_of(bid), bid.content_sha256)
    clock.set(deadline_of(referral) + timedelta(minutes=1))
    with pytest.raises(DomainError, match="The deadline for bids was"):
        send(world.provider_a, referral, clock, core_weekly_fee="999")
    [bid] = stored_bids(referral)
    assert (bid.revision, bids.content_of(bid), bid.content_sha256) == before
    assert count(BidReceipt) == 1


def test_a_bid_is_refused_once_the_round_has_been_closed(world, clock, referral):
    clock.set(deadline_of(referral))
    referrals.run_due(clock.now())
    clock.set(deadline_of(referral) - timedelta(seconds=1))  # a clock running slow: the close decides
    with pytest.raises(DomainError, match="The deadline for bids was"):
        send(world.provider_a, referral, clock)
    assert stored_bids(referral) == []


# Bad input: a message on the field, nothing stored -------------------------------------------------------------

BAD_INPUTS = [
    ({"core_weekly_fee": ""}, "core_weekly_fee", "Enter the core weekly fee"),
    ({"core_weekly_fee": "lots"}, "core_weekly_fee", "Enter the core weekly fee in pounds and pence, like 1,450.00"),
    ({"core_weekly_fee": "-5"}, "core_weekly_fee", "The core weekly fee must be more than £0"),
    ({"core_weekly_fee": "0"}, "core_weekly_fee", "The core weekly fee must be more than £0"),
    ({"core_weekly_fee": "NaN"}, "core_weekly_fee", "Enter the core weekly fee in pounds and pence, like 1,450.00"),
    ({"core_weekly_fee": "100000.01"}, "core_weekly_fee", "The core weekly fee must be £100,000 or less"),
    ({"core_weekly_fee": "12.345"}, "core_weekly_fee",
     "Enter the core weekly fee in pounds and pence, with no more than 2 decimal places"),
    ({"core_weekly_fee": "99990"}, "core_weekly_fee",
     "The total weekly price (core fee plus additional costs) must be £100,000 or less"),
    ({"proposed_start": None}, "proposed_start", "Enter the date the placement could start"),
    ({"proposed_start": date(2026, 11, 1)}, "proposed_start", "The proposed start date must be today or in the future"),
    ({"proposed_start": date(9999, 12, 31)}, "proposed_start", "The proposed start date must be within two years"),
    ({"home_area": "  "}, "home_area", "Choose the area of the home or carers from the list"),
    ({"home_area": "Ashton, OL6 7AB"}, "home_area", "Choose the area of the home or carers from the list"),
    ({"home_area": "E99999999"}, "home_area", "Choose the area of the home or carers from the list"),
    ({"home_description": ""}, "home_description", "Describe the home or the carers"),
    ({"how_needs_met": "\n "}, "how_needs_met", "Say how you will meet the child's needs"),
    ({"additional_costs": [AdditionalCost("", "10", "A year", date(2027, 1, 1))]}, "costs-0-description",
     "Enter what additional cost 1 pays for"),
    ({"additional_costs": [AdditionalCost("Taxi", "", "A year", date(2027, 1, 1))]}, "costs-0-weekly_amount",
     "Enter the weekly amount of additional cost 1"),
    ({"additional_costs": [AdditionalCost("Taxi", "-1", "A year", date(2027, 1, 1))]}, "costs-0-weekly_amount",
     "The weekly amount of additional cost 1 must be more than £0"),
    ({"additional_costs": [AdditionalCost("Taxi", "10", "", date(2027, 1, 1))]}, "costs-0-timescale",
     "Enter the timescale of additional cost 1, like First 12 weeks"),
    ({"additional_costs": [AdditionalCost("Taxi", "10", "A year", None)]}, "costs-0-review_date",
     "Enter the review date of additional cost 1"),
    ({"additional_costs": [AdditionalCost("", "", "", None),
                           AdditionalCost("Taxi", "10", "A year", date(2026, 11, 20))]},
     "costs-1-review_date", "The review date of additional cost 2 must be after the proposed start date"),
    ({"additional_costs": [AdditionalCost("Taxi", "10", "A year", date(9999, 12, 31))]}, "costs-0-review_date",
     "The review date of additional cost 1 must be within five years of the proposed start date"),
    ({"additional_costs": [AdditionalCost(f"Cost {n}", "1", "A year", date(2027, 1, 1)) for n in range(6)]}, "costs",
     "List up to 5 additional costs"),
]


@pytest.mark.parametrize(("overrides", "field", "message"), BAD_INPUTS)
def test_bad_input_is_refused_with_a_message_on_its_field_and_nothing_stored(world, clock, referral, overrides,
                                                                              field, message):
    with pytest.raises(bids.InvalidBid) as refused:
        send(world.provider_a, referral, clock, **overrides)
    assert refused.value.problems.get(field) == message, refused.value.problems
    assert stored_bids(referral) == [] and count(BidReceipt) == 0 and count(BidCost) == 0
    assert db.session.scalar(db.select(db.func.count(AuditEvent.id)).where(AuditEvent.action.like("bid.%"))) == 0


def test_every_mistake_is_listed_at_once(world, clock, referral):
    with pytest.raises(bids.InvalidBid) as refused:
        send(world.provider_a, referral, clock, core_weekly_fee="", home_area="", how_needs_met="",
             additional_costs=[AdditionalCost("Taxi", "", "", None)])
    assert set(refused.value.problems) == {"core_weekly_fee", "home_area", "how_needs_met", "costs-0-weekly_amount",
                                           "costs-0-timescale", "costs-0-review_date"}


def test_a_bad_revision_leaves_the_bid_unchanged(world, clock, referral):
    send(world.provider_a, referral, clock)
    with pytest.raises(bids.InvalidBid):
        send(world.provider_a, referral, clock, core_weekly_fee="abc", additional_costs=[])
    [bid] = stored_bids(referral)
    assert bid.revision == 1 and bid.core_weekly_fee == Decimal("1234.56") and len(bid.costs) == 1


def test_limits_and_forms_of_money_that_are_accepted(world, clock, referral):
    receipt = send(world.provider_a, referral, clock, core_weekly_fee="£100,000", additional_costs=[],
                   proposed_start=clock.now().date(), home_area="e08000004")
    [bid] = stored_bids(referral)
    assert bid.weekly_price == Decimal("100000.00") and receipt.revision == 1
    send(world.provider_a, referral, clock, core_weekly_fee=Decimal("0.01"), additional_costs=[
        AdditionalCost("", "", "", None), AdditionalCost("Taxi", "7.5", "A year", date(2027, 1, 1))])
    [bid] = stored_bids(referral)
    assert bid.weekly_price == Decimal("7.51") and [c.position for c in bid.costs] == [1]


# Who may bid -----------------------------------------------------------------------------------------------------

def test_a_withdrawn_referral_takes_no_bids(world, clock, referral):
    referrals.withdraw(world.member_officer, referral, "The child's plans changed", clock.now())
    with pytest.raises(DomainError, match="the referral is withdrawn"):
        send(world.provider_a, referral, clock)
    assert stored_bids(referral) == []


def test_an_awarded_referral_takes_no_bids(world, clock, referral):
    referral.awarded_at = clock.now()  # a shortcut: awarding is the awards service's, tested there
    db.session.commit()
    with pytest.raises(DomainError, match="the referral is awarded"):
        send(world.provider_a, referral, clock)
    assert stored_bids(referral) == []


def test_a_provider_that_declined_cannot_bid(world, clock, referral):
    bids.decline(world.provider_a, invitation(world.provider_a, referral), reason="no_vacancy", detail="",
                 now=clock.now())
    with pytest.raises(DomainError, match="You declined this referral on"):
        send(world.colleague_a, referral, clock)
    assert stored_bids(referral) == []


@pytest.mark.parametrize("standing", ["suspended", "terminated"])
def test_a_suspended_or_terminated_provider_cannot_bid(world, clock, referral, standing):
    if standing == "suspended":
        standings.restrict(dps_id=world.dps.id, provider_id=world.provider_a.organisation_id, cause="sanction",
                           reason="Breach of contract", actor=world.admin, now=clock.now())
    else:
        standings.terminate(standings.contract_for(world.dps.id, world.provider_a.organisation_id),
                            reason="Breach of contract", actor=world.admin, now=clock.now())
    db.session.commit()
    with pytest.raises(DomainError, match=f"Your organisation is {standing} on T-DPS: Breach of contract"):
        send(world.provider_a, referral, clock)
    assert stored_bids(referral) == []


def test_a_provider_no_longer_on_the_lot_cannot_bid(world, clock, referral):
    places = db.select(LotMembership.id).where(LotMembership.provider_id == world.provider_a.organisation_id)
    db.session.execute(db.delete(CategoryMembership).where(CategoryMembership.membership_id.in_(places)))
    db.session.execute(db.delete(LotMembership).where(
        LotMembership.provider_id == world.provider_a.organisation_id))
    db.session.commit()
    with pytest.raises(DomainError, match="no longer holds a place on Lot 1"):
        send(world.provider_a, referral, clock)
    assert stored_bids(referral) == []


def test_nobody_else_may_use_a_providers_invitation(world, clock, referral):
    own = invitation(world.provider_a, referral)
    for user in (world.provider_b, world.member_officer, world.admin):
        with pytest.raises(NotFound):
            bids.submit(user, own, good_bid(), clock.now())
        with pytest.raises(NotFound):
            bids.decline(user, own, reason="no_vacancy", detail="", now=clock.now())
    send(world.provider_a, referral, clock)
    [bid] = stored_bids(referral)
    with pytest.raises(NotFound):
        bids.withdraw(world.provider_b, bid, clock.now())
    assert bids.own_bid(world.provider_b, referral) is None
    assert bids.own_bid(world.colleague_a, referral).id == bid.id


# Concurrency: never half-stored ----------------------------------------------------------------------------------

def test_a_revision_crossed_by_another_is_refused_whole(world, clock, referral, monkeypatch):
    send(world.provider_a, referral, clock)
    [bid] = stored_bids(referral)
    bid_id, before = bid.id, bid.content_sha256
    real_own_bid_of = bids._own_bid_of

    def crossed(invitation):
        found = real_own_bid_of(invitation)
        # Another request stores its revision between this one's reading the bid and writing it.
        with Session(db.engine) as other:
            other.execute(db.update(Bid).where(Bid.id == bid_id).values(version=Bid.version + 1))
            other.commit()
        return found

    monkeypatch.setattr(bids, "_own_bid_of", crossed)
    with pytest.raises(DomainError) as refused:
        send(world.provider_a, referral, clock, core_weekly_fee="999")
    assert refused.value.message == bids.CHANGED_AT_ONCE
    [bid] = stored_bids(referral)
    assert bid.revision == 1 and bid.content_sha256 == before == bids.fingerprint(bid)
    assert count(BidReceipt) == 1 and count(BidCost) == 1


def test_two_first_bids_at_once_end_as_one_bid_and_a_revision(world, clock, referral, monkeypatch):
    own = invitation(world.provider_a, referral)
    real_own_bid_of = bids._own_bid_of
    calls = []
    # The colleague's first bid is stored in its own transaction. (It cannot be stored while this submission holds
    # the round's lock: on PostgreSQL it would wait for it; so this submission is made to miss it instead.)
    with Session(db.engine) as other:
        other.add(Bid(referral_id=referral.id, round_id=own.round_id, invitation_id=own.id,
                      provider_id=own.provider_id, core_weekly_fee=Decimal("1000.00"),
                      weekly_price=Decimal("1000.00"), proposed_start=date(2026, 11, 20), home_area="E08000002",
                      home_description="A home", how_needs_met="Well", revision=1,
                      submitted_at=clock.now(), submitted_by_id=world.colleague_a.id,
                      content_sha256="0" * 64))
        other.commit()

    def colleague_first(invitation):
        if not calls:
            calls.append(1)
            return None  # this submission looked for a bid before the colleague's was stored, and found none
        return real_own_bid_of(invitation)

    monkeypatch.setattr(bids, "_own_bid_of", colleague_first)
    receipt = bids.submit(world.provider_a, own, good_bid(), clock.now())
    [bid] = stored_bids(referral)
    assert receipt.action == "revised" and bid.revision == 2 and bid.core_weekly_fee == Decimal("1234.56")
    assert bid.content_sha256 == bids.fingerprint(bid) == receipt.content_sha256


# Withdrawing -----------------------------------------------------------------------------------------------------

def test_withdrawing_a_bid_until_the_deadline(world, clock, referral):
    send(world.provider_a, referral, clock)
    [bid] = stored_bids(referral)
    clock.advance(hours=1)
    receipt = bids.withdraw(world.colleague_a, bid, clock.now())
    [bid] = stored_bids(referral)
    assert bid.status == "withdrawn" and bid.withdrawn_at == clock.now()
    assert (receipt.action, receipt.revision, receipt.content_sha256) == ("withdrawn", 1, bid.content_sha256)
    assert bids.received_count(referral) == 0
    with pytest.raises(DomainError, match="already been withdrawn"):
        bids.withdraw(world.provider_a, bid, clock.now())
    # It may be sent again before the deadline.
    again = send(world.provider_a, referral, clock)
    assert again.action == "submitted" and again.revision == 2
    assert stored_bids(referral)[0].status == "submitted" and stored_bids(referral)[0].withdrawn_at is None


def test_withdrawing_at_the_deadline_is_refused(world, clock, referral):
    send(world.provider_a, referral, clock)
    [bid] = stored_bids(referral)
    clock.set(deadline_of(referral))
    with pytest.raises(DomainError) as refused:
        bids.withdraw(world.provider_a, bid, clock.now())
    assert refused.value.message == (f"The deadline for bids was {format_datetime(deadline_of(referral))}; "
                                     "your bid can no longer be withdrawn")
    assert stored_bids(referral)[0].status == "submitted" and count(BidReceipt) == 1


# Declining -------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("reason", sorted(DECLINE_REASONS))
def test_declining_with_each_reason(world, clock, referral, reason):
    detail = "We only place with siblings" if reason == "other" else ""
    bids.decline(world.provider_a, invitation(world.provider_a, referral), reason=reason, detail=detail,
                 now=clock.now())
    db.session.expire_all()
    declined = invitation(world.provider_a, referral)
    assert (declined.decline_reason, declined.decline_detail, declined.declined_at, declined.declined_by_id) == (
        reason, detail, clock.now(), world.provider_a.id)
    event = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "bid.declined")).one()
    assert DECLINE_REASONS[reason] in event.summary
    with pytest.raises(DomainError, match="already declined"):
        bids.decline(world.provider_a, declined, reason=reason, detail=detail, now=clock.now())


@pytest.mark.parametrize(("reason", "detail", "field", "message"), [
    ("", "", "reason", "Choose why you cannot bid"),
    ("bored", "", "reason", "Choose why you cannot bid"),
    ("other", "  ", "detail", "Say why you cannot bid"),
])
def test_declining_needs_a_reason_and_other_needs_detail(world, clock, referral, reason, detail, field, message):
    with pytest.raises(DomainError) as refused:
        bids.decline(world.provider_a, invitation(world.provider_a, referral), reason=reason, detail=detail,
                     now=clock.now())
    assert (refused.value.field, refused.value.message) == (field, message)
    db.session.expire_all()
    assert not invitation(world.provider_a, referral).has_declined


def test_declining_after_bidding_needs_the_bid_withdrawn_first(world, clock, referral):
    send(world.provider_a, referral, clock)
    with pytest.raises(DomainError, match="withdraw it first"):
        bids.decline(world.provider_a, invitation(world.provider_a, referral), reason="location", detail="",
                     now=clock.now())
    assert not invitation(world.provider_a, referral).has_declined
    bids.withdraw(world.provider_a, stored_bids(referral)[0], clock.now())
    bids.decline(world.provider_a, invitation(world.provider_a, referral), reason="location", detail="",
                 now=clock.now())
    assert invitation(world.provider_a, referral).has_declined


def test_declining_at_the_deadline_is_refused(world, clock, referral):
    clock.set(deadline_of(referral))
    with pytest.raises(DomainError, match="you can no longer decline this referral"):
        bids.decline(world.provider_a, invitation(world.provider_a, referral), reason="no_vacancy", detail="",
                     now=clock.now())


# Sealing ---------------------------------------------------------------------------------------------------------

def test_bids_are_sealed_from_the_authority_until_the_deadline(world, clock, referral):
    send(world.provider_a, referral, clock)
    send(world.provider_b, referral, clock, core_weekly_fee="1500")
    with pytest.raises(DomainError) as sealed:
        bids.visible_bids(world.member_officer, referral, clock.now())
    assert sealed.value.message == f"Bids are sealed until {format_datetime(deadline_of(referral))}"
    assert bids.received_count(referral) == 2
    [bid] = [b for b in stored_bids(referral) if b.provider_id == world.provider_a.organisation_id]
    assert bids.is_sealed(bid, clock.now()) and bids.is_sealed(referral.rounds[0], clock.now())

    clock.set(deadline_of(referral) - timedelta(seconds=1))
    with pytest.raises(DomainError, match="Bids are sealed until"):
        bids.visible_bids(world.member_officer, referral, clock.now())
    clock.set(deadline_of(referral))
    visible = bids.visible_bids(world.member_officer, referral, clock.now())
    assert {b.provider_id for b in visible} == {world.provider_a.organisation_id, world.provider_b.organisation_id}
    assert not bids.is_sealed(bid, clock.now())


def test_withdrawn_bids_are_not_among_the_visible(world, clock, referral):
    send(world.provider_a, referral, clock)
    send(world.provider_b, referral, clock)
    bids.withdraw(world.provider_b, bids.own_bid(world.provider_b, referral), clock.now())
    clock.set(deadline_of(referral))
    assert [b.provider_id for b in bids.visible_bids(world.member_officer, referral, clock.now())] == [
        world.provider_a.organisation_id]


def test_bids_of_a_referral_withdrawn_before_its_deadline_stay_sealed_for_ever(world, clock, referral, sign_in):
    send(world.provider_a, referral, clock)
    referrals.withdraw(world.member_officer, referral, "The child's plans changed", clock.now())
    clock.set(deadline_of(referral) + timedelta(days=1))
    with pytest.raises(DomainError, match="withdrawn before its deadline, so its bids stay sealed"):
        bids.visible_bids(world.member_officer, referral, clock.now())
    officer = sign_in(world.member_officer)
    page = html.unescape(officer.get(f"/authority/referrals/{referral.id}/bids").get_data(as_text=True))
    assert "This referral was withdrawn before its deadline, so its bids stay sealed." in page
    assert "Bids received: <strong>1</strong>" in page
    assert "1,234.56" not in page and CANARY not in page and "Alpha" not in page
    assert officer.get(f"/authority/referrals/{referral.id}/bids.csv").status_code == 404
    bid = db.session.scalars(db.select(Bid).where(Bid.referral_id == referral.id)).one()
    assessing = officer.get(f"/authority/bids/{bid.id}/assess")
    assert assessing.status_code == 302 and "1,234.56" not in officer.get(assessing.location).get_data(as_text=True)
    referral_page = officer.get(f"/authority/referrals/{referral.id}").get_data(as_text=True)
    assert f"/authority/referrals/{referral.id}/bids" not in referral_page


def test_nobody_but_the_referring_authoritys_officers_reads_bids(world, clock, referral):
    send(world.provider_a, referral, clock)
    clock.set(deadline_of(referral) + timedelta(days=1))
    for user in (world.lead_officer, world.admin, world.evaluator, world.outside_admin, world.provider_a,
                 world.provider_b):
        with pytest.raises(NotFound):
            bids.visible_bids(user, referral, clock.now())


# The audit trail -------------------------------------------------------------------------------------------------

def test_audit_events_hold_the_revision_and_fingerprint_never_the_price_or_text(world, clock, referral):
    send(world.provider_a, referral, clock)
    send(world.provider_a, referral, clock, core_weekly_fee="2345.67")
    bids.withdraw(world.provider_a, stored_bids(referral)[0], clock.now())
    events = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action.like("bid.%"))
                                .order_by(AuditEvent.id)).all()
    assert [e.action for e in events] == ["bid.submitted", "bid.revised", "bid.withdrawn"]
    [bid] = stored_bids(referral)
    assert all(bid.content_sha256 in e.after for e in events[1:])
    assert '"revision": 2' in events[1].after
    every_event = db.session.scalars(db.select(AuditEvent)).all()
    for event in every_event:
        recorded = " ".join(filter(None, (event.summary, event.before, event.after)))
        for secret in ("1234.56", "1,234.56", "2345.67", "2,345.67", "1384.56", CANARY, "Marigold",
                       "Two experienced foster carers", "1:1 support at school"):
            assert secret not in recorded, (event.action, secret)
