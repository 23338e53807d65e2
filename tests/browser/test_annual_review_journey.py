"""The annual contract review from questionnaire to action plan PDF: the administrator sets the self-assessment
questions; the contract manager sends them from the contract page; the provider saves, then submits its answers;
the contract manager asks for more evidence on one, the provider answers again; the contract manager accepts,
records the meeting and the placement's cost, rates; the provider comments; the contract manager adds an action
and issues the plan; the provider downloads the PDF and the contract page shows the rating. Every page is checked
with axe, and no provider page shows who the child is."""

from datetime import timedelta

from playwright.sync_api import Page, expect

from portal.extensions import db
from portal.models import User
from portal.services import compliance, standing
from portal.timezone import uk_today
from tests.browser.test_agreement_journey import placement_of_alpha
from tests.browser.test_placement_journey import ALPHA, Journey, success
from tests.factories import contract_manager

MANAGER = "contracts@lead.example.org"


def _allocated(live_portal, clock) -> tuple[int, str]:
    """Alpha's placement, started; Alpha's contract allocated to a contract manager at the lead."""
    _, reference, _ = placement_of_alpha(live_portal, clock)
    clock.set(clock.now() + timedelta(days=6))

    def work():
        admin = db.session.scalar(db.select(User).where(User.email == live_portal.world.admin_email))
        world = type("World", (), {"lead": admin.organisation})()
        manager = contract_manager(world, clock)
        alpha = db.session.scalar(db.select(User).where(User.email == ALPHA))
        contract = standing.contract_for(live_portal.world.dps_id, alpha.organisation_id)
        contract.contract_manager_id = manager.id
        compliance.mark_review_done(manager, notes="", now=clock.now())  # the month's Ofsted review: not this test's
        return alpha.organisation_id

    return live_portal.run(work), reference


def _ok(journey, text: str) -> None:
    success(journey.page, text)
    journey.check(text)


def _fill_date(page: Page, name: str, day) -> None:
    boxes = page.locator(f"input[name='{name}']")
    boxes.nth(0).fill(str(day.day))
    boxes.nth(1).fill(str(day.month))
    boxes.nth(2).fill(str(day.year))


def _annual_reviews(journey) -> None:
    """The provider reaches its annual reviews from its contracts (the menu's Contracts)."""
    journey.menu("Contracts", "Your contracts")
    journey.page.get_by_role("link", name="Your annual contract reviews").click()
    expect(journey.page.get_by_role("heading", level=1, name="Annual contract reviews")).to_be_visible()
    journey.check("annual contract reviews")


def test_the_annual_review_from_questionnaire_to_action_plan(page: Page, live_portal, accessible, clock,
                                                              screenshot):
    provider_id, reference = _allocated(live_portal, clock)
    dps_id = live_portal.world.dps_id
    journey = Journey(page, accessible)
    today = uk_today(clock.now())

    # 1. The administrator sets the self-assessment questions.
    journey.sign_in(live_portal.world.admin_email, "Dynamic purchasing systems led by Lead Council")
    page.goto(f"/admin/dps/{dps_id}/review-questions")
    journey.check("review questions")
    page.get_by_role("button", name="Save the question").click()
    expect(page.get_by_role("alert")).to_contain_text("Enter the question")
    journey.check("question refused")
    for text in ("How do you keep children safe?", "How do you support children's education?"):
        page.get_by_label("Question", exact=True).fill(text)
        page.get_by_role("button", name="Save the question").click()
        _ok(journey, "added")
    journey.check("questions set")
    journey.sign_out()

    # 2. The contract manager sends the questionnaire from the contract page.
    journey.sign_in(MANAGER, "Your providers' contracts")
    page.goto(f"/authority/contracts/dps/{dps_id}/providers/{provider_id}")
    journey.check("contract page")
    page.get_by_role("link", name="Send this year's annual review").click()
    journey.check("send the review")
    _fill_date(page, "due_on", today)
    page.get_by_role("button", name="Send the questionnaire").click()
    expect(page.get_by_role("alert")).to_contain_text("The answers must be due after today")
    journey.check("sending refused")
    _fill_date(page, "due_on", today + timedelta(days=21))
    page.get_by_label("Documents to update").fill("Insurance certificates and the safeguarding policy")
    page.get_by_role("button", name="Send the questionnaire").click()
    _ok(journey, "The questionnaire was sent to Alpha Care")
    journey.check("review sent")
    journey.sign_out()

    # 3. The provider saves one answer, then submits both.
    journey.sign_in(ALPHA, "Applications")
    _annual_reviews(journey)
    page.get_by_role("link", name="(T-DPS)").click()
    journey.check("provider's review")
    page.get_by_label("1. How do you keep children safe?").fill("Safer recruitment and level 3 training for all")
    page.get_by_role("button", name="Save your answers").click()
    _ok(journey, "Answers saved")
    page.get_by_role("button", name="Submit the self-assessment").click()
    expect(page.get_by_role("alert")).to_contain_text("Enter an answer to question 2")
    journey.check("submission refused")
    page.get_by_label("2. How do you support children's education?").fill("A link worker with the virtual school")
    page.get_by_role("button", name="Submit the self-assessment").click()
    _ok(journey, "Self-assessment submitted")
    journey.check("submitted")
    journey.sign_out()

    # 4. The contract manager asks for more evidence on question 2, from Tasks.
    journey.sign_in(MANAGER, "Your providers' contracts")
    journey.menu("Tasks (1)", "Tasks")
    page.get_by_role("link", name="Annual review: moderate the answers").click()
    journey.check("moderation")
    page.get_by_role("group", name="Your moderation of question 1").get_by_label("Accept").check()
    page.get_by_role("group", name="Your moderation of question 2").get_by_label("Ask for more evidence").check()
    page.get_by_label("What evidence you ask for (question 2)").fill("Attendance figures for the year")
    page.get_by_role("button", name="Save the moderation").click()
    _ok(journey, "Moderation saved")
    journey.check("more evidence asked")
    journey.sign_out()

    # 5. The provider answers question 2 again.
    journey.sign_in(ALPHA, "Applications")
    _annual_reviews(journey)
    page.get_by_role("link", name="(T-DPS)").click()
    journey.check("opened")
    expect(page.get_by_text("Evidence asked: Attendance figures for the year")).to_be_visible()
    page.get_by_label("2. How do you support children's education?").fill("Attendance 96%, attached to the e-mail")
    page.get_by_role("button", name="Submit the self-assessment").click()
    _ok(journey, "Self-assessment submitted")
    journey.sign_out()

    # 6. The contract manager accepts, records the meeting and the cost, and rates.
    journey.sign_in(MANAGER, "Your providers' contracts")
    journey.menu("Tasks (1)", "Tasks")
    page.get_by_role("link", name="Annual review: moderate the answers").click()
    journey.check("opened")
    page.get_by_role("group", name="Your moderation of question 2").get_by_label("Accept").check()
    page.get_by_role("button", name="Save the moderation").click()
    _ok(journey, "Moderation saved")
    journey.check("moderated")
    _fill_date(page, "meeting-held_on", today)
    page.get_by_label("Who attended").fill("Cara Mensah (contract manager), Alex Alpha (registered manager)")
    page.get_by_label("Notes of the meeting").fill("Workforce and education discussed")
    page.get_by_role("button", name="Record the meeting").click()
    _ok(journey, "Meeting recorded")
    page.get_by_role("group", name=f"The cost of {reference}").get_by_label(
        "Cost still reflects the child's needs").check()
    page.get_by_role("button", name=f"Record the cost review of {reference}").click()
    _ok(journey, "Cost review recorded")
    page.get_by_role("group", name="Overall rating").get_by_label("Requires improvement").check()
    page.get_by_label("Staffing and workforce").check()
    page.get_by_label("Why this rating").fill("Staff turnover is high")
    page.get_by_role("button", name="Give the rating").click()
    _ok(journey, "Rating given")
    journey.check("rated")
    journey.sign_out()

    # 7. The provider comments on the rating.
    journey.sign_in(ALPHA, "Applications")
    _annual_reviews(journey)
    page.get_by_role("link", name="(T-DPS)").click()
    journey.check("opened")
    page.get_by_label("Your comment on the rating").fill("Turnover has fallen since March")
    page.get_by_role("button", name="Send your comment").click()
    _ok(journey, "Your comment was sent")
    journey.check("commented")
    journey.sign_out()

    # 8. The contract manager adds an action and issues the plan.
    journey.sign_in(MANAGER, "Your providers' contracts")
    page.goto("/authority/contracts/annual-reviews")
    journey.check("annual reviews list")
    page.get_by_role("link", name="Alpha Care").click()
    journey.check("opened")
    expect(page.get_by_text("Turnover has fallen since March")).to_be_visible()
    page.get_by_role("button", name="Issue the action plan to the provider").click()
    expect(page.get_by_role("alert")).to_contain_text("needs at least one action")
    journey.check("issue refused")
    page.get_by_label("Action", exact=True).fill("Recruit two night staff")
    page.get_by_label("Who owns it").fill("Registered manager")
    _fill_date(page, "action-due_on", today + timedelta(days=60))
    page.get_by_role("button", name="Add the action").click()
    _ok(journey, "Action added to the plan")
    page.get_by_role("button", name="Issue the action plan to the provider").click()
    _ok(journey, "Action plan issued to the provider")
    journey.check("issued")
    screenshot("annual-review-issued")
    journey.sign_out()

    # 9. The provider downloads the action plan.
    journey.sign_in(ALPHA, "Applications")
    _annual_reviews(journey)
    page.get_by_role("link", name="(T-DPS)").click()
    journey.check("provider's issued review")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the rating and action plan (PDF)").click()
    assert download.value.suggested_filename.endswith("action-plan.pdf")
    journey.menu("Contracts", "Your contracts")
    page.get_by_role("link", name="(T-DPS)").click()
    expect(page.get_by_text("Last review: rated Requires improvement")).to_be_visible()
    journey.check("provider's contract page with the rating")
    journey.sign_out()

    # 10. The contract page shows the rating.
    journey.sign_in(MANAGER, "Your providers' contracts")
    page.goto(f"/authority/contracts/dps/{dps_id}/providers/{provider_id}")
    expect(page.get_by_text("Requires improvement")).to_be_visible()
    journey.check("contract page with the rating")
