"""Placement reviews and their due dates, cost reviews, feedback and incidents (services.reviews,
services.placement_records), and what of them the provider reads."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from portal.errors import DomainError, NotFound
from portal.extensions import db
from portal.models import AuditEvent, CostReview, PlacementCost, PlacementReview
from portal.services import placement_records, reviews
from tests.factories import placed


@pytest.fixture
def placement(world, clock):
    return placed(world, clock)


def today(clock) -> date:
    return reviews.today_at(clock.now())


def review(world, clock, placement, held_on, meets="yes", notes="Settled; attends college"):
    return reviews.record_review(world.member_officer, placement, held_on=held_on, attendees="Social worker, IRO",
                                 meets_needs=meets, notes=notes, now=clock.now())


@pytest.mark.parametrize("day, months, due", [
    (date(2026, 1, 31), 1, date(2026, 2, 28)), (date(2026, 11, 30), 3, date(2027, 2, 28)),
    (date(2026, 5, 15), 3, date(2026, 8, 15)), (date(2024, 2, 29), 12, date(2025, 2, 28)),
])
def test_add_months_keeps_the_day_or_takes_the_months_last(day, months, due):
    assert reviews.add_months(day, months) == due


@pytest.mark.parametrize("day", [date(2026, 3, 30), date(2026, 3, 28), date(2026, 3, 1), date(2026, 12, 31)])
def test_months_before_is_the_latest_day_due_by_then(day):
    threshold = reviews.months_before(day, 1)
    assert reviews.add_months(threshold, 1) <= day < reviews.add_months(threshold + timedelta(days=1), 1)


def test_the_first_review_is_due_the_interval_after_the_start_then_after_the_latest(world, clock, placement):
    assert reviews.interval_months(world.member.id) == 3
    assert reviews.next_due(placement, None, 3) == reviews.add_months(placement.start_date, 3)
    clock.set(clock.now() + timedelta(days=60))
    held = review(world, clock, placement, today(clock))
    assert reviews.next_due(placement, held.held_on, 3) == reviews.add_months(today(clock), 3)


def test_reviews_due_and_overdue_are_on_the_tasks_until_recorded(world, clock, placement):
    start = placement.start_date
    assert reviews.reviews_due(world.member_officer, clock.now()) == []
    due_on = reviews.add_months(start, 3)
    clock.set(clock.now() + (due_on - today(clock)) - timedelta(days=reviews.DUE_SOON_DAYS + 1))
    assert reviews.reviews_due(world.member_officer, clock.now()) == []  # not yet within the fortnight
    clock.advance(days=1)
    (due,) = reviews.reviews_due(world.member_officer, clock.now())
    assert due.placement == placement and due.due_on == due_on and not due.overdue
    clock.set(clock.now() + timedelta(days=reviews.DUE_SOON_DAYS + 1))
    (due,) = reviews.reviews_due(world.member_officer, clock.now())
    assert due.overdue
    review(world, clock, placement, today(clock), meets="partly")
    assert reviews.reviews_due(world.member_officer, clock.now()) == []
    assert reviews.reviews_due(world.outside_admin, clock.now()) == []


def test_the_interval_is_the_authoritys_and_an_officer_changes_it(world, clock, placement):
    clock.set(clock.now() + timedelta(days=40))
    assert reviews.reviews_due(world.member_officer, clock.now()) == []
    reviews.set_interval(world.member_officer, "1", clock.now())
    assert reviews.interval_months(world.member.id) == 1
    assert reviews.interval_months(world.lead.id) == 3
    (due,) = reviews.reviews_due(world.member_officer, clock.now())
    assert due.due_on == reviews.add_months(placement.start_date, 1) and due.overdue
    for bad in ("5", "0", "x", None):
        with pytest.raises(DomainError):
            reviews.set_interval(world.member_officer, bad, clock.now())
    assert reviews.interval_months(world.member.id) == 1
    assert db.session.scalar(db.select(db.func.count(AuditEvent.id))
                             .where(AuditEvent.action == "review_interval.set")) == 1


def test_an_ended_placement_needs_no_review(world, clock, placement):
    clock.set(clock.now() + timedelta(days=200))
    assert len(reviews.reviews_due(world.member_officer, clock.now())) == 1
    placement.end_date = today(clock) - timedelta(days=1)
    db.session.commit()
    assert reviews.reviews_due(world.member_officer, clock.now()) == []


@pytest.mark.parametrize("held, attendees, meets, field", [
    (None, "SW", "yes", "held_on"), ("future", "SW", "yes", "held_on"), ("before", "SW", "yes", "held_on"),
    ("today", " ", "yes", "attendees"), ("today", "SW", "maybe", "meets_needs"),
])
def test_a_review_is_checked_and_nothing_stored(world, clock, placement, held, attendees, meets, field):
    clock.set(clock.now() + timedelta(days=30))
    held_on = {None: None, "future": today(clock) + timedelta(days=1),
               "before": placement.start_date - timedelta(days=1), "today": today(clock)}[held]
    with pytest.raises(DomainError) as error:
        reviews.record_review(world.member_officer, placement, held_on=held_on, attendees=attendees,
                              meets_needs=meets, notes="", now=clock.now())
    assert error.value.field == field
    assert db.session.scalar(db.select(db.func.count(PlacementReview.id))) == 0


def test_the_provider_reads_the_outcome_not_the_notes_and_the_audit_keeps_no_text(world, clock, placement):
    clock.set(clock.now() + timedelta(days=30))
    review(world, clock, placement, today(clock), meets="no", notes="Private: the child's named carer")
    (outcome,) = reviews.outcomes_for_provider(placement)
    assert outcome.held_on == today(clock) and outcome.meets_needs == "No"
    assert not hasattr(outcome, "notes")
    event = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "placement_review.recorded")).one()
    assert "Private" not in (event.after or "")


def test_another_authority_cannot_record_a_review(world, clock, placement):
    with pytest.raises(NotFound):
        reviews.record_review(world.outside_admin, placement, held_on=placement.start_date, attendees="X",
                              meets_needs="yes", notes="", now=clock.now())


# Cost reviews ---------------------------------------------------------------------------------------------------

def with_cost(placement, review_date):
    cost = PlacementCost(placement_id=placement.id, position=2, description="Waking night staff",
                         weekly_amount=Decimal("350.00"), timescale="First 8 weeks", review_date=review_date)
    db.session.add(cost)
    db.session.commit()
    return cost


def test_a_cost_review_is_a_task_from_a_fortnight_before_until_recorded(world, clock, placement):
    cost = with_cost(placement, today(clock) + timedelta(days=20))
    assert reviews.cost_reviews_due(world.member_officer, clock.now()) == []
    clock.advance(days=6)
    (due,) = reviews.cost_reviews_due(world.member_officer, clock.now())
    assert due.cost == cost and not due.overdue
    clock.advance(days=15)
    (due,) = reviews.cost_reviews_due(world.member_officer, clock.now())
    assert due.overdue
    assert reviews.cost_reviews_due(world.outside_admin, clock.now()) == []
    with pytest.raises(DomainError) as error:
        reviews.record_cost_review(world.member_officer, placement, cost, decision="ended", note="",
                                   now=clock.now())
    assert error.value.field == "note"
    reviews.record_cost_review(world.member_officer, placement, cost, decision="continued", note="",
                               now=clock.now())
    assert reviews.cost_reviews_due(world.member_officer, clock.now()) == []
    with pytest.raises(DomainError, match="already recorded"):
        reviews.record_cost_review(world.member_officer, placement, cost, decision="continued", note="",
                                   now=clock.now())
    assert db.session.scalar(db.select(db.func.count(CostReview.id))) == 1


def test_a_cost_without_a_review_date_has_no_review(world, clock, placement):
    core = placement.costs[0]
    assert core.review_date is None
    with pytest.raises(NotFound):
        reviews.cost_of(world.member_officer, placement, core.id)
    cost = with_cost(placement, today(clock))
    with pytest.raises(NotFound):
        reviews.cost_of(world.outside_admin, placement, cost.id)


# Feedback ---------------------------------------------------------------------------------------------------------

def test_feedback_is_recorded_checked_and_summarised_per_provider(world, clock, placement):
    other = placed(world, clock, core="1400.00", admitted=False)
    clock.set(clock.now() + timedelta(days=30))
    assert placement_records.provider_feedback_summary(placement.provider_id).count == 0
    for target, rating in ((placement, 4), (placement, "5"), (other, 2)):
        placement_records.record_feedback(world.member_officer, target, given_on=today(clock), given_by="iro",
                                          rating=rating, comment="Good keywork", now=clock.now())
    summary = placement_records.provider_feedback_summary(placement.provider_id)
    assert summary.count == 3 and summary.average == Decimal("3.7")
    assert placement_records.provider_feedback_summary(world.provider_b.organisation_id).average is None
    assert placement_records.provider_feedback_summary(placement.provider_id,
                                                       since=today(clock) + timedelta(days=1)).count == 0
    for rating, given_by, field in ((0, "iro", "rating"), ("6", "iro", "rating"), ("x", "iro", "rating"),
                                    (3, "teacher", "given_by")):
        with pytest.raises(DomainError) as error:
            placement_records.record_feedback(world.member_officer, placement, given_on=today(clock),
                                              given_by=given_by, rating=rating, comment="", now=clock.now())
        assert error.value.field == field
    assert [item.rating for item in placement_records.feedback_of(placement)] == [5, 4]


# Incidents --------------------------------------------------------------------------------------------------------

def test_an_incident_is_recorded_and_the_provider_reads_only_its_category_and_date(world, clock, placement):
    clock.set(clock.now() + timedelta(days=30))
    incident = placement_records.record_incident(
        world.member_officer, placement, occurred_on=today(clock), category="allegation",
        summary="Allegation made by the young person about a named carer", lado_informed=True,
        police_informed=False, outcome="", ended_placement=False, now=clock.now())
    (notice,) = placement_records.incidents_for_provider(placement)
    assert notice.occurred_on == today(clock) and notice.category.startswith("Allegation")
    assert not hasattr(notice, "summary") and not hasattr(notice, "outcome")
    event = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "placement_incident.recorded")).one()
    assert "named carer" not in (event.after or "") and "named carer" not in event.summary
    placement_records.record_outcome(world.member_officer, incident, outcome="Unsubstantiated after LADO review",
                                     ended_placement=False, now=clock.now())
    assert incident.outcome.startswith("Unsubstantiated")
    with pytest.raises(NotFound):
        placement_records.incident_of(world.outside_admin, placement, incident.id)
    with pytest.raises(NotFound):
        placement_records.record_incident(world.outside_admin, placement, occurred_on=today(clock),
                                          category="incident", summary="x", lado_informed=False,
                                          police_informed=False, outcome="", ended_placement=False, now=clock.now())


def test_an_incident_is_checked(world, clock, placement):
    clock.set(clock.now() + timedelta(days=30))
    for category, summary, field in (("fire", "x", "category"), ("incident", " ", "summary")):
        with pytest.raises(DomainError) as error:
            placement_records.record_incident(world.member_officer, placement, occurred_on=today(clock),
                                              category=category, summary=summary, lado_informed=False,
                                              police_informed=False, outcome="", ended_placement=False,
                                              now=clock.now())
        assert error.value.field == field
    assert placement_records.incidents_of(placement) == []


def test_records_sent_twice_are_kept_once(world, clock, placement):
    clock.set(clock.now() + timedelta(days=30))
    first = review(world, clock, placement, today(clock))
    assert review(world, clock, placement, today(clock)) == first
    feedback = dict(given_on=today(clock), given_by="iro", rating=4, comment="Good", now=clock.now())
    assert placement_records.record_feedback(world.member_officer, placement, **feedback) == \
        placement_records.record_feedback(world.member_officer, placement, **feedback)
    incident = dict(occurred_on=today(clock), category="incident", summary="Missing overnight", lado_informed=False,
                    police_informed=True, outcome="", ended_placement=False, now=clock.now())
    assert placement_records.record_incident(world.member_officer, placement, **incident) == \
        placement_records.record_incident(world.member_officer, placement, **incident)
    assert len(placement_records.incidents_of(placement)) == 1 and len(reviews.reviews_of(placement)) == 1
