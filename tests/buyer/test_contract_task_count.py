"""The menu's "Tasks (N)" for a contract manager and the lead's deciders counts every contract-management task the
Tasks page lists (evidence to check, the month's Ofsted review, overdue ladder steps, annual reviews, appeals)
with a few COUNT queries, however many tasks there are, and all of them even where a section lists only the
first few."""

from datetime import date, timedelta

import pytest

from portal.extensions import db
from portal.models.compliance import EVIDENCE_KINDS
from portal.models.user import ASSISTANT_DIRECTOR, CONTRACT_MANAGER
from portal.services import annual_reviews, approvals, compliance, ladder
from portal.templating import task_count
from tests.factories import PDF, admit, answer_as, authority_user, contract_of, lead_deciders
from tests.portal.test_query_counts import counting


@pytest.fixture
def manager(world, clock):
    """A contract manager at the lead who is also its assistant director, with Alpha's contract."""
    admit(world.provider_a, world.lots[0], clock=clock)
    person = authority_user(world.lead, "Cara Mensah", "contracts@lead.example.org",
                            [CONTRACT_MANAGER, ASSISTANT_DIRECTOR], clock)
    contract = contract_of(world, world.provider_a)
    contract.contract_manager_id = person.id
    db.session.commit()
    return person


def _evidence(world, clock, count):
    for kind in list(EVIDENCE_KINDS)[:count]:
        compliance.submit_evidence(world.provider_a, kind=kind, expires_on=date(2027, 6, 30), data=PDF,
                                   filename=f"{kind}.pdf", now=clock.now())


def _overdue_notice(world, clock, manager, actions):
    contract = contract_of(world, world.provider_a)
    people = lead_deciders(world, clock)
    review = ladder.open_review(manager, contract, breach="other_breach", details="Returns missing",
                                now=clock.now())
    notice = ladder.propose(manager, contract, kind="notice", grounds="Returns missing", review_on=None,
                            actions=[(f"Send return {n}", (clock.now() + timedelta(days=3)).date())
                                     for n in range(actions)], now=clock.now(), review=review)
    answer_as(people.head_of_service, approvals.latest(notice, "notice_to_improve"), clock)
    return notice


def _listed(user, now) -> int:
    """The contract-management rows of the Tasks page, every one (not only the first few shown)."""
    return (len(compliance.decisions_due(user)) + len(compliance.evidence_to_check(user))
            + int(compliance.review_pending(user, now)) + len(compliance.placements_needing_continuation(user, now))
            + len(annual_reviews.tasks_for(user, now)) + len(ladder.tasks_for(user, now)))


def test_the_count_matches_the_tasks_listed(world, clock, manager):
    _evidence(world, clock, 2)
    _overdue_notice(world, clock, manager, 2)
    clock.advance(days=5)
    now = clock.now()
    parts = (compliance.task_count(manager, now) + annual_reviews.task_count(manager, now)
             + ladder.task_count(manager, now))
    assert parts == _listed(manager, now) == 2 + 1 + 2  # evidence, the month's Ofsted review, two overdue actions


def test_the_count_is_every_task_even_where_a_section_lists_the_first_few(world, clock, manager, monkeypatch):
    _evidence(world, clock, 3)
    monkeypatch.setattr(compliance, "TASKS_SHOWN", 2)
    assert len(compliance.evidence_to_check(manager)) == 2
    assert compliance.task_count(manager, clock.now()) == 3 + 1  # three to check, the month's review


def _statements(user) -> list[str]:
    db.session.expire_all()
    with counting() as statements:
        task_count(user)
    return statements


def test_the_menus_count_runs_a_few_count_queries_whatever_the_tasks(world, clock, manager):
    _evidence(world, clock, 1)
    _overdue_notice(world, clock, manager, 1)
    clock.advance(days=5)
    few = _statements(manager)
    _evidence(world, clock, 3)
    _overdue_notice(world, clock, manager, 6)
    many = _statements(manager)
    assert len(many) == len(few)
    contract_management = [s for s in many if any(table in s for table in (
        "evidence", "ladder_action", "sanction", "contract_review", "annual_review", "inspection", "appeal"))]
    assert len(contract_management) <= 8, "\n".join(contract_management)
    loading_rows = [s for s in contract_management if "count(" not in s.lower()]
    # the annual reviews' due dates (read per contract) and whether the lead has any appeal pending (LIMIT 1)
    assert len(loading_rows) <= 3, "\n".join(loading_rows)
