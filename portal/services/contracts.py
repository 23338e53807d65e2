"""Reading a provider's contract on a DPS: who may see it and what its page is built from.

Every member authority of the DPS (and its lead) sees a provider's contract record: its standing with the reason
for each active restriction, its contract manager, its settings and its live placements by authority. The
provider sees its own (portal.services.contracts.own_contracts). Other organisations get NotFound.

The rules that change a contract live in their own modules: standing and restrictions (portal.services.standing),
allocation, compliance, sanctions and appeals, annual reviews.
"""

import importlib
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.orm import selectinload

from portal.errors import NotFound
from portal.extensions import db
from portal.models import (
    CategoryMembership,
    Dps,
    DpsMember,
    Lot,
    LotMembership,
    Organisation,
    Placement,
    ProviderContract,
    Referral,
    Restriction,
    Setting,
    User,
)
from portal.models.user import (
    ASSISTANT_DIRECTOR,
    BUDGET_HOLDER,
    COMMISSIONING_OFFICER,
    CONTRACT_MANAGER,
    HEAD_OF_SERVICE,
)
from portal.services import standing
from portal.timezone import uk_today

# Who at a member authority reads providers' contract records.
CONTRACT_READERS = (COMMISSIONING_OFFICER, CONTRACT_MANAGER, BUDGET_HOLDER, HEAD_OF_SERVICE, ASSISTANT_DIRECTOR)


@dataclass
class Due:
    """Something due about a provider's contract, for its contract manager's dashboard: the monthly Ofsted review,
    an action of a notice to improve, an annual review… `due_on` None: due now, with no set date."""

    contract_id: int
    what: str
    due_on: date | None
    overdue: bool
    link: str


# The modules that report what is due on contracts: "module:function", each called with (contract_ids, now) and
# returning a list of Due, in a few queries whatever the number of contracts.
DUE_SOURCES: tuple[str, ...] = (
    "portal.services.annual_reviews:dues",
    "portal.services.compliance:dues",
    "portal.services.ladder:dues",
)


def dues(contract_ids, now) -> dict[int, list[Due]]:
    """Everything due on each contract, overdue first, then by date."""
    found: dict[int, list[Due]] = {contract_id: [] for contract_id in contract_ids}
    for reference in DUE_SOURCES:
        module_name, function_name = reference.split(":")
        for due in getattr(importlib.import_module(module_name), function_name)(list(found), now):
            found.setdefault(due.contract_id, []).append(due)
    for items in found.values():
        items.sort(key=lambda due: (not due.overdue, due.due_on or date.min, due.what))
    return found


@dataclass
class ContractRecord:
    contract: ProviderContract
    standing: str
    restrictions: list[Restriction]
    settings: list[Setting]
    live_by_authority: list[tuple[str, int]] = field(default_factory=list)  # (authority name, live placements)
    places: list[LotMembership] = field(default_factory=list)  # its places on the DPS's lots, with their tiers

    @property
    def standing_label(self) -> str:
        return standing.label(self.standing)

    @property
    def provider(self) -> Organisation:
        return self.contract.provider

    @property
    def dps(self) -> Dps:
        return self.contract.dps


def may_read(user: User, dps: Dps) -> bool:
    """The user works at the DPS's lead or a current member, in a role that reads contracts."""
    if user.organisation.is_provider or not user.has_role(*CONTRACT_READERS):
        return False
    if dps.lead_authority_id == user.organisation_id:
        return True
    return db.session.scalar(db.select(DpsMember.id).where(
        DpsMember.dps_id == dps.id, DpsMember.authority_id == user.organisation_id,
        DpsMember.left_on.is_(None))) is not None


def manages(user: User, contract: ProviderContract) -> bool:
    """The user acts as the contract's manager (opens contract reviews, proposes and reviews sanctions, records
    actions done): the contract manager the consortium administrator allocated it to, while their authority is
    on the DPS, or a contract manager of the DPS's lead, who covers every contract of its DPS (one not yet
    allocated, or whose manager is away). A member's other contract managers read the contract but do not act."""
    if user.organisation.is_provider or not user.has_role(CONTRACT_MANAGER):
        return False
    if user.organisation_id == contract.dps.lead_authority_id:
        return True
    return contract.contract_manager_id == user.id and may_read(user, contract.dps)


def contract_of(user: User, dps_id: int, provider_id: int) -> ProviderContract:
    """The provider's contract on the DPS, for a reader at the DPS's lead or a member; NotFound otherwise."""
    contract = db.session.scalar(db.select(ProviderContract).where(
        ProviderContract.dps_id == dps_id, ProviderContract.provider_id == provider_id))
    if contract is None or not may_read(user, contract.dps):
        raise NotFound()
    return contract


def own_contract(user: User, dps_id: int) -> ProviderContract:
    """The user's provider's contract on the DPS; NotFound for a DPS it has none on."""
    contract = db.session.scalar(db.select(ProviderContract).where(
        ProviderContract.dps_id == dps_id, ProviderContract.provider_id == user.organisation_id))
    if contract is None or not user.organisation.is_provider:
        raise NotFound()
    return contract


def own_contracts(user: User) -> list[ProviderContract]:
    """The user's provider's contracts, one per DPS it is on."""
    if not user.organisation.is_provider:
        return []
    return list(db.session.scalars(db.select(ProviderContract).where(
        ProviderContract.provider_id == user.organisation_id)
        .options(db.selectinload(ProviderContract.dps)).order_by(ProviderContract.dps_id)))


def settings_of(provider_id: int) -> list[Setting]:
    return list(db.session.scalars(db.select(Setting).where(Setting.provider_id == provider_id)
                                   .order_by(Setting.closed_at.is_not(None), Setting.name, Setting.id)))


def record(contract: ProviderContract, now) -> ContractRecord:
    """What the contract's page shows, in a few queries whatever the number of placements."""
    today = uk_today(now)
    live = db.session.execute(
        db.select(Organisation.name, db.func.count(Placement.id))
        .join(Organisation, Organisation.id == Placement.authority_id)
        .join(Referral, Referral.id == Placement.referral_id)
        .where(Placement.provider_id == contract.provider_id, Referral.dps_id == contract.dps_id,
               Placement.start_date <= today, db.or_(Placement.end_date.is_(None), Placement.end_date > today))
        .group_by(Organisation.name).order_by(Organisation.name)).all()
    return ContractRecord(contract=contract, standing=standing.standing_of(contract.dps_id, contract.provider_id),
                          restrictions=standing.active_restrictions(contract.dps_id, contract.provider_id),
                          settings=settings_of(contract.provider_id),
                          live_by_authority=[(name, count) for name, count in live],
                          places=places_on(contract.dps_id, contract.provider_id))


def places_on(dps_id: int, provider_id: int) -> list[LotMembership]:
    """The provider's places on the DPS's lots, by lot number, each with its tier in every age category it holds:
    what tier it is in now, after any re-tiering since its outcome letter."""
    return db.session.scalars(
        db.select(LotMembership).join(Lot, Lot.id == LotMembership.lot_id)
        .where(Lot.dps_id == dps_id, LotMembership.provider_id == provider_id)
        .options(selectinload(LotMembership.lot).selectinload(Lot.categories),
                 selectinload(LotMembership.categories).selectinload(CategoryMembership.category))
        .order_by(Lot.number)).all()
