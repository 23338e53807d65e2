"""The staff pages of an authority's user administrator, the provider's team page and the consortium
administrator's user and provider pages, through HTTP."""

import html
import json
from decimal import Decimal
from urllib.parse import urlparse

from portal.extensions import db
from portal.models import AuditEvent, Invitation, OutboxMessage, User
from portal.models.user import (
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
from portal.services import accounts
from tests.factories import PASSWORD, authority_user, draft_referral, without_user_administrators


def text_of(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def fresh(user_id: int) -> User:
    db.session.expire_all()
    return db.session.get(User, user_id)


def user_admin(world, clock):
    return authority_user(world.member, "Uma Admin", "useradmin@member.example.org", [USER_ADMINISTRATOR], clock)


def holder(world, clock):
    return authority_user(world.member, "Bea Budget", "budget@member.example.org", [BUDGET_HOLDER], clock)


def test_a_user_administrator_lands_on_the_staff_page_and_reaches_nothing_else(app, world, clock):
    user_admin(world, clock)
    client = app.test_client()
    response = client.post("/sign-in", data={"email": "useradmin@member.example.org", "password": PASSWORD})
    assert urlparse(response.headers["Location"]).path == "/authority/staff"
    page = client.get("/authority/staff")
    assert page.status_code == 200
    text = text_of(page)
    assert "Mo Officer" in text and "Commissioning officer" in text and "Uma Admin" in text
    assert 'href="/authority/staff"' in text  # the Staff item of the menu
    for officer_page in ("/authority/", "/authority/referrals", "/authority/placements", "/authority/tasks"):
        assert client.get(officer_page).status_code == 403, officer_page


def test_an_officer_who_is_not_a_user_administrator_is_refused_the_staff_pages(world, sign_in):
    client = sign_in(world.member_officer)
    assert client.get("/authority/").status_code == 200
    assert client.get("/authority/staff").status_code == 403
    assert client.get(f"/authority/staff/{world.member_officer.id}").status_code == 403


def test_inviting_a_budget_holder(world, clock, sign_in):
    client = sign_in(user_admin(world, clock))
    response = client.post("/authority/staff", data={"email": "new@member.example.org", "roles": [BUDGET_HOLDER]})
    assert response.status_code == 302
    invitation = db.session.scalars(db.select(Invitation)).one()
    assert invitation.role_list == [BUDGET_HOLDER] and invitation.organisation_id == world.member.id
    assert "new@member.example.org" in text_of(client.get("/authority/staff"))
    # Evaluator is not offered, and refused if sent.
    refused = client.post("/authority/staff", data={"email": "e@member.example.org", "roles": ["evaluator"]})
    assert refused.status_code == 400
    assert "Not a valid choice" in text_of(refused) or "not a valid choice" in text_of(refused)
    assert db.session.scalar(db.select(db.func.count(Invitation.id))) == 1


def test_setting_an_approval_limit_through_the_page(world, clock, sign_in):
    client = sign_in(user_admin(world, clock))
    budget_holder = holder(world, clock)
    page = text_of(client.get(f"/authority/staff/{budget_holder.id}"))
    assert "No approval limit is set for Bea Budget" in page
    bad = client.post(f"/authority/staff/{budget_holder.id}/approval-limit", data={"approval_limit": "ten grand"})
    assert bad.status_code == 400
    assert "Enter the annual approval limit in pounds and pence, like 1,450.00" in text_of(bad)
    assert 'class="govuk-error-summary' in text_of(bad)
    assert fresh(budget_holder.id).approval_limit is None
    good = client.post(f"/authority/staff/{budget_holder.id}/approval-limit", data={"approval_limit": "150,000"})
    assert good.status_code == 302
    assert fresh(budget_holder.id).approval_limit == Decimal("150000.00")
    page = text_of(client.get(f"/authority/staff/{budget_holder.id}"))
    assert "may approve up to £150,000.00 a year (about £2,884.62 a week)" in page
    # An officer has no limit to set: no form, and the service refuses.
    officer_page = text_of(client.get(f"/authority/staff/{world.member_officer.id}"))
    assert "Approval limit" not in officer_page
    refused = client.post(f"/authority/staff/{world.member_officer.id}/approval-limit",
                          data={"approval_limit": "1000"})
    assert refused.status_code == 400 and "Mo Officer is not a budget holder" in text_of(refused)


def test_changing_roles_and_deactivating_through_the_page(world, clock, sign_in):
    admin = user_admin(world, clock)
    client = sign_in(admin)
    officer_id = world.member_officer.id
    response = client.post(f"/authority/staff/{officer_id}",
                           data={"roles": [COMMISSIONING_OFFICER, BUDGET_HOLDER]})
    assert response.status_code == 302
    assert fresh(officer_id).roles == {COMMISSIONING_OFFICER, BUDGET_HOLDER}
    officer_client = sign_in(world.member_officer)
    response = client.post(f"/authority/staff/{officer_id}/active", data={"active": "no"}, follow_redirects=True)
    assert "Mo Officer's account is deactivated" in text_of(response)
    assert not fresh(officer_id).active
    signed_out = officer_client.get("/authority/")
    assert signed_out.status_code == 302 and "/sign-in" in signed_out.headers["Location"]
    client.post(f"/authority/staff/{officer_id}/active", data={"active": "yes"})
    assert fresh(officer_id).active


def test_the_last_user_administrator_is_told_why_not(world, clock, sign_in):
    admin = user_admin(world, clock)
    client = sign_in(admin)
    response = client.post(f"/authority/staff/{admin.id}", data={"roles": [COMMISSIONING_OFFICER]})
    assert response.status_code == 400
    assert ("Uma Admin is the last active user administrator of Member Council. "
            "Make someone else a user administrator first.") in text_of(response)
    assert fresh(admin.id).roles == {USER_ADMINISTRATOR}
    # The consortium administrator is refused the same.
    response = sign_in(world.admin).post(f"/admin/users/{admin.id}/active", data={"active": "no"},
                                         follow_redirects=True)
    assert "Uma Admin is the last active user administrator" in text_of(response)
    assert fresh(admin.id).active


def test_another_authoritys_staff_are_not_found(world, clock, sign_in):
    client = sign_in(user_admin(world, clock))
    for user in (world.lead_officer, world.outside_admin, world.provider_a):
        assert client.get(f"/authority/staff/{user.id}").status_code == 404
        assert client.post(f"/authority/staff/{user.id}/active", data={"active": "no"}).status_code == 404
        assert client.post(f"/authority/staff/{user.id}/approval-limit",
                           data={"approval_limit": "5"}).status_code == 404
        assert fresh(user.id).active
    assert "Lee Officer" not in text_of(client.get("/authority/staff"))


# The consortium administrator -----------------------------------------------------------------------------

def test_the_consortium_administrator_sets_roles_and_limits(world, clock, sign_in):
    client = sign_in(world.admin)
    officer_id = world.member_officer.id
    response = client.post(f"/admin/users/{officer_id}", data={"roles": [BUDGET_HOLDER, USER_ADMINISTRATOR]})
    assert response.status_code == 302
    bad = client.post(f"/admin/users/{officer_id}/approval-limit", data={"approval_limit": "-3"})
    assert bad.status_code == 400 and "The annual approval limit must be more than £0" in text_of(bad)
    client.post(f"/admin/users/{officer_id}/approval-limit", data={"approval_limit": "52,000"})
    assert fresh(officer_id).approval_limit == Decimal("52000.00")
    assert "(about £1,000.00 a week)" in text_of(client.get(f"/admin/users/{officer_id}"))
    # Another consortium's administrator finds nothing.
    assert sign_in(world.outside_admin).post(f"/admin/users/{officer_id}/approval-limit",
                                             data={"approval_limit": "1"}).status_code == 404


def test_the_consortium_administrator_steps_in_at_a_provider(world, clock, sign_in):
    provider_id = world.provider_a.organisation_id
    token = accounts.invite(world.provider_a, world.provider_a.organisation, "plain@alpha.example.org", set(),
                            clock.now())
    plain = accounts.accept_invitation(token, "Pat Plain", PASSWORD, clock.now())
    client = sign_in(world.admin)
    # While someone there manages its colleagues the consortium administrator does not step in: the page says why.
    page = text_of(client.get(f"/admin/providers/{provider_id}"))
    assert "Alpha Care has an active user administrator" in page
    assert "Make Pat Plain a user administrator" not in page and "Invite a user administrator" not in page
    response = client.post(f"/admin/providers/{provider_id}/users/{plain.id}/user-administrator",
                           follow_redirects=True)
    assert "Alpha Care has an active user administrator" in text_of(response)
    assert fresh(plain.id).roles == {PROVIDER_USER}
    without_user_administrators(world.provider_a.organisation)
    page = text_of(client.get(f"/admin/providers/{provider_id}"))
    assert "Make Pat Plain a user administrator" in page and "has an active user administrator" not in page
    bad = client.post(f"/admin/providers/{provider_id}/users", data={"email": "not an address"})
    assert bad.status_code == 400 and "Enter an e-mail address in the correct format" in text_of(bad)
    response = client.post(f"/admin/providers/{provider_id}/users", data={"email": "boss@alpha.example.org"})
    assert response.status_code == 302
    invitation = db.session.scalars(db.select(Invitation).where(Invitation.email == "boss@alpha.example.org")).one()
    assert set(invitation.role_list) == {PROVIDER_USER, USER_ADMINISTRATOR}
    provider_page = text_of(client.get(f"/admin/providers/{provider_id}"))
    assert "boss@alpha.example.org, as User administrator, sent" in provider_page
    again = client.post(f"/admin/providers/{provider_id}/users", data={"email": "boss@alpha.example.org"})
    assert again.status_code == 400 and "is waiting to be accepted: nothing more was sent" in text_of(again)
    response = client.post(f"/admin/providers/{provider_id}/users/{plain.id}/user-administrator")
    assert response.status_code == 302
    assert fresh(plain.id).roles == {PROVIDER_USER, USER_ADMINISTRATOR}
    # A user of another provider, or of an authority, under this provider's address: not found.
    other = world.provider_b.id
    assert client.post(f"/admin/providers/{provider_id}/users/{other}/user-administrator").status_code == 404
    officer = world.member_officer.id
    assert client.post(f"/admin/providers/{world.member.id}/users/{officer}/user-administrator").status_code == 404



def test_the_consortium_administrator_withdraws_its_invitation_at_a_provider(app, world, sign_in):
    """Stepping in at a provider with no user administrator, it mistypes the address: it withdraws the invitation,
    whose link would have made anyone holding it that provider's user administrator."""
    provider_id = world.provider_a.organisation_id
    without_user_administrators(world.provider_a.organisation)
    client = sign_in(world.admin)
    client.post(f"/admin/providers/{provider_id}/users", data={"email": "boss@alpha.exmaple.org"})
    link = invitation_link("boss@alpha.exmaple.org")
    invitation = db.session.scalars(db.select(Invitation)).one()
    url = f"/admin/invitations/{invitation.id}/withdraw"
    page = text_of(client.get(f"/admin/providers/{provider_id}"))
    assert f'action="{url}"' in page and "> the invitation to boss@alpha.exmaple.org</span>" in page
    # Another consortium's administrator (who may also step in there) finds no such invitation; nothing changes.
    assert f'action="{url}"' not in text_of(sign_in(world.outside_admin).get(f"/admin/providers/{provider_id}"))
    assert sign_in(world.outside_admin).post(url).status_code == 404
    assert app.test_client().get(link).status_code == 200
    response = client.post(url, follow_redirects=True)
    assert "The invitation to boss@alpha.exmaple.org is withdrawn: its link no longer works" in text_of(response)
    assert "Invitations waiting" not in text_of(response)
    stale = app.test_client().get(link)
    assert stale.status_code == 400 and "This invitation has expired or was withdrawn" in text_of(stale)
    event = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "user.invitation_withdrawn")).one()
    assert event.actor_id == world.admin.id
    assert json.loads(event.before)["expires_at"] > json.loads(event.after)["expires_at"]


def test_the_consortium_administrator_withdraws_an_invitation_to_a_member(app, world, clock, sign_in):
    client = sign_in(world.admin)
    client.post("/admin/users", data={"organisation_id": world.member.id, "email": "typo@member.exmaple.org",
                                      "roles": [BUDGET_HOLDER]})
    link = invitation_link("typo@member.exmaple.org")
    invitation = db.session.scalars(db.select(Invitation)).one()
    url = f"/admin/invitations/{invitation.id}/withdraw"
    page = text_of(client.get("/admin/users"))
    assert "typo@member.exmaple.org to Member Council, as Budget holder, sent" in page and f'action="{url}"' in page
    outsider = sign_in(world.outside_admin)
    assert "typo@member.exmaple.org" not in text_of(outsider.get("/admin/users"))
    assert outsider.post(url).status_code == 404
    db.session.expire_all()
    assert db.session.get(Invitation, invitation.id).expires_at > clock.now()
    response = client.post(url, follow_redirects=True)
    assert "The invitation to typo@member.exmaple.org is withdrawn" in text_of(response)
    assert app.test_client().get(link).status_code == 400
    assert db.session.scalar(db.select(db.func.count(AuditEvent.id))
                             .where(AuditEvent.action == "user.invitation_withdrawn")) == 1

def test_the_withdraw_button_shows_only_on_invitations_the_user_administrator_may_withdraw(world, clock, sign_in):
    """The consortium administrator's invitation of an evaluator at the lead is one the lead's user administrator
    could not send, so it shows without a Withdraw button (pressing it would be refused)."""
    lead_admin = authority_user(world.lead, "Lou Lead", "ua@lead.example.org", [USER_ADMINISTRATOR], clock)
    accounts.invite(world.admin, world.lead, "new.evaluator@lead.example.org", {EVALUATOR}, clock.now())
    client = sign_in(lead_admin)
    client.post("/authority/staff", data={"email": "new.holder@lead.example.org", "roles": [BUDGET_HOLDER]})
    evaluator, holder = db.session.scalars(db.select(Invitation).order_by(Invitation.id)).all()
    page = text_of(client.get("/authority/staff"))
    assert "new.evaluator@lead.example.org, as Evaluator, sent" in page
    assert f"/authority/staff/invitations/{holder.id}/withdraw" in page
    assert f"/authority/staff/invitations/{evaluator.id}/withdraw" not in page


# A provider's team page --------------------------------------------------------------------------------------

def test_a_providers_user_administrator_grants_the_signatory_role(world, clock, sign_in):
    token = accounts.invite(world.provider_a, world.provider_a.organisation, "plain@alpha.example.org", set(),
                            clock.now())
    plain = accounts.accept_invitation(token, "Pat Plain", PASSWORD, clock.now())
    client = sign_in(world.provider_a)
    team = text_of(client.get("/provider/team"))
    assert "Pat Plain" in team and "Invite a colleague" in team
    response = client.post(f"/provider/team/{plain.id}", data={"roles": [SIGNATORY]})
    assert response.status_code == 302
    assert fresh(plain.id).roles == {PROVIDER_USER, SIGNATORY}
    response = client.post("/provider/team", data={"email": "third@alpha.example.org",
                                                   "roles": [USER_ADMINISTRATOR]})
    assert response.status_code == 302
    invitation = db.session.scalars(db.select(Invitation).where(Invitation.email == "third@alpha.example.org")).one()
    assert set(invitation.role_list) == {PROVIDER_USER, USER_ADMINISTRATOR}
    client.post(f"/provider/team/{plain.id}/active", data={"active": "no"})
    assert not fresh(plain.id).active


def test_a_provider_user_who_is_not_a_user_administrator_only_sees_the_team(world, clock, sign_in):
    token = accounts.invite(world.provider_a, world.provider_a.organisation, "plain@alpha.example.org", set(),
                            clock.now())
    plain = accounts.accept_invitation(token, "Pat Plain", PASSWORD, clock.now())
    client = sign_in(plain)
    team = text_of(client.get("/provider/team"))
    assert "Alpha Care Manager" in team and "Invite a colleague" not in team
    assert client.post("/provider/team", data={"email": "x@alpha.example.org"}).status_code == 403
    assert client.get(f"/provider/team/{world.colleague_a.id}").status_code == 403
    assert client.post(f"/provider/team/{world.colleague_a.id}/active", data={"active": "no"}).status_code == 403
    assert fresh(world.colleague_a.id).active


def test_another_providers_colleagues_are_not_found(world, sign_in):
    client = sign_in(world.provider_b)
    colleague = world.colleague_a.id
    assert client.get(f"/provider/team/{colleague}").status_code == 404
    assert client.post(f"/provider/team/{colleague}", data={"roles": [PROVIDER_USER]}).status_code == 404
    assert client.post(f"/provider/team/{colleague}/active", data={"active": "no"}).status_code == 404
    assert fresh(colleague).active and USER_ADMINISTRATOR in fresh(colleague).roles


# Invitations: a double click, a change of roles, an address invited by two organisations -----------------------

def invitation_link(email: str) -> str:
    message = db.session.scalars(db.select(OutboxMessage).where(OutboxMessage.to_address == email)
                                 .order_by(OutboxMessage.id.desc())).first()
    return "/invitations/" + message.body.rsplit("/invitations/", 1)[1].split()[0]


def test_sending_an_invitation_twice_sends_one(world, clock, sign_in):
    client = sign_in(user_admin(world, clock))
    invite = {"email": "Nina.New@member.example.org", "roles": [BUDGET_HOLDER, COMMISSIONING_OFFICER]}
    assert client.post("/authority/staff", data=invite).status_code == 302
    again = client.post("/authority/staff", data=invite)
    assert again.status_code == 400
    assert ("An invitation to nina.new@member.example.org with these roles was sent 2 November 2026 at 10:00am and is "
            "waiting to be accepted: nothing more was sent") in text_of(again)
    assert db.session.scalar(db.select(db.func.count(Invitation.id))) == 1
    assert db.session.scalar(db.select(db.func.count(OutboxMessage.id)).where(
        OutboxMessage.to_address == "nina.new@member.example.org")) == 1
    page = text_of(client.get("/authority/staff"))
    assert page.count("nina.new@member.example.org, as") == 1
    assert "nina.new@member.example.org, as Commissioning officer, Budget holder, sent" in page


def test_inviting_again_with_other_roles_replaces_the_waiting_invitation(app, world, clock, sign_in):
    client = sign_in(user_admin(world, clock))
    client.post("/authority/staff", data={"email": "nina@member.example.org", "roles": [COMMISSIONING_OFFICER]})
    first_link = invitation_link("nina@member.example.org")
    clock.advance(minutes=5)
    assert client.post("/authority/staff", data={"email": "nina@member.example.org",
                                                 "roles": [BUDGET_HOLDER]}).status_code == 302
    second_link = invitation_link("nina@member.example.org")
    invitee = app.test_client()
    old = invitee.get(first_link)
    assert old.status_code == 400
    assert "This invitation was replaced by a later one. Use the link in the latest e-mail." in text_of(old)
    joined = invitee.post(second_link, data={"name": "Nina New", "password": PASSWORD})
    assert urlparse(joined.headers["Location"]).path == "/authority/tasks"
    nina = accounts.find_user("nina@member.example.org")
    assert nina.roles == {BUDGET_HOLDER}
    assert "Invitations waiting" not in text_of(client.get("/authority/staff"))
    replaced = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "user.invited")
                                  .order_by(AuditEvent.id.desc())).first()
    assert json.loads(replaced.before)["roles"] == COMMISSIONING_OFFICER
    assert json.loads(replaced.after)["roles"] == BUDGET_HOLDER


def test_an_address_invited_by_two_organisations_joins_one(app, world, clock, sign_in):
    sefton = sign_in(user_admin(world, clock))
    sefton.post("/authority/staff", data={"email": "sam@shared.example.org", "roles": [COMMISSIONING_OFFICER]})
    member_link = invitation_link("sam@shared.example.org")
    sign_in(world.provider_a).post("/provider/team", data={"email": "sam@shared.example.org"})
    provider_link = invitation_link("sam@shared.example.org")
    invitee = app.test_client()
    assert invitee.post(provider_link, data={"name": "Sam Shared", "password": PASSWORD}).status_code == 302
    # The member's invitation is no longer waiting: its page and its link say the address has an account.
    assert "Invitations waiting" not in text_of(sefton.get("/authority/staff"))
    stale = app.test_client().get(member_link)
    assert stale.status_code == 400
    assert "An account already exists for this e-mail address" in text_of(stale)
    assert db.session.scalar(db.select(db.func.count(User.id)).where(User.email == "sam@shared.example.org")) == 1


def test_creating_the_account_twice_makes_one_user(app, world, clock, sign_in, monkeypatch):
    """The second click of "Create account" finds the invitation used; one that slips past the checks at the same
    moment meets the unique address, and is told so rather than shown an error page."""
    sign_in(user_admin(world, clock)).post("/authority/staff", data={"email": "nina@member.example.org",
                                                                     "roles": [BUDGET_HOLDER]})
    link = invitation_link("nina@member.example.org")
    first = app.test_client().post(link, data={"name": "Nina New", "password": PASSWORD})
    assert first.status_code == 302
    second = app.test_client().post(link, data={"name": "Nina New", "password": PASSWORD})
    assert second.status_code == 400 and "This invitation has already been used" in text_of(second)
    # The race: both requests passed the checks before either saved.
    token = accounts.send_invitation(world.admin, world.lead, "late@lead.example.org", {BUDGET_HOLDER}, clock.now())
    authority_user(world.member, "Late", "late@lead.example.org", [COMMISSIONING_OFFICER], clock)
    monkeypatch.setattr(accounts, "find_user", lambda email: None)
    raced = app.test_client().post(f"/invitations/{token}", data={"name": "Late Comer", "password": PASSWORD})
    assert "An account already exists for this e-mail address. Sign in, or reset your password." in text_of(raced)
    assert db.session.scalar(db.select(db.func.count(User.id)).where(User.email == "late@lead.example.org")) == 1


def test_the_staff_and_team_forms_are_refused_without_their_security_token(csrf_app, world, clock):
    from tests.portal.test_auth_routes import assert_form_not_sent, csrf_sign_in

    admin = user_admin(world, clock)
    budget_holder = holder(world, clock)
    client = csrf_sign_in(csrf_app, admin)
    for url, data in [("/authority/staff", {"email": "x@member.example.org", "roles": [BUDGET_HOLDER]}),
                      (f"/authority/staff/{budget_holder.id}", {"roles": [COMMISSIONING_OFFICER]}),
                      (f"/authority/staff/{budget_holder.id}/approval-limit", {"approval_limit": "9,999"}),
                      (f"/authority/staff/{budget_holder.id}/active", {"active": "no"})]:
        assert_form_not_sent(client.post(url, data=data))
    provider = csrf_sign_in(csrf_app, world.provider_a)
    for url, data in [("/provider/team", {"email": "x@alpha.example.org"}),
                      (f"/provider/team/{world.colleague_a.id}", {"roles": [SIGNATORY]}),
                      (f"/provider/team/{world.colleague_a.id}/active", {"active": "no"})]:
        assert_form_not_sent(provider.post(url, data=data))
    consortium = csrf_sign_in(csrf_app, world.admin)
    for url, data in [(f"/admin/users/{budget_holder.id}/active", {"active": "no"}),
                      (f"/admin/providers/{world.provider_a.organisation_id}/users", {"email": "y@alpha.example.org"})]:
        assert_form_not_sent(consortium.post(url, data=data))
    budget = fresh(budget_holder.id)
    assert budget.active and budget.roles == {BUDGET_HOLDER} and budget.approval_limit is None
    assert fresh(world.colleague_a.id).active
    assert db.session.scalar(db.select(db.func.count(Invitation.id))) == 0


# Each new role is a real sign-in -----------------------------------------------------------------------------

def test_each_invited_role_signs_in_to_its_own_pages(app, world, clock, sign_in):
    """Invited through the page, the invitee follows the e-mailed link, creates the account and lands where the role
    works: deciders on Tasks, with their authority's referrals to read (not another's, nothing to change); a user
    administrator who is not an officer on the staff pages; a contract manager on the contracts."""
    referral = draft_referral(world, clock)
    admin = sign_in(user_admin(world, clock))
    landings = {"bh@member.example.org": ([BUDGET_HOLDER], "/authority/tasks"),
                "hos@member.example.org": ([HEAD_OF_SERVICE], "/authority/tasks"),
                "ad@member.example.org": ([ASSISTANT_DIRECTOR, HEAD_OF_SERVICE], "/authority/tasks"),
                "ua2@member.example.org": ([USER_ADMINISTRATOR], "/authority/staff"),
                "cm@member.example.org": ([CONTRACT_MANAGER], "/authority/contracts")}
    for email, (roles, landing) in landings.items():
        assert admin.post("/authority/staff", data={"email": email, "roles": roles}).status_code == 302
        invitee = app.test_client()
        joined = invitee.post(invitation_link(email), data={"name": "New Person", "password": PASSWORD})
        assert urlparse(joined.headers["Location"]).path == landing, email
        assert accounts.find_user(email).roles == set(roles)
        # And signs in again the ordinary way, to the same page.
        invitee.post("/sign-out")
        again = invitee.post("/sign-in", data={"email": email, "password": PASSWORD})
        assert urlparse(again.headers["Location"]).path == landing, email
        menu = text_of(invitee.get(landing))
        if landing == "/authority/tasks":
            assert 'href="/authority/referrals"' in menu and 'href="/authority/staff"' not in menu
            listing = text_of(invitee.get("/authority/referrals"))
            assert referral.reference in listing and "New referral" not in listing
            assert "You can read your authority's referrals because you decide approvals" in listing
            assert invitee.get("/authority/referrals/new").status_code == 403
            assert invitee.post(f"/authority/referrals/{referral.id}/withdraw").status_code == 403
        else:
            assert 'href="/authority/referrals"' not in menu and invitee.get("/authority/referrals").status_code == 403
            assert invitee.get(landing).status_code == 200
    # Another authority's decider does not see the member's referrals.
    elsewhere = authority_user(world.outsider, "Out Side", "bh@outside.example.org", [BUDGET_HOLDER], clock)
    assert referral.reference not in text_of(sign_in(elsewhere).get("/authority/referrals"))


def test_the_consortium_administrator_is_offered_only_the_roles_it_may_give(world, sign_in):
    client = sign_in(world.admin)
    member_page = text_of(client.get(f"/admin/users/{world.member_officer.id}"))
    assert 'value="budget_holder"' in member_page and 'value="user_administrator"' in member_page
    assert 'value="evaluator"' not in member_page and 'value="administrator"' not in member_page
    lead_page = text_of(client.get(f"/admin/users/{world.lead_officer.id}"))
    assert 'value="evaluator"' in lead_page and 'value="administrator"' in lead_page
    refused = client.post(f"/admin/users/{world.member_officer.id}", data={"roles": ["evaluator"]})
    assert refused.status_code == 400
    assert fresh(world.member_officer.id).roles == {COMMISSIONING_OFFICER}


def test_withdrawing_a_waiting_invitation(app, world, clock, sign_in):
    client = sign_in(user_admin(world, clock))
    client.post("/authority/staff", data={"email": "typo@member.exmaple.org", "roles": [BUDGET_HOLDER]})
    link = invitation_link("typo@member.exmaple.org")
    invitation = db.session.scalars(db.select(Invitation)).one()
    # Another authority's and another provider's user administrators find no such invitation.
    lead_admin = authority_user(world.lead, "Lou Lead", "ua@lead.example.org", [USER_ADMINISTRATOR], clock)
    assert sign_in(lead_admin).post(f"/authority/staff/invitations/{invitation.id}/withdraw").status_code == 404
    assert sign_in(world.provider_a).post(f"/provider/team/invitations/{invitation.id}/withdraw").status_code == 404
    assert app.test_client().get(link).status_code == 200
    page = text_of(client.get("/authority/staff"))
    assert f'action="/authority/staff/invitations/{invitation.id}/withdraw"' in page
    assert "> the invitation to typo@member.exmaple.org</span>" in page
    response = client.post(f"/authority/staff/invitations/{invitation.id}/withdraw", follow_redirects=True)
    assert "The invitation to typo@member.exmaple.org is withdrawn: its link no longer works" in text_of(response)
    assert "Invitations waiting" not in text_of(response)
    stale = app.test_client().get(link)
    assert stale.status_code == 400 and "This invitation has expired or was withdrawn" in text_of(stale)
    event = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "user.invitation_withdrawn")).one()
    assert json.loads(event.before)["expires_at"] > json.loads(event.after)["expires_at"]
    again = client.post(f"/authority/staff/invitations/{invitation.id}/withdraw", follow_redirects=True)
    assert "is no longer waiting: nothing to withdraw" in text_of(again)
    # The address can be invited again, and that invitation works.
    client.post("/authority/staff", data={"email": "typo@member.exmaple.org", "roles": [BUDGET_HOLDER]})
    assert app.test_client().get(invitation_link("typo@member.exmaple.org")).status_code == 200


def test_a_providers_user_administrator_withdraws_an_invitation(world, clock, sign_in):
    client = sign_in(world.provider_a)
    client.post("/provider/team", data={"email": "wrong@alpha.example.org", "roles": [SIGNATORY]})
    invitation = db.session.scalars(db.select(Invitation)).one()
    assert "wrong@alpha.example.org, as Signatory, sent" in text_of(client.get("/provider/team"))
    plain = accounts.accept_invitation(
        accounts.invite(world.provider_a, world.provider_a.organisation, "plain@alpha.example.org", set(),
                        clock.now()), "Pat Plain", PASSWORD, clock.now())
    colleague = sign_in(plain)
    assert "/withdraw" not in text_of(colleague.get("/provider/team"))
    assert colleague.post(f"/provider/team/invitations/{invitation.id}/withdraw").status_code == 403
    response = client.post(f"/provider/team/invitations/{invitation.id}/withdraw", follow_redirects=True)
    assert "The invitation to wrong@alpha.example.org is withdrawn" in text_of(response)
    db.session.expire_all()
    assert db.session.get(Invitation, invitation.id).expires_at == clock.now()


def test_an_address_already_used_is_refused_in_words(world, clock, sign_in):
    client = sign_in(user_admin(world, clock))
    client.post(f"/authority/staff/{world.member_officer.id}/active", data={"active": "no"})
    own = client.post("/authority/staff", data={"email": "OFFICER@member.example.org", "roles": [BUDGET_HOLDER]})
    assert own.status_code == 400
    assert ("Mo Officer already has an account at Member Council with this e-mail address, deactivated: change their "
            "roles or reactivate them on their page") in text_of(own)
    elsewhere = client.post("/authority/staff", data={"email": world.provider_a.email, "roles": [BUDGET_HOLDER]})
    assert elsewhere.status_code == 400
    assert "This e-mail address is already used by an account at another organisation." in text_of(elsewhere)
    assert "Alpha Care" not in text_of(elsewhere)  # whose account it is stays theirs
    assert db.session.scalar(db.select(db.func.count(Invitation.id))) == 0


def test_a_budget_holders_own_page_offers_no_limit_to_set(world, clock, sign_in):
    admin = authority_user(world.member, "Uma Admin", "useradmin@member.example.org",
                           [USER_ADMINISTRATOR, BUDGET_HOLDER], clock)
    own = text_of(sign_in(admin).get(f"/authority/staff/{admin.id}"))
    assert "Nobody sets their own approval limit: another user administrator" in own
    assert 'name="approval_limit"' not in own
    other = authority_user(world.member, "Ola Other", "other@member.example.org", [USER_ADMINISTRATOR], clock)
    theirs = text_of(sign_in(other).get(f"/authority/staff/{admin.id}"))
    assert 'name="approval_limit"' in theirs
