"""A provider with a live placement, its contract allocated to a contract manager, and the DPS's questionnaire:
the start of an annual review."""

from datetime import timedelta
from types import SimpleNamespace

from portal.extensions import db
from portal.models.annual_review import ANSWER_ACCEPTED
from portal.services import annual_reviews
from portal.timezone import uk_today
from tests.factories import contract_manager, contract_of, placed

QUESTIONS = ("How do you keep children safe?", "How do you support children's education?")


def annual_world(world, clock, *, questions=QUESTIONS, placement=True):
    live = placed(world, clock) if placement else None
    if live is not None:
        clock.set(clock.now() + timedelta(days=6))  # the placement has started
    manager = contract_manager(world, clock)
    contract = contract_of(world, world.provider_a)
    if contract is None:
        from tests.factories import admit
        admit(world.provider_a, world.lots[0], clock=clock)
        contract = contract_of(world, world.provider_a)
    contract.contract_manager_id = manager.id
    db.session.commit()
    for text in questions:
        annual_reviews.add_question(world.admin, world.dps, text=text, guidance="", now=clock.now())
    return SimpleNamespace(placement=live, manager=manager, contract=contract)


def sent(world, clock, setup):
    return annual_reviews.send(setup.manager, setup.contract, due_on=uk_today(clock.now()) + timedelta(days=21),
                               documents="Insurance certificates", now=clock.now())


def submitted(world, clock, setup):
    review = sent(world, clock, setup)
    annual_reviews.save_answers(world.provider_a, review, {answer.id: f"Answer {answer.number}"
                                                           for answer in review.answers},
                                submit=True, now=clock.now())
    return review


def moderated(world, clock, setup):
    review = submitted(world, clock, setup)
    annual_reviews.moderate(setup.manager, review, {answer.id: (ANSWER_ACCEPTED, "") for answer in review.answers},
                            now=clock.now())
    return review


def rated(world, clock, setup, rating="requires_improvement"):
    review = moderated(world, clock, setup)
    annual_reviews.record_meeting(setup.manager, review, held_on=uk_today(clock.now()),
                                  attendees="Cara Mensah (contract manager), Ann Provider (registered manager)",
                                  notes="Staffing and training discussed", now=clock.now())
    for line in annual_reviews.cost_lines(review, clock.now()):
        annual_reviews.record_cost_check(setup.manager, review, line.placement.id, outcome="confirmed", note="",
                                         now=clock.now())
    annual_reviews.rate(setup.manager, review, rating=rating, risk_factors=["workforce"],
                        notes="Staff turnover is high", best_practice="", now=clock.now())
    return review
