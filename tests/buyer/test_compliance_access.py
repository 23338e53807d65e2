"""Who may reach the compliance register's pages (the matrix of tests/portal/test_access_matrix.py, for
admin/compliance.py, buyer/compliance.py and supplier/compliance.py).

The records: provider_a's contract on the lead's DPS, its setting judged Inadequate by the lead's import, its
evidence, an enforcement notice about the setting, and a placement of the member's at the setting. The lead's
administrator runs imports (the outsider, another lead, gets 404 for them); evidence and the Inadequate decision
belong to the provider's contract managers and the lead's assistant director (none of the matrix's users: the
member's officer gets 404, the administrator cannot reach authority pages); a notice's document is read by every
member's officers; providers see their own evidence and notices (another provider 404)."""

from datetime import date

import pytest
from flask import url_for

from portal.extensions import db
from portal.models import Inspection
from portal.models.compliance import RESTRICTION_OF_ACCOMMODATION
from portal.services import compliance, ofsted_import
from tests.factories import PDF, admit, contract_manager, contract_of, placed, setting_for
from tests.portal.test_access_matrix import (
    ADMIN_LIST,
    ADMIN_RECORD,
    FORBIDDEN,
    NOT_FOUND,
    OK,
    PROVIDER_LIST,
    PROVIDER_RECORD,
    matrix_mismatches,
    matrix_users,
    row,
)

HIDDEN = row(officer=NOT_FOUND, outsider=NOT_FOUND)

EXPECTED = {
    ("admin.ofsted_imports", "GET"): ADMIN_LIST,
    ("admin.ofsted_imports", "POST"): ADMIN_LIST,
    ("admin.ofsted_import_mapping", "GET"): ADMIN_RECORD,
    ("admin.ofsted_import_mapping", "POST"): ADMIN_RECORD,
    ("admin.ofsted_import", "GET"): ADMIN_RECORD,
    ("admin.ofsted_import_apply", "POST"): ADMIN_RECORD,
    ("admin.compliance_evidence_list", "GET"): ADMIN_LIST,
    ("admin.compliance_notice_new", "GET"): ADMIN_RECORD,
    ("admin.compliance_notice_new", "POST"): ADMIN_RECORD,
    ("admin.compliance_evidence", "GET"): ADMIN_RECORD,
    ("admin.compliance_evidence", "POST"): ADMIN_RECORD,
    ("admin.compliance_evidence_file", "GET"): ADMIN_RECORD,
    ("buyer.contracts_inspection", "GET"): HIDDEN,
    ("buyer.contracts_inspection", "POST"): HIDDEN,
    ("buyer.contracts_evidence", "GET"): HIDDEN,
    ("buyer.contracts_evidence", "POST"): HIDDEN,
    ("buyer.contracts_evidence_file", "GET"): HIDDEN,
    ("buyer.contracts_notice_new", "GET"): row(officer=FORBIDDEN, outsider=NOT_FOUND),
    ("buyer.contracts_notice_new", "POST"): row(officer=FORBIDDEN, outsider=NOT_FOUND),
    ("buyer.contracts_notice_file", "GET"): row(officer=OK, outsider=NOT_FOUND),
    ("buyer.contracts_ofsted_review", "POST"): row(),
    ("buyer.contracts_continue_placement", "POST"): row(officer=OK, outsider=NOT_FOUND),
    ("supplier.compliance_evidence", "GET"): PROVIDER_LIST,
    ("supplier.compliance_evidence", "POST"): PROVIDER_LIST,
    ("supplier.compliance_evidence_file", "GET"): PROVIDER_RECORD,
    ("supplier.compliance_notice_file", "GET"): PROVIDER_RECORD,
}

CSV = (b"URN,Provider type,Inspection date,Inspection type,Overall effectiveness\n"
       b"SC100001,Children's home,2026-10-01,Full,4\n")


@pytest.fixture
def records(world, clock):
    admit(world.provider_a, world.lots[0], clock=clock)
    home = setting_for(world.provider_a, clock, urn="SC100001")
    manager = contract_manager(world, clock)
    contract_of(world, world.provider_a).contract_manager_id = manager.id
    db.session.commit()
    placement = placed(world, clock, admitted=False)
    placement.setting_id = home.id
    db.session.commit()
    imported = ofsted_import.upload(world.admin, data=CSV, filename="ofsted.csv", now=clock.now())
    ofsted_import.save_mapping(world.admin, imported, ofsted_import.mapping_for(imported), clock.now())
    ofsted_import.apply(world.admin, imported, clock.now())
    evidence = compliance.submit_evidence(world.provider_a, kind="public_liability", expires_on=date(2027, 6, 30),
                                          data=PDF, filename="cover.pdf", now=clock.now())
    notice = compliance.record_notice(manager, home, kind=RESTRICTION_OF_ACCOMMODATION, issued_on=date(2026, 10, 1),
                                      notes="", data=PDF, filename="notice.pdf", now=clock.now())
    return {"dps_id": world.dps.id, "provider_id": world.provider_a.organisation_id, "import_id": imported.id,
            "inspection_id": db.session.scalars(db.select(Inspection.id)).one(), "evidence_id": evidence.id,
            "notice_id": notice.id, "placement_id": placement.id}


def url_of(app, endpoint: str, records: dict) -> str:
    rule = next(rule for rule in app.url_map.iter_rules() if rule.endpoint == endpoint)
    return url_for(endpoint, **{argument: records[argument] for argument in rule.arguments})


def test_compliance_access_matrix(app, world, records, sign_in):
    mismatches = matrix_mismatches(app, EXPECTED, matrix_users(world), sign_in,
                                   lambda endpoint: url_of(app, endpoint, records), lambda endpoint: {})
    assert not mismatches, "\n".join(mismatches)
