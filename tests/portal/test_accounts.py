"""Accounts: provider registration, sign-in and lock-out, password resets, invitations and roles."""

import re
from datetime import timedelta

import pytest
from itsdangerous import URLSafeSerializer

from portal.errors import DomainError
from portal.extensions import db
from portal.models import AuditEvent, Organisation, OutboxMessage, User
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
from portal.services import accounts
from tests.factories import PASSWORD, authority_user

SIGN_IN_ERROR = "Enter a correct e-mail address and password"
NEW_PASSWORD = "a much better passphrase"


def register(**overrides):
    values = dict(organisation_name="Gamma Care", ofsted_urn="1234567", registered_office="2 Mill Lane",
                  postcode="ls1 1aa", area_code="E08000035", telephone="0113 496 0000",
                  user_name="Gail Gamma", email="gail@gamma.example.org", password=PASSWORD)
    values.update(overrides)
    return values


def audit_actions(action, user=None):
    query = db.select(AuditEvent).where(AuditEvent.action == action)
    if user is not None:
        query = query.where(AuditEvent.actor_id == user.id)
    return db.session.scalars(query.order_by(AuditEvent.id)).all()


def reset_token_sent_to(email):
    message = db.session.scalars(db.select(OutboxMessage).where(OutboxMessage.to_address == email)
                                 .order_by(OutboxMessage.id.desc())).first()
    assert message is not None, f"no e-mail to {email}"
    return re.search(r"http://portal\.test/reset-password/(\S+)", message.body).group(1)


# Registration -----------------------------------------------------------------------------------

def test_register_provider(app, clock):
    user = accounts.register_provider(**register(email=" Gail@Gamma.Example.org "), now=clock.now())
    assert user.email == "gail@gamma.example.org"
    assert user.roles == {PROVIDER_USER, USER_ADMINISTRATOR, SIGNATORY}
    organisation = user.organisation
    assert organisation.is_provider and organisation.ofsted_urn == "1234567"
    assert organisation.provider_status == "applicant" and organisation.postcode == "LS1 1AA"
    [registered] = audit_actions("provider.registered")
    assert registered.entity_id == organisation.id and registered.actor_id == user.id
    assert accounts.authenticate("gail@gamma.example.org", PASSWORD, clock.now()) == user


def test_register_refuses_a_county_as_the_registered_offices_area(app, clock):
    with pytest.raises(DomainError) as refused:
        accounts.register_provider(**register(area_code="E10000017"), now=clock.now())
    assert (refused.value.message, refused.value.field) == (
        "Choose the district the registered office is in, not the county", "local_authority_area")
    db.session.rollback()
    assert db.session.scalar(db.select(db.func.count(Organisation.id)).where(Organisation.name == "Gamma Care")) == 0


def test_register_provider_without_a_urn(app, clock):
    user = accounts.register_provider(**register(ofsted_urn="  "), now=clock.now())
    assert user.organisation.ofsted_urn is None


def test_register_normalises_the_urn(app, clock):
    user = accounts.register_provider(**register(ofsted_urn=" sc123456 "), now=clock.now())
    assert user.organisation.ofsted_urn == "SC123456"


@pytest.mark.parametrize("email", ["alpha@provider.example.org", " ALPHA@Provider.example.org "])
def test_register_refuses_an_e_mail_address_that_has_an_account(world, clock, email):
    with pytest.raises(DomainError) as error:
        accounts.register_provider(**register(email=email), now=clock.now())
    assert error.value.message == ("An account already exists for this e-mail address. Sign in, or reset your "
                                   "password.")
    assert error.value.field == "email"


@pytest.mark.parametrize("urn", ["SC123456", "sc123456"])
def test_register_refuses_a_urn_already_registered(world, clock, urn):
    with pytest.raises(DomainError) as error:
        accounts.register_provider(**register(ofsted_urn=urn), now=clock.now())
    assert error.value.message == ("A provider with this Ofsted URN is already registered. Ask a colleague there "
                                   "to invite you.")
    assert error.value.field == "ofsted_urn"
    assert accounts.find_user("gail@gamma.example.org") is None


@pytest.mark.parametrize("urn", ["12345", "12345678", "AB123456", "SC12345X", "1234 567"])
def test_register_refuses_an_invalid_urn(app, clock, urn):
    with pytest.raises(DomainError) as error:
        accounts.register_provider(**register(ofsted_urn=urn), now=clock.now())
    assert error.value.message == "Enter the Ofsted URN as shown on your registration, like 1234567 or SC123456"
    assert error.value.field == "ofsted_urn"
    assert db.session.scalar(db.select(db.func.count(Organisation.id))) == 0


def test_register_refuses_a_short_password(app, clock):
    with pytest.raises(DomainError) as error:
        accounts.register_provider(**register(password="elevenchars"), now=clock.now())
    assert error.value.message == "Password must be at least 12 characters"
    assert error.value.field == "password"
    assert accounts.find_user("gail@gamma.example.org") is None


def test_register_accepts_a_password_of_exactly_12_characters(app, clock):
    user = accounts.register_provider(**register(password="twelve chars"), now=clock.now())
    assert user.roles == {PROVIDER_USER, USER_ADMINISTRATOR, SIGNATORY}


# Signing in and lock-out ----------------------------------------------------------------------------

def test_authenticate_with_the_right_password(world, clock):
    user = accounts.authenticate(" Alpha@Provider.example.org", PASSWORD, clock.now())
    assert user == world.provider_a and user.last_sign_in_at == clock.now()
    assert len(audit_actions("user.sign_in", world.provider_a)) == 1


def test_wrong_password_and_unknown_address_fail_alike_and_are_audited(world, clock):
    with pytest.raises(DomainError, match=f"^{SIGN_IN_ERROR}$"):
        accounts.authenticate(world.provider_a.email, "not the password", clock.now())
    with pytest.raises(DomainError, match=f"^{SIGN_IN_ERROR}$"):
        accounts.authenticate("nobody@nowhere.example.org", PASSWORD, clock.now())
    failures = audit_actions("user.sign_in_failed")
    assert [(f.actor_id, f.actor_label) for f in failures] == [
        (world.provider_a.id, world.provider_a.email), (None, "nobody@nowhere.example.org")]
    assert accounts.sign_in_record(world.provider_a.email).failed_sign_ins == 1


def test_account_locks_after_the_threshold_and_unlocks_after_the_lock_out_time(app, world, clock):
    threshold, minutes = app.config["LOCKOUT_THRESHOLD"], app.config["LOCKOUT_MINUTES"]
    assert (threshold, minutes) == (5, 15)
    user = world.provider_a
    for _ in range(threshold):
        with pytest.raises(DomainError, match=f"^{SIGN_IN_ERROR}$"):
            accounts.authenticate(user.email, "wrong password!", clock.now())
        clock.advance(seconds=10)
    assert len(audit_actions("user.locked", user)) == 1
    locked_at = clock.now() - timedelta(seconds=10)  # the fifth failure
    locked_until = accounts.sign_in_record(user.email).locked_until
    assert locked_until == locked_at + timedelta(minutes=minutes)

    # Even the right password is refused while locked, with a message saying until when.
    with pytest.raises(DomainError) as error:
        accounts.authenticate(user.email, PASSWORD, clock.now())
    assert error.value.message == ("This account is locked after too many failed sign-ins. Try again after "
                                   "2 November 2026 at 10:15am, or reset your password.")
    clock.set(locked_until - timedelta(seconds=1))
    with pytest.raises(DomainError, match="^This account is locked"):
        accounts.authenticate(user.email, PASSWORD, clock.now())

    clock.set(locked_at + timedelta(minutes=minutes))
    assert accounts.authenticate(user.email, PASSWORD, clock.now()) == user
    assert accounts.sign_in_record(user.email) is None  # a good sign-in forgets the failures
    # Every failure was audited: five wrong passwords and two refusals while locked.
    assert len(audit_actions("user.sign_in_failed", user)) == threshold + 2


def test_every_sign_in_attempt_checks_a_password_hash_known_address_or_not(app, world, clock, monkeypatch):
    """The work done, and so the time taken, does not tell an account from an unknown address, locked or not."""
    checks = []
    hasher = accounts._hasher()

    class CountingHasher:
        def verify(self, hash_, password):
            checks.append(hash_)
            return hasher.verify(hash_, password)

        def __getattr__(self, name):
            return getattr(hasher, name)

    monkeypatch.setattr(accounts, "_hasher", CountingHasher)
    for email in (world.provider_a.email, "nobody@nowhere.example.org"):
        for attempt in range(app.config["LOCKOUT_THRESHOLD"] + 2):  # the last two while locked
            checks.clear()
            with pytest.raises(DomainError) as error:
                accounts.authenticate(email, "wrong password!", clock.now())
            assert len(checks) == 1, (email, attempt)
        assert error.value.message.startswith("This account is locked after too many failed sign-ins")
    assert [event.actor_label for event in audit_actions("user.locked")] == [
        world.provider_a.email, "nobody@nowhere.example.org"]


def test_failures_are_forgotten_after_a_quiet_day_for_accounts_and_unknown_addresses_alike(app, world, clock):
    threshold = app.config["LOCKOUT_THRESHOLD"]
    for email in (world.provider_a.email, "nobody@nowhere.example.org"):
        for _ in range(threshold - 1):
            with pytest.raises(DomainError, match=f"^{SIGN_IN_ERROR}$"):
                accounts.authenticate(email, "wrong password!", clock.now())
    clock.advance(days=1, seconds=1)
    assert accounts.purge_sign_in_failures(clock.now()) == 2
    for email in (world.provider_a.email, "nobody@nowhere.example.org"):
        with pytest.raises(DomainError, match=f"^{SIGN_IN_ERROR}$"):
            accounts.authenticate(email, "wrong password!", clock.now())
        assert accounts.sign_in_record(email).failed_sign_ins == 1


def test_a_successful_sign_in_resets_the_failure_count(app, world, clock):
    user = world.provider_b
    threshold = app.config["LOCKOUT_THRESHOLD"]
    for _ in range(threshold - 1):
        with pytest.raises(DomainError):
            accounts.authenticate(user.email, "wrong password!", clock.now())
    accounts.authenticate(user.email, PASSWORD, clock.now())
    for _ in range(threshold - 1):
        with pytest.raises(DomainError):
            accounts.authenticate(user.email, "wrong password!", clock.now())
    assert accounts.sign_in_record(user.email).locked_until is None
    assert accounts.authenticate(user.email, PASSWORD, clock.now()) == user


def test_deactivated_account_cannot_sign_in_and_the_attempt_is_audited(world, clock):
    accounts.set_active(world.admin, world.evaluator, False, clock.now())
    with pytest.raises(DomainError) as error:
        accounts.authenticate(world.evaluator.email, PASSWORD, clock.now())
    assert error.value.message == "This account has been deactivated. Ask your organisation's administrator."
    assert audit_actions("user.sign_in") == []
    [failure] = audit_actions("user.sign_in_failed", world.evaluator)
    assert "deactivated" in failure.summary


# Password resets ----------------------------------------------------------------------------------

def test_password_reset_link_works_once(world, clock):
    accounts.request_password_reset("Alpha@provider.example.org", clock.now())
    token = reset_token_sent_to(world.provider_a.email)
    assert accounts.user_for_reset_token(token, clock.now()) == world.provider_a

    clock.advance(minutes=5)
    accounts.reset_password(token, NEW_PASSWORD, clock.now())
    assert accounts.authenticate(world.provider_a.email, NEW_PASSWORD, clock.now()) == world.provider_a
    with pytest.raises(DomainError, match=f"^{SIGN_IN_ERROR}$"):
        accounts.authenticate(world.provider_a.email, PASSWORD, clock.now())
    assert len(audit_actions("user.password_reset", world.provider_a)) == 1

    with pytest.raises(DomainError) as error:
        accounts.reset_password(token, "yet another passphrase", clock.now())
    assert error.value.message == "This password reset link has already been used. Ask for a new one."
    assert accounts.authenticate(world.provider_a.email, NEW_PASSWORD, clock.now()) == world.provider_a


def test_password_reset_link_expires(app, world, clock):
    minutes = app.config["PASSWORD_RESET_MINUTES"]
    accounts.request_password_reset(world.provider_a.email, clock.now())
    token = reset_token_sent_to(world.provider_a.email)
    clock.advance(minutes=minutes, seconds=-1)
    assert accounts.user_for_reset_token(token, clock.now()) == world.provider_a
    clock.advance(seconds=1)
    with pytest.raises(DomainError) as error:
        accounts.reset_password(token, NEW_PASSWORD, clock.now())
    assert error.value.message == "This password reset link has expired. Ask for a new one."
    assert accounts.authenticate(world.provider_a.email, PASSWORD, clock.now()) == world.provider_a


def test_tampered_or_forged_reset_links_are_refused(app, world, clock):
    accounts.request_password_reset(world.provider_a.email, clock.now())
    token = reset_token_sent_to(world.provider_a.email)
    payload, signature = token.rsplit(".", 1)
    # Another user's id in the payload, with the original signature.
    other = URLSafeSerializer("x").dump_payload({"user": world.admin.id}).decode()
    # A correct-looking payload signed with a key that is not the portal's.
    forged = URLSafeSerializer("not-the-secret-key", salt="password-reset").dumps(
        {"user": world.admin.id, "exp": (clock.now() + timedelta(days=1)).isoformat(),
         "fp": accounts._fingerprint(world.admin)})
    for bad in (f"{other}.{signature}", f"{payload}.{signature[:-2]}", forged, "garbage"):
        with pytest.raises(DomainError) as error:
            accounts.reset_password(bad, NEW_PASSWORD, clock.now())
        assert error.value.message == "This password reset link is not valid. Ask for a new one."
    assert accounts.authenticate(world.admin.email, PASSWORD, clock.now()) == world.admin


def test_password_reset_for_an_unknown_address_sends_nothing(world, clock):
    accounts.request_password_reset("nobody@nowhere.example.org", clock.now())
    assert db.session.scalar(db.select(db.func.count(OutboxMessage.id)).where(
        OutboxMessage.to_address == "nobody@nowhere.example.org")) == 0


def test_password_reset_refuses_a_short_password_and_unlocks_the_account(app, world, clock):
    user = world.provider_b
    for _ in range(app.config["LOCKOUT_THRESHOLD"]):
        with pytest.raises(DomainError):
            accounts.authenticate(user.email, "wrong password!", clock.now())
    assert accounts.sign_in_record(user.email).locked_until is not None
    accounts.request_password_reset(user.email, clock.now())
    token = reset_token_sent_to(user.email)
    with pytest.raises(DomainError, match="^Password must be at least 12 characters$"):
        accounts.reset_password(token, "short", clock.now())
    accounts.reset_password(token, NEW_PASSWORD, clock.now())
    assert accounts.sign_in_record(user.email) is None
    assert accounts.authenticate(user.email, NEW_PASSWORD, clock.now()) == user


# Invitations: who may give which role to whom ------------------------------------------------------

def test_allowed_roles_for_a_provider_user(world):
    alpha, beta = world.provider_a.organisation, world.provider_b.organisation
    assert accounts.allowed_roles(world.provider_a, alpha) == [PROVIDER_USER, USER_ADMINISTRATOR, SIGNATORY]
    assert accounts.allowed_roles(world.provider_a, beta) == []
    assert accounts.allowed_roles(world.provider_a, world.lead) == []


def test_allowed_roles_for_an_administrator(world):
    decision_roles = {BUDGET_HOLDER, HEAD_OF_SERVICE, ASSISTANT_DIRECTOR, CONTRACT_MANAGER, USER_ADMINISTRATOR}
    assert set(accounts.allowed_roles(world.admin, world.lead)) == {COMMISSIONING_OFFICER, EVALUATOR, ADMINISTRATOR,
                                                                   *decision_roles}
    assert set(accounts.allowed_roles(world.admin, world.member)) == {COMMISSIONING_OFFICER, *decision_roles}
    assert accounts.allowed_roles(world.admin, world.outsider) == []
    assert accounts.allowed_roles(world.admin, world.provider_a.organisation) == []
    # Someone else's consortium is outside, whatever roles one holds at home.
    assert accounts.allowed_roles(world.outside_admin, world.member) == []
    assert accounts.allowed_roles(world.outside_admin, world.lead) == []


def test_allowed_roles_for_authority_users_who_do_not_administer(world):
    assert accounts.allowed_roles(world.evaluator, world.lead) == []
    assert accounts.allowed_roles(world.member_officer, world.member) == []


def test_provider_invites_a_colleague_who_joins_its_organisation(world, clock):
    alpha = world.provider_a.organisation
    token = accounts.invite(world.provider_a, alpha, " New.Colleague@Alpha.example.org ", {PROVIDER_USER},
                            clock.now())
    message = db.session.scalars(db.select(OutboxMessage).where(
        OutboxMessage.to_address == "new.colleague@alpha.example.org")).one()
    assert f"http://portal.test/invitations/{token}" in message.body
    assert len(audit_actions("user.invited", world.provider_a)) == 1

    user = accounts.accept_invitation(token, "Nina New", PASSWORD, clock.now())
    assert user.organisation_id == alpha.id and user.roles == {PROVIDER_USER}
    assert user.email == "new.colleague@alpha.example.org"
    assert accounts.authenticate(user.email, PASSWORD, clock.now()) == user


@pytest.mark.parametrize(("inviter", "organisation", "roles", "message"), [
    ("provider_a", "beta", {PROVIDER_USER}, "You cannot give the role Provider user to someone at Beta Homes"),
    ("provider_a", "alpha", {EVALUATOR}, "You cannot give the role Evaluator to someone at Alpha Care"),
    ("admin", "member", {EVALUATOR}, "You cannot give the role Evaluator to someone at Member Council"),
    ("admin", "member", {COMMISSIONING_OFFICER, ADMINISTRATOR},
     "You cannot give the role Consortium administrator to someone at Member Council"),
    ("admin", "outsider", {COMMISSIONING_OFFICER},
     "You cannot give the role Commissioning officer to someone at Outside Council"),
    ("evaluator", "lead", {EVALUATOR}, "You cannot give the role Evaluator to someone at Lead Council"),
    ("outside_admin", "member", {COMMISSIONING_OFFICER},
     "You cannot give the role Commissioning officer to someone at Member Council"),
])
def test_invitations_refused_outside_what_the_inviter_may_give(world, clock, inviter, organisation, roles, message):
    organisations = {"alpha": world.provider_a.organisation, "beta": world.provider_b.organisation,
                     "member": world.member, "outsider": world.outsider, "lead": world.lead}
    with pytest.raises(DomainError) as error:
        accounts.invite(getattr(world, inviter), organisations[organisation], "someone@example.org", roles,
                        clock.now())
    assert error.value.message == message
    assert error.value.field == "roles"
    assert audit_actions("user.invited") == []


def test_administrator_invites_within_the_consortium(world, clock):
    evaluator_token = accounts.invite(world.admin, world.lead, "new.eval@lead.example.org", {EVALUATOR, ADMINISTRATOR},
                                      clock.now())
    officer_token = accounts.invite(world.admin, world.member, "new.officer@member.example.org",
                                    {COMMISSIONING_OFFICER}, clock.now())
    evaluator = accounts.accept_invitation(evaluator_token, "Ed New", PASSWORD, clock.now())
    officer = accounts.accept_invitation(officer_token, "Olive New", PASSWORD, clock.now())
    assert (evaluator.organisation_id, evaluator.roles) == (world.lead.id, {EVALUATOR, ADMINISTRATOR})
    assert (officer.organisation_id, officer.roles) == (world.member.id, {COMMISSIONING_OFFICER})


def test_invitation_needs_a_role_and_a_new_address(world, clock):
    with pytest.raises(DomainError, match="^Select at least one role$"):
        accounts.invite(world.admin, world.lead, "someone@lead.example.org", set(), clock.now())
    with pytest.raises(DomainError, match=" already has an account at Lead .* with this e-mail address: change"):
        accounts.invite(world.admin, world.lead, "EVALUATOR@lead.example.org", {EVALUATOR}, clock.now())


def test_invitation_expires(app, world, clock):
    token = accounts.invite(world.admin, world.lead, "late@lead.example.org", {EVALUATOR}, clock.now())
    clock.advance(days=app.config["INVITATION_DAYS"])
    with pytest.raises(DomainError) as error:
        accounts.accept_invitation(token, "Late Larry", PASSWORD, clock.now())
    assert error.value.message == ("This invitation has expired or was withdrawn. Ask the person who invited you to "
                                   "send a new one.")
    assert accounts.find_user("late@lead.example.org") is None


def test_invitation_works_until_just_before_it_expires(app, world, clock):
    token = accounts.invite(world.admin, world.lead, "prompt@lead.example.org", {EVALUATOR}, clock.now())
    clock.advance(days=app.config["INVITATION_DAYS"], seconds=-1)
    assert accounts.accept_invitation(token, "Prompt Pat", PASSWORD, clock.now()).roles == {EVALUATOR}


def test_invitation_can_be_used_once_only(world, clock):
    token = accounts.invite(world.admin, world.lead, "once@lead.example.org", {EVALUATOR}, clock.now())
    with pytest.raises(DomainError, match="^Password must be at least 12 characters$"):
        accounts.accept_invitation(token, "Olly Once", "short", clock.now())
    accounts.accept_invitation(token, "Olly Once", PASSWORD, clock.now())  # a failed attempt does not use it up
    with pytest.raises(DomainError) as error:
        accounts.accept_invitation(token, "Olly Twice", "another long password", clock.now())
    assert error.value.message == ("This invitation has already been used. Sign in with your e-mail address and "
                                   "password.")
    assert db.session.scalar(db.select(db.func.count(User.id)).where(User.email == "once@lead.example.org")) == 1


def test_unknown_invitation_token(world, clock):
    with pytest.raises(DomainError, match="^This invitation link is not valid"):
        accounts.accept_invitation("made-up-token", "Mallory", PASSWORD, clock.now())


# Changing roles -------------------------------------------------------------------------------------

def test_administrator_cannot_remove_their_own_administrator_role(world, clock):
    with pytest.raises(DomainError) as error:
        accounts.change_roles(world.admin, world.admin, {EVALUATOR}, clock.now())
    assert error.value.message == "You cannot remove your own administrator role. Ask another administrator."
    assert world.admin.roles == {ADMINISTRATOR, EVALUATOR}
    accounts.change_roles(world.admin, world.admin, {ADMINISTRATOR}, clock.now())  # dropping another role is fine
    assert world.admin.roles == {ADMINISTRATOR}


def test_administrator_changes_a_colleagues_roles(world, clock):
    accounts.change_roles(world.admin, world.evaluator, {EVALUATOR, ADMINISTRATOR}, clock.now())
    assert world.evaluator.roles == {EVALUATOR, ADMINISTRATOR}
    [changed] = audit_actions("user.roles_changed", world.admin)
    assert changed.entity_id == world.evaluator.id
    accounts.change_roles(world.admin, world.evaluator, {EVALUATOR, ADMINISTRATOR}, clock.now())  # no change
    assert len(audit_actions("user.roles_changed")) == 1


def test_change_roles_refused_outside_what_the_administrator_may_give(world, clock):
    with pytest.raises(DomainError, match="^You cannot give those roles to someone at this organisation$"):
        accounts.change_roles(world.admin, world.member_officer, {COMMISSIONING_OFFICER, EVALUATOR}, clock.now())
    with pytest.raises(DomainError, match="^You cannot change the roles of this user$"):
        accounts.change_roles(world.outside_admin, world.evaluator, {ADMINISTRATOR}, clock.now())
    with pytest.raises(DomainError, match="^You cannot change the roles of this user$"):
        accounts.change_roles(world.admin, world.provider_a, {PROVIDER_USER}, clock.now())
    with pytest.raises(DomainError, match="^Select at least one role$"):
        accounts.change_roles(world.admin, world.evaluator, set(), clock.now())
    assert world.member_officer.roles == {COMMISSIONING_OFFICER}
    assert world.evaluator.roles == {EVALUATOR}


def test_lead_administrator_cannot_strip_or_deactivate_a_member_councils_administrator(world, clock):
    member_admin = authority_user(world.member, "Mia Member", "admin@member.example.org",
                                  [ADMINISTRATOR, COMMISSIONING_OFFICER], clock)
    refusal = "^Mia Member holds roles that only Member Council's own administrators can change$"
    with pytest.raises(DomainError, match=refusal):
        accounts.change_roles(world.admin, member_admin, {COMMISSIONING_OFFICER}, clock.now())
    with pytest.raises(DomainError, match=refusal):
        accounts.set_active(world.admin, member_admin, False, clock.now())
    db.session.expire_all()
    assert member_admin.roles == {ADMINISTRATOR, COMMISSIONING_OFFICER} and member_admin.active
    assert audit_actions("user.roles_changed") == [] and audit_actions("user.deactivated") == []
    # The member council's commissioning officers are still the lead's to manage.
    accounts.set_active(world.admin, world.member_officer, False, clock.now())
    assert not world.member_officer.active
