"""An officer whose emergency referral has exhausted the framework builds the authority's off-framework list (a
provider, the evidence asked of it, two references, one unsatisfactory), records the funding for an off-framework
search, places the child (after confirming the caution note), sees the placement marked off framework, and records
the QA visit due within 72 hours. Every page is checked with axe."""

import re
from types import SimpleNamespace

from playwright.sync_api import Page, expect
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from portal.extensions import db
from portal.models import Dps, User
from tests.buyer.test_off_framework_service import exhausted_referral
from tests.factories import PASSWORD, answer_pending


def exhausted_emergency(live_portal, clock) -> tuple[int, str]:
    def work():
        users = {user.email: user for user in db.session.scalars(db.select(User))}
        dps = db.session.scalars(db.select(Dps)).first()
        world = SimpleNamespace(provider_a=users["alpha@provider.example.org"],
                                member_officer=users["officer@member.example.org"], lots=list(dps.lots),
                                member=users["officer@member.example.org"].organisation)
        referral = exhausted_referral(world, clock, needed_by="today", required_start=clock.now().date())
        return referral.id, referral.reference

    return live_portal.run(work)


def test_officer_places_a_child_off_framework(page: Page, live_portal, accessible, clock, tmp_path, screenshot):
    referral_id, reference = exhausted_emergency(live_portal, clock)
    report = tmp_path / "ofsted-report.pdf"
    pdf = canvas.Canvas(str(report), pagesize=A4, invariant=True)
    pdf.drawString(72, 770, "Harbour Homes: Ofsted report")
    pdf.save()

    page.goto("/sign-in")
    accessible("sign in")
    page.get_by_label("E-mail address").fill("officer@member.example.org")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    accessible("officer signed in")

    # The list, and a provider added to it.
    page.get_by_role("link", name="Off-framework providers").click()
    expect(page.get_by_role("heading", level=1, name="Off-framework providers")).to_be_visible()
    accessible("off-framework providers, empty")
    page.get_by_role("button", name="Add a provider").click()
    accessible("add a provider")
    page.get_by_label("Provider's name").fill("Harbour Homes")
    page.get_by_label("Ofsted URN (optional)").fill("SC445566")
    page.get_by_label("Ofsted rating (optional)").select_option("Requires improvement to be good")
    page.get_by_label("Area", exact=True).select_option(label="Sefton")
    page.get_by_label("Contact's name").fill("Hal Harbour")
    page.get_by_label("Contact's e-mail address").fill("hal@harbour.example.org")
    page.get_by_label("Services offered").fill("Solo homes for 16 and 17 year olds with waking night staff")
    page.get_by_role("button", name="Save provider").click()
    expect(page.get_by_role("alert", name="Success")).to_contain_text("Harbour Homes added to your off-framework list")
    accessible("provider added")

    # The evidence asked of it, each shown missing until it arrives, then two references, one unsatisfactory.
    evidence = {"Current Ofsted report": "Ofsted report 2026",
                "Statement of purpose (or 16+ equivalent)": "",
                "Children's guide (or 16+ equivalent)": "Young people's guide",
                "Pricing schedule": ""}
    listed = page.locator("#evidence + p + .govuk-summary-list")
    for kind in evidence:
        expect(listed.locator(".govuk-summary-list__row").filter(has_text=kind)).to_contain_text("Missing")
    expect(page.get_by_text("Upload the evidence still missing before placing a child")).to_be_visible()
    for kind, title in evidence.items():
        page.get_by_role("radio", name=kind, exact=True).check()
        page.get_by_label("Title").fill(title)
        page.get_by_label("File", exact=True).set_input_files(report)
        page.get_by_role("button", name="Upload document").click()
        expect(page.get_by_role("alert", name="Success")).to_contain_text(f"{title or kind} uploaded")
        expect(listed.locator(".govuk-summary-list__row").filter(has_text=kind)).to_contain_text("Received")
        accessible(f"evidence uploaded: {kind}")
    expect(page.get_by_text("Upload the evidence still missing before placing a child")).to_have_count(0)
    for authority, name, email in (("Wirral Council", "Wyn Wirral", "wyn@wirral.example.org"),
                                   ("Sefton Council", "Sam Sefton", "sam@sefton.example.org")):
        page.get_by_label("Local authority", exact=True).fill(authority)
        page.get_by_label("Referee's name").fill(name)
        page.get_by_label("Referee's e-mail address").fill(email)
        page.get_by_role("button", name="Add referee").click()
        expect(page.get_by_role("alert", name="Success")).to_contain_text(f"Referee {name} of {authority} added")
        accessible(f"referee {name} added")
    for authority, outcome, note in (("Wirral Council", "Satisfactory", "Placed two young people, both settled"),
                                     ("Sefton Council", "Unsatisfactory", "Missed two statutory reviews")):
        card = page.locator(".govuk-summary-card").filter(has_text=authority)
        card.get_by_text("Record the reference").click()
        card.get_by_role("radio", name=outcome, exact=True).check()
        card.get_by_label("Note").fill(note)
        card.get_by_role("button", name="Record reference").click()
        expect(page.get_by_role("alert", name="Success")).to_contain_text(f"Reference from {authority} recorded")
        accessible(f"reference from {authority} recorded")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Place with caution")
    expect(page.get_by_text("Missed two statutory reviews").first).to_be_visible()
    screenshot("off-framework-provider")

    # The referral: the search's funding, then the placement.
    page.goto(f"/authority/referrals/{referral_id}/off-framework")
    expect(page.get_by_role("heading", level=1, name="Off-framework search and placement")).to_be_visible()
    accessible("off-framework search")
    page.get_by_label("Weekly cost you expect to pay").fill("2,650.00")
    page.get_by_role("button", name="Ask a budget holder to approve the search").click()
    expect(page.get_by_role("alert", name="Success")).to_contain_text("Approval of the off-framework search asked")
    accessible("off-framework search, approval asked for")
    live_portal.run(lambda: answer_pending(live_portal.app.extensions["clock"].now()))  # the budget holder approves
    page.reload()
    expect(page.get_by_text("Search and funding: Approved by Bea Okonkwo-Lind (Budget holder)")).to_be_visible()
    accessible("placement form")
    page.get_by_label("Provider to agree to").select_option(label="Harbour Homes (Sefton, place with caution)")
    page.get_by_label("Total weekly cost").fill("2,650.00")
    page.get_by_role("button", name="Ask for the head of service's agreement and approval of the cost").click()
    expect(page.get_by_role("alert", name="Success")).to_contain_text("The head of service's agreement to placing "
                                                                      "with Harbour Homes")
    accessible("placement form, agreement and cost asked for")
    live_portal.run(lambda: answer_pending(live_portal.app.extensions["clock"].now()))  # head of service, budget
    page.reload()
    expect(page.get_by_text("Head of service's agreement:")).to_contain_text("Approved by Hana Petrossian")
    accessible("placement form, agreement and cost approved")
    page.get_by_label("Provider", exact=True).select_option(label="Harbour Homes (Sefton, place with caution)")
    core = page.get_by_role("group", name="Core weekly fee")
    core.get_by_label("What it pays for").fill("Core weekly fee")
    core.get_by_label("Weekly amount in pounds").fill("2,650.00")
    start = page.get_by_role("group", name="Start date")
    for part, value in zip(("Day", "Month", "Year"), ("4", "11", "2026"), strict=True):
        start.get_by_label(part).fill(value)
    page.get_by_label("Area of the home").select_option(label="Sefton")
    page.get_by_role("button", name="Place the child off framework").click()
    problem = page.get_by_role("alert").filter(has_text="There is a problem")
    expect(problem).to_contain_text("Harbour Homes is marked place with caution")
    accessible("placement refused: caution not confirmed")
    page.get_by_label("I have read the caution note of the provider chosen").check()
    page.get_by_role("button", name="Place the child off framework").click()
    expect(page.get_by_role("alert", name="Success")).to_contain_text(f"{reference} placed off framework")
    accessible("the placement")

    # Marked off framework on the list; the QA visit is a task.
    page.get_by_role("link", name="Placements", exact=True).click()
    row = page.get_by_role("row").filter(has_text=f"IPA-{reference}")
    expect(row).to_contain_text("Off framework")
    expect(row).to_contain_text("£2,650.00")
    expect(row).to_contain_text("In home area")
    accessible("placements")
    screenshot("off-framework-placements")
    page.get_by_role("link", name=re.compile(r"^Tasks \(1\)")).click()
    expect(page.get_by_role("heading", level=1, name="Tasks")).to_be_visible()
    accessible("tasks")
    page.get_by_role("link", name=re.compile(r"^Record the visit")).click()
    accessible("QA visit form")
    visit = page.get_by_role("group", name="Date of the visit")
    for part, value in zip(("Day", "Month", "Year"), ("4", "11", "2026"), strict=True):
        visit.get_by_label(part).fill(value)
    page.get_by_label("Time of the visit (UK time)").fill("9:15")
    page.get_by_label("What the visit found").fill("Room ready; staff knew the young person's plan")
    page.get_by_role("button", name="Record the visit").click()
    expect(page.get_by_role("alert", name="Success")).to_contain_text("QA visit to Harbour Homes recorded")
    expect(page.get_by_text("No QA visits are outstanding")).to_be_visible()
    accessible("tasks after the visit")
