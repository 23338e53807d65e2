"""Who may reach the staff pages (the matrix of tests/portal/test_access_matrix.py, for the routes of buyer/staff.py,
the provider's team pages and the consortium administrator's approval limits and stepping in at a provider).

In the matrix the member authority's officer is also its user administrator, and so is the outsider (an
administrator, evaluator and officer of an authority outside the consortium): each reaches its own staff list,
and the outsider gets 404 on the member's people. provider_a and provider_b are each their provider's user
administrator (each registered first); provider_b gets 404 on provider_a's colleague. The records: a member's
budget holder, provider_a's colleague."""

import pytest
from flask import url_for

from portal.extensions import db
from portal.models import Invitation, UserRole
from portal.models.user import BUDGET_HOLDER, SIGNATORY, USER_ADMINISTRATOR
from portal.services import accounts
from tests.factories import PASSWORD, authority_user
from tests.portal.test_access_matrix import (
    FORBIDDEN,
    NOT_FOUND,
    OK,
    matrix_mismatches,
    matrix_users,
    outcome,
    row,
)

STAFF_LIST = row(officer=OK, outsider=OK)
STAFF_RECORD = row(officer=OK, outsider=NOT_FOUND)
TEAM_RECORD = row(provider=OK, other_provider=NOT_FOUND)

EXPECTED = {
    ("buyer.staff_list", "GET"): STAFF_LIST,
    ("buyer.staff_list", "POST"): STAFF_LIST,
    ("buyer.staff_member", "GET"): STAFF_RECORD,
    ("buyer.staff_member", "POST"): STAFF_RECORD,
    ("buyer.staff_approval_limit", "POST"): STAFF_RECORD,
    ("buyer.staff_active", "POST"): STAFF_RECORD,
    ("buyer.staff_invitation_withdraw", "POST"): STAFF_RECORD,
    ("supplier.team_invitation_withdraw", "POST"): TEAM_RECORD,
    ("supplier.team_member", "GET"): TEAM_RECORD,
    ("supplier.team_member", "POST"): TEAM_RECORD,
    ("supplier.team_member_active", "POST"): TEAM_RECORD,
    ("admin.user_approval_limit", "POST"): row(admin=OK, outsider=NOT_FOUND),
    # Any consortium administrator may step in at a provider of the shared register.
    ("admin.provider_invite", "POST"): row(admin=OK, outsider=OK),
    ("admin.provider_user_administrator", "POST"): row(admin=OK, outsider=OK),
    # An invitation to the member: its consortium's administrator only.
    ("admin.invitation_withdraw", "POST"): row(admin=OK, outsider=NOT_FOUND),
}

# Nothing posted changes anything: the roles sent are those held, "yes" to a user already active, an empty invitation
# (refused with 400), the limit the budget holder has.
POST_DATA = {
    "buyer.staff_member": {"roles": [BUDGET_HOLDER]},
    "buyer.staff_active": {"active": "yes"},
    "buyer.staff_approval_limit": {"approval_limit": "1,000"},
    "supplier.team_member": {"roles": [USER_ADMINISTRATOR, SIGNATORY]},
    "supplier.team_member_active": {"active": "yes"},
    "admin.user_approval_limit": {"approval_limit": "1,000"},
}


@pytest.fixture
def records(world, clock):
    budget_holder = authority_user(world.member, "Bea Budget", "budget@member.example.org", [BUDGET_HOLDER], clock)
    budget_holder.approval_limit = 1000
    for user in (world.member_officer, world.outside_admin):
        user.role_rows.append(UserRole(role=USER_ADMINISTRATOR))
    db.session.commit()
    accounts.invite(world.member_officer, world.member, "invited@member.example.org", {BUDGET_HOLDER}, clock.now())
    accounts.invite(world.provider_a, world.provider_a.organisation, "invited@alpha.example.org", set(), clock.now())
    invitations = dict(db.session.execute(db.select(Invitation.email, Invitation.id)).all())
    return {"member_user": budget_holder.id, "colleague": world.colleague_a.id,
            "provider_id": world.provider_a.organisation_id,
            "member_invitation": invitations["invited@member.example.org"],
            "provider_invitation": invitations["invited@alpha.example.org"]}


def url_of(app, endpoint: str, records: dict) -> str:
    rule = next(rule for rule in app.url_map.iter_rules() if rule.endpoint == endpoint)
    values = {}
    for argument in rule.arguments:
        if argument == "invitation_id":
            values[argument] = records["provider_invitation" if endpoint.startswith("supplier.") else
                                       "member_invitation"]
        elif argument == "user_id":
            values[argument] = records["colleague" if endpoint.startswith(("supplier.", "admin.provider"))
                                       else "member_user"]
        else:
            values[argument] = records[argument]
    return url_for(endpoint, **values)


def test_staff_access_matrix(app, world, records, sign_in):
    mismatches = matrix_mismatches(app, EXPECTED, matrix_users(world), sign_in,
                                   lambda endpoint: url_of(app, endpoint, records),
                                   lambda endpoint: POST_DATA.get(endpoint, {}))
    assert not mismatches, "\n".join(mismatches)


def test_a_user_administrator_who_is_not_an_officer(app, world, clock, records, sign_in):
    """Reaches the staff pages of their own authority and none of the officer's; a provider's user administrator,
    an officer and an evaluator who are not one are refused the staff pages."""
    user_admin = authority_user(world.member, "Uma Admin", "ua@member.example.org", [USER_ADMINISTRATOR], clock)
    client = sign_in(user_admin)
    for (endpoint, method) in EXPECTED:
        if endpoint.startswith("buyer."):
            response = client.open(url_of(app, endpoint, records), method=method, data=POST_DATA.get(endpoint, {}))
            assert outcome(response, method, signed_in=True) == OK, (endpoint, method)
    officer_pages = [rule for rule in app.url_map.iter_rules()
                     if rule.endpoint.startswith("buyer.") and not rule.endpoint.startswith("buyer.staff_")
                     and "GET" in rule.methods and not rule.arguments]
    assert officer_pages
    for rule in officer_pages:
        assert client.get(rule.rule).status_code == FORBIDDEN, rule.rule
    lead_user_admin = authority_user(world.lead, "Lou Lead", "ua@lead.example.org", [USER_ADMINISTRATOR], clock)
    lead_client = sign_in(lead_user_admin)
    assert lead_client.get(url_of(app, "buyer.staff_member", records)).status_code == NOT_FOUND
    assert lead_client.get(url_for("buyer.staff_list")).status_code == 200
    for outsider in (world.provider_a, world.evaluator, world.lead_officer):
        assert sign_in(outsider).get(url_for("buyer.staff_list")).status_code == FORBIDDEN
    assert app.test_client().get(url_for("buyer.staff_list")).status_code == 302


# The same routes for every other role a person may hold: the deciders and contract manager of the member, its user
# administrator who is no officer, the lead's user administrator (another organisation's record: 404), and
# provider_a's colleagues who are not its user administrator (a provider user, a signatory).
STAFF_ROUTES = sorted([*EXPECTED, ("buyer.staff_list", "GET"), ("admin.users", "GET"), ("admin.users", "POST"),
                       ("admin.user_detail", "GET"), ("admin.user_detail", "POST"), ("admin.user_active", "POST"),
                       ("supplier.team", "GET"), ("supplier.team", "POST")])
MORE_ROLES = ("budget_holder", "head_of_service", "assistant_director", "contract_manager", "user_administrator",
              "lead_user_administrator", "provider_user", "signatory")


def more_expected(endpoint: str, method: str) -> dict:
    expected = dict.fromkeys(MORE_ROLES, FORBIDDEN)
    if endpoint == "buyer.staff_list":
        expected.update(user_administrator=OK, lead_user_administrator=OK)
    elif endpoint.startswith("buyer.staff_"):
        expected.update(user_administrator=OK, lead_user_administrator=NOT_FOUND)
    elif (endpoint, method) == ("supplier.team", "GET"):
        expected.update(provider_user=OK, signatory=OK)
    return expected


@pytest.fixture
def more_users(world, clock):
    member = {role: authority_user(world.member, role.replace("_", " ").title(), f"{role}@member.example.org",
                                   [role], clock)
              for role in ("budget_holder", "head_of_service", "assistant_director", "contract_manager",
                           "user_administrator")}
    lead_admin = authority_user(world.lead, "Lead Admin", "ua@lead.example.org", [USER_ADMINISTRATOR], clock)
    colleagues = {}
    for role, roles in (("provider_user", set()), ("signatory", {SIGNATORY})):
        token = accounts.invite(world.provider_a, world.provider_a.organisation, f"{role}@alpha.example.org", roles,
                                clock.now())
        colleagues[role] = accounts.accept_invitation(token, role.title(), PASSWORD, clock.now())
    return {**member, "lead_user_administrator": lead_admin, **colleagues}


def test_every_staff_route_for_every_other_role(app, world, records, more_users, sign_in):
    clients = {role: sign_in(user) for role, user in more_users.items()}
    mismatches = []
    for endpoint, method in STAFF_ROUTES:
        url = url_of(app, endpoint, records)
        for role, expected in more_expected(endpoint, method).items():
            response = clients[role].open(url, method=method, data=POST_DATA.get(endpoint, {}))
            got = outcome(response, method, signed_in=True)
            if got != expected:
                mismatches.append(f"{method} {url} as {role}: expected {expected}, got {got}")
    assert not mismatches, "\n".join(mismatches)
    db.session.expire_all()
    budget_holder = db.session.get(type(world.colleague_a), records["member_user"])
    assert budget_holder.active and budget_holder.roles == {BUDGET_HOLDER}
    assert db.session.get(type(world.colleague_a), records["colleague"]).active
