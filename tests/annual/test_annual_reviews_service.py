"""The annual contract review's rules: the questionnaire's versions, when a review is due, who runs it, the
provider's answers, moderation and more evidence, the meeting and costs before the rating, the comment, the action
plan and its overdue actions, and every refused move."""

from datetime import timedelta

import pytest

from portal.errors import DomainError, InvalidTransition, NotFound
from portal.extensions import db
from portal.models import AuditEvent, Notification, ReviewAnswer
from portal.models.annual_review import (
    ANSWER_ACCEPTED,
    ANSWER_MORE_EVIDENCE,
    ISSUED,
    MODERATED,
    RATED,
    RETURNED,
    SENT,
    SUBMITTED,
    AnnualReview,
)
from portal.services import annual_reviews
from portal.timezone import uk_today
from tests.annual.helpers import annual_world, moderated, rated, sent, submitted


def _today(clock):
    return uk_today(clock.now())


# The questionnaire -------------------------------------------------------------------------------

def test_a_version_locks_when_first_sent_and_a_new_version_keeps_the_old_reviews_questions(world, clock):
    setup = annual_world(world, clock)
    review = sent(world, clock, setup)
    version_one = review.questionnaire
    assert version_one.is_locked and [q.text for q in version_one.questions][0].startswith("How do you keep")
    with pytest.raises(InvalidTransition, match="Make a new version"):
        annual_reviews.add_question(world.admin, world.dps, text="A third", guidance="", now=clock.now())
    copy = annual_reviews.new_version(world.admin, world.dps, clock.now())
    assert copy.version == 2 and [q.text for q in copy.questions] == [q.text for q in version_one.questions]
    annual_reviews.add_question(world.admin, world.dps, text="A third", guidance="", now=clock.now())
    annual_reviews.remove_question(world.admin, world.dps, copy.questions[0], clock.now())
    assert [q.number for q in copy.questions] == [1, 2]
    db.session.refresh(review)
    assert review.questionnaire.version == 1 and len(review.answers) == 2
    with pytest.raises(InvalidTransition, match="no new version"):
        annual_reviews.new_version(world.admin, world.dps, clock.now())


def test_a_question_needs_its_text(world, clock):
    with pytest.raises(DomainError):
        annual_reviews.add_question(world.admin, world.dps, text="  ", guidance="", now=clock.now())


# When a review is due -------------------------------------------------------------------------------

def test_a_review_is_due_a_year_after_the_contract_for_a_provider_with_a_live_placement(world, clock):
    setup = annual_world(world, clock)
    assert annual_reviews.dues([setup.contract.id], clock.now()) == []
    clock.set(setup.contract.created_at + timedelta(days=350))
    [due] = annual_reviews.dues([setup.contract.id], clock.now())
    assert due.what == "Annual contract review" and not due.overdue
    clock.set(setup.contract.created_at + timedelta(days=380))
    [due] = annual_reviews.dues([setup.contract.id], clock.now())
    assert due.overdue
    assert [task.due.what for task in annual_reviews.tasks_for(setup.manager, clock.now())] == \
        ["Annual contract review"]
    assert annual_reviews.task_count(world.member_officer, clock.now()) == 0


def test_no_review_is_due_without_a_live_placement(world, clock):
    setup = annual_world(world, clock, placement=False)
    clock.set(setup.contract.created_at + timedelta(days=400))
    assert annual_reviews.dues([setup.contract.id], clock.now()) == []


def test_the_next_review_is_due_a_year_after_the_last_was_sent(world, clock):
    setup = annual_world(world, clock)
    clock.set(setup.contract.created_at + timedelta(days=380))
    review = rated(world, clock, setup, rating="good")
    annual_reviews.issue(setup.manager, review, clock.now())
    assert annual_reviews.dues([setup.contract.id], clock.now()) == []
    clock.set(review.sent_at + timedelta(days=370))
    [due] = annual_reviews.dues([setup.contract.id], clock.now())
    assert due.overdue


# Sending -----------------------------------------------------------------------------------------------

def test_only_the_contract_manager_sends_and_only_one_review_at_a_time(world, clock):
    setup = annual_world(world, clock)
    with pytest.raises(DomainError, match="contract manager"):
        annual_reviews.send(world.member_officer, setup.contract, due_on=_today(clock) + timedelta(days=7),
                            documents="", now=clock.now())
    with pytest.raises(DomainError) as error:
        annual_reviews.send(setup.manager, setup.contract, due_on=_today(clock), documents="", now=clock.now())
    assert error.value.errors == {"due_on": "The answers must be due after today"}
    assert db.session.scalar(db.select(db.func.count(AnnualReview.id))) == 0
    review = sent(world, clock, setup)
    assert review.status == SENT and review.questionnaire.is_locked
    assert db.session.scalar(db.select(Notification).where(Notification.user_id == world.provider_a.id)
                             .order_by(Notification.id.desc()).limit(1)).subject.startswith("Annual contract review")
    with pytest.raises(InvalidTransition, match="already under way"):
        sent(world, clock, setup)


def test_no_review_without_questions(world, clock):
    setup = annual_world(world, clock, questions=())
    with pytest.raises(DomainError, match="not set the self-assessment questions"):
        sent(world, clock, setup)


# The provider's answers ----------------------------------------------------------------------------------

def test_the_provider_saves_then_submits_every_answer(world, clock):
    setup = annual_world(world, clock)
    review = sent(world, clock, setup)
    first, second = review.answers
    annual_reviews.save_answers(world.provider_a, review, {first.id: "We train every carer"}, submit=False,
                                now=clock.now())
    assert review.status == SENT and first.answer == "We train every carer"
    with pytest.raises(DomainError) as error:
        annual_reviews.save_answers(world.provider_a, review, {}, submit=True, now=clock.now())
    assert list(error.value.errors) == [f"answer_{second.id}"]
    db.session.rollback()
    assert review.status == SENT
    with pytest.raises(NotFound):
        annual_reviews.save_answers(world.provider_b, review, {}, submit=False, now=clock.now())
    with pytest.raises(DomainError, match="changed since"):
        annual_reviews.save_answers(world.provider_a, review, {second.id: "x"}, submit=True, now=clock.now(),
                                    version=review.version + 5)
    annual_reviews.save_answers(world.provider_a, review, {second.id: "A virtual school link"}, submit=True,
                                now=clock.now(), version=review.version)
    assert review.status == SUBMITTED and review.submitted_at == clock.now()
    with pytest.raises(InvalidTransition, match="submitted"):
        annual_reviews.save_answers(world.provider_a, review, {second.id: "changed"}, submit=False, now=clock.now())


def test_another_provider_cannot_read_the_review(world, clock):
    setup = annual_world(world, clock)
    review = sent(world, clock, setup)
    with pytest.raises(NotFound):
        annual_reviews.own_review(world.provider_b, review.id)
    with pytest.raises(NotFound):
        annual_reviews.review_for_reader(world.outside_admin, review.id)
    assert annual_reviews.review_for_reader(world.member_officer, review.id) == review


# Moderation ----------------------------------------------------------------------------------------------

def test_more_evidence_sends_those_answers_back_and_accepted_ones_stay(world, clock):
    setup = annual_world(world, clock)
    review = submitted(world, clock, setup)
    first, second = review.answers
    with pytest.raises(DomainError) as error:
        annual_reviews.moderate(setup.manager, review, {first.id: (ANSWER_ACCEPTED, ""),
                                                        second.id: (ANSWER_MORE_EVIDENCE, "")}, now=clock.now())
    assert list(error.value.errors) == [f"note_{second.id}"]
    assert review.status == SUBMITTED and first.moderation is None
    annual_reviews.moderate(setup.manager, review, {first.id: (ANSWER_ACCEPTED, ""),
                                                    second.id: (ANSWER_MORE_EVIDENCE, "Send the training matrix")},
                            now=clock.now())
    assert review.status == RETURNED
    assert [answer.provider_may_edit for answer in review.answers] == [False, True]
    annual_reviews.save_answers(world.provider_a, review, {first.id: "sneaky change", second.id: "Matrix attached"},
                                submit=True, now=clock.now())
    assert first.answer == "Answer 1" and second.answer == "Matrix attached"
    assert review.status == SUBMITTED and second.moderation is None and first.moderation == ANSWER_ACCEPTED
    annual_reviews.moderate(setup.manager, review, {second.id: (ANSWER_ACCEPTED, "")}, now=clock.now())
    assert review.status == MODERATED


def test_only_the_contract_manager_moderates(world, clock):
    setup = annual_world(world, clock)
    review = submitted(world, clock, setup)
    with pytest.raises(DomainError, match="contract manager"):
        annual_reviews.moderate(world.member_officer, review, {}, now=clock.now())


# The meeting, costs and rating ----------------------------------------------------------------------------

def test_the_rating_needs_the_meeting_and_every_live_placements_cost(world, clock):
    setup = annual_world(world, clock)
    review = moderated(world, clock, setup)
    with pytest.raises(DomainError) as error:
        annual_reviews.rate(setup.manager, review, rating="good", risk_factors=[], notes="Fine", best_practice="",
                            now=clock.now())
    assert "Record the contract management meeting" in error.value.errors[""]
    db.session.rollback()
    with pytest.raises(DomainError) as error:
        annual_reviews.record_meeting(setup.manager, review, held_on=_today(clock) + timedelta(days=1),
                                      attendees="", notes="", now=clock.now())
    assert set(error.value.errors) == {"held_on", "attendees", "notes"}
    annual_reviews.record_meeting(setup.manager, review, held_on=_today(clock), attendees="Cara, Ann",
                                  notes="Discussed", now=clock.now())
    with pytest.raises(DomainError, match=setup.placement.agreement_reference):
        annual_reviews.rate(setup.manager, review, rating="good", risk_factors=[], notes="Fine", best_practice="",
                            now=clock.now())
    db.session.rollback()
    [line] = annual_reviews.cost_lines(review, clock.now())
    assert line.placement.id == setup.placement.id
    with pytest.raises(DomainError) as error:
        annual_reviews.record_cost_check(setup.manager, review, setup.placement.id, outcome="renegotiate", note="",
                                         now=clock.now())
    assert list(error.value.errors) == ["note"]
    with pytest.raises(NotFound):
        annual_reviews.record_cost_check(setup.manager, review, 987654, outcome="confirmed", note="",
                                         now=clock.now())
    annual_reviews.record_cost_check(setup.manager, review, setup.placement.id, outcome="confirmed", note="",
                                     now=clock.now())
    with pytest.raises(DomainError) as error:
        annual_reviews.rate(setup.manager, review, rating="brilliant", risk_factors=["nonsense"], notes="",
                            best_practice="", now=clock.now())
    assert set(error.value.errors) == {"rating", "risk_factors", "notes"}
    annual_reviews.rate(setup.manager, review, rating="good", risk_factors=["workforce", "ofsted"],
                        notes="Strong", best_practice="Peer mentoring", now=clock.now())
    assert review.status == RATED and review.risk_factors == "ofsted,workforce"


def test_the_provider_comments_and_the_rating_is_moderated_before_the_plan_is_issued(world, clock):
    setup = annual_world(world, clock)
    review = rated(world, clock, setup, rating="requires_improvement")
    with pytest.raises(NotFound):
        annual_reviews.comment(world.provider_b, review, "Unfair", clock.now())
    annual_reviews.comment(world.provider_a, review, "Turnover has fallen since March", clock.now())
    annual_reviews.rate(setup.manager, review, rating="satisfactory", risk_factors=["workforce"],
                        notes="Moderated after the provider's comment", best_practice="", now=clock.now())
    assert review.rating == "satisfactory" and review.provider_comment.startswith("Turnover")
    events = db.session.scalars(db.select(AuditEvent.action).where(AuditEvent.entity_id == review.id,
                                                                   AuditEvent.entity_type == "annual_review"))
    assert "annual_review.commented" in list(events)


def test_a_rating_below_satisfactory_needs_an_action_and_the_plan_is_issued_once(world, clock):
    setup = annual_world(world, clock)
    review = rated(world, clock, setup, rating="causing_concern")
    with pytest.raises(DomainError, match="at least one action"):
        annual_reviews.issue(setup.manager, review, clock.now())
    with pytest.raises(DomainError) as error:
        annual_reviews.add_action(setup.manager, review, text="", owner="", due_on=_today(clock), now=clock.now())
    assert set(error.value.errors) == {"text", "owner", "due_on"}
    action = annual_reviews.add_action(setup.manager, review, text="Recruit two night staff",
                                       owner="Registered manager", due_on=_today(clock) + timedelta(days=30),
                                       now=clock.now())
    with pytest.raises(InvalidTransition, match="once the action plan is issued"):
        annual_reviews.complete_action(world.provider_a, review, action.id, note="Done", now=clock.now())
    annual_reviews.issue(setup.manager, review, clock.now(), version=review.version)
    assert review.status == ISSUED and review.issued_at == clock.now()
    with pytest.raises(InvalidTransition):
        annual_reviews.issue(setup.manager, review, clock.now())
    with pytest.raises(InvalidTransition):
        annual_reviews.comment(world.provider_a, review, "Late", clock.now())


def test_overdue_actions_are_on_the_contract_managers_tasks_until_done(world, clock):
    setup = annual_world(world, clock)
    review = rated(world, clock, setup, rating="requires_improvement")
    action = annual_reviews.add_action(setup.manager, review, text="Update the safeguarding policy",
                                       owner="Registered manager", due_on=_today(clock) + timedelta(days=10),
                                       now=clock.now())
    annual_reviews.issue(setup.manager, review, clock.now())
    assert annual_reviews.tasks_for(setup.manager, clock.now()) == []
    clock.set(clock.now() + timedelta(days=12))
    [task] = annual_reviews.tasks_for(setup.manager, clock.now())
    assert task.due.what == "Action of the annual review plan" and task.due.overdue
    with pytest.raises(DomainError, match="contract manager"):
        annual_reviews.complete_action(world.member_officer, review, action.id, note="Done", now=clock.now())
    annual_reviews.complete_action(world.provider_a, review, action.id, note="Policy updated and sent",
                                   now=clock.now())
    assert action.is_done and annual_reviews.tasks_for(setup.manager, clock.now()) == []
    with pytest.raises(InvalidTransition, match="already done"):
        annual_reviews.complete_action(setup.manager, review, action.id, note="Again", now=clock.now())


def test_an_open_reviews_step_is_on_the_dashboard_and_overdue_answers_on_tasks(world, clock):
    setup = annual_world(world, clock)
    review = sent(world, clock, setup)
    [due] = annual_reviews.dues([setup.contract.id], clock.now())
    assert due.what == "Annual review: the provider's answers" and not due.overdue
    clock.set(clock.now() + timedelta(days=25))
    [task] = annual_reviews.tasks_for(setup.manager, clock.now())
    assert task.due.overdue and str(review.id) in task.due.link


# The model's moves -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("start, to, allowed", [
    (SENT, SUBMITTED, True), (SUBMITTED, RETURNED, True), (SUBMITTED, MODERATED, True), (RETURNED, SUBMITTED, True),
    (MODERATED, RATED, True), (RATED, RATED, True), (RATED, ISSUED, True),
    (SENT, MODERATED, False), (SENT, ISSUED, False), (RETURNED, MODERATED, False), (MODERATED, ISSUED, False),
    (ISSUED, RATED, False), (ISSUED, SENT, False), (SUBMITTED, RATED, False),
])
def test_moves_allowed_and_refused(start, to, allowed):
    review = AnnualReview(status=start)
    if allowed:
        review.move(to)
        assert review.status == to
    else:
        with pytest.raises(InvalidTransition):
            review.move(to)
        assert review.status == start


def test_answers_are_made_for_every_question_of_the_version(world, clock):
    setup = annual_world(world, clock)
    review = sent(world, clock, setup)
    assert db.session.scalar(db.select(db.func.count(ReviewAnswer.id)).where(ReviewAnswer.review_id == review.id)) \
        == 2


def test_a_second_submit_changes_nothing(world, clock):
    setup = annual_world(world, clock)
    review = rated(world, clock, setup, rating="requires_improvement")
    with pytest.raises(DomainError, match="already been given"):
        annual_reviews.rate(setup.manager, review, rating="requires_improvement", risk_factors=["workforce"],
                            notes="Staff turnover is high", best_practice="", now=clock.now())
    annual_reviews.comment(world.provider_a, review, "We disagree", clock.now())
    with pytest.raises(DomainError, match="already been sent"):
        annual_reviews.comment(world.provider_a, review, "We disagree", clock.now())
    due = _today(clock) + timedelta(days=30)
    action = annual_reviews.add_action(setup.manager, review, text="Recruit", owner="Manager", due_on=due,
                                       now=clock.now())
    with pytest.raises(DomainError, match="already in the plan"):
        annual_reviews.add_action(setup.manager, review, text="Recruit", owner="Manager", due_on=due, now=clock.now())
    db.session.rollback()
    annual_reviews.remove_action(setup.manager, review, action.id, clock.now())
    with pytest.raises(DomainError, match="already been removed"):
        annual_reviews.remove_action(setup.manager, review, action.id, clock.now())
    assert review.actions == []


def test_a_provider_causing_concern_is_told_to_the_heads_of_service(world, clock):
    from tests.factories import lead_deciders

    heads = lead_deciders(world, clock)
    setup = annual_world(world, clock)
    review = rated(world, clock, setup, rating="causing_concern")
    annual_reviews.add_action(setup.manager, review, text="Safeguarding audit", owner="Responsible individual",
                              due_on=_today(clock) + timedelta(days=14), now=clock.now())
    annual_reviews.issue(setup.manager, review, clock.now())
    told = set(db.session.scalars(db.select(Notification.user_id).where(
        Notification.subject == "Alpha Care is causing concern on T-DPS")))
    # the lead's heads of service and the member's (who placed the child)
    assert told == {heads.head_of_service.id, heads.second_head.id, world.deciders.head_of_service.id}


def test_the_contract_pages_summaries(world, clock):
    setup = annual_world(world, clock)
    assert annual_reviews.summary_for(setup.contract, setup.manager, clock.now()).may_send
    assert not annual_reviews.summary_for(setup.contract, world.member_officer, clock.now()).may_send
    review = rated(world, clock, setup, rating="good")
    summary = annual_reviews.summary_for(setup.contract, setup.manager, clock.now())
    assert summary.current == review and summary.last is None and not summary.may_send
    annual_reviews.issue(setup.manager, review, clock.now())
    own = annual_reviews.own_summary(setup.contract, world.provider_a, clock.now())
    assert own.last == review and own.current is None and not own.may_send


def test_a_lead_contract_manager_covers_and_a_members_other_one_does_not(world, clock):
    """The allocated contract manager runs the review; another contract manager at the lead covers (leave, an
    unallocated contract); a member's contract manager the provider is not allocated to reads but does not act."""
    from tests.factories import contract_manager

    setup = annual_world(world, clock)
    member_manager = contract_manager(world, clock, at=world.member, name="Mia Member",
                                      email="contracts@member.example.org")
    with pytest.raises(DomainError, match="contract manager"):
        annual_reviews.send(member_manager, setup.contract, due_on=_today(clock) + timedelta(days=7),
                            documents="", now=clock.now())
    cover = contract_manager(world, clock, name="Colin Cover", email="cover@lead.example.org")
    review = annual_reviews.send(cover, setup.contract, due_on=_today(clock) + timedelta(days=7), documents="",
                                 now=clock.now())
    assert review.contract_id == setup.contract.id
