"""A new provider registers, applies to two lots of the open window with prices, answers and
evidence, is told what is missing, puts it right (removing a referee only once it confirms), checks its
answers, changes one through its Change link, submits and keeps the receipt."""

import hashlib
import re

import pytest
from playwright.sync_api import Page, expect
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

EVIDENCE = {
    "Current Ofsted inspection report": "ofsted-report.pdf",
    "Statement of purpose (or 16+ equivalent)": "statement-of-purpose.pdf",
    "Children's guide (or 16+ equivalent)": "childrens-guide.pdf",
    "Pricing schedule": "pricing-schedule.pdf",
    "Insurance certificate": "insurance-certificate.pdf",
}
FIRST_UPLOADS = ["Current Ofsted inspection report", "Statement of purpose (or 16+ equivalent)",
                 "Insurance certificate"]


@pytest.fixture
def evidence_files(tmp_path):
    """A small, real, one-page PDF for each kind of evidence, and its SHA-256."""
    files = {}
    for label, filename in EVIDENCE.items():
        path = tmp_path / filename
        pdf = canvas.Canvas(str(path), pagesize=A4, invariant=True)
        pdf.drawString(72, 770, f"Oakfield Care Ltd: {label}")
        pdf.save()
        files[label] = (path, hashlib.sha256(path.read_bytes()).hexdigest())
    return files


def upload(page: Page, accessible, label: str, path, expires: tuple[str, str, str] | None = None) -> None:
    page.get_by_label("Document", exact=True).select_option(label=label)
    page.get_by_label("File", exact=True).set_input_files(path)
    if expires:
        cover_ends = page.get_by_role("group", name="Date the insurance cover ends")
        for part, value in zip(("Day", "Month", "Year"), expires, strict=True):
            cover_ends.get_by_label(part).fill(value)
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_role("alert", name="Success")).to_contain_text(f"{label} uploaded")
    accessible(f"evidence after uploading {label}")


def add_referee(page: Page, accessible, authority: str, name: str, email: str) -> None:
    page.get_by_label("Local authority", exact=True).fill(authority)
    page.get_by_label("Referee's name").fill(name)
    page.get_by_label("Job title").fill("Head of placements")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_role("button", name="Add referee").click()
    expect(page.get_by_role("alert", name="Success")).to_contain_text("Referee added")
    expect(page.get_by_role("row").filter(has_text=authority)).to_contain_text(name)
    accessible(f"referees after adding {name}")


def summary_row(page: Page, key: str):
    """A row of a GOV.UK summary list (a description list, so it has no row role)."""
    return page.locator(".govuk-summary-list__row").filter(has=page.get_by_role("term").filter(has_text=key))


def back_to_application(page: Page, accessible) -> None:
    page.get_by_role("link", name="Back to your application").click()
    expect(page.get_by_role("heading", level=1, name="Your application")).to_be_visible()
    accessible("application task list")


def test_provider_registers_applies_and_submits(page: Page, live_portal, accessible, evidence_files, screenshot):
    world = live_portal.world
    lot_one, lot_two = world.lots[0], world.lots[1]

    # The front page, then registration.
    page.goto("/")
    accessible("front page")
    page.get_by_role("button", name="Register as a provider").click()
    expect(page.get_by_role("heading", level=1, name="Register as a provider")).to_be_visible()
    accessible("registration form")
    page.get_by_label("Organisation name").fill("Oakfield Care Ltd")
    page.get_by_label("Ofsted unique reference number (URN)").fill("SC998877")
    page.get_by_label("Registered office address").fill("12 Mill Lane\nSalford")
    page.get_by_label("Postcode").fill("M5 4WT")
    page.get_by_label("Area of the registered office").select_option(label="Salford")
    page.get_by_label("Telephone").fill("0161 496 0123")
    page.get_by_label("Your full name").fill("Olivia Oak")
    page.get_by_label("Your e-mail address").fill("olivia@oakfield.example.org")
    page.get_by_label("Create a password").fill("a long and secret passphrase")
    page.get_by_role("button", name="Register").click()

    # Signed in, on the dashboard, with the open window offered.
    expect(page).to_have_url(re.compile(r"/provider/$"))
    expect(page.get_by_role("heading", level=1, name="Applications")).to_be_visible()
    expect(page.get_by_role("alert", name="Success")).to_contain_text("Oakfield Care Ltd is registered")
    expect(page.get_by_text("Signed in as Olivia Oak")).to_be_visible()
    accessible("provider dashboard")
    screenshot("provider-dashboard")
    page.get_by_role("button", name=f"Start an application to {world.dps_name}").click()

    expect(page.get_by_role("heading", level=1, name="Your application")).to_be_visible()
    accessible("new application")

    # Lots.
    page.get_by_role("link", name="Choose lots").click()
    expect(page.get_by_role("group", name="Which lots are you applying for?")).to_be_visible()
    accessible("choose lots")
    page.get_by_role("checkbox", name=lot_one).check()
    page.get_by_role("checkbox", name=lot_two).check()
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_role("alert", name="Success")).to_contain_text("Lots saved")
    accessible("application after choosing lots")

    # Weekly prices.
    page.get_by_role("link", name="Weekly prices (pricing schedule)").click()
    expect(page.get_by_role("heading", level=1, name="Weekly prices")).to_be_visible()
    accessible("weekly prices")
    page.get_by_role("textbox", name=lot_one).fill("1,250.00")
    page.get_by_role("textbox", name=lot_two).fill("980")
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_role("alert", name="Success")).to_contain_text("Weekly prices saved")
    accessible("application after pricing")

    # Quality questions.
    page.get_by_role("link", name="Answer the quality questions").click()
    expect(page.get_by_role("heading", level=1, name="Quality questions")).to_be_visible()
    accessible("quality questions")
    for number, question in enumerate(world.questions, start=1):
        page.get_by_role("textbox", name=question).fill(f"Our answer to question {number}, with examples.")
    page.get_by_role("button", name="Save answers").click()
    expect(page.get_by_role("alert", name="Success")).to_contain_text("Answers saved")
    accessible("application after answering")

    # Some of the evidence: the insurance certificate with the date its cover ends.
    page.get_by_role("link", name="Upload evidence").click()
    expect(page.get_by_role("heading", level=1, name="Evidence")).to_be_visible()
    accessible("evidence")
    for label in FIRST_UPLOADS:
        expires = ("31", "3", "2027") if label == "Insurance certificate" else None
        upload(page, accessible, label, evidence_files[label][0], expires)
    documents = page.get_by_role("table", name="Documents this application needs")
    expect(documents.get_by_role("row", name="Insurance certificate")).to_contain_text("Cover ends 31 March 2027")
    expect(documents.get_by_role("row", name="Pricing schedule")).to_contain_text("Missing")
    screenshot("provider-evidence")
    back_to_application(page, accessible)

    # Check your answers lists what is still missing, and submitting now is refused.
    page.get_by_role("link", name="Check and submit").click()
    expect(page.get_by_role("heading", level=1, name="Check your answers before submitting your application")
           ).to_be_visible()
    accessible("check your answers, incomplete")
    missing = page.get_by_role("list").filter(has=page.get_by_role("link", name="Upload your pricing schedule"))
    expect(missing.get_by_role("listitem")).to_have_text([
        "Upload your children's guide (or 16+ equivalent)",
        "Upload your pricing schedule",
        "Name 2 more local-authority referees (at least 2 are needed)",
    ])
    page.get_by_role("button", name="Submit application").click()
    problem = page.get_by_role("alert").filter(has_text="There is a problem")
    expect(problem).to_contain_text("This application is not complete")
    expect(problem.get_by_role("link", name="Upload your pricing schedule")).to_be_visible()
    accessible("check your answers, refused")
    screenshot("provider-missing")

    # Put it right: the rest of the evidence, reached from the error summary, and two referees.
    problem.get_by_role("link", name="Upload your pricing schedule").click()
    expect(page.get_by_role("heading", level=1, name="Evidence")).to_be_visible()
    accessible("evidence, from the error summary")
    for label in ("Children's guide (or 16+ equivalent)", "Pricing schedule"):
        upload(page, accessible, label, evidence_files[label][0])
    expect(page.get_by_role("table", name="Documents this application needs")).not_to_contain_text("Missing")
    back_to_application(page, accessible)

    page.get_by_role("link", name="Local-authority referees").click()
    expect(page.get_by_role("heading", level=1, name="Local-authority referees")).to_be_visible()
    accessible("referees")
    add_referee(page, accessible, "Salford City Council", "Rita Reed", "rita.reed@salford.example.org")
    add_referee(page, accessible, "Trafford Council", "Tom Tate", "tom.tate@trafford.example.org")
    add_referee(page, accessible, "Wigan Council", "Will Wade", "will.wade@wigan.example.org")

    # Removing a referee asks first; "No" keeps them, "Yes" removes them.
    page.get_by_role("link", name="Remove Will Wade").click()
    question = page.get_by_role("group", name="Are you sure you want to remove Will Wade as a referee?")
    expect(question).to_be_visible()
    accessible("remove a referee")
    question.get_by_role("radio", name="No").check()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("row").filter(has_text="Wigan Council")).to_contain_text("Will Wade")
    accessible("referees, Will Wade kept")
    page.get_by_role("link", name="Remove Will Wade").click()
    accessible("remove a referee, again")
    page.get_by_role("radio", name="Yes").check()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("alert", name="Success")).to_contain_text("Referee Will Wade removed")
    expect(page.get_by_role("row").filter(has_text="Wigan Council")).to_have_count(0)
    accessible("referees after removing Will Wade")
    back_to_application(page, accessible)

    # Check your answers: everything is there, each with its Change link.
    page.get_by_role("link", name="Check and submit").click()
    expect(page.get_by_text("Everything the application needs is there")).to_be_visible()
    expect(page.get_by_role("heading", name="Still to do before you can submit")).to_have_count(0)
    expect(summary_row(page, lot_one).get_by_role("definition").first).to_have_text("£1,250.00 per week")
    expect(summary_row(page, lot_two).get_by_role("definition").first).to_have_text("£980.00 per week")
    expect(summary_row(page, "Pricing schedule").get_by_role("definition").first).to_have_text(
        EVIDENCE["Pricing schedule"])
    expect(summary_row(page, "Trafford Council")).to_contain_text("Tom Tate, Head of placements")
    first_question = world.questions[0]
    expect(summary_row(page, first_question).get_by_role("definition").first).to_have_text(
        "Our answer to question 1, with examples.")
    accessible("check your answers, complete")
    screenshot("provider-check-answers")

    # Change one answer through its Change link, and come back to check the answers.
    page.get_by_role("link", name="Change your answer to question 1").click()
    expect(page.get_by_role("heading", level=1, name="Quality questions")).to_be_visible()
    expect(page.get_by_role("link", name="Back to check your answers")).to_be_visible()
    accessible("quality questions, from check your answers")
    page.get_by_role("textbox", name=first_question).fill("Our better answer to question 1.")
    page.get_by_role("button", name="Save answers").click()
    expect(page.get_by_role("alert", name="Success")).to_contain_text("Answers saved")
    expect(page.get_by_role("heading", level=1, name="Check your answers before submitting your application")
           ).to_be_visible()
    expect(summary_row(page, first_question).get_by_role("definition").first).to_have_text(
        "Our better answer to question 1.")
    accessible("check your answers, after changing an answer")
    page.get_by_role("button", name="Submit application").click()

    # The receipt, with the fingerprint of each document as received.
    expect(page.get_by_role("heading", level=1, name="Application submitted")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/receipt$"))
    accessible("receipt")
    screenshot("provider-receipt")
    # One lot a line, as text: no markup shown escaped.
    expect(summary_row(page, "Lots").get_by_role("definition")).to_have_text(f"{lot_one}\n{lot_two}",
                                                                            use_inner_text=True)
    received = page.get_by_role("table", name="Documents received")
    expect(received.get_by_role("row")).to_have_count(1 + len(EVIDENCE))
    for label, (path, sha256) in evidence_files.items():
        row = received.get_by_role("row").filter(has=page.get_by_role("cell", name=label, exact=True))
        expect(row.get_by_role("cell")).to_have_text([label, path.name, sha256])

    # The dashboard now shows the application as submitted.
    page.get_by_role("link", name="Back to applications").click()
    expect(page.get_by_role("link", name=f"View your submitted application to {world.dps_name}")).to_be_visible()
    accessible("provider dashboard after submitting")
