"""A provider completes its quarterly return: the administrator sets the questions, the scheduler requests the
return at the quarter's end, the provider is refused a word where a number is asked, saves, then submits; the
administrator sees the answers on the returns page and on the provider's KPI page. Every page is checked with axe."""

from datetime import datetime

from playwright.sync_api import Page, expect

from portal.extensions import db
from portal.models import Dps, User
from portal.services import quarterly_returns as returns
from tests.factories import PASSWORD, admit


def sign_in(page: Page, accessible, email: str) -> None:
    page.goto("/sign-in")
    accessible("sign in")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    accessible(f"signed in as {email}")


def admitted_in_april(live_portal, clock) -> None:
    def work():
        provider = db.session.scalars(db.select(User).where(User.email == "alpha@provider.example.org")).one()
        dps = db.session.scalars(db.select(Dps)).first()
        admit(provider, dps.lots[0], clock=clock).admitted_at = datetime(2026, 4, 15)

    live_portal.run(work)


def test_a_provider_completes_its_quarterly_return_and_the_administrator_sees_it(page: Page, live_portal,
                                                                                 accessible, clock):
    admitted_in_april(live_portal, clock)
    world = live_portal.world

    # The administrator asks two questions.
    sign_in(page, accessible, world.admin_email)
    page.goto(f"/admin/dps/{world.dps_id}")
    accessible("the DPS")
    page.get_by_role("link", name="Questions of the quarterly return and when it is due").click()
    accessible("return questions")
    page.get_by_label("Question", exact=True).fill("Vacancies on the last day of the quarter")
    page.get_by_role("button", name="Add the question").click()
    expect(page.get_by_role("alert", name="Success")).to_contain_text("Question added")
    accessible("question added")
    page.get_by_label("Question", exact=True).fill("Anything the consortium should know")
    page.get_by_label("Text").check()
    page.get_by_role("button", name="Add the question").click()
    expect(page.get_by_role("table")).to_contain_text("Anything the consortium should know")
    accessible("two questions")
    page.get_by_role("button", name="Sign out").click()
    accessible("signed out")

    # The scheduler requests the returns of Q2 (the clock is in Q3).
    assert live_portal.run(lambda: returns.run_due(clock.now())) == ["quarterly returns requested: 1",
                                                                     "quarterly returns overdue: 1"]

    sign_in(page, accessible, "alpha@provider.example.org")
    page.get_by_role("link", name="Returns", exact=True).click()
    accessible("returns list")
    page.get_by_role("link", name="Q2 2026-27 (July to September 2026)").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Quarterly return for Q2 2026-27")
    accessible("return form")
    page.get_by_label("Vacancies on the last day of the quarter").fill("two")
    page.get_by_role("button", name="Submit the return").click()
    expect(page.get_by_role("alert")).to_contain_text("Tick to confirm the answers are complete and correct")
    accessible("return not confirmed")
    page.get_by_label("These answers are complete and correct").check()
    page.get_by_role("button", name="Submit the return").click()
    expect(page.get_by_role("alert")).to_contain_text("Enter a number for")
    accessible("return refused")
    page.get_by_label("Vacancies on the last day of the quarter").fill("2")
    page.get_by_role("button", name="Save and come back later").click()
    expect(page.get_by_role("alert", name="Success")).to_contain_text("Answers saved")
    accessible("answers saved")
    page.get_by_label("Anything the consortium should know").fill("A new registered manager started in August.")
    page.get_by_label("These answers are complete and correct").check()
    page.get_by_role("button", name="Submit the return").click()
    expect(page.get_by_role("alert", name="Success")).to_contain_text("submitted")
    expect(page.get_by_role("row").filter(has_text="Q2 2026-27")).to_contain_text("Submitted")
    accessible("return submitted")
    page.get_by_role("link", name="Q2 2026-27 (July to September 2026)").click()
    expect(page.get_by_text("A submitted return cannot be changed")).to_be_visible()
    expect(page.get_by_role("button", name="Submit the return")).to_have_count(0)
    accessible("submitted return")
    page.goto("/provider/kpis")
    expect(page.get_by_role("heading", level=1, name="Your quarterly KPIs")).to_be_visible()
    accessible("provider's own KPIs")
    page.get_by_role("button", name="Sign out").click()
    accessible("signed out")

    # The administrator sees the submitted return and its answers beside the provider's KPIs.
    sign_in(page, accessible, world.admin_email)
    page.goto(f"/admin/dps/{world.dps_id}")
    accessible("the DPS again")
    page.get_by_role("link", name="Quarterly returns").click()
    expect(page.get_by_role("row").filter(has_text="Alpha Care")).to_contain_text("Submitted")
    accessible("returns of the quarter")
    page.get_by_role("link", name="Alpha Care").click()
    expect(page.get_by_role("table")).to_contain_text("A new registered manager started in August.")
    accessible("the return")
    page.get_by_role("link", name="Alpha Care's KPIs for Q2 2026-27").click()
    expect(page.locator("#return-answers")).to_contain_text("2")
    accessible("provider's KPIs")
    page.goto(f"/admin/dps/{world.dps_id}/kpis")
    expect(page.get_by_role("row").filter(has_text="Alpha Care")).to_be_visible()
    accessible("ranking")
