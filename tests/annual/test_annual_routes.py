"""The annual review's pages: what each user sees and the messages on bad input, nothing changed by a refused
form, a stale page or a second submit; the contract page's panel, the Tasks section and the questionnaire pages."""

import io
from datetime import timedelta

from flask import url_for
from pypdf import PdfReader

from portal.extensions import db
from portal.models import AnnualReview, ReviewAction, ReviewQuestion
from portal.models.annual_review import ISSUED, RATED, RETURNED, SENT, SUBMITTED
from portal.services import annual_reviews, compliance
from portal.timezone import uk_today
from tests.annual.helpers import annual_world, moderated, rated, sent, submitted


def _day(clock, days=0):
    return (uk_today(clock.now()) + timedelta(days=days)).isoformat()


def test_the_contract_manager_sends_the_questionnaire_from_the_contract_page(world, clock, sign_in):
    setup = annual_world(world, clock)
    manager = sign_in(setup.manager)
    contract_page = manager.get(url_for("buyer.contracts_provider", dps_id=world.dps.id,
                                        provider_id=world.provider_a.organisation_id)).get_data(as_text=True)
    assert "Annual contract review" in contract_page and "Send this year's annual review" in contract_page
    url = url_for("buyer.contracts_annual_review_new", dps_id=world.dps.id,
                  provider_id=world.provider_a.organisation_id)
    page = manager.get(url).get_data(as_text=True)
    assert "How do you keep children safe?" in page
    refused = manager.post(url, data={"due_on": _day(clock), "documents": "Insurance"})
    assert refused.status_code == 400 and "The answers must be due after today" in refused.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(AnnualReview.id))) == 0
    response = manager.post(url, data={"due_on": _day(clock, 21), "documents": "Insurance certificates"})
    assert response.status_code == 302
    review = db.session.scalar(db.select(AnnualReview))
    assert review.status == SENT
    again = manager.post(url, data={"due_on": _day(clock, 21), "documents": ""})
    assert again.status_code == 400 and "already under way" in again.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(AnnualReview.id))) == 1
    officer = sign_in(world.member_officer)
    assert officer.get(url).status_code == 403
    assert "Send this year" not in officer.get(url_for("buyer.contracts_provider", dps_id=world.dps.id,
                                                       provider_id=world.provider_a.organisation_id)
                                               ).get_data(as_text=True)


def test_the_provider_saves_then_submits_and_sees_its_missing_answers(world, clock, sign_in):
    setup = annual_world(world, clock)
    review = sent(world, clock, setup)
    first, second = review.answers
    provider = sign_in(world.provider_a)
    assert "Annual reviews" in provider.get(url_for("supplier.annual_reviews_list")).get_data(as_text=True)
    url = url_for("supplier.annual_review", review_id=review.id)
    page = provider.get(url).get_data(as_text=True)
    assert "How do you keep children safe?" in page and "Insurance certificates" in page
    saved = provider.post(url, data={f"answer_{first.id}": "Safer recruitment", "save": "Save",
                                     "version": review.version})
    assert saved.status_code == 302
    db.session.refresh(review)
    refused = provider.post(url, data={f"answer_{first.id}": "Safer recruitment, changed", "submit": "Submit",
                                       "version": review.version})
    body = refused.get_data(as_text=True)
    assert refused.status_code == 400 and "Enter an answer to question 2" in body
    assert "Safer recruitment, changed" in body  # what was typed is kept
    db.session.refresh(first)
    assert first.answer == "Safer recruitment"
    stale = provider.post(url, data={f"answer_{first.id}": "A", f"answer_{second.id}": "B", "submit": "Submit",
                                     "version": review.version - 1})
    assert stale.status_code == 400 and "changed since you opened" in stale.get_data(as_text=True)
    done = provider.post(url, data={f"answer_{first.id}": "A", f"answer_{second.id}": "B", "submit": "Submit",
                                    "version": review.version})
    assert done.status_code == 302
    db.session.refresh(review)
    assert review.status == SUBMITTED
    second_submit = provider.post(url, data={f"answer_{first.id}": "A", f"answer_{second.id}": "B",
                                             "submit": "Submit", "version": review.version})
    assert second_submit.status_code == 400 and "have been submitted" in second_submit.get_data(as_text=True)
    assert sign_in(world.provider_b).get(url).status_code == 404


def test_moderation_asks_for_more_evidence_with_a_message_per_answer(world, clock, sign_in):
    setup = annual_world(world, clock)
    review = submitted(world, clock, setup)
    first, second = review.answers
    manager = sign_in(setup.manager)
    url = url_for("buyer.contracts_annual_review_moderate", review_id=review.id)
    refused = manager.post(url, data={f"moderation_{first.id}": "accepted",
                                      f"moderation_{second.id}": "more_evidence", "version": review.version})
    body = refused.get_data(as_text=True)
    assert refused.status_code == 400 and "Enter the evidence asked for question 2" in body
    db.session.refresh(review)
    assert review.status == SUBMITTED
    response = manager.post(url, data={f"moderation_{first.id}": "accepted",
                                       f"moderation_{second.id}": "more_evidence",
                                       f"note_{second.id}": "The training matrix", "version": review.version})
    assert response.status_code == 302
    db.session.refresh(review)
    assert review.status == RETURNED
    provider_page = sign_in(world.provider_a).get(url_for("supplier.annual_review", review_id=review.id))
    assert "Evidence asked: The training matrix" in provider_page.get_data(as_text=True)
    officer = sign_in(world.member_officer)
    assert officer.post(url, data={}).status_code == 403
    assert "The training matrix" in officer.get(url_for("buyer.contracts_annual_review", review_id=review.id)
                                                ).get_data(as_text=True)


def test_meeting_costs_rating_comment_actions_and_the_action_plan_pdf(world, clock, sign_in):
    setup = annual_world(world, clock)
    review = moderated(world, clock, setup)
    manager = sign_in(setup.manager)
    page_url = url_for("buyer.contracts_annual_review", review_id=review.id)
    page = manager.get(page_url).get_data(as_text=True)
    assert setup.placement.agreement_reference in page and "Not reviewed yet" in page
    rating_url = url_for("buyer.contracts_annual_review_rating", review_id=review.id)
    early = manager.post(rating_url, data={"rating-rating": "good", "rating-notes": "Fine"})
    assert early.status_code == 400 and "Record the contract management meeting" in early.get_data(as_text=True)
    bad_meeting = manager.post(url_for("buyer.contracts_annual_review_meeting", review_id=review.id),
                               data={"meeting-held_on": _day(clock, 2), "meeting-attendees": "", "meeting-notes": ""})
    body = bad_meeting.get_data(as_text=True)
    assert bad_meeting.status_code == 400 and "today or in the past" in body and "Enter who attended" in body
    assert manager.post(url_for("buyer.contracts_annual_review_meeting", review_id=review.id),
                        data={"meeting-held_on": _day(clock), "meeting-attendees": "Cara Mensah, Ann Provider",
                              "meeting-notes": "Workforce discussed"}).status_code == 302
    cost_url = url_for("buyer.contracts_annual_review_cost", review_id=review.id,
                       placement_id=setup.placement.id)
    prefix = f"cost-{setup.placement.id}-"
    bad_cost = manager.post(cost_url, data={prefix + "outcome": "renegotiate", prefix + "note": ""})
    assert bad_cost.status_code == 400 and "Enter a note" in bad_cost.get_data(as_text=True)
    assert manager.post(cost_url, data={prefix + "outcome": "confirmed"}).status_code == 302
    assert manager.post(rating_url, data={"rating-rating": "requires_improvement", "rating-risk_factors": ["workforce"],
                                          "rating-notes": "Staff turnover is high"}).status_code == 302
    provider = sign_in(world.provider_a)
    provider_url = url_for("supplier.annual_review", review_id=review.id)
    provider_page = provider.get(provider_url).get_data(as_text=True)
    assert "Requires improvement" in provider_page and setup.placement.agreement_reference not in provider_page
    empty = provider.post(url_for("supplier.annual_review_comment", review_id=review.id), data={"comment": ""})
    assert empty.status_code == 400 and "Enter your comment" in empty.get_data(as_text=True)
    assert provider.post(url_for("supplier.annual_review_comment", review_id=review.id),
                         data={"comment": "Turnover has fallen since March"}).status_code == 302
    issue_url = url_for("buyer.contracts_annual_review_issue", review_id=review.id)
    db.session.refresh(review)
    no_action = manager.post(issue_url, data={"version": review.version})
    assert no_action.status_code == 400 and "needs at least one action" in no_action.get_data(as_text=True)
    action_url = url_for("buyer.contracts_annual_review_action", review_id=review.id)
    bad_action = manager.post(action_url, data={"action-text": "Recruit", "action-owner": "", "action-due_on": ""})
    assert bad_action.status_code == 400 and "Enter who owns the action" in bad_action.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(ReviewAction.id))) == 0
    assert manager.post(action_url, data={"action-text": "Recruit two night staff",
                                          "action-owner": "Registered manager",
                                          "action-due_on": _day(clock, 60)}).status_code == 302
    assert "Turnover has fallen since March" in manager.get(page_url).get_data(as_text=True)
    db.session.refresh(review)
    stale = manager.post(issue_url, data={"version": review.version - 1})
    assert stale.status_code == 400 and "changed since you opened" in stale.get_data(as_text=True)
    assert manager.post(issue_url, data={"version": review.version}).status_code == 302
    db.session.refresh(review)
    assert review.status == ISSUED
    twice = manager.post(issue_url, data={"version": review.version})
    assert twice.status_code == 400 and "only once" in twice.get_data(as_text=True)
    pdf = provider.get(url_for("supplier.annual_review_pdf", review_id=review.id))
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages).split())
    for expected in ("Annual contract review: rating and action plan", "Alpha Care", "Requires improvement",
                     "Staffing and workforce", "Recruit two night staff", "Registered manager",
                     "Turnover has fallen since March"):
        assert expected in text, expected
    assert setup.placement.agreement_reference not in text
    assert sign_in(world.provider_b).get(url_for("supplier.annual_review_pdf", review_id=review.id)
                                         ).status_code == 404
    contract_page = manager.get(url_for("buyer.contracts_provider", dps_id=world.dps.id,
                                        provider_id=world.provider_a.organisation_id)).get_data(as_text=True)
    assert "Requires improvement" in contract_page and "Staffing and workforce" in contract_page


def test_the_pdf_only_once_issued(world, clock, sign_in):
    setup = annual_world(world, clock)
    review = rated(world, clock, setup)
    assert review.status == RATED
    assert sign_in(setup.manager).get(url_for("buyer.contracts_annual_review_pdf", review_id=review.id)
                                      ).status_code == 404
    assert sign_in(world.provider_a).get(url_for("supplier.annual_review_pdf", review_id=review.id)
                                         ).status_code == 404


def test_overdue_actions_on_tasks_and_the_provider_marks_one_done(world, clock, sign_in):
    setup = annual_world(world, clock)
    review = rated(world, clock, setup)
    action = annual_reviews.add_action(setup.manager, review, text="Update the safeguarding policy",
                                       owner="Registered manager", due_on=uk_today(clock.now()) + timedelta(days=7),
                                       now=clock.now())
    annual_reviews.issue(setup.manager, review, clock.now())
    clock.set(clock.now() + timedelta(days=10))
    compliance.mark_review_done(setup.manager, notes="", now=clock.now())  # the month's Ofsted review: not this test's
    manager = sign_in(setup.manager)
    tasks = manager.get(url_for("buyer.tasks")).get_data(as_text=True)
    assert "Annual contract reviews (1)" in tasks and "Action of the annual review plan" in tasks
    assert "Tasks (1)" in tasks
    provider = sign_in(world.provider_a)
    done_url = url_for("supplier.annual_review_action_done", review_id=review.id, action_id=action.id)
    empty = provider.post(done_url, data={f"done-{action.id}-note": ""})
    assert empty.status_code == 400 and "Enter what was done" in empty.get_data(as_text=True)
    assert provider.post(done_url, data={f"done-{action.id}-note": "Policy updated"}).status_code == 302
    assert "Annual contract reviews" not in manager.get(url_for("buyer.tasks")).get_data(as_text=True)


def test_the_managers_list_filters_by_stage(world, clock, sign_in):
    setup = annual_world(world, clock)
    sent(world, clock, setup)
    manager = sign_in(setup.manager)
    assert "Alpha Care" in manager.get(url_for("buyer.contracts_annual_reviews")).get_data(as_text=True)
    assert "No annual review matches" in manager.get(url_for("buyer.contracts_annual_reviews", status="issued")
                                                     ).get_data(as_text=True)


def test_the_administrator_edits_the_questionnaire_until_it_is_sent(world, clock, sign_in):
    admin = sign_in(world.admin)
    url = url_for("admin.review_questions", dps_id=world.dps.id)
    assert "No questions yet" in admin.get(url).get_data(as_text=True)
    empty = admin.post(url, data={"text": " "})
    assert empty.status_code == 400 and "Enter the question" in empty.get_data(as_text=True)
    assert admin.post(url, data={"text": "How do you keep children safe?", "guidance": "Policies"}
                      ).status_code == 302
    question = db.session.scalar(db.select(ReviewQuestion))
    edit = url_for("admin.review_question_edit", dps_id=world.dps.id, question_id=question.id)
    assert admin.post(edit, data={"text": "How do you keep every child safe?"}).status_code == 302
    db.session.refresh(question)
    assert question.text == "How do you keep every child safe?"
    setup = annual_world(world, clock, questions=())
    sent(world, clock, setup)
    admin = sign_in(world.admin)  # the placement's journey moved the clock on
    locked = admin.get(url).get_data(as_text=True)
    assert "Locked" in locked and "Make a new version to edit" in locked
    refused = admin.post(edit, data={"text": "Changed after sending"})
    assert refused.status_code == 400 and "Make a new version" in refused.get_data(as_text=True)
    assert admin.post(url_for("admin.review_questions_new_version", dps_id=world.dps.id)).status_code == 302
    assert "Version 2" in admin.get(url).get_data(as_text=True)
    assert sign_in(world.outside_admin).get(url).status_code == 404
