"""Inviting providers: which tier of the lot is next, who in it may be invited, and opening a round to them
with their invitations and e-mails."""

from datetime import datetime

from flask import url_for
from sqlalchemy.orm import selectinload
from werkzeug.routing import BuildError

from portal.errors import DomainError
from portal.extensions import db
from portal.models import (
    AgeCategory,
    BidInvitation,
    CategoryMembership,
    LotMembership,
    Organisation,
    Referral,
    ReferralRound,
    User,
)
from portal.models.referral import (
    MORE_THAN_5_DAYS,
    TODAY,
    WITHIN_5_DAYS,
)
from portal.models.user import PROVIDER_USER
from portal.services import mail, standing
from portal.timezone import format_datetime

INVITABLE_MEMBERSHIP = ("admitted", "place_with_caution")
CAUTION = "place_with_caution"
URGENCY_PHRASES = {TODAY: "today", WITHIN_5_DAYS: "within 5 days", MORE_THAN_5_DAYS: "in more than 5 days"}


def category_of(referral: Referral) -> AgeCategory | None:
    """The age category the referral goes to: fixed at publication, else the one of the child's age (None while
    the age is missing or outside the lot's ages)."""
    if referral.category_id is not None:
        return referral.category
    return referral.lot.category_for(referral.age_years)


def _tiers(category: AgeCategory) -> list[int | None]:
    return list(range(1, category.tiers + 1)) if category.tiers else [None]


def eligible_memberships(referral: Referral, tier: int | None) -> list[CategoryMembership]:
    """Providers in the referral's age category, in the tier (every tier when None), who may be invited now and
    were not invited before: admitted or to be placed with caution on the lot, neither suspended nor terminated on
    the referral's DPS (standing per DPS: on another DPS it says nothing)."""
    category = category_of(referral)
    if category is None:
        return []
    invited = db.select(BidInvitation.provider_id).where(BidInvitation.referral_id == referral.id)
    query = (db.select(CategoryMembership)
             .join(LotMembership, LotMembership.id == CategoryMembership.membership_id)
             .join(Organisation, Organisation.id == LotMembership.provider_id)
             .where(CategoryMembership.category_id == category.id, LotMembership.lot_id == referral.lot_id,
                    LotMembership.status.in_(INVITABLE_MEMBERSHIP),
                    standing.open_clause(referral.dps_id, LotMembership.provider_id),
                    LotMembership.provider_id.not_in(invited))
             .options(selectinload(CategoryMembership.membership).selectinload(LotMembership.provider))
             .order_by(CategoryMembership.tier, Organisation.name, CategoryMembership.id))
    if tier is not None:
        query = query.where(CategoryMembership.tier == tier)
    return db.session.scalars(query).all()


def _first_tier_with_providers(referral: Referral, after: int | None) -> tuple[int | None, list[CategoryMembership]]:
    """The next tier of the referral's category (after `after`) with someone to invite, and who; (None, []) when
    none is left."""
    category = category_of(referral)
    if category is None:
        return None, []
    for tier in _tiers(category):
        if tier is not None and after is not None and tier <= after:
            continue
        memberships = eligible_memberships(referral, tier)
        if memberships:
            return tier, memberships
    return None, []


def next_tier(referral: Referral) -> int | None:
    """The tier a re-opening would invite, or None when every tier has been approached."""
    current = referral.current_round
    if current is None or current.tier is None:
        return None
    tier, _ = _first_tier_with_providers(referral, current.tier)
    return tier


def invitees_preview(referral: Referral) -> tuple[int | None, list[CategoryMembership]]:
    """Who publishing (or re-opening) would invite now: the tier and the memberships."""
    current = referral.current_round
    if current is None:
        return _first_tier_with_providers(referral, None)
    if current.tier is None:
        return None, []
    return _first_tier_with_providers(referral, current.tier)


def skipped_tiers(referral: Referral, round_: ReferralRound) -> list[int]:
    """Tiers passed over before this round because nobody in them could be invited."""
    if round_.tier is None:
        return []
    earlier = [r.tier for r in referral.rounds if r.number < round_.number and r.tier is not None]
    return list(range((max(earlier) if earlier else 0) + 1, round_.tier))


def _provider_link(referral: Referral) -> str:
    try:
        return url_for("supplier.referral", referral_id=referral.id)
    except BuildError:  # the providers' pages are not registered (a bare app in a script)
        return f"/provider/referrals/{referral.id}"


def _officer_link(referral: Referral) -> str:
    try:
        return url_for("buyer.referral", referral_id=referral.id)
    except BuildError:
        return f"/authority/referrals/{referral.id}"


def _invite_message(referral: Referral, round_: ReferralRound) -> tuple[str, str]:
    """The invitation e-mail: the reference, lot, age, urgency and deadline only, never who the child is."""
    subject = f"Referral {referral.reference}: invitation to bid by {format_datetime(round_.deadline)}"
    who = "a young person" if referral.age_years >= 16 else "a child"
    body = (f"You are invited to bid for referral {referral.reference} on {referral.dps.name}, "
            f"{category_of(referral).full_label}: "
            f"{who} aged {referral.age_years}, placement needed {URGENCY_PHRASES[referral.needed_by]}. "
            f"Bids close on {format_datetime(round_.deadline)}. Read the referral and send your bid in the portal.")
    return subject, body


def _open_round(officer: User, referral: Referral, *, tier: int | None, memberships: list[CategoryMembership],
                deadline: datetime, now: datetime) -> ReferralRound:
    """Open the round with an invitation to each provider and an e-mail to each of their users: a fixed number of
    statements however many are invited."""
    round_ = ReferralRound(referral=referral, number=len(referral.rounds) + 1, tier=tier, opened_at=now,
                           opened_by_id=officer.id, deadline=deadline)
    db.session.add(round_)
    db.session.flush()  # the round's id, for the invitations
    subject, body = _invite_message(referral, round_)
    link = _provider_link(referral)
    providers = [place.membership.provider for place in memberships]
    db.session.execute(BidInvitation.__table__.insert(), [
        {"referral_id": referral.id, "round_id": round_.id, "provider_id": place.membership.provider_id,
         "tier": place.tier, "invited_at": now, "decline_detail": "",
         "place_with_caution": CAUTION in (place.membership.status, place.membership.provider.provider_status)}
        for place in memberships])
    db.session.expire(referral, ["invitations"])
    mail.notify_many([(user, subject, body, link) for user in _provider_users(providers)], at=now)
    return round_


def _provider_users(providers: list[Organisation]) -> list[User]:
    """The active provider users of the providers, in one query (their roles with them), provider by provider."""
    order = {provider.id: position for position, provider in enumerate(providers)}
    users = db.session.scalars(db.select(User).where(User.organisation_id.in_(list(order)), User.active.is_(True))
                               .order_by(User.id)).all()
    return sorted((user for user in users if user.has_role(PROVIDER_USER)),
                  key=lambda user: order[user.organisation_id])


def _invited(round_: ReferralRound, memberships: list[CategoryMembership], skipped: list[int]) -> str:
    count = len(memberships)
    text = (f"{round_.label.lower()}: {count} provider{'s' if count != 1 else ''} invited, bids close "
            f"{format_datetime(round_.deadline)}")
    return text + (f"; tiers with nobody to invite: {', '.join(map(str, skipped))}" if skipped else "")


def _require_deadline(deadline: datetime | None, now: datetime) -> datetime:
    if deadline is None:
        raise DomainError("Enter the deadline for bids", field="deadline")
    if deadline <= now:
        raise DomainError("The deadline for bids must be in the future", field="deadline")
    return deadline
