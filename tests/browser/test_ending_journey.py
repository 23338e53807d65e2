"""A placement ending with the provider's short notice: the provider gives notice in the portal (the 28-day rule
explained first) for an end date 20 days away; the officer, told of it, finds the placement among those ending,
records the ending as unplanned (a first try without saying whether it was planned is refused), and sees the
breach on the placement, the child's history and the spend. Every page is checked with axe; the provider's pages
never show who the child is."""

from datetime import timedelta
from types import SimpleNamespace

from playwright.sync_api import Page, expect

from portal.extensions import db
from portal.models import Dps, User
from portal.timezone import to_local
from tests.browser.test_placement_journey import PRIVATE, fill_date, success
from tests.factories import PASSWORD, placed

OFFICER = "officer@member.example.org"
ALPHA = "alpha@provider.example.org"


def a_placement(live_portal, clock) -> str:
    def work():
        users = {user.email: user for user in db.session.scalars(db.select(User))}
        dps = db.session.scalars(db.select(Dps)).first()
        world = SimpleNamespace(provider_a=users[ALPHA], member_officer=users[OFFICER], lots=list(dps.lots),
                                member=users[OFFICER].organisation, deciders=None)
        return placed(world, clock).agreement_reference

    return live_portal.run(work)


def sign_in(page: Page, accessible, email: str) -> None:
    page.goto("/sign-in")
    accessible("sign in")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    accessible(f"{email} signed in")


def menu(page: Page, accessible, name: str, heading: str) -> None:
    page.get_by_role("navigation", name="Menu").get_by_role("link", name=name, exact=True).click()
    expect(page.get_by_role("heading", level=1, name=heading)).to_be_visible()
    accessible(name)


def no_child_identity(page: Page) -> None:
    text = page.content()
    assert not [secret for secret in PRIVATE if secret in text], page.url


def test_provider_gives_short_notice_and_officer_records_the_ending(page: Page, live_portal, accessible, clock):
    agreement = a_placement(live_portal, clock)
    today = to_local(clock.now()).date()
    end = today + timedelta(days=20)

    # The provider gives notice, the rule explained before it does.
    sign_in(page, accessible, ALPHA)
    menu(page, accessible, "Placements", "Your placements")
    no_child_identity(page)
    page.get_by_role("link", name=agreement).click()
    expect(page.get_by_text("28 calendar days' written notice")).to_be_visible()
    accessible("the provider's placement")
    no_child_identity(page)
    fill_date(page.get_by_role("group", name="End date"), str(end.day), str(end.month), str(end.year))
    page.get_by_label("Reason", exact=True).select_option(label="The provider could not meet the child's needs")
    page.get_by_role("button", name="Give notice").click()
    success(page, "fewer than 28 days' notice, recorded as a breach")
    expect(page.get_by_text("Fewer than 28 days' written notice: a breach of the agreement")).to_be_visible()
    accessible("notice given")
    no_child_identity(page)
    page.get_by_role("button", name="Sign out").click()
    success(page, "You have signed out")
    accessible("signed out")

    # The officer finds it among the placements ending and records the ending.
    sign_in(page, accessible, OFFICER)
    menu(page, accessible, "Placements", "Placements")
    page.get_by_label("Status").select_option(label="Ending")
    page.get_by_role("button", name="Filter").click()
    row = page.get_by_role("row").filter(has_text=agreement)
    expect(row).to_contain_text("Ending")
    accessible("placements ending")
    row.get_by_role("link", name=agreement).click()
    expect(page.get_by_role("heading", level=1, name="Placement with Alpha Care")).to_be_visible()
    accessible("the placement, notice given")
    page.get_by_role("link", name="Complete or correct the ending").click()
    accessible("record the ending")
    page.get_by_role("button", name="Record the ending").click()
    expect(page.get_by_role("alert").filter(has_text="There is a problem")).to_contain_text(
        "Select whether the ending was planned")
    accessible("the ending refused")
    page.get_by_role("group", name="Was the ending planned?").get_by_label("Unplanned").check()
    page.get_by_role("button", name="Record the ending").click()
    success(page, "the provider gave short notice, recorded as a breach")
    expect(page.get_by_text("Unplanned ending")).to_be_visible()
    accessible("the placement, its ending recorded")

    # The child's history and the spend.
    page.get_by_role("link", name="Kestrel Quennell-Abara").click()
    expect(page.get_by_role("heading", level=1, name="Kestrel Quennell-Abara")).to_be_visible()
    expect(page.get_by_role("row").filter(has_text=agreement)).to_contain_text("unplanned")
    accessible("the child's history")
    menu(page, accessible, "Children", "Children")
    menu(page, accessible, "Placements", "Placements")
    page.get_by_role("link", name="spend by provider").click()
    expect(page.get_by_role("heading", level=1, name="Spend on placements")).to_be_visible()
    accessible("spend")
