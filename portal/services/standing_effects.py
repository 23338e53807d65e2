"""What a provider's standing on a DPS does across the portal.

The rules, in one place (standing itself is worked out in portal.services.standing):

* Suspended or terminated on a DPS: no invitation to its referrals (the tier cascade passes over the provider,
  `standing.open_clause`), no bid, no award, no application to its windows, no vacancy on its lots. Standing on
  one DPS says nothing of another's. `why_barred` gives the reason, for the messages.
* A setting restricted on the DPS is not offered (part of bidding) and a bid offering it is not awarded.
* At a round's deadline, a bid whose provider was suspended or terminated on the DPS at that moment, or whose
  setting was restricted there, is set aside with the reason: kept (never deleted), shown to the officer with the
  reason, never ranked nor awarded. The round's close (portal.services.referrals.rounds) stores it; until the
  close has run, the same rule is worked out from the restrictions' and termination's times (`set_aside_reasons`),
  so the officer reads the same before and after.
* Termination (inside `standing.terminate`, so every caller gets it): the provider leaves every lot of the DPS (its
  places kept for the record, status "left"), each lot it left is re-tiered by the engine over its remaining
  members (portal.services.outcomes.recalculate_tiers, with the weighting of the window that tiered it last) and
  the change recorded, and a review is requested for each of its placements on the DPS not yet ended. Live
  placements continue.
* Reinstatement (an upheld appeal, inside `standing.reinstate`): the places left on termination are restored with
  their status and the lots re-tiered.

Nothing here commits: the caller commits with its own change.
"""

from datetime import datetime, timedelta

from flask import url_for
from sqlalchemy.orm import selectinload
from werkzeug.routing import BuildError

from portal.extensions import db
from portal.models import (
    Bid,
    EntryWindow,
    Lot,
    LotMembership,
    Organisation,
    Placement,
    ProviderContract,
    Referral,
    ReferralRound,
    Restriction,
    TierAward,
    User,
)
from portal.models.bid import SUBMITTED
from portal.models.organisation import LEFT
from portal.models.placement import ENDED
from portal.models.user import PROVIDER_USER
from portal.services import audit, mail, outcomes, reviews
from portal.timezone import format_datetime, uk_today

# A placement's review after its provider's contract is terminated is due within so many days.
REVIEW_WITHIN_DAYS = reviews.DUE_SOON_DAYS


# Reasons -----------------------------------------------------------------------------------------------------

def why_barred(dps_id: int, provider_id: int) -> str | None:
    """Why the provider may get no new invitation, bid, award, application or vacancy on the DPS now, as a phrase
    to follow its name ("suspended on T-DPS: insurance expired"); None in good standing."""
    contract = db.session.scalar(db.select(ProviderContract).where(ProviderContract.dps_id == dps_id,
                                                                   ProviderContract.provider_id == provider_id))
    if contract is None:
        return None
    if contract.is_terminated:
        return f"terminated on {contract.dps.reference}: {contract.termination_reason.rstrip('.')}"
    reasons = db.session.scalars(db.select(Restriction.reason).where(
        Restriction.dps_id == dps_id, Restriction.provider_id == provider_id, Restriction.setting_id.is_(None),
        Restriction.lifted_at.is_(None)).order_by(Restriction.started_at, Restriction.id)).all()
    if reasons:
        return f"suspended on {contract.dps.reference}: {'; '.join(reason.rstrip('.') for reason in reasons)}"
    return None


def why_setting_restricted(dps_id: int, setting_id: int | None) -> str | None:
    """Why no new placement can be made at the setting on the DPS now; None when it may be."""
    if setting_id is None:
        return None
    reasons = db.session.scalars(db.select(Restriction.reason).where(
        Restriction.dps_id == dps_id, Restriction.setting_id == setting_id, Restriction.lifted_at.is_(None))
        .order_by(Restriction.started_at, Restriction.id)).all()
    return "; ".join(reasons) or None


def _active_at(restriction: Restriction, moment: datetime) -> bool:
    return restriction.started_at <= moment and (restriction.lifted_at is None or restriction.lifted_at > moment)


# Setting bids aside at the deadline --------------------------------------------------------------------------

def _reasons_at(bid_list: list[Bid]) -> dict[int, str]:
    """Why each bid was barred at its round's deadline, by bid id (those barred only): two queries."""
    if not bid_list:
        return {}
    referral = bid_list[0].referral
    dps_id, reference = referral.dps_id, referral.dps.reference
    latest = max(bid.round.deadline for bid in bid_list)
    provider_ids = {bid.provider_id for bid in bid_list}
    setting_ids = {bid.setting_id for bid in bid_list if bid.setting_id is not None}
    terminated = {contract.provider_id: contract for contract in db.session.scalars(
        db.select(ProviderContract).where(ProviderContract.dps_id == dps_id,
                                          ProviderContract.provider_id.in_(provider_ids),
                                          ProviderContract.terminated_at.is_not(None),
                                          ProviderContract.terminated_at <= latest))}
    restrictions = db.session.scalars(
        db.select(Restriction).where(
            Restriction.dps_id == dps_id, Restriction.started_at <= latest,
            db.or_(db.and_(Restriction.setting_id.is_(None), Restriction.provider_id.in_(provider_ids)),
                   Restriction.setting_id.in_(setting_ids)))
        .options(selectinload(Restriction.setting)).order_by(Restriction.started_at, Restriction.id)).all()
    found = {}
    for bid in bid_list:
        deadline = bid.round.deadline
        contract = terminated.get(bid.provider_id)
        whole = [r.reason for r in restrictions
                 if r.setting_id is None and r.provider_id == bid.provider_id and _active_at(r, deadline)]
        at_setting = [r for r in restrictions if r.setting_id is not None and r.setting_id == bid.setting_id
                      and _active_at(r, deadline)]
        if contract is not None and contract.terminated_at <= deadline:
            found[bid.id] = (f"{bid.provider.name}'s contract on {reference} was terminated at the deadline: "
                             f"{contract.termination_reason}")
        elif whole:
            found[bid.id] = f"{bid.provider.name} was suspended on {reference} at the deadline: {'; '.join(whole)}"
        elif at_setting:
            found[bid.id] = (f"New placements at {at_setting[0].setting.label}, the setting offered, were restricted "
                             f"on {reference} at the deadline: {'; '.join(r.reason for r in at_setting)}")
    return found


def set_aside_reasons(bid_list: list[Bid]) -> dict[int, str]:
    """Why each bid of a referral (of rounds whose deadline has passed) is set aside, by bid id: as recorded at the
    round's close, or, for a round whose close has not run yet, as the close will record it."""
    found = {bid.id: bid.set_aside_reason for bid in bid_list if bid.is_set_aside}
    pending = [bid for bid in bid_list if not bid.is_set_aside and bid.status == SUBMITTED
               and bid.round.closed_at is None]
    found.update(_reasons_at(pending))
    return found


def set_aside_at_deadline(round_: ReferralRound, now: datetime) -> int:
    """At the round's close: set aside each bid of the round whose provider was suspended or terminated on the DPS
    at the deadline, or whose setting was restricted there; audited; the provider's users told. Returns how many."""
    return set_aside_at_deadlines([round_], now)[round_.id]


def set_aside_at_deadlines(rounds: list[ReferralRound], now: datetime) -> dict[int, int]:
    """As `set_aside_at_deadline`, for rounds closing together (the scheduler's batch): how many bids each set
    aside, by round id. A fixed number of statements for each DPS the rounds are on, however many rounds and
    bids."""
    bid_list = list(db.session.scalars(
        db.select(Bid).where(Bid.round_id.in_([round_.id for round_ in rounds]), Bid.status == SUBMITTED,
                             Bid.set_aside_at.is_(None))
        .options(selectinload(Bid.provider).selectinload(Organisation.users).selectinload(User.role_rows),
                 selectinload(Bid.round))
        .order_by(Bid.id)))
    by_dps: dict[int, list[Bid]] = {}
    for bid in bid_list:
        by_dps.setdefault(bid.referral.dps_id, []).append(bid)
    reasons = {}
    for bids_on_dps in by_dps.values():
        reasons.update(_reasons_at(bids_on_dps))
    set_aside = [bid for bid in bid_list if bid.id in reasons]
    # Who is told is read before anything changes, so the changes below are flushed together: one statement a table.
    told = [(user, f"Referral {bid.referral.reference}: your bid was set aside",
             f"Your bid for referral {bid.referral.reference} was set aside at the deadline "
             f"{format_datetime(bid.round.deadline)} and will not be considered.\nReason: {reasons[bid.id]}",
             _provider_link(bid.referral))
            for bid in set_aside for user in bid.provider.users if user.is_active and user.has_role(PROVIDER_USER)]
    if set_aside:
        # One UPDATE however many bids (executemany), the version moved on as the ORM would.
        table = Bid.__table__
        db.session.execute(
            db.update(table).where(table.c.id == db.bindparam("bid_id"), table.c.set_aside_at.is_(None))
            .values(set_aside_at=db.bindparam("deadline"), set_aside_reason=db.bindparam("reason"),
                    version=table.c.version + 1),
            [{"bid_id": bid.id, "reason": reasons[bid.id], "deadline": bid.round.deadline} for bid in set_aside])
        audit.record_many([_set_aside_event(round_, bids_of_round, reasons, now) for round_ in rounds
                           if (bids_of_round := [bid for bid in set_aside if bid.round_id == round_.id])])
        for bid in set_aside:
            db.session.expire(bid, ["set_aside_at", "set_aside_reason", "version"])
    mail.notify_many(told, at=now)
    counts = {round_.id: 0 for round_ in rounds}
    for bid in bid_list:
        if bid.id in reasons:
            counts[bid.round_id] += 1
    return counts


def _set_aside_event(round_: ReferralRound, set_aside: list[Bid], reasons: dict[int, str], now: datetime) -> dict:
    referral = round_.referral
    names = ", ".join(bid.provider.name for bid in set_aside)
    return dict(at=now, actor=None, action="bid.set_aside", entity=referral,
                summary=f"Referral {referral.reference}: {len(set_aside)} "
                        f"bid{'s' if len(set_aside) != 1 else ''} set aside at the deadline "
                        f"{format_datetime(round_.deadline)}: {names}",
                after={"set_aside_at": round_.deadline,
                       "bids": {str(bid.id): reasons[bid.id] for bid in set_aside}})


def _provider_link(referral: Referral) -> str:
    try:
        return url_for("supplier.referral", referral_id=referral.id)
    except BuildError:  # the providers' pages are not registered (a bare app in a script)
        return f"/provider/referrals/{referral.id}"


# Termination and reinstatement -------------------------------------------------------------------------------

def _memberships_on(contract: ProviderContract, statuses) -> list[LotMembership]:
    return list(db.session.scalars(
        db.select(LotMembership).join(Lot, Lot.id == LotMembership.lot_id)
        .where(Lot.dps_id == contract.dps_id, LotMembership.provider_id == contract.provider_id,
               LotMembership.status.in_(statuses))
        .options(selectinload(LotMembership.lot)).order_by(Lot.number)))


def _lines_of(lot_ids: list[int]) -> dict[tuple[int, int], dict[int, tuple[int, int | None]]]:
    """Each provider's rank and tier in the current tier table of each category of the lots:
    {(lot id, category id): {provider id: (rank, tier)}}."""
    lines: dict[tuple[int, int], dict[int, tuple[int, int | None]]] = {}
    for lot_id, category_id, provider_id, rank, tier in db.session.execute(
            db.select(TierAward.lot_id, TierAward.category_id, TierAward.provider_id, TierAward.rank, TierAward.tier)
            .where(TierAward.lot_id.in_(lot_ids), TierAward.current.is_(True))):
        lines.setdefault((lot_id, category_id), {})[provider_id] = (rank, tier)
    return lines


def _retier(lots: list[Lot], *, why: str, actor: User | None, now: datetime) -> dict[str, int]:
    """Re-tier each lot over its current members by the engine, with the weighting of the window that tiered it
    last (a lot never tiered in the portal has no scores to rank on and keeps its places), and record each line of
    its tier tables that changed (rank and tier, before and after). Returns how many changed, by lot label."""
    lot_ids = [lot.id for lot in lots]
    if not lot_ids:
        return {}
    db.session.flush()
    before = _lines_of(lot_ids)
    last_window = dict(db.session.execute(
        db.select(TierAward.lot_id, db.func.max(TierAward.window_id))
        .where(TierAward.lot_id.in_(lot_ids), TierAward.window_id.is_not(None))
        .group_by(TierAward.lot_id)).all())
    for lot in lots:
        if lot.id in last_window:
            outcomes.recalculate_tiers(lot, db.session.get(EntryWindow, last_window[lot.id]), now)
    db.session.flush()
    after = _lines_of(lot_ids)
    moved = {}
    for lot in lots:
        keys = {key for key in (*before, *after) if key[0] == lot.id}
        changes = {f"{category_id}:{provider_id}": {"before": before.get((lot_id, category_id), {}).get(provider_id),
                                                    "after": after.get((lot_id, category_id), {}).get(provider_id)}
                   for lot_id, category_id in sorted(keys)
                   for provider_id in {*before.get((lot_id, category_id), {}), *after.get((lot_id, category_id), {})}
                   if before.get((lot_id, category_id), {}).get(provider_id)
                   != after.get((lot_id, category_id), {}).get(provider_id)}
        moved[lot.label] = len(changes)
        audit.record(at=now, actor=actor, action="lot.retiered", entity=lot,
                     summary=f"{lot.dps.reference} {lot.label} re-tiered after {why}: "
                             f"{len(changes)} line{'s' if len(changes) != 1 else ''} of its tier tables changed",
                     after={"why": why, "changed": changes})
    return moved


def after_termination(contract: ProviderContract, *, actor: User | None, now: datetime) -> None:
    """The provider leaves every lot of the DPS, the lots are re-tiered, and every placement with it on the DPS not
    yet ended gets a review request. Called by standing.terminate."""
    left = _memberships_on(contract, ("admitted", "place_with_caution"))
    for membership in left:
        membership.leave(now)
    provider, dps = contract.provider, contract.dps
    if left:
        audit.record(at=now, actor=actor, action="contract.lots_left", entity=contract,
                     summary=f"{provider.name} left {len(left)} lot{'s' if len(left) != 1 else ''} of "
                             f"{dps.reference} on termination",
                     after={"lots": [membership.lot.label for membership in left]})
    _retier([membership.lot for membership in left], why=f"{provider.name}'s contract was terminated",
            actor=actor, now=now)
    today = uk_today(now)
    placement_ids = db.session.scalars(
        db.select(Placement.id).join(Lot, Lot.id == Placement.lot_id)
        .where(Lot.dps_id == contract.dps_id, Placement.provider_id == contract.provider_id,
               db.not_(Placement.status_clause(ENDED, today)))).all()
    count = reviews.request_reviews(placement_ids, due_on=today + timedelta(days=REVIEW_WITHIN_DAYS), source=contract,
                                    reason=f"{provider.name}'s contract on {dps.reference} was terminated", now=now)
    if count:
        audit.record(at=now, actor=actor, action="contract.reviews_requested", entity=contract,
                     summary=f"Review requested of {count} placement{'s' if count != 1 else ''} with {provider.name} "
                             f"on {dps.reference} after the termination", after={"placements": count})


def after_reinstatement(contract: ProviderContract, *, actor: User | None, now: datetime) -> None:
    """The places left on termination are restored with their status and the lots re-tiered. Called by
    standing.reinstate."""
    restored = _memberships_on(contract, (LEFT,))
    for membership in restored:
        membership.restore()
    if restored:
        audit.record(at=now, actor=actor, action="contract.lots_restored", entity=contract,
                     summary=f"{contract.provider.name}'s places on {len(restored)} lot"
                             f"{'s' if len(restored) != 1 else ''} of {contract.dps.reference} restored on "
                             "reinstatement",
                     after={"lots": {membership.lot.label: membership.status for membership in restored}})
    _retier([membership.lot for membership in restored],
            why=f"{contract.provider.name}'s contract was reinstated", actor=actor, now=now)


# The register ------------------------------------------------------------------------------------------------

def standings_by_provider(provider_ids, dps_ids) -> dict[int, list[tuple[ProviderContract, str]]]:
    """Each provider's contracts on these DPSs with its standing there, by provider id: two queries."""
    ids, dps_ids = set(provider_ids), list(dps_ids)
    if not ids or not dps_ids:
        return {}
    contracts = db.session.scalars(
        db.select(ProviderContract).where(ProviderContract.provider_id.in_(ids), ProviderContract.dps_id.in_(dps_ids))
        .options(selectinload(ProviderContract.dps)).order_by(ProviderContract.dps_id)).all()
    suspended = {(provider_id, dps_id) for provider_id, dps_id in db.session.execute(
        db.select(Restriction.provider_id, Restriction.dps_id).where(
            Restriction.provider_id.in_(ids), Restriction.dps_id.in_(dps_ids), Restriction.setting_id.is_(None),
            Restriction.lifted_at.is_(None)))}
    found: dict[int, list[tuple[ProviderContract, str]]] = {}
    for contract in contracts:
        state = ("terminated" if contract.is_terminated
                 else "suspended" if (contract.provider_id, contract.dps_id) in suspended else "good")
        found.setdefault(contract.provider_id, []).append((contract, state))
    return found


def standing_clause(standing_key: str, dps_ids):
    """An SQL condition on Organisation: the provider has that standing on at least one of the DPSs."""
    whole_active = db.select(Restriction.id).where(
        Restriction.dps_id == ProviderContract.dps_id, Restriction.provider_id == ProviderContract.provider_id,
        Restriction.setting_id.is_(None), Restriction.lifted_at.is_(None)).exists()
    condition = {"terminated": ProviderContract.terminated_at.is_not(None),
                 "suspended": db.and_(ProviderContract.terminated_at.is_(None), whole_active),
                 "good": db.and_(ProviderContract.terminated_at.is_(None), ~whole_active)}[standing_key]
    return db.select(ProviderContract.id).where(ProviderContract.provider_id == Organisation.id,
                                                ProviderContract.dps_id.in_(dps_ids), condition).exists()

