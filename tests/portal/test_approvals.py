"""Approvals with four eyes (portal.services.approvals): who may answer which request, nobody their own; limits
and the assistant director; refusals with reasons; withdrawn, replaced and stale requests; audit and messages."""

import json
from decimal import Decimal

import pytest

from portal.errors import DomainError, NotFound
from portal.extensions import db
from portal.models import Approval, AuditEvent, Notification, OutboxMessage
from portal.models.approval import FUNDING, PLACEMENT_COST, SENIOR_AGREEMENT
from portal.models.user import ASSISTANT_DIRECTOR, BUDGET_HOLDER, COMMISSIONING_OFFICER, UserRole
from portal.services import approvals, referrals
from tests.factories import BUDGET_LIMIT, authority_user, deciders, draft_referral

WITHIN = Decimal("2000.00")  # x 52 = 104,000: within the budget holder's 150,000
ABOVE = Decimal("3000.00")  # x 52 = 156,000: above it


def ask(world, clock, referral=None, *, weekly=WITHIN, kind=FUNDING, by=None, basis=""):
    referral = referral or draft_referral(world, clock)
    return approvals.request(by or world.member_officer, referral, kind=kind, weekly_cost=weekly, basis=basis,
                             summary="Funding for the referral", now=clock.now())


def answerer_ids(approval) -> list[int]:
    return [person.id for person, _role in approvals.answerers(approval)]


def test_a_request_within_the_limit_goes_to_the_budget_holder_and_the_annual_figure_is_weekly_times_52(world, clock):
    people = deciders(world, clock)
    approval = ask(world, clock)
    assert (approval.weekly_cost, approval.annual_cost, approval.status) == (WITHIN, Decimal("104000.00"), "pending")
    assert approvals.answerers(approval) == [(people.budget_holder, BUDGET_HOLDER)]
    assert approvals.tasks_for(people.budget_holder) == [approval]
    assert approvals.tasks_for(people.assistant_director) == []
    assert approvals.tasks_for(people.head_of_service) == []
    approvals.answer(people.budget_holder, approval, approve=True, now=clock.now())
    assert (approval.status, approval.answered_by_id, approval.answered_role, approval.answered_at) == (
        "approved", people.budget_holder.id, BUDGET_HOLDER, clock.now())
    assert approvals.tasks_for(people.budget_holder) == []


def test_the_limit_itself_is_within_it(world, clock):
    people = deciders(world, clock)
    approval = ask(world, clock, weekly=(BUDGET_LIMIT / 52).quantize(Decimal("0.01")))  # 2,884.62 x 52 = 150,000.24
    assert approval.annual_cost > BUDGET_LIMIT and answerer_ids(approval) == [people.assistant_director.id]
    exact = ask(world, clock, weekly=Decimal("2884.61"))  # x 52 = 149,999.72
    assert answerer_ids(exact) == [people.budget_holder.id]
    people.budget_holder.approval_limit = Decimal("149999.72")
    db.session.commit()
    assert answerer_ids(exact) == [people.budget_holder.id]


def test_a_request_above_a_budget_holders_limit_is_not_offered_to_them(world, clock):
    people = deciders(world, clock)
    approval = ask(world, clock, weekly=ABOVE)
    assert approvals.tasks_for(people.budget_holder) == []
    assert approvals.role_to_answer(people.budget_holder, approval) is None
    with pytest.raises(DomainError, match="above your approval limit") as refused:
        approvals.answer(people.budget_holder, approval, approve=True, now=clock.now())
    assert refused.value.field == "decision"
    db.session.refresh(approval)
    assert approval.status == "pending" and approval.answered_by_id is None


def test_above_every_active_holders_limit_it_goes_to_the_assistant_director(world, clock):
    people = deciders(world, clock)
    senior = authority_user(world.member, "Ines Varga", "senior.budget@member.example.org", [BUDGET_HOLDER], clock)
    senior.approval_limit = Decimal("200000.00")
    no_limit = authority_user(world.member, "Otto Brandt", "nolimit@member.example.org", [BUDGET_HOLDER], clock)
    db.session.commit()
    approval = ask(world, clock, weekly=ABOVE)
    # a holder whose limit covers it takes it; the assistant director does not see it
    assert answerer_ids(approval) == [senior.id]
    assert approvals.tasks_for(people.assistant_director) == []
    assert approvals.tasks_for(no_limit) == []
    # those it is not offered to are told why, and where it goes
    assert approvals.why_not(people.budget_holder, approval) == (
        "This request is above your approval limit of £150,000.00 a year: it goes to a budget holder whose limit "
        "covers it.")
    assert approvals.why_not(no_limit, approval) == (
        "You have no approval limit yet, so budget requests are not offered to you: ask your user administrator to "
        "set one.")
    senior.active = False  # a deactivated holder's limit does not count
    db.session.commit()
    assert answerer_ids(approval) == [people.assistant_director.id]
    assert approvals.why_not(people.budget_holder, approval) == (
        "This request is above your approval limit of £150,000.00 a year: it goes to the assistant director, as no "
        "budget holder's limit covers it.")
    assert approvals.tasks_for(people.assistant_director) == [approval]
    approvals.answer(people.assistant_director, approval, approve=True, now=clock.now())
    assert approval.answered_role == "assistant_director"


def test_the_senior_managers_agreement_is_the_head_of_services_whatever_the_figure(world, clock):
    people = deciders(world, clock)
    approval = ask(world, clock, kind=SENIOR_AGREEMENT, weekly=ABOVE * 10, basis="off-framework provider 1")
    assert answerer_ids(approval) == [people.head_of_service.id]
    assert approvals.tasks_for(people.budget_holder) == [] == approvals.tasks_for(people.assistant_director)
    with pytest.raises(DomainError, match="Only the head of service can answer"):
        approvals.answer(people.budget_holder, approval, approve=True, now=clock.now())
    approvals.answer(people.head_of_service, approval, approve=True, now=clock.now())
    assert approval.answered_role == "head_of_service"


def test_an_approval_is_refused_to_its_own_requester(world, clock):
    """An officer who is also a budget holder asks: the request goes to someone else, and they cannot answer it."""
    people = deciders(world, clock)
    both = authority_user(world.member, "Cara Dual", "dual@member.example.org", [COMMISSIONING_OFFICER, BUDGET_HOLDER],
                          clock)
    both.approval_limit = Decimal("900000.00")
    db.session.commit()
    approval = ask(world, clock, by=both)
    assert answerer_ids(approval) == [people.budget_holder.id]
    assert approvals.tasks_for(both) == [] and approvals.task_count(both) == 0
    with pytest.raises(DomainError) as refused:
        approvals.answer(both, approval, approve=True, now=clock.now())
    assert refused.value.message == "You cannot answer your own request: someone else must decide it."
    db.session.refresh(approval)
    assert approval.status == "pending" and approval.answered_by_id is None
    # nor on the model itself, whatever the caller
    with pytest.raises(DomainError, match="your own request"):
        approval.approve(both, BUDGET_HOLDER, clock.now())
    # above the other holder's limit, the request goes to the assistant director, never to the requester
    big = ask(world, clock, by=both, weekly=ABOVE)
    assert answerer_ids(big) == [people.assistant_director.id]


def test_a_refusal_needs_its_reason_and_the_requester_is_told(world, clock):
    people = deciders(world, clock)
    approval = ask(world, clock)
    for reason in ("", "   "):
        with pytest.raises(DomainError, match="Give the reason for refusing") as refused:
            approvals.answer(people.budget_holder, approval, approve=False, reason=reason, now=clock.now())
        assert refused.value.field == "reason"
    assert approval.status == "pending"
    approvals.answer(people.budget_holder, approval, approve=False, reason="Use the in-house carers first",
                     now=clock.now())
    assert (approval.status, approval.reason) == ("refused", "Use the in-house carers first")
    told = db.session.scalars(db.select(Notification).where(Notification.user_id == world.member_officer.id)).all()
    assert [n.subject for n in told][-1].startswith("Your request was refused: funding for the referral")
    assert "Use the in-house carers first" in told[-1].body and told[-1].link == f"/authority/approvals/{approval.id}"
    mail = db.session.scalars(db.select(OutboxMessage).where(
        OutboxMessage.to_address == world.member_officer.email)).all()
    assert mail[-1].subject == told[-1].subject
    with pytest.raises(DomainError, match="already been answered"):
        approvals.answer(people.budget_holder, approval, approve=True, now=clock.now())


def test_those_who_may_answer_are_told_when_a_request_arrives(world, clock):
    people = deciders(world, clock)
    approval = ask(world, clock)
    to_holder = db.session.scalars(db.select(OutboxMessage).where(
        OutboxMessage.to_address == people.budget_holder.email)).all()
    assert len(to_holder) == 1 and to_holder[0].subject.startswith("Approval needed: funding for the referral")
    assert "£2,000.00 a week (£104,000.00 a year)" in to_holder[0].body
    assert f"/authority/approvals/{approval.id}" in to_holder[0].body
    for other in (people.head_of_service, people.assistant_director):
        assert db.session.scalar(db.select(db.func.count(Notification.id)).where(
            Notification.user_id == other.id)) == 0


def test_request_and_answer_are_audited(world, clock):
    people = deciders(world, clock)
    approval = ask(world, clock)
    approvals.answer(people.budget_holder, approval, approve=True, now=clock.now())
    events = db.session.scalars(db.select(AuditEvent).where(AuditEvent.entity_type == "approval",
                                                            AuditEvent.entity_id == approval.id)
                                .order_by(AuditEvent.id)).all()
    assert [(e.action, e.actor_id) for e in events] == [("approval.requested", world.member_officer.id),
                                                        ("approval.answered", people.budget_holder.id)]
    assert json.loads(events[0].after)["annual_cost"] == "104000.00"
    assert json.loads(events[1].before) == {"status": "pending"}
    assert json.loads(events[1].after) == {"status": "approved", "role": "budget_holder", "reason_given": False}


def test_the_requester_withdraws_a_pending_request_and_nobody_else_can(world, clock):
    people = deciders(world, clock)
    approval = ask(world, clock)
    with pytest.raises(DomainError, match="Only the person who asked"):
        approvals.withdraw(people.budget_holder, approval, clock.now())
    approvals.withdraw(world.member_officer, approval, clock.now())
    assert approval.status == "withdrawn" and approvals.tasks_for(people.budget_holder) == []
    with pytest.raises(DomainError, match="cannot withdraw this request: it is withdrawn"):
        approvals.withdraw(world.member_officer, approval, clock.now())
    with pytest.raises(DomainError, match="already been answered or closed"):
        approvals.answer(people.budget_holder, approval, approve=True, now=clock.now())
    assert db.session.scalars(db.select(AuditEvent.action).where(AuditEvent.entity_type == "approval")
                             .order_by(AuditEvent.id)).all()[-1] \
        == "approval.withdrawn"


def test_a_new_request_replaces_the_earlier_one_and_only_the_latest_counts(world, clock):
    people = deciders(world, clock)
    referral = draft_referral(world, clock)
    first = ask(world, clock, referral, kind=PLACEMENT_COST, basis="bid 1")
    approvals.answer(people.budget_holder, first, approve=True, now=clock.now())
    assert approvals.granted(referral, PLACEMENT_COST, basis="bid 1", weekly_cost=WITHIN) is first
    second = ask(world, clock, referral, kind=PLACEMENT_COST, basis="bid 2")
    assert first.status == "replaced" and first.closed_at == clock.now()
    assert approvals.granted(referral, PLACEMENT_COST, basis="bid 1", weekly_cost=WITHIN) is None
    assert approvals.latest(referral, PLACEMENT_COST) is second
    assert approvals.tasks_for(people.budget_holder) == [second]


def test_stale_approvals_do_not_count(world, clock):
    """Funding approved at the indicative price stops counting when the price changes; publishing says why."""
    people = deciders(world, clock)
    referral = draft_referral(world, clock, indicative_weekly_price=Decimal("1200.00"))
    approval = referrals.ask_funding(world.member_officer, referral, expected_weekly=None, now=clock.now())
    approvals.answer(people.budget_holder, approval, approve=True, now=clock.now())
    assert referrals.funding_approval(referral) is approval and referrals.funding_problem(referral) is None
    referrals.update(world.member_officer, referral, fields={"indicative_weekly_price": Decimal("1300.00")}, child={},
                     now=clock.now())
    assert referrals.funding_approval(referral) is None
    assert referrals.funding_problem(referral) == ("The funding was approved for £1,200.00 a week but the indicative "
                                                   "price is now £1,300.00: ask again")
    with pytest.raises(DomainError, match="ask again"):
        referrals.publish(world.member_officer, referral, clock.now())
    assert approvals.granted(referral, PLACEMENT_COST) is None  # another kind never counts either


def test_another_authoritys_approval_is_not_found(world, clock):
    deciders(world, clock)
    approval = ask(world, clock)
    outsider_holder = authority_user(world.outsider, "Uma Elsewhere", "budget@outside.example.org", [BUDGET_HOLDER],
                                     clock)
    outsider_holder.approval_limit = Decimal("999999.00")
    db.session.commit()
    for user in (outsider_holder, world.outside_admin, world.lead_officer):
        with pytest.raises(NotFound):
            approvals.get_for_authority(user, approval.id)
        with pytest.raises(NotFound):
            approvals.answer(user, approval, approve=True, now=clock.now())
    assert approvals.tasks_for(outsider_holder) == []
    # nobody outside the member authority can ask about its referral either
    with pytest.raises(NotFound):
        ask(world, clock, approval_subject(approval), by=world.outside_admin)
    # a provider, an evaluator: not readers of approvals
    for user in (world.provider_a, world.evaluator):
        with pytest.raises(NotFound):
            approvals.get_for_authority(user, approval.id)


def approval_subject(approval: Approval):
    return approvals.subject_of(approval)


def test_a_figure_is_needed_and_sane(world, clock):
    referral = draft_referral(world, clock)
    for weekly, message in ((None, "Enter the weekly cost"), (Decimal("0"), "more than £0"),
                            (Decimal("100000.01"), "no more than £100,000")):
        with pytest.raises(DomainError, match=message) as refused:
            ask(world, clock, referral, weekly=weekly)
        assert refused.value.field == "weekly_cost"
    assert db.session.scalar(db.select(db.func.count(Approval.id))) == 0


def _counts():
    return (db.session.scalar(db.select(db.func.count(Approval.id))),
            db.session.scalar(db.select(db.func.count(AuditEvent.id))),
            db.session.scalar(db.select(db.func.count(Notification.id))))


def test_asking_again_for_the_same_figures_keeps_the_standing_request(world, clock):
    """A double submit or a stale page: an approved (or pending) request for the same figures and basis stands,
    nothing is recorded and nobody is told again."""
    people = deciders(world, clock)
    referral = draft_referral(world, clock)
    first = ask(world, clock, referral, kind=PLACEMENT_COST, basis="bid 1")
    before = _counts()
    again = ask(world, clock, referral, kind=PLACEMENT_COST, basis="bid 1")
    assert again is first and again.already_asked and first.status == "pending" and _counts() == before
    approvals.answer(people.budget_holder, first, approve=True, now=clock.now())
    before = _counts()
    again = ask(world, clock, referral, kind=PLACEMENT_COST, basis="bid 1")
    assert again is first and first.status == "approved" and _counts() == before
    assert approvals.granted(referral, PLACEMENT_COST, basis="bid 1", weekly_cost=WITHIN) is first
    # other figures still replace it
    other = ask(world, clock, referral, kind=PLACEMENT_COST, basis="bid 1", weekly=Decimal("2100.00"))
    assert other is not first and first.status == "replaced" and not other.already_asked


def test_a_refused_request_can_be_asked_again_with_the_same_figures(world, clock):
    people = deciders(world, clock)
    referral = draft_referral(world, clock)
    first = ask(world, clock, referral)
    approvals.answer(people.budget_holder, first, approve=False, reason="No budget this quarter", now=clock.now())
    second = ask(world, clock, referral)
    assert second is not first and first.status == "replaced" and second.status == "pending"


def test_a_request_nobody_can_answer_is_refused_and_nothing_is_made(world, clock):
    referral = draft_referral(world, clock)
    before = _counts()
    with pytest.raises(DomainError, match=r"Nobody at Member Council can approve £104,000.00 a year: no budget "
                                          r"holder's limit covers it and there is no assistant director\. Ask your "
                                          r"user administrator\."):
        ask(world, clock, referral)
    with pytest.raises(DomainError, match="there is no head of service other than you"):
        ask(world, clock, referral, kind=SENIOR_AGREEMENT, basis="provider 1")
    assert _counts() == before
    # a budget holder whose limit is too low, and an assistant director who is the requester, do not count
    holder = authority_user(world.member, "Low Limit", "low@member.example.org", [BUDGET_HOLDER], clock)
    holder.approval_limit = Decimal("1000.00")
    officer = world.member_officer
    db.session.add(UserRole(user_id=officer.id, role=ASSISTANT_DIRECTOR))
    db.session.commit()
    db.session.refresh(officer)
    with pytest.raises(DomainError, match="no assistant director other than you"):
        ask(world, clock, referral)
    assert _counts() == before


def test_withdrawing_the_referral_closes_its_pending_requests(world, clock):
    people = deciders(world, clock)
    referral = draft_referral(world, clock)
    pending = ask(world, clock, referral)
    other = ask(world, clock, referral, kind=SENIOR_AGREEMENT, basis="provider 1")
    referrals.withdraw(world.member_officer, referral, "No longer needed", clock.now())
    assert (pending.status, other.status, pending.closed_at) == ("withdrawn", "withdrawn", clock.now())
    assert approvals.tasks_for(people.budget_holder) == [] and approvals.tasks_for(people.head_of_service) == []
    closed = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "approval.closed")).all()
    assert len(closed) == 2
    with pytest.raises(DomainError, match="already been answered or closed"):
        approvals.answer(people.budget_holder, pending, approve=True, now=clock.now())


def test_a_request_about_a_withdrawn_referral_cannot_be_answered(world, clock):
    people = deciders(world, clock)
    referral = draft_referral(world, clock)
    pending = ask(world, clock, referral)
    referral.withdrawn_at = clock.now()  # withdrawn without closing (as before the fix, or by another path)
    db.session.commit()
    assert approvals.tasks_for(people.budget_holder) == []
    with pytest.raises(DomainError, match="has been withdrawn: this request no longer needs an answer"):
        approvals.answer(people.budget_holder, pending, approve=True, now=clock.now())
    db.session.refresh(pending)
    assert pending.status == "pending"


def test_placing_the_child_closes_the_referrals_pending_requests_and_nobody_answers_them(world, clock):
    from tests.buyer.test_off_framework_service import place, place_args, provider_with_references, searched_referral

    people = deciders(world, clock)
    referral = searched_referral(world, clock)
    provider = provider_with_references(world.member_officer, clock)
    stray = ask(world, clock, referral, weekly=Decimal("999.00"))  # a request left waiting (funding asked again)
    place(world, clock, referral, provider, **place_args(clock))
    db.session.refresh(stray)
    assert (stray.status, stray.closed_at) == ("withdrawn", clock.now())
    assert approvals.tasks_for(people.budget_holder) == []
    closed = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "approval.closed")).all()
    assert [event.entity_id for event in closed] == [stray.id]
    # one still waiting (as before this rule) cannot be answered once the child is placed
    stray.status, stray.closed_at = "pending", None
    db.session.commit()
    with pytest.raises(DomainError, match="has been placed: this request no longer needs an answer"):
        approvals.answer(people.budget_holder, stray, approve=True, now=clock.now())
