"""Who may reach the quarterly KPI and return pages (the matrix of tests/portal/test_access_matrix.py, for
admin/kpis.py, buyer/kpis.py and supplier/returns.py).

The records belong to the lead's DPS and to provider_a: its Q2 return, a return question. The administrator reaches
the DPS's pages, the outsider (an administrator, evaluator and officer of an authority outside the consortium) gets
404 on them; the member's officer reaches the officers' KPI pages; provider_b gets 404 on provider_a's return, and
the provider KPI pages always show the signed-in provider's own figures (tested in test_kpi_pages)."""

from datetime import datetime

import pytest
from flask import url_for

from portal.extensions import db
from portal.models import QuarterlyReturn
from portal.models.kpi import NUMBER
from portal.services import quarterly_returns as returns
from tests.factories import admit
from tests.portal.test_access_matrix import NOT_FOUND, OK, matrix_mismatches, matrix_users, row

ADMIN_RECORD = row(admin=OK, outsider=NOT_FOUND)
OFFICER_RECORD = row(officer=OK, outsider=NOT_FOUND)
PROVIDER_LIST = row(provider=OK, other_provider=OK)
PROVIDER_RECORD = row(provider=OK, other_provider=NOT_FOUND)

EXPECTED = {
    ("admin.kpi_ranking", "GET"): ADMIN_RECORD,
    ("admin.kpi_provider", "GET"): ADMIN_RECORD,
    ("admin.kpi_provider_csv", "GET"): ADMIN_RECORD,
    ("admin.kpi_thresholds", "GET"): ADMIN_RECORD,
    ("admin.kpi_thresholds", "POST"): ADMIN_RECORD,
    ("admin.return_questions", "GET"): ADMIN_RECORD,
    ("admin.return_questions", "POST"): ADMIN_RECORD,
    ("admin.return_question", "GET"): ADMIN_RECORD,
    ("admin.return_question", "POST"): ADMIN_RECORD,
    ("admin.return_question_remove", "POST"): ADMIN_RECORD,
    ("admin.return_settings", "POST"): ADMIN_RECORD,
    ("admin.dps_returns", "GET"): ADMIN_RECORD,
    ("admin.overdue_returns", "GET"): row(admin=OK, outsider=OK),
    ("admin.quarterly_return", "GET"): ADMIN_RECORD,
    ("buyer.kpi_ranking", "GET"): OFFICER_RECORD,
    ("buyer.kpi_provider", "GET"): OFFICER_RECORD,
    ("buyer.kpi_provider_csv", "GET"): OFFICER_RECORD,
    ("supplier.returns_list", "GET"): PROVIDER_LIST,
    ("supplier.quarterly_return", "GET"): PROVIDER_RECORD,
    ("supplier.quarterly_return", "POST"): PROVIDER_RECORD,
    ("supplier.own_kpis", "GET"): PROVIDER_LIST,
    ("supplier.own_kpis_csv", "GET"): PROVIDER_LIST,
}


@pytest.fixture
def records(world, clock):
    returns.add_question(world.admin, world.dps, text="How many carers did you approve?", answer_type=NUMBER,
                         guidance="", now=clock.now())
    for user in (world.provider_a, world.provider_b):
        admit(user, world.lots[0], clock=clock).admitted_at = datetime(2026, 4, 15)
    returns.request_due(clock.now())
    alpha = db.session.scalars(db.select(QuarterlyReturn).where(
        QuarterlyReturn.provider_id == world.provider_a.organisation_id)).one()
    return {"dps_id": world.dps.id, "provider_id": world.provider_a.organisation_id,
            "question_id": returns.questions_of(world.dps)[0].id, "return_id": alpha.id}


def url_of(app, endpoint: str, records: dict) -> str:
    rule = next(rule for rule in app.url_map.iter_rules() if rule.endpoint == endpoint)
    values = {argument: records[argument] for argument in rule.arguments}
    if endpoint == "supplier.own_kpis_csv":
        values["dps"] = records["dps_id"]
    return url_for(endpoint, **values)


def test_kpi_access_matrix(app, world, records, sign_in):
    mismatches = matrix_mismatches(app, EXPECTED, matrix_users(world), sign_in,
                                   lambda endpoint: url_of(app, endpoint, records), lambda endpoint: {})
    assert not mismatches, "\n".join(mismatches)
