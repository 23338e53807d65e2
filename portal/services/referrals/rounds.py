"""The rounds of a published referral: closing them at their deadlines, re-opening to the next tier of the
cascade, and marking a referral exhausted when every tier has been approached."""

import logging
from datetime import datetime

from sqlalchemy.orm import selectinload

from portal.errors import DomainError
from portal.extensions import db
from portal.models import (
    Lot,
    Referral,
    ReferralRound,
    User,
)
from portal.models.referral import (
    CLOSED,
)
from portal.models.user import COMMISSIONING_OFFICER
from portal.services import audit, mail, standing_effects
from portal.services.referrals.drafting import _commit, _require_officer
from portal.services.referrals.invitations import (
    _first_tier_with_providers,
    _invited,
    _officer_link,
    _open_round,
    _require_deadline,
    next_tier,
)
from portal.timezone import format_datetime

log = logging.getLogger("portal.referrals")
BATCH_SIZE = 500  # rounds closed in one transaction


def _require_closed(referral: Referral, now: datetime, action: str) -> None:
    referral.require_status(now, CLOSED, action=action)


def reopen_to_next_tier(officer: User, referral: Referral, *, deadline: datetime | None,
                        now: datetime) -> ReferralRound:
    """Invite the next tier with providers, once the current round has closed without an award. Earlier
    invitations and bids stay."""
    _require_officer(officer, referral)
    _require_closed(referral, now, "re-open this referral")
    current = referral.current_round
    tier, memberships = (None, []) if current.tier is None else _first_tier_with_providers(referral, current.tier)
    if not memberships:
        raise DomainError("Every tier has been approached: mark the referral as exhausted", field="reopen")
    deadline = _require_deadline(deadline, now)
    skipped = list(range(current.tier + 1, tier))
    round_ = _open_round(officer, referral, tier=tier, memberships=memberships, deadline=deadline, now=now)
    referral.updated_at = now
    audit.record(at=now, actor=officer, action="referral.reopened", entity=referral,
                 summary=f"Referral {referral.reference} re-opened to {_invited(round_, memberships, skipped)}",
                 after={"round": round_.number, "tier": tier, "deadline": deadline, "skipped_tiers": skipped,
                        "invited": [m.provider_id for m in memberships]})
    _commit()
    return round_


def mark_exhausted(officer: User, referral: Referral, now: datetime) -> None:
    """Record that the framework could not place the child: every tier approached, no award. Opens the way to an
    off-framework search."""
    _require_officer(officer, referral)
    _require_closed(referral, now, "mark this referral as exhausted")
    if next_tier(referral) is not None:
        raise DomainError(f"Tier {next_tier(referral)} has not been approached yet: re-open the referral to it "
                          "before marking it as exhausted", field="exhaust")
    referral.exhausted_at = now
    referral.updated_at = now
    audit.record(at=now, actor=officer, action="referral.exhausted", entity=referral,
                 summary=f"Referral {referral.reference}: the framework is exhausted after "
                         f"{len(referral.rounds)} round{'s' if len(referral.rounds) != 1 else ''}")
    _commit()


def _officers_by_authority(authority_ids: set[int]) -> dict[int, list[User]]:
    """The active commissioning officers of each authority, in one query."""
    officers: dict[int, list[User]] = {authority_id: [] for authority_id in authority_ids}
    for user in db.session.scalars(db.select(User).where(User.organisation_id.in_(authority_ids),
                                                         User.active.is_(True)).order_by(User.id)):
        if user.has_role(COMMISSIONING_OFFICER):
            officers[user.organisation_id].append(user)
    return officers


def _claim(round_ids: list[int], now: datetime) -> list[int]:
    """Mark the rounds closed, each only if no one else has: the ids this call closed. A second scheduler running
    at the same moment waits for the first's transaction and then finds them closed."""
    table = ReferralRound.__table__
    return list(db.session.scalars(
        db.update(table).where(table.c.id.in_(round_ids), table.c.closed_at.is_(None)).values(closed_at=now)
        .returning(table.c.id)))


def _close_rounds(round_ids: list[int], now: datetime) -> list[str]:
    """Close the rounds not yet closed: set aside the bids barred at the deadline, tell the referring officers of
    each live referral, audit each close. A fixed number of statements however many rounds (for their DPSs)."""
    claimed = _claim(round_ids, now)
    if not claimed:
        return []
    rounds = db.session.scalars(
        db.select(ReferralRound).where(ReferralRound.id.in_(claimed))
        .options(selectinload(ReferralRound.referral).selectinload(Referral.lot).selectinload(Lot.categories),
                 selectinload(ReferralRound.referral).selectinload(Referral.dps))
        .order_by(ReferralRound.deadline, ReferralRound.id)).all()
    set_aside = standing_effects.set_aside_at_deadlines(rounds, now)
    deadlines = {round_.id: format_datetime(round_.deadline) for round_ in rounds}
    live = [round_ for round_ in rounds if round_.referral.withdrawn_at is None]
    officers = _officers_by_authority({round_.referral.authority_id for round_ in live})
    notices = []
    for round_ in live:
        referral = round_.referral
        notices += [(officer, f"Referral {referral.reference}: bids can now be opened",
                     f"{round_.label} of referral {referral.reference} ({referral.lot.label}) closed on "
                     f"{deadlines[round_.id]}. The bids can now be opened and weighed.",
                     _officer_link(referral))
                    for officer in officers[referral.authority_id]]
    mail.notify_many(notices, at=now)
    audit.record_many([dict(at=now, actor=None, action="referral.round_closed", entity=round_.referral,
                            summary=f"Referral {round_.referral.reference}: {round_.label.lower()} closed at its "
                                    f"deadline {deadlines[round_.id]}",
                            after={"round": round_.number, "bids_set_aside": set_aside[round_.id]})
                       for round_ in rounds])
    done = []
    for round_ in rounds:
        referral, count = round_.referral, set_aside[round_.id]
        done.append(f"closed referral {referral.reference} {round_.label.lower()}" + (
            f", {count} bid{'s' if count != 1 else ''} set aside" if count else ""))
    return done


def run_due(now: datetime, *, batch_size: int = BATCH_SIZE) -> list[str]:
    """Close every round whose deadline has passed and tell the referring officers, `batch_size` rounds a
    transaction. Idempotent, and each round is closed once even when two schedulers run at once; catches up on
    rounds missed while nothing ran; a batch that fails is retried round by round, so one failing referral does
    not stop the others (it is tried again on the next run)."""
    done, failed = [], set()
    while True:
        query = (db.select(ReferralRound.id)
                 .where(ReferralRound.closed_at.is_(None), ReferralRound.deadline <= now)
                 .order_by(ReferralRound.deadline, ReferralRound.id).limit(batch_size)
                 # PostgreSQL: waits for a bid being sent at the deadline (it holds its round) and for another
                 # scheduler's batch, whose rounds it then finds closed (SQLite has no row locks).
                 .with_for_update())
        if failed:
            query = query.where(ReferralRound.id.not_in(failed))
        batch = db.session.scalars(query).all()
        if not batch:
            return done
        closed, failed_now = _close_batch(batch, now)
        done += closed
        failed.update(failed_now)


def _close_batch(round_ids: list[int], now: datetime) -> tuple[list[str], list[int]]:
    """Close the rounds in one transaction, else one by one: what was done, and the rounds that failed."""
    try:
        done = _close_rounds(round_ids, now)
        db.session.commit()
        return done, []
    except Exception:  # one bad record must not stop the rest: close the batch's rounds one by one
        db.session.rollback()
        log.exception("closing referral rounds %s to %s together failed", round_ids[0], round_ids[-1])
    done, failed = [], []
    for round_id in round_ids:
        try:
            done += _close_rounds([round_id], now)
            db.session.commit()
        except Exception:  # retried on the next run
            db.session.rollback()
            log.exception("closing referral round %s failed", round_id)
            done.append(f"failed to close referral round {round_id}")
            failed.append(round_id)
    return done, failed
