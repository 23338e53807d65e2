"""Who may reach the market's pages (the matrix of tests/portal/test_access_matrix.py, for buyer/vacancies.py,
buyer/analytics.py, supplier/vacancies.py and admin/analytics.py).

The records: a sufficiency notice of the member authority and a vacancy of provider_a. The board, the notices
list and the analytics are every officer's (each sees its own authority's or arrangements' data: the outsider's
are empty); another authority's notice is 404 to the outsider; another provider's vacancy is 404 to provider_b.
Providers see no analytics (403); the administrator's analytics are every administrator's, each of its own
consortium. Each POST is sent empty: the forms refuse it (400); the withdrawals, last, withdraw."""

import pytest
from flask import url_for

from portal.services import sufficiency, vacancies
from tests.factories import admit
from tests.portal.test_access_matrix import (
    ADMIN_LIST,
    NOT_FOUND,
    OK,
    PROVIDER_LIST,
    PROVIDER_RECORD,
    matrix_mismatches,
    matrix_users,
    row,
)
from tests.portal.test_sufficiency import entry as notice_entry
from tests.portal.test_vacancies import entry as vacancy_entry

OFFICERS = row(officer=OK, outsider=OK)
OWN_AUTHORITY = row(officer=OK, outsider=NOT_FOUND)

EXPECTED = {
    ("buyer.vacancy_board", "GET"): OFFICERS,
    ("buyer.sufficiency_notices", "GET"): OFFICERS,
    ("buyer.sufficiency_new", "GET"): OFFICERS,
    ("buyer.sufficiency_new", "POST"): OFFICERS,
    ("buyer.sufficiency_edit", "GET"): OWN_AUTHORITY,
    ("buyer.sufficiency_edit", "POST"): OWN_AUTHORITY,
    ("buyer.sufficiency_withdraw", "GET"): OWN_AUTHORITY,
    ("buyer.sufficiency_withdraw", "POST"): OWN_AUTHORITY,
    ("buyer.analytics_page", "GET"): OFFICERS,
    ("buyer.analytics_csv", "GET"): OFFICERS,
    ("buyer.analytics_refresh", "POST"): OFFICERS,
    ("supplier.vacancy_list", "GET"): PROVIDER_LIST,
    ("supplier.vacancy_new", "GET"): PROVIDER_LIST,
    ("supplier.vacancy_new", "POST"): PROVIDER_LIST,
    ("supplier.vacancy_edit", "GET"): PROVIDER_RECORD,
    ("supplier.vacancy_edit", "POST"): PROVIDER_RECORD,
    ("supplier.vacancy_withdraw", "GET"): PROVIDER_RECORD,
    ("supplier.vacancy_withdraw", "POST"): PROVIDER_RECORD,
    ("supplier.sufficiency_notices", "GET"): PROVIDER_LIST,
    ("admin.analytics_page", "GET"): ADMIN_LIST,
    ("admin.analytics_csv", "GET"): ADMIN_LIST,
    ("admin.analytics_refresh", "POST"): ADMIN_LIST,
}


@pytest.fixture
def records(world, clock):
    admit(world.provider_a, world.lots[0], clock=clock)
    vacancy = vacancies.publish(world.provider_a, vacancy_entry(world.lots[0]), clock.now())
    notice = sufficiency.publish(world.member_officer, notice_entry(world.lots[0]), clock.now())
    return {"vacancy_id": vacancy.id, "notice_id": notice.id, "key": "spend"}


def url_of(app, endpoint: str, records: dict) -> str:
    rule = next(rule for rule in app.url_map.iter_rules() if rule.endpoint == endpoint)
    return url_for(endpoint, **{argument: records[argument] for argument in rule.arguments})


def test_market_access_matrix(app, world, records, sign_in):
    mismatches = matrix_mismatches(app, EXPECTED, matrix_users(world), sign_in,
                                   lambda endpoint: url_of(app, endpoint, records), lambda endpoint: {})
    assert not mismatches, "\n".join(mismatches)
