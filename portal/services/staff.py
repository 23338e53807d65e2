"""An organisation's own staff: who may manage whose users (the rules are in portal.services.accounts:
allowed_roles, invite, change_roles, set_active), the staff list, a budget holder's annual approval limit, and the
consortium administrator stepping in at a provider nobody there can manage."""

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy.orm import selectinload

from portal.errors import DomainError, NotFound
from portal.extensions import db
from portal.formatting import money
from portal.models import Organisation, User, UserRole
from portal.models.user import BUDGET_HOLDER, PROVIDER_USER, USER_ADMINISTRATOR
from portal.money import WEEKLY_LIMIT, WEEKS_A_YEAR, parse_money
from portal.services import accounts, audit

# The most a limit may be: a year of the most any weekly cost may be.
ANNUAL_LIMIT = WEEKLY_LIMIT * WEEKS_A_YEAR


def may_manage_staff(user: User) -> bool:
    """The staff pages of an authority: its active user administrators."""
    return accounts.administers_own_organisation(user) and not user.organisation.is_provider


def may_manage_colleagues(user: User) -> bool:
    """A provider's user administrators invite, deactivate and grant roles to its colleagues."""
    return accounts.administers_own_organisation(user) and user.organisation.is_provider


def staff_query(organisation: Organisation):
    """Everyone of the organisation, by name, for a paginated list (roles come in one more query per page)."""
    return (db.select(User).where(User.organisation_id == organisation.id)
            .options(selectinload(User.role_rows)).order_by(User.name, User.id))


def colleague(manager: User, user_id: int) -> User:
    """A user of the manager's own organisation; NotFound for anyone else's, so their ids tell nothing."""
    user = db.session.get(User, user_id)
    if user is None or user.organisation_id != manager.organisation_id:
        raise NotFound()
    return user


def weekly_equivalent(annual: Decimal) -> Decimal:
    """About how much a week an annual amount is (annual ÷ 52, to the penny)."""
    return (annual / WEEKS_A_YEAR).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def set_approval_limit(admin: User, user: User, amount: str, now: datetime) -> None:
    """Set (or, with nothing typed, clear) a budget holder's annual approval limit."""
    permitted = accounts.manageable_roles(admin, user.organisation)
    if BUDGET_HOLDER not in permitted:
        raise DomainError("You cannot set this user's approval limit")
    if user.id == admin.id:
        raise DomainError("You cannot set your own approval limit: ask another user administrator",
                          field="approval_limit")
    accounts.check_may_manage(admin, user, permitted)
    if not user.has_role(BUDGET_HOLDER):
        raise DomainError(f"{user.name} is not a budget holder. Give them that role first.", field="approval_limit")
    limit = parse_money(amount, label="the annual approval limit", maximum=ANNUAL_LIMIT, field="approval_limit",
                        required=False)
    if limit == user.approval_limit:
        return
    before = accounts.snapshot(user)
    user.approval_limit = limit
    audit.record(at=now, actor=admin, action="user.approval_limit_set", entity=user,
                 summary=(f"Approval limit of {user.email} set to {money(limit)} a year" if limit is not None
                          else f"Approval limit of {user.email} cleared"),
                 before=before, after=accounts.snapshot(user))
    db.session.commit()


def _check_may_step_in(admin: User, provider: Organisation) -> None:
    if not provider.is_provider or not accounts.is_consortium_administrator(admin):
        raise DomainError("Only the consortium administrator can appoint a provider's user administrator")
    reason = step_in_refusal(provider)
    if reason:
        raise DomainError(reason)


def step_in_refusal(provider: Organisation) -> str | None:
    """Why the consortium administrator may not step in at the provider (someone there manages its colleagues),
    or None: it steps in only when nobody at the provider can."""
    present = accounts.active_user_administrators(provider)
    if present:
        names = ", ".join(sorted(person.name for person in present))
        return f"{provider.name} has an active user administrator, {names}: they manage its colleagues"
    return None


def invite_user_administrator(admin: User, provider: Organisation, email: str, now: datetime) -> str:
    """The consortium administrator invites someone to a provider as its user administrator, when nobody there can
    manage its colleagues."""
    _check_may_step_in(admin, provider)
    return accounts.send_invitation(admin, provider, email, set(accounts.STEP_IN_ROLES), now)


def step_in(admin: User, user: User, now: datetime) -> None:
    """The consortium administrator makes an existing user of a provider its user administrator."""
    provider = user.organisation
    _check_may_step_in(admin, provider)
    if not user.active:
        raise DomainError(f"{user.name}'s account is deactivated. Invite someone instead.")
    if user.has_role(USER_ADMINISTRATOR):
        return
    before = accounts.snapshot(user)
    added = {USER_ADMINISTRATOR, PROVIDER_USER} - user.roles
    user.role_rows.extend(UserRole(role=role) for role in sorted(added))
    audit.record(at=now, actor=admin, action="user.step_in", entity=user,
                 summary=f"{user.email} made user administrator of {provider.name} by the consortium administrator",
                 before=before, after=accounts.snapshot(user))
    db.session.commit()
