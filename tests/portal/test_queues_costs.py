"""The evaluator's queue and the contract manager's dashboard run a fixed number of statements however much
work there is, and page through it."""

import re

from portal.extensions import db
from portal.services import evaluations
from tests.annual.helpers import annual_world
from tests.annual.test_annual_query_counts import _providers_with_reviews
from tests.evaluation.helpers import apply, marks_for
from tests.portal.test_query_counts import add_provider, assert_constant, statements_for

PER_PAGE = 5


def _allocate(world, clock, start, stop):
    """Applications from new providers, allocated to the evaluator; every other one scored and submitted."""
    for index in range(start, stop):
        application = apply(add_provider(world, index, prefix="Queued"), world.window, clock)
        evaluations.allocate(world.admin, application, [world.admin.id, world.evaluator.id], clock.now())
        if index % 2:
            evaluations.save_scores(world.evaluator, application, marks_for(application), clock.now())
            evaluations.submit_scores(world.evaluator, application, clock.now())
        db.session.commit()


def test_the_evaluators_queue_runs_the_same_statements_with_more_work(world, sign_in, clock, monkeypatch):
    monkeypatch.setattr(evaluations, "QUEUE_PER_PAGE", PER_PAGE)
    evaluator = sign_in(world.evaluator)
    assert_constant(evaluator, "/evaluation/", lambda start, stop: _allocate(world, clock, start, stop))
    assert len(statements_for(evaluator, "/evaluation/?page=2&scored=2")) == len(
        statements_for(evaluator, "/evaluation/"))


def test_the_evaluators_queue_lists_the_work_to_score_then_what_was_scored_each_with_a_pager(
        world, sign_in, clock, monkeypatch):
    monkeypatch.setattr(evaluations, "QUEUE_PER_PAGE", PER_PAGE)
    _allocate(world, clock, 0, 12)  # 6 to score (even numbers), 6 scored (odd)
    evaluator = sign_in(world.evaluator)

    first = evaluator.get("/evaluation/").get_data(as_text=True)
    assert "6 to score, oldest allocated first." in first
    assert "6 scored, latest first." in first
    to_score, scored = first.split('id="scored"')
    assert [f"Queued {index:02d}" in to_score for index in (0, 2, 4, 6, 8, 10)] == [True] * 5 + [False]
    assert [f"Queued {index:02d}" in scored for index in (11, 9, 7, 5, 3, 1)] == [True] * 5 + [False]
    assert scored.index("Queued 11") < scored.index("Queued 09")
    assert 'href="/evaluation/?page=2#queue"' in to_score
    assert 'href="/evaluation/?scored=2#scored"' in scored

    second = evaluator.get("/evaluation/?page=2&scored=2").get_data(as_text=True)
    to_score, scored = second.split('id="scored"')
    assert "Queued 10" in to_score and "Queued 00" not in to_score
    assert "Queued 01" in scored and "Queued 11" not in scored

def test_the_contract_managers_dashboard_runs_the_same_statements_with_more_contracts(world, clock, sign_in):
    setup = annual_world(world, clock)
    assert_constant(sign_in(setup.manager), "/authority/contracts",
                    lambda start, stop: _providers_with_reviews(world, clock, setup, start, stop),
                    shows=lambda index: f"Provider {index:03d}")


def test_the_dashboard_and_its_menu_work_out_the_annual_review_dues_once(world, clock, sign_in):
    setup = annual_world(world, clock)
    _providers_with_reviews(world, clock, setup, 0, 3)
    manager = sign_in(setup.manager)
    statements = statements_for(manager, "/authority/contracts")
    reads_of_reviews = [statement for statement in statements
                        if "FROM annual_review WHERE annual_review.contract_id IN" in " ".join(statement.split())]
    assert len(reads_of_reviews) == 1
    page = manager.get("/authority/contracts").get_data(as_text=True)
    assert page.count("Annual review: the provider&#39;s answers") == 3
    menu = re.search(r"Tasks \((\d+)\)", page)
    elsewhere = re.search(r"Tasks \((\d+)\)", manager.get("/notifications").get_data(as_text=True))
    assert menu and elsewhere and menu.group(1) == elsewhere.group(1)  # the menu counts the 3 reviews as before
    assert int(menu.group(1)) >= 3
