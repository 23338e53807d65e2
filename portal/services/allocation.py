"""Allocating providers to contract managers: the consortium administrator gives each provider's contract on a
DPS to one contract manager, at the lead authority or at a current member authority (NE7 gives each member three
or four providers to monitor).

The rules, in one place:

* Only the administrators of the DPS's lead authority list and change its allocations (others: NotFound).
* The contract manager is an active user holding the contract manager role at the lead or a member that has not
  left the DPS.
* A change is audited with the contract before and after, and the new contract manager is told in the portal
  and by e-mail (the one it was taken from too). Choosing the same person again, or saving a page that is out of
  date (the contract's version), changes nothing and says why.
"""

from dataclasses import dataclass
from datetime import datetime

from flask import url_for
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from portal.errors import DomainError, NotFound
from portal.extensions import db
from portal.models import Dps, DpsMember, Organisation, ProviderContract, User, UserRole
from portal.models.contract import GOOD, SUSPENDED, TERMINATED, Restriction
from portal.models.user import ADMINISTRATOR, CONTRACT_MANAGER
from portal.services import audit, mail
from portal.services.listing import cleaned, matching

PER_PAGE = 25
UNALLOCATED = "none"
STALE = "This allocation was changed by someone else since you opened the page. Check it and choose again."


@dataclass
class AllocationRow:
    contract: ProviderContract
    standing: str


def may_allocate(user: User, dps: Dps) -> bool:
    return user.has_role(ADMINISTRATOR) and user.organisation_id == dps.lead_authority_id


def dps_for_allocation(user: User, dps_id: int) -> Dps:
    dps = db.session.get(Dps, dps_id)
    if dps is None or not may_allocate(user, dps):
        raise NotFound()
    return dps


def contract_for_allocation(user: User, dps: Dps, contract_id: int) -> ProviderContract:
    contract = db.session.get(ProviderContract, contract_id)
    if contract is None or contract.dps_id != dps.id or not may_allocate(user, dps):
        raise NotFound()
    return contract


def eligible_managers(dps: Dps) -> list[User]:
    """The active contract managers at the DPS's lead and its current member authorities (one query)."""
    authorities = db.select(DpsMember.authority_id).where(DpsMember.dps_id == dps.id, DpsMember.left_on.is_(None))
    return list(db.session.scalars(
        db.select(User).join(Organisation, Organisation.id == User.organisation_id)
        .where(User.active, db.or_(User.organisation_id == dps.lead_authority_id,
                                   User.organisation_id.in_(authorities)),
               User.id.in_(db.select(UserRole.user_id).where(UserRole.role == CONTRACT_MANAGER)))
        .options(selectinload(User.organisation))
        .order_by(Organisation.name, User.name, User.id)))


def standing_expression(contract=ProviderContract):
    """The standing of each contract as an SQL expression (terminated, suspended or good), for filters."""
    suspended = db.select(Restriction.id).where(Restriction.dps_id == contract.dps_id,
                                                Restriction.provider_id == contract.provider_id,
                                                Restriction.setting_id.is_(None), Restriction.lifted_at.is_(None))
    return db.case((contract.terminated_at.is_not(None), TERMINATED), (suspended.exists(), SUSPENDED), else_=GOOD)


def standings_of(contracts) -> dict[int, str]:
    """The standing of each contract, by contract id: one query whatever the number of contracts or DPSs."""
    ids = [contract.id for contract in contracts]
    if not ids:
        return {}
    return dict(db.session.execute(db.select(ProviderContract.id, standing_expression())
                                   .where(ProviderContract.id.in_(ids))).all())


def filtered(query, *, manager: str | None, standing: str | None, search: str):
    """`manager` a user id or UNALLOCATED; `standing` good, suspended or terminated; `search` the provider's
    name or URN."""
    if manager == UNALLOCATED:
        query = query.where(ProviderContract.contract_manager_id.is_(None))
    elif manager and manager.isdecimal():
        query = query.where(ProviderContract.contract_manager_id == int(manager))
    if standing in (GOOD, SUSPENDED, TERMINATED):
        query = query.where(standing_expression() == standing)
    search = cleaned(search)
    if search:
        query = query.where(ProviderContract.provider_id.in_(
            db.select(Organisation.id).where(matching(search, [Organisation.name, Organisation.ofsted_urn]))))
    return query


def allocations(user: User, dps: Dps, *, manager: str | None, standing: str | None, search: str, page: int):
    """The DPS's contracts, by provider name, a page at a time, with each one's standing."""
    if not may_allocate(user, dps):
        raise NotFound()
    query = filtered(db.select(ProviderContract).join(Organisation, Organisation.id == ProviderContract.provider_id)
                     .where(ProviderContract.dps_id == dps.id),
                     manager=manager, standing=standing, search=search)
    result = db.paginate(query.options(selectinload(ProviderContract.provider),
                                       selectinload(ProviderContract.contract_manager)
                                       .selectinload(User.organisation))
                         .order_by(Organisation.name, ProviderContract.id),
                         page=page, per_page=PER_PAGE, error_out=False)
    standings = standings_of(result.items)
    result.rows = [AllocationRow(contract, standings[contract.id]) for contract in result.items]
    return result


def allocate(user: User, contract: ProviderContract, *, manager_id: int | None, version: int | None,
             now: datetime) -> ProviderContract:
    """Give the contract to a contract manager (audited; the new and the previous one told). Commits."""
    dps = contract.dps
    if not may_allocate(user, dps):
        raise NotFound()
    manager = next((person for person in eligible_managers(dps) if person.id == manager_id), None)
    if manager is None:
        raise DomainError("Choose a contract manager at the lead authority or a member authority", field="manager")
    if version is not None and version != contract.version:
        raise DomainError(STALE)
    if contract.contract_manager_id == manager.id:
        raise DomainError(f"{contract.provider.name} is already allocated to {manager.name}", field="manager")
    previous = contract.contract_manager
    contract.contract_manager_id, contract.allocated_at, contract.allocated_by_id = manager.id, now, user.id
    try:
        db.session.flush()
    except StaleDataError:
        db.session.rollback()
        raise DomainError(STALE) from None
    audit.record(at=now, actor=user, action="contract.allocated", entity=contract,
                 summary=f"{contract.provider.name} on {dps.reference} allocated to {manager.name} "
                         f"({manager.organisation.name})",
                 before={"contract_manager_id": previous.id if previous else None},
                 after={"contract_manager_id": manager.id})
    link = url_for("buyer.contracts_provider", dps_id=dps.id, provider_id=contract.provider_id)
    mail.notify(manager, subject=f"You are now the contract manager of {contract.provider.name} on {dps.reference}",
                body=f"{user.name} ({user.organisation.name}) allocated {contract.provider.name}'s contract on "
                     f"{dps.name} ({dps.reference}) to you. It is on your contracts dashboard.", at=now, link=link)
    if previous is not None and previous.is_active:
        mail.notify(previous, subject=f"{contract.provider.name} on {dps.reference} is now monitored by {manager.name}",
                    body=f"{user.name} allocated {contract.provider.name}'s contract on {dps.reference} to "
                         f"{manager.name} ({manager.organisation.name}).", at=now, link=link)
    db.session.commit()
    return contract


def contracts_of_provider(user: User, provider: Organisation) -> list[AllocationRow]:
    """The provider's contracts on the DPSs the user's authority leads, with standing and contract manager: for the
    administrator's provider page."""
    contracts = list(db.session.scalars(
        db.select(ProviderContract).join(Dps, Dps.id == ProviderContract.dps_id)
        .where(ProviderContract.provider_id == provider.id, Dps.lead_authority_id == user.organisation_id)
        .options(selectinload(ProviderContract.dps),
                 selectinload(ProviderContract.contract_manager).selectinload(User.organisation))
        .order_by(Dps.reference)))
    standings = standings_of(contracts)
    return [AllocationRow(contract, standings[contract.id]) for contract in contracts]
