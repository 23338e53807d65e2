"""The escalation ladder's pages: raising an issue, opening a review, proposing, the letter (read back with
pdftotext), escalating, appealing and deciding; bad input shows every problem and changes nothing; a double
submit changes nothing."""

import io
from datetime import timedelta

import pytest

from portal.extensions import db
from portal.models import Appeal, ContractReview, PerformanceIssue, Sanction
from portal.services import approvals, ladder
from tests.factories import admit, answer_as, contract_manager, contract_of, lead_deciders
from tests.portal.documents.test_evaluation import pdf_text


@pytest.fixture
def case(world, clock):
    admit(world.provider_a, world.lots[0], clock=clock)
    contract = contract_of(world, world.provider_a)
    manager = contract_manager(world, clock)
    contract.contract_manager_id = manager.id
    db.session.commit()
    return contract, manager, lead_deciders(world, clock)


def _day(clock, days):
    day = (clock.now() + timedelta(days=days)).date()
    return [str(day.day), str(day.month), str(day.year)]


def _count(model):
    return db.session.scalar(db.select(db.func.count(model.id)))


def test_an_officer_raises_a_minor_issue_and_the_contract_page_lists_it(world, clock, case, sign_in):
    contract, manager, people = case
    client = sign_in(world.member_officer)
    url = f"/authority/contracts/dps/{world.dps.id}/providers/{world.provider_a.organisation_id}/issues/new"
    response = client.post(url, data={"severity": "", "description": "", "action_1": "", "due_1": ["", "", ""]})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "There is a problem" in page and "Choose whether the issue is minor or significant" in page
    assert "Add at least one action with its due date" in page and _count(PerformanceIssue) == 0
    response = client.post(url, data={"severity": "minor", "description": "Weekly reports late three times",
                                      "action_1": "Send reports each Friday", "due_1": _day(clock, 10)})
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Issue raised" in page and "Send reports each Friday" in page
    page = client.get(f"/authority/contracts/dps/{world.dps.id}/providers/{world.provider_a.organisation_id}") \
        .get_data(as_text=True)
    assert "Weekly reports late three times" in page and "Open a contract review" not in page


def test_the_contract_manager_proposes_a_notice_the_head_approves_and_the_letter_says_it(world, clock, case, sign_in,
                                                                                        tmp_path):
    contract, manager, people = case
    client = sign_in(manager)
    base = f"/authority/contracts/dps/{world.dps.id}/providers/{world.provider_a.organisation_id}"
    assert "Open a contract review" in client.get(base).get_data(as_text=True)
    response = client.post(f"{base}/reviews/new", data={"breach": "", "details": ""})
    assert response.status_code == 400 and "Choose the kind of breach" in response.get_data(as_text=True)
    response = client.post(f"{base}/reviews/new", data={"breach": "other_breach",
                                                        "details": "Monthly returns missing since August"})
    assert response.status_code == 302
    review = db.session.scalar(db.select(ContractReview))
    bad = client.post(f"/authority/contracts/reviews/{review.id}/propose",
                      data={"kind": "notice", "grounds": "", "action_1": "Send the returns", "due_1": ["", "", ""]})
    page = bad.get_data(as_text=True)
    assert bad.status_code == 400 and "Enter the grounds for the sanction" in page
    assert "Enter the date action 1 is due" in page and _count(Sanction) == 0
    data = {"kind": "notice", "grounds": "Monthly returns not sent for three months",
            "action_1": "Send the missing returns", "due_1": _day(clock, 14)}
    response = client.post(f"/authority/contracts/reviews/{review.id}/propose", data=data)
    assert response.status_code == 302
    again = client.post(f"/authority/contracts/reviews/{review.id}/propose", data=data)
    assert again.status_code == 400 and _count(Sanction) == 1  # a double submit proposes nothing more
    notice = db.session.scalar(db.select(Sanction))
    head = sign_in(people.head_of_service)
    approval = approvals.latest(notice, "notice_to_improve")
    assert "notice to improve" in head.get("/authority/tasks").get_data(as_text=True).lower()
    page = head.get(f"/authority/approvals/{approval.id}").get_data(as_text=True)
    assert "Monthly returns not sent for three months" in page and "Read the sanction" in page
    response = head.post(f"/authority/approvals/{approval.id}/answer", data={"decision": "approve"})
    assert response.status_code == 302
    page = client.get(f"/authority/contracts/sanctions/{notice.id}").get_data(as_text=True)
    assert "In force" in page and "Approved by Hal Whitcombe" in page
    letter = client.get(f"/authority/contracts/sanctions/{notice.id}/letter.pdf")
    assert letter.status_code == 200 and letter.mimetype == "application/pdf"
    text = pdf_text(letter.data, tmp_path)
    for expected in ("Written notice to improve: Alpha Care", "Monthly returns not sent for three months",
                     "Send the missing returns", "Your right to appeal", "Lead Council"):
        assert expected in text
    provider = sign_in(world.provider_a)
    page = provider.get(f"/provider/contracts/sanctions/{notice.id}").get_data(as_text=True)
    assert "Written notice to improve" in page and "Hal Whitcombe" not in page and "Appeal" in page
    assert pdf_text(provider.get(f"/provider/contracts/sanctions/{notice.id}/letter.pdf").data, tmp_path)


def _notice_in_force(world, clock, case):
    contract, manager, people = case
    review = ladder.open_review(manager, contract, breach="other_breach", details="d", now=clock.now())
    notice = ladder.propose(manager, contract, kind="notice", grounds="Returns missing", review_on=None,
                            actions=[("Send the returns", (clock.now() + timedelta(days=7)).date())],
                            now=clock.now(), review=review)
    answer_as(people.head_of_service, approvals.latest(notice, "notice_to_improve"), clock)
    return notice


def test_escalating_a_notice_and_the_provider_appealing_then_someone_uninvolved_decides(world, clock, case,
                                                                                        sign_in):
    contract, manager, people = case
    notice = _notice_in_force(world, clock, case)
    client = sign_in(manager)
    bad = client.post(f"/authority/contracts/sanctions/{notice.id}/escalate",
                      data={"kind": "suspension", "grounds": "Not met", "review_on": ["", "", ""]})
    assert bad.status_code == 400 and "Enter the suspension" in bad.get_data(as_text=True)
    response = client.post(f"/authority/contracts/sanctions/{notice.id}/escalate",
                           data={"kind": "suspension", "grounds": "Notice not met", "review_on": _day(clock, 30)})
    assert response.status_code == 302
    suspension = db.session.scalar(db.select(Sanction).where(Sanction.kind == "suspension"))
    answer_as(people.head_of_service, approvals.latest(suspension, "suspension"), clock)
    provider = sign_in(world.provider_a)
    page = provider.get(f"/provider/contracts/sanctions/{suspension.id}").get_data(as_text=True)
    assert "Escalated" in page and "Suspension" in page
    bad = provider.post(f"/provider/contracts/sanctions/{suspension.id}/appeal", data={"grounds": " "})
    assert bad.status_code == 400 and "Enter the grounds of your appeal" in bad.get_data(as_text=True)
    assert _count(Appeal) == 0
    bad = provider.post(f"/provider/contracts/sanctions/{suspension.id}/appeal", content_type="multipart/form-data",
                        data={"grounds": "Posted", "document": (io.BytesIO(b"plain words"), "receipts.pdf")})
    assert bad.status_code == 400 and "must be a PDF" in bad.get_data(as_text=True) and _count(Appeal) == 0
    assert provider.post(f"/provider/contracts/sanctions/{suspension.id}/appeal", content_type="multipart/form-data",
                         data={"grounds": "Returns were posted on time",
                               "document": (io.BytesIO(b"%PDF-1.4\n% receipts\n"), "receipts.pdf")}
                         ).status_code == 302
    document = sign_in(people.second_head).get(f"/authority/contracts/sanctions/{suspension.id}/appeal/document")
    assert document.status_code == 200 and document.data.startswith(b"%PDF-1.4")
    involved = sign_in(people.head_of_service)
    response = involved.post(f"/authority/contracts/sanctions/{suspension.id}/appeal",
                             data={"outcome": "upheld", "reason": "r"})
    assert response.status_code == 400 and "You took part in this sanction" in response.get_data(as_text=True)
    decider = sign_in(people.second_head)
    assert "Appeals to decide" in decider.get("/authority/tasks").get_data(as_text=True)
    response = decider.post(f"/authority/contracts/sanctions/{suspension.id}/appeal",
                            data={"outcome": "upheld", "reason": "Post room records show the returns"})
    assert response.status_code == 302
    page = provider.get(f"/provider/contracts/sanctions/{suspension.id}").get_data(as_text=True)
    assert "Overturned on appeal" in page and "Upheld" in page


def test_the_contract_managers_tasks_list_overdue_actions(world, clock, case, sign_in):
    contract, manager, people = case
    _notice_in_force(world, clock, case)
    clock.advance(days=9)
    page = sign_in(manager).get("/authority/tasks").get_data(as_text=True)
    assert "Contract management overdue" in page and "Send the returns" in page


def test_an_issue_about_one_of_the_officers_placements_names_it(world, clock, sign_in):
    from tests.factories import placed

    placement = placed(world, clock)
    contract = contract_of(world, world.provider_a)
    client = sign_in(world.member_officer)
    url = f"/authority/contracts/dps/{world.dps.id}/providers/{world.provider_a.organisation_id}/issues/new"
    assert placement.agreement_reference in client.get(url).get_data(as_text=True)
    response = client.post(url, data={"severity": "minor", "description": "Missed a statutory visit slot",
                                      "placement_id": str(placement.id), "action_1": "Confirm the visit rota",
                                      "due_1": _day(clock, 7)})
    assert response.status_code == 302
    issue = db.session.scalar(db.select(PerformanceIssue))
    assert issue.placement_id == placement.id and issue.contract_id == contract.id
    assert placement.agreement_reference in client.get(response.headers["Location"]).get_data(as_text=True)


def test_the_approval_page_shows_what_a_sanction_decides_and_no_cost(world, clock, case, sign_in):
    """A sanction has no weekly cost: the head of service reads the step, its grounds, what it does and its actions
    with their due dates instead; the assistant director is told why they cannot answer."""
    contract, manager, people = case
    review = ladder.open_review(manager, contract, breach="other_breach",
                                details="Monthly returns missing since August", now=clock.now())
    due = (clock.now() + timedelta(days=14)).date()
    notice = ladder.propose(manager, contract, kind="notice", grounds="Monthly returns not sent for three months",
                            review_on=None, actions=[("Send the missing returns", due)], now=clock.now(), review=review)
    approval = approvals.latest(notice, "notice_to_improve")
    page = sign_in(people.head_of_service).get(f"/authority/approvals/{approval.id}").get_data(as_text=True)
    assert "No figure" not in page and "Weekly cost" not in page
    assert "Written notice to improve" in page and "Monthly returns not sent for three months" in page
    assert "Other breach of contract: Monthly returns missing since August" in page
    assert f"Action 1, due {due.day} " in page and "Send the missing returns" in page
    assert "Its standing does not change" in page and "Cara Mensah" in page
    page = sign_in(people.assistant_director).get(f"/authority/approvals/{approval.id}").get_data(as_text=True)
    assert "Only the head of service can answer this request." in page


def test_a_suspension_approval_says_its_review_date_and_what_suspension_does(world, clock, case):
    contract, manager, people = case
    review = ladder.open_review(manager, contract, breach="statutory_enforcement", details="Ofsted compliance notice",
                                now=clock.now())
    review_on = (clock.now() + timedelta(days=30)).date()
    suspension = ladder.propose(manager, contract, kind="suspension", grounds="Serious breach", review_on=review_on,
                                actions=[], now=clock.now(), review=review)
    approval = approvals.get_for_authority(people.head_of_service, approvals.latest(suspension, "suspension").id)
    rows = dict(approvals.decision_rows(approval))
    assert not approvals.shows_figures(approval)
    assert rows["Sanction"] == "Suspension" and rows["Grounds"] == "Serious breach"
    assert rows["Suspension review date"].endswith(str(review_on.year)) and "no invitations" in rows["What it does"]


def test_a_head_of_service_reads_the_contract_but_raises_no_issue(world, clock, case, sign_in):
    """Deciders read the contract page; raising a performance issue is an officer's or a contract manager's: no
    link and 403, rather than a form that fails on sending."""
    contract, manager, people = case
    base = f"/authority/contracts/dps/{world.dps.id}/providers/{world.provider_a.organisation_id}"
    head = sign_in(people.head_of_service)
    page = head.get(base)
    assert page.status_code == 200 and "Raise a performance issue" not in page.get_data(as_text=True)
    assert head.get(f"{base}/issues/new").status_code == 403
    assert head.post(f"{base}/issues/new", data={"severity": "minor", "description": "d", "action_1": "a",
                                                 "due_1": _day(clock, 10)}).status_code == 403
    assert _count(PerformanceIssue) == 0
    assert "Raise a performance issue" in sign_in(world.member_officer).get(base).get_data(as_text=True)
