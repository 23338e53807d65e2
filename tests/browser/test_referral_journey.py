"""A commissioning officer drafts a referral, is shown the child's name left in the text, removes it and asks for
the funding to be approved; the budget holder approves it from their Tasks page (after being refused an answer
without a decision); the officer then publishes to tier 1 with the default deadline. Every page is checked with
axe."""

import re
from decimal import Decimal

from playwright.sync_api import Page, expect

from portal.extensions import db
from portal.models import Lot, Organisation, User
from portal.models.user import BUDGET_HOLDER
from tests.factories import PASSWORD, admit, authority_user

OFFICER = "officer@member.example.org"
HOLDER = "budget@member.example.org"


def sign_in(page: Page, accessible, email: str) -> None:
    page.goto("/sign-in")
    accessible("sign in")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_officer_drafts_checks_and_publishes_a_referral(page: Page, live_portal, accessible, clock):
    world = live_portal.world

    def admit_providers():
        lot = db.session.get(Lot, db.session.scalar(db.select(Lot.id).where(Lot.dps_id == world.dps_id,
                                                                            Lot.number == 1)))
        alpha = db.session.scalar(db.select(User).where(User.email == "alpha@provider.example.org"))
        beta = db.session.scalar(db.select(User).where(User.email == "beta@provider.example.org"))
        admit(alpha, lot, clock=clock)
        admit(beta, lot, tier=1, caution=True, clock=clock)

    live_portal.run(admit_providers)

    def add_budget_holder():
        member = db.session.scalar(db.select(Organisation).where(Organisation.name == "Member Council"))
        holder = authority_user(member, "Bea Okonkwo-Lind", HOLDER, [BUDGET_HOLDER], clock)
        holder.approval_limit = Decimal("150000.00")

    live_portal.run(add_budget_holder)

    page.goto("/sign-in")
    accessible("sign in")
    page.get_by_label("E-mail address").fill(OFFICER)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    accessible("officer dashboard")
    page.get_by_role("link", name="Referrals", exact=True).click()
    expect(page.get_by_role("heading", level=1, name="Referrals")).to_be_visible()
    accessible("referrals list, empty")

    page.get_by_role("button", name="New referral").click()
    accessible("choose the lot")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("alert")).to_contain_text("Select the lot the placement is for")
    accessible("choose the lot, with an error")
    page.get_by_role("radio", name=re.compile(world.lots[0])).check()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1, name="New referral")).to_be_visible()
    accessible("the referral form")

    page.get_by_label("Child's age in years").fill("200")
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_role("alert")).to_contain_text("Enter an age from 0 to 25")
    accessible("the referral form, with errors")

    page.get_by_role("group", name="When is the placement needed?").get_by_label("Within 5 days").check()
    # Two preferred areas from the list, and a note for detail.
    page.get_by_label("Preferred area", exact=True).select_option(label="Tameside")
    page.get_by_label("Second preferred area (optional)").select_option(label="Stockport")
    page.get_by_label("More about the preferred location (optional)").fill("Within a bus ride of Ashton")
    page.get_by_role("group", name="Can the child live with pets?").get_by_label("No", exact=True).check()
    page.get_by_role("group", name="Risks to the child").get_by_label("Going missing").check()
    page.get_by_label("Child's age in years").fill("16")
    start = page.get_by_role("group", name="Date the placement must start")
    for part, value in zip(("Day", "Month", "Year"), ("4", "1", "2027"), strict=True):
        start.get_by_label(part).fill(value)
    page.get_by_label("Expected duration").fill("Until 18")
    page.get_by_label("Summary of the child's needs").fill("Kestrel needs a steady key worker and help with money.")
    page.get_by_label("Indicative weekly price (optional)").fill("1200")
    page.get_by_label("First names").fill("Kestrel")
    page.get_by_label("Surname").fill("Quennell-Abara")
    born = page.get_by_role("group", name="Date of birth")
    for part, value in zip(("Day", "Month", "Year"), ("14", "3", "2010"), strict=True):
        born.get_by_label(part).fill(value)
    page.get_by_label("Case number").fill("CN-48213-Q")
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_role("alert", name="Success")).to_contain_text("Draft referral T-DPS-R0001 saved")
    expect(page.get_by_text("Only Member Council can see this.")).to_be_visible()
    expect(page.get_by_text("Tameside or Stockport: Within a bus ride of Ashton")).to_be_visible()
    accessible("the draft referral")

    page.get_by_role("link", name="Check it for anything that identifies the child").click()
    expect(page.locator("mark", has_text="Kestrel")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("Summary of needs: Remove the child's name “Kestrel”")
    accessible("the anonymity check, with a finding")
    page.get_by_role("link", name="Change summary of needs").click()
    expect(page).to_have_url(re.compile(r"/edit#needs_summary$"))
    accessible("the referral form, to change the summary")
    page.get_by_label("Summary of the child's needs").fill("Needs a steady key worker and help with money.")
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_role("alert", name="Success")).to_contain_text("Draft saved")
    accessible("the draft after the change")

    expect(page.get_by_text("The budget holder is asked to approve the indicative weekly price, £1,200.00 "
                            "(£62,400.00 a year)")).to_be_visible()
    page.get_by_role("button", name="Ask a budget holder to approve the funding").click()
    expect(page.get_by_role("alert", name="Success")).to_contain_text("Approval of the funding asked for")
    expect(page.get_by_role("table", name="Approvals asked for, newest first")).to_contain_text("Waiting for an answer")
    accessible("the draft with its funding asked for")
    page.get_by_role("link", name="Check it for anything that identifies the child").click()
    expect(page.get_by_text("The funding approval is waiting for an answer")).to_be_visible()
    accessible("the anonymity check, the funding waiting")
    page.get_by_role("button", name="Sign out").click()
    accessible("signed out")

    # The budget holder signs in to their Tasks page and approves the funding.
    sign_in(page, accessible, HOLDER)
    expect(page.get_by_role("heading", level=1, name="Tasks")).to_be_visible()
    expect(page.get_by_role("link", name="Tasks (1)")).to_be_visible()
    tasks = page.get_by_role("table", name="Approvals to answer")
    expect(tasks).to_contain_text("T-DPS-R0001")
    expect(tasks).to_contain_text("£1,200.00")
    expect(tasks).to_contain_text("£62,400.00")
    expect(tasks).to_contain_text("Mo Officer")
    accessible("the budget holder's tasks")
    tasks.get_by_role("link", name=re.compile("Funding for the referral")).click()
    expect(page.get_by_role("heading", level=1, name="Funding for the referral")).to_be_visible()
    accessible("the approval, to answer")
    page.get_by_role("link", name="Read referral T-DPS-R0001").click()
    expect(page.get_by_text("You can read this referral because you decide approvals")).to_be_visible()
    expect(page.get_by_role("link", name="Publish it to the providers")).to_have_count(0)
    accessible("the referral, read by the budget holder")
    page.go_back()
    accessible("the approval, again")
    page.get_by_role("button", name="Send your answer").click()
    expect(page.get_by_role("alert")).to_contain_text("Choose whether you approve or refuse")
    accessible("the approval, with an error")
    page.get_by_role("radio", name="Approve").check()
    page.get_by_role("button", name="Send your answer").click()
    expect(page.get_by_role("alert", name="Success")).to_contain_text("Funding for the referral: approved")
    expect(page.get_by_text("No approvals are waiting for you.")).to_be_visible()
    accessible("the budget holder's tasks, answered")
    page.get_by_role("button", name="Sign out").click()
    accessible("signed out")

    # The officer is told, and publishes.
    sign_in(page, accessible, OFFICER)
    accessible("officer dashboard")
    page.get_by_role("link", name=re.compile("Notifications")).click()
    accessible("the officer's notifications")
    page.get_by_role("button", name=re.compile(r"^Open\W+Your request was approved")).first.click()
    expect(page.get_by_role("heading", level=1, name="Funding for the referral")).to_be_visible()
    expect(page.get_by_text("Approved by Bea Okonkwo-Lind (Budget holder)")).to_be_visible()
    accessible("the approval, answered, as the officer reads it")
    page.get_by_role("link", name="Read referral T-DPS-R0001").click()
    expect(page.get_by_text("Approved by Bea Okonkwo-Lind (Budget holder)").first).to_be_visible()
    accessible("the draft with its funding approved")

    page.get_by_role("link", name="Check it for anything that identifies the child").click()
    expect(page.get_by_text("Ready to publish")).to_be_visible()
    accessible("the anonymity check, ready")
    page.get_by_role("button", name="Continue to publish").click()
    expect(page.get_by_role("table", name=re.compile("2 providers will be invited"))).to_be_visible()
    expect(page.get_by_text("Place with caution", exact=True)).to_be_visible()
    accessible("publish confirmation")
    page.get_by_role("button", name="Publish and invite providers").click()
    expect(page.get_by_role("alert", name="Success")).to_contain_text("published: 2 providers invited to bid")
    # Within 5 days, from Monday 2 November 10:00: midday two working days later
    expect(page.get_by_text("Bids close on 4 November 2026 at 12:00pm")).to_be_visible()
    accessible("the published referral")

    page.get_by_role("link", name="Back to referrals").click()
    expect(page.get_by_role("row").filter(has_text="T-DPS-R0001")).to_contain_text("Kestrel Q.")
    accessible("referrals list")


def test_officer_saves_a_partial_draft_and_follows_what_is_still_to_do(page: Page, live_portal, accessible):
    page.goto("/sign-in")
    accessible("sign in")
    page.get_by_label("E-mail address").fill(OFFICER)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    accessible("officer dashboard")
    page.goto("/authority/referrals/new")
    accessible("choose the lot")
    page.get_by_role("radio").first.check()
    page.get_by_role("button", name="Continue").click()
    accessible("the referral form")
    page.get_by_label("Child's age in years").fill("17")
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_role("alert", name="Success")).to_contain_text("Draft referral T-DPS-R0001 saved")
    expect(page.get_by_role("heading", name="Still to do")).to_be_visible()
    accessible("a partial draft, with what is still to do")
    page.get_by_role("link", name="Enter a summary of the child's needs").click()
    expect(page).to_have_url(re.compile(r"/edit#needs_summary$"))
    expect(page.get_by_label("Child's age in years")).to_have_value("17")
    accessible("the partial draft, to complete")
