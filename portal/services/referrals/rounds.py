"""The rounds of a published referral: closing them at their deadlines, re-opening to the next tier of the
cascade, and marking a referral exhausted when every tier has been approached."""

import logging
from datetime import datetime

from portal.errors import DomainError
from portal.extensions import db
from portal.models import (
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


def _officers_of(authority_id: int) -> list[User]:
    users = db.session.scalars(db.select(User).where(User.organisation_id == authority_id, User.active.is_(True))
                               .order_by(User.id)).all()
    return [user for user in users if user.has_role(COMMISSIONING_OFFICER)]


def _close_round(round_: ReferralRound, now: datetime) -> str:
    referral = round_.referral
    round_.closed_at = now
    set_aside = standing_effects.set_aside_at_deadline(round_, now)
    live = referral.withdrawn_at is None
    if live:
        for officer in _officers_of(referral.authority_id):
            mail.notify(officer, at=now, link=_officer_link(referral),
                        subject=f"Referral {referral.reference}: bids can now be opened",
                        body=f"{round_.label} of referral {referral.reference} ({referral.lot.label}) closed on "
                             f"{format_datetime(round_.deadline)}. The bids can now be opened and weighed.")
    audit.record(at=now, actor=None, action="referral.round_closed", entity=referral,
                 summary=f"Referral {referral.reference}: {round_.label.lower()} closed at its deadline "
                         f"{format_datetime(round_.deadline)}",
                 after={"round": round_.number, "bids_set_aside": set_aside})
    return f"closed referral {referral.reference} {round_.label.lower()}" + (
        f", {set_aside} bid{'s' if set_aside != 1 else ''} set aside" if set_aside else "")


def run_due(now: datetime) -> list[str]:
    """Close every round whose deadline has passed and tell the referring officers. Idempotent; catches up on
    rounds missed while nothing ran; one failing referral does not stop the others."""
    done = []
    due = db.session.scalars(db.select(ReferralRound.id).where(ReferralRound.closed_at.is_(None),
                                                                ReferralRound.deadline <= now)
                             .order_by(ReferralRound.deadline, ReferralRound.id)).all()
    for round_id in due:
        try:
            round_ = db.session.get(ReferralRound, round_id)
            if round_ is None or round_.closed_at is not None:
                continue
            done.append(_close_round(round_, now))
            db.session.commit()
        except Exception:  # one bad record must not stop the rest; it is retried on the next run
            db.session.rollback()
            log.exception("closing referral round %s failed", round_id)
            done.append(f"failed to close referral round {round_id}")
    return done
