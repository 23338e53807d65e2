"""Lots in age categories, as people use them: the administrator adds a fostering lot in three age categories
(a gap refused first), and a provider gives a weekly price for each category it offers; axe-checked."""

import pytest
from playwright.sync_api import Page, expect

from portal.extensions import db
from portal.models import EntryWindow, Lot, User
from portal.services import dps_setup
from tests.factories import PASSWORD, complete_application


def sign_in(page: Page, email: str, accessible) -> None:
    page.goto("/sign-in")
    accessible("sign in")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def fill_category(page: Page, number: int, low: str, high: str, tiers: str) -> None:
    row = page.get_by_role("group", name=f"Age category {number}")
    row.get_by_label("From age").fill(low)
    row.get_by_label("To age").fill(high)
    row.get_by_label("Tiers").fill(tiers)


def test_the_administrator_sets_up_a_lot_in_three_age_categories(page: Page, live_portal, accessible, screenshot):
    world = live_portal.world
    sign_in(page, world.admin_email, accessible)
    accessible("DPS set-up")
    page.get_by_role("link", name=world.dps_name).click()
    expect(page.get_by_role("heading", level=1, name=world.dps_name)).to_be_visible()
    accessible("the DPS")
    page.get_by_role("button", name="Add a lot").click()
    expect(page.get_by_role("heading", level=1, name="Add a lot")).to_be_visible()
    accessible("add a lot")

    page.get_by_label("Name").fill("Standard foster care")
    fill_category(page, 1, "0", "4", "3")
    fill_category(page, 2, "6", "10", "3")  # a gap: nobody covers 5-year-olds
    fill_category(page, 3, "11", "17", "3")
    page.get_by_role("button", name="Save lot").click()
    summary = page.get_by_role("alert").filter(has_text="There is a problem")
    expect(summary).to_contain_text("No category covers age 5: the categories must follow on without a gap")
    accessible("a gap between age categories")
    screenshot("lot-categories-gap")
    summary.get_by_role("link").click()
    expect(page.get_by_role("group", name="Age category 2").get_by_label("From age")).to_be_focused()

    page.get_by_role("group", name="Age category 2").get_by_label("From age").fill("5")
    page.get_by_role("button", name="Save lot").click()
    expect(page.get_by_role("alert", name="Success")).to_contain_text("Lot 4: Standard foster care added")
    row = page.get_by_role("region", name="Lots").get_by_role("row").filter(has_text="Standard foster care")
    expect(row).to_contain_text("0 to 17")
    expect(row).to_contain_text("Ages 0 to 4: 3 tiers")
    expect(row).to_contain_text("Ages 5 to 10: 3 tiers")
    expect(row).to_contain_text("Ages 11 to 17: 3 tiers")
    accessible("the DPS with a lot in age categories")
    screenshot("lot-categories-saved")

    # Changing it shows the categories again, with the rows still free below them.
    row.get_by_role("link", name="Change").click()
    expect(page.get_by_role("group", name="Age category 3").get_by_label("To age")).to_have_value("17")
    expect(page.get_by_role("group", name="Age category 4").get_by_label("From age")).to_have_value("")
    accessible("change a lot in age categories")


@pytest.fixture
def priced_draft(live_portal, clock):
    """Lot 1 divided into 0 to 4, 5 to 10 and 11 to 17, and Alpha Care's draft application for it."""

    def make():
        admin = db.session.scalar(db.select(User).where(User.email == live_portal.world.admin_email))
        provider = db.session.scalar(db.select(User).where(User.email == "alpha@provider.example.org"))
        lot = db.session.scalar(db.select(Lot).where(Lot.dps_id == live_portal.world.dps_id, Lot.number == 1))
        dps_setup.update_lot(admin, lot, name=lot.name, description="",
                             categories=[(0, 4, 3), (5, 10, 3), (11, 17, 3)], now=clock.now())
        window = db.session.get(EntryWindow, live_portal.world.window_id)
        application = complete_application(provider, window, clock, lots=[lot])
        return application.id, lot.label

    return live_portal.run(make)


def test_the_provider_prices_each_age_category_it_offers(page: Page, live_portal, priced_draft, accessible,
                                                          screenshot):
    application_id, lot_label = priced_draft
    sign_in(page, "alpha@provider.example.org", accessible)
    accessible("provider dashboard")
    page.goto(f"/provider/applications/{application_id}/prices")
    expect(page.get_by_role("heading", level=1, name="Weekly prices")).to_be_visible()
    accessible("weekly prices per age category")
    lot = page.get_by_role("group", name=lot_label)
    lot.get_by_role("textbox", name="Ages 0 to 4").fill("")
    lot.get_by_role("textbox", name="Ages 5 to 10").fill("8x5")
    lot.get_by_role("textbox", name="Ages 11 to 17").fill("905")
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_role("alert").filter(has_text="There is a problem")).to_contain_text(
        "Lot 1, ages 5 to 10: Enter the weekly price in pounds and pence, like 1,450.00")
    accessible("a bad price for one age category")
    screenshot("prices-per-category-error")
    lot.get_by_role("textbox", name="Ages 5 to 10").fill("820")
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_role("alert", name="Success")).to_contain_text("Weekly prices saved")
    accessible("application after pricing")

    page.goto(f"/provider/applications/{application_id}/submit")
    accessible("check your answers")
    prices = page.locator("#check-lots")
    expect(prices).to_contain_text("Ages 0 to 4: Not offered")
    expect(prices).to_contain_text("Ages 5 to 10: £820.00 per week")
    expect(prices).to_contain_text("Ages 11 to 17: £905.00 per week")
    screenshot("prices-per-category-check")
