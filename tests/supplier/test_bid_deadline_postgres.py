"""Bids racing the deadline on PostgreSQL: many submissions at once, first bids of different providers and
revisions of the same bid, just before the deadline, while another thread closes the round. Each is wholly stored
(bid, costs, receipt and fingerprint consistent) or refused with a message; none is half-stored and none is
stored at or after the deadline. Skipped on SQLite, which has no row locks to test."""

import os
import threading
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import text, update
from sqlalchemy.exc import OperationalError

from portal.errors import DomainError
from portal.extensions import db
from portal.models import AuditEvent, Bid, BidCost, BidReceipt, ReferralRound, User
from portal.services import bids, referrals
from portal.services.bids import AdditionalCost, BidInput
from tests.factories import admit, provider_user, published_referral

pytestmark = pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"),
                                reason="needs PostgreSQL (TEST_DATABASE_URL)")

PROVIDERS = 6
REVISIONS = 4  # threads revising provider 0's bid at once
LATE = 2  # threads sending at the deadline itself
REFUSALS = {bids.CHANGED_AT_ONCE}


def bid_input(number: int) -> BidInput:
    return BidInput(core_weekly_fee=f"{1000 + number}.25",
                    additional_costs=[AdditionalCost(f"Support {number}", f"{10 + number}.50", "First 12 weeks",
                                                     date(2027, 3, 1))] * (1 + number % 2),
                    proposed_start=date(2026, 12, 1), home_area="E08000008", home_description=f"Home {number}",
                    how_needs_met=f"Plan {number}")


def in_own_session(app, work):
    """Run `work()` in this thread's own app context, database session and request context."""
    with app.test_request_context(base_url="http://portal.test"):
        try:
            return work()
        finally:
            db.session.remove()


def test_bids_racing_the_deadline_and_the_close_are_stored_whole_or_refused(app, world, clock):
    users = [world.provider_a] + [provider_user(f"Racer {n}", f"racer{n}@provider.example.org", clock)
                                  for n in range(1, PROVIDERS)]
    for user in users:
        admit(user, world.lots[0], clock=clock)
    referral = published_referral(world, clock, lot=world.lots[0], deadline=clock.now() + timedelta(days=10))
    deadline, referral_id = referral.rounds[0].deadline, referral.id
    user_ids = [user.id for user in users]
    # Provider 0 has a bid in already: the revisions race each other.
    bids.submit(users[0], referrals.invitation_for(users[0], referral_id), bid_input(0), deadline - timedelta(hours=1))
    just_before = deadline - timedelta(seconds=1)
    db.session.commit()  # this thread holds no transaction while the others race

    jobs = [(user_ids[n], n, just_before) for n in range(1, PROVIDERS)]
    jobs += [(user_ids[0], 100 + n, just_before) for n in range(REVISIONS)]
    jobs += [(user_ids[n], 200 + n, deadline) for n in range(1, 1 + LATE)]
    barrier = threading.Barrier(len(jobs) + 1)
    results: dict[int, object] = {}

    def send(user_id, number, moment):
        def work():
            user = db.session.get(User, user_id)
            invitation = referrals.invitation_for(user, referral_id)
            barrier.wait()
            try:
                return bids.submit(user, invitation, bid_input(number), moment).id
            except DomainError as error:
                return error.message
        results[number] = in_own_session(app, work)

    def close():
        def work():
            barrier.wait()
            return referrals.run_due(deadline)
        results["close"] = in_own_session(app, work)

    threads = [threading.Thread(target=send, args=job) for job in jobs] + [threading.Thread(target=close)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)

    late_message = "The deadline for bids was"
    for _user_id, number, moment in jobs:
        outcome = results[number]
        if moment >= deadline:
            assert isinstance(outcome, str) and outcome.startswith(late_message), (number, outcome)
        else:
            assert isinstance(outcome, int) or outcome in REFUSALS or outcome.startswith(late_message), (number,
                                                                                                         outcome)
    db.session.expire_all()
    assert db.session.get(ReferralRound, referral.rounds[0].id).closed_at is not None

    stored = db.session.scalars(db.select(Bid).where(Bid.referral_id == referral_id)).all()
    receipts = db.session.scalars(db.select(BidReceipt).order_by(BidReceipt.id)).all()
    accepted = {number for number, outcome in results.items() if isinstance(outcome, int)}
    assert len(receipts) == 1 + len(accepted)  # provider 0's first bid, and one per accepted submission
    for bid in stored:
        own_receipts = [receipt for receipt in receipts if receipt.bid_id == bid.id]
        assert [receipt.revision for receipt in own_receipts] == list(range(1, bid.revision + 1))
        assert own_receipts[-1].content_sha256 == bid.content_sha256 == bids.fingerprint(bid)
        assert bid.weekly_price == bid.core_weekly_fee + sum((c.weekly_amount for c in bid.costs), Decimal(0))
        assert bid.submitted_at < deadline and all(receipt.at < deadline for receipt in own_receipts)
        number = int(bid.core_weekly_fee) - 1000
        assert bid.home_description == f"Home {number}" and len(bid.costs) == 1 + number % 2
    # Provider 0's bid holds the last accepted revision; first bids exist only for accepted providers.
    assert {bid.provider_id for bid in stored} == {users[0].organisation_id} | {
        users[number].organisation_id for number in accepted if number < PROVIDERS}
    costs = db.session.scalar(db.select(db.func.count(BidCost.id)))
    assert costs == sum(len(bid.costs) for bid in stored)
    assert db.session.scalar(db.select(db.func.count(AuditEvent.id)).where(
        AuditEvent.action.in_(["bid.submitted", "bid.revised"]))) == len(receipts)


def test_a_bid_being_taken_holds_back_the_close_of_its_round_and_then_sees_it(app, world, clock):
    admit(world.provider_a, world.lots[0], clock=clock)
    referral = published_referral(world, clock, lot=world.lots[0], deadline=clock.now() + timedelta(days=10))
    round_id, deadline = referral.rounds[0].id, referral.rounds[0].deadline
    invitation = referrals.invitation_for(world.provider_a, referral.id)
    db.session.commit()
    close = update(ReferralRound).where(ReferralRound.id == round_id).values(closed_at=deadline)
    bids._locked(invitation.id)  # the bid path's locks, held until this transaction ends
    with db.engine.connect() as scheduler:
        scheduler.execute(text("SET lock_timeout = '300ms'"))
        with pytest.raises(OperationalError, match="lock timeout"):
            scheduler.execute(close)  # run_due's UPDATE waits for the bid
        scheduler.rollback()
        scheduler.execute(text("SET lock_timeout = '300ms'"))
        with pytest.raises(OperationalError, match="lock timeout"):  # FOR UPDATE: even a key-share lock waits
            scheduler.execute(text("SELECT id FROM referral_round WHERE id = :id FOR KEY SHARE"), {"id": round_id})
        scheduler.rollback()
        db.session.rollback()
        scheduler.execute(close)  # the bid's transaction is over: the round closes
        scheduler.commit()
    # The bid path checks closed_at after taking its lock: a bid sent before the deadline is refused once closed.
    with pytest.raises(DomainError, match="The deadline for bids was"):
        bids.submit(world.provider_a, invitation, bid_input(1), deadline - timedelta(minutes=5))
    assert db.session.scalar(db.select(db.func.count(Bid.id))) == 0
    assert db.session.scalar(db.select(db.func.count(BidReceipt.id))) == 0
