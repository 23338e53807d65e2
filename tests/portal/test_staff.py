"""Who administers whose users (portal.services.accounts and portal.services.staff): an authority's user
administrator, a provider's, the consortium administrator; the last user administrator; a budget holder's approval
limit; deactivation ending sessions."""

import json
from decimal import Decimal

import pytest

from portal.errors import DomainError
from portal.extensions import db
from portal.models import AuditEvent, Invitation, UserSession
from portal.models.user import (
    ADMINISTRATOR,
    ASSISTANT_DIRECTOR,
    BUDGET_HOLDER,
    COMMISSIONING_OFFICER,
    CONTRACT_MANAGER,
    EVALUATOR,
    HEAD_OF_SERVICE,
    PROVIDER_USER,
    SIGNATORY,
    USER_ADMINISTRATOR,
)
from portal.services import accounts, staff
from tests.factories import authority_user, without_user_administrators

STAFF_ROLES = {COMMISSIONING_OFFICER, BUDGET_HOLDER, HEAD_OF_SERVICE, ASSISTANT_DIRECTOR, CONTRACT_MANAGER,
               USER_ADMINISTRATOR}


def member_user_admin(world, clock, roles=(USER_ADMINISTRATOR,)):
    return authority_user(world.member, "Uma Admin", "useradmin@member.example.org", list(roles), clock)


def budget_holder(world, clock, email="budget@member.example.org"):
    return authority_user(world.member, "Bea Budget", email, [BUDGET_HOLDER], clock)


def events(action):
    return db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == action)).all()


def plain_provider_user(world, clock):
    """A colleague at Alpha Care who is only a provider user (invited, then joined)."""
    token = accounts.invite(world.provider_a, world.provider_a.organisation, "plain@alpha.example.org", set(),
                            clock.now())
    return accounts.accept_invitation(token, "Pat Plain", "correct horse battery staple", clock.now())


# Who may grant what to whom ---------------------------------------------------------------------------------

def test_an_authoritys_user_administrator_grants_its_own_staff_the_staff_roles(world, clock):
    admin = member_user_admin(world, clock)
    assert set(accounts.allowed_roles(admin, world.member)) == STAFF_ROLES
    # Evaluator and administrator stay the consortium administrator's to grant; other organisations are not theirs.
    for other in (world.lead, world.outsider, world.provider_a.organisation):
        assert accounts.allowed_roles(admin, other) == []


def test_a_providers_user_administrator_grants_provider_roles_to_its_own_colleagues_only(world, clock):
    alpha, beta = world.provider_a.organisation, world.provider_b.organisation
    assert accounts.allowed_roles(world.provider_a, beta) == []
    assert accounts.allowed_roles(world.provider_a, alpha) == [PROVIDER_USER, USER_ADMINISTRATOR, SIGNATORY]
    assert accounts.allowed_roles(world.provider_b, alpha) == []
    assert accounts.allowed_roles(world.provider_a, world.member) == []
    assert accounts.allowed_roles(plain_provider_user(world, clock), alpha) == []


def test_the_consortium_administrator_keeps_the_power_for_every_member(world, clock):
    assert set(accounts.allowed_roles(world.admin, world.member)) == STAFF_ROLES
    assert STAFF_ROLES | {EVALUATOR, ADMINISTRATOR} == set(accounts.allowed_roles(world.admin, world.lead))
    holder = budget_holder(world, clock)
    accounts.change_roles(world.admin, holder, {BUDGET_HOLDER, HEAD_OF_SERVICE}, clock.now())
    assert holder.roles == {BUDGET_HOLDER, HEAD_OF_SERVICE}


def test_a_deactivated_user_administrator_grants_nothing(world, clock):
    admin = member_user_admin(world, clock)
    admin.active = False
    db.session.commit()
    assert accounts.allowed_roles(admin, world.member) == []


def test_user_administrator_invites_a_budget_holder_but_not_an_evaluator(world, clock):
    admin = member_user_admin(world, clock)
    accounts.invite(admin, world.member, "New.Holder@member.example.org", {BUDGET_HOLDER}, clock.now())
    invitation = db.session.scalars(db.select(Invitation)).one()
    assert (invitation.email, invitation.role_list, invitation.organisation) == (
        "new.holder@member.example.org", [BUDGET_HOLDER], world.member)
    with pytest.raises(DomainError, match="^You cannot give the role Evaluator to someone at Member Council$"):
        accounts.invite(admin, world.member, "eval@member.example.org", {EVALUATOR}, clock.now())
    with pytest.raises(DomainError, match="^You cannot give the role Commissioning officer to someone at Lead"):
        accounts.invite(admin, world.lead, "someone@lead.example.org", {COMMISSIONING_OFFICER}, clock.now())
    assert db.session.scalar(db.select(db.func.count(Invitation.id))) == 1


def test_a_providers_invitee_is_always_a_provider_user(world, clock):
    accounts.invite(world.provider_a, world.provider_a.organisation, "sig@alpha.example.org", {SIGNATORY},
                    clock.now())
    assert set(db.session.scalars(db.select(Invitation)).one().role_list) == {PROVIDER_USER, SIGNATORY}


def test_another_organisations_administrator_is_refused(world, clock):
    holder = budget_holder(world, clock)
    outside_user_admin = authority_user(world.outsider, "Otto Outside", "ua@outside.example.org",
                                        [USER_ADMINISTRATOR], clock)
    for intruder in (outside_user_admin, world.outside_admin, world.provider_a):
        with pytest.raises(DomainError, match="^You cannot change the roles of this user$"):
            accounts.change_roles(intruder, holder, {COMMISSIONING_OFFICER}, clock.now())
        with pytest.raises(DomainError, match="^You cannot change this user's account$"):
            accounts.set_active(intruder, holder, False, clock.now())
        with pytest.raises(DomainError, match="^You cannot set this user's approval limit$"):
            staff.set_approval_limit(intruder, holder, "1000", clock.now())
    with pytest.raises(DomainError, match="^You cannot change the roles of this user$"):
        accounts.change_roles(world.provider_b, world.colleague_a, {PROVIDER_USER}, clock.now())
    # The consortium administrator does not manage a provider's colleagues: it only steps in (below).
    with pytest.raises(DomainError, match="^You cannot change the roles of this user$"):
        accounts.change_roles(world.admin, world.colleague_a, {PROVIDER_USER}, clock.now())
    db.session.expire_all()
    assert holder.roles == {BUDGET_HOLDER} and holder.active and holder.approval_limit is None
    assert events("user.roles_changed") == [] and events("user.deactivated") == []


def test_a_user_administrator_does_not_touch_someone_holding_the_consortiums_roles(world, clock):
    lead_user_admin = authority_user(world.lead, "Lou Lead", "ua@lead.example.org", [USER_ADMINISTRATOR], clock)
    with pytest.raises(DomainError, match="^Eve Evaluator holds roles that only the consortium administrator can"):
        accounts.change_roles(lead_user_admin, world.evaluator, {COMMISSIONING_OFFICER}, clock.now())
    with pytest.raises(DomainError, match="holds roles that only"):
        accounts.set_active(lead_user_admin, world.admin, False, clock.now())
    # The lead's own officers are theirs to manage.
    accounts.change_roles(lead_user_admin, world.lead_officer, {COMMISSIONING_OFFICER, BUDGET_HOLDER}, clock.now())
    assert world.lead_officer.roles == {COMMISSIONING_OFFICER, BUDGET_HOLDER}


def test_a_providers_user_administrator_grants_the_signatory_role(world, clock):
    colleague = plain_provider_user(world, clock)
    accounts.change_roles(world.provider_a, colleague, {SIGNATORY}, clock.now())
    assert colleague.roles == {PROVIDER_USER, SIGNATORY}
    event = events("user.roles_changed")[-1]
    assert json.loads(event.before)["roles"] == [PROVIDER_USER]
    assert json.loads(event.after)["roles"] == [PROVIDER_USER, SIGNATORY]


# The last user administrator ---------------------------------------------------------------------------------

def test_the_last_user_administrator_keeps_the_role_and_the_account(world, clock):
    admin = member_user_admin(world, clock, roles=(USER_ADMINISTRATOR, COMMISSIONING_OFFICER))
    message = ("^Uma Admin is the last active user administrator of Member Council. "
               "Make someone else a user administrator first.$")
    with pytest.raises(DomainError, match=message) as refused:
        accounts.change_roles(admin, admin, {COMMISSIONING_OFFICER}, clock.now())
    assert refused.value.field == "roles"
    with pytest.raises(DomainError, match=message):
        accounts.change_roles(world.admin, admin, {COMMISSIONING_OFFICER}, clock.now())
    with pytest.raises(DomainError, match=message):
        accounts.set_active(world.admin, admin, False, clock.now())
    with pytest.raises(DomainError, match="^You cannot deactivate your own account$"):
        accounts.set_active(admin, admin, False, clock.now())
    db.session.expire_all()
    assert admin.roles == {USER_ADMINISTRATOR, COMMISSIONING_OFFICER} and admin.active
    # With a second user administrator, either may hand the role on.
    accounts.change_roles(admin, world.member_officer, {COMMISSIONING_OFFICER, USER_ADMINISTRATOR}, clock.now())
    accounts.change_roles(admin, admin, {COMMISSIONING_OFFICER}, clock.now())
    assert admin.roles == {COMMISSIONING_OFFICER}
    with pytest.raises(DomainError, match="^Mo Officer is the last active user administrator"):
        accounts.set_active(world.admin, world.member_officer, False, clock.now())


def test_the_last_user_administrator_of_a_provider(world, clock):
    # provider_a and colleague_a are both Alpha Care's user administrators (each registered first).
    accounts.change_roles(world.provider_a, world.colleague_a, {PROVIDER_USER}, clock.now())
    with pytest.raises(DomainError, match="^Alpha Care Manager is the last active user administrator of Alpha"):
        accounts.change_roles(world.provider_a, world.provider_a, {PROVIDER_USER, SIGNATORY}, clock.now())
    assert USER_ADMINISTRATOR in world.provider_a.roles


def test_a_deactivated_user_administrator_does_not_count(world, clock):
    admin = member_user_admin(world, clock)
    other = authority_user(world.member, "Ola Other", "ua2@member.example.org", [USER_ADMINISTRATOR], clock)
    accounts.set_active(admin, other, False, clock.now())
    with pytest.raises(DomainError, match="last active user administrator"):
        accounts.change_roles(world.admin, admin, {BUDGET_HOLDER}, clock.now())


# Approval limits ---------------------------------------------------------------------------------------------

def test_setting_a_budget_holders_approval_limit(world, clock):
    admin = member_user_admin(world, clock)
    holder = budget_holder(world, clock)
    staff.set_approval_limit(admin, holder, "£150,000", clock.now())
    assert holder.approval_limit == Decimal("150000.00")
    assert staff.weekly_equivalent(holder.approval_limit) == Decimal("2884.62")
    event = events("user.approval_limit_set")[-1]
    assert event.summary == "Approval limit of budget@member.example.org set to £150,000.00 a year"
    assert json.loads(event.before) == {"active": True, "approval_limit": None, "roles": [BUDGET_HOLDER]}
    assert json.loads(event.after)["approval_limit"] == "150000.00"
    # Blank clears it.
    staff.set_approval_limit(world.admin, holder, "", clock.now())
    assert holder.approval_limit is None


@pytest.mark.parametrize("typed, message", [
    ("-500", "^The annual approval limit must be more than £0$"),
    ("fifty thousand", "^Enter the annual approval limit in pounds and pence, like 1,450.00$"),
    ("1000.555", "^Enter the annual approval limit in pounds and pence, with no more than 2 decimal places$"),
    ("0", "^The annual approval limit must be more than £0$"),
    ("99,000,000", "^The annual approval limit must be £5,200,000 or less$"),
])
def test_a_bad_approval_limit_is_refused_and_changes_nothing(world, clock, typed, message):
    admin = member_user_admin(world, clock)
    holder = budget_holder(world, clock)
    staff.set_approval_limit(admin, holder, "20000", clock.now())
    with pytest.raises(DomainError, match=message) as refused:
        staff.set_approval_limit(admin, holder, typed, clock.now())
    assert refused.value.field == "approval_limit"
    db.session.rollback()
    db.session.expire_all()
    assert holder.approval_limit == Decimal("20000.00")
    assert len(events("user.approval_limit_set")) == 1


def test_only_a_budget_holder_has_an_approval_limit(world, clock):
    admin = member_user_admin(world, clock)
    with pytest.raises(DomainError, match="^Mo Officer is not a budget holder. Give them that role first.$"):
        staff.set_approval_limit(admin, world.member_officer, "1000", clock.now())
    holder = budget_holder(world, clock)
    staff.set_approval_limit(admin, holder, "52000", clock.now())
    # Taking the role away takes the limit with it, so it does not come back with the role.
    accounts.change_roles(admin, holder, {HEAD_OF_SERVICE}, clock.now())
    assert holder.approval_limit is None
    after = json.loads(events("user.roles_changed")[-1].after)
    assert after == {"active": True, "approval_limit": None, "roles": [HEAD_OF_SERVICE]}


# Deactivation --------------------------------------------------------------------------------------------------

def test_deactivation_ends_every_session_and_reactivation_does_not_revive_them(world, clock, sign_in):
    admin = member_user_admin(world, clock)
    holder = budget_holder(world, clock)
    browsers = [sign_in(holder), sign_in(holder)]
    assert browsers[0].get("/notifications").status_code == 200
    holder_id = holder.id
    accounts.set_active(admin, holder, False, clock.now())
    count = db.select(db.func.count(UserSession.id)).where(UserSession.user_id == holder_id)
    assert db.session.scalar(count) == 0
    event = events("user.deactivated")[-1]
    assert (json.loads(event.before)["active"], json.loads(event.after)["active"]) == (True, False)
    accounts.set_active(admin, holder, True, clock.now())
    for browser in browsers:
        response = browser.get("/notifications")
        assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


# Stepping in at a provider ---------------------------------------------------------------------------------------

def test_the_consortium_administrator_steps_in_at_a_provider(world, clock):
    colleague = plain_provider_user(world, clock)
    without_user_administrators(world.provider_a.organisation)
    staff.invite_user_administrator(world.admin, world.provider_a.organisation, "boss@alpha.example.org",
                                    clock.now())
    invitation = db.session.scalars(db.select(Invitation).where(Invitation.email == "boss@alpha.example.org")).one()
    assert set(invitation.role_list) == {PROVIDER_USER, USER_ADMINISTRATOR}
    staff.step_in(world.admin, colleague, clock.now())
    assert colleague.roles == {PROVIDER_USER, USER_ADMINISTRATOR}
    assert events("user.step_in")[-1].actor_id == world.admin.id


def test_the_consortium_administrator_does_not_step_in_while_the_provider_has_a_user_administrator(world, clock):
    colleague = plain_provider_user(world, clock)
    provider = world.provider_a.organisation
    names = ", ".join(sorted(person.name for person in accounts.active_user_administrators(provider)))
    refusal = f"^{provider.name} has an active user administrator, {names}: they manage its colleagues$"
    with pytest.raises(DomainError, match=refusal):
        staff.step_in(world.admin, colleague, clock.now())
    with pytest.raises(DomainError, match=refusal):
        staff.invite_user_administrator(world.admin, provider, "boss@alpha.example.org", clock.now())
    assert colleague.roles == {PROVIDER_USER} and events("user.step_in") == []
    assert db.session.scalars(db.select(Invitation).where(Invitation.email == "boss@alpha.example.org")).all() == []


def test_nobody_sets_their_own_approval_limit_nor_makes_themselves_a_decider(world, clock):
    admin = member_user_admin(world, clock, roles=(USER_ADMINISTRATOR, BUDGET_HOLDER))
    with pytest.raises(DomainError, match="^You cannot set your own approval limit: ask another user administrator$"):
        staff.set_approval_limit(admin, admin, "500000", clock.now())
    assert admin.approval_limit is None
    with pytest.raises(DomainError, match="^You cannot make yourself head of service: ask another user administr"):
        accounts.change_roles(admin, admin, {USER_ADMINISTRATOR, BUDGET_HOLDER, HEAD_OF_SERVICE}, clock.now())
    with pytest.raises(DomainError, match="^You cannot make yourself assistant director"):
        accounts.change_roles(admin, admin, {USER_ADMINISTRATOR, ASSISTANT_DIRECTOR}, clock.now())
    assert admin.roles == {USER_ADMINISTRATOR, BUDGET_HOLDER}
    # giving up a deciding role, or changing others while keeping one, stays allowed
    accounts.change_roles(admin, admin, {USER_ADMINISTRATOR, BUDGET_HOLDER, COMMISSIONING_OFFICER}, clock.now())
    # another user administrator may; so may the consortium administrator for someone else
    other = authority_user(world.member, "Olu Other", "other.admin@member.example.org", [USER_ADMINISTRATOR], clock)
    staff.set_approval_limit(other, admin, "500000", clock.now())
    assert admin.approval_limit == Decimal("500000.00")
    accounts.change_roles(world.admin, other, {USER_ADMINISTRATOR, HEAD_OF_SERVICE}, clock.now())
    assert other.roles == {USER_ADMINISTRATOR, HEAD_OF_SERVICE}
    with pytest.raises(DomainError, match="^You cannot make yourself budget holder"):
        accounts.change_roles(world.admin, world.admin, world.admin.roles | {BUDGET_HOLDER}, clock.now())


def test_only_the_consortium_administrator_steps_in(world, clock):
    colleague = plain_provider_user(world, clock)
    refusal = "^Only the consortium administrator can appoint a provider's user administrator$"
    for intruder in (world.provider_b, world.member_officer, member_user_admin(world, clock)):
        with pytest.raises(DomainError, match=refusal):
            staff.step_in(intruder, colleague, clock.now())
        with pytest.raises(DomainError, match=refusal):
            staff.invite_user_administrator(intruder, world.provider_a.organisation, "x@alpha.example.org",
                                            clock.now())
    with pytest.raises(DomainError, match=refusal):
        staff.step_in(world.admin, world.member_officer, clock.now())  # not a provider's user
    assert colleague.roles == {PROVIDER_USER}

