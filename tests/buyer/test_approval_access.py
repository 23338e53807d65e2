"""Who may reach the approval pages (the matrix of tests/portal/test_access_matrix.py, for buyer/approvals.py and
the off-framework placement's request), and what those who decide approvals may reach of the authority's pages.

The records belong to the member authority: a pending funding approval asked by its officer, and an exhausted
referral whose search was approved. The member's officer reaches them; the outsider (an officer of an authority
outside the consortium) gets 404; everyone without an authority role gets 403. A budget holder, head of service
and assistant director of the member reach their Tasks, the approval pages and the member's referrals, read
only, and nothing else of the officers' pages; the budget holder of another authority gets 404 on the member's."""

from decimal import Decimal

import pytest
from flask import url_for

from portal.extensions import db
from portal.models import Approval
from portal.models.user import BUDGET_HOLDER
from portal.services import referrals
from tests.buyer.test_off_framework_service import exhausted_referral
from tests.factories import approve_search, authority_user, deciders, draft_referral
from tests.portal.test_access_matrix import NOT_FOUND, OK, matrix_mismatches, matrix_users, row

AUTHORITYS = row(officer=OK, outsider=NOT_FOUND)

EXPECTED = {
    ("buyer.approval", "GET"): AUTHORITYS,
    ("buyer.approval_answer", "POST"): AUTHORITYS,
    ("buyer.approval_withdraw", "POST"): AUTHORITYS,
    ("buyer.referral_off_framework_approvals", "POST"): AUTHORITYS,
}
# The pages those who decide approvals reach (buyer.views.DECIDER_ENDPOINTS); every other page of the area is the
# officers' alone.
DECIDER_PAGES = {"buyer.tasks", "buyer.approval", "buyer.approval_answer", "buyer.approval_withdraw",
                 "buyer.referral_list", "buyer.referral", "buyer.agreement_countersign", "buyer.agreement_pdf"}


@pytest.fixture
def records(world, clock):
    people = deciders(world, clock)
    draft = draft_referral(world, clock)
    approval = referrals.ask_funding(world.member_officer, draft, expected_weekly=None, now=clock.now())
    exhausted = exhausted_referral(world, clock)
    approve_search(world, exhausted, clock)
    elsewhere = authority_user(world.outsider, "Uma Elsewhere", "budget@outside.example.org", [BUDGET_HOLDER], clock)
    elsewhere.approval_limit = Decimal("900000.00")
    db.session.commit()
    return {"approval_id": approval.id, "referral_id": exhausted.id, "draft_id": draft.id, "people": people,
            "elsewhere": elsewhere}


def url_of(app, endpoint: str, records: dict) -> str:
    rule = next(rule for rule in app.url_map.iter_rules() if rule.endpoint == endpoint)
    return url_for(endpoint, **{argument: records[argument] for argument in rule.arguments})


def test_approval_access_matrix(app, world, records, sign_in):
    # Every POST is sent empty: the answer form refuses it (400); the withdrawal, last, withdraws.
    mismatches = matrix_mismatches(app, EXPECTED, matrix_users(world), sign_in,
                                   lambda endpoint: url_of(app, endpoint, records), lambda endpoint: {})
    assert not mismatches, "\n".join(mismatches)


def test_those_who_decide_reach_their_tasks_approvals_and_referrals_and_nothing_else(app, world, records, sign_in):
    people = records["people"]
    for person in (people.budget_holder, people.head_of_service, people.assistant_director):
        client = sign_in(person)
        assert client.get("/authority/tasks").status_code == 200
        assert client.get(f"/authority/approvals/{records['approval_id']}").status_code == 200
        page = client.get(f"/authority/referrals/{records['draft_id']}")
        assert page.status_code == 200
        assert "You can read this referral because you decide approvals" in page.get_data(as_text=True)
        assert "Publish it to the providers" not in page.get_data(as_text=True)
        assert client.post(f"/authority/approvals/{records['approval_id']}/answer").status_code == 400
        # every officers' page is refused, whatever its record (the contract pages are theirs too: their services
        # check the record, tests/buyer/test_contract_access.py)
        for rule in app.url_map.iter_rules():
            if not rule.endpoint.startswith("buyer.") or rule.endpoint in DECIDER_PAGES \
                    or rule.endpoint.startswith("buyer.contracts_"):
                continue
            url = url_for(rule.endpoint, **{argument: 1 for argument in rule.arguments})
            for method in sorted(rule.methods & {"GET", "POST"}):
                assert client.open(url, method=method).status_code == 403, (person.email, method, url)


def test_another_authoritys_decider_gets_not_found(world, records, sign_in):
    client = sign_in(records["elsewhere"])
    assert client.get("/authority/tasks").status_code == 200
    assert "No approvals are waiting for you" in client.get("/authority/tasks").get_data(as_text=True)
    for url, method in ((f"/authority/approvals/{records['approval_id']}", "GET"),
                        (f"/authority/approvals/{records['approval_id']}/answer", "POST"),
                        (f"/authority/approvals/{records['approval_id']}/withdraw", "POST"),
                        (f"/authority/referrals/{records['draft_id']}", "GET")):
        assert client.open(url, method=method, data={"decision": "approve"}).status_code == 404, url
    assert db.session.get(Approval, records["approval_id"]).status == "pending"


def test_a_decider_who_may_not_answer_is_told_so_and_nothing_changes(world, records, sign_in):
    head = sign_in(records["people"].head_of_service)
    response = head.post(f"/authority/approvals/{records['approval_id']}/answer", data={"decision": "approve"})
    assert response.status_code == 400
    assert "You cannot answer this request" in response.get_data(as_text=True)
    officer = sign_in(world.member_officer)
    response = officer.post(f"/authority/approvals/{records['approval_id']}/answer", data={"decision": "approve"})
    assert response.status_code == 400
    assert "You cannot answer your own request: someone else must decide it." in response.get_data(as_text=True)
    assert db.session.get(Approval, records["approval_id"]).status == "pending"


def test_decision_makers_land_on_their_tasks_and_see_the_count(world, records, sign_in, app):
    from tests.factories import PASSWORD

    client = app.test_client()
    response = client.post("/sign-in", data={"email": records["people"].budget_holder.email, "password": PASSWORD})
    assert response.headers["Location"].endswith("/authority/tasks")
    page = client.get("/authority/tasks").get_data(as_text=True)
    assert "Tasks (1)" in page and "Referrals</a>" not in page
    assert "Tasks (1)" not in sign_in(records["people"].head_of_service).get("/authority/tasks").get_data(as_text=True)
