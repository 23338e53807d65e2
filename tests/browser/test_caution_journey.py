"""A provider admitted with caution sends updated evidence from its dashboard's banner; the lead authority's
administrator reads it on the provider's page, is refused a decision without a reason, then lifts the caution;
the provider sees the decision and the banner is gone. Every page is checked with axe."""

import re

from playwright.sync_api import Page, expect

from portal.extensions import db
from portal.models import Dps, User
from tests.factories import PASSWORD, admit


def caution_on_a_lot(live_portal, clock) -> None:
    def work():
        provider = db.session.scalars(db.select(User).where(User.email == "alpha@provider.example.org")).one()
        dps = db.session.scalars(db.select(Dps)).first()
        admit(provider, dps.lots[0], caution=True, clock=clock)

    live_portal.run(work)


def sign_in(page: Page, accessible, email: str) -> None:
    page.goto("/sign-in")
    accessible("sign in")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    accessible(f"signed in as {email}")


def test_a_provider_sends_evidence_and_the_administrator_lifts_its_caution(page: Page, live_portal, accessible,
                                                                           clock, tmp_path):
    caution_on_a_lot(live_portal, clock)
    evidence = tmp_path / "new-reference.pdf"
    evidence.write_bytes(b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n")

    # The provider follows the banner, is refused an empty note, then sends the evidence.
    sign_in(page, accessible, "alpha@provider.example.org")
    page.get_by_role("link", name="See the caution and send updated evidence").click()
    expect(page.get_by_role("heading", level=1, name="Place with caution")).to_be_visible()
    accessible("caution page")
    page.get_by_label("Evidence file").set_input_files(str(evidence))
    page.get_by_role("button", name="Send evidence").click()
    expect(page.get_by_role("alert")).to_contain_text("There is a problem")
    accessible("evidence refused without a note")
    page.get_by_label("Evidence file").set_input_files(str(evidence))
    page.get_by_label("What does this evidence show?").fill("A satisfactory reference from Member council, May.")
    page.get_by_role("button", name="Send evidence").click()
    expect(page.get_by_role("alert", name="Success")).to_contain_text("Your evidence has been sent")
    expect(page.get_by_role("row").filter(has_text="new-reference.pdf")).to_contain_text("Awaiting review")
    accessible("evidence sent")
    page.get_by_role("button", name="Sign out").click()
    accessible("signed out")

    # The administrator reads it and must give a reason before lifting the caution.
    sign_in(page, accessible, "admin@lead.example.org")
    page.goto("/admin/providers")
    accessible("provider register")
    row = page.get_by_role("row").filter(has_text="SC123456")
    expect(row).to_contain_text("Caution evidence to review")
    row.get_by_role("link", name=re.compile("^Alpha Care")).click()
    expect(page.get_by_role("link", name="new-reference.pdf")).to_be_visible()
    accessible("provider page with evidence")
    page.get_by_label("Lift the caution: the provider is admitted without caution").check()
    page.get_by_role("button", name="Record the decision").click()
    expect(page.get_by_role("alert")).to_contain_text("There is a problem")
    accessible("decision refused without a reason")
    page.get_by_label("Lift the caution: the provider is admitted without caution").check()
    page.get_by_label("Reason").fill("The new reference answers the concern.")
    page.get_by_role("button", name="Record the decision").click()
    expect(page.get_by_role("alert", name="Success")).to_contain_text("Caution lifted for Alpha Care")
    accessible("caution lifted")
    page.get_by_role("button", name="Sign out").click()
    accessible("signed out")

    # The provider reads the decision; the banner has gone.
    sign_in(page, accessible, "alpha@provider.example.org")
    expect(page.get_by_role("link", name="See the caution and send updated evidence")).to_have_count(0)
    accessible("provider dashboard, caution lifted")
    page.goto("/provider/caution")
    expect(page.get_by_text("The new reference answers the concern.")).to_be_visible()
    expect(page.get_by_role("row").filter(has_text="new-reference.pdf")).to_contain_text("Reviewed")
    accessible("the decision, as the provider")
