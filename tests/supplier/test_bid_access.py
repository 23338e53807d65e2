"""Who may reach the provider's referral and bid pages (the matrix of tests/portal/test_access_matrix.py, for the
routes of supplier/referrals.py).

The records: a referral provider_a was invited to (and has bid for), provider_b was not. provider_b gets 404 on
it, whatever the page; authority users get 403 everywhere, as the supplier area needs the provider role."""

from datetime import timedelta

import pytest
from flask import url_for

from portal.services import bids, referrals
from portal.services.bids import BidInput
from tests.factories import admit, published_referral
from tests.portal.test_access_matrix import NOT_FOUND, OK, matrix_mismatches, matrix_users, row

PROVIDERS = row(provider=OK, other_provider=OK)
INVITED = row(provider=OK, other_provider=NOT_FOUND)

EXPECTED = {
    ("supplier.referral_list", "GET"): PROVIDERS,
    ("supplier.referral", "GET"): INVITED,
    ("supplier.bid", "GET"): INVITED,
    ("supplier.bid", "POST"): INVITED,
    ("supplier.bid_receipt", "GET"): INVITED,
    ("supplier.withdraw_bid", "POST"): INVITED,
    ("supplier.decline_referral", "GET"): INVITED,
    ("supplier.decline_referral", "POST"): INVITED,
}


@pytest.fixture
def records(world, clock):
    admit(world.provider_a, world.lots[0], clock=clock)
    referral = published_referral(world, clock, lot=world.lots[0], deadline=clock.now() + timedelta(days=10))
    invitation = referrals.invitation_for(world.provider_a, referral.id)
    bids.submit(world.provider_a, invitation, BidInput(
        core_weekly_fee="1200", additional_costs=[],
        proposed_start=clock.now().date() + timedelta(days=7), home_area="E08000008",
        home_description="A foster home", how_needs_met="With care"), clock.now())
    return {"referral_id": referral.id}


def url_of(endpoint: str, records: dict) -> str:
    return url_for(endpoint, **({} if endpoint == "supplier.referral_list" else records))


def test_bid_access_matrix(app, world, records, sign_in):
    # Empty POSTs: the bid and decline forms refuse them (400); the withdrawal, sent last, withdraws the bid.
    mismatches = matrix_mismatches(app, EXPECTED, matrix_users(world), sign_in,
                                   lambda endpoint: url_of(endpoint, records), lambda endpoint: {})
    assert not mismatches, "\n".join(mismatches)


def test_the_lead_authoritys_officer_sees_none_of_the_members_referral(world, records, sign_in):
    client = sign_in(world.lead_officer)
    for endpoint, method in EXPECTED:
        response = client.open(url_of(endpoint, records), method=method)
        assert response.status_code == 403, endpoint
