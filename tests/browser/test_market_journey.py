"""The market in the browser: a provider publishes a vacancy (refused first for a telephone number in its notes), an
officer finds it beside a draft referral and on the vacancy board, then reads the analytics page with its charts
and tables; the consortium administrator reads every member's analytics and one member's. Every page is checked
with axe."""

from datetime import date
from types import SimpleNamespace

from playwright.sync_api import Page, expect

from portal.extensions import db
from portal.models import Dps, User
from tests.browser.test_caution_journey import sign_in
from tests.factories import LANCASHIRE, admit, draft_referral
from tests.portal.test_analytics import placement


def draft_and_history(live_portal, clock) -> int:
    """provider_a admitted to lot 1; a draft referral for a 17-year-old wanted in Lancashire; placements this year."""
    def work():
        users = {user.email: user for user in db.session.scalars(db.select(User))}
        dps = db.session.scalars(db.select(Dps)).first()
        officer = users["officer@member.example.org"]
        world = SimpleNamespace(provider_a=users["alpha@provider.example.org"], member_officer=officer,
                                lots=list(dps.lots), member=officer.organisation, lead=dps.lead_authority)
        admit(world.provider_a, world.lots[0], clock=clock)
        for number, (start, in_area, weekly) in enumerate(((date(2026, 5, 4), True, "1250.00"),
                                                           (date(2026, 8, 3), False, "1480.00"),
                                                           (date(2026, 10, 5), True, "1390.00"))):
            placement(world, start=start, in_area=in_area, weekly=weekly, tier=1 + number % 2)
        return draft_referral(world, clock, age_years=17, preferred_areas=[LANCASHIRE]).id

    return live_portal.run(work)


def fill_date(page: Page, legend: str, day: str, month: str, year: str) -> None:
    group = page.get_by_role("group", name=legend)
    group.get_by_label("Day").fill(day)
    group.get_by_label("Month").fill(month)
    group.get_by_label("Year").fill(year)


def test_an_officer_finds_a_vacancy_for_a_draft_referral_and_reads_the_analytics(page: Page, live_portal,
                                                                                   accessible, clock):
    referral_id = draft_and_history(live_portal, clock)

    # The provider publishes a vacancy in Chorley, a district of Lancashire.
    sign_in(page, accessible, "alpha@provider.example.org")
    page.get_by_role("link", name="Vacancies", exact=True).click()
    expect(page.get_by_role("heading", level=1, name="Your vacancies")).to_be_visible()
    accessible("the provider's vacancies, none yet")
    page.get_by_role("button", name="Publish a vacancy").click()
    accessible("publish a vacancy")
    page.get_by_label("Lot").select_option(index=1)
    page.get_by_label("The home or service").fill("Chorley Lodge")
    page.get_by_label("Area of the home").select_option(label="Chorley (Lancashire)")
    page.get_by_label("Youngest age").fill("16")
    page.get_by_label("Oldest age").fill("18")
    fill_date(page, "Free from", "9", "11", "2026")
    fill_date(page, "Free until", "31", "12", "2026")
    page.get_by_label("Notes (optional)").fill("Call the manager on 0161 496 0123")
    page.get_by_role("button", name="Publish the vacancy").click()
    expect(page.get_by_role("alert")).to_contain_text("Remove a telephone number")
    accessible("vacancy refused")
    page.get_by_label("Notes (optional)").fill("A ground-floor room near the college.")
    page.get_by_role("button", name="Publish the vacancy").click()
    expect(page.get_by_role("alert", name="Success")).to_contain_text("Vacancy published")
    expect(page.get_by_role("row").filter(has_text="Chorley Lodge")).to_contain_text("Shown")
    accessible("vacancy published")
    page.get_by_role("button", name="Sign out").click()
    accessible("signed out")

    # The officer sees it beside the draft referral, and on the board filtered by the county.
    sign_in(page, accessible, "officer@member.example.org")
    page.goto(f"/authority/referrals/{referral_id}")
    section = page.locator("#matching-vacancies")
    expect(section.get_by_role("heading", name="Vacancies that match")).to_be_visible()
    expect(section.get_by_role("row").filter(has_text="Chorley Lodge")).to_contain_text("Alpha Care")
    accessible("draft referral with a matching vacancy")
    page.get_by_role("link", name="Vacancies", exact=True).click()
    accessible("vacancy board")
    page.get_by_label("Area").select_option(label="Lancashire")
    page.get_by_label("Child's age").fill("17")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("row").filter(has_text="Chorley Lodge")).to_contain_text("Chorley (Lancashire)")
    assert f"area={LANCASHIRE}" in page.url and "age=17" in page.url
    accessible("vacancy board filtered")

    # The analytics: every figure a chart with its table and a CSV download.
    page.get_by_role("link", name="Analytics", exact=True).click()
    expect(page.get_by_role("heading", level=1, name="Sufficiency and spend analytics")).to_be_visible()
    expect(page.get_by_role("img", name="Chart: Placements in the authority's own area. The figures are in the "
                                       "table that follows.")).to_be_visible()
    table = page.locator("#figure-in-area-table")
    expect(table.get_by_role("row").filter(has_text="Q1 2026-27")).to_contain_text("100.0%")
    expect(table.get_by_role("row").filter(has_text="Q2 2026-27")).to_contain_text("0.0%")
    accessible("analytics")
    page.get_by_label("From", exact=True).select_option("2026-Q1")
    page.get_by_label("To", exact=True).select_option("2026-Q2")
    page.get_by_role("button", name="Show the figures").click()
    expect(page.locator("#figure-framework-table").get_by_role("row")).to_have_count(3)
    assert "from=2026-Q1" in page.url and "to=2026-Q2" in page.url
    accessible("analytics for two quarters")
    with page.expect_download() as download:
        page.locator('a[href^="/authority/analytics/framework.csv"]').click()
    assert download.value.suggested_filename == "framework-2026-Q1-to-2026-Q2.csv"
    page.get_by_role("button", name="Sign out").click()
    accessible("signed out again")

    # The consortium administrator: every member, then the member alone.
    sign_in(page, accessible, "admin@lead.example.org")
    page.get_by_role("link", name="Consortium analytics").click()
    expect(page.get_by_text("All the consortium's authorities")).to_be_visible()
    accessible("consortium analytics")
    page.get_by_label("Authority", exact=True).select_option(label="Member Council")
    page.get_by_role("button", name="Show the figures").click()
    expect(page.locator(".govuk-caption-l")).to_have_text("Member Council")
    expect(page.locator("#figure-weekly-price-table")).to_contain_text("tier 1")
    accessible("one member's analytics")
