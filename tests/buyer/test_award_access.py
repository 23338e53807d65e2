"""Who may reach the award pages (the matrix of tests/portal/test_access_matrix.py, for the routes of
buyer/awards.py and supplier/placements.py).

The records: a closed referral of the member authority with provider_a's bid, assessed (so every award page is
reached, not refused as sealed), and an awarded referral won by provider_a, with its placement. provider_b bid for
neither: the outcome page is 404 for it. The outsider (an officer of an authority outside the consortium) gets 404
on the member's records; the lead's evaluator and administrator are not officers (403)."""

from datetime import timedelta

import pytest
from flask import url_for

from portal.services import awards
from tests.buyer.test_awards_service import SCORES_90, bid_input, bid_of, send
from tests.factories import admit, award_approved, published_referral
from tests.portal.test_access_matrix import NOT_FOUND, OK, matrix_mismatches, matrix_users, row

MEMBERS_RECORD = row(officer=OK, outsider=NOT_FOUND)
OWN_OUTCOME = row(provider=OK, other_provider=NOT_FOUND)

EXPECTED = {
    ("buyer.referral_bids", "GET"): MEMBERS_RECORD,
    ("buyer.referral_bids_csv", "GET"): MEMBERS_RECORD,
    ("buyer.assess_bid", "GET"): MEMBERS_RECORD,
    ("buyer.assess_bid", "POST"): MEMBERS_RECORD,
    ("buyer.negotiate_bid", "POST"): MEMBERS_RECORD,
    ("buyer.referral_award", "GET"): MEMBERS_RECORD,
    ("buyer.referral_award", "POST"): MEMBERS_RECORD,
    ("buyer.placement", "GET"): MEMBERS_RECORD,
    ("buyer.placement_agreement", "GET"): MEMBERS_RECORD,
    ("buyer.placement_area", "POST"): MEMBERS_RECORD,
    ("supplier.referral_outcome", "GET"): OWN_OUTCOME,
}

# The record each endpoint is reached with: the awarded referral, the closed referral's bid, the placement; the
# other pages take the closed referral.
AWARDED_ENDPOINTS = {"supplier.referral_outcome"}
BID_ENDPOINTS = {"buyer.assess_bid", "buyer.negotiate_bid"}
PLACEMENT_ENDPOINTS = {"buyer.placement", "buyer.placement_agreement", "buyer.placement_area"}


@pytest.fixture
def records(world, clock):
    admit(world.provider_a, world.lots[0], clock=clock)
    deadline = clock.now() + timedelta(days=10)
    closed = published_referral(world, clock, lot=world.lots[0], deadline=deadline)
    awarded = published_referral(world, clock, lot=world.lots[0], deadline=deadline)
    for referral in (closed, awarded):
        send(world.provider_a, referral, clock, bid_input("1000.00"))
    clock.set(deadline + timedelta(hours=1))
    for referral in (closed, awarded):
        awards.assess(world.member_officer, bid_of(referral, world.provider_a), scores=SCORES_90, notes="",
                      now=clock.now())
    placement = award_approved(world, clock, awarded, bid_of(awarded, world.provider_a), reason="", now=clock.now())
    return {"closed_id": closed.id, "awarded_id": awarded.id, "bid_id": bid_of(closed, world.provider_a).id,
            "placement_id": placement.id}


def url_of(endpoint: str, records: dict) -> str:
    if endpoint in AWARDED_ENDPOINTS:
        return url_for(endpoint, referral_id=records["awarded_id"])
    if endpoint in BID_ENDPOINTS:
        return url_for(endpoint, bid_id=records["bid_id"])
    if endpoint in PLACEMENT_ENDPOINTS:
        return url_for(endpoint, placement_id=records["placement_id"])
    return url_for(endpoint, referral_id=records["closed_id"])


def test_award_access_matrix(app, world, records, sign_in):
    # Empty POSTs are refused by the forms (400): no scores, no price, no bid chosen. Nothing changes.
    mismatches = matrix_mismatches(app, EXPECTED, matrix_users(world), sign_in,
                                   lambda endpoint: url_of(endpoint, records), lambda endpoint: {})
    assert not mismatches, "\n".join(mismatches)


def test_the_lead_authoritys_officer_gets_404_on_the_members_records(world, records, sign_in):
    client = sign_in(world.lead_officer)
    for endpoint, method in EXPECTED:
        if endpoint.startswith("buyer."):
            response = client.open(url_of(endpoint, records), method=method)
            assert response.status_code == 404, (endpoint, method)
