"""The pages of the placement's life: issuing, signing and countersigning the agreement, changes of price, reviews,
cost reviews, the review interval, feedback and incidents, on both sides; bad input refused with nothing stored;
the provider never reads the child's identity nor the authority's notes."""

import hashlib
from datetime import timedelta
from decimal import Decimal

import pytest

from portal.extensions import db
from portal.models import (
    AgreementVersion,
    Approval,
    CostReview,
    PlacementCost,
    PlacementFeedback,
    PlacementIncident,
    PlacementReview,
    PriceChange,
)
from portal.services import agreements, placement_records, reviews
from tests.factories import deciders, placed
from tests.portal.test_auth_routes import assert_form_not_sent, csrf_sign_in


@pytest.fixture
def placement(world, clock):
    placement = placed(world, clock)
    clock.set(clock.now() + timedelta(days=10))  # started
    return placement


def day_fields(prefix: str, day) -> dict:
    return {prefix: [str(day.day), str(day.month), str(day.year)]}


def today(clock):
    return agreements.today_at(clock.now())


def text(response) -> str:
    return response.get_data(as_text=True)


def test_the_officer_issues_the_provider_signs_and_the_budget_holder_countersigns(world, clock, placement, sign_in):
    officer = sign_in(world.member_officer)
    page = text(officer.get(f"/authority/placements/{placement.id}"))
    assert "Agreement not yet signed" in page and "Issue the agreement to the provider" in page
    assert "Issue the agreement" in text(officer.get("/authority/tasks"))
    assert officer.get(f"/authority/placements/{placement.id}/agreement/issue").status_code == 200
    response = officer.post(f"/authority/placements/{placement.id}/agreement/issue", data={})
    assert response.status_code == 302
    version = db.session.scalars(db.select(AgreementVersion)).one()

    provider = sign_in(world.provider_a)
    assert "1 agreement waiting for your signature" in text(provider.get("/provider/"))
    listing = text(provider.get("/provider/agreements"))
    assert placement.agreement_reference in listing
    page = text(provider.get(f"/provider/agreements/{version.id}"))
    assert version.sha256 in page and "Sign this version" in page
    child = placement.referral.child
    for secret in (child.first_names, child.surname, child.case_number):
        assert secret not in page and secret not in listing
    pdf = provider.get(f"/provider/agreements/{version.id}.pdf")
    assert pdf.status_code == 200 and hashlib.sha256(pdf.data).hexdigest() == version.sha256
    response = provider.post(f"/provider/agreements/{version.id}",
                             data={"name": "Alex Alpha", "position": "Registered manager", "sha256": version.sha256})
    assert response.status_code == 302
    assert provider.post(f"/provider/agreements/{version.id}", data={
        "name": "Alex Alpha", "position": "Registered manager", "sha256": version.sha256}).status_code == 400

    holder = sign_in(deciders(world, clock).budget_holder)
    tasks = text(holder.get("/authority/tasks"))
    assert "Agreements to countersign" in tasks and placement.agreement_reference in tasks
    assert holder.get(f"/authority/agreements/{version.id}/countersign").status_code == 200
    assert holder.get(f"/authority/agreements/{version.id}.pdf").data == pdf.data
    response = holder.post(f"/authority/agreements/{version.id}/countersign", data={"sha256": version.sha256})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(AgreementVersion, version.id).state == "in_force"
    page = text(officer.get(f"/authority/placements/{placement.id}"))
    assert "Version 1 is in force" in page and "Agreement not yet signed" not in page


def test_signing_refuses_bad_input_and_a_stale_document(world, clock, placement, sign_in):
    version = agreements.issue(world.member_officer, placement, now=clock.now())
    provider = sign_in(world.provider_a)
    for data, message in (({"name": "", "position": "Manager", "sha256": version.sha256}, "Type your full name"),
                          ({"name": "Alex", "position": "", "sha256": version.sha256}, "Enter your position"),
                          ({"name": "Alex", "position": "Manager", "sha256": "f" * 64}, "not the version you read")):
        response = provider.post(f"/provider/agreements/{version.id}", data=data)
        assert response.status_code == 400 and message in text(response)
    db.session.expire_all()
    assert db.session.get(AgreementVersion, version.id).provider_signed_at is None
    officer = sign_in(world.member_officer)
    response = officer.post(f"/authority/agreements/{version.id}/countersign", data={"sha256": version.sha256})
    assert response.status_code == 400 and "Only a budget holder" in text(response)
    assert sign_in(world.provider_b).get(f"/provider/agreements/{version.id}").status_code == 404
    assert provider.get("/provider/agreements/999999").status_code == 404


def test_an_amendment_needs_its_text(world, clock, placement, sign_in):
    agreements.issue(world.member_officer, placement, now=clock.now())
    officer = sign_in(world.member_officer)
    response = officer.post(f"/authority/placements/{placement.id}/agreement/issue", data={"amendment": ""})
    assert response.status_code == 400 and "Describe what the amendment changes" in text(response)
    response = officer.post(f"/authority/placements/{placement.id}/agreement/issue",
                            data={"amendment": "Transport to college added"})
    assert response.status_code == 302
    assert db.session.scalar(db.select(db.func.count(AgreementVersion.id))) == 2


def test_a_price_change_is_asked_approved_and_versions_the_agreement(world, clock, placement, sign_in):
    officer = sign_in(world.member_officer)
    assert officer.get(f"/authority/placements/{placement.id}/price-change").status_code == 200
    response = officer.post(f"/authority/placements/{placement.id}/price-change",
                            data={"weekly_cost": "", "reason": ""})
    assert response.status_code == 400 and "Enter the new weekly price" in text(response)
    assert db.session.scalar(db.select(db.func.count(PriceChange.id))) == 0
    data = {"weekly_cost": "1725.50", "reason": "Two-to-one staffing agreed", **day_fields("effective_from",
                                                                                           today(clock))}
    assert officer.post(f"/authority/placements/{placement.id}/price-change", data=data).status_code == 302
    response = officer.post(f"/authority/placements/{placement.id}/price-change", data=data)
    assert response.status_code == 400 and "already waiting for approval" in text(response)
    approval = db.session.scalars(db.select(Approval).where(Approval.kind == "price_change")).one()
    holder = sign_in(deciders(world, clock).budget_holder)
    assert "A change of a placement&#39;s weekly price" in text(holder.get("/authority/tasks"))
    assert holder.post(f"/authority/approvals/{approval.id}/answer", data={"decision": "approve"}).status_code == 302
    db.session.expire_all()
    assert agreements.price_in_force(placement, today(clock)) == Decimal("1725.50")
    page = text(officer.get(f"/authority/placements/{placement.id}"))
    assert "A change of weekly price" in page and "£1,725.50" in page


def test_reviews_are_recorded_and_refused_when_incomplete(world, clock, placement, sign_in):
    officer = sign_in(world.member_officer)
    url = f"/authority/placements/{placement.id}/reviews/new"
    assert officer.get(url).status_code == 200
    response = officer.post(url, data={"attendees": "", "meets_needs": ""})
    assert response.status_code == 400 and "Enter the date of the review" in text(response)
    assert db.session.scalar(db.select(db.func.count(PlacementReview.id))) == 0
    response = officer.post(url, data={**day_fields("held_on", today(clock)), "attendees": "SW, IRO, keyworker",
                                       "meets_needs": "partly", "notes": "Private note about the child"})
    assert response.status_code == 302
    page = text(officer.get(f"/authority/placements/{placement.id}"))
    assert "Private note about the child" in page and "Partly" in page
    version = agreements.issue(world.member_officer, placement, now=clock.now())
    provider_page = text(sign_in(world.provider_a).get(f"/provider/agreements/{version.id}"))
    assert "plan: partly" in provider_page
    assert "Private note" not in provider_page and "keyworker" not in provider_page


def test_the_review_interval_is_set_by_an_officer(world, clock, placement, sign_in):
    officer = sign_in(world.member_officer)
    assert "every 3 months" in text(officer.get("/authority/review-interval"))
    response = officer.post("/authority/review-interval", data={"months": "7"})
    assert response.status_code == 400 and "Choose how many months" in text(response)
    assert officer.post("/authority/review-interval", data={"months": "1"}).status_code == 302
    assert reviews.interval_months(world.member.id) == 1
    clock.set(clock.now() + timedelta(days=40))
    tasks = text(sign_in(world.member_officer).get("/authority/tasks"))
    assert "Placement reviews due" in tasks and "Overdue" in tasks


def test_a_cost_review_task_leads_to_its_form(world, clock, placement, sign_in):
    cost = PlacementCost(placement_id=placement.id, position=2, description="Waking night staff",
                         weekly_amount=Decimal("300.00"), timescale="8 weeks", review_date=today(clock))
    db.session.add(cost)
    db.session.commit()
    officer = sign_in(world.member_officer)
    assert "Waking night staff" in text(officer.get("/authority/tasks"))
    url = f"/authority/placements/{placement.id}/costs/{cost.id}/review"
    assert officer.get(url).status_code == 200
    response = officer.post(url, data={"decision": "ended", "note": ""})
    assert response.status_code == 400 and "Enter a note of the review" in text(response)
    assert officer.post(url, data={"decision": "changed", "note": "Reduced to 4 nights"}).status_code == 302
    assert db.session.scalar(db.select(db.func.count(CostReview.id))) == 1
    assert "No cost review is due" in text(officer.get("/authority/tasks"))
    assert officer.get(f"/authority/placements/{placement.id}/costs/{placement.costs[0].id}/review").status_code == 404


def test_feedback_is_recorded(world, clock, placement, sign_in):
    officer = sign_in(world.member_officer)
    url = f"/authority/placements/{placement.id}/feedback/new"
    assert officer.get(url).status_code == 200
    response = officer.post(url, data={**day_fields("given_on", today(clock)), "given_by": "iro", "rating": "9"})
    assert response.status_code == 400 and "Choose a rating" in text(response)
    assert officer.post(url, data={**day_fields("given_on", today(clock)), "given_by": "social_worker",
                                   "rating": "4", "comment": "Warm, consistent care"}).status_code == 302
    assert db.session.scalar(db.select(db.func.count(PlacementFeedback.id))) == 1
    page = text(officer.get(f"/authority/placements/{placement.id}"))
    assert "4 (Good)" in page and "Warm, consistent care" in page


def test_an_incident_is_recorded_and_the_provider_sees_only_its_category_and_date(world, clock, placement, sign_in):
    officer = sign_in(world.member_officer)
    url = f"/authority/placements/{placement.id}/incidents/new"
    assert officer.get(url).status_code == 200
    response = officer.post(url, data={**day_fields("occurred_on", today(clock)), "category": "allegation"})
    assert response.status_code == 400 and "Enter a summary of what happened" in text(response)
    assert db.session.scalar(db.select(db.func.count(PlacementIncident.id))) == 0
    assert officer.post(url, data={**day_fields("occurred_on", today(clock)), "category": "allegation",
                                   "summary": "Secret account of the allegation", "flags": ["lado"]}
                        ).status_code == 302
    incident = db.session.scalars(db.select(PlacementIncident)).one()
    assert incident.lado_informed and not incident.police_informed
    outcome_url = f"/authority/placements/{placement.id}/incidents/{incident.id}"
    assert officer.get(outcome_url).status_code == 200
    assert officer.post(outcome_url, data={"outcome": ""}).status_code == 400
    assert officer.post(outcome_url, data={"outcome": "Substantiated: carer removed", "flags": ["ended"]}
                        ).status_code == 302
    db.session.expire_all()
    assert db.session.get(PlacementIncident, incident.id).ended_placement
    assert "Secret account" in text(officer.get(f"/authority/placements/{placement.id}"))
    version = agreements.issue(world.member_officer, placement, now=clock.now())
    provider_page = text(sign_in(world.provider_a).get(f"/provider/agreements/{version.id}"))
    assert "Allegation of misconduct" in provider_page
    assert "Secret account" not in provider_page and "carer removed" not in provider_page
    assert officer.get(f"/authority/placements/{placement.id}/incidents/999999").status_code == 404


def test_forms_without_the_csrf_token_are_refused(csrf_app, world, clock):
    placement = placed(world, clock)
    version = agreements.issue(world.member_officer, placement, now=clock.now())
    officer = csrf_sign_in(csrf_app, world.member_officer)
    assert_form_not_sent(officer.post(f"/authority/placements/{placement.id}/agreement/issue", data={}))
    assert_form_not_sent(officer.post(f"/authority/placements/{placement.id}/price-change",
                                      data={"weekly_cost": "1600", "reason": "x"}))
    provider = csrf_sign_in(csrf_app, world.provider_a)
    assert_form_not_sent(provider.post(f"/provider/agreements/{version.id}", data={
        "name": "Alex", "position": "Manager", "sha256": version.sha256}))
    db.session.expire_all()
    assert db.session.get(AgreementVersion, version.id).provider_signed_at is None
    assert db.session.scalar(db.select(db.func.count(AgreementVersion.id))) == 1


def test_an_incident_recorded_is_listed_on_the_placement_page_for_the_authority_only(world, clock, placement,
                                                                                   sign_in):
    placement_records.record_incident(world.member_officer, placement, occurred_on=today(clock), category="incident",
                                      summary="Went missing overnight", lado_informed=False, police_informed=True,
                                      outcome="", ended_placement=False, now=clock.now())
    assert sign_in(world.outside_admin).get(f"/authority/placements/{placement.id}").status_code == 404
