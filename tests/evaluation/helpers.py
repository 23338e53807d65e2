"""Helpers for the evaluation tests: applications at a chosen price, and an evaluation taken step by
step (allocation, scoring, findings) so each rule can be met or broken on its own."""

from datetime import timedelta

from portal.models.evaluation import SATISFACTORY
from portal.services import applications, evaluations
from tests.factories import complete_application


def apply(user, window, clock, *, price="1250.00", lots=None):
    """A complete, submitted application with the same weekly price on each lot."""
    application = complete_application(user, window, clock, lots=lots)
    prices = {category.id: price for al in application.lots for category in al.lot.categories}
    applications.set_prices(user, application, prices, clock.now())
    applications.submit(user, application, clock.now())
    return application


def after_close(world, clock, days=1):
    clock.set(world.window.closes_at + timedelta(days=days))
    return clock.now()


def marks_for(application, scores=None, reason="Reason"):
    """Marks by question id; `scores` by question number (default 4 for scored questions, 1 for pass/fail)."""
    return {q.id: ((scores or {}).get(q.number, 1 if q.is_pass_fail else 4), f"{reason} for question {q.number}")
            for q in application.window.question_set.questions}


def allocate_and_score(application, admin, evaluators, clock, scores=None, *, submit=True):
    """Allocate to the evaluators; each scores the same marks, and submits them if asked."""
    now = clock.now()
    evaluations.allocate(admin, application, [user.id for user in evaluators], now)
    for evaluator in evaluators:
        assert evaluations.save_scores(evaluator, application, marks_for(application, scores), now) == {}
        if submit:
            evaluations.submit_scores(evaluator, application, now)


def record_findings(application, user, clock, *, failing_gates=(), references=(), gates=True):
    """Record every gate (those in failing_gates as failed) and every reference (`references` gives
    the outcome of the first referees in turn; the rest are satisfactory)."""
    now = clock.now()
    if gates:
        for gate, (_passed, evidence) in evaluations.suggested_gates(application).items():
            evaluations.record_gate(user, application, gate, gate not in failing_gates, evidence, now)
    outcomes = list(references)
    for referee in application.referees:
        outcome = outcomes.pop(0) if outcomes else SATISFACTORY
        if outcome is not None:
            evaluations.record_reference(user, application, referee.id, outcome, f"{outcome} by telephone", now)


def ready_to_moderate(application, admin, evaluators, clock, scores=None, **findings):
    allocate_and_score(application, admin, evaluators, clock, scores)
    record_findings(application, evaluators[0], clock, **findings)
    return marks_for(application, scores)
