"""An Ofsted import that drops a provider's home to Inadequate: the administrator uploads the CSV, checks the
columns and the preview (the fall tagged, a row matching no setting), applies it; the lead's assistant director
sees the restriction on the contract page, is refused a decision without a reason, then extends the restriction to
the whole provider from Tasks. Every page is checked with axe."""

from datetime import date, datetime

from playwright.sync_api import Page, expect

from portal.extensions import db
from portal.models import Dps, Inspection, Organisation, User
from portal.models.user import ASSISTANT_DIRECTOR
from tests.factories import PASSWORD, admit, authority_user, setting_for

CSV = (b"Provider URN,Provision type,Inspection date,Inspection event type,Overall experiences and progress\n"
       b"SC100001,Children's home,01/10/2026,Full inspection,Inadequate\n"
       b"SC999999,Children's home,02/10/2026,Full inspection,Good\n")


def _set_up(live_portal, clock) -> None:
    def work():
        provider = db.session.scalars(db.select(User).where(User.email == "alpha@provider.example.org")).one()
        dps = db.session.scalars(db.select(Dps)).first()
        admit(provider, dps.lots[0], clock=clock)
        home = setting_for(provider, clock, urn="SC100001", name="Alder House")
        db.session.add(Inspection(setting_id=home.id, inspected_on=date(2025, 6, 1), inspection_type="Full inspection",
                                  judgement=2, recorded_at=datetime(2025, 6, 20)))
        lead = db.session.get(Organisation, dps.lead_authority_id)
        authority_user(lead, "Ada Nakamura-Reid", "director@lead.example.org", [ASSISTANT_DIRECTOR], clock)

    live_portal.run(work)


def sign_in(page: Page, accessible, email: str) -> None:
    page.goto("/sign-in")
    accessible("sign in")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    accessible(f"signed in as {email}")


def test_an_inadequate_judgement_from_import_to_the_assistant_directors_decision(page: Page, live_portal, accessible,
                                                                                 clock, tmp_path):
    _set_up(live_portal, clock)
    data = tmp_path / "ofsted-outcomes.csv"
    data.write_bytes(CSV)

    # The administrator uploads the month's file, keeps the columns offered, previews and applies.
    sign_in(page, accessible, "admin@lead.example.org")
    page.get_by_role("link", name="Ofsted imports").click()
    expect(page.get_by_role("heading", level=1, name="Ofsted imports")).to_be_visible()
    accessible("Ofsted imports")
    page.get_by_label("Ofsted's inspection data (CSV)").set_input_files(str(data))
    page.get_by_role("button", name="Upload and choose the columns").click()
    expect(page.get_by_role("heading", level=1, name="Choose the columns")).to_be_visible()
    expect(page.get_by_label("URN")).to_have_value("Provider URN")
    accessible("choose the columns")
    page.get_by_role("button", name="Save the columns and preview").click()
    expect(page.get_by_role("heading", level=1, name="Preview of the Ofsted import")).to_be_visible()
    fall = page.get_by_role("row").filter(has_text="Alder House")
    expect(fall).to_contain_text("Fell")
    expect(fall).to_contain_text("Inadequate")
    expect(page.get_by_role("row").filter(has_text="SC999999")).to_be_visible()
    accessible("preview")
    page.get_by_role("button", name="Apply the import").click()
    expect(page.get_by_role("alert", name="Success")).to_contain_text("1 judgements recorded, 1 of them falls")
    accessible("import applied")
    page.get_by_role("button", name="Sign out").click()
    accessible("signed out")

    # The assistant director sees the restriction on the contract page, then decides from Tasks.
    sign_in(page, accessible, "director@lead.example.org")
    page.get_by_role("link", name="Tasks").first.click()
    expect(page.get_by_role("heading", name="Inadequate judgements to decide (1)")).to_be_visible()
    accessible("tasks")
    page.get_by_role("link", name="Alder House (URN SC100001)").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Inadequate judgement: Alder House")
    accessible("the judgement")
    judgement_url = page.url
    page.get_by_role("link", name="Alpha Care on T-DPS").click()
    restriction = page.get_by_role("row").filter(has_text="Inadequate Ofsted judgement")
    expect(restriction).to_contain_text("New placements at Alder House (URN SC100001)")
    accessible("contract page with the restriction")
    page.go_back()
    accessible("the judgement again")
    page.get_by_role("button", name="Record the decision").click()
    expect(page.get_by_role("alert")).to_contain_text("There is a problem")
    accessible("decision refused without a reason")
    page.get_by_label("Extend the restriction to the whole provider").check()
    page.get_by_label("Why").fill("A second home of the provider was judged Requires improvement in June.")
    page.get_by_role("button", name="Record the decision").click()
    expect(page.get_by_role("alert", name="Success")).to_contain_text("Decision on Alder House (URN SC100001) recorded")
    expect(page.get_by_role("heading", name="Inadequate judgements to decide (1)")).to_have_count(0)
    accessible("decision recorded")
    page.goto(judgement_url)
    accessible("the judgement, decided")
    expect(page.get_by_text("Extend the restriction to the whole provider (")).to_be_visible()
    page.get_by_role("link", name="Alpha Care on T-DPS").click()
    expect(page.get_by_text("Suspended").first).to_be_visible()
    accessible("contract page, provider suspended")

    # The provider's own contract page: the restriction with its reason and the home's Ofsted history.
    page.context.clear_cookies()
    sign_in(page, accessible, "alpha@provider.example.org")
    page.goto("/provider/contracts")
    accessible("the provider's contracts")
    page.get_by_role("link", name="(T-DPS)").click()
    expect(page.get_by_text("Inadequate").first).to_be_visible()
    expect(page.get_by_text("Suspended").first).to_be_visible()
    accessible("the provider's contract page, suspended")
