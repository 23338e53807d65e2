"""Accounts: provider registration, sign-in with lock-out, password resets and invitations."""

import hashlib
import re
import secrets
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError
from flask import current_app, url_for
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from portal import areas
from portal.errors import DomainError, NotFound
from portal.extensions import db
from portal.models import Dps, DpsMember, Invitation, Organisation, Setting, SignInAddress, User, UserRole
from portal.models.organisation import PROVIDER
from portal.models.user import (
    ADMINISTRATOR,
    ASSISTANT_DIRECTOR,
    AUTHORITY_ROLES,
    BUDGET_HOLDER,
    EVALUATOR,
    HEAD_OF_SERVICE,
    LEAD_AUTHORITY_ROLES,
    PROVIDER_ROLES,
    PROVIDER_USER,
    ROLE_LABELS,
    SIGNATORY,
    USER_ADMINISTRATOR,
)
from portal.services import audit, mail, sessions
from portal.services import settings as setting_service
from portal.timezone import format_datetime

MIN_PASSWORD_LENGTH = 12
URN_PATTERN = re.compile(r"^(SC)?\d{6,7}$")
_HASHERS: dict[bool, PasswordHasher] = {}
_DUMMY_HASHES: dict[bool, str] = {}


def _hasher() -> PasswordHasher:
    # Tests use cheap parameters; everywhere else argon2id's recommended defaults.
    cheap = bool(current_app.config.get("FAST_PASSWORD_HASHING"))
    if cheap not in _HASHERS:
        _HASHERS[cheap] = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1) if cheap else PasswordHasher()
    return _HASHERS[cheap]


def _dummy_hash() -> str:
    # Verifying against a throw-away hash keeps a sign-in for an unknown address as slow as a real one.
    cheap = bool(current_app.config.get("FAST_PASSWORD_HASHING"))
    if cheap not in _DUMMY_HASHES:
        _DUMMY_HASHES[cheap] = _hasher().hash("not-a-real-password")
    return _DUMMY_HASHES[cheap]

SIGN_IN_ERROR = "Enter a correct e-mail address and password"
FAILURES_FORGOTTEN_AFTER = timedelta(days=1)


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise DomainError(f"Password must be at least {MIN_PASSWORD_LENGTH} characters", field="password")


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user(email: str) -> User | None:
    return db.session.scalar(db.select(User).where(User.email == normalise_email(email)))


def _new_user(organisation, name, email, password, roles, now) -> User:
    check_password_strength(password)
    if find_user(email) is not None:
        raise DomainError("An account already exists for this e-mail address. Sign in, or reset your password.",
                          field="email")
    user = User(organisation=organisation, name=name.strip(), email=normalise_email(email),
                password_hash=hash_password(password), password_changed_at=now, created_at=now)
    user.role_rows = [UserRole(role=role) for role in sorted(roles)]
    db.session.add(user)
    return user


def register_provider(*, organisation_name: str, ofsted_urn: str | None, registered_office: str,
                      postcode: str, area_code: str, telephone: str,
                      user_name: str, email: str, password: str, now: datetime) -> User:
    area = areas.get(area_code)
    if area is None:
        raise DomainError("Choose the area of the registered office from the list", field="local_authority_area")
    if not area.is_lowest_tier:
        raise DomainError("Choose the district the registered office is in, not the county",
                          field="local_authority_area")
    urn = (ofsted_urn or "").strip().upper() or None
    if urn and not URN_PATTERN.match(urn):
        raise DomainError("Enter the Ofsted URN as shown on your registration, like 1234567 or SC123456",
                          field="ofsted_urn")
    if urn and (db.session.scalar(db.select(Organisation.id).where(Organisation.ofsted_urn == urn))
                or db.session.scalar(db.select(Setting.id).where(Setting.ofsted_urn == urn))):
        raise DomainError("A provider with this Ofsted URN is already registered. Ask a colleague there to invite you.",
                          field="ofsted_urn")
    check_password_strength(password)
    if find_user(email) is not None:
        raise DomainError("An account already exists for this e-mail address. Sign in, or reset your password.",
                          field="email")
    provider = Organisation(
        name=organisation_name.strip(), kind=PROVIDER, ofsted_urn=urn,
        registered_office=registered_office.strip(), postcode=postcode.strip().upper(),
        local_authority_area=area.name, area_code=area.code, telephone=telephone.strip(),
        provider_status="applicant", created_at=now,
    )
    db.session.add(provider)
    setting_service.first_from_registration(provider, now)  # its first setting, from its URN
    # The provider's first user manages its colleagues and signs for it until they hand those roles on.
    user = _new_user(provider, user_name, email, password, {PROVIDER_USER, USER_ADMINISTRATOR, SIGNATORY}, now)
    db.session.flush()
    audit.record(at=now, actor=user, action="provider.registered", entity=provider,
                 summary=f"{provider.name} registered as a provider",
                 after={"name": provider.name, "ofsted_urn": urn, "status": "applicant"})
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise DomainError("An account already exists for this e-mail address. Sign in, or reset your password.",
                          field="email") from None
    return user


def _address_hash(email: str) -> str:
    return hashlib.sha256(normalise_email(email).encode()).hexdigest()


def _sign_in_address(email: str) -> SignInAddress | None:
    return db.session.get(SignInAddress, _address_hash(email), with_for_update=True)


def sign_in_record(email: str) -> SignInAddress | None:
    """The failed sign-ins and any lock of an address, or None if it has none."""
    return db.session.get(SignInAddress, _address_hash(email), populate_existing=True)


def _locked_message(until: datetime) -> str:
    return ("This account is locked after too many failed sign-ins. "
            f"Try again after {format_datetime(until)}, or reset your password.")


def _password_matches(user: User | None, password: str) -> bool:
    # An unknown address is checked against a throw-away hash, so it takes as long as a real account.
    try:
        return _hasher().verify(user.password_hash if user else _dummy_hash(), password) and user is not None
    except (VerifyMismatchError, InvalidHashError):
        return False


def _audit_failure(user: User | None, email: str, now: datetime, summary: str, **changes) -> None:
    if user is None:
        audit.record(at=now, actor=None, actor_label=normalise_email(email)[:254], action="user.sign_in_failed",
                     entity=None, summary=summary, **changes)
    else:
        audit.record(at=now, actor=user, action="user.sign_in_failed", entity=user, summary=summary, **changes)


def _count_failure(user: User | None, email: str, address: SignInAddress | None, now: datetime) -> None:
    """Count a wrong password against the address, known or not, and lock it at the threshold."""
    config = current_app.config
    if address is None:
        address = SignInAddress(address_hash=_address_hash(email), failed_sign_ins=0)
        db.session.add(address)
    elif address.last_failed_at < now - FAILURES_FORGOTTEN_AFTER:
        address.failed_sign_ins = 0
    before = {"failed_sign_ins": address.failed_sign_ins}
    address.failed_sign_ins += 1
    address.last_failed_at = now
    reason = "wrong password" if user else "unknown e-mail address"
    _audit_failure(user, email, now, f"Sign-in failed: {reason}", before=before,
                   after={"failed_sign_ins": address.failed_sign_ins})
    if address.failed_sign_ins >= config["LOCKOUT_THRESHOLD"]:
        address.locked_until = now + timedelta(minutes=config["LOCKOUT_MINUTES"])
        address.failed_sign_ins = 0
        audit.record(at=now, actor=user, actor_label=None if user else normalise_email(email)[:254],
                     action="user.locked", entity=user,
                     summary=f"Sign-in locked until {format_datetime(address.locked_until)}",
                     after={"locked_until": address.locked_until})


def authenticate(email: str, password: str, now: datetime) -> User:
    """Check a sign-in. LOCKOUT_THRESHOLD wrong passwords in a row lock the e-mail address for LOCKOUT_MINUTES,
    whether or not it has an account, with the same message and the same work done, so the lock cannot tell
    which addresses have accounts. Every failure is audited."""
    user = find_user(email)
    address = _sign_in_address(email)
    matches = _password_matches(user, password)
    if address is not None and address.locked_until and address.locked_until > now:
        _audit_failure(user, email, now, "Sign-in refused: locked after failed sign-ins")
        db.session.commit()
        raise DomainError(_locked_message(address.locked_until))
    if not matches:
        try:
            _count_failure(user, email, address, now)
            db.session.commit()
        except IntegrityError:
            # Another worker recorded this address's first failure at the same moment: count on its row.
            db.session.rollback()
            _count_failure(user, email, _sign_in_address(email), now)
            db.session.commit()
        raise DomainError(SIGN_IN_ERROR)
    if not user.is_active:
        _audit_failure(user, email, now, "Sign-in refused: account deactivated")
        db.session.commit()
        raise DomainError("This account has been deactivated. Ask your organisation's administrator.")
    if address is not None:
        db.session.delete(address)
    user.last_sign_in_at = now
    audit.record(at=now, actor=user, action="user.sign_in", entity=user, summary="Signed in")
    db.session.commit()
    return user


def unlock(email: str) -> None:
    """Forget the failed sign-ins of an address (after a password reset). The caller commits."""
    address = _sign_in_address(email)
    if address is not None:
        db.session.delete(address)


def purge_sign_in_failures(now: datetime) -> int:
    """Forget failures at addresses that are not locked and have had none for a day, known or not alike."""
    quiet_since = now - FAILURES_FORGOTTEN_AFTER
    result = db.session.execute(db.delete(SignInAddress).where(
        SignInAddress.last_failed_at < quiet_since,
        (SignInAddress.locked_until.is_(None)) | (SignInAddress.locked_until <= now)))
    db.session.commit()
    return result.rowcount


# Password resets -------------------------------------------------------------------------------

def _reset_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="password-reset")


def _fingerprint(user: User) -> str:
    # Changing the password changes the hash, so a used link stops working.
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def request_password_reset(email: str, now: datetime) -> None:
    """E-mail a reset link if the address has an account. Says nothing either way to the caller."""
    user = find_user(email)
    if user is None or not user.is_active:
        return
    expires = now + timedelta(minutes=current_app.config["PASSWORD_RESET_MINUTES"])
    token = _reset_serializer().dumps({"user": user.id, "exp": expires.isoformat(), "fp": _fingerprint(user)})
    link = current_app.config["PORTAL_BASE_URL"] + url_for("auth.reset_password", token=token)
    mail.email_address(
        user.email, at=now, subject="Reset your password for the placements portal",
        body=(f"Someone asked to reset the password for {user.email}.\n\n"
              f"Use this link before {format_datetime(expires)} to choose a new password:\n{link}\n\n"
              "If it was not you, ignore this e-mail: your password has not changed."),
    )
    db.session.commit()


def user_for_reset_token(token: str, now: datetime) -> User:
    try:
        payload = _reset_serializer().loads(token)
    except BadSignature:
        raise DomainError("This password reset link is not valid. Ask for a new one.") from None
    user = db.session.get(User, payload.get("user"))
    if user is None or payload.get("fp") != _fingerprint(user):
        raise DomainError("This password reset link has already been used. Ask for a new one.")
    if datetime.fromisoformat(payload["exp"]) <= now:
        raise DomainError("This password reset link has expired. Ask for a new one.")
    return user


def reset_password(token: str, password: str, now: datetime) -> User:
    user = user_for_reset_token(token, now)
    check_password_strength(password)
    user.password_hash = hash_password(password)
    user.password_changed_at = now
    unlock(user.email)
    audit.record(at=now, actor=user, action="user.password_reset", entity=user, summary="Password reset by e-mail link")
    db.session.commit()
    return user


# Invitations -----------------------------------------------------------------------------------

def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def consortium_authorities(lead: Organisation) -> list[Organisation]:
    """The lead authority and every member authority of the DPSs it leads."""
    members = db.session.scalars(
        db.select(Organisation).join(DpsMember, DpsMember.authority_id == Organisation.id)
        .join(Dps, Dps.id == DpsMember.dps_id).where(Dps.lead_authority_id == lead.id)
        .distinct()
    ).all()
    return sorted({lead, *members}, key=lambda org: org.name)


# Who administers whose users:
# - the consortium administrator (administrator of a lead authority): every role at the lead authority, every
#   role but evaluator and administrator at its member authorities; at a provider, only to step in when nobody
#   there can (invite a user administrator, or make an existing user one: see portal.services.staff);
# - an authority's user administrator: that authority's staff, with the roles of STAFF_ROLES;
# - a provider's user administrator: that provider's colleagues, with the roles of PROVIDER_ROLES.
STAFF_ROLES = [role for role in AUTHORITY_ROLES if role not in LEAD_AUTHORITY_ROLES]
# What the consortium administrator may give at a provider: a way in for someone to manage its colleagues.
STEP_IN_ROLES = [PROVIDER_USER, USER_ADMINISTRATOR]


def is_consortium_administrator(user: User) -> bool:
    return user.is_active and user.has_role(ADMINISTRATOR) and not user.organisation.is_provider


def administers_own_organisation(user: User) -> bool:
    """An active user administrator, who manages the people of their own organisation."""
    return user.is_active and user.has_role(USER_ADMINISTRATOR)


def allowed_roles(inviter: User, organisation: Organisation) -> list[str]:
    """Which roles this user may give to people of that organisation."""
    if not inviter.is_active:
        return []
    if organisation.is_provider:
        same_org = inviter.organisation_id == organisation.id and inviter.has_role(USER_ADMINISTRATOR)
        return list(PROVIDER_ROLES) if same_org else []
    if inviter.organisation.is_provider:
        return []
    if inviter.has_role(ADMINISTRATOR) and organisation in consortium_authorities(inviter.organisation):
        if organisation.id == inviter.organisation_id:
            return list(AUTHORITY_ROLES)
        return list(STAFF_ROLES)
    if inviter.has_role(USER_ADMINISTRATOR) and organisation.id == inviter.organisation_id:
        return list(STAFF_ROLES)
    return []


def manageable_roles(admin: User, organisation: Organisation) -> set[str]:
    """The roles `admin` may change on an existing user of the organisation: the ones they may give. (The
    consortium administrator does not manage a provider's users: it may only step in, see portal.services.staff.)"""
    return set(allowed_roles(admin, organisation))


def active_user_administrators(organisation: Organisation) -> list[User]:
    return db.session.scalars(
        db.select(User).join(UserRole).where(User.organisation_id == organisation.id, User.active,
                                             UserRole.role == USER_ADMINISTRATOR)).all()


def _check_not_last_user_administrator(user: User, field: str | None = "roles") -> None:
    """An organisation keeps at least one active user administrator, so someone there can always manage it."""
    if not (user.active and user.has_role(USER_ADMINISTRATOR)):
        return
    # Two user administrators taking the role from each other at once: the second waits here, then counts again.
    db.session.get(Organisation, user.organisation_id, with_for_update=True)
    if [other for other in active_user_administrators(user.organisation) if other.id != user.id]:
        return
    raise DomainError(f"{user.name} is the last active user administrator of {user.organisation.name}. "
                      "Make someone else a user administrator first.", field=field)


def snapshot(user: User) -> dict:
    return {"roles": sorted(user.roles), "approval_limit": user.approval_limit, "active": user.active}


def invite(inviter: User, organisation: Organisation, email: str, roles: set[str], now: datetime) -> str:
    permitted = set(allowed_roles(inviter, organisation))
    roles = set(roles)
    if organisation.is_provider:
        roles.add(PROVIDER_USER)  # everyone at a provider works on its applications and bids
    if not roles:
        raise DomainError("Select at least one role", field="roles")
    if not roles <= permitted:
        refused = ", ".join(ROLE_LABELS.get(role, role) for role in sorted(roles - permitted))
        raise DomainError(f"You cannot give the role {refused} to someone at {organisation.name}", field="roles")
    return send_invitation(inviter, organisation, email, roles, now)


def _check_address_free(organisation: Organisation, email: str) -> None:
    """An address is one account: say whose it is when it is the organisation's own, and only that it is taken
    when it is someone else's."""
    existing = find_user(email)
    if existing is None:
        return
    if existing.organisation_id == organisation.id:
        state = "" if existing.active else ", deactivated"
        raise DomainError(f"{existing.name} already has an account at {organisation.name} with this e-mail address"
                          f"{state}: change their roles or reactivate them on their page", field="email")
    raise DomainError("This e-mail address is already used by an account at another organisation. An address can "
                      "have one account only: ask the person for another address.", field="email")


def send_invitation(inviter: User, organisation: Organisation, email: str, roles: set[str], now: datetime) -> str:
    """E-mail an invitation with the roles; the caller has checked the inviter may give them."""
    email = normalise_email(email)
    # One invitation at a time per organisation: a second click of "Send invitation" waits for the first here.
    db.session.get(Organisation, organisation.id, with_for_update=True)
    _check_address_free(organisation, email)
    earlier = waiting_invitation(organisation, email, now)
    before = None
    if earlier is not None:
        if set(earlier.role_list) == set(roles):
            sent = format_datetime(earlier.created_at)
            raise DomainError(f"An invitation to {email} with these roles was sent {sent} and is waiting to be "
                              "accepted: nothing more was sent", field="email")
        # Other roles: the new invitation replaces the waiting one, whose link stops working.
        before = {"email": email, "roles": earlier.roles, "organisation": organisation.name}
        earlier.expires_at = now
    token = secrets.token_urlsafe(32)
    days = current_app.config["INVITATION_DAYS"]
    invitation = Invitation(organisation=organisation, email=email, roles=",".join(sorted(roles)),
                            token_hash=_token_hash(token), invited_by=inviter, created_at=now,
                            expires_at=now + timedelta(days=days))
    db.session.add(invitation)
    db.session.flush()
    link = current_app.config["PORTAL_BASE_URL"] + url_for("auth.accept_invitation", token=token)
    mail.email_address(
        email, at=now, subject=f"You are invited to join {organisation.name} on the placements portal",
        body=(f"{inviter.name} has invited you to join {organisation.name} on the placements portal.\n\n"
              f"Use this link within {days} days to set up your account:\n{link}"),
    )
    audit.record(at=now, actor=inviter, action="user.invited", entity=invitation,
                 summary=f"Invited {email} to {organisation.name}" + (" instead, with other roles" if before else ""),
                 before=before, after={"email": email, "roles": invitation.roles, "organisation": organisation.name})
    db.session.commit()
    return token


def waiting_invitation(organisation: Organisation, email: str, now: datetime) -> Invitation | None:
    """The organisation's invitation to the address that can still be accepted, if any."""
    return db.session.scalars(
        db.select(Invitation).where(Invitation.organisation_id == organisation.id, Invitation.email == email,
                                    Invitation.accepted_at.is_(None), Invitation.expires_at > now)
        .order_by(Invitation.created_at.desc(), Invitation.id.desc())).first()


def invitation_for_token(token: str, now: datetime, *, lock: bool = False) -> Invitation:
    query = db.select(Invitation).where(Invitation.token_hash == _token_hash(token))
    invitation = db.session.scalar(query.with_for_update() if lock else query)
    if invitation is None:
        raise DomainError("This invitation link is not valid. Ask the person who invited you to send a new one.")
    if invitation.accepted_at is not None:
        raise DomainError("This invitation has already been used. Sign in with your e-mail address and password.")
    if find_user(invitation.email) is not None:
        raise DomainError("An account already exists for this e-mail address. Sign in, or reset your password.")
    if invitation.expires_at <= now:
        if waiting_invitation(invitation.organisation, invitation.email, now) is not None:
            raise DomainError("This invitation was replaced by a later one. Use the link in the latest e-mail.")
        raise DomainError("This invitation has expired or was withdrawn. Ask the person who invited you to send a "
                          "new one.")
    return invitation


def may_withdraw(admin: User, invitation: Invitation) -> bool:
    """Whoever could send the invitation may withdraw it: the organisation's own user administrators, the consortium
    administrator at the consortium's authorities (for the roles it may give there), and at a provider the
    consortium administrator whose authority stepped in (its invitation of a user administrator)."""
    organisation = invitation.organisation
    if organisation.is_provider and admin.organisation_id != organisation.id:
        return (is_consortium_administrator(admin) and invitation.invited_by.organisation_id == admin.organisation_id
                and set(invitation.role_list) <= set(STEP_IN_ROLES))
    permitted = allowed_roles(admin, organisation)
    return bool(permitted) and set(invitation.role_list) <= set(permitted)


def withdraw_invitation(admin: User, invitation_id: int, now: datetime) -> Invitation:
    """A waiting invitation is withdrawn (a wrong address, say) by one who may (see may_withdraw): its link stops
    working. An invitation they may not withdraw is NotFound, unless it is of their own organisation."""
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None:
        raise NotFound()
    if not may_withdraw(admin, invitation):
        if invitation.organisation_id != admin.organisation_id:
            raise NotFound()
        raise DomainError("You cannot withdraw this invitation")
    if invitation.accepted_at is not None or invitation.expires_at <= now or find_user(invitation.email):
        raise DomainError(f"The invitation to {invitation.email} is no longer waiting: nothing to withdraw")
    before = {"email": invitation.email, "roles": invitation.roles, "expires_at": invitation.expires_at}
    invitation.expires_at = now
    audit.record(at=now, actor=admin, action="user.invitation_withdrawn", entity=invitation,
                 summary=f"Invitation to {invitation.email} withdrawn", before=before,
                 after={"email": invitation.email, "roles": invitation.roles, "expires_at": now})
    db.session.commit()
    return invitation


def accept_invitation(token: str, name: str, password: str, now: datetime) -> User:
    # The invitation is locked: a second click of "Create account" waits, then finds it used.
    invitation = invitation_for_token(token, now, lock=True)
    user = _new_user(invitation.organisation, name, invitation.email, password, set(invitation.role_list), now)
    invitation.accepted_at = now
    try:
        db.session.flush()
    except IntegrityError:
        # The address got an account at the same moment (another organisation's invitation, or registering).
        db.session.rollback()
        raise DomainError("An account already exists for this e-mail address. Sign in, or reset your password.") \
            from None
    audit.record(at=now, actor=user, action="user.joined", entity=user,
                 summary=f"{user.email} joined {invitation.organisation.name}",
                 after={"roles": invitation.roles})
    db.session.commit()
    return user


def check_may_manage(admin: User, user: User, permitted: set[str]) -> None:
    """A lead authority's administrator manages the commissioning officers of its member authorities, but
    not their administrators: only what the admin could have given the user may be taken away."""
    if not user.roles <= permitted:
        if user.organisation_id == admin.organisation_id and user.roles & {ADMINISTRATOR, EVALUATOR}:
            raise DomainError(f"{user.name} holds roles that only the consortium administrator can change")
        raise DomainError(f"{user.name} holds roles that only {user.organisation.name}'s own administrators "
                          "can change")


# The roles that answer approvals: nobody gives one to themselves (nor sets their own approval limit).
DECIDING_ROLES = (BUDGET_HOLDER, HEAD_OF_SERVICE, ASSISTANT_DIRECTOR)


def check_not_own_deciding_role(admin: User, user: User, roles: set[str]) -> None:
    """A user administrator may not make themselves a decider: another user administrator must."""
    gained = sorted((set(roles) - user.roles) & set(DECIDING_ROLES))
    if user.id == admin.id and gained:
        labels = " or ".join(ROLE_LABELS[role].lower() for role in gained)
        raise DomainError(f"You cannot make yourself {labels}: ask another user administrator", field="roles")


def change_roles(admin: User, user: User, roles: set[str], now: datetime) -> None:
    permitted = manageable_roles(admin, user.organisation)
    if not permitted:
        raise DomainError("You cannot change the roles of this user")
    check_may_manage(admin, user, permitted)
    roles = set(roles)
    if user.organisation.is_provider:
        roles.add(PROVIDER_USER)  # everyone at a provider works on its applications and bids
    if not roles:
        raise DomainError("Select at least one role", field="roles")
    if not roles <= permitted:
        raise DomainError("You cannot give those roles to someone at this organisation", field="roles")
    check_not_own_deciding_role(admin, user, roles)
    if user.id == admin.id and ADMINISTRATOR in user.roles and ADMINISTRATOR not in roles:
        raise DomainError("You cannot remove your own administrator role. Ask another administrator.", field="roles")
    if user.roles == roles:
        return
    if USER_ADMINISTRATOR not in roles:
        _check_not_last_user_administrator(user)
    before = snapshot(user)
    user.role_rows = [row for row in user.role_rows if row.role in roles]
    user.role_rows.extend(UserRole(role=role) for role in sorted(roles - set(before["roles"])))
    if BUDGET_HOLDER not in roles:
        user.approval_limit = None  # a limit means nothing without the role, and must not come back with it
    audit.record(at=now, actor=admin, action="user.roles_changed", entity=user,
                 summary=f"Roles of {user.email} changed", before=before, after=snapshot(user))
    db.session.commit()


def set_active(admin: User, user: User, active: bool, now: datetime) -> None:
    """Deactivate or reactivate an account. Deactivating ends every session of the account at once."""
    permitted = manageable_roles(admin, user.organisation)
    if not permitted:
        raise DomainError("You cannot change this user's account")
    check_may_manage(admin, user, permitted)
    if user.id == admin.id:
        raise DomainError("You cannot deactivate your own account")
    if user.active == active:
        return
    if not active:
        _check_not_last_user_administrator(user, field=None)
    before = snapshot(user)
    user.active = active
    action = "user.reactivated" if active else "user.deactivated"
    audit.record(at=now, actor=admin, action=action, entity=user, summary=f"{user.email} {action.split('.')[1]}",
                 before=before, after=snapshot(user))
    db.session.commit()
    if not active:
        sessions.end_all_of(user.id)


def pending_invitations(organisation: Organisation, now: datetime) -> list[Invitation]:
    return pending_invitations_of([organisation], now)


def pending_invitations_of(organisations: list[Organisation], now: datetime) -> list[Invitation]:
    """The invitations of these organisations not yet accepted nor expired, latest first."""
    return db.session.scalars(
        db.select(Invitation).where(Invitation.organisation_id.in_([org.id for org in organisations]),
                                    Invitation.accepted_at.is_(None),
                                    Invitation.expires_at > now,
                                    ~db.select(User.id).where(User.email == Invitation.email).exists())
        .options(selectinload(Invitation.organisation), selectinload(Invitation.invited_by))
        .order_by(Invitation.created_at.desc(), Invitation.id.desc())
    ).all()
