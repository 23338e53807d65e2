"""Who may reach part 1's pages (settings, allocation, the contract pages and the contract manager's dashboard):
the matrix of tests/portal/test_access_matrix.py, plus the roles the matrix has no column for.

The records: a setting of provider_a and provider_a's contract on the lead's DPS. Another provider's setting or
contract is 404; the lead's allocation pages are 404 to another consortium's administrator."""

import pytest
from flask import url_for

from portal.extensions import db
from portal.models import UserRole
from portal.models.user import PROVIDER_USER, USER_ADMINISTRATOR
from tests.factories import admit, contract_manager, contract_of, setting_for
from tests.portal.test_access_matrix import (
    ADMIN_RECORD,
    BUYER_LIST,
    PROVIDER_LIST,
    PROVIDER_RECORD,
    matrix_mismatches,
    matrix_users,
)

EXPECTED = {
    ("supplier.settings", "GET"): PROVIDER_LIST,
    ("supplier.setting_new", "GET"): PROVIDER_LIST,
    ("supplier.setting_new", "POST"): PROVIDER_LIST,
    ("supplier.setting_edit", "GET"): PROVIDER_RECORD,
    ("supplier.setting_edit", "POST"): PROVIDER_RECORD,
    ("supplier.setting_close", "GET"): PROVIDER_RECORD,
    ("supplier.setting_close", "POST"): PROVIDER_RECORD,
    ("supplier.contracts_list", "GET"): PROVIDER_LIST,
    ("supplier.contract", "GET"): PROVIDER_RECORD,
    ("admin.dps_contracts", "GET"): ADMIN_RECORD,
    ("admin.dps_contract_allocation", "GET"): ADMIN_RECORD,
    ("admin.dps_contract_allocation", "POST"): ADMIN_RECORD,
    ("buyer.contracts_dashboard", "GET"): BUYER_LIST,
}


@pytest.fixture
def records(world, clock):
    admit(world.provider_a, world.lots[0], clock=clock)
    setting = setting_for(world.provider_a, clock, urn="SC200001")
    return {"dps_id": world.dps.id, "provider_id": world.provider_a.organisation_id, "setting_id": setting.id,
            "contract_id": contract_of(world, world.provider_a).id}


def url_of(app, endpoint: str, records: dict) -> str:
    rule = next(rule for rule in app.url_map.iter_rules() if rule.endpoint == endpoint)
    return url_for(endpoint, **{argument: records[argument] for argument in rule.arguments})


def test_settings_and_contracts_access_matrix(app, world, records, sign_in):
    mismatches = matrix_mismatches(app, EXPECTED, matrix_users(world), sign_in,
                                   lambda endpoint: url_of(app, endpoint, records), lambda endpoint: {})
    assert not mismatches, "\n".join(mismatches)


def _plain_provider_user(world):
    """provider_a's colleague without the user administrator role."""
    colleague = world.colleague_a
    db.session.execute(db.delete(UserRole).where(UserRole.user_id == colleague.id, UserRole.role != PROVIDER_USER))
    db.session.commit()
    db.session.refresh(colleague)
    assert not colleague.has_role(USER_ADMINISTRATOR)
    return colleague


def test_a_provider_user_who_is_not_a_user_administrator_reads_settings_but_cannot_change_them(world, records,
                                                                                             sign_in):
    client = sign_in(_plain_provider_user(world))
    assert client.get(url_for("supplier.settings")).status_code == 200
    page = client.get(url_for("supplier.setting_edit", setting_id=records["setting_id"]))
    assert page.status_code == 200 and "Your user administrators can change this setting" in page.get_data(True)
    assert client.get(url_for("supplier.setting_new")).status_code == 403
    assert client.post(url_for("supplier.setting_new"), data={"name": "X"}).status_code == 403
    assert client.post(url_for("supplier.setting_edit", setting_id=records["setting_id"]),
                       data={"name": "X"}).status_code == 403
    assert client.post(url_for("supplier.setting_close", setting_id=records["setting_id"])).status_code == 403


def test_a_contract_manager_reaches_the_dashboard_and_contract_page_but_not_officer_pages(world, clock, records,
                                                                                          sign_in):
    client = sign_in(contract_manager(world, clock))
    assert client.get(url_for("buyer.contracts_dashboard")).status_code == 200
    assert client.get(url_for("buyer.contracts_provider", dps_id=records["dps_id"],
                              provider_id=records["provider_id"])).status_code == 200
    assert client.get(url_for("buyer.tasks")).status_code == 200
    assert client.get(url_for("buyer.referral_list")).status_code == 403
    assert client.get(url_for("admin.dps_contracts", dps_id=records["dps_id"])).status_code == 403


def test_an_evaluator_of_the_lead_is_refused_the_allocation_pages(world, records, sign_in):
    client = sign_in(world.evaluator)
    assert client.get(url_for("admin.dps_contracts", dps_id=records["dps_id"])).status_code == 403


def test_another_consortiums_contract_manager_gets_404_for_the_contract_page(world, clock, records, sign_in):
    outsider = contract_manager(world, clock, at=world.outsider, email="contracts@outside.example.org")
    client = sign_in(outsider)
    assert client.get(url_for("buyer.contracts_provider", dps_id=records["dps_id"],
                              provider_id=records["provider_id"])).status_code == 404
