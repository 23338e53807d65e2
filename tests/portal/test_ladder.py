"""The escalation ladder: performance issues, contract reviews, notice to improve → suspension → termination with
their approvals, appeals decided by someone uninvolved, the overdue-action escalation and the safeguarding
reaction. Model transitions are tested allowed and refused."""

from datetime import date, datetime, timedelta

import pytest

from portal.errors import DomainError, FormInvalid, InvalidTransition, NotFound
from portal.extensions import db
from portal.models import Notification, OutboxMessage, PlacementIncident, Sanction
from portal.models.contract import GOOD, SAFEGUARDING, SANCTION, SUSPENDED, TERMINATED
from portal.models.ladder import (
    DISMISSED,
    ENDED,
    ESCALATED,
    IN_FORCE,
    ISSUE_AWAITING,
    ISSUE_OPEN,
    NOTICE,
    OVERTURNED,
    PARTLY_UPHELD,
    PROPOSED,
    REDUCED,
    REFUSED,
    SUSPENSION,
    TERMINATION,
    UPHELD,
)
from portal.services import approvals, contracts, ladder, placement_records, standing
from tests.factories import (
    admit,
    answer_as,
    authority_user,
    contract_manager,
    contract_of,
    deciders,
    lead_deciders,
    placed,
)

# Model transitions -------------------------------------------------------------------------------------------


def _sanction(kind=NOTICE, status=PROPOSED, review_on=None):
    return Sanction(kind=kind, status=status, grounds="g", review_on=review_on, proposed_at=datetime(2026, 11, 2))


def test_a_sanction_moves_only_along_the_ladder():
    notice = _sanction()
    with pytest.raises(InvalidTransition):
        notice.end(None, "met", datetime(2026, 11, 3))  # not in force yet
    notice.take_effect(datetime(2026, 11, 3), date(2026, 12, 1))
    assert notice.status == IN_FORCE and notice.may_follow(SUSPENSION) and not notice.may_follow(TERMINATION)
    with pytest.raises(InvalidTransition):
        notice.take_effect(datetime(2026, 11, 3), date(2026, 12, 1))
    with pytest.raises(InvalidTransition, match="Only a suspension"):
        notice.extend(date(2027, 1, 1))
    notice.end(None, "escalated", datetime(2026, 11, 4), to=ESCALATED)
    with pytest.raises(InvalidTransition):
        notice.end(None, "again", datetime(2026, 11, 4))
    refused = _sanction()
    refused.refuse()
    with pytest.raises(InvalidTransition):
        refused.take_effect(datetime(2026, 11, 3), date(2026, 12, 1))


def test_a_suspension_extends_only_forward_and_a_termination_only_ends_on_appeal():
    suspension = _sanction(SUSPENSION, IN_FORCE, review_on=date(2026, 12, 1))
    with pytest.raises(InvalidTransition, match="after the current one"):
        suspension.extend(date(2026, 11, 20))
    suspension.extend(date(2027, 1, 5))
    assert suspension.review_on == date(2027, 1, 5) and suspension.may_follow(TERMINATION)
    termination = _sanction(TERMINATION, IN_FORCE)
    with pytest.raises(InvalidTransition, match="only an appeal"):
        termination.end(None, "lifted", datetime(2026, 11, 3))
    with pytest.raises(InvalidTransition, match="last step"):
        termination.end(None, "up", datetime(2026, 11, 3), to=ESCALATED)
    assert not termination.may_follow(TERMINATION)
    termination.end(None, "appeal upheld", datetime(2026, 11, 3), to=OVERTURNED)
    assert termination.status == OVERTURNED


# The ladder through the service ------------------------------------------------------------------------------

@pytest.fixture
def case(world, clock):
    admit(world.provider_a, world.lots[0], clock=clock)
    contract = contract_of(world, world.provider_a)
    manager = contract_manager(world, clock)
    contract.contract_manager_id = manager.id
    db.session.commit()
    return contract, manager, lead_deciders(world, clock)


def _actions(clock, days=14):
    return [("Send the updated safer recruitment policy", (clock.now() + timedelta(days=days)).date())]


def _review(contract, manager, clock):
    return ladder.open_review(manager, contract, breach="other_breach",
                              details="Two missed monthly monitoring returns", now=clock.now())


def _notice(world, clock, case, approve=True):
    contract, manager, people = case
    review = _review(contract, manager, clock)
    notice = ladder.propose(manager, contract, kind=NOTICE, grounds="Monitoring returns not sent",
                            review_on=None, actions=_actions(clock), now=clock.now(), review=review)
    answer_as(people.head_of_service, approvals.latest(notice, "notice_to_improve"), clock, approve=approve,
              reason="" if approve else "Not proportionate")
    return notice


def _standing(world):
    return standing.standing_of(world.dps.id, world.provider_a.organisation_id)


def test_a_notice_approved_by_the_lead_head_of_service_takes_effect_and_everyone_is_told(world, clock, case):
    contract, manager, people = case
    notice = _notice(world, clock, case)
    assert notice.status == IN_FORCE and notice.appeal_by == clock.now().date() + timedelta(days=28)
    assert notice.review.closed_at is not None  # the contract review is done
    assert _standing(world) == GOOD  # a notice restricts nothing
    subjects = set(db.session.scalars(db.select(Notification.subject).where(
        Notification.user_id == world.provider_a.id)))
    assert "Written notice to improve on T-DPS" in subjects
    assert db.session.scalar(db.select(Notification.id).where(
        Notification.user_id == world.member_officer.id,
        Notification.subject.like("%written notice to improve%"))) is not None


def test_only_the_right_role_answers_each_step_and_never_the_proposer(world, clock, case):
    contract, manager, people = case
    review = _review(contract, manager, clock)
    notice = ladder.propose(manager, contract, kind=NOTICE, grounds="g", review_on=None, actions=_actions(clock),
                            now=clock.now(), review=review)
    approval = approvals.latest(notice, "notice_to_improve")
    assert approvals.role_to_answer(people.assistant_director, approval) is None
    assert approvals.role_to_answer(people.head_of_service, approval) == "head_of_service"
    with pytest.raises(DomainError, match="waiting for approval"):
        ladder.propose(manager, contract, kind=SUSPENSION, grounds="g", review_on=date(2027, 1, 1), actions=[],
                       now=clock.now(), review=review)


def test_a_refused_notice_does_not_take_effect_and_its_review_stays_open(world, clock, case):
    """The head of service refuses the step proposed: the contract review is not done, so the contract manager
    proposes another step (or completes it with no sanction)."""
    contract, manager, people = case
    notice = _notice(world, clock, case, approve=False)
    assert notice.status == REFUSED and notice.review.is_open
    assert any(due.what.startswith("Contract review") for due in ladder.dues([contract.id], clock.now()))
    suspension = ladder.propose(manager, contract, kind=SUSPENSION, grounds="Serious and repeated",
                                review_on=(clock.now() + timedelta(days=30)).date(), actions=[], now=clock.now(),
                                review=notice.review)
    answer_as(people.second_head, approvals.latest(suspension, "suspension"), clock)
    assert suspension.status == IN_FORCE and not notice.review.is_open
    # The head of service who refused the notice took part in the review: neither may decide an appeal.
    assert {people.head_of_service.id, people.second_head.id} <= ladder.involved_ids(suspension)


def test_a_proposal_with_problems_names_every_one_and_changes_nothing(world, clock, case):
    contract, manager, people = case
    review = _review(contract, manager, clock)
    with pytest.raises(FormInvalid) as raised:
        ladder.propose(manager, contract, kind=SUSPENSION, grounds=" ", review_on=clock.now().date(), actions=[],
                       now=clock.now(), review=review)
    assert set(raised.value.errors) == {"grounds", "review_on"}
    with pytest.raises(FormInvalid) as raised:
        ladder.propose(manager, contract, kind=NOTICE, grounds="g", review_on=None,
                       actions=[("", (clock.now() + timedelta(days=3)).date()), ("Do it", clock.now().date())],
                       now=clock.now(), review=review)
    assert set(raised.value.errors) == {"action_1", "due_2"}
    assert db.session.scalar(db.select(db.func.count(Sanction.id))) == 0


def test_an_officer_cannot_propose_and_another_authority_cannot_see(world, clock, case):
    contract, manager, people = case
    with pytest.raises(NotFound):
        ladder.open_review(world.lead_officer, contract, breach="other_breach", details="d", now=clock.now())
    outsider = contract_manager(world, clock, at=world.outsider, email="cm@outside.example.org")
    with pytest.raises(NotFound):
        ladder.open_review(outsider, contract, breach="other_breach", details="d", now=clock.now())


def test_a_failed_notice_escalates_to_suspension_then_it_is_lifted_at_its_review(world, clock, case):
    contract, manager, people = case
    notice = _notice(world, clock, case)
    review_on = (clock.now() + timedelta(days=30)).date()
    suspension = ladder.propose(manager, contract, kind=SUSPENSION, grounds="Notice not met", review_on=review_on,
                                actions=[], now=clock.now(), previous=notice)
    assert notice.status == IN_FORCE  # until the suspension takes effect
    answer_as(people.head_of_service, approvals.latest(suspension, "suspension"), clock)
    assert notice.status == ESCALATED and suspension.status == IN_FORCE
    assert _standing(world) == SUSPENDED
    assert [r.cause for r in standing.restrictions_of_source(suspension)] == [SANCTION]
    with pytest.raises(DomainError, match="review is on"):
        ladder.review_suspension(manager, suspension, decision="lift", reason="r", review_on=None, now=clock.now())
    clock.set(datetime.combine(review_on, datetime.min.time()) + timedelta(hours=10))
    with pytest.raises(DomainError, match="new review date, after today"):
        ladder.review_suspension(manager, suspension, decision="extend", reason="r", review_on=review_on,
                                 now=clock.now())
    ladder.review_suspension(manager, suspension, decision="lift", reason="Improvements seen at visit",
                             review_on=None, now=clock.now())
    assert suspension.status == ENDED and _standing(world) == GOOD


def test_escalation_skips_no_step(world, clock, case):
    contract, manager, people = case
    notice = _notice(world, clock, case)
    with pytest.raises(FormInvalid) as raised:
        ladder.propose(manager, contract, kind=TERMINATION, grounds="g", review_on=None, actions=[],
                       now=clock.now(), previous=notice)
    assert "kind" in raised.value.errors


def _suspended(world, clock, case):
    contract, manager, people = case
    notice = _notice(world, clock, case)
    suspension = ladder.propose(manager, contract, kind=SUSPENSION, grounds="Notice not met",
                                review_on=(clock.now() + timedelta(days=30)).date(), actions=[], now=clock.now(),
                                previous=notice)
    answer_as(people.head_of_service, approvals.latest(suspension, "suspension"), clock)
    return suspension


def test_termination_is_the_lead_assistant_directors_and_terminates_the_contract(world, clock, case):
    contract, manager, people = case
    suspension = _suspended(world, clock, case)
    termination = ladder.propose(manager, contract, kind=TERMINATION, grounds="No improvement", review_on=None,
                                 actions=[], now=clock.now(), previous=suspension)
    approval = approvals.latest(termination, "termination")
    assert approvals.role_to_answer(people.head_of_service, approval) is None
    answer_as(people.assistant_director, approval, clock)
    assert termination.status == IN_FORCE and suspension.status == ESCALATED
    assert _standing(world) == TERMINATED and contract.is_terminated
    assert standing.restrictions_of_source(suspension) == []


def test_a_members_contract_manager_may_propose_and_the_lead_decides(world, clock, case):
    contract, _manager, people = case
    member_manager = contract_manager(world, clock, at=world.member, name="Mia Member",
                                      email="contracts@member.example.org")
    contract.contract_manager_id = member_manager.id  # the administrator allocated the provider to the member
    db.session.commit()
    review = _review(contract, member_manager, clock)
    notice = ladder.propose(member_manager, contract, kind=NOTICE, grounds="g", review_on=None,
                            actions=_actions(clock), now=clock.now(), review=review)
    approval = approvals.latest(notice, "notice_to_improve")
    assert approval.authority_id == world.lead.id
    answer_as(people.head_of_service, approval, clock)
    assert notice.status == IN_FORCE


def test_only_the_allocated_contract_manager_or_the_leads_act_on_a_contract(world, clock, case):
    """The provider is allocated to one contract manager; the lead's contract managers cover. A member's other
    contract manager reads the contract but opens no review, proposes nothing and records no action done."""
    contract, manager, people = case
    member_manager = contract_manager(world, clock, at=world.member, name="Mia Member",
                                      email="contracts@member.example.org")
    assert contracts.may_read(member_manager, contract.dps)
    assert not ladder.is_manager(member_manager, contract)
    with pytest.raises(DomainError, match="contract manager"):
        _review(contract, member_manager, clock)
    review = _review(contract, manager, clock)
    with pytest.raises(DomainError, match="contract manager"):
        ladder.propose(member_manager, contract, kind=NOTICE, grounds="g", review_on=None,
                       actions=_actions(clock), now=clock.now(), review=review)
    with pytest.raises(DomainError, match="contract manager"):
        ladder.close_review(member_manager, review, outcome="Nothing found", now=clock.now())
    issue = ladder.raise_issue(world.member_officer, contract, severity="minor", description="Late returns",
                               actions=_actions(clock), placement_id=None, now=clock.now())
    with pytest.raises(NotFound):
        ladder.action_done(member_manager, issue.actions[0], note="", now=clock.now())
    assert not ladder.summary_for(contract, member_manager, clock.now()).may_act
    # Another contract manager at the lead covers, though the contract is not theirs.
    cover = contract_manager(world, clock, name="Colin Cover", email="cover@lead.example.org")
    assert ladder.is_manager(cover, contract)
    ladder.close_review(cover, review, outcome="Returns received", now=clock.now())
    assert review.closed_by_id == cover.id
    # Once the administrator allocates the provider to the member's contract manager, they act.
    contract.contract_manager_id = member_manager.id
    db.session.commit()
    assert ladder.is_manager(member_manager, contract)
    ladder.action_done(member_manager, issue.actions[0], note="Seen at visit", now=clock.now())
    assert issue.actions[0].is_done


def test_an_unallocated_contracts_open_review_is_on_every_lead_contract_managers_tasks(world, clock, case):
    """Nobody is allocated yet: the lead's contract managers cover, so what is overdue is on their Tasks (not on a
    member's contract manager's)."""
    contract, manager, people = case
    review = _review(contract, manager, clock)
    contract.contract_manager_id = None
    db.session.commit()
    cover = contract_manager(world, clock, name="Colin Cover", email="cover@lead.example.org")
    member_manager = contract_manager(world, clock, at=world.member, name="Mia Member",
                                      email="contracts@member.example.org")
    assert [due.link for due in ladder.tasks_for(cover, clock.now()).overdue] == [
        f"/authority/contracts/reviews/{review.id}"]
    assert ladder.tasks_for(member_manager, clock.now()).overdue == []
    contract.contract_manager_id = member_manager.id
    db.session.commit()
    assert ladder.tasks_for(cover, clock.now()).overdue == []  # allocated: it is the member's
    assert len(ladder.tasks_for(member_manager, clock.now()).overdue) == 1


# Appeals ----------------------------------------------------------------------------------------------------

def test_the_provider_appeals_once_within_the_period_and_someone_uninvolved_upholds_it(world, clock, case):
    contract, manager, people = case
    suspension = _suspended(world, clock, case)
    with pytest.raises(NotFound):
        ladder.appeal(world.provider_b, suspension, grounds="Not us", now=clock.now())
    with pytest.raises(DomainError, match="must be a PDF"):
        ladder.appeal(world.provider_a, suspension, grounds="g", now=clock.now(), filename="notes.pdf",
                      data=b"just text")
    assert suspension.appeal is None
    appeal = ladder.appeal(world.provider_a, suspension, grounds="The returns were sent by post", now=clock.now(),
                           filename="receipts.pdf", data=b"%PDF-1.4\n% receipts\n")
    assert appeal.document_name == "receipts.pdf" and appeal.document_type == "pdf"
    with pytest.raises(DomainError, match="already appealed"):
        ladder.appeal(world.provider_a, suspension, grounds="again", now=clock.now())
    # The head of service approved both steps: they may not decide; the second head of service may.
    assert people.head_of_service.id in ladder.involved_ids(suspension)
    assert manager.id in ladder.involved_ids(suspension)
    assert not ladder.may_decide_appeal(people.head_of_service, appeal)
    with pytest.raises(DomainError, match="took part"):
        ladder.decide_appeal(people.head_of_service, appeal, outcome=UPHELD, reason="r", now=clock.now())
    assert [a.id for a in ladder.tasks_for(people.second_head, clock.now()).appeals] == [appeal.id]
    assert ladder.tasks_for(people.head_of_service, clock.now()).appeals == []
    ladder.decide_appeal(people.second_head, appeal, outcome=UPHELD, reason="Returns found in the post room",
                         now=clock.now())
    assert suspension.status == OVERTURNED and _standing(world) == GOOD
    with pytest.raises(DomainError, match="already been decided"):
        ladder.decide_appeal(people.assistant_director, appeal, outcome=DISMISSED, reason="r", now=clock.now())


def test_an_appeal_after_its_period_is_refused(world, clock, case):
    notice = _notice(world, clock, case)
    clock.advance(days=29)
    with pytest.raises(DomainError, match="time to appeal ended"):
        ladder.appeal(world.provider_a, notice, grounds="Late", now=clock.now())


def test_an_upheld_appeal_against_termination_reinstates_the_contract(world, clock, case):
    contract, manager, people = case
    suspension = _suspended(world, clock, case)
    termination = ladder.propose(manager, contract, kind=TERMINATION, grounds="g", review_on=None, actions=[],
                                 now=clock.now(), previous=suspension)
    answer_as(people.assistant_director, approvals.latest(termination, "termination"), clock)
    appeal = ladder.appeal(world.provider_a, termination, grounds="Disproportionate", now=clock.now())
    ladder.decide_appeal(people.second_head, appeal, outcome=UPHELD, reason="Evidence was wrong", now=clock.now())
    assert not contract.is_terminated and contract.reinstated_at is not None and _standing(world) == GOOD


def test_a_partly_upheld_appeal_reduces_a_suspension_to_a_notice(world, clock, case):
    contract, manager, people = case
    suspension = _suspended(world, clock, case)
    appeal = ladder.appeal(world.provider_a, suspension, grounds="Too severe", now=clock.now())
    with pytest.raises(FormInvalid) as raised:
        ladder.decide_appeal(people.second_head, appeal, outcome=PARTLY_UPHELD, reason="r", reduced_to=SUSPENSION,
                             now=clock.now())
    assert "reduced_to" in raised.value.errors
    ladder.decide_appeal(people.second_head, appeal, outcome=PARTLY_UPHELD, reason="A notice is enough",
                         reduced_to=NOTICE, actions=_actions(clock), now=clock.now())
    assert suspension.status == REDUCED and _standing(world) == GOOD
    lower = ladder.case_of(suspension)[-1]
    assert lower.kind == NOTICE and lower.status == IN_FORCE and lower.previous_id == suspension.id


def test_the_provider_sees_its_issued_steps_only(world, clock, case):
    contract, manager, people = case
    review = _review(contract, manager, clock)
    proposed = ladder.propose(manager, contract, kind=NOTICE, grounds="g", review_on=None, actions=_actions(clock),
                              now=clock.now(), review=review)
    with pytest.raises(NotFound):
        ladder.sanction_for(world.provider_a, proposed.id)
    assert ladder.summary_for(contract, world.provider_a, clock.now()).sanctions == []
    assert ladder.summary_for(contract, world.provider_a, clock.now()).reviews == []
    with pytest.raises(NotFound):
        ladder.summary_for(contract, world.provider_b, clock.now())
    answer_as(people.head_of_service, approvals.latest(proposed, "notice_to_improve"), clock)
    assert ladder.sanction_for(world.provider_a, proposed.id) is proposed
    with pytest.raises(NotFound):
        ladder.sanction_for(world.provider_b, proposed.id)


# Performance issues and overdue actions --------------------------------------------------------------------------

def test_a_minor_issue_is_raised_at_once_and_copied_to_the_contract_manager(world, clock, case):
    contract, manager, people = case
    issue = ladder.raise_issue(world.member_officer, contract, severity="minor", description="Late reports",
                               actions=_actions(clock), placement_id=None, now=clock.now())
    assert issue.status == ISSUE_OPEN and issue.authority_id == world.member.id
    assert db.session.scalar(db.select(Notification.id).where(Notification.user_id == manager.id)) is not None
    assert db.session.scalar(db.select(Notification.id).where(Notification.user_id == world.provider_a.id))
    action = issue.actions[0]
    ladder.action_done(world.provider_a, action, note="Sent", now=clock.now())
    with pytest.raises(DomainError, match="already done"):
        ladder.action_done(world.provider_a, action, note="Sent", now=clock.now())
    with pytest.raises(NotFound):
        ladder.action_done(world.provider_b, issue.actions[0], note="", now=clock.now())


def test_a_significant_issue_waits_for_its_authoritys_head_of_service_or_budget_holder(world, clock, case):
    contract, manager, people = case
    member = deciders(world, clock)
    issue = ladder.raise_issue(world.member_officer, contract, severity="significant",
                               description="Repeated missing-from-care episodes not reported",
                               actions=_actions(clock), placement_id=None, now=clock.now())
    assert issue.status == ISSUE_AWAITING
    with pytest.raises(NotFound):
        ladder.issue_for(world.provider_a, issue.id)  # not raised with the provider yet
    approval = approvals.latest(issue, "significant_issue")
    assert approval.authority_id == world.member.id
    assert approvals.role_to_answer(member.budget_holder, approval) == "budget_holder"
    rows = approvals.decision_rows(approvals.get_for_authority(member.head_of_service, approval.id))
    assert ("Performance issue", "Significant: Repeated missing-from-care episodes not reported") in rows
    assert any(label.startswith("Action 1, due ") for label, _text in rows)
    answer_as(member.head_of_service, approval, clock)
    assert issue.status == ISSUE_OPEN and ladder.issue_for(world.provider_a, issue.id) is issue


def test_an_issue_with_problems_names_them_all(world, clock, case):
    contract, manager, people = case
    with pytest.raises(FormInvalid) as raised:
        ladder.raise_issue(world.member_officer, contract, severity="", description="", actions=[],
                           placement_id=999, now=clock.now())
    assert set(raised.value.errors) == {"severity", "description", "placement_id", "action_1"}


def test_an_overdue_action_is_escalated_once_to_the_manager_and_the_lead_head_of_service(world, clock, case):
    contract, manager, people = case
    ladder.raise_issue(world.member_officer, contract, severity="minor", description="Late reports",
                       actions=_actions(clock, days=2), placement_id=None, now=clock.now())
    assert ladder.escalate_overdue(clock.now()) == 0
    clock.advance(days=4)
    assert [due.overdue for due in contracts.dues([contract.id], clock.now())[contract.id]
            if due.what.startswith("Performance issue action")] == [True]
    assert len(ladder.tasks_for(manager, clock.now()).overdue) == 1
    assert ladder.escalate_overdue(clock.now()) == 1
    assert ladder.escalate_overdue(clock.now()) == 0
    told = set(db.session.scalars(db.select(OutboxMessage.to_address).where(
        OutboxMessage.subject.like("Overdue action%"))))
    assert told == {manager.email, people.head_of_service.email, people.second_head.email}


# Safeguarding -----------------------------------------------------------------------------------------------

def test_an_allegation_that_ends_a_placement_opens_a_review_and_restricts_until_it_is_done(world, clock):
    placement = placed(world, clock)
    clock.advance(days=6)  # the placement has started
    contract = contract_of(world, world.provider_a)
    manager = contract_manager(world, clock)
    contract.contract_manager_id = manager.id
    db.session.commit()
    placement_records.record_incident(world.member_officer, placement, occurred_on=clock.now().date(),
                                      category="incident", summary="A fall in the garden", lado_informed=False,
                                      police_informed=False, outcome="", ended_placement=True, now=clock.now())
    assert _standing(world) == GOOD  # a serious incident is not a safeguarding concern
    incident = placement_records.record_incident(
        world.member_officer, placement, occurred_on=clock.now().date(), category="allegation",
        summary="Allegation against a member of staff", lado_informed=True, police_informed=False, outcome="",
        ended_placement=True, now=clock.now())
    assert _standing(world) == SUSPENDED
    review = db.session.scalar(db.select(ladder.ContractReview).where(
        ladder.ContractReview.source_id == incident.id))
    assert review.breach == "safeguarding" and "Allegation against" not in review.details
    assert [r.cause for r in standing.active_restrictions(world.dps.id, world.provider_a.organisation_id)] \
        == [SAFEGUARDING]
    placement_records.record_outcome(world.member_officer, incident, outcome="Referred to LADO",
                                     ended_placement=True, now=clock.now())
    assert db.session.scalar(db.select(db.func.count(ladder.ContractReview.id))) == 1  # once per incident
    ladder.close_review(manager, review, outcome="Staff member dismissed; LADO satisfied", now=clock.now())
    assert _standing(world) == GOOD


def test_an_open_allegation_starts_the_review_when_the_placement_ends(world, clock):
    placement = placed(world, clock)
    clock.advance(days=6)  # the placement has started
    incident = placement_records.record_incident(
        world.member_officer, placement, occurred_on=clock.now().date(), category="safeguarding",
        summary="Concern raised by school", lado_informed=True, police_informed=False, outcome="",
        ended_placement=False, now=clock.now())
    assert _standing(world) == GOOD
    assert db.session.get(PlacementIncident, incident.id) is not None
    placement.end_date = clock.now().date() + timedelta(days=1)
    assert ladder.safeguarding_review(incident, clock.now()) is not None
    db.session.commit()
    assert _standing(world) == SUSPENDED


def test_someone_at_another_authority_with_the_deciding_role_cannot_decide_an_appeal(world, clock, case):
    suspension = _suspended(world, clock, case)
    appeal = ladder.appeal(world.provider_a, suspension, grounds="g", now=clock.now())
    member_head = authority_user(world.member, "Mel Head", "mh@member.example.org", ["head_of_service"], clock)
    assert not ladder.may_decide_appeal(member_head, appeal)
    with pytest.raises(NotFound):
        ladder.decide_appeal(member_head, appeal, outcome=UPHELD, reason="r", now=clock.now())


def test_a_suspension_review_reminder_is_sent_once_per_review_date(world, clock, case):
    contract, manager, people = case
    suspension = _suspended(world, clock, case)
    assert ladder.remind_suspension_reviews(clock.now()) == 0
    clock.set(datetime.combine(suspension.review_on, datetime.min.time()) + timedelta(hours=9))
    assert ladder.remind_suspension_reviews(clock.now()) == 1
    assert ladder.remind_suspension_reviews(clock.now()) == 0
    assert db.session.scalar(db.select(db.func.count(Notification.id)).where(
        Notification.user_id == manager.id, Notification.subject.like("Suspension review due%"))) == 1
    ladder.review_suspension(manager, suspension, decision="extend", reason="Visit booked",
                             review_on=suspension.review_on + timedelta(days=14), now=clock.now())
    clock.advance(days=14)
    assert ladder.remind_suspension_reviews(clock.now()) == 1


def test_raising_the_same_issue_twice_raises_it_once(world, clock, case):
    contract, manager, people = case
    first = ladder.raise_issue(world.member_officer, contract, severity="minor", description="Late reports",
                               actions=_actions(clock), placement_id=None, now=clock.now())
    again = ladder.raise_issue(world.member_officer, contract, severity="minor", description="Late reports",
                               actions=_actions(clock), placement_id=None, now=clock.now())
    assert again.id == first.id and again.already_raised
    assert db.session.scalar(db.select(db.func.count(ladder.PerformanceIssue.id))) == 1


def test_a_withdrawn_proposal_blocks_no_new_one(world, clock, case):
    contract, manager, people = case
    review = _review(contract, manager, clock)
    first = ladder.propose(manager, contract, kind=NOTICE, grounds="g", review_on=None, actions=_actions(clock),
                           now=clock.now(), review=review)
    approvals.withdraw(manager, approvals.latest(first, "notice_to_improve"), clock.now())
    second = ladder.propose(manager, contract, kind=NOTICE, grounds="Better grounds", review_on=None,
                            actions=_actions(clock), now=clock.now(), review=review)
    assert first.status == "withdrawn" and second.status == PROPOSED
