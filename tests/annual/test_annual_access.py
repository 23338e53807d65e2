"""Who may reach the annual contract review's pages (the matrix of tests/portal/test_access_matrix.py, for
buyer/annual_reviews.py, supplier/annual_reviews.py and admin/annual_reviews.py).

The record: provider_a's issued review on the lead's DPS, run by a contract manager at the lead. The member's
officer reads it but may not act on it (403: only its contract manager does); the outsider gets 404; provider_a
reads its own, provider_b gets 404; the lead's administrator edits the questionnaire, the outsider's gets 404."""

from datetime import timedelta

import pytest
from flask import url_for

from portal.services import annual_reviews
from portal.timezone import uk_today
from tests.annual.helpers import annual_world, rated
from tests.portal.test_access_matrix import (
    ADMIN_RECORD,
    NOT_FOUND,
    OK,
    PROVIDER_LIST,
    PROVIDER_RECORD,
    matrix_mismatches,
    matrix_users,
    row,
)

READERS = row(officer=OK, outsider=NOT_FOUND)
MANAGER_ONLY = row(outsider=NOT_FOUND)  # the officer reads the contract but is not its contract manager: 403

EXPECTED = {
    ("buyer.contracts_annual_reviews", "GET"): row(officer=OK, outsider=OK),
    ("buyer.contracts_annual_review_new", "GET"): MANAGER_ONLY,
    ("buyer.contracts_annual_review_new", "POST"): MANAGER_ONLY,
    ("buyer.contracts_annual_review", "GET"): READERS,
    ("buyer.contracts_annual_review_moderate", "POST"): MANAGER_ONLY,
    ("buyer.contracts_annual_review_meeting", "POST"): MANAGER_ONLY,
    ("buyer.contracts_annual_review_cost", "POST"): MANAGER_ONLY,
    ("buyer.contracts_annual_review_rating", "POST"): MANAGER_ONLY,
    ("buyer.contracts_annual_review_action", "POST"): MANAGER_ONLY,
    ("buyer.contracts_annual_review_action_remove", "POST"): MANAGER_ONLY,
    ("buyer.contracts_annual_review_issue", "POST"): MANAGER_ONLY,
    ("buyer.contracts_annual_review_action_done", "POST"): MANAGER_ONLY,
    ("buyer.contracts_annual_review_pdf", "GET"): READERS,
    ("supplier.annual_reviews_list", "GET"): PROVIDER_LIST,
    ("supplier.annual_review", "GET"): PROVIDER_RECORD,
    ("supplier.annual_review", "POST"): PROVIDER_RECORD,
    ("supplier.annual_review_comment", "POST"): PROVIDER_RECORD,
    ("supplier.annual_review_action_done", "POST"): PROVIDER_RECORD,
    ("supplier.annual_review_pdf", "GET"): PROVIDER_RECORD,
    ("admin.review_questions", "GET"): ADMIN_RECORD,
    ("admin.review_questions", "POST"): ADMIN_RECORD,
    ("admin.review_question_edit", "GET"): ADMIN_RECORD,
    ("admin.review_question_edit", "POST"): ADMIN_RECORD,
    ("admin.review_question_remove", "POST"): ADMIN_RECORD,
    ("admin.review_questions_new_version", "POST"): ADMIN_RECORD,
}


@pytest.fixture
def records(world, clock):
    setup = annual_world(world, clock)
    review = rated(world, clock, setup)
    action = annual_reviews.add_action(setup.manager, review, text="Recruit night staff", owner="Registered manager",
                                       due_on=uk_today(clock.now()) + timedelta(days=30), now=clock.now())
    annual_reviews.issue(setup.manager, review, clock.now())
    return {"dps_id": world.dps.id, "provider_id": world.provider_a.organisation_id, "review_id": review.id,
            "placement_id": setup.placement.id, "action_id": action.id,
            "question_id": review.questionnaire.questions[0].id}


def url_of(app, endpoint: str, records: dict) -> str:
    rule = next(rule for rule in app.url_map.iter_rules() if rule.endpoint == endpoint)
    return url_for(endpoint, **{argument: records[argument] for argument in rule.arguments})


def test_annual_review_access_matrix(app, world, records, sign_in):
    mismatches = matrix_mismatches(app, EXPECTED, matrix_users(world), sign_in,
                                   lambda endpoint: url_of(app, endpoint, records), lambda endpoint: {})
    assert not mismatches, "\n".join(mismatches)
