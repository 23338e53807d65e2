"""The menu's "Tasks (N)" counts every task the Tasks page lists (approvals, QA visits, agreements, placement
reviews and cost reviews), with a fixed number of COUNT queries however many there are."""

import re

from portal.models.user import COMMISSIONING_OFFICER
from portal.services import agreements, approvals, off_framework, reviews
from portal.templating import task_count
from tests.buyer.test_agreement_query_counts import add_life
from tests.buyer.test_off_framework_routes import add_off_framework_providers
from tests.buyer.test_off_framework_service import exhausted_referral
from tests.factories import deciders
from tests.portal.test_query_counts import assert_constant


def listed(user, now) -> int:
    """The rows of the Tasks page, each task once."""
    life = agreements.tasks_for(user, now)
    countersign = [] if life.unsigned else life.to_countersign
    qa_visits = off_framework.qa_tasks(user, now) if user.has_role(COMMISSIONING_OFFICER) else []
    return (len(approvals.tasks_for(user)) + len(qa_visits)
            + len(life.to_issue) + len(life.unsigned) + len(countersign)
            + len(reviews.reviews_due(user, now)) + len(reviews.cost_reviews_due(user, now)))


def menu_count(client) -> int:
    page = client.get("/authority/referrals").get_data(as_text=True)
    found = re.search(r"Tasks \((\d+)\)", page)
    return int(found.group(1)) if found else 0


def test_the_officers_count_includes_agreements_reviews_and_cost_reviews(world, clock, sign_in):
    template = exhausted_referral(world, clock)
    add_off_framework_providers(world, clock, 0, 1)
    add_life(world, clock, template, 0, 4)
    officer = world.member_officer
    life = agreements.tasks_for(officer, clock.now())
    assert life.to_issue and life.unsigned
    assert reviews.reviews_due(officer, clock.now()) and reviews.cost_reviews_due(officer, clock.now())
    assert agreements.task_count(officer, clock.now()) == len(life.to_issue) + len(life.unsigned)
    assert reviews.task_count(officer, clock.now()) == (len(reviews.reviews_due(officer, clock.now()))
                                                       + len(reviews.cost_reviews_due(officer, clock.now())))
    assert task_count(officer) == listed(officer, clock.now()) > off_framework.qa_task_count(officer)
    assert menu_count(sign_in(officer)) == listed(officer, clock.now())


def test_the_budget_holders_count_includes_agreements_to_countersign(world, clock, sign_in):
    template = exhausted_referral(world, clock)
    add_off_framework_providers(world, clock, 0, 1)
    add_life(world, clock, template, 0, 4)
    budget_holder = deciders(world, clock).budget_holder
    assert agreements.tasks_for(budget_holder, clock.now()).to_countersign
    assert reviews.task_count(budget_holder, clock.now()) == 0
    assert agreements.task_count(budget_holder, clock.now()) == len(
        agreements.tasks_for(budget_holder, clock.now()).to_countersign)
    assert menu_count(sign_in(budget_holder)) == listed(budget_holder, clock.now())


def test_a_count_ends_when_the_task_is_done(world, clock):
    template = exhausted_referral(world, clock)
    add_off_framework_providers(world, clock, 0, 1)
    add_life(world, clock, template, 0, 2)
    officer = world.member_officer
    before = agreements.task_count(officer, clock.now())
    placement = agreements.tasks_for(officer, clock.now()).to_issue[0]
    agreements.issue(officer, placement, now=clock.now())
    # Issued, it waits for the provider's signature: still one task, no longer "to issue".
    assert agreements.task_count(officer, clock.now()) == before
    assert placement not in agreements.tasks_for(officer, clock.now()).to_issue


def test_the_menus_count_query_count(world, clock, sign_in):
    template = exhausted_referral(world, clock)
    add_off_framework_providers(world, clock, 0, 1)
    assert_constant(sign_in(world.member_officer), "/authority/referrals",
                    lambda start, stop: add_life(world, clock, template, start, stop))


def test_the_tasks_page_says_how_many_in_each_section(world, clock, sign_in):
    template = exhausted_referral(world, clock)
    add_off_framework_providers(world, clock, 0, 1)
    add_life(world, clock, template, 0, 4)
    page = sign_in(world.member_officer).get("/authority/tasks").get_data(as_text=True)
    life = agreements.tasks_for(world.member_officer, clock.now())
    assert f"Agreements not yet signed ({len(life.to_issue) + len(life.unsigned)})" in page
    assert f"Placement reviews due ({len(reviews.reviews_due(world.member_officer, clock.now()))})" in page
    assert f"Cost reviews due ({len(reviews.cost_reviews_due(world.member_officer, clock.now()))})" in page
    assert f"Quality-assurance visits due ({len(off_framework.qa_tasks(world.member_officer, clock.now()))})" in page




def test_each_section_lists_the_first_few_and_says_how_many(world, clock, sign_in, monkeypatch):
    template = exhausted_referral(world, clock)
    add_off_framework_providers(world, clock, 0, 1)
    add_life(world, clock, template, 0, 6)
    officer = world.member_officer
    every_due = len(reviews.reviews_due(officer, clock.now()))
    monkeypatch.setattr(reviews, "TASKS_SHOWN", 2)
    monkeypatch.setattr(agreements, "TASKS_SHOWN", 2)
    life = agreements.tasks_for(officer, clock.now())
    assert len(life.to_issue) == 2 and life.total("to_issue") == 3
    assert len(reviews.reviews_due(officer, clock.now())) == 2
    assert reviews.due_totals(officer, clock.now())[0] == every_due == 6
    page = sign_in(officer).get("/authority/tasks").get_data(as_text=True)
    assert "Placement reviews due (6)" in page and "The first 2 of 6 are listed" in page
    assert f"Agreements not yet signed ({life.total('to_issue') + life.total('unsigned')})" in page
