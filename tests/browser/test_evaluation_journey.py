"""A closed window's applications are evaluated as the lead authority would: the administrator
allocates two evaluators, each scores independently with reasons and then sees the other's scores,
an evaluator records the gates and references, the moderator agrees the scores, the administrator
publishes the outcomes and reads the tier tables; then the provider reads its outcome, scores and
feedback and downloads its letter."""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from playwright.sync_api import Page, expect

from portal.extensions import db
from portal.models import Application, EntryWindow, User
from tests.factories import complete_application, evaluate, second_evaluator

ALPHA = "alpha@provider.example.org"
SECOND = "second@lead.example.org"

# Question number: (first evaluator, second evaluator, agreed), each a score and a reason.
MARKS = {
    1: ((4, "Clear missing-from-care protocol agreed with police; staff trained in exploitation risks."),
        (5, "Strong safeguarding: return interviews, a named lead and monthly LADO contact."),
        (4, "A clear protocol and trained staff; return interviews could be evidenced more fully.")),
    2: ((4, "Weekly budgeting and cooking sessions, with a tenancy-ready certificate."),
        (3, "Good skills plan but little on education, training and employment."),
        (4, "A structured skills plan; say more about education, training and employment next time.")),
    3: ((1, "Policies, registration and insurance confirmed."),
        (1, "Confirmed."),
        (1, "Confirmed: registration, policies and insurance are in place.")),
}


def user_by_email(email: str) -> User:
    return db.session.scalar(db.select(User).where(User.email == email))


@pytest.fixture
def closed_window(live_portal, clock):
    """Alpha Care and Beta Homes have submitted; a second evaluator joins; the window has closed."""
    world = live_portal.world

    def prepare():
        window = db.session.get(EntryWindow, world.window_id)
        for email in (ALPHA, "beta@provider.example.org"):
            complete_application(user_by_email(email), window, clock, submit=True)
        second_evaluator(SimpleNamespace(lead=user_by_email(world.admin_email).organisation), clock)
        clock.set(window.closes_at + timedelta(days=1))  # the live server reads the same clock

    live_portal.run(prepare)
    return world


def sign_in(page: Page, accessible, email: str, password: str, landing: str) -> None:
    page.goto("/sign-in")
    accessible("sign in")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1, name=landing)).to_be_visible()
    accessible(f"{email} signed in")


def sign_out(page: Page, accessible) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("alert", name="Success")).to_contain_text("You have signed out")
    accessible("signed out")


def success(page: Page, text: str) -> None:
    expect(page.get_by_role("alert", name="Success")).to_contain_text(text)


def open_from_queue(page: Page, accessible, provider: str) -> None:
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Evaluation").click()
    expect(page.get_by_role("heading", level=1, name="Evaluation")).to_be_visible()
    accessible("evaluation dashboard")
    queue = page.get_by_role("table").filter(has=page.get_by_role("columnheader", name="Your scores"))
    expect(queue.get_by_role("row").filter(has_text=provider)).to_contain_text("To do")
    queue.get_by_role("link", name=provider).click()
    expect(page.get_by_role("heading", level=1, name=provider)).to_be_visible()
    accessible(f"{provider}'s application")


def score(page: Page, accessible, questions: list[str], which: int) -> None:
    """Score every question with reasons, and submit."""
    for number, question in enumerate(questions, start=1):
        mark, reason = MARKS[number][which]
        group = page.get_by_role("group", name=question)
        group.get_by_role("textbox").first.fill(str(mark))
        group.get_by_label("Reason").fill(reason)
    page.get_by_role("button", name="Submit scores").click()
    success(page, "Your scores are submitted")
    expect(page.get_by_role("heading", name="Your scores")).to_have_count(0)
    accessible("scores submitted")


def scores_table(page: Page):
    return page.get_by_role("table").filter(has=page.get_by_role("rowheader", name="Question 1"))


def test_evaluators_score_moderate_and_publish_and_the_provider_reads_its_outcome(
        page: Page, live_portal, closed_window, clock, accessible, screenshot):
    world = closed_window
    questions = world.questions

    # The administrator allocates Alpha Care's application to herself and the second evaluator.
    sign_in(page, accessible, world.admin_email, world.password,
            "Dynamic purchasing systems led by Lead Council")
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Evaluation").click()
    expect(page.get_by_role("heading", level=1, name="Evaluation")).to_be_visible()
    expect(page.get_by_text("Nothing has been allocated to you.")).to_be_visible()
    accessible("evaluation dashboard, empty queue")
    page.get_by_role("link", name=f"{world.window_label} of {world.dps_reference}").click()
    expect(page.get_by_role("heading", level=1, name=f"{world.window_label}: evaluation")).to_be_visible()
    expect(page.get_by_role("row").filter(has_text="Alpha Care")).to_contain_text("To allocate")
    accessible("window to evaluate")
    page.get_by_role("link", name="Alpha Care").click()
    expect(page.get_by_role("heading", level=1, name="Alpha Care")).to_be_visible()
    accessible("application to allocate")
    allocation = page.get_by_role("group", name="Allocate evaluators")
    allocation.get_by_label("Ada Admin").check()
    page.get_by_role("button", name="Allocate").click()
    expect(page.get_by_role("alert").filter(has_text="There is a problem")).to_contain_text(
        "Allocate at least 2 evaluators")
    accessible("allocation with one evaluator")
    allocation.get_by_label("Ada Admin").check()
    allocation.get_by_label("Sam Second").check()
    page.get_by_role("button", name="Allocate").click()
    success(page, "Evaluators allocated")
    accessible("evaluators allocated")

    # Evaluator 1 (the administrator) scores from her queue and submits.
    open_from_queue(page, accessible, "Alpha Care")
    expect(page.get_by_role("heading", name="Your scores")).to_be_visible()
    screenshot("evaluation-scoring")
    score(page, accessible, questions, 0)
    table = scores_table(page)
    expect(table).to_contain_text(MARKS[1][0][1])
    expect(table.get_by_role("columnheader")).to_have_text(["Question", "Ada Admin"])  # never Sam's draft
    sign_out(page, accessible)

    # Evaluator 2 scores, submits, and now sees the first evaluator's scores beside their own.
    sign_in(page, accessible, SECOND, world.password, "Evaluation")
    open_from_queue(page, accessible, "Alpha Care")
    expect(page.get_by_text(MARKS[1][0][1])).to_have_count(0)  # nothing of the other's before submitting
    score(page, accessible, questions, 1)
    table = scores_table(page)
    expect(table.get_by_role("columnheader")).to_have_text(["Question", "Ada Admin", "Sam Second"])
    expect(table).to_contain_text(MARKS[1][0][1])
    expect(table).to_contain_text(MARKS[2][1][1])

    # ...records the three gates and both references.
    for gate in ("Required documents present", "Ofsted rating not Inadequate", "Insurance in date"):
        form = page.locator("form").filter(has=page.get_by_role("group", name=f"Finding for {gate}"))
        form.get_by_label("Pass", exact=True).check()
        page.get_by_role("button", name=f"Record {gate.lower()}").click()
        success(page, f"{gate} recorded")
        accessible(f"gate recorded: {gate}")
    for number in (1, 2):
        authority = f"Referee Council {number}"
        form = page.locator("form").filter(has=page.get_by_role("group", name=f"Reference from {authority}"))
        form.get_by_label("Satisfactory", exact=True).check()
        form.get_by_label(f"Note on the reference from {authority}").fill("Taken up by telephone: good placements")
        form.get_by_role("button", name=f"Record reference from {authority}", exact=True).click()
        success(page, "Reference recorded")
        accessible(f"reference recorded: {authority}")
    for gate in ("Required documents present", "Ofsted rating not Inadequate", "Insurance in date"):
        expect(page.locator(".govuk-summary-card").filter(has_text=gate)).to_contain_text("Recorded by Sam Second")
    screenshot("evaluation-scores-and-gates")
    sign_out(page, accessible)

    # The moderator (the administrator) agrees the scores and decides.
    sign_in(page, accessible, world.admin_email, world.password,
            "Dynamic purchasing systems led by Lead Council")
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Evaluation").click()
    accessible("evaluation dashboard for moderation")
    page.get_by_role("link", name=f"{world.window_label} of {world.dps_reference}").click()
    expect(page.get_by_role("row").filter(has_text="Alpha Care")).to_contain_text("Ready to moderate")
    accessible("window ready to moderate")
    page.get_by_role("link", name="Alpha Care").click()
    accessible("application ready to moderate")
    page.get_by_role("link", name="Moderate this application").click()
    expect(page.get_by_role("heading", level=1, name="Moderation: Alpha Care")).to_be_visible()
    side_by_side = page.get_by_role("table", name="Evaluators' scores side by side")
    expect(side_by_side).to_contain_text(MARKS[1][1][1])
    # Both evaluators passed question 3: moderation starts from that result and the first evaluator's reason.
    agreed = page.get_by_role("group", name="Question 3", exact=True)
    expect(agreed.get_by_label("Agreed result: pass (1) or fail (0)")).to_have_value("1")
    expect(agreed.get_by_role("radio", name="Use Ada Admin's reason")).to_be_checked()
    differing = page.get_by_role("group", name="Question 1", exact=True)
    expect(differing.get_by_label("Agreed score, 0 to 5")).to_have_value("")
    expect(differing.get_by_role("radio")).to_have_count(3)
    for radio in differing.get_by_role("radio").all():
        expect(radio).not_to_be_checked()
    accessible("moderation form")
    screenshot("evaluation-moderation")
    for number in MARKS:
        mark, reason = MARKS[number][2]
        group = page.get_by_role("group", name=f"Question {number}", exact=True)
        group.get_by_role("textbox").first.fill(str(mark))
        group.get_by_role("radio", name="Write the feedback").check()
        group.get_by_label(f"Reason and feedback for question {number}").fill(reason)
    page.get_by_role("button", name="Record moderation and decide").click()
    success(page, "Alpha Care: moderated. Outcome: Admitted")
    accessible("application moderated")

    # Beta Homes goes through the same steps, behind the scenes, with lower scores.
    def evaluate_beta():
        beta = db.session.scalar(db.select(Application).join(Application.provider)
                                 .where(Application.window_id == world.window_id,
                                        Application.provider.has(name="Beta Homes")))
        evaluate(beta, [user_by_email(world.admin_email), user_by_email(SECOND)], clock, scores={1: 3, 2: 3})

    live_portal.run(evaluate_beta)

    # The administrator publishes the outcomes and reads the tier tables.
    page.get_by_role("link", name=f"Back to {world.window_label}").click()
    expect(page.get_by_role("row").filter(has_text="Beta Homes")).to_contain_text("Moderated")
    accessible("window, all moderated")
    page.get_by_role("button", name="Publish outcomes").click()
    success(page, f"Outcomes of {world.window_label} published")
    expect(page.get_by_text("Outcomes published on")).to_be_visible()
    accessible("outcomes published")
    page.get_by_role("link", name="Tier tables").click()
    expect(page.get_by_role("heading", level=1, name="Tier tables")).to_be_visible()
    for lot in world.lots[:2]:
        tiers = page.get_by_role("table", name=lot)
        expect(tiers.get_by_role("row").filter(has_text="Alpha Care").get_by_role("cell").nth(0)).to_have_text("1")
        expect(tiers.get_by_role("row").filter(has_text="Alpha Care").get_by_role("cell").last).to_have_text("1")
        expect(tiers.get_by_role("row").filter(has_text="Beta Homes").get_by_role("cell").last).to_have_text("2")
    expect(page.get_by_role("table", name=world.lots[2])).to_contain_text("No tier table yet")
    accessible("tier tables")
    screenshot("evaluation-tiers")
    sign_out(page, accessible)

    # The provider sees the outcome on its application, reads it and downloads its letter.
    sign_in(page, accessible, ALPHA, world.password, "Applications")
    page.get_by_role("link", name=world.dps_name).first.click()
    expect(page.get_by_role("heading", level=1, name="Your application")).to_be_visible()
    banner = page.get_by_role("region", name="Outcome")
    expect(banner).to_contain_text("The outcome of this application has been published")
    accessible("application with outcome banner")
    banner.get_by_role("link", name="See your outcome, scores and feedback").click()
    expect(page.get_by_role("heading", level=1, name="Outcome of your application")).to_be_visible()
    results = page.get_by_role("table", name="Your result for each lot")
    for lot in world.lots[:2]:
        row = results.get_by_role("row").filter(has_text=lot)
        expect(row).to_contain_text("Admitted")
        expect(row).to_contain_text("Tier 1, rank 1")
    feedback = page.get_by_role("table").filter(has=page.get_by_role("columnheader", name="Feedback"))
    for number, (_, _, (mark, reason)) in MARKS.items():
        row = feedback.get_by_role("row").nth(number)
        expect(row).to_contain_text(reason)
        expect(row).to_contain_text("Pass" if number == 3 else f"{mark} out of 5")
    expect(page.get_by_text(MARKS[1][0][1])).to_have_count(0)  # evaluators' own notes stay internal
    accessible("outcome")
    screenshot("provider-outcome")
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download your outcome letter (PDF)").click()
    download = download_info.value
    assert download.suggested_filename.endswith("outcome-letter.pdf")
    with open(download.path(), "rb") as letter:
        assert letter.read(5) == b"%PDF-"
