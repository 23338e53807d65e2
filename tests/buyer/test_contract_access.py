"""Who may reach the contract management pages (the matrix of tests/portal/test_access_matrix.py, for
buyer/contracts.py).

The record: provider_a's contract on the lead's DPS. The lead's and the member's officers read it; the outsider
(another consortium) gets 404; providers and the lead's evaluators and administrators (not contract readers) 403."""

import pytest
from flask import url_for

from tests.factories import admit
from tests.portal.test_access_matrix import NOT_FOUND, OK, matrix_mismatches, matrix_users, row

MEMBERS = row(officer=OK, outsider=NOT_FOUND)

EXPECTED = {
    ("buyer.contracts_provider", "GET"): MEMBERS,
}


@pytest.fixture
def records(world, clock):
    admit(world.provider_a, world.lots[0], clock=clock)
    return {"dps_id": world.dps.id, "provider_id": world.provider_a.organisation_id}


def url_of(app, endpoint: str, records: dict) -> str:
    rule = next(rule for rule in app.url_map.iter_rules() if rule.endpoint == endpoint)
    return url_for(endpoint, **{argument: records[argument] for argument in rule.arguments})


def test_contract_access_matrix(app, world, records, sign_in):
    mismatches = matrix_mismatches(app, EXPECTED, matrix_users(world), sign_in,
                                   lambda endpoint: url_of(app, endpoint, records), lambda endpoint: {})
    assert not mismatches, "\n".join(mismatches)
