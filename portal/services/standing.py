"""A provider's standing on a DPS, worked out from its contract and its restrictions.

- Terminated: the contract on the DPS is terminated (only an upheld appeal reinstates it).
- Suspended: at least one active restriction of the whole provider on the DPS. Each restriction has its own
  cause and is lifted by its own rule (the service that started it lifts it), so overlapping restrictions are
  lifted one by one and the provider is back in good standing when the last one goes.
- A restriction of one setting stops new placements at that setting only; the provider is not suspended.

Standing on one DPS says nothing of another's. Every member authority of the DPS (and its lead) is told in the
portal and by e-mail when the standing changes, with the reason.

The API (nothing here commits: callers commit with their own change; `now` is naive UTC):

    contract_for(dps_id, provider_id, *, now=None) -> ProviderContract | None   # made when `now` is given
    standing_of(dps_id, provider_id) -> str; standings(dps_id, provider_ids) -> {provider_id: standing}
    active_restrictions(dps_id, provider_id) -> list[Restriction]
    restricted_setting_ids(dps_id, provider_id) -> set[int]
    restrict(..., actor, now) -> Restriction; lift(restriction, ..., actor, now); lift_for_source(source, ...)
    open_clause(dps_id, provider_column) -> SQL condition: the provider may get new invitations and awards
    terminate(contract, ..., actor, now); reinstate(contract, ..., actor, now)
    notify_members(dps, provider, *, subject, body, now, link=None)
"""

from datetime import datetime

from flask import url_for

from portal.errors import DomainError, InvalidTransition
from portal.extensions import db
from portal.models import Dps, DpsMember, Organisation, User, UserRole
from portal.models.contract import GOOD, STANDING_LABELS, SUSPENDED, TERMINATED, ProviderContract, Restriction
from portal.models.user import COMMISSIONING_OFFICER, CONTRACT_MANAGER
from portal.services import audit, mail, standing_effects

# The people at each member authority told when a provider's standing changes.
TOLD_OF_STANDING = (COMMISSIONING_OFFICER, CONTRACT_MANAGER)


def label(standing: str) -> str:
    return STANDING_LABELS[standing]


# Contracts ---------------------------------------------------------------------------------------------------

def contract_for(dps_id: int, provider_id: int, *, now: datetime | None = None) -> ProviderContract | None:
    """The provider's contract on the DPS; made (added to the session) when missing and `now` is given."""
    contract = db.session.scalar(db.select(ProviderContract).where(ProviderContract.dps_id == dps_id,
                                                                   ProviderContract.provider_id == provider_id))
    if contract is None and now is not None:
        contract = ProviderContract(dps_id=dps_id, provider_id=provider_id, created_at=now)
        db.session.add(contract)
        db.session.flush()
    return contract


# Reading standing ------------------------------------------------------------------------------------------

def _whole_provider_active(dps_id: int):
    return db.select(Restriction.provider_id).where(Restriction.dps_id == dps_id, Restriction.lifted_at.is_(None),
                                                    Restriction.setting_id.is_(None))


def _terminated(dps_id: int):
    return db.select(ProviderContract.provider_id).where(ProviderContract.dps_id == dps_id,
                                                         ProviderContract.terminated_at.is_not(None))


def standings(dps_id: int, provider_ids) -> dict[int, str]:
    """The standing of each provider on the DPS: two queries however many providers."""
    ids = set(provider_ids)
    if not ids:
        return {}
    terminated = set(db.session.scalars(_terminated(dps_id).where(ProviderContract.provider_id.in_(ids))))
    suspended = set(db.session.scalars(_whole_provider_active(dps_id).where(Restriction.provider_id.in_(ids))))
    return {provider_id: TERMINATED if provider_id in terminated else SUSPENDED if provider_id in suspended
            else GOOD for provider_id in ids}


def standing_of(dps_id: int, provider_id: int) -> str:
    return standings(dps_id, [provider_id])[provider_id]


def open_clause(dps_id, provider_column):
    """An SQL condition true when the provider (the column holding its id) may get new invitations and awards on
    the DPS: neither terminated nor suspended there. `dps_id` may be a column, for queries across DPSs."""
    suspended = db.select(Restriction.id).where(Restriction.dps_id == dps_id,
                                                Restriction.provider_id == provider_column,
                                                Restriction.setting_id.is_(None), Restriction.lifted_at.is_(None))
    terminated = db.select(ProviderContract.id).where(ProviderContract.dps_id == dps_id,
                                                      ProviderContract.provider_id == provider_column,
                                                      ProviderContract.terminated_at.is_not(None))
    return ~suspended.exists() & ~terminated.exists()


def active_restrictions(dps_id: int, provider_id: int) -> list[Restriction]:
    """The provider's active restrictions on the DPS, whole-provider ones first, oldest first."""
    return list(db.session.scalars(
        db.select(Restriction).where(Restriction.dps_id == dps_id, Restriction.provider_id == provider_id,
                                     Restriction.lifted_at.is_(None))
        .options(db.selectinload(Restriction.setting))
        .order_by(Restriction.setting_id.is_not(None), Restriction.started_at, Restriction.id)))


def restricted_setting_ids(dps_id: int, provider_id: int) -> set[int]:
    """The provider's settings where new placements are restricted on the DPS (by a setting's restriction)."""
    return set(db.session.scalars(
        db.select(Restriction.setting_id).where(Restriction.dps_id == dps_id, Restriction.provider_id == provider_id,
                                                Restriction.lifted_at.is_(None), Restriction.setting_id.is_not(None))))


def restrictions_of_source(source) -> list[Restriction]:
    """The active restrictions a record (an inspection, a notice, a sanction…) started."""
    return list(db.session.scalars(db.select(Restriction).where(
        Restriction.source_type == type(source).__tablename__, Restriction.source_id == source.id,
        Restriction.lifted_at.is_(None)).order_by(Restriction.id)))


# Changing standing -----------------------------------------------------------------------------------------

def _provider_and_dps(dps_id: int, provider_id: int) -> tuple[Dps, Organisation]:
    return db.session.get(Dps, dps_id), db.session.get(Organisation, provider_id)


def restrict(*, dps_id: int, provider_id: int, cause: str, reason: str, actor: User | None, now: datetime,
             setting_id: int | None = None, source=None) -> Restriction:
    """Start a restriction (audited); when it suspends a provider in good standing, every member is told."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Give the reason for the restriction", field="reason")
    before = standing_of(dps_id, provider_id)
    restriction = Restriction(dps_id=dps_id, provider_id=provider_id, setting_id=setting_id, cause=cause,
                              reason=reason, started_at=now, started_by_id=actor.id if actor else None,
                              source_type=type(source).__tablename__ if source is not None else None,
                              source_id=source.id if source is not None else None)
    db.session.add(restriction)
    db.session.flush()
    dps, provider = _provider_and_dps(dps_id, provider_id)
    audit.record(at=now, actor=actor, action="restriction.started", entity=restriction,
                 summary=f"{restriction.cause_label}: {restriction.scope_label.lower()} of {provider.name} "
                         f"restricted on {dps.reference}",
                 before={"standing": before},
                 after={"standing": standing_of(dps_id, provider_id), "cause": cause,
                        "setting_id": setting_id, "reason": reason})
    _tell_if_changed(dps, provider, before, reason, now)
    return restriction


def lift(restriction: Restriction, *, reason: str, actor: User | None, now: datetime) -> None:
    """Lift one restriction (audited); members are told when the provider's standing changes with it."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Give the reason for lifting the restriction", field="reason")
    before = standing_of(restriction.dps_id, restriction.provider_id)
    try:
        restriction.lift(reason, now, actor.id if actor else None)
    except InvalidTransition as error:
        raise DomainError(error.message) from None
    db.session.flush()
    dps, provider = _provider_and_dps(restriction.dps_id, restriction.provider_id)
    audit.record(at=now, actor=actor, action="restriction.lifted", entity=restriction,
                 summary=f"{restriction.cause_label}: restriction of {provider.name} on {dps.reference} lifted",
                 before={"standing": before, "active": True},
                 after={"standing": standing_of(restriction.dps_id, restriction.provider_id), "active": False,
                        "reason": reason})
    _tell_if_changed(dps, provider, before, reason, now)


def lift_for_source(source, *, reason: str, actor: User | None, now: datetime) -> list[Restriction]:
    """Lift every active restriction the record started."""
    lifted = restrictions_of_source(source)
    for restriction in lifted:
        lift(restriction, reason=reason, actor=actor, now=now)
    return lifted


def terminate(contract: ProviderContract, *, reason: str, actor: User | None, now: datetime) -> None:
    """Terminate the provider's contract on the DPS (audited; members told): it leaves every lot of the DPS, the
    lots are re-tiered and each of its placements there not yet ended gets a review request
    (standing_effects.after_termination). Live placements continue."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Give the reason for the termination", field="reason")
    before = standing_of(contract.dps_id, contract.provider_id)
    try:
        contract.terminate(reason, now)
    except InvalidTransition as error:
        raise DomainError(error.message) from None
    db.session.flush()
    audit.record(at=now, actor=actor, action="contract.terminated", entity=contract,
                 summary=f"{contract.provider.name}'s contract on {contract.dps.reference} terminated",
                 before={"standing": before}, after={"standing": TERMINATED, "reason": reason})
    standing_effects.after_termination(contract, actor=actor, now=now)
    _tell_if_changed(contract.dps, contract.provider, before, reason, now)


def reinstate(contract: ProviderContract, *, reason: str, actor: User | None, now: datetime) -> None:
    """Reverse a termination (an upheld appeal): audited, members told; the places left on termination are
    restored and the lots re-tiered (standing_effects.after_reinstatement)."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Give the reason for reinstating the contract", field="reason")
    try:
        contract.reinstate(reason, now)
    except InvalidTransition as error:
        raise DomainError(error.message) from None
    db.session.flush()
    after = standing_of(contract.dps_id, contract.provider_id)
    audit.record(at=now, actor=actor, action="contract.reinstated", entity=contract,
                 summary=f"{contract.provider.name}'s contract on {contract.dps.reference} reinstated",
                 before={"standing": TERMINATED}, after={"standing": after, "reason": reason})
    standing_effects.after_reinstatement(contract, actor=actor, now=now)
    _tell_if_changed(contract.dps, contract.provider, TERMINATED, reason, now)


# Telling the members ---------------------------------------------------------------------------------------

def member_staff(dps: Dps, roles=TOLD_OF_STANDING) -> list[User]:
    """The active people holding one of `roles` at the DPS's lead and its current member authorities (one query)."""
    authorities = db.select(DpsMember.authority_id).where(DpsMember.dps_id == dps.id, DpsMember.left_on.is_(None))
    return list(db.session.scalars(
        db.select(User).where(User.active,
                              db.or_(User.organisation_id == dps.lead_authority_id,
                                     User.organisation_id.in_(authorities)),
                              User.id.in_(db.select(UserRole.user_id).where(UserRole.role.in_(roles))))
        .order_by(User.organisation_id, User.id)))


def notify_members(dps: Dps, provider: Organisation, *, subject: str, body: str, now: datetime,
                   link: str | None = None) -> None:
    """Tell every member authority's officers and contract managers (and the lead's), in the portal and by
    e-mail: two INSERTs however many people."""
    mail.notify_many([(person, subject, body, link) for person in member_staff(dps)], at=now)


def _tell_if_changed(dps: Dps, provider: Organisation, before: str, reason: str, now: datetime) -> None:
    after = standing_of(dps.id, provider.id)
    if after == before:
        return
    notify_members(dps, provider, now=now, link=_provider_link(dps, provider),
                   subject=f"{provider.name} is now {label(after).lower()} on {dps.reference}",
                   body=f"{provider.name}'s standing on {dps.name} ({dps.reference}) changed from "
                        f"{label(before).lower()} to {label(after).lower()}.\nReason: {reason}")


def _provider_link(dps: Dps, provider: Organisation) -> str:
    return url_for("buyer.contracts_provider", dps_id=dps.id, provider_id=provider.id)
