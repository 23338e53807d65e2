"""A provider's journey through its pages: the dashboard says where each application really stands,
the check-your-answers page shows everything before the irreversible submit, read-only pages invite no
editing, and a referee is removed only once the provider confirms."""

import html
import re
from datetime import timedelta

import pytest

from portal.extensions import db
from portal.models import Application, Referee
from portal.services import applications, evaluations, outcomes
from tests.factories import complete_application, evaluate


def text_of(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def visible_text(response) -> str:
    """The words a sighted user reads, and the visually-hidden ones a screen reader adds, without markup."""
    page = response.get_data(as_text=True)
    page = page.split('<main', 1)[1].split("</main>", 1)[0]
    page = re.sub(r"<script.*?</script>", " ", page, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def dashboard_row(client, dps_name: str, window_label: str) -> str:
    page = text_of(client.get("/provider/"))
    table = page.split("Your applications", 1)[1]
    rows = [row for row in table.split('<tr class="govuk-table__row">')[1:] if window_label in row and dps_name in row]
    assert len(rows) == 1, rows
    return rows[0]


# The dashboard ---------------------------------------------------------------------------------------

def test_the_dashboard_shows_the_published_outcome_with_a_link_to_it(world, clock, sign_in):
    admitted = complete_application(world.provider_a, world.window, clock, lots=world.lots, submit=True)
    refused = complete_application(world.provider_b, world.window, clock, submit=True)
    clock.set(world.window.closes_at + timedelta(days=1))
    evaluate(admitted, [world.admin, world.evaluator], clock)
    evaluate(refused, [world.admin, world.evaluator], clock, scores={1: 0, 2: 0})
    provider_a, provider_b = sign_in(world.provider_a), sign_in(world.provider_b)

    # Moderated is not published: the provider still reads that it is being evaluated.
    row = dashboard_row(provider_a, world.dps.name, world.window.label)
    assert "Submitted, being evaluated" in row
    assert "Admitted" not in row

    outcomes.publish(world.admin, world.window, clock.now())
    row = dashboard_row(provider_a, world.dps.name, world.window.label)
    assert "Admitted to 3 of 3 lots" in row
    assert f'href="/provider/applications/{admitted.id}/outcome">See your outcome and feedback' in row
    row = dashboard_row(provider_b, world.dps.name, world.window.label)
    assert "Not admitted" in row
    assert f'href="/provider/applications/{refused.id}/outcome">See your outcome and feedback' in row


def test_the_dashboard_counts_the_lots_admitted_out_of_those_applied_for(world, clock, sign_in):
    application = complete_application(world.provider_a, world.window, clock, lots=world.lots, submit=True)
    clock.set(world.window.closes_at + timedelta(days=1))
    evaluate(application, [world.admin, world.evaluator], clock, reference="unsatisfactory")
    outcomes.publish(world.admin, world.window, clock.now())
    row = dashboard_row(sign_in(world.provider_a), world.dps.name, world.window.label)
    assert "Admitted to 3 of 3 lots, 3 with caution" in row


def test_the_dashboard_flags_an_open_question_with_a_link_to_answer_it(world, clock, sign_in):
    application = complete_application(world.provider_a, world.window, clock, submit=True)
    clock.set(world.window.closes_at + timedelta(days=1))
    evaluations.allocate(world.admin, application, [world.admin.id, world.evaluator.id], clock.now())
    question = evaluations.ask_clarification(world.evaluator, application, "Which homes do you run?", clock.now())
    client = sign_in(world.provider_a)
    row = dashboard_row(client, world.dps.name, world.window.label)
    assert "Question to answer" in row
    assert f'href="/provider/applications/{application.id}/clarifications">Answer the evaluators\' question' in row

    response = client.post(f"/provider/applications/{application.id}/clarifications",
                           data={"clarification_id": question.id, "answer": "Three homes in Salford."})
    assert response.status_code == 302
    row = dashboard_row(client, world.dps.name, world.window.label)
    assert "Question to answer" not in row
    assert "Submitted, being evaluated" in row


def test_a_draft_whose_window_closed_says_it_was_not_submitted(world, clock, sign_in):
    applications.start(world.provider_a, world.window, clock.now())
    clock.set(world.window.closes_at + timedelta(minutes=1))
    row = dashboard_row(sign_in(world.provider_a), world.dps.name, world.window.label)
    assert "Not submitted: the window closed" in row
    assert "Continue your application" not in row


# Check your answers ----------------------------------------------------------------------------------

def test_check_your_answers_shows_every_lot_price_answer_document_and_referee_with_a_change_link(
        world, clock, sign_in):
    application = complete_application(world.provider_a, world.window, clock)
    applications.set_prices(world.provider_a, application, {world.lots[1].categories[0].id: "980.50"}, clock.now())
    response = sign_in(world.provider_a).get(f"/provider/applications/{application.id}/submit")
    assert response.status_code == 200
    page = visible_text(response)
    assert "Check your answers before submitting your application" in page
    base = f"/provider/applications/{application.id}"
    raw = text_of(response)
    assert f'href="{base}/lots?from=check"' in raw
    for lot, price in ((world.lots[0], "£1,250.00"), (world.lots[1], "£980.50")):
        assert f"{lot.label} {price} per week Change weekly price for {lot.label}" in page
        assert f'href="{base}/prices?from=check#price-{lot.categories[0].id}"' in raw
    for question in world.window.question_set.questions:
        assert (f"Question {question.number}: {question.text} Answer to question {question.number} "
                f"Change your answer to question {question.number}") in page
        assert f'href="{base}/answers?from=check#answer-{question.id}"' in raw
    for kind in applications.required_evidence(application):
        assert f"{kind}.pdf" in page
        assert f'href="{base}/documents?kind={kind}&from=check#kind"' in raw
    for referee in application.referees:
        assert (f"{referee.authority_name} {referee.contact_name}, {referee.job_title} {referee.email} "
                f"Change referee at {referee.authority_name}") in page
    assert "Submit application" in page


def test_a_change_made_from_check_your_answers_returns_there(world, clock, sign_in):
    application = complete_application(world.provider_a, world.window, clock)
    question = world.window.question_set.questions[0]
    client = sign_in(world.provider_a)
    section = client.get(f"/provider/applications/{application.id}/answers?from=check")
    assert f'href="/provider/applications/{application.id}/submit"' in text_of(section)
    assert "Back to check your answers" in text_of(section)
    response = client.post(f"/provider/applications/{application.id}/answers?from=check",
                           data={f"answer-{question.id}": "A better answer"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/provider/applications/{application.id}/submit")
    assert "A better answer" in visible_text(client.get(response.headers["Location"]))
    # Without the Change link, saving goes back to the task list as before.
    response = client.post(f"/provider/applications/{application.id}/answers",
                           data={f"answer-{question.id}": "A better answer"})
    assert response.headers["Location"].endswith(f"/provider/applications/{application.id}")


# Read-only pages ------------------------------------------------------------------------------------

EDITING_WORDS = ("Change", "Add a referee", "Upload", "Remove", "Save", "Submit application", "Choose lots",
                 "Select all that apply", "You can save", "can continue this application", "Give your standard")


@pytest.mark.parametrize("closed", [False, True], ids=["submitted", "window closed"])
def test_read_only_pages_do_not_invite_editing(world, clock, sign_in, closed):
    application = complete_application(world.provider_a, world.window, clock, submit=not closed)
    if closed:
        clock.set(world.window.closes_at + timedelta(minutes=1))
    client = sign_in(world.provider_a)
    for section in ("", "/lots", "/prices", "/answers", "/documents", "/referees", "/submit",
                    f"/referees/{application.referees[0].id}/remove"):
        response = client.get(f"/provider/applications/{application.id}{section}")
        assert response.status_code == 200, section
        page = visible_text(response)
        for words in EDITING_WORDS:
            assert not re.search(rf"\b{words}\b", page), f"{section or 'overview'}: {words!r}"
        assert "can no longer be changed" in page, section


# Removing a referee -----------------------------------------------------------------------------------

def test_removing_a_referee_asks_first_and_only_a_yes_removes_it(world, clock, sign_in):
    application = complete_application(world.provider_a, world.window, clock)
    referee = application.referees[0]
    referee_id, name = referee.id, referee.contact_name
    url = f"/provider/applications/{application.id}/referees/{referee_id}/remove"
    client = sign_in(world.provider_a)
    referees_page = text_of(client.get(f"/provider/applications/{application.id}/referees"))
    assert f'href="{url}">Remove' in referees_page

    question = text_of(client.get(url))
    assert f"Are you sure you want to remove {name} as a referee?" in question

    # A remove sent without an answer (a stray or forged request) changes nothing and asks again.
    response = client.post(url)
    assert response.status_code == 400
    assert f"Select yes if you want to remove {name} as a referee" in text_of(response)
    response = client.post(url, data={"confirm": "no"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Referee, referee_id) is not None

    response = client.post(url, data={"confirm": "yes"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Referee, referee_id) is None
    assert len(db.session.get(Application, application.id).referees) == 1
    assert f"Referee {name} removed" in text_of(client.get(response.headers["Location"]))
