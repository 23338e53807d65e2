"""Who may reach the off-framework pages (the matrix of tests/portal/test_access_matrix.py, for the routes of
buyer/off_framework.py).

The records belong to the member authority: a provider on its off-framework list with a document and a referee,
an exhausted referral, and an emergency placement off framework (on another exhausted referral). The member's
officer reaches them all; the outsider (an officer of an authority outside the consortium) sees its own, empty,
lists and 404 on the member's records; everyone without the commissioning officer role gets 403."""

import pytest
from flask import url_for

from portal.services import off_framework
from tests.buyer.test_off_framework_service import emergency_placement, exhausted_referral, provider_with_references
from tests.factories import PDF
from tests.portal.test_access_matrix import NOT_FOUND, OK, matrix_mismatches, matrix_users, row

OFFICERS = row(officer=OK, outsider=OK)  # a list or a new record of the officer's own authority
AUTHORITYS = row(officer=OK, outsider=NOT_FOUND)  # a record of the member authority

EXPECTED = {
    ("buyer.off_framework_providers", "GET"): OFFICERS,
    ("buyer.off_framework_provider_new", "GET"): OFFICERS,
    ("buyer.off_framework_provider_new", "POST"): OFFICERS,
    ("buyer.off_framework_provider", "GET"): AUTHORITYS,
    ("buyer.off_framework_provider_edit", "GET"): AUTHORITYS,
    ("buyer.off_framework_provider_edit", "POST"): AUTHORITYS,
    ("buyer.off_framework_document_upload", "POST"): AUTHORITYS,
    ("buyer.off_framework_document", "GET"): AUTHORITYS,
    ("buyer.off_framework_referee_add", "POST"): AUTHORITYS,
    ("buyer.off_framework_reference", "POST"): AUTHORITYS,
    ("buyer.referral_off_framework", "GET"): AUTHORITYS,
    ("buyer.referral_off_framework", "POST"): AUTHORITYS,
    ("buyer.placements", "GET"): OFFICERS,
    ("buyer.placements_csv", "GET"): OFFICERS,
    ("buyer.tasks", "GET"): OFFICERS,
    ("buyer.qa_visit", "GET"): AUTHORITYS,
    ("buyer.qa_visit", "POST"): AUTHORITYS,
}


@pytest.fixture
def records(world, clock):
    placement = emergency_placement(world, clock)
    referral = exhausted_referral(world, clock)
    provider = provider_with_references(world.member_officer, clock, outcomes=(None,), name="Listed Homes",
                                        ofsted_urn="SC222222")
    document = off_framework.upload_document(world.member_officer, provider, title="Ofsted report",
                                             filename="ofsted.pdf", data=PDF, now=clock.now())
    return {"provider_id": provider.id, "document_id": document.id, "referee_id": provider.referees[0].id,
            "referral_id": referral.id, "placement_id": placement.id}


def url_of(app, endpoint: str, records: dict) -> str:
    rule = next(rule for rule in app.url_map.iter_rules() if rule.endpoint == endpoint)
    return url_for(endpoint, **{argument: records[argument] for argument in rule.arguments})


def test_off_framework_access_matrix(app, world, records, sign_in):
    # Every POST is sent empty: each form refuses it (400) and nothing changes.
    mismatches = matrix_mismatches(app, EXPECTED, matrix_users(world), sign_in,
                                   lambda endpoint: url_of(app, endpoint, records), lambda endpoint: {})
    assert not mismatches, "\n".join(mismatches)


def test_the_lead_authoritys_officer_sees_none_of_the_members_records(app, world, records, sign_in):
    """Another authority of the same consortium: its own (empty) lists, and 404 on every record of the member."""
    client = sign_in(world.lead_officer)
    for (endpoint, method), expected in EXPECTED.items():
        response = client.open(url_of(app, endpoint, records), method=method)
        wanted = 200 if expected is OFFICERS and method == "GET" else (400 if expected is OFFICERS else 404)
        assert response.status_code == wanted, (endpoint, method, response.status_code)
    for page in ("/authority/off-framework-providers", "/authority/placements", "/authority/tasks",
                 "/authority/placements.csv"):
        text = client.get(page).get_data(as_text=True)
        assert "Listed Homes" not in text and "Northern Homes" not in text and "IPA-" not in text, page
