"""The annual review's lists, pages, Tasks section and dashboard source run a fixed number of SQL statements
however many reviews, contracts, answers and actions there are (tests/portal/test_query_counts.py)."""

from datetime import timedelta

from portal.extensions import db
from portal.models import AnnualReview, ReviewAction, ReviewAnswer, ReviewQuestion
from portal.models.annual_review import ISSUED, SENT
from portal.services import annual_reviews
from portal.timezone import uk_today
from tests.annual.helpers import annual_world, rated
from tests.factories import admit, provider_user
from tests.portal.test_query_counts import assert_constant, counting


def _providers_with_reviews(world, clock, setup, start, stop):
    """Providers admitted to the lot, each allocated to the contract manager with a review whose answers are
    overdue, sent with the DPS's questionnaire."""
    questionnaire = annual_reviews.questionnaire_of(world.dps.id)
    today = uk_today(clock.now())
    for index in range(start, stop):
        user = provider_user(f"Provider {index:03d}", f"p{index:03d}@provider.example.org", clock)
        admit(user, world.lots[0], clock=clock)
        contract = annual_reviews.contracts.own_contract(user, world.dps.id)
        contract.contract_manager_id = setup.manager.id
        review = AnnualReview(contract=contract, questionnaire=questionnaire, status=SENT,
                              due_on=today - timedelta(days=3), sent_at=clock.now() - timedelta(days=30),
                              sent_by_id=setup.manager.id)
        review.answers = [ReviewAnswer(question=question, number=question.number)
                          for question in questionnaire.questions]
        db.session.add(review)
    db.session.commit()


def test_the_contract_managers_tasks_and_list_query_counts(world, clock, sign_in):
    setup = annual_world(world, clock)
    manager = sign_in(setup.manager)
    assert_constant(manager, "/authority/tasks",
                    lambda start, stop: _providers_with_reviews(world, clock, setup, start, stop),
                    shows=lambda index: f"Provider {index:03d}")
    assert_constant(manager, "/authority/contracts/annual-reviews?status=open", lambda start, stop: None)


def test_the_managers_list_query_count(world, clock, sign_in):
    setup = annual_world(world, clock)
    assert_constant(sign_in(setup.manager), "/authority/contracts/annual-reviews?status=sent",
                    lambda start, stop: _providers_with_reviews(world, clock, setup, start, stop),
                    shows=lambda index: f"Provider {index:03d}")


def test_the_dashboard_source_query_count(world, clock):
    setup = annual_world(world, clock)

    def statements():
        ids = list(db.session.scalars(db.select(annual_reviews.ProviderContract.id)))
        with counting() as found:
            annual_reviews.dues(ids, clock.now())
        return len(found)

    _providers_with_reviews(world, clock, setup, 0, 3)
    few = statements()
    _providers_with_reviews(world, clock, setup, 3, 15)
    assert statements() == few


def test_the_review_page_query_count(world, clock, sign_in):
    setup = annual_world(world, clock, questions=())
    annual_reviews.add_question(world.admin, world.dps, text="Question 0", guidance="", now=clock.now())
    review = rated(world, clock, setup)

    def add(start, stop):
        for index in range(start, stop):
            question = ReviewQuestion(questionnaire_id=review.questionnaire_id, number=index + 2,
                                      text=f"Question {index + 1:03d}")
            db.session.add(question)
            db.session.add(ReviewAnswer(review_id=review.id, question=question, number=index + 2,
                                        answer=f"Answer {index:03d}", moderation="accepted"))
            db.session.add(ReviewAction(review_id=review.id, text=f"Action {index:03d}", owner="Manager",
                                        due_on=uk_today(clock.now()) + timedelta(days=10)))
        db.session.commit()

    assert_constant(sign_in(setup.manager), f"/authority/contracts/annual-reviews/{review.id}", add,
                    shows=lambda index: f"Action {index:03d}")


def test_the_providers_pages_query_counts(world, clock, sign_in):
    setup = annual_world(world, clock)
    review = rated(world, clock, setup)
    provider = sign_in(world.provider_a)

    def add(start, stop):
        for index in range(start, stop):
            db.session.add(AnnualReview(contract_id=setup.contract.id, questionnaire_id=review.questionnaire_id,
                                        status=ISSUED, rating="good", due_on=uk_today(clock.now()),
                                        sent_at=clock.now() - timedelta(days=400 + index), sent_by_id=setup.manager.id,
                                        issued_at=clock.now()))
            db.session.add(ReviewAction(review_id=review.id, text=f"Action {index:03d}", owner="Manager",
                                        due_on=uk_today(clock.now()) + timedelta(days=10)))
        db.session.commit()

    assert_constant(provider, "/provider/annual-reviews", add)
    assert_constant(provider, f"/provider/annual-reviews/{review.id}", lambda start, stop: None)


def test_the_questionnaire_page_query_count(world, clock, sign_in):
    assert_constant(sign_in(world.admin), f"/admin/dps/{world.dps.id}/review-questions",
                    lambda start, stop: [annual_reviews.add_question(world.admin, world.dps, text=f"Question {i:03d}",
                                                                     guidance="", now=clock.now())
                                         for i in range(start, stop)],
                    shows=lambda index: f"Question {index:03d}")
