"""The Tasks page and the approval pages: what is asked, the figures and who asked; approving, and refusing with a
reason, through the pages; the requester's withdrawal; the Tasks page's queries at two sizes."""

from decimal import Decimal

import pytest

from portal.extensions import db
from portal.models import Approval, Notification, OutboxMessage
from portal.models.approval import FUNDING, NEW_SEARCH_HEAD
from portal.models.user import (
    ASSISTANT_DIRECTOR,
    BUDGET_HOLDER,
    COMMISSIONING_OFFICER,
    HEAD_OF_SERVICE,
    USER_ADMINISTRATOR,
)
from portal.services import approvals, referrals
from tests.buyer.test_off_framework_service import exhausted_referral, provider_with_references
from tests.factories import authority_user, deciders, draft_referral
from tests.portal.test_auth_routes import assert_form_not_sent, csrf_sign_in, csrf_token_of, text_of
from tests.portal.test_query_counts import assert_constant


@pytest.fixture
def asked(world, clock):
    deciders(world, clock)
    referral = draft_referral(world, clock, indicative_weekly_price=Decimal("1450.00"))
    return referrals.ask_funding(world.member_officer, referral, expected_weekly=None, now=clock.now())


def test_the_tasks_page_shows_what_is_asked_the_figures_and_who_asked(world, clock, sign_in, asked):
    holder = sign_in(world.deciders.budget_holder)
    page = text_of(holder.get("/authority/tasks"))
    for shown in ("Approvals to answer", "Funding for the referral", "£1,450.00",
                  "£75,400.00", "Mo Officer", f'href="/authority/approvals/{asked.id}"'):
        assert shown in page, shown
    assert "Quality-assurance visits due" not in page  # an officer's task
    page = text_of(holder.get(f"/authority/approvals/{asked.id}"))
    for shown in ("Funding for referral", "at its indicative weekly price", "£1,450.00", "£75,400.00",
                  "Mo Officer", "You answer as budget holder", "Send your answer"):
        assert shown in page, shown
    # the head of service and the assistant director have nothing to do here
    for person in (world.deciders.head_of_service, world.deciders.assistant_director):
        assert "No approvals are waiting for you" in text_of(sign_in(person).get("/authority/tasks"))


def test_refusing_needs_a_reason_and_loses_nothing_then_the_officer_is_told(world, clock, sign_in, asked):
    holder = sign_in(world.deciders.budget_holder)
    url = f"/authority/approvals/{asked.id}/answer"
    response = holder.post(url, data={"decision": "", "reason": ""})
    assert response.status_code == 400 and "Choose whether you approve or refuse" in text_of(response)
    response = holder.post(url, data={"decision": "refuse", "reason": "  "})
    assert response.status_code == 400 and "Give the reason for refusing" in text_of(response)
    assert 'href="#reason"' in text_of(response)
    assert db.session.get(Approval, asked.id).status == "pending"
    response = holder.post(url, data={"decision": "refuse", "reason": "Ask the in-house fostering team first"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/authority/tasks")
    db.session.expire_all()
    approval = db.session.get(Approval, asked.id)
    assert (approval.status, approval.reason) == ("refused", "Ask the in-house fostering team first")
    subject = db.session.scalars(db.select(Notification.subject).where(
        Notification.user_id == world.member_officer.id).order_by(Notification.id)).all()[-1]
    assert subject.startswith("Your request was refused")
    assert db.session.scalar(db.select(db.func.count(OutboxMessage.id)).where(
        OutboxMessage.to_address == world.member_officer.email, OutboxMessage.subject == subject)) == 1
    officer = sign_in(world.member_officer)
    page = text_of(officer.get(f"/authority/referrals/{approval.subject_id}"))
    assert "The funding was refused: change the referral or ask again" in page
    assert "Refused by Bea Okonkwo-Lind (Budget holder)" in page
    # answered: it cannot be answered again
    again = holder.post(url, data={"decision": "approve"})
    assert again.status_code == 400 and "already been answered" in text_of(again)


def test_the_requester_may_withdraw_but_not_answer(world, clock, sign_in, asked):
    officer = sign_in(world.member_officer)
    page = text_of(officer.get(f"/authority/approvals/{asked.id}"))
    assert "You asked for this approval, so someone else must answer it" in page
    assert "Send your answer" not in page
    response = officer.post(f"/authority/approvals/{asked.id}/withdraw")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Approval, asked.id).status == "withdrawn"
    assert "No approvals are waiting for you" in text_of(sign_in(world.deciders.budget_holder).get("/authority/tasks"))
    # the budget holder cannot withdraw someone else's request
    response = sign_in(world.deciders.budget_holder).post(f"/authority/approvals/{asked.id}/withdraw")
    assert response.status_code == 400
    assert "Only the person who asked can withdraw this request." in text_of(response)


def test_an_approval_above_the_holders_limit_waits_for_the_assistant_director(world, clock, sign_in):
    people = deciders(world, clock)
    referral = draft_referral(world, clock, indicative_weekly_price=Decimal("3500.00"))  # 182,000 a year
    approval = referrals.ask_funding(world.member_officer, referral, expected_weekly=None, now=clock.now())
    holder = sign_in(people.budget_holder)
    assert "No approvals are waiting for you" in text_of(holder.get("/authority/tasks"))
    assert ("This request is above your approval limit of £150,000.00 a year: it goes to the assistant director"
            in text_of(holder.get(f"/authority/approvals/{approval.id}")))
    director = sign_in(people.assistant_director)
    assert "£182,000.00" in text_of(director.get("/authority/tasks"))
    assert director.post(f"/authority/approvals/{approval.id}/answer", data={"decision": "approve"}).status_code == 302
    db.session.expire_all()
    assert referrals.funding_approval(referral).answered_role == "assistant_director"
    page = text_of(sign_in(world.member_officer).get(f"/authority/referrals/{referral.id}"))
    assert "Approved by Ari Lindqvist (Assistant director)" in page


def test_tasks_page_query_count(world, clock, sign_in):
    people = deciders(world, clock)

    def add_requests(start, stop):
        for index in range(start, stop):
            referral = draft_referral(world, clock, indicative_weekly_price=Decimal("1000.00") + index)
            approvals.request(world.member_officer, referral, kind=FUNDING, summary=f"Funding number {index}",
                              weekly_cost=referral.indicative_weekly_price, now=clock.now())

    assert_constant(sign_in(people.budget_holder), "/authority/tasks", add_requests,
                    shows=lambda index: f"£{1000 + index:,}.00")


def test_a_request_without_figures_says_so_on_the_tasks_page(world, clock, sign_in):
    """A decision that is not about money (here a head of service's agreement to a new search) shows no figure, not
    the word None."""
    people = deciders(world, clock)
    referral = draft_referral(world, clock)
    approvals.request(world.member_officer, referral, kind=NEW_SEARCH_HEAD, weekly_cost=None,
                      summary="A new search after an unplanned ending", now=clock.now())
    page = text_of(sign_in(people.head_of_service).get("/authority/tasks"))
    assert "A head of service's agreement to a new search" in page
    assert page.count("No figure") == 2 and ">None<" not in page


def test_someone_holding_every_role_is_offered_none_of_their_own_requests(world, clock, sign_in):
    """An officer who is also budget holder (with the highest limit), head of service, assistant director and user
    administrator asks, through the pages, for the off-framework search, then the agreement and the cost: none is
    on their own Tasks page, none can they answer, and each goes to the colleague who may give it."""
    people = deciders(world, clock)
    everything = authority_user(world.member, "Eli Everyrole", "every@member.example.org",
                                [COMMISSIONING_OFFICER, BUDGET_HOLDER, HEAD_OF_SERVICE, ASSISTANT_DIRECTOR,
                                 USER_ADMINISTRATOR], clock)
    everything.approval_limit = Decimal("900000.00")
    db.session.commit()
    referral = exhausted_referral(world, clock)
    provider = provider_with_references(everything, clock)
    client = sign_in(everything)
    url = f"/authority/referrals/{referral.id}/off-framework"
    assert client.post(url, data={"expected_weekly": "2,000.00", "notes": ""}).status_code == 302
    assert client.post(f"{url}/approvals", data={"agreed_provider_id": str(provider.id),
                                                 "weekly_cost": "2,000.00"}).status_code == 400  # search first
    search = approvals.latest(referral, "off_framework_search")
    assert sign_in(people.budget_holder).post(f"/authority/approvals/{search.id}/answer",
                                              data={"decision": "approve"}).status_code == 302
    assert client.post(f"{url}/approvals", data={"agreed_provider_id": str(provider.id),
                                                 "weekly_cost": "2,000.00"}).status_code == 302
    asked = [search, approvals.latest(referral, "senior_agreement"), approvals.latest(referral, "placement_cost")]
    tasks = text_of(client.get("/authority/tasks"))
    assert "Approvals to answer" not in tasks  # an officer sees the section only when something waits
    told = db.session.scalars(db.select(Notification.subject).where(Notification.user_id == everything.id)).all()
    assert [subject for subject in told if subject.startswith("Approval needed")] == [
        f"Approval needed: funding for the referral, referral {referral.reference}"]  # asked by a colleague
    for approval in asked[1:]:
        page = text_of(client.get(f"/authority/approvals/{approval.id}"))
        assert "You asked for this approval, so someone else must answer it" in page and "Send your answer" not in page
        refused = client.post(f"/authority/approvals/{approval.id}/answer", data={"decision": "approve"})
        assert refused.status_code == 400 and "You cannot answer your own request" in text_of(refused)
    db.session.expire_all()
    assert [db.session.get(Approval, approval.id).status for approval in asked] == ["approved", "pending", "pending"]
    assert "A senior manager's agreement" in text_of(sign_in(people.head_of_service).get("/authority/tasks"))
    assert "The cost of the placement" in text_of(sign_in(people.budget_holder).get("/authority/tasks"))


def test_answering_or_withdrawing_without_the_forms_csrf_token_is_refused(csrf_app, world, clock):
    deciders(world, clock)
    referral = draft_referral(world, clock, indicative_weekly_price=Decimal("1450.00"))
    asked = referrals.ask_funding(world.member_officer, referral, expected_weekly=None, now=clock.now())
    holder = csrf_sign_in(csrf_app, world.deciders.budget_holder)
    officer = csrf_sign_in(csrf_app, world.member_officer)
    for client, url, data in ((holder, f"/authority/approvals/{asked.id}/answer", {"decision": "approve"}),
                              (officer, f"/authority/approvals/{asked.id}/withdraw", {})):
        assert_form_not_sent(client.post(url, data=data))
        assert_form_not_sent(client.post(url, data={**data, "csrf_token": "forged"}))
    db.session.expire_all()
    assert db.session.get(Approval, asked.id).status == "pending"
    token = csrf_token_of(holder.get(f"/authority/approvals/{asked.id}"))
    assert holder.post(f"/authority/approvals/{asked.id}/answer",
                       data={"decision": "approve", "csrf_token": token}).status_code == 302
