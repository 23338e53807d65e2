"""Part 1's journey: the administrator allocates a provider to a contract manager; the contract manager sees it
on the dashboard and opens the contract page; the provider adds a setting and offers it in a bid (its area and
description filled from the setting). Every page is checked with axe."""

import re
from datetime import timedelta

from playwright.sync_api import Page, expect

from portal.extensions import db
from portal.models import Bid, Setting, User
from portal.services import referrals
from tests.factories import PASSWORD, admit, contract_manager, published_referral


def sign_in(page: Page, accessible, email: str) -> None:
    page.goto("/sign-in")
    accessible("sign in")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    accessible(f"signed in as {email}")


def sign_out(page: Page, accessible) -> None:
    page.get_by_role("button", name="Sign out").click()
    accessible("signed out")


def success(page: Page, text: str) -> None:
    expect(page.get_by_role("alert", name="Success")).to_contain_text(text)


def test_allocate_see_on_the_dashboard_add_a_setting_and_offer_it(page: Page, live_portal, accessible, clock):
    def setup():
        from types import SimpleNamespace

        from portal.models import Dps, Lot

        dps = db.session.get(Dps, live_portal.world.dps_id)
        lots = list(db.session.scalars(db.select(Lot).where(Lot.dps_id == dps.id).order_by(Lot.number)))
        alpha = db.session.scalars(db.select(User).where(User.email == "alpha@provider.example.org")).one()
        officer = db.session.scalars(db.select(User).where(User.email == "officer@member.example.org")).one()
        admit(alpha, lots[0], clock=clock)
        world = SimpleNamespace(dps=dps, lots=lots, member_officer=officer, member=officer.organisation)
        contract_manager(world, clock, at=officer.organisation, name="Owen Bright",
                         email="contracts@member.example.org")
        referral = published_referral(world, clock, lot=lots[0], deadline=clock.now() + timedelta(days=10))
        referrals.invitation_for(alpha, referral.id)
        return referral.id

    referral_id = live_portal.run(setup)

    # The administrator allocates Alpha Care to the member's contract manager.
    sign_in(page, accessible, live_portal.world.admin_email)
    page.goto(f"/admin/dps/{live_portal.world.dps_id}")
    accessible("DPS set-up")
    page.get_by_role("link", name="Providers' contract managers").click()
    expect(page.get_by_role("heading", level=1, name="Providers' contract managers")).to_be_visible()
    accessible("allocation list")
    page.get_by_role("link", name="Allocate the contract manager of Alpha Care").click()
    accessible("allocation form")
    page.get_by_label("Contract manager").select_option(label="Owen Bright, Member Council")
    page.get_by_role("button", name="Save allocation").click()
    success(page, "Alpha Care allocated to Owen Bright")
    accessible("allocated")
    sign_out(page, accessible)

    # The contract manager sees it on the dashboard and opens the contract page.
    sign_in(page, accessible, "contracts@member.example.org")
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Contracts").click()
    expect(page.get_by_role("heading", level=1, name="Your providers' contracts")).to_be_visible()
    accessible("dashboard")
    page.get_by_role("link", name=re.compile("^Alpha Care")).click()
    expect(page.get_by_role("heading", level=1, name="Alpha Care")).to_be_visible()
    expect(page.get_by_text("Owen Bright, Member Council")).to_be_visible()
    accessible("contract page")
    sign_out(page, accessible)

    # The provider adds a setting (a mistake first) and offers it in a bid.
    sign_in(page, accessible, "alpha@provider.example.org")
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Settings").click()
    accessible("settings")
    page.get_by_role("button", name="Add a setting").click()
    accessible("setting form")
    page.get_by_label("Name of the setting").fill("Mill Lane House")
    page.get_by_label("Type of setting").select_option(label="Children's home")
    page.get_by_label("Ofsted URN (optional)").fill("SC654321")  # Beta Homes'
    page.get_by_label("Area").select_option(label="Oldham")
    page.get_by_label("Address").fill("2 Mill Lane, Oldham")
    page.get_by_label("Description (optional)").fill("A three-bedroom home with waking night staff")
    page.get_by_role("button", name="Add setting").click()
    expect(page.get_by_role("alert")).to_contain_text("Another setting or provider is registered under this")
    accessible("setting refused")
    page.get_by_label("Ofsted URN (optional)").fill("SC200001")
    page.get_by_role("button", name="Add setting").click()
    success(page, "Mill Lane House added to your settings")
    accessible("setting added")

    page.goto(f"/provider/referrals/{referral_id}/bid")
    expect(page.get_by_role("heading", level=1, name="Send a bid")).to_be_visible()
    accessible("bid form")
    page.get_by_label("Core weekly fee").fill("1850.00")
    start = (clock.now() + timedelta(days=14)).date()
    group = page.get_by_role("group", name="Proposed start date")
    for part, value in zip(("Day", "Month", "Year"), (start.day, start.month, start.year), strict=True):
        group.get_by_label(part).fill(str(value))
    page.get_by_label("The setting you are offering").select_option(label="Mill Lane House (URN SC200001)")
    page.get_by_label("How you will meet the child's needs").fill("A key worker and a college link worker.")
    page.get_by_role("button", name="Send bid").click()
    success(page, "Your bid has been sent")
    accessible("bid sent")

    def offered():
        bid = db.session.scalars(db.select(Bid)).one()
        setting = db.session.scalars(db.select(Setting).where(Setting.name == "Mill Lane House")).one()
        return bid.setting_id == setting.id, bid.home_area, bid.home_description

    assert live_portal.run(offered) == (True, "Oldham", "A three-bedroom home with waking night staff")
