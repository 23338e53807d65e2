"""An authority's user administrator invites a colleague as budget holder (who follows the e-mailed link, creates her
account and lands on her Tasks, with the referrals to read), sets the budget holder's annual
approval limit (refused first in words), and deactivates someone; a provider's user administrator makes a colleague
its signatory. Every page is checked with axe."""

import re

from playwright.sync_api import Page, expect

from portal.extensions import db
from portal.models import Organisation, OutboxMessage, User
from portal.models.user import USER_ADMINISTRATOR
from portal.services import accounts
from tests.factories import PASSWORD, authority_user, without_user_administrators


def sign_in(page: Page, accessible, email: str) -> None:
    page.goto("/sign-in")
    accessible("sign in")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    accessible(f"signed in as {email}")


def test_an_authoritys_user_administrator_manages_its_staff(page: Page, live_portal, accessible, clock):
    def setup():
        member = db.session.scalars(db.select(Organisation).where(Organisation.name == "Member Council")).one()
        authority_user(member, "Uma Admin", "ua@member.example.org", [USER_ADMINISTRATOR], clock)

    live_portal.run(setup)
    sign_in(page, accessible, "ua@member.example.org")
    expect(page).to_have_url(re.compile(r"/authority/staff$"))
    expect(page.get_by_role("heading", level=1, name="Staff")).to_be_visible()

    # Invite a colleague as budget holder; they accept.
    page.get_by_label("E-mail address").fill("bea.budget@member.example.org")
    page.get_by_role("checkbox", name="Budget holder").check()
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_role("alert", name="Success")).to_contain_text("Invitation sent to bea.budget@member")
    accessible("invitation sent")

    expect(page.get_by_text("bea.budget@member.example.org, as Budget holder, sent")).to_be_visible()

    # She follows the link in her e-mail, creates her account and lands on her Tasks, with the referrals to read.
    link = live_portal.run(lambda: re.search(r"/invitations/\S+", db.session.scalars(db.select(OutboxMessage).where(
        OutboxMessage.to_address == "bea.budget@member.example.org")).one().body).group(0))
    page.get_by_role("button", name="Sign out").click()
    accessible("signed out")
    page.goto(link)
    expect(page.get_by_text("You have been invited to join Member Council")).to_be_visible()
    accessible("invitation")
    page.get_by_label("Your full name").fill("Bea Budget")
    page.get_by_label("Create a password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page).to_have_url(re.compile(r"/authority/tasks$"))
    expect(page.get_by_role("alert", name="Success")).to_contain_text("Welcome to the placements portal, Bea Budget")
    accessible("the budget holder's tasks")
    page.get_by_role("link", name="Referrals").click()
    expect(page.get_by_role("heading", level=1, name="Referrals")).to_be_visible()
    expect(page.get_by_role("link", name="New referral")).to_have_count(0)
    accessible("the budget holder reads the referrals")
    page.get_by_role("button", name="Sign out").click()
    accessible("signed out")

    sign_in(page, accessible, "ua@member.example.org")
    expect(page.get_by_text("Invitations waiting")).to_have_count(0)

    # An invitation sent to a wrong address is withdrawn.
    page.get_by_label("E-mail address").fill("bea.budget@member.exmaple.org")
    page.get_by_role("checkbox", name="Budget holder").check()
    page.get_by_role("button", name="Send invitation").click()
    accessible("a second invitation sent")
    page.get_by_role("button", name="Withdraw the invitation to bea.budget@member.exmaple.org").click()
    expect(page.get_by_role("alert", name="Success")).to_contain_text("is withdrawn: its link no longer works")
    expect(page.get_by_text("Invitations waiting")).to_have_count(0)
    accessible("invitation withdrawn")
    page.get_by_role("link", name="Bea Budget").click()
    expect(page.get_by_role("heading", level=1, name="Bea Budget")).to_be_visible()
    expect(page.get_by_text("No approval limit is set for Bea Budget")).to_be_visible()
    accessible("budget holder's page")

    # A limit in words is refused; a real one is saved and shown by the year and the week.
    page.get_by_label("Annual approval limit").fill("a hundred thousand")
    page.get_by_role("button", name="Save approval limit").click()
    expect(page.get_by_role("alert")).to_contain_text("Enter the annual approval limit in pounds and pence")
    accessible("approval limit refused")
    page.get_by_label("Annual approval limit").fill("156,000")
    page.get_by_role("button", name="Save approval limit").click()
    expect(page.get_by_role("alert", name="Success")).to_contain_text("Approval limit of Bea Budget saved")
    expect(page.locator("#approval-limit-now")).to_have_text(
        "Bea Budget may approve up to £156,000.00 a year (about £3,000.00 a week).")
    accessible("approval limit saved")

    # Deactivate the officer.
    page.get_by_role("link", name="Back to staff").click()
    accessible("staff list")
    page.get_by_role("link", name="Mo Officer").click()
    accessible("officer's page")
    page.get_by_role("button", name="Deactivate account").click()
    expect(page.get_by_role("alert", name="Success")).to_contain_text("Mo Officer's account is deactivated")
    accessible("officer deactivated")
    page.get_by_role("link", name="Back to staff").click()
    expect(page.get_by_role("row").filter(has_text="Mo Officer")).to_contain_text("Deactivated")
    expect(page.get_by_role("row").filter(has_text="Bea Budget")).to_contain_text("Approves up to £156,000.00 a year")
    accessible("staff list after deactivating")


def test_a_providers_user_administrator_makes_a_colleague_signatory(page: Page, live_portal, accessible, clock):
    def setup():
        provider = db.session.scalars(db.select(User).where(User.email == "alpha@provider.example.org")).one()
        token = accounts.invite(provider, provider.organisation, "pat@alpha.example.org", set(), clock.now())
        accounts.accept_invitation(token, "Pat Plain", PASSWORD, clock.now())

    live_portal.run(setup)
    sign_in(page, accessible, "alpha@provider.example.org")
    page.get_by_role("link", name="Team").click()
    expect(page.get_by_role("row").filter(has_text="Pat Plain")).to_contain_text("Provider user")
    accessible("team")
    page.get_by_role("link", name="Pat Plain").click()
    accessible("colleague's page")
    page.get_by_role("checkbox", name="Signatory").check()
    page.get_by_role("button", name="Save roles").click()
    expect(page.get_by_role("alert", name="Success")).to_contain_text("Roles of Pat Plain saved")
    accessible("signatory granted")
    page.get_by_role("link", name="Back to team").click()
    expect(page.get_by_role("row").filter(has_text="Pat Plain")).to_contain_text("Provider user, Signatory")
    accessible("team with the signatory")


def test_the_consortium_administrator_sets_a_limit_and_steps_in_at_a_provider(page: Page, live_portal, accessible,
                                                                               clock):
    def setup():
        member = db.session.scalars(db.select(Organisation).where(Organisation.name == "Member Council")).one()
        authority_user(member, "Bea Budget", "bea@member.example.org", ["budget_holder"], clock)
        provider = db.session.scalars(db.select(User).where(User.email == "alpha@provider.example.org")).one()
        token = accounts.invite(provider, provider.organisation, "pat@alpha.example.org", set(), clock.now())
        accounts.accept_invitation(token, "Pat Plain", PASSWORD, clock.now())
        return member.id

    live_portal.run(setup)
    sign_in(page, accessible, "admin@lead.example.org")
    page.goto("/admin/users")
    accessible("users")
    page.get_by_role("link", name="Bea Budget").click()
    accessible("budget holder")
    page.get_by_label("Annual approval limit").fill("104000")
    page.get_by_role("button", name="Save approval limit").click()
    expect(page.locator("#approval-limit-now")).to_contain_text("about £2,000.00 a week")
    accessible("limit saved")

    page.goto("/admin/providers")
    accessible("provider register")
    page.get_by_role("link", name="Alpha Care").first.click()
    accessible("provider")
    # Alpha Care's own user administrator manages its colleagues: the consortium administrator does not step in.
    expect(page.get_by_text("Alpha Care has an active user administrator")).to_be_visible()
    expect(page.get_by_role("button", name="Make Pat Plain a user administrator")).to_have_count(0)

    def nobody_left():
        provider = db.session.scalars(db.select(Organisation).where(Organisation.name == "Alpha Care")).one()
        without_user_administrators(provider)

    live_portal.run(nobody_left)
    page.reload()
    accessible("provider with nobody to manage it")
    page.get_by_role("button", name="Make Pat Plain a user administrator").click()
    expect(page.get_by_role("alert", name="Success")).to_contain_text("Pat Plain is now a user administrator")
    expect(page.get_by_role("row").filter(has_text="Pat Plain")).to_contain_text("User administrator")
    accessible("stepped in")
