"""The evaluation through its pages, as the people who use them: evaluators scoring, the moderator,
the administrator publishing, and the provider, who sees nothing until publication and then only
its own result."""

import html
import re
from datetime import timedelta

import pytest
from reportlab import rl_config

from portal.extensions import db
from portal.models import Allocation, Application, Clarification, GateResult, LotOutcome, ModeratedScore, Score
from portal.models.evaluation import ADMITTED
from portal.services import evaluations
from tests.evaluation.helpers import (
    after_close,
    allocate_and_score,
    apply,
    marks_for,
    ready_to_moderate,
    record_findings,
)
from tests.factories import complete_application, evaluate, second_evaluator
from tests.portal.test_query_counts import add_provider, counting, grown


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def form_marks(application, scores: dict, reasons: dict | None = None, action: str | None = None) -> dict:
    """The scoring form's fields: scores and reasons by question number (as typed)."""
    data = {"action": action} if action else {}
    for question in application.window.question_set.questions:
        if question.number in scores:
            data[f"score-{question.id}"] = str(scores[question.number])
            data[f"reason-{question.id}"] = (reasons or {}).get(question.number,
                                                                f"Because of answer {question.number}")
    return data


def page(application) -> str:
    return f"/evaluation/applications/{application.id}"


@pytest.fixture
def alpha(world, clock):
    return apply(world.provider_a, world.window, clock)


# Scoring -----------------------------------------------------------------------------------------

def test_evaluator_scores_through_the_form_then_sees_the_others(world, clock, alpha, sign_in):
    after_close(world, clock)
    admin = sign_in(world.admin)
    response = admin.post(f"{page(alpha)}/allocate", data={"evaluators": [world.admin.id, world.evaluator.id]},
                          follow_redirects=True)
    assert response.status_code == 200 and "Evaluators allocated" in text(response)
    ada = {1: "Ada: the safeguarding plan is thorough", 2: "Ada: good life-skills work", 3: "Ada: cover held"}
    evaluations.save_scores(world.admin, alpha, marks_for(alpha, {1: 5, 2: 4}) | {
        q.id: (score, ada[q.number]) for q, score in zip(alpha.window.question_set.questions, (5, 4, 1),
                                                          strict=True)}, clock.now())
    evaluations.submit_scores(world.admin, alpha, clock.now())

    eve = sign_in(world.evaluator)
    before = text(eve.get(page(alpha)))
    assert "Your scores" in before and "Submit scores" in before
    assert not any(reason in before for reason in ada.values())

    response = eve.post(f"{page(alpha)}/scores", data=form_marks(alpha, {1: 3, 2: 2}, action="save"),
                        follow_redirects=True)
    draft = text(response)
    assert response.status_code == 200 and "Your scores are saved as a draft" in draft
    assert "Because of answer 1" in draft  # the draft is shown back in the form
    assert not any(reason in draft for reason in ada.values())
    mine = evaluations.own_allocation(world.evaluator, alpha)
    assert sorted(s.score for s in mine.scores) == [2, 3] and mine.submitted_at is None

    response = eve.post(f"{page(alpha)}/scores", data=form_marks(alpha, {1: 3, 2: 2, 3: 1}, action="submit"),
                        follow_redirects=True)
    after = text(response)
    assert "Your scores are submitted. You can now see the other evaluators' scores." in after
    assert "Evaluators' scores" in after and "Ada Admin" in after
    assert all(reason in after for reason in ada.values())
    assert "Submit scores" not in after
    db.session.expire_all()
    assert evaluations.own_allocation(world.evaluator, alpha).submitted_at == clock.now()


def test_submitting_an_incomplete_form_is_refused(world, clock, alpha, sign_in):
    evaluations.allocate(world.admin, alpha, [world.admin.id, world.evaluator.id], clock.now())
    eve = sign_in(world.evaluator)
    response = eve.post(f"{page(alpha)}/scores", data=form_marks(alpha, {2: 4}, action="submit"))
    assert response.status_code == 400
    assert "Score every question before submitting: question 1, 3 still to do" in text(response)
    db.session.expire_all()
    mine = evaluations.own_allocation(world.evaluator, alpha)
    assert mine.submitted_at is None
    assert [s.score for s in mine.scores] == [4]  # the valid mark is kept as a draft


def test_bad_score_input_shows_its_message_and_keeps_the_valid_marks(world, clock, alpha, sign_in):
    evaluations.allocate(world.admin, alpha, [world.admin.id, world.evaluator.id], clock.now())
    q1, q2, q3 = alpha.window.question_set.questions
    eve = sign_in(world.evaluator)
    response = eve.post(f"{page(alpha)}/scores", data={
        "action": "save", f"score-{q1.id}": "9", f"reason-{q1.id}": "Very good indeed",
        f"score-{q2.id}": "3", f"reason-{q2.id}": "Sound plan for independence",
        f"score-{q3.id}": "1", f"reason-{q3.id}": ""})
    body = text(response)
    assert response.status_code == 400
    assert "There is a problem" in body
    assert "The score for question 1 must be between 0 and 5" in body
    assert "Give the reason for your score for question 3" in body
    assert "Very good indeed" in body  # what was typed is shown back
    db.session.expire_all()
    scores = db.session.scalars(db.select(Score).join(Allocation).where(
        Allocation.evaluator_id == world.evaluator.id)).all()
    assert [(s.question_id, s.score, s.reason) for s in scores] == [(q2.id, 3, "Sound plan for independence")]

    response = eve.post(f"{page(alpha)}/scores", data={"action": "save", f"score-{q1.id}": "four",
                                                       f"reason-{q1.id}": "Words"})
    assert response.status_code == 400 and "Give a score for question 1" in text(response)
    # Characters that look like digits but are not numbers are refused the same way.
    for typed in ("²", "-²", "٣x"):
        response = eve.post(f"{page(alpha)}/scores", data={"action": "save", f"score-{q1.id}": typed,
                                                           f"reason-{q1.id}": "Words", "score-²": "1"})
        assert response.status_code == 400 and "Give a score for question 1" in text(response), typed
    db.session.expire_all()
    assert [(s.question_id, s.score) for s in db.session.scalars(db.select(Score).join(Allocation).where(
        Allocation.evaluator_id == world.evaluator.id))] == [(q2.id, 3)]


def test_a_conflicted_evaluator_can_neither_read_nor_score_the_application(world, clock, alpha, sign_in):
    evaluations.allocate(world.admin, alpha, [world.admin.id, world.evaluator.id], clock.now())
    eve = sign_in(world.evaluator)
    assert eve.get(page(alpha)).status_code == 200
    response = eve.post("/evaluation/conflicts", data={"provider_id": world.provider_a.organisation_id,
                                                       "note": "My sister manages one of their homes"},
                        follow_redirects=True)
    assert "Conflict of interest with Alpha Care declared" in text(response)
    assert "My sister manages one of their homes" in text(eve.get("/evaluation/conflicts"))

    # The application, its documents and its moderation are closed to her, as if they did not exist.
    assert eve.get(page(alpha)).status_code == 404
    assert eve.get(f"{page(alpha)}/moderate").status_code == 404
    assert eve.get(f"/documents/{alpha.documents[0].id}").status_code == 404
    assert eve.post(f"{page(alpha)}/scores", data=form_marks(alpha, {1: 4, 2: 4, 3: 1}, action="submit")
                    ).status_code == 404
    assert eve.post(f"{page(alpha)}/gates", data={"gate": "ofsted", "passed": "yes", "evidence": "Good"}
                    ).status_code == 404
    assert "Alpha Care" in text(eve.get(f"/evaluation/windows/{world.window.id}"))  # listed, not opened
    db.session.expire_all()
    assert db.session.scalar(db.select(db.func.count(Score.id))) == 0
    assert db.session.get(Application, alpha.id).gates == []

    admin = sign_in(world.admin)
    assert admin.get(f"/documents/{alpha.documents[0].id}").status_code == 200
    response = admin.post(f"{page(alpha)}/allocate", data={"evaluators": [world.evaluator.id]})
    assert response.status_code == 400
    assert "Eve Evaluator has declared a conflict of interest with Alpha Care" in text(response)
    db.session.expire_all()
    assert [a.evaluator_id for a in db.session.get(Application, alpha.id).allocations] == [world.admin.id]


def test_an_evaluator_who_is_not_an_administrator_cannot_allocate(world, clock, alpha, sign_in):
    second = second_evaluator(world, clock)
    response = sign_in(world.evaluator).post(f"{page(alpha)}/allocate",
                                             data={"evaluators": [world.evaluator.id, second.id]})
    assert response.status_code == 403
    assert db.session.scalar(db.select(db.func.count(Allocation.id))) == 0


def test_a_gate_another_evaluator_recorded_at_the_same_moment_shows_a_message(world, clock, alpha, sign_in,
                                                                               monkeypatch):
    real_record = evaluations.record_gate

    def colleague_first(user, application, gate, passed, evidence, now):
        # The colleague's finding lands after this request read the application, before it saves.
        application.gates  # noqa: B018 - read, as the page's request would have
        with db.engine.begin() as connection:
            connection.execute(db.insert(GateResult.__table__).values(
                application_id=application.id, gate=gate, passed=False, evidence="Colleague's finding",
                recorded_by_id=world.admin.id, recorded_at=now))
        return real_record(user, application, gate, passed, evidence, now)

    monkeypatch.setattr(evaluations, "record_gate", colleague_first)
    response = sign_in(world.evaluator).post(f"{page(alpha)}/gates",
                                             data={"gate": "ofsted", "passed": "yes", "evidence": "Good, 2025"})
    assert response.status_code == 400
    assert "Someone else changed this at the same moment. Check what is recorded now and try again." in text(response)
    assert "Colleague's finding" in text(response)  # what is recorded now
    db.session.expire_all()
    assert [g.evidence for g in db.session.scalars(db.select(GateResult))] == ["Colleague's finding"]


def test_each_record_reference_button_names_its_referee_and_the_back_link_is_in_a_landmark(world, clock, alpha,
                                                                                           sign_in):
    body = sign_in(world.evaluator).get(page(alpha)).get_data(as_text=True)
    buttons = re.findall(r"<button[^>]*>\s*(Record reference.*?)\s*</button>", body, re.S)
    assert [re.sub(r"<[^>]+>", "", b) for b in buttons] == [
        "Record reference from Referee Council 1", "Record reference from Referee Council 2"]
    assert all('<span class="govuk-visually-hidden"> from Referee Council' in b for b in buttons)
    # Axe's "region" rule: all content sits in a landmark, the back link included (in a nav, before main).
    back = re.search(r'<nav class="portal-back-link" aria-label="Back">\s*<a [^>]*class="govuk-back-link"', body)
    assert back is not None and back.start() < body.index("<main")


# Moderation --------------------------------------------------------------------------------------

def submit_different_scores(world, clock, application, ada: dict, eve: dict):
    evaluations.allocate(world.admin, application, [world.admin.id, world.evaluator.id], clock.now())
    for user, scores in ((world.admin, ada), (world.evaluator, eve)):
        evaluations.save_scores(user, application, marks_for(application, scores), clock.now())
        evaluations.submit_scores(user, application, clock.now())


def test_moderation_page_highlights_scores_further_apart_than_the_gap(world, clock, alpha, sign_in):
    submit_different_scores(world, clock, alpha, {1: 5, 2: 5}, {1: 1, 2: 3})
    admin = sign_in(world.admin)
    body = text(admin.get(f"{page(alpha)}/moderate"))
    assert world.dps.moderation_gap == 2
    assert "Differ by 4" in body  # question 1: 5 and 1
    assert "Differ by 2" not in body  # question 2: 5 and 3, not more than the gap
    assert "Scores more than 2 apart are highlighted" in body

    world.dps.moderation_gap = 1
    db.session.commit()
    body = text(admin.get(f"{page(alpha)}/moderate"))
    assert "Differ by 4" in body and "Differ by 2" in body


def test_moderation_waits_for_the_evaluators(world, clock, alpha, sign_in):
    allocate_and_score(alpha, world.admin, [world.admin, world.evaluator], clock, submit=False)
    response = sign_in(world.admin).get(f"{page(alpha)}/moderate", follow_redirects=True)
    assert "Moderation opens when every allocated evaluator has submitted their scores" in text(response)


def test_moderation_through_the_form_records_the_outcome(world, clock, alpha, sign_in):
    ready_to_moderate(alpha, world.admin, [world.admin, world.evaluator], clock, {1: 4, 2: 3})
    admin = sign_in(world.admin)
    q1, q2, q3 = alpha.window.question_set.questions
    response = admin.post(f"{page(alpha)}/moderate", data={f"score-{q1.id}": "4", f"reason-{q1.id}": "Agreed"})
    assert response.status_code == 400
    assert "Give a score for question 2" in text(response) and "Give a score for question 3" in text(response)
    assert db.session.scalar(db.select(db.func.count(ModeratedScore.id))) == 0

    feedback = {1: "Clear safeguarding procedures", 2: "Some evidence of skills work", 3: "Cover in place"}
    response = admin.post(f"{page(alpha)}/moderate", data=form_marks(alpha, {1: 4, 2: 3, 3: 1}, feedback),
                          follow_redirects=True)
    assert "Alpha Care: moderated. Outcome: Admitted" in text(response)
    db.session.expire_all()
    application = db.session.get(Application, alpha.id)
    assert application.moderated_at == clock.now() and application.moderated_by_id == world.admin.id
    assert sorted((m.question.number, m.score, m.reason) for m in application.moderated_scores) == [
        (1, 4, feedback[1]), (2, 3, feedback[2]), (3, 1, feedback[3])]
    rows = db.session.scalars(db.select(LotOutcome).where(LotOutcome.application_id == alpha.id)).all()
    assert {(row.lot_id, row.outcome) for row in rows} == {(al.lot_id, ADMITTED) for al in application.lots}
    body = text(admin.get(f"{page(alpha)}/moderate"))
    assert "Admitted" in body and "quality 73.3%" in body and feedback[2] in body
    assert "Record moderation and decide" not in body


# The evaluation report ---------------------------------------------------------------------------

def test_the_report_is_for_the_leads_administrators_and_prints_no_draft_scores(world, clock, alpha, sign_in,
                                                                               monkeypatch):
    monkeypatch.setattr(rl_config, "pageCompression", 0)  # so the PDF's text can be read in its bytes
    second = second_evaluator(world, clock)
    evaluations.allocate(world.admin, alpha, [world.admin.id, world.evaluator.id, second.id], clock.now())
    evaluations.save_scores(world.admin, alpha, marks_for(alpha, reason="Submitted mark"), clock.now())
    evaluations.submit_scores(world.admin, alpha, clock.now())
    evaluations.save_scores(world.evaluator, alpha, marks_for(alpha, reason="Unfinished draft"), clock.now())
    url = f"/evaluation/windows/{world.window.id}/report.pdf"

    eve = sign_in(world.evaluator)
    assert eve.get(url).status_code == 403
    assert "Download the evaluation report" not in text(eve.get(f"/evaluation/windows/{world.window.id}"))
    assert sign_in(world.outside_admin).get(url).status_code == 404
    admin = sign_in(world.admin)
    assert "Download the evaluation report" in text(admin.get(f"/evaluation/windows/{world.window.id}"))
    response = admin.get(url)
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    assert b"Submitted mark for question 1" in response.data and b"Ada Admin" in response.data
    assert b"Unfinished draft" not in response.data and b"Eve Evaluator" not in response.data
    assert b"Sam Second" not in response.data
    db.session.expire_all()
    assert db.session.scalar(db.select(db.func.count(Score.id))) == 6  # the draft is kept, just not printed


# Publication and what the provider sees ----------------------------------------------------------

def test_administrator_publishes_once(world, clock, alpha, sign_in):
    beta = apply(world.provider_b, world.window, clock)
    after_close(world, clock)
    evaluate(alpha, [world.admin, world.evaluator], clock)
    admin = sign_in(world.admin)
    window_page = f"/evaluation/windows/{world.window.id}"
    response = admin.post(f"{window_page}/publish", follow_redirects=True)
    assert "Moderate every application before publishing. Still to moderate: Beta Homes" in text(response)

    evaluate(beta, [world.admin, world.evaluator], clock)
    assert sign_in(world.evaluator).post(f"{window_page}/publish").status_code == 403
    response = admin.post(f"{window_page}/publish", follow_redirects=True)
    assert "Outcomes of Window 1 published: providers can see their results and letters" in text(response)
    assert "Outcomes published on" in text(response)
    response = admin.post(f"{window_page}/publish", follow_redirects=True)
    assert "The outcomes of this window have already been published" in text(response)
    tiers = text(admin.get(f"{window_page}/tiers"))
    assert "Alpha Care" in tiers and "Beta Homes" in tiers


def test_provider_sees_nothing_until_publication_then_only_its_own(world, clock, alpha, sign_in):
    beta = apply(world.provider_b, world.window, clock, price="1000.00")
    after_close(world, clock)
    allocate_and_score(alpha, world.admin, [world.admin, world.evaluator], clock, {1: 5, 2: 5})
    evaluations.record_gate(world.admin, alpha, "ofsted", True, "Outstanding", clock.now())
    own = sign_in(world.provider_a)
    outcome_page = f"/provider/applications/{alpha.id}/outcome"
    letter = f"/provider/applications/{alpha.id}/letter.pdf"

    def nothing_of_the_evaluation():
        body = text(own.get(f"/provider/applications/{alpha.id}"))
        assert "The lead authority is evaluating this application" in body
        for secret in ("Reason for question", "Ada Admin", "Eve Evaluator", "Outstanding", "Admitted", "Tier",
                       "See your outcome"):
            assert secret not in body, secret
        assert own.get(outcome_page).status_code == 404
        assert own.get(letter).status_code == 404

    nothing_of_the_evaluation()  # scored
    evaluate(beta, [world.admin, world.evaluator], clock, scores={1: 3, 2: 3})
    record = {"ofsted": True}
    for gate, (passed, evidence) in evaluations.suggested_gates(alpha).items():
        if gate not in record:
            evaluations.record_gate(world.admin, alpha, gate, passed is not False, evidence, clock.now())
    for referee in alpha.referees:
        evaluations.record_reference(world.admin, alpha, referee.id, "satisfactory", "", clock.now())
    feedback = {1: "Excellent safeguarding practice", 2: "Strong independence programme", 3: "Insured"}
    assert evaluations.moderate(world.admin, alpha, {
        q.id: ({1: 5, 2: 5, 3: 1}[q.number], feedback[q.number]) for q in alpha.window.question_set.questions},
        clock.now()) == {}
    nothing_of_the_evaluation()  # moderated, not published

    assert sign_in(world.admin).post(f"/evaluation/windows/{world.window.id}/publish").status_code == 302
    body = text(own.get(f"/provider/applications/{alpha.id}"))
    assert "See your outcome, scores and feedback" in body
    body = text(own.get(outcome_page))
    assert "Outcome of your application" in body
    assert "Admitted" in body and "100.0%" in body
    assert "Tier 1, rank 1" in body
    assert all(reason in body for reason in feedback.values())
    assert "5 out of 5" in body and "Pass" in body
    assert "Beta Homes" not in body
    # Beta is second on both lots; it sees its own line, never Alpha's name.
    body = text(sign_in(world.provider_b).get(f"/provider/applications/{beta.id}/outcome"))
    assert "Tier 2, rank 2" in body and "Alpha Care" not in body
    # Not another provider's outcome or letter.
    other = sign_in(world.provider_b)
    assert other.get(outcome_page).status_code == 404 and other.get(letter).status_code == 404

    response = sign_in(world.colleague_a).get(letter)
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    assert "attachment" in response.headers["Content-Disposition"]


def test_not_admitted_provider_sees_why(world, clock, alpha, sign_in):
    after_close(world, clock)
    evaluate(alpha, [world.admin, world.evaluator], clock, scores={1: 2, 2: 2})
    sign_in(world.admin).post(f"/evaluation/windows/{world.window.id}/publish")
    body = text(sign_in(world.provider_a).get(f"/provider/applications/{alpha.id}/outcome"))
    assert "Not admitted" in body and "The quality score of 40.0% is below the 50% needed" in body
    assert "Tier 1" not in body and ", rank" not in body


# Clarifications ----------------------------------------------------------------------------------

def test_provider_answers_a_clarification_and_the_evaluator_sees_it(world, clock, alpha, sign_in):
    eve = sign_in(world.evaluator)
    response = eve.post(f"{page(alpha)}/clarifications", data={"question": "  "})
    assert response.status_code == 400 and "Enter the question for the provider" in text(response)
    response = eve.post(f"{page(alpha)}/clarifications",
                        data={"question": "How many staff hold a level 3 qualification?"}, follow_redirects=True)
    assert "Question sent to the provider" in text(response)
    assert "Waiting for the provider" in text(response)
    clarification = db.session.scalars(db.select(Clarification)).one()

    provider = sign_in(world.colleague_a)
    assert "1 to answer" in text(provider.get(f"/provider/applications/{alpha.id}"))
    questions_page = f"/provider/applications/{alpha.id}/clarifications"
    assert "How many staff hold a level 3 qualification?" in text(provider.get(questions_page))
    response = provider.post(questions_page, data={"clarification_id": clarification.id, "answer": " "})
    assert response.status_code == 400 and "Enter your answer" in text(response)
    db.session.expire_all()
    assert db.session.get(Clarification, clarification.id).answered_at is None

    # Another provider cannot answer it, even through its own application's page.
    beta = complete_application(world.provider_b, world.window, clock, submit=True)
    response = sign_in(world.provider_b).post(f"/provider/applications/{beta.id}/clarifications",
                                              data={"clarification_id": clarification.id, "answer": "Ours"})
    assert response.status_code == 404

    response = provider.post(questions_page, data={"clarification_id": clarification.id,
                                                   "answer": "Eleven of our fourteen staff"}, follow_redirects=True)
    assert "Your answer has been sent to the evaluators" in text(response)
    assert "Eleven of our fourteen staff" in text(response)
    db.session.expire_all()
    answered = db.session.get(Clarification, clarification.id)
    assert answered.answer == "Eleven of our fourteen staff" and answered.answered_by_id == world.colleague_a.id
    body = text(eve.get(page(alpha)))
    assert "Eleven of our fourteen staff" in body and "Waiting for the provider" not in body
    response = provider.post(questions_page, data={"clarification_id": clarification.id, "answer": "Again"})
    assert response.status_code == 400 and "This question has already been answered" in text(response)


# Query counts ------------------------------------------------------------------------------------

def test_window_page_runs_the_same_queries_for_3_and_10_applications(world, clock, sign_in):
    """Applications in every state: to allocate, being scored with an open question, ready to
    moderate, and moderated (with outcomes)."""
    open_at = clock.now()
    after = world.window.closes_at + timedelta(days=2)
    url = f"/evaluation/windows/{world.window.id}"

    def add(start, stop):
        clock.set(open_at)
        for index in range(start, stop):
            user = add_provider(world, index)
            application = complete_application(user, world.window, clock,
                                               lots=[world.lots[index % 3], world.lots[(index + 1) % 3]],
                                               submit=True)
            if index % 4 == 0:
                evaluate(application, [world.admin, world.evaluator], clock)
            elif index % 4 == 1:
                allocate_and_score(application, world.admin, [world.admin, world.evaluator], clock, submit=False)
                evaluations.ask_clarification(world.evaluator, application, f"Question {index}", clock.now())
            elif index % 4 == 2:
                allocate_and_score(application, world.admin, [world.admin, world.evaluator], clock)

    def count():
        clock.set(after)
        client = sign_in(world.evaluator)
        body = text(client.get(url))
        with counting() as statements:
            assert client.get(url).status_code == 200
        return body, statements

    add(0, 3)
    _body, few = count()
    add(3, 10)
    body, many = count()
    for index in range(10):
        assert f"Provider {index:02d}" in body
    assert "paused for a clarification" in body and "Decided" in body
    assert len(many) == len(few), (
        f"{url}: {len(few)} statements with 3 applications, {len(many)} with 10. Repeated with more rows:\n"
        + "\n".join(f"{count}x {statement}" for statement, count in grown(few, many)))


# Issue 10: conflicts marked on the allocation form, the Ofsted gate without a rating, moderation's start ---------

def test_the_allocation_form_marks_a_conflicted_evaluator_and_does_not_offer_them(world, clock, alpha, sign_in):
    evaluations.declare_conflict(world.evaluator, world.provider_a.organisation, "My sister works there",
                                 clock.now())
    second = second_evaluator(world, clock)
    body = sign_in(world.admin).get(page(alpha)).get_data(as_text=True)
    offered = re.findall(r'<input class="govuk-checkboxes__input"[^>]*name="evaluators"[^>]*value="(\d+)"', body)
    assert sorted(int(value) for value in offered) == sorted([world.admin.id, second.id])
    unavailable = html.unescape(re.search(r'<div class="govuk-inset-text" id="conflicted-evaluators">(.*?)</div>',
                                          body, re.S).group(1))
    assert "Not offered, because they have declared a conflict of interest with Alpha Care" in unavailable
    assert "Eve Evaluator" in unavailable and "Sam Second" not in unavailable


def test_the_ofsted_gate_suggests_no_rating_on_record_never_pass_without_a_rating(world, clock, alpha, sign_in):
    assert alpha.provider.ofsted_urn == "SC123456" and alpha.provider.ofsted_rating is None
    evaluator = sign_in(world.evaluator)
    body = evaluator.get(page(alpha)).get_data(as_text=True)
    card = html.unescape(re.search(r'id="gate-ofsted">(.*?)</form>', body, re.S).group(1))
    assert "The record suggests neither pass nor fail (Ofsted SC123456: no rating on record)" in card
    assert "The record shows: pass" not in card
    assert " checked" not in card  # neither pass nor fail is chosen for the evaluator

    # Posted without a finding, nothing is recorded and the evaluator is asked to choose.
    response = evaluator.post(f"{page(alpha)}/gates", data={"gate": "ofsted", "evidence": "No rating on record"})
    assert response.status_code == 400
    assert "Choose whether 'Ofsted rating not Inadequate' is a pass or a fail" in text(response)
    assert db.session.scalar(db.select(db.func.count(GateResult.id))) == 0

    # With a rating on record the suggestion follows it.
    alpha.provider.ofsted_rating = "Good"
    db.session.commit()
    card = text(evaluator.get(page(alpha))).split('id="gate-ofsted">', 1)[1].split("</form>", 1)[0]
    assert "The record shows: pass (Ofsted SC123456: Good)" in card


def test_moderation_starts_from_the_score_and_reason_where_the_evaluators_agree(world, clock, alpha, sign_in):
    after_close(world, clock)
    evaluations.allocate(world.admin, alpha, [world.admin.id, world.evaluator.id], clock.now())
    for user, scores, words in ((world.admin, {1: 5, 2: 4}, "Ada"), (world.evaluator, {1: 3, 2: 4}, "Eve")):
        evaluations.save_scores(user, alpha, marks_for(alpha, scores, reason=f"{words}'s reason"), clock.now())
        evaluations.submit_scores(user, alpha, clock.now())
    q1, q2, q3 = alpha.window.question_set.questions
    admin = sign_in(world.admin)
    body = admin.get(f"{page(alpha)}/moderate").get_data(as_text=True)

    def score_value(question) -> str:
        return re.search(rf'<input[^>]*id="score-{question.id}"[^>]*>', body).group(0)

    def chosen(question) -> list[str]:
        return re.findall(rf'<input class="govuk-radios__input" id="[^"]*" name="reason-choice-{question.id}" '
                          r'type="radio" value="(\w+)"[^>]* checked', body)

    assert 'value="4"' in score_value(q2) and 'value="1"' in score_value(q3)  # both gave 4, and both passed
    assert 'value=""' in score_value(q1)  # 5 and 3: nothing agreed yet
    first = next(a for a in alpha.allocations if a.evaluator_id == world.admin.id)
    assert chosen(q2) == [str(first.id)] and chosen(q3) == [str(first.id)]
    assert chosen(q1) == []
    assert "Use Eve Evaluator's reason" in html.unescape(body) and "Eve's reason for question 1" in html.unescape(body)

    # Accepting the start as it is, with the feedback written for question 1, records the evaluators' reasons.
    record_findings(alpha, world.admin, clock)
    eve_allocation = next(a for a in alpha.allocations if a.evaluator_id == world.evaluator.id)
    # An evaluator's reason chosen and feedback typed as well: refused, and what was typed is kept on the page.
    response = admin.post(f"{page(alpha)}/moderate", data={
        f"score-{q1.id}": "4", f"reason-choice-{q1.id}": str(eve_allocation.id), f"reason-{q1.id}": "Typed words",
        f"score-{q2.id}": "4", f"reason-choice-{q2.id}": str(first.id),
        f"score-{q3.id}": "1", f"reason-choice-{q3.id}": str(first.id)})
    assert response.status_code == 400
    assert ("Question 1: choose \u201cWrite the feedback\u201d to use what you wrote, or empty the box to use "
            "Eve Evaluator's reason") in text(response)
    assert "Typed words</textarea>" in text(response)
    assert db.session.scalar(db.select(db.func.count(ModeratedScore.id))) == 0
    response = admin.post(f"{page(alpha)}/moderate", data={
        f"score-{q1.id}": "4", f"reason-choice-{q1.id}": "write", f"reason-{q1.id}": "A clear protocol",
        f"score-{q2.id}": "4", f"reason-choice-{q2.id}": str(eve_allocation.id), f"reason-{q2.id}": "",
        f"score-{q3.id}": "1", f"reason-choice-{q3.id}": str(first.id)}, follow_redirects=True)
    assert "Alpha Care: moderated" in text(response)
    db.session.expire_all()
    assert sorted((m.question.number, m.score, m.reason) for m in db.session.scalars(db.select(ModeratedScore))) == [
        (1, 4, "A clear protocol"), (2, 4, "Eve's reason for question 2"), (3, 1, "Ada's reason for question 3")]
