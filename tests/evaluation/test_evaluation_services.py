"""The evaluation services, called directly with the frozen clock: allocation and conflicts, who sees
whose scores, scoring, the gates to moderation, decide(), the decision clock, publication and tiers."""

import json
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from portal.errors import DomainError, NotFound
from portal.extensions import db
from portal.models import (
    Allocation,
    Application,
    AuditEvent,
    ConflictOfInterest,
    GateResult,
    LotMembership,
    LotOutcome,
    ModeratedScore,
    Notification,
    Organisation,
    Score,
    TierAward,
)
from portal.models.evaluation import ADMITTED, ADMITTED_WITH_CAUTION, NOT_ADMITTED, SATISFACTORY, UNSATISFACTORY
from portal.services import applications, dps_setup, evaluations, outcomes, windows
from tests.evaluation.helpers import (
    after_close,
    allocate_and_score,
    apply,
    marks_for,
    ready_to_moderate,
    record_findings,
)
from tests.factories import build_dps, evaluate, provider_user, second_evaluator


@pytest.fixture
def second(world, clock):
    return second_evaluator(world, clock)


@pytest.fixture
def alpha(world, clock):
    return apply(world.provider_a, world.window, clock)


def provider_of(user) -> Organisation:
    return db.session.get(Organisation, user.organisation_id)


def outcome_of(application) -> tuple[str, str]:
    """The outcome and reasons, the same on every lot of the application."""
    rows = db.session.scalars(db.select(LotOutcome).where(LotOutcome.application_id == application.id)).all()
    assert len(rows) == len(application.lots)
    assert len({(row.outcome, row.reasons, row.quality_percent) for row in rows}) == 1
    return rows[0].outcome, rows[0].reasons


# Allocation and conflicts of interest ------------------------------------------------------------

def test_allocation_needs_at_least_two_evaluators(world, clock, alpha):
    with pytest.raises(DomainError, match="Allocate at least 2 evaluators to each application"):
        evaluations.allocate(world.admin, alpha, [world.evaluator.id], clock.now())
    db.session.rollback()
    assert db.session.scalar(db.select(db.func.count(Allocation.id))) == 0

    evaluations.allocate(world.admin, alpha, [world.admin.id, world.evaluator.id], clock.now())
    assert {a.evaluator_id for a in alpha.allocations} == {world.admin.id, world.evaluator.id}
    told = db.session.scalars(db.select(Notification).where(Notification.user_id == world.evaluator.id)).all()
    assert [n.subject for n in told] == ["Application to evaluate: Alpha Care"]


def test_only_the_leads_administrator_allocates(world, clock, alpha, second):
    with pytest.raises(NotFound):
        evaluations.allocate(world.evaluator, alpha, [world.evaluator.id, second.id], clock.now())
    with pytest.raises(NotFound):
        evaluations.allocate(world.outside_admin, alpha, [world.evaluator.id, second.id], clock.now())
    with pytest.raises(DomainError, match="Choose evaluators of the lead authority"):
        evaluations.allocate(world.admin, alpha, [world.evaluator.id, world.outside_admin.id], clock.now())


def test_a_conflicted_evaluator_cannot_be_allocated(world, clock, alpha, second):
    evaluations.declare_conflict(world.evaluator, provider_of(world.provider_a), "I used to work there", clock.now())
    with pytest.raises(DomainError) as refused:
        evaluations.allocate(world.admin, alpha, [second.id, world.evaluator.id], clock.now())
    assert refused.value.message == ("Eve Evaluator has declared a conflict of interest with Alpha Care, so cannot "
                                     "evaluate this application")
    db.session.rollback()
    assert alpha.allocations == []
    # The others can be.
    evaluations.allocate(world.admin, alpha, [second.id, world.admin.id], clock.now())
    assert len(alpha.allocations) == 2


def test_declaring_a_conflict_withdraws_unsubmitted_allocations_only(world, clock, alpha, second):
    beta = apply(world.provider_b, world.window, clock)
    allocate_and_score(alpha, world.admin, [world.admin, world.evaluator, second], clock, submit=False)
    evaluations.allocate(world.admin, beta, [world.admin.id, world.evaluator.id], clock.now())
    evaluations.submit_scores(world.admin, alpha, clock.now())

    evaluations.declare_conflict(world.evaluator, provider_of(world.provider_a), "A relative works there",
                                 clock.now())
    evaluations.declare_conflict(world.admin, provider_of(world.provider_a), "Declared late", clock.now())

    # Eve's draft on Alpha is withdrawn with its scores; Ada's submitted scores stay on record; Beta is untouched.
    assert {a.evaluator_id for a in alpha.allocations} == {world.admin.id, second.id}
    assert {a.evaluator_id for a in beta.allocations} == {world.admin.id, world.evaluator.id}
    assert db.session.scalar(db.select(db.func.count(Score.id)).join(Allocation).where(
        Allocation.evaluator_id == world.evaluator.id)) == 0
    event = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "evaluation.conflict_declared")
                               .order_by(AuditEvent.id)).first()
    assert json.loads(event.after)["allocations_withdrawn"] == 1
    assert evaluations.is_conflicted(world.evaluator, world.provider_a.organisation_id)
    assert not evaluations.is_conflicted(world.evaluator, world.provider_b.organisation_id)
    with pytest.raises(DomainError, match="already declared a conflict of interest with Alpha Care"):
        evaluations.declare_conflict(world.evaluator, provider_of(world.provider_a), "Again", clock.now())
    # A conflicted evaluator can record nothing on the application either.
    with pytest.raises(DomainError, match="You cannot evaluate this application"):
        evaluations.ask_clarification(world.evaluator, alpha, "Anything?", clock.now())


def test_only_evaluators_declare_conflicts(world, clock):
    with pytest.raises(DomainError, match="Only evaluators declare conflicts of interest"):
        evaluations.declare_conflict(world.lead_officer, provider_of(world.provider_a), "", clock.now())


# Scoring -----------------------------------------------------------------------------------------

def test_evaluators_see_others_scores_only_after_submitting_their_own(world, clock, alpha, second):
    allocate_and_score(alpha, world.admin, [world.admin, world.evaluator], clock, submit=False)
    mine = evaluations.own_allocation(world.evaluator, alpha)
    assert evaluations.scores_visible_to(world.evaluator, alpha) == [mine]
    evaluations.submit_scores(world.admin, alpha, clock.now())
    # Ada has submitted: she sees her own, never Eve's draft; Eve still sees only her own.
    assert evaluations.scores_visible_to(world.admin, alpha) == [evaluations.own_allocation(world.admin, alpha)]
    assert evaluations.scores_visible_to(world.evaluator, alpha) == [mine]
    # An evaluator not allocated sees nothing until moderation opens.
    assert evaluations.scores_visible_to(second, alpha) == []

    evaluations.submit_scores(world.evaluator, alpha, clock.now())
    assert {a.evaluator_id for a in evaluations.scores_visible_to(world.evaluator, alpha)} == {
        world.admin.id, world.evaluator.id}
    assert len(evaluations.scores_visible_to(second, alpha)) == 2  # moderation is open


def test_a_submitted_evaluator_sees_the_submitted_scores_and_never_a_colleagues_draft(world, clock, alpha, second):
    allocate_and_score(alpha, world.admin, [world.admin, world.evaluator, second], clock, submit=False)
    evaluations.submit_scores(world.admin, alpha, clock.now())
    evaluations.submit_scores(world.evaluator, alpha, clock.now())
    ada, eve, sam = (evaluations.own_allocation(user, alpha) for user in (world.admin, world.evaluator, second))
    assert evaluations.scores_visible_to(world.evaluator, alpha) == [ada, eve]
    assert evaluations.scores_visible_to(world.admin, alpha) == [ada, eve]
    assert evaluations.scores_visible_to(second, alpha) == [sam]  # still drafting: only their own
    evaluations.submit_scores(second, alpha, clock.now())
    assert evaluations.scores_visible_to(world.evaluator, alpha) == [ada, eve, sam]


def test_a_conflicted_evaluator_cannot_read_the_application_or_its_documents(world, clock, alpha):
    document = alpha.documents[0]
    evaluations.declare_conflict(world.evaluator, provider_of(world.provider_a), "My brother works there",
                                 clock.now())
    with pytest.raises(NotFound):
        evaluations.application_for_lead(world.evaluator, alpha.id)
    assert not applications.can_view(world.evaluator, alpha)
    with pytest.raises(NotFound):
        applications.get_document_for(world.evaluator, document.id)
    with pytest.raises(NotFound):
        applications.get_for(world.evaluator, alpha.id)
    # Colleagues without a conflict still can, and so can the provider.
    assert evaluations.application_for_lead(world.admin, alpha.id) is alpha
    assert applications.get_document_for(world.admin, document.id) is document
    assert applications.can_view(world.provider_a, alpha)


def test_save_scores_keeps_valid_marks_and_reports_each_bad_one(world, clock, alpha):
    evaluations.allocate(world.admin, alpha, [world.admin.id, world.evaluator.id], clock.now())
    q1, q2, q3 = alpha.window.question_set.questions
    errors = evaluations.save_scores(world.evaluator, alpha, {
        q1.id: (6, "Excellent"), q2.id: (3, "Sound plan"), q3.id: (1, "  ")}, clock.now())
    assert errors == {q1.id: "The score for question 1 must be between 0 and 5",
                      q3.id: "Give the reason for your score for question 3"}
    mine = evaluations.own_allocation(world.evaluator, alpha)
    assert [(s.question_id, s.score, s.reason) for s in mine.scores] == [(q2.id, 3, "Sound plan")]

    errors = evaluations.save_scores(world.evaluator, alpha, {
        q1.id: (-1, "Nothing"), q2.id: (None, "A reason without a score"), q3.id: (2, "Pass?")}, clock.now())
    assert errors == {q1.id: "The score for question 1 must be between 0 and 5",
                      q2.id: "Give a score for question 2",
                      q3.id: "The score for question 3 must be between 0 and 1"}
    # A question left blank is skipped, not an error; the earlier mark is untouched.
    assert evaluations.save_scores(world.evaluator, alpha, {q2.id: (None, "")}, clock.now()) == {}
    assert [(s.score, s.reason) for s in evaluations.own_allocation(world.evaluator, alpha).scores] == [
        (3, "Sound plan")]
    # Changing a mark updates it.
    assert evaluations.save_scores(world.evaluator, alpha, {q2.id: (4, " Better on reflection ")}, clock.now()) == {}
    assert [(s.score, s.reason) for s in evaluations.own_allocation(world.evaluator, alpha).scores] == [
        (4, "Better on reflection")]


def test_save_scores_needs_an_allocation(world, clock, alpha, second):
    evaluations.allocate(world.admin, alpha, [world.admin.id, world.evaluator.id], clock.now())
    with pytest.raises(DomainError, match="has not been allocated to you"):
        evaluations.save_scores(second, alpha, marks_for(alpha), clock.now())


def test_submit_scores_refuses_until_every_question_is_scored(world, clock, alpha):
    evaluations.allocate(world.admin, alpha, [world.admin.id, world.evaluator.id], clock.now())
    q1, q2, q3 = alpha.window.question_set.questions
    evaluations.save_scores(world.evaluator, alpha, {q2.id: (3, "Sound plan")}, clock.now())
    with pytest.raises(DomainError) as refused:
        evaluations.submit_scores(world.evaluator, alpha, clock.now())
    assert refused.value.message == "Score every question before submitting: question 1, 3 still to do"
    assert evaluations.own_allocation(world.evaluator, alpha).submitted_at is None

    evaluations.save_scores(world.evaluator, alpha, marks_for(alpha), clock.now())
    evaluations.submit_scores(world.evaluator, alpha, clock.now())
    assert evaluations.own_allocation(world.evaluator, alpha).submitted_at == clock.now()
    with pytest.raises(DomainError, match="they can no longer change"):
        evaluations.save_scores(world.evaluator, alpha, marks_for(alpha, {1: 1}), clock.now())


# Moderation --------------------------------------------------------------------------------------

def assert_not_moderated(application):
    db.session.rollback()
    assert application.moderated_at is None
    assert db.session.scalar(db.select(db.func.count(ModeratedScore.id))) == 0
    assert db.session.scalar(db.select(db.func.count(LotOutcome.id))) == 0


def test_moderation_waits_for_every_allocated_evaluator(world, clock, alpha, second):
    allocate_and_score(alpha, world.admin, [world.admin, world.evaluator, second], clock, submit=False)
    record_findings(alpha, world.admin, clock)
    evaluations.submit_scores(world.admin, alpha, clock.now())
    evaluations.submit_scores(world.evaluator, alpha, clock.now())
    assert not evaluations.moderation_open(alpha)
    with pytest.raises(DomainError, match="Moderation opens when at least 2 evaluators have submitted"):
        evaluations.moderate(world.admin, alpha, marks_for(alpha), clock.now())
    assert_not_moderated(alpha)

    evaluations.submit_scores(second, alpha, clock.now())
    assert evaluations.moderation_open(alpha)
    assert evaluations.moderate(world.admin, alpha, marks_for(alpha), clock.now()) == {}
    assert alpha.moderated_at == clock.now()


def test_moderation_waits_for_every_gate(world, clock, alpha):
    marks = ready_to_moderate(alpha, world.admin, [world.admin, world.evaluator], clock, gates=False)
    evaluations.record_gate(world.admin, alpha, "ofsted", True, "Good, 2025", clock.now())
    with pytest.raises(DomainError) as refused:
        evaluations.moderate(world.admin, alpha, marks, clock.now())
    assert refused.value.message == ("Record every pass/fail gate before moderating: Required documents present, "
                                     "Insurance in date")
    assert_not_moderated(alpha)


def test_moderation_waits_for_every_reference(world, clock, alpha):
    marks = ready_to_moderate(alpha, world.admin, [world.admin, world.evaluator], clock,
                              references=[SATISFACTORY, None])
    with pytest.raises(DomainError) as refused:
        evaluations.moderate(world.admin, alpha, marks, clock.now())
    assert refused.value.message == "Record the outcome of every reference before moderating: Referee Council 2"
    assert_not_moderated(alpha)


def test_moderation_waits_while_a_clarification_is_open(world, clock, alpha):
    marks = ready_to_moderate(alpha, world.admin, [world.admin, world.evaluator], clock)
    clarification = evaluations.ask_clarification(world.evaluator, alpha, "Which homes are registered?",
                                                  clock.now())
    with pytest.raises(DomainError, match="A clarification question to the provider is still open"):
        evaluations.moderate(world.admin, alpha, marks, clock.now())
    assert_not_moderated(alpha)

    evaluations.answer_clarification(world.colleague_a, alpha, clarification.id, "All four of them", clock.now())
    assert evaluations.moderate(world.admin, alpha, marks, clock.now()) == {}


def test_moderation_marks_are_checked_and_nothing_is_saved_on_error(world, clock, alpha):
    marks = ready_to_moderate(alpha, world.admin, [world.admin, world.evaluator], clock)
    q1, q2, q3 = alpha.window.question_set.questions
    errors = evaluations.moderate(world.admin, alpha, {q1.id: (7, "Too high"), q2.id: marks[q2.id]}, clock.now())
    assert errors == {q1.id: "The score for question 1 must be between 0 and 5",
                      q3.id: "Give a score for question 3"}
    assert_not_moderated(alpha)


# decide(): admission on quality alone ------------------------------------------------------------

@pytest.mark.parametrize(("scores", "findings", "expected", "reasons"), [
    ({1: 4, 2: 4}, {}, ADMITTED, ""),
    ({1: 4, 2: 4}, {"references": [SATISFACTORY, UNSATISFACTORY]}, ADMITTED_WITH_CAUTION,
     "A reference was unsatisfactory: placed on the caution list until updated evidence is received"),
    ({1: 4, 2: 4}, {"failing_gates": ["insurance"]}, NOT_ADMITTED,
     "Failed the gate: Insurance in date (Cover ends 2 November 2027)"),
    ({1: 4, 2: 4, 3: 0}, {}, NOT_ADMITTED, "Question 3 was not passed"),
    ({1: 5, 2: 1}, {}, NOT_ADMITTED, "Question 2 scored 1, below the minimum of 2"),
    ({1: 2, 2: 2}, {}, NOT_ADMITTED, "The quality score of 40.0% is below the 50% needed"),
    # Every failing reason is given; a failure outweighs an unsatisfactory reference.
    ({1: 1, 2: 4, 3: 0}, {"references": [UNSATISFACTORY]}, NOT_ADMITTED,
     "Question 1 scored 1, below the minimum of 2\nQuestion 3 was not passed\n"
     "The quality score of 40.0% is below the 50% needed"),
])
def test_decide(world, clock, alpha, scores, findings, expected, reasons):
    marks = ready_to_moderate(alpha, world.admin, [world.admin, world.evaluator], clock, scores, **findings)
    assert evaluations.moderate(world.admin, alpha, marks, clock.now()) == {}
    assert outcome_of(alpha) == (expected, reasons)


def test_quality_exactly_at_the_threshold_is_admitted(world, clock, alpha):
    """3 and 3 out of 5 is 60%; with a threshold of 60% that is enough (at or above)."""
    marks = ready_to_moderate(alpha, world.admin, [world.admin, world.evaluator], clock, {1: 3, 2: 3})
    agreed = {question_id: score for question_id, (score, _reason) in marks.items()}
    alpha.window.question_set.quality_threshold_percent = 60  # not committed: rolled back below
    assert evaluations.decide(alpha, agreed) == (ADMITTED, [])
    alpha.window.question_set.quality_threshold_percent = 61
    assert evaluations.decide(alpha, agreed) == (
        NOT_ADMITTED, ["The quality score of 60.0% is below the 61% needed"])
    db.session.rollback()


def test_cost_plays_no_part_in_admission(world, clock):
    cheap = apply(world.provider_a, world.window, clock, price="400.00")
    dear = apply(world.provider_b, world.window, clock, price="9000.00")
    for application in (cheap, dear):
        marks = ready_to_moderate(application, world.admin, [world.admin, world.evaluator], clock, {1: 3, 2: 3})
        assert evaluations.moderate(world.admin, application, marks, clock.now()) == {}
    assert outcome_of(cheap) == outcome_of(dear) == (ADMITTED, "")
    assert {o.quality_percent for o in cheap.outcomes + dear.outcomes} == {Decimal(60)}


# The decision clock ------------------------------------------------------------------------------

def test_decision_clock_counts_working_days_and_pauses_for_clarifications(world, clock, alpha):
    # The window closes on Christmas Eve 2026, a Thursday: then Christmas Day, a weekend, and the
    # Boxing Day substitute holiday on Monday 28 December.
    windows.extend(world.admin, world.window, closes_at=datetime(2026, 12, 24, 10, 0), reason="Christmas",
                   now=clock.now())
    assert evaluations.decision_clock(alpha, clock.now()) is None  # the window is still open

    def at(*when):
        clock.set(datetime(*when))
        found = evaluations.decision_clock(alpha, clock.now())
        return found.elapsed, found.state, found.paused

    assert at(2026, 12, 24, 15, 0) == (0, "on time", False)
    assert at(2026, 12, 28, 17, 0) == (0, "on time", False)
    assert at(2026, 12, 29, 9, 0) == (1, "on time", False)
    assert at(2027, 1, 5, 9, 0) == (5, "on time", False)  # 29, 30, 31 Dec; 1 Jan is a holiday; 4, 5 Jan
    assert at(2027, 1, 7, 9, 0) == (7, "on time", False)
    assert at(2027, 1, 8, 9, 0) == (8, "due soon", False)
    assert at(2027, 1, 12, 9, 0) == (10, "due soon", False)
    assert at(2027, 1, 13, 9, 0) == (11, "overdue", False)
    assert evaluations.decision_clock(alpha, clock.now()).deadline == world.dps.decision_working_days == 10

    # Asked on Tuesday 29 December: the clock stops, from that day, until the provider answers.
    clock.set(datetime(2026, 12, 29, 12, 0))
    clarification = evaluations.ask_clarification(world.evaluator, alpha, "Who is your registered manager?",
                                                  clock.now())
    assert at(2026, 12, 29, 13, 0) == (0, "on time", True)
    assert at(2027, 1, 13, 9, 0) == (0, "on time", True)
    # Answered on Wednesday 13 January: the question was open for part of that day, so it does not count
    # either; every working day after it does.
    clock.set(datetime(2027, 1, 13, 11, 0))
    evaluations.answer_clarification(world.provider_a, alpha, clarification.id, "Pat Jones", clock.now())
    assert at(2027, 1, 13, 12, 0) == (0, "on time", False)
    assert at(2027, 1, 22, 12, 0) == (7, "on time", False)  # 14, 15, 18 to 22 January
    assert at(2027, 1, 27, 12, 0) == (10, "due soon", False)
    assert at(2027, 1, 28, 12, 0) == (11, "overdue", False)


def test_decision_clock_stops_once_moderated(world, clock, alpha):
    after_close(world, clock, days=3)
    assert evaluations.decision_clock(alpha, clock.now()).elapsed == 3  # Tuesday to Thursday
    marks = ready_to_moderate(alpha, world.admin, [world.admin, world.evaluator], clock)
    evaluations.moderate(world.admin, alpha, marks, clock.now())
    assert evaluations.decision_clock(alpha, clock.now()) is None


# Publication -------------------------------------------------------------------------------------

def test_publish_refuses_while_the_window_is_open(world, clock, alpha):
    evaluate(alpha, [world.admin, world.evaluator], clock)
    with pytest.raises(DomainError) as refused:
        outcomes.publish(world.admin, world.window, clock.now())
    assert refused.value.message == "Window 1 is still open: publish its outcomes after it closes"
    db.session.rollback()
    assert world.window.outcomes_published_at is None


def test_publish_refuses_while_an_application_is_unmoderated(world, clock, alpha):
    beta = apply(world.provider_b, world.window, clock)
    after_close(world, clock)
    evaluate(alpha, [world.admin, world.evaluator], clock)
    allocate_and_score(beta, world.admin, [world.admin, world.evaluator], clock)
    with pytest.raises(DomainError) as refused:
        outcomes.publish(world.admin, world.window, clock.now())
    assert refused.value.message == "Moderate every application before publishing. Still to moderate: Beta Homes"
    db.session.rollback()
    assert world.window.outcomes_published_at is None
    assert db.session.scalar(db.select(db.func.count(LotMembership.id))) == 0
    assert db.session.scalar(db.select(db.func.count(TierAward.id))) == 0


def test_publish_refuses_an_empty_window_another_authority_and_a_second_time(world, clock, alpha):
    after_close(world, clock)
    with pytest.raises(DomainError, match="Only the lead authority publishes outcomes"):
        outcomes.publish(world.outside_admin, world.window, clock.now())
    evaluate(alpha, [world.admin, world.evaluator], clock)
    outcomes.publish(world.admin, world.window, clock.now())
    with pytest.raises(DomainError, match="The outcomes of this window have already been published"):
        outcomes.publish(world.admin, world.window, clock.now())

    other = build_dps(world.admin, clock, reference="EMPTY")
    empty = windows.schedule_window(other, opens_at=clock.now() - timedelta(days=2),
                                    closes_at=clock.now() + timedelta(hours=1), now=clock.now(), actor=world.admin)
    db.session.commit()
    clock.advance(hours=2)
    with pytest.raises(DomainError, match="No application was submitted in this window"):
        outcomes.publish(world.admin, empty, clock.now())


def test_publish_admits_tiers_and_notifies(world, clock, alpha):
    beta = apply(world.provider_b, world.window, clock, price="1000.00")
    gamma_user = provider_user("Gamma Lodge", "gamma@provider.example.org", clock, urn="SC777777")
    gamma = apply(gamma_user, world.window, clock)
    after_close(world, clock)
    evaluate(alpha, [world.admin, world.evaluator], clock, scores={1: 5, 2: 5})
    evaluate(beta, [world.admin, world.evaluator], clock, scores={1: 3, 2: 3}, reference=UNSATISFACTORY)
    evaluate(gamma, [world.admin, world.evaluator], clock, scores={1: 2, 2: 2})
    assert {provider_of(u).provider_status for u in (world.provider_a, world.provider_b, gamma_user)} == {
        "applicant"}
    assert not db.session.scalars(db.select(Notification).where(Notification.subject.like("%outcome%"))).all()

    outcomes.publish(world.admin, world.window, clock.now())

    assert world.window.outcomes_published_at == clock.now()
    assert world.window.outcomes_published_by_id == world.admin.id
    memberships = db.session.scalars(db.select(LotMembership).order_by(LotMembership.provider_id,
                                                                       LotMembership.lot_id)).all()
    lots = [world.lots[0].id, world.lots[1].id]
    assert [(m.provider_id, m.lot_id, m.status, m.window_id) for m in memberships] == [
        (world.provider_a.organisation_id, lots[0], "admitted", world.window.id),
        (world.provider_a.organisation_id, lots[1], "admitted", world.window.id),
        (world.provider_b.organisation_id, lots[0], "place_with_caution", world.window.id),
        (world.provider_b.organisation_id, lots[1], "place_with_caution", world.window.id),
    ]
    assert provider_of(world.provider_a).provider_status == "admitted"
    assert provider_of(world.provider_b).provider_status == "place_with_caution"
    assert provider_of(gamma_user).provider_status == "applicant"

    for lot in world.lots[:2]:
        table = outcomes.tier_table(lot.categories[0])
        assert [(award.provider.name, award.rank, award.tier, award.window_id, award.current) for award in table] == [
            ("Alpha Care", 1, 1, world.window.id, True), ("Beta Homes", 2, 2, world.window.id, True)]
        alpha_line = table[0]
        assert (alpha_line.quality_weight, alpha_line.cost_weight) == (60, 40)
        assert alpha_line.quality_percent == Decimal(100)
        assert alpha_line.weekly_price == Decimal("1250.00") and alpha_line.lowest_price == Decimal("1000.00")
        assert alpha_line.total == Decimal(92)  # 60 + 40 x 1000 / 1250
    assert outcomes.tier_table(world.lots[2].categories[0]) == []
    assert {lot_id: [line.tier for line in lines.values()]
            for lot_id, lines in outcomes.own_tier_lines(beta).items()} == {lots[0]: [2], lots[1]: [2]}
    assert outcomes.own_tier_lines(gamma) == {}
    assert {place.tier for m in memberships for place in m.categories} == {1, 2}

    told = db.session.scalars(db.select(Notification).where(
        Notification.subject == "Test arrangement T-DPS: the outcome of your application")).all()
    assert sorted(n.user_id for n in told) == sorted(
        [world.provider_a.id, world.colleague_a.id, world.provider_b.id, gamma_user.id])
    assert {n.link for n in told if n.user_id == world.colleague_a.id} == {f"/provider/applications/{alpha.id}/outcome"}


def test_a_later_windows_publication_retiers_the_lot(world, clock, alpha):
    beta = apply(world.provider_b, world.window, clock, price="1000.00")
    after_close(world, clock)
    evaluate(alpha, [world.admin, world.evaluator], clock, scores={1: 5, 2: 5})
    evaluate(beta, [world.admin, world.evaluator], clock, scores={1: 3, 2: 3})
    outcomes.publish(world.admin, world.window, clock.now())
    lot = world.lots[0]
    first = {award.id for award in outcomes.tier_table(lot.categories[0])}
    assert len(first) == 2

    later = windows.next_window(world.dps, clock.now()) or windows.schedule_window(
        world.dps, opens_at=clock.now() + timedelta(days=1), closes_at=clock.now() + timedelta(days=20),
        now=clock.now(), actor=world.admin)
    db.session.commit()
    clock.set(later.opens_at + timedelta(hours=1))
    gamma_user = provider_user("Gamma Lodge", "gamma@provider.example.org", clock, urn="SC777777")
    gamma = apply(gamma_user, later, clock, price="900.00", lots=[lot])
    clock.set(later.closes_at + timedelta(days=1))
    evaluate(gamma, [world.admin, world.evaluator], clock, scores={1: 5, 2: 5})
    outcomes.publish(world.admin, later, clock.now())

    superseded = db.session.scalars(db.select(TierAward).where(TierAward.id.in_(first))).all()
    assert [award.current for award in superseded] == [False, False]
    table = outcomes.tier_table(lot.categories[0])
    assert [(award.provider.name, award.rank, award.window_id) for award in table] == [
        ("Gamma Lodge", 1, later.id), ("Alpha Care", 2, later.id), ("Beta Homes", 3, later.id)]
    assert not {award.id for award in table} & first
    # The lot Gamma did not apply to keeps its table from the first window.
    assert [award.window_id for award in outcomes.tier_table(world.lots[1].categories[0])] == [world.window.id] * 2


def test_the_weighting_decides_the_tier_order(world, clock):
    """The same providers, marks and prices: 60/40 puts quality first, 40/60 the lower price."""
    cheaper = build_dps(world.admin, clock, reference="COST-LED")
    dps_setup.set_weighting(world.admin, cheaper.current_question_set, quality_weight=40,
                            quality_threshold_percent=50, now=clock.now())
    db.session.commit()
    cost_window = windows.schedule_window(cheaper, opens_at=clock.now() - timedelta(hours=1),
                                          closes_at=world.window.closes_at, now=clock.now(), actor=world.admin)
    db.session.commit()
    applied = []
    for window in (world.window, cost_window):
        applied.append((window, apply(world.provider_a, window, clock, price="2000.00"),
                        apply(world.provider_b, window, clock, price="1000.00")))
    after_close(world, clock)
    for window, alpha, beta in applied:
        evaluate(alpha, [world.admin, world.evaluator], clock, scores={1: 5, 2: 5})  # 100%
        evaluate(beta, [world.admin, world.evaluator], clock, scores={1: 3, 2: 3})  # 60%
        outcomes.publish(world.admin, window, clock.now())

    quality_led = outcomes.tier_table(world.lots[0].categories[0])
    cost_led = outcomes.tier_table(cheaper.lots[0].categories[0])
    # 60/40: Alpha 60 + 20 = 80, Beta 36 + 40 = 76. 40/60: Alpha 40 + 30 = 70, Beta 24 + 60 = 84.
    assert [(a.provider.name, a.total) for a in quality_led] == [("Alpha Care", 80), ("Beta Homes", 76)]
    assert [(a.provider.name, a.total) for a in cost_led] == [("Beta Homes", 84), ("Alpha Care", 70)]
    assert {(a.quality_weight, a.cost_weight) for a in cost_led} == {(40, 60)}


def test_published_for_provider(world, clock, alpha):
    beta = apply(world.provider_b, world.window, clock)
    after_close(world, clock)
    evaluate(alpha, [world.admin, world.evaluator], clock)
    assert not outcomes.published_for_provider(world.provider_a, alpha)  # moderated, not yet published
    evaluate(beta, [world.admin, world.evaluator], clock)
    outcomes.publish(world.admin, world.window, clock.now())
    assert outcomes.published_for_provider(world.provider_a, alpha)
    assert outcomes.published_for_provider(world.colleague_a, alpha)
    assert not outcomes.published_for_provider(world.provider_b, alpha)
    assert outcomes.published_for_provider(world.provider_b, beta)
    assert not outcomes.published_for_provider(world.provider_a, beta)


def test_a_clarification_is_answered_only_through_its_own_application(world, clock):
    from tests.factories import complete_application

    alpha = complete_application(world.provider_a, world.window, clock, submit=True)
    question = evaluations.ask_clarification(world.admin, alpha, "How many staff?", clock.now())
    with pytest.raises(NotFound):
        evaluations.answer_clarification(world.provider_b, alpha, question.id, "Four", clock.now())
    assert question.is_open


def test_allocating_nobody_new_is_refused_once_two_are_allocated(world, clock):
    from tests.factories import complete_application, second_evaluator

    alpha = complete_application(world.provider_a, world.window, clock, submit=True)
    other = second_evaluator(world, clock)
    evaluations.allocate(world.admin, alpha, [world.admin.id, other.id], clock.now())
    with pytest.raises(DomainError, match="Choose at least one more evaluator"):
        evaluations.allocate(world.admin, alpha, [], clock.now())


# Two people at once ------------------------------------------------------------------------------

CHANGED_MEANWHILE = "Someone else changed this at the same moment. Check what is recorded now and try again."


def meanwhile(table, **values):
    """Another request's change, committed while this one was working on what it had read."""
    with db.engine.begin() as connection:
        if "id" in values:
            record_id = values.pop("id")
            connection.execute(sa.update(table).where(table.c.id == record_id).values(**values))
        else:
            connection.execute(sa.insert(table).values(**values))


def test_a_gate_recorded_by_two_evaluators_at_once_is_refused_for_the_second(world, clock, alpha):
    assert alpha.gates == []
    meanwhile(GateResult.__table__, application_id=alpha.id, gate="ofsted", passed=False, evidence="Theirs",
              recorded_by_id=world.evaluator.id, recorded_at=clock.now())
    with pytest.raises(DomainError) as refused:
        evaluations.record_gate(world.admin, alpha, "ofsted", True, "Mine", clock.now())
    assert refused.value.message == CHANGED_MEANWHILE
    db.session.expire_all()
    assert [(g.evidence, g.passed) for g in db.session.scalars(db.select(GateResult))] == [("Theirs", False)]
    assert db.session.scalar(db.select(db.func.count(AuditEvent.id)).where(
        AuditEvent.action == "evaluation.gate_recorded")) == 0


def test_moderating_an_application_another_moderator_changed_is_refused(world, clock, alpha):
    marks = ready_to_moderate(alpha, world.admin, [world.admin, world.evaluator], clock)
    # Everything this request reads, read before the other moderator's change lands.
    assert alpha.version and alpha.allocations and alpha.gates and alpha.referees and alpha.lots
    assert alpha.window.question_set.questions and alpha.clarifications == []
    meanwhile(Application.__table__, id=alpha.id, version=alpha.version + 1)
    with pytest.raises(DomainError) as refused:
        evaluations.moderate(world.admin, alpha, marks, clock.now())
    assert refused.value.message == CHANGED_MEANWHILE
    assert_not_moderated(alpha)


def test_allocating_an_evaluator_another_administrator_just_allocated_is_refused(world, clock, alpha):
    assert alpha.allocations == []
    meanwhile(Allocation.__table__, application_id=alpha.id, evaluator_id=world.evaluator.id,
              allocated_by_id=world.admin.id, allocated_at=clock.now())
    with pytest.raises(DomainError) as refused:
        evaluations.allocate(world.admin, alpha, [world.admin.id, world.evaluator.id], clock.now())
    assert refused.value.message == CHANGED_MEANWHILE
    db.session.expire_all()
    assert [a.evaluator_id for a in db.session.scalars(db.select(Allocation))] == [world.evaluator.id]
    assert db.session.scalars(db.select(Notification).where(
        Notification.subject == "Application to evaluate: Alpha Care")).all() == []


def test_declaring_a_conflict_twice_at_once_is_refused_the_second_time(world, clock, alpha, monkeypatch):
    provider = provider_of(world.provider_a)
    meanwhile(ConflictOfInterest.__table__, evaluator_id=world.evaluator.id, provider_id=provider.id,
              note="From the other tab", declared_at=clock.now())
    monkeypatch.setattr(evaluations, "is_conflicted", lambda user, provider_id: False)  # checked before it landed
    with pytest.raises(DomainError) as refused:
        evaluations.declare_conflict(world.evaluator, provider, "From this tab", clock.now())
    assert refused.value.message == CHANGED_MEANWHILE
    db.session.expire_all()
    assert [c.note for c in db.session.scalars(db.select(ConflictOfInterest))] == ["From the other tab"]
    assert db.session.scalar(db.select(db.func.count(AuditEvent.id)).where(
        AuditEvent.action == "evaluation.conflict_declared")) == 0
