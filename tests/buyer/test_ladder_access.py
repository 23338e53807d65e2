"""Who may reach the escalation ladder's pages (the matrix of tests/portal/test_access_matrix.py, for
buyer/ladder.py and supplier/ladder.py).

The records: provider_a's contract on the lead's DPS with a minor performance issue raised by the member's
officer, an open contract review and a notice to improve in force with an appeal lodged. The member's officer
reads them and raises issues but takes no contract manager's action (403) nor decides appeals (403); the
outsider gets 404; provider_a reads its own issue and notice (provider_b 404); evaluators and administrators 403."""

from datetime import timedelta

import pytest
from flask import url_for

from portal.extensions import db
from portal.services import approvals, ladder
from tests.factories import admit, contract_manager, contract_of, lead_deciders
from tests.portal.test_access_matrix import FORBIDDEN, NOT_FOUND, OK, matrix_mismatches, matrix_users, row

READERS = row(officer=OK, outsider=NOT_FOUND)
MANAGERS = row(officer=FORBIDDEN, outsider=NOT_FOUND)
OWN = row(provider=OK, other_provider=NOT_FOUND)

EXPECTED = {
    ("buyer.contracts_issue_new", "GET"): READERS,
    ("buyer.contracts_issue_new", "POST"): READERS,
    ("buyer.contracts_issue", "GET"): READERS,
    ("buyer.contracts_issue_action_done", "POST"): MANAGERS,
    ("buyer.contracts_issue_close", "POST"): READERS,
    ("buyer.contracts_review_new", "GET"): MANAGERS,
    ("buyer.contracts_review_new", "POST"): MANAGERS,
    ("buyer.contracts_review", "GET"): READERS,
    ("buyer.contracts_review_propose", "POST"): MANAGERS,
    ("buyer.contracts_review_close", "POST"): MANAGERS,
    ("buyer.contracts_sanction", "GET"): READERS,
    ("buyer.contracts_sanction_letter", "GET"): READERS,
    ("buyer.contracts_sanction_action_done", "POST"): MANAGERS,
    ("buyer.contracts_sanction_met", "POST"): MANAGERS,
    ("buyer.contracts_sanction_review", "POST"): MANAGERS,
    ("buyer.contracts_sanction_escalate", "POST"): MANAGERS,
    ("buyer.contracts_appeal_decide", "POST"): MANAGERS,
    ("buyer.contracts_appeal_document", "GET"): READERS,
    ("supplier.contract_issue", "GET"): OWN,
    ("supplier.contract_issue_action_done", "POST"): OWN,
    ("supplier.contract_sanction", "GET"): OWN,
    ("supplier.contract_sanction_letter", "GET"): OWN,
    ("supplier.contract_sanction_action_done", "POST"): OWN,
    ("supplier.contract_appeal", "POST"): OWN,
    ("supplier.contract_appeal_document", "GET"): OWN,
}


@pytest.fixture
def records(world, clock):
    admit(world.provider_a, world.lots[0], clock=clock)
    contract = contract_of(world, world.provider_a)
    manager = contract_manager(world, clock)
    contract.contract_manager_id = manager.id
    db.session.commit()
    people = lead_deciders(world, clock)
    due = (clock.now() + timedelta(days=14)).date()
    issue = ladder.raise_issue(world.member_officer, contract, severity="minor", description="Late returns",
                               actions=[("Send the returns", due)], placement_id=None, now=clock.now())
    review = ladder.open_review(manager, contract, breach="other_breach", details="Returns missing", now=clock.now())
    notice = ladder.propose(manager, contract, kind="notice", grounds="Returns missing", review_on=None,
                            actions=[("Send the returns", due)], now=clock.now(), review=review)
    approvals.answer(people.head_of_service, approvals.latest(notice, "notice_to_improve"), approve=True,
                     now=clock.now())
    ladder.appeal(world.provider_a, notice, grounds="Sent by post", now=clock.now(), filename="receipts.pdf",
                  data=b"%PDF-1.4\n% receipts\n")
    open_review = ladder.open_review(manager, contract, breach="other_breach", details="Another breach",
                                     now=clock.now())
    return {"dps_id": world.dps.id, "provider_id": world.provider_a.organisation_id, "issue_id": issue.id,
            "review_id": open_review.id, "sanction_id": notice.id, "action_id": notice.actions[0].id,
            "issue_action_id": issue.actions[0].id}


def url_of(app, endpoint: str, records: dict) -> str:
    rule = next(rule for rule in app.url_map.iter_rules() if rule.endpoint == endpoint)
    values = {argument: records[argument] for argument in rule.arguments}
    if "issue_id" in rule.arguments and "action_id" in rule.arguments:
        values["action_id"] = records["issue_action_id"]
    return url_for(endpoint, **values)


def test_ladder_access_matrix(app, world, records, sign_in):
    mismatches = matrix_mismatches(app, EXPECTED, matrix_users(world), sign_in,
                                   lambda endpoint: url_of(app, endpoint, records), lambda endpoint: {})
    assert not mismatches, "\n".join(mismatches)
