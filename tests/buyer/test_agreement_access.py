"""Who may reach the pages of the placement's life (the matrix of tests/portal/test_access_matrix.py, for
buyer/agreements.py, buyer/reviews.py and supplier/agreements.py).

The records: provider_a's placement with the member authority, version 1 of its agreement issued, an additional
cost with a review date and an incident recorded. The member's officer reaches the authority's pages; the outsider
(an officer of an authority outside the consortium) gets 404 on the member's records and reaches its own review
interval; providers get 403 on the authority's pages. provider_a reaches its agreement; provider_b gets 404. A
budget holder of the member reaches the countersigning page and the PDF; another authority's gets 404."""

from datetime import timedelta
from decimal import Decimal

import pytest
from flask import url_for

from portal.extensions import db
from portal.models import PlacementCost
from portal.models.user import BUDGET_HOLDER
from portal.services import agreements, placement_records
from tests.factories import authority_user, deciders, placed
from tests.portal.test_access_matrix import NOT_FOUND, OK, matrix_mismatches, matrix_users, row

MEMBERS_RECORD = row(officer=OK, outsider=NOT_FOUND)
OWN_AGREEMENT = row(provider=OK, other_provider=NOT_FOUND)

EXPECTED = {
    ("buyer.agreement_issue", "GET"): MEMBERS_RECORD,
    ("buyer.agreement_issue", "POST"): MEMBERS_RECORD,
    ("buyer.agreement_pdf", "GET"): MEMBERS_RECORD,
    ("buyer.agreement_countersign", "GET"): MEMBERS_RECORD,
    ("buyer.agreement_countersign", "POST"): MEMBERS_RECORD,
    ("buyer.price_change", "GET"): MEMBERS_RECORD,
    ("buyer.price_change", "POST"): MEMBERS_RECORD,
    ("buyer.placement_review_new", "GET"): MEMBERS_RECORD,
    ("buyer.placement_review_new", "POST"): MEMBERS_RECORD,
    ("buyer.cost_review", "GET"): MEMBERS_RECORD,
    ("buyer.cost_review", "POST"): MEMBERS_RECORD,
    ("buyer.review_interval", "GET"): row(officer=OK, outsider=OK),
    ("buyer.review_interval", "POST"): row(officer=OK, outsider=OK),
    ("buyer.placement_feedback_new", "GET"): MEMBERS_RECORD,
    ("buyer.placement_feedback_new", "POST"): MEMBERS_RECORD,
    ("buyer.placement_incident_new", "GET"): MEMBERS_RECORD,
    ("buyer.placement_incident_new", "POST"): MEMBERS_RECORD,
    ("buyer.placement_incident", "GET"): MEMBERS_RECORD,
    ("buyer.placement_incident", "POST"): MEMBERS_RECORD,
    ("supplier.agreements_list", "GET"): row(provider=OK, other_provider=OK),
    ("supplier.agreement", "GET"): OWN_AGREEMENT,
    ("supplier.agreement", "POST"): OWN_AGREEMENT,
    ("supplier.agreement_pdf", "GET"): OWN_AGREEMENT,
}


@pytest.fixture
def records(world, clock):
    placement = placed(world, clock)
    clock.set(clock.now() + timedelta(days=10))  # the placement has started
    cost = PlacementCost(placement_id=placement.id, position=2, description="Waking night staff",
                         weekly_amount=Decimal("300.00"), timescale="8 weeks", review_date=placement.start_date)
    db.session.add(cost)
    db.session.commit()
    version = agreements.issue(world.member_officer, placement, now=clock.now())
    incident = placement_records.record_incident(
        world.member_officer, placement, occurred_on=placement.start_date, category="incident", summary="Missing",
        lado_informed=False, police_informed=True, outcome="", ended_placement=False, now=clock.now())
    return {"placement_id": placement.id, "version_id": version.id, "cost_id": cost.id, "incident_id": incident.id}


def url_of(app, endpoint: str, records: dict) -> str:
    rule = next(rule for rule in app.url_map.iter_rules() if rule.endpoint == endpoint)
    return url_for(endpoint, **{argument: records[argument] for argument in rule.arguments})


def test_placement_life_access_matrix(app, world, records, sign_in):
    # Every POST is sent empty: each form refuses it (400) and nothing changes.
    mismatches = matrix_mismatches(app, EXPECTED, matrix_users(world), sign_in,
                                   lambda endpoint: url_of(app, endpoint, records), lambda endpoint: {})
    assert not mismatches, "\n".join(mismatches)


def test_budget_holders_reach_the_countersigning_page_and_pdf_of_their_own_authority_only(app, world, clock, records,
                                                                                         sign_in):
    holder = sign_in(deciders(world, clock).budget_holder)
    elsewhere = sign_in(authority_user(world.outsider, "Uma Elsewhere", "bh@outside.example.org", [BUDGET_HOLDER],
                                       clock))
    head = sign_in(deciders(world, clock).head_of_service)
    for endpoint in ("buyer.agreement_countersign", "buyer.agreement_pdf"):
        url = url_of(app, endpoint, records)
        assert holder.get(url).status_code == 200
        assert elsewhere.get(url).status_code == 404
        assert head.get(url).status_code == 404
    assert holder.get(url_of(app, "buyer.price_change", records)).status_code == 403
