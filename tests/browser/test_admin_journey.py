"""The consortium administrator opens a scheduled window early and closes an open one, each with a
reason, and looks at the provider register and the audit trail."""

from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from portal.extensions import db
from portal.models import User
from portal.services import windows
from tests.factories import build_dps

OPEN_REASON = "Councils need more 16+ capacity before Christmas"
CLOSE_REASON = "Enough applications received for this round"


@pytest.fixture
def scheduled_dps(live_portal, clock):
    """A second DPS of the same lead authority, whose first window opens in a week."""

    def schedule():
        admin = db.session.scalar(db.select(User).where(User.email == live_portal.world.admin_email))
        dps = build_dps(admin, clock, reference="T2-DPS")
        windows.schedule_window(dps, opens_at=clock.now() + timedelta(days=7),
                                closes_at=clock.now() + timedelta(days=35), now=clock.now(), actor=admin)
        return dps.name

    return live_portal.run(schedule)


def summary_row(page: Page, key: str):
    """A row of a GOV.UK summary list (a description list, so it has no row role)."""
    return page.locator(".govuk-summary-list__row").filter(has=page.get_by_role("term").filter(has_text=key))


def window_form(page: Page, button: str):
    return page.locator("form").filter(has=page.get_by_role("button", name=button))


def test_admin_opens_a_window_early_and_closes_another(page: Page, live_portal, scheduled_dps, accessible,
                                                        screenshot):
    world = live_portal.world

    page.goto("/sign-in")
    accessible("sign in")
    page.get_by_label("E-mail address").fill(world.admin_email)
    page.get_by_label("Password", exact=True).fill(world.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1, name="Dynamic purchasing systems led by Lead Council")).to_be_visible()
    accessible("DPS set-up")

    # Open the second DPS's scheduled window early.
    page.get_by_role("link", name=scheduled_dps).click()
    expect(page.get_by_role("heading", level=1, name=scheduled_dps)).to_be_visible()
    accessible("scheduled DPS")
    expect(page.get_by_role("row", name="Window 1")).to_contain_text("Scheduled")
    page.get_by_role("link", name="Window 1", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Window 1 Scheduled")
    accessible("scheduled window")
    screenshot("admin-window-scheduled")
    opening = window_form(page, "Open window now")
    opening.get_by_role("button", name="Open window now").click()
    expect(page.get_by_role("alert").filter(has_text="There is a problem")).to_contain_text("Give a reason")
    accessible("open early without a reason")
    opening.get_by_label("Reason").fill(OPEN_REASON)
    opening.get_by_role("button", name="Open window now").click()
    expect(page.get_by_role("alert", name="Success")).to_contain_text("Window 1 is open")
    expect(page.get_by_role("heading", level=1)).to_have_text("Window 1 Open")
    expect(summary_row(page, "Opening announced")).not_to_contain_text("Not yet")
    accessible("window opened early")
    screenshot("admin-window-opened")

    # Close the first DPS's open window.
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="DPS set-up").click()
    accessible("DPS set-up again")
    page.get_by_role("link", name=world.dps_name).click()
    expect(page.get_by_role("heading", level=1, name=world.dps_name)).to_be_visible()
    accessible("DPS with an open window")
    page.get_by_role("link", name=world.window_label, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{world.window_label} Open")
    accessible("open window")
    closing = window_form(page, "Close window now")
    closing.get_by_label("Reason").fill(CLOSE_REASON)
    closing.get_by_role("button", name="Close window now").click()
    expect(page.get_by_role("alert", name="Success")).to_contain_text(f"{world.window_label} is closed")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{world.window_label} Closed")
    expect(page.get_by_role("button", name="Close window now")).to_have_count(0)
    accessible("window closed early")

    # The provider register.
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Provider register").click()
    expect(page.get_by_role("heading", level=1, name="Provider register")).to_be_visible()
    for provider in ("Alpha Care", "Beta Homes"):
        expect(page.get_by_role("link", name=provider, exact=True)).to_be_visible()
    accessible("provider register")
    page.get_by_label("Standing").select_option(index=1)
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_role("heading", level=1, name="Provider register")).to_be_visible()
    accessible("provider register, filtered")

    # The audit trail records both actions with their reasons.
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Audit").click()
    expect(page.get_by_role("heading", level=1, name="Audit trail")).to_be_visible()
    expect(page.get_by_role("row").filter(has_text=f"T2-DPS Window 1 opened early: {OPEN_REASON}")).to_contain_text(
        world.admin_email)
    expect(page.get_by_role("row").filter(
        has_text=f"{world.dps_reference} {world.window_label} closed early: {CLOSE_REASON}")).to_contain_text(
        world.admin_email)
    accessible("audit trail")
    screenshot("admin-audit")
    page.get_by_label("Action").select_option(label="Window opened")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_role("row").filter(has_text=OPEN_REASON)).to_have_count(1)
    accessible("audit trail, filtered")
