"""The escalation ladder in the browser: the contract manager opens a contract review and proposes a written notice
to improve; the lead's head of service approves it from Tasks; the provider reads the notice and its letter; the
notice not met, the contract manager escalates it to suspension and the head approves; the provider appeals; the
head who approved cannot decide it, and a second head of service, who took no part, upholds it and the suspension
is lifted. Every page is checked with axe."""

from datetime import timedelta

from playwright.sync_api import Page, expect

from portal.extensions import db
from portal.models import Organisation, Sanction, User
from portal.services import standing
from portal.timezone import to_local
from tests.browser.test_ending_journey import sign_in
from tests.browser.test_placement_journey import fill_date, success
from tests.factories import admit, contract_manager, lead_deciders

ALPHA = "alpha@provider.example.org"
MANAGER = "contracts@lead.example.org"
HEAD = "head@lead.example.org"
SECOND_HEAD = "head2@lead.example.org"


def _set_up(live_portal, clock) -> str:
    def work():
        users = {user.email: user for user in db.session.scalars(db.select(User))}
        lead = db.session.scalar(db.select(Organisation).where(Organisation.name == "Lead Council"))
        alpha = users[ALPHA]
        from portal.models import Dps

        dps = db.session.scalars(db.select(Dps)).first()
        admit(alpha, list(dps.lots)[0], clock=clock)
        world = type("World", (), {"lead": lead, "lead_deciders": None})()
        manager = contract_manager(world, clock)
        lead_deciders(world, clock)
        contract = standing.contract_for(dps.id, alpha.organisation_id)
        contract.contract_manager_id = manager.id
        return f"/authority/contracts/dps/{dps.id}/providers/{alpha.organisation_id}"

    return live_portal.run(work)


def _sign_out(page: Page) -> None:
    page.context.clear_cookies()


def _latest_sanction(live_portal) -> int:
    return live_portal.run(lambda: db.session.scalar(db.select(Sanction.id).order_by(Sanction.id.desc())))


def test_a_notice_escalated_to_suspension_and_lifted_on_appeal(page: Page, live_portal, accessible, clock):
    contract_url = _set_up(live_portal, clock)
    today = to_local(clock.now()).date()
    due = today + timedelta(days=14)
    review_on = today + timedelta(days=30)

    # The contract manager opens a review and proposes a notice to improve.
    sign_in(page, accessible, MANAGER)
    page.goto(contract_url)
    accessible("the contract page")
    page.get_by_role("link", name="Open a contract review").click()
    accessible("open a review")
    page.get_by_label("Other breach of contract").check()
    page.get_by_label("What happened").fill("Monthly returns missing since August")
    page.get_by_role("button", name="Open the contract review").click()
    success(page, "Contract review opened")
    accessible("the review")
    page.get_by_label("Written notice to improve").check()
    page.get_by_label("Grounds").fill("Monthly returns not sent for three months")
    page.get_by_label("Action 1", exact=True).fill("Send the missing returns")
    fill_date(page.get_by_role("group", name="Action 1 due on"), str(due.day), str(due.month), str(due.year))
    page.get_by_role("button", name="Propose for approval").click()
    success(page, "Written notice to improve proposed")
    accessible("the proposed notice")
    _sign_out(page)

    # The head of service approves it from Tasks.
    sign_in(page, accessible, HEAD)
    page.goto("/authority/tasks")
    accessible("the head's tasks")
    page.get_by_role("link", name="A written notice to improve").first.click()
    accessible("the approval")
    page.get_by_label("Approve").check()
    page.get_by_role("button", name="Send your answer").click()
    success(page, "approved")
    accessible("after the approval")
    _sign_out(page)
    notice_id = _latest_sanction(live_portal)

    # The provider reads the notice and its letter.
    sign_in(page, accessible, ALPHA)
    page.goto(f"/provider/contracts/sanctions/{notice_id}")
    expect(page.get_by_role("heading", level=1, name="Written notice to improve")).to_be_visible()
    accessible("the provider's notice")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the letter (PDF)").click()
    assert download.value.suggested_filename.endswith(".pdf")
    _sign_out(page)

    # Not met: the contract manager escalates to suspension, the head approves.
    sign_in(page, accessible, MANAGER)
    page.goto(f"/authority/contracts/sanctions/{notice_id}")
    accessible("the notice in force")
    escalate = page.locator(f"form[action$='/sanctions/{notice_id}/escalate']")
    escalate.get_by_label("Suspension", exact=True).check()
    escalate.get_by_label("Grounds").fill("The notice was not met: the returns are still missing")
    fill_date(escalate.get_by_role("group", name="Suspension review date"), str(review_on.day), str(review_on.month),
              str(review_on.year))
    escalate.get_by_role("button", name="Propose for approval").click()
    success(page, "Suspension proposed")
    accessible("the proposed suspension")
    _sign_out(page)
    sign_in(page, accessible, HEAD)
    page.goto("/authority/tasks")
    accessible("the head's tasks again")
    page.get_by_role("link", name="A suspension for breach of contract").first.click()
    accessible("the suspension approval")
    page.get_by_label("Approve").check()
    page.get_by_role("button", name="Send your answer").click()
    success(page, "approved")
    accessible("after the approval")
    _sign_out(page)
    suspension_id = _latest_sanction(live_portal)

    # The provider sees the escalation and appeals.
    sign_in(page, accessible, ALPHA)
    page.goto(f"/provider/contracts/sanctions/{suspension_id}")
    accessible("the provider's suspension")
    expect(page.get_by_role("cell", name="Escalated", exact=True)).to_be_visible()
    page.get_by_role("button", name="Send your appeal").click()
    expect(page.get_by_role("alert")).to_contain_text("Enter the grounds of your appeal")
    accessible("the appeal refused without grounds")
    page.get_by_label("Grounds of your appeal").fill("The returns were sent by post; receipts attached")
    page.get_by_role("button", name="Send your appeal").click()
    success(page, "Appeal sent")
    accessible("after the appeal")
    _sign_out(page)

    # The head who approved cannot decide; the second head of service upholds it.
    sign_in(page, accessible, HEAD)
    page.goto(f"/authority/contracts/sanctions/{suspension_id}")
    expect(page.get_by_text("who took no part in this sanction decides the appeal")).to_be_visible()
    accessible("the suspension for an involved head")
    _sign_out(page)
    sign_in(page, accessible, SECOND_HEAD)
    page.goto("/authority/tasks")
    accessible("the second head's tasks")
    page.get_by_role("link", name="Alpha Care: suspension").click()
    accessible("the appeal to decide")
    page.get_by_label("Upheld", exact=True).check()
    page.get_by_label("Reason for the decision").fill("Post room records show the returns arrived on time")
    page.get_by_role("button", name="Decide the appeal").click()
    success(page, "Appeal upheld")
    accessible("the decided appeal")
    expect(page.get_by_text("Overturned on appeal").first).to_be_visible()
    page.goto(contract_url)
    expect(page.get_by_text("In good standing")).to_be_visible()
    accessible("the contract back in good standing")
    _sign_out(page)

    # The provider's own contract page shows the whole ladder of its case: the notice, the suspension, the appeal.
    sign_in(page, accessible, ALPHA)
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Contracts").click()
    accessible("the provider's contracts")
    page.get_by_role("link", name="(T-DPS)").click()
    sanctions = page.get_by_role("table", name="Sanctions")
    expect(sanctions.get_by_role("row").filter(has_text="Suspension")).to_contain_text("Upheld")
    expect(sanctions.get_by_role("row").filter(has_text="notice to improve")).to_contain_text("Escalated")
    expect(page.get_by_text("In good standing")).to_be_visible()
    accessible("the provider's contract page with its ladder")
