"""A child's placement from referral to award, as the people involved would make it: the member authority's officer
posts a referral and publishes it with a deadline of their choosing; two invited providers bid (one with an
additional cost) and get their receipts, a third declines; the officer sees the bids sealed before the deadline; the
clock moves past it and the scheduler closes the round; the officer signs in again, scores both bids side by side,
awards the top-ranked one and downloads the individual placement agreement; the winner reads its award and the
other bidder its rank. Every page is checked with axe, and no provider page shows who the child is."""

import io
import re
from datetime import datetime

from playwright.sync_api import Page, expect
from pypdf import PdfReader

from portal.extensions import db
from portal.models import Lot, User
from portal.scheduler import run_time_events
from tests.factories import (
    CHILD_CASE_NUMBER,
    CHILD_FIRST_NAMES,
    CHILD_SURNAME,
    PASSWORD,
    admit,
    answer_pending,
    member_deciders,
    provider_user,
)

OFFICER = "officer@member.example.org"
ALPHA = "alpha@provider.example.org"
BETA = "beta@provider.example.org"
GAMMA = "gamma@provider.example.org"
REFERENCE = "T-DPS-R0001"
AGREEMENT = f"IPA-{REFERENCE}"
# Nothing that identifies the child, nor the officer who referred, may reach a provider's page.
PRIVATE = (CHILD_FIRST_NAMES, CHILD_SURNAME, CHILD_CASE_NUMBER, "14 March 2010", "Mo Officer")
# Bids: Alpha's core fee and its one additional cost; Beta's core fee alone.
ALPHA_PRICES = ("1,150.00", "150.00", "1,300.00")
BETA_PRICE = "1,250.00"
# Scores out of 5 on each criterion: Alpha 18/20 (90%), Beta 12/20 (60%).
SCORES = {
    "Alpha Care": {"Meets the child's needs": 5, "Location and closeness to home": 4,
                   "Stability of the placement": 4, "Education": 5},
    "Beta Homes": {"Meets the child's needs": 3, "Location and closeness to home": 3,
                   "Stability of the placement": 3, "Education": 3},
}
# After the deadline chosen by the officer (Thursday 5 November 2026, 17:00 UK time, which is UTC then).
AFTER_DEADLINE = datetime(2026, 11, 5, 17, 30)


def fill_date(page_or_group, day: str, month: str, year: str) -> None:
    for part, value in zip(("Day", "Month", "Year"), (day, month, year), strict=True):
        page_or_group.get_by_label(part).fill(value)


def success(page: Page, text: str) -> None:
    expect(page.get_by_role("alert", name="Success")).to_contain_text(text)


class Journey:
    """The browser with its checks on every page: axe, a single main heading and, while a provider is signed in,
    none of the child's identity (nor the officer's name)."""

    def __init__(self, page: Page, accessible):
        self.page = page
        self.accessible = accessible
        self.provider = False

    def check(self, what: str) -> None:
        self.accessible(what)
        expect(self.page.locator("h1"), f"{what}: one main heading").to_have_count(1)
        if self.provider:
            text = self.page.content()
            leaked = [secret for secret in PRIVATE if secret in text]
            assert not leaked, f"{what}: a provider's page shows {leaked} ({self.page.url})"

    def sign_in(self, email: str, landing: str, *, go: bool = True) -> None:
        page = self.page
        if go:
            page.goto("/sign-in")
            self.check("sign in")
        page.get_by_label("E-mail address").fill(email)
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("heading", level=1, name=landing)).to_be_visible()
        self.provider = email.endswith("@provider.example.org")
        self.check(f"{email} signed in")

    def sign_out(self) -> None:
        self.page.get_by_role("button", name="Sign out").click()
        success(self.page, "You have signed out")
        self.provider = False
        self.check("signed out")

    def menu(self, name: str, heading: str | None = None) -> None:
        self.page.get_by_role("navigation", name="Menu").get_by_role("link", name=name, exact=True).click()
        expect(self.page.get_by_role("heading", level=1, name=heading or name)).to_be_visible()
        self.check(name)

    def open_referral_as_provider(self, response: str) -> None:
        """From the provider's Referrals list to the anonymised referral."""
        page = self.page
        self.menu("Referrals")
        row = page.get_by_role("row").filter(has_text=REFERENCE)
        expect(row).to_contain_text(response)
        row.get_by_role("link", name=REFERENCE).click()
        expect(page.get_by_role("heading", level=1, name=f"Referral {REFERENCE}")).to_be_visible()
        self.check(f"referral {REFERENCE}, as a provider")


def admitted_providers(live_portal, clock) -> None:
    """Alpha Care, Beta Homes and a third provider, Gamma Lodge, hold places on tier 1 of lot 1."""
    world = live_portal.world

    def work():
        lot = db.session.scalar(db.select(Lot).where(Lot.dps_id == world.dps_id, Lot.number == 1))
        users = [db.session.scalar(db.select(User).where(User.email == email)) for email in (ALPHA, BETA)]
        users.append(provider_user("Gamma Lodge", GAMMA, clock, urn="SC777888"))
        for user in users:
            admit(user, lot, clock=clock)

    live_portal.run(work)


def approve_pending(live_portal) -> None:
    """The member's budget holder approves what the officer asked (their own pages are walked in
    test_referral_journey)."""
    live_portal.run(lambda: answer_pending(live_portal.app.extensions["clock"].now()))


def post_referral(journey: Journey, lot_label: str, live_portal) -> None:
    """The officer drafts the referral, asks for the funding (approved by the budget holder), checks it and
    publishes with a chosen deadline."""
    page = journey.page
    journey.menu("Referrals")
    page.get_by_role("button", name="New referral").click()
    journey.check("choose the lot")
    page.get_by_role("radio", name=re.compile(lot_label)).check()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1, name="New referral")).to_be_visible()
    journey.check("the referral form")

    page.get_by_role("group", name="When is the placement needed?").get_by_label("Within 5 days").check()
    page.get_by_label("Preferred area", exact=True).select_option(label="Tameside")
    page.get_by_role("group", name="Can the child live with pets?").get_by_label("No", exact=True).check()
    page.get_by_role("group", name="Risks to the child").get_by_label("Going missing").check()
    page.get_by_label("Child's age in years").fill("16")
    fill_date(page.get_by_role("group", name="Date the placement must start"), "4", "1", "2027")
    page.get_by_label("Expected duration").fill("Until 18")
    page.get_by_label("Summary of the child's needs").fill(
        "A young person preparing for independence who needs a steady key worker and help with money.")
    page.get_by_label("Education needs (optional)").fill("At college three days a week.")
    page.get_by_label("Indicative weekly price (optional)").fill("1200")
    page.get_by_label("First names").fill(CHILD_FIRST_NAMES)
    page.get_by_label("Surname").fill(CHILD_SURNAME)
    fill_date(page.get_by_role("group", name="Date of birth"), "14", "3", "2010")
    page.get_by_label("Case number").fill(CHILD_CASE_NUMBER)
    page.get_by_role("button", name="Save draft").click()
    success(page, f"Draft referral {REFERENCE} saved")
    private = page.locator(".govuk-summary-card").filter(has_text="The child (private)")
    expect(private).to_contain_text(f"{CHILD_FIRST_NAMES} {CHILD_SURNAME}")
    expect(private).to_contain_text(CHILD_CASE_NUMBER)
    journey.check("the draft referral")

    page.get_by_role("button", name="Ask a budget holder to approve the funding").click()
    success(page, "Approval of the funding asked for")
    journey.check("the draft with its funding asked for")
    approve_pending(live_portal)
    page.reload()
    expect(page.get_by_text("Approved by Bea Okonkwo-Lind (Budget holder)").first).to_be_visible()
    journey.check("the draft with its funding")

    page.get_by_role("link", name="Check it for anything that identifies the child").click()
    expect(page.get_by_text("Ready to publish")).to_be_visible()
    journey.check("the anonymity check")
    page.get_by_role("button", name="Continue to publish").click()
    expect(page.get_by_role("heading", level=1, name="Publish the referral")).to_be_visible()
    invited = page.get_by_role("table", name=re.compile("3 providers will be invited"))
    for provider in ("Alpha Care", "Beta Homes", "Gamma Lodge"):
        expect(invited).to_contain_text(provider)
    # The default for "within 5 days", from Monday 2 November 10:00: midday two working days later.
    deadline = page.get_by_role("group", name="Date bids close")
    expect(deadline.get_by_label("Day")).to_have_value("04")
    expect(page.get_by_label("Time bids close")).to_have_value("12:00")
    journey.check("publish the referral")
    deadline.get_by_label("Day").fill("5")
    page.get_by_label("Time bids close").fill("17:00")
    page.get_by_role("button", name="Publish and invite providers").click()
    success(page, f"Referral {REFERENCE} published: 3 providers invited to bid")
    expect(page.get_by_text("Bids close on 5 November 2026 at 5:00pm")).to_be_visible()
    journey.check("the published referral")


def bid(journey: Journey, email: str, *, core: str, extra: tuple[str, str] | None, total: str,
        home_area: str) -> str:
    """A provider bids for the referral from its Referrals list; returns the receipt's SHA-256."""
    page = journey.page
    journey.sign_in(email, "Applications")
    journey.open_referral_as_provider("Not responded")
    expect(page.get_by_text("Bids close on 5 November 2026 at 5:00pm (UK time)")).to_be_visible()
    expect(page.get_by_text("Tameside", exact=True)).to_be_visible()  # the anonymised needs
    page.get_by_role("button", name="Send a bid").click()
    expect(page.get_by_role("heading", level=1, name="Send a bid")).to_be_visible()
    journey.check("the bid form")
    page.get_by_label("Core weekly fee").fill(core)
    if extra:
        cost = page.get_by_role("group", name="Additional cost 1")
        cost.get_by_label("What it pays for").fill(extra[0])
        cost.get_by_label("Weekly amount").fill(extra[1])
        cost.get_by_label("Timescale").fill("First 12 weeks")
        fill_date(cost.get_by_role("group", name="Review date"), "31", "1", "2027")
    fill_date(page.get_by_role("group", name="Proposed start date"), "4", "1", "2027")
    page.get_by_label("Area of the home or carers").select_option(home_area)
    page.get_by_label("The home or carers", exact=True).fill("A two-bedroom flat with staff on site day and night.")
    page.get_by_label("How you will meet the child's needs").fill(
        "One key worker for the whole placement, weekly budgeting sessions and a college link worker.")
    page.get_by_role("button", name="Send bid").click()
    success(page, "Your bid has been sent")
    expect(page.get_by_role("heading", level=1, name="Bid sent")).to_be_visible()
    receipt = page.locator(".govuk-summary-list")
    sha = receipt.locator(".govuk-summary-list__row").filter(has_text="SHA-256 of the bid") \
        .locator(".govuk-summary-list__value")
    expect(sha).to_have_text(re.compile(r"^\s*[0-9a-f]{64}\s*$"))
    expect(receipt).to_contain_text("Revision")
    prices = page.get_by_role("table", name="Weekly price")
    expect(prices.get_by_role("row").filter(has_text="Total weekly price")).to_contain_text(f"£{total}")
    if extra:
        expect(prices.get_by_role("row").filter(has_text=extra[0])).to_contain_text(f"£{extra[1]}")
    journey.check("the bid receipt")
    digest = sha.inner_text().strip()
    journey.sign_out()
    return digest


def decline(journey: Journey) -> None:
    page = journey.page
    journey.sign_in(GAMMA, "Applications")
    journey.open_referral_as_provider("Not responded")
    page.get_by_role("button", name="Decline", exact=True).click()
    expect(page.get_by_role("heading", level=1, name="Decline the referral")).to_be_visible()
    journey.check("decline the referral")
    page.get_by_role("group", name="Why can you not bid?").get_by_label("No vacancy").check()
    page.get_by_label("More detail").fill("Our homes in Tameside are full until March.")
    page.get_by_role("button", name="Decline the referral").click()
    success(page, "You have declined this referral")
    expect(page.get_by_text("You have declined this referral (No vacancy: Our homes in Tameside are full until "
                            "March.)")).to_be_visible()
    expect(page.get_by_role("button", name="Send a bid")).to_have_count(0)
    journey.check("the referral, declined")
    journey.sign_out()


def assess(journey: Journey, provider: str) -> None:
    page = journey.page
    page.get_by_role("link", name=f"Assess the bid from {provider}").click()
    expect(page.get_by_role("heading", level=1, name=f"Assess the bid from {provider}")).to_be_visible()
    journey.check(f"assess {provider}'s bid")
    for criterion, score in SCORES[provider].items():
        page.get_by_role("group", name=criterion).get_by_label(str(score), exact=True).check()
    page.get_by_label("Notes (optional)").fill(f"Scored against the referral's needs: {provider}.")
    page.get_by_role("button", name="Save the scores").click()
    success(page, f"Scores saved for {provider}'s bid")
    expect(page.get_by_role("heading", level=1, name="Bids")).to_be_visible()
    journey.check(f"bids after scoring {provider}")


def side_by_side_row(page: Page, heading: str):
    table = page.get_by_role("table", name="The bids side by side, best ranked first")
    return table.get_by_role("row").filter(has=page.get_by_role("rowheader", name=heading, exact=True))


def test_a_referral_is_bid_for_scored_awarded_and_the_providers_told(
        page: Page, live_portal, accessible, clock, screenshot):
    world = live_portal.world
    admitted_providers(live_portal, clock)
    journey = Journey(page, accessible)

    # 1. The member authority's officer posts the referral.
    journey.sign_in(OFFICER, "Arrangements Member Council can place through")
    live_portal.run(lambda: member_deciders(clock))
    post_referral(journey, world.lots[0], live_portal)
    screenshot("placement-published")
    journey.sign_out()

    # 2. Two providers bid, one with an additional cost; a third declines.
    clock.advance(hours=1)
    alpha_sha = bid(journey, ALPHA, core="1150", extra=("1:1 support at college", "150"), total=ALPHA_PRICES[2],
                    home_area="E08000008")
    beta_sha = bid(journey, BETA, core="1250.00", extra=None, total=BETA_PRICE, home_area="E08000004")
    assert alpha_sha != beta_sha
    decline(journey)

    # 3. Before the deadline the officer sees how many bids came in, never what they say.
    clock.advance(hours=1)
    journey.sign_in(OFFICER, "Arrangements Member Council can place through")
    journey.menu("Referrals")
    row = page.get_by_role("row").filter(has_text=REFERENCE)
    expect(row).to_contain_text("Open")
    expect(row.get_by_role("cell").last).to_have_text("2")
    row.get_by_role("link", name=REFERENCE).click()
    expect(page.get_by_text("2 bids received so far: they stay sealed until then.")).to_be_visible()
    invited = page.get_by_role("table").filter(has=page.get_by_role("columnheader", name="Response"))
    # Counts only: which provider declined would tell who bid.
    expect(invited.get_by_role("row").filter(has_text="Gamma Lodge")).to_contain_text(
        "Sealed until 5 November 2026 at 5:00pm")
    expect(page.get_by_text("Our homes in Tameside are full until March.")).to_have_count(0)
    expect(page.get_by_role("link", name=re.compile("Open and weigh the bids"))).to_have_count(0)
    for price in (*ALPHA_PRICES, BETA_PRICE):
        expect(page.get_by_text(f"£{price}")).to_have_count(0)
    journey.check("the open referral: bids sealed")
    referral_url = page.url
    page.goto(f"{referral_url}/bids")  # as an officer who kept the address of the bids page would
    expect(page.get_by_text("Bids are sealed until 5 November 2026 at 5:00pm")).to_be_visible()
    expect(page.get_by_text("Bids received so far: 2.")).to_be_visible()
    for text in (*(f"£{price}" for price in (*ALPHA_PRICES, BETA_PRICE)), "Alpha Care", "Beta Homes", "Tameside"):
        expect(page.get_by_text(text)).to_have_count(0)
    journey.check("the bids page, sealed")

    # 4. The deadline passes and the scheduler closes the round.
    clock.set(AFTER_DEADLINE)
    done = run_time_events(live_portal.app)
    assert any(REFERENCE in line for line in done), done

    # 5. The officer's session has expired; they sign in again and follow the notification to the bids.
    page.get_by_role("navigation", name="Menu").get_by_role("link", name=re.compile(r"^Notifications")).click()
    expect(page.get_by_text("You were signed out because you had not used the portal for a while")).to_be_visible()
    journey.check("signed out after a while")
    journey.sign_in(OFFICER, "Notifications", go=False)
    page.get_by_role("button", name=re.compile(rf"^Open\W+Referral {REFERENCE}: bids can now be opened$")).click()
    expect(page.get_by_role("heading", level=1, name=f"Referral {REFERENCE}")).to_be_visible()
    expect(page.get_by_text("Round 1 (tier 1) closed on 5 November 2026 at 5:00pm with 2 bids.")).to_be_visible()
    invited = page.get_by_role("table").filter(has=page.get_by_role("columnheader", name="Response"))
    expect(invited.get_by_role("row").filter(has_text="Gamma Lodge")).to_contain_text(
        "Declined: No vacancy (Our homes in Tameside are full until March.)")
    journey.check("the closed referral")
    page.get_by_role("link", name=f"Open and weigh the bids for referral {REFERENCE}").click()
    expect(page.get_by_role("heading", level=1, name="Bids")).to_be_visible()
    itemised = side_by_side_row(page, "Itemised weekly price")
    expect(itemised).to_contain_text(f"1:1 support at college: £{ALPHA_PRICES[1]}")
    expect(itemised).to_contain_text(f"Weekly price bid: £{ALPHA_PRICES[2]}")
    expect(itemised).to_contain_text(f"Weekly price bid: £{BETA_PRICE}")
    expect(page.get_by_role("button", name="Award this referral")).to_have_count(0)  # not until every bid is scored
    journey.check("the bids side by side, unscored")
    screenshot("placement-bids-unscored")

    for provider in ("Beta Homes", "Alpha Care"):
        assess(journey, provider)
    table = page.get_by_role("table", name="The bids side by side, best ranked first")
    expect(table.get_by_role("columnheader")).to_have_text(["Alpha Care", "Beta Homes"])
    expect(side_by_side_row(page, "Rank").get_by_role("cell")).to_have_text(["1", "2"])
    expect(side_by_side_row(page, "Quality %").get_by_role("cell")).to_have_text(["90.00", "60.00"])
    expect(side_by_side_row(page, "Lowest price").get_by_role("cell")).to_have_text([f"£{BETA_PRICE}"] * 2)
    # Quality 90% of 60 = 54 plus 1,250/1,300 of 40 = 38.4615; Beta 36 + 40.
    expect(side_by_side_row(page, "Cost component (× 40%)").get_by_role("cell")).to_have_text(
        ["38.4615", "40.0000"])
    expect(side_by_side_row(page, "Total").get_by_role("cell")).to_have_text(["92.4615", "76.0000"])
    screenshot("placement-bids-ranked")

    page.get_by_role("button", name="Award this referral").click()
    expect(page.get_by_role("heading", level=1, name="Award the referral")).to_be_visible()
    expect(page.get_by_text("Ranked first: Alpha Care, with a total of 92.4615.")).to_be_visible()
    journey.check("award the referral")
    choice = page.get_by_role("group", name="Which bid do you award?").get_by_label(
        f"Alpha Care: ranked 1, total 92.4615, £{ALPHA_PRICES[2]} a week")
    choice.check()
    page.get_by_role("button", name="Ask a budget holder to approve this bid's weekly cost").click()
    success(page, "Approval of the weekly cost asked for")
    expect(page.get_by_text("Waiting for an answer")).to_be_visible()
    journey.check("award the referral, the cost asked for")
    approve_pending(live_portal)
    page.reload()
    expect(choice).to_be_checked()
    journey.check("award the referral, the cost approved")
    page.get_by_role("button", name="Award and make the placement").click()
    success(page, f"Referral {REFERENCE} awarded to Alpha Care")
    expect(page.get_by_role("heading", level=1, name="Placement with Alpha Care")).to_be_visible()
    details = page.locator(".govuk-summary-list").first
    expect(details).to_contain_text(AGREEMENT)
    expect(details).to_contain_text(f"{CHILD_FIRST_NAMES} {CHILD_SURNAME}, born 14 March 2010")
    expect(details).to_contain_text("4 January 2027")
    expect(details).to_contain_text("Approved by Bea Okonkwo-Lind (Budget holder), 5 November 2026")
    cost = page.get_by_role("table", name="Placement cost")
    expect(cost.get_by_role("row").filter(has_text="Total weekly cost")).to_contain_text(f"£{ALPHA_PRICES[2]}")
    expect(cost.get_by_role("row").filter(has_text="1:1 support at college")).to_contain_text(f"£{ALPHA_PRICES[1]}")
    journey.check("the placement")
    screenshot("placement-made")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download the individual placement agreement (PDF)").click()
    download = download_info.value
    assert download.suggested_filename == f"{AGREEMENT}-individual-placement-agreement.pdf"
    with open(download.path(), "rb") as agreement:
        pdf = agreement.read()
    assert pdf.startswith(b"%PDF-")
    text = "\n".join(page_.extract_text() for page_ in PdfReader(io.BytesIO(pdf)).pages)
    assert AGREEMENT in text
    assert f"£{ALPHA_PRICES[2]}" in text
    assert "Alpha Care" in text
    journey.sign_out()

    # 6. The winner reads its award; the other bidder its own rank.
    journey.sign_in(ALPHA, "Applications")
    journey.open_referral_as_provider("Awarded to you")
    expect(page.get_by_text("Outcome: Awarded to you.")).to_be_visible()
    page.get_by_role("link", name=f"See the outcome of referral {REFERENCE}").click()
    expect(page.get_by_role("heading", level=1, name=f"Outcome of referral {REFERENCE}")).to_be_visible()
    expect(page.get_by_role("heading", level=2, name="Your bid has been awarded")).to_be_visible()
    terms = page.locator(".govuk-summary-list").first
    expect(terms).to_contain_text(AGREEMENT)
    expect(terms).to_contain_text(f"£{ALPHA_PRICES[2]}")
    expect(terms).to_contain_text("4 January 2027")
    expect(page.locator(".govuk-summary-list").filter(has_text="Your rank")).to_contain_text("1 of 2 bids")
    expect(page.locator(".govuk-summary-list").filter(has_text="Meets the child's needs")).to_contain_text("5 out of 5")
    journey.check("the award, as the winner")
    screenshot("placement-winner")
    journey.sign_out()

    journey.sign_in(BETA, "Applications")
    journey.open_referral_as_provider("Not awarded")
    page.get_by_role("link", name=f"See the outcome of referral {REFERENCE}").click()
    expect(page.get_by_role("heading", level=1, name="Your bid was not successful")).to_be_visible()
    score = page.locator(".govuk-summary-list").filter(has_text="Your rank")
    expect(score.locator(".govuk-summary-list__row").filter(has_text="Your rank")).to_contain_text("2 of 2 bids")
    expect(score).to_contain_text("60.0%")
    expect(score).to_contain_text("76.00 out of 100")
    expect(score).to_contain_text(f"£{BETA_PRICE}")
    expect(page.get_by_text("Alpha Care")).to_have_count(0)  # nothing of the winner
    expect(page.get_by_text(f"£{ALPHA_PRICES[2]}")).to_have_count(0)
    journey.check("the outcome, as the other bidder")
    journey.sign_out()
