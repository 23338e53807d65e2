"""Reminders sent by the scheduler, in the portal and by e-mail, each exactly once: providers before a bid deadline
they have not answered, officers when a QA visit is overdue, evaluators and administrators before a decision is
due. The clock is moved across each threshold; the job's SQL statements do not grow with the data."""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from flask import current_app

from portal import scheduler
from portal.extensions import db
from portal.models import Notification, OffFrameworkProvider, OutboxMessage, Placement, SentReminder
from portal.services import bids, evaluations, referrals, reminders
from portal.services.bids import BidInput
from tests.conftest import START
from tests.evaluation.helpers import allocate_and_score, apply
from tests.factories import admit, complete_application, draft_referral, provider_user, published_referral
from tests.portal.test_query_counts import add_provider, counting, grown


def told(subject_part):
    """Who was told, as (user ids with a notification, addresses e-mailed), for subjects containing the text."""
    return (sorted(db.session.scalars(db.select(Notification.user_id)
                                      .where(Notification.subject.contains(subject_part)))),
            sorted(db.session.scalars(db.select(OutboxMessage.to_address)
                                      .where(OutboxMessage.subject.contains(subject_part)))))


def users_told(*users):
    return sorted(user.id for user in users), sorted(user.email for user in users)


def nobody():
    return [], []


def bid(user, referral, clock):
    bids.submit(user, referrals.invitation_for(user, referral.id), BidInput(
        core_weekly_fee="1500.00", additional_costs=[], proposed_start=date(2026, 11, 30), home_area="E08000008",
        home_description="A two-bedroom flat with a keyworker", how_needs_met="Daily keyworker sessions"),
        clock.now())


def decline(user, referral, clock):
    bids.decline(user, referrals.invitation_for(user, referral.id), reason="no_vacancy", detail="", now=clock.now())


def assert_same_count(few: list[str], many: list[str]) -> None:
    assert len(many) == len(few), (
        f"{len(few)} statements with few rows, {len(many)} with many. Repeated with more rows:\n"
        + "\n".join(f"{count}x {statement}" for statement, count in grown(few, many)))


# Bid deadlines ---------------------------------------------------------------------------------------------

@pytest.fixture
def invited(world, clock):
    """Alpha, Beta and Gamma on tier 1 of lot 1, invited to a referral whose bids close in 3 days."""
    gamma = provider_user("Gamma Fostering", "gamma@provider.example.org", clock, urn="SC777777")
    for user in (world.provider_a, world.provider_b, gamma):
        admit(user, world.lots[0], clock=clock)
    referral = published_referral(world, clock, lot=world.lots[0], deadline=START + timedelta(days=3))
    return referral, gamma


def test_a_provider_that_has_not_answered_is_reminded_24_hours_before_the_deadline_once(world, clock, invited):
    referral, gamma = invited
    bid(world.provider_a, referral, clock)
    decline(world.provider_b, referral, clock)
    subject = f"Referral {referral.reference}: bids close"

    clock.set(START + timedelta(days=2) - timedelta(minutes=1))
    reminders.run_due(clock.now())
    assert told(subject) == nobody()

    clock.set(START + timedelta(days=2))  # 24 hours before the deadline
    assert reminders.run_due(clock.now()) == ["sent 1 bid.deadline reminder"]
    assert told(subject) == users_told(gamma)  # Alpha bid and Beta declined: neither is reminded
    body = db.session.scalars(db.select(OutboxMessage.body).where(OutboxMessage.subject.contains(subject))).one()
    assert "has not yet sent a bid" in body and "5 November 2026 at 10:00am" in body
    assert "Quennell" not in body and "Kestrel" not in body  # nothing of the child

    clock.advance(hours=1)
    assert reminders.run_due(clock.now()) == []
    assert told(subject) == users_told(gamma)


def test_a_withdrawn_bid_is_no_answer_and_a_missed_run_catches_up(world, clock, invited):
    referral, gamma = invited
    bid(world.provider_a, referral, clock)
    bids.withdraw(world.provider_a, bids.own_bid(world.provider_a, referral), clock.now())
    decline(gamma, referral, clock)
    # No scheduler ran from the start until 2 hours before the deadline: the reminder still goes, once.
    clock.set(START + timedelta(days=3) - timedelta(hours=2))
    scheduler.run_time_events(current_app._get_current_object())
    scheduler.run_time_events(current_app._get_current_object())
    alpha_users = [world.provider_a, world.colleague_a]
    assert told(f"Referral {referral.reference}: bids close") == users_told(world.provider_b, *alpha_users)


def test_no_reminder_once_the_deadline_has_passed(world, clock, invited):
    referral, _gamma = invited
    clock.set(START + timedelta(days=3))
    reminders.run_due(clock.now())
    assert told(f"Referral {referral.reference}: bids close") == nobody()


def test_a_deadline_under_48_hours_away_is_reminded_at_halfway(world, clock, invited):
    _referral, gamma = invited
    short = published_referral(world, clock, lot=world.lots[0], deadline=START + timedelta(hours=20))
    subject = f"Referral {short.reference}: bids close"
    clock.set(START + timedelta(hours=10) - timedelta(minutes=1))
    reminders.run_due(clock.now())
    assert told(subject) == nobody()
    clock.set(START + timedelta(hours=10))
    reminders.run_due(clock.now())
    assert told(subject) == users_told(world.provider_a, world.colleague_a, world.provider_b, gamma)


def test_the_reminder_times():
    opened = datetime(2026, 11, 2, 10, 0)
    assert reminders.bid_reminder_at(opened, opened + timedelta(days=5)) == opened + timedelta(days=4)
    assert reminders.bid_reminder_at(opened, opened + timedelta(hours=48)) == opened + timedelta(hours=24)
    assert reminders.bid_reminder_at(opened, opened + timedelta(hours=47)) == opened + timedelta(hours=23, minutes=30)
    assert reminders.bid_reminder_at(opened, opened + timedelta(hours=6)) == opened + timedelta(hours=3)


def test_bid_reminders_run_the_same_statements_for_few_and_many_providers(world, clock):
    def count(first, last):
        for index in range(first, last):
            admit(add_provider(world, index), world.lots[0], clock=clock)
        published_referral(world, clock, lot=world.lots[0], deadline=clock.now() + timedelta(hours=30))
        clock.advance(hours=16)  # past halfway to a deadline 30 hours on
        with counting() as statements:
            done = reminders.run_due(clock.now())
        assert done == [f"sent {last} bid.deadline reminders"]
        return statements

    few = count(0, 3)
    many = count(3, 15)
    assert_same_count(few, many)


# QA visits -------------------------------------------------------------------------------------------------

def placement(world, clock, *, due_at, visited=False, created_by=None):
    referral = draft_referral(world, clock, lot=world.lots[0])
    now = clock.now()
    provider = OffFrameworkProvider(authority_id=world.member.id, name="Harbour Lights Care", ofsted_urn=None,
                                    local_authority_area="Wirral", created_by_id=world.member_officer.id,
                                    created_at=now, updated_at=now)
    record = Placement(
        agreement_reference=f"IPA-{referral.reference}", referral_id=referral.id, authority_id=world.member.id,
        on_framework=False, off_framework_provider=provider, weekly_cost=Decimal("1850.00"),
        start_date=date(2026, 11, 2), location_area="Wirral", in_home_area=False, location_was_preferred=False,
        created_by_id=(created_by or world.member_officer).id, created_at=now, qa_visit_due_at=due_at,
        qa_visit_at=now if visited else None, qa_visit_notes="")
    db.session.add(record)
    db.session.commit()
    return record


def test_the_officer_is_told_once_when_a_qa_visit_becomes_overdue(world, clock):
    due = START + timedelta(hours=72)
    overdue = placement(world, clock, due_at=due)
    placement(world, clock, due_at=due, visited=True)
    subject = "the QA visit is overdue"

    clock.set(due - timedelta(minutes=1))
    reminders.run_due(clock.now())
    assert told(subject) == nobody()
    clock.set(due)
    reminders.run_due(clock.now())
    clock.advance(days=1)
    reminders.run_due(clock.now())
    assert told(subject) == users_told(world.member_officer)  # the visited placement is not mentioned
    assert told(f"Placement {overdue.agreement_reference}: the QA visit is overdue")[0] == [world.member_officer.id]


def test_qa_reminders_run_the_same_statements_for_few_and_many_placements(world, clock):
    def count(number):
        for _ in range(number):
            placement(world, clock, due_at=clock.now() + timedelta(hours=1))
        clock.advance(hours=2)
        with counting() as statements:
            assert reminders.run_due(clock.now()) == [f"sent {number} placement.qa_visit_overdue reminders"]
        return statements

    assert_same_count(count(3), count(12))


# Decisions due ---------------------------------------------------------------------------------------------

@pytest.fixture
def allocated(world, clock):
    """Alpha's application, allocated to Ada (administrator and evaluator) and Eve. The window closes on
    Monday 16 November 2026 at 10:00; 10 working days later is Monday 30 November, so the reminder falls on
    Thursday 26 November."""
    application = apply(world.provider_a, world.window, clock)
    allocate_and_score(application, world.admin, [world.admin, world.evaluator], clock, submit=False)
    return application


def test_evaluators_and_administrators_are_told_2_working_days_before_the_decision_is_due(world, clock,
                                                                                       allocated):
    subject = "Decision due within 2 working days"
    clock.set(datetime(2026, 11, 25, 23, 59))  # Wednesday, late
    reminders.run_due(clock.now())
    assert told(subject) == nobody()
    clock.set(datetime(2026, 11, 26, 0, 0))  # Thursday 26 November
    reminders.run_due(clock.now())
    clock.advance(days=1)
    reminders.run_due(clock.now())
    # Ada once (allocated, and an administrator), Eve; not the other council's administrator.
    assert told(subject) == users_told(world.admin, world.evaluator)
    body = db.session.scalars(db.select(Notification.body).where(Notification.user_id == world.evaluator.id,
                                                                 Notification.subject.contains(subject))).one()
    assert "Alpha Care, T-DPS Window 1: due Monday 30 November 2026 (8 of 10 working days so far)" in body


def test_no_decision_reminder_while_the_clock_is_paused_and_none_once_decided(world, clock, allocated):
    clock.set(datetime(2026, 11, 24, 12, 0))
    evaluations.ask_clarification(world.evaluator, allocated, "Who is your registered manager?", clock.now())
    clock.set(datetime(2026, 11, 26, 9, 0))
    reminders.run_due(clock.now())
    assert told("Decision") == nobody()
    assert db.session.scalar(db.select(db.func.count(SentReminder.id))) == 0


def test_decision_reminders_run_the_same_statements_for_few_and_many_applications(world, clock):
    def count(first, last):
        clock.set(world.window.opens_at + timedelta(hours=1))
        for index in range(first, last):
            application = complete_application(add_provider(world, index), world.window, clock, submit=True)
            evaluations.allocate(world.admin, application, [world.admin.id, world.evaluator.id], clock.now())
            if index % 2:
                evaluations.ask_clarification(world.evaluator, application, "Staff?", clock.now())
                evaluations.answer_clarification(application.submitted_by, application,
                                                 application.clarifications[0].id, "Ten", clock.now())
        clock.set(datetime(2026, 11, 30, 12, 0))
        with counting() as statements:
            assert reminders.run_due(clock.now()) == [f"sent {last - first} application.decision_due reminders"]
        return statements

    assert_same_count(count(0, 3), count(3, 10))
