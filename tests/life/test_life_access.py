"""Who may reach the placement's-life pages (the matrix of tests/portal/test_access_matrix.py, for the routes of
buyer/placements.py and the provider's placements in supplier/placements.py).

The records: a placement of the member authority with provider_a (its child and a draft referral). The member's
officer reaches the authority's pages; the outsider (an officer of an authority outside the consortium) sees its
own, empty, lists and 404 on the member's records; provider_a reaches its placement, provider_b gets 404."""

from datetime import timedelta

import pytest
from flask import url_for

from tests.factories import draft_referral, placed
from tests.portal.test_access_matrix import NOT_FOUND, OK, matrix_mismatches, matrix_users, row

OFFICERS = row(officer=OK, outsider=OK)
AUTHORITYS = row(officer=OK, outsider=NOT_FOUND)

EXPECTED = {
    ("buyer.placement_ending", "GET"): AUTHORITYS,
    ("buyer.placement_ending", "POST"): AUTHORITYS,
    ("buyer.spend", "GET"): OFFICERS,
    ("buyer.children", "GET"): OFFICERS,
    ("buyer.child", "GET"): AUTHORITYS,
    ("buyer.referral_new_search", "POST"): AUTHORITYS,
    ("supplier.placements", "GET"): row(provider=OK, other_provider=OK),
    ("supplier.placement", "GET"): row(provider=OK, other_provider=NOT_FOUND),
    ("supplier.placement", "POST"): row(provider=OK, other_provider=NOT_FOUND),
}


@pytest.fixture
def records(world, clock):
    placement = placed(world, clock)
    referral = draft_referral(world, clock, child={"case_number": "CN-OTHER"},
                              required_start=clock.now().date() + timedelta(days=10))
    return {"placement_id": placement.id, "child_id": placement.referral.child_id, "referral_id": referral.id}


def url_of(app, endpoint: str, records: dict) -> str:
    rule = next(rule for rule in app.url_map.iter_rules() if rule.endpoint == endpoint)
    return url_for(endpoint, **{argument: records[argument] for argument in rule.arguments})


def test_life_access_matrix(app, world, records, sign_in):
    mismatches = matrix_mismatches(app, EXPECTED, matrix_users(world), sign_in,
                                   lambda endpoint: url_of(app, endpoint, records), lambda endpoint: {})
    assert not mismatches, "\n".join(mismatches)


def test_the_lead_authoritys_officer_sees_none_of_the_members_children(app, world, records, sign_in):
    client = sign_in(world.lead_officer)
    for page in ("/authority/children", "/authority/spend", "/authority/placements"):
        text = client.get(page).get_data(as_text=True)
        assert "Kestrel" not in text and "CN-48213-Q" not in text and "Alpha Care" not in text, page
    assert client.get(f"/authority/children/{records['child_id']}").status_code == 404
