"""What the referring authority may know of the invited providers' responses: the rule of the sealed bid.

Until a round's deadline the authority learns counts only (bids received, declines, no response yet), never which
provider bid or declined: with two invited and one bid, a named decline would name the bidder. Once the round's
deadline has passed each of its providers' responses may be shown. A round withdrawn before its deadline stays
sealed for ever, as its bids do (services.bids.is_sealed)."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import selectinload

from portal.extensions import db
from portal.models import Bid, BidInvitation, Referral
from portal.models.bid import SUBMITTED
from portal.services import bids

BID = "bid"
DECLINED = "declined"
NO_RESPONSE = "no_response"


@dataclass(frozen=True)
class InvitedProvider:
    """One invited provider as the officer sees it. `response` is None while its round is sealed."""

    name: str
    tier: int | None
    place_with_caution: bool
    invited_at: datetime
    sealed_until: datetime | None  # the round's deadline while it is ahead (None too once sealed for ever)
    response: str | None  # BID, DECLINED or NO_RESPONSE once the round's deadline has passed
    decline_label: str = ""
    decline_detail: str = ""

    @property
    def response_text(self) -> str:
        if self.response == BID:
            return "Bid"
        if self.response == DECLINED:
            return f"Declined: {self.decline_label}" + (f" ({self.decline_detail})" if self.decline_detail else "")
        if self.response == NO_RESPONSE:
            return "No response"
        return "Sealed"


@dataclass(frozen=True)
class Responses:
    """The counts, always allowed, and the providers invited, each with its response where it may be known."""

    bids: int
    declines: int
    no_response: int
    providers: tuple[InvitedProvider, ...]

    @property
    def any_sealed(self) -> bool:
        return any(provider.response is None for provider in self.providers)


def responses_for_officer(referral: Referral, now: datetime) -> Responses:
    """What the referring authority's officers may see at `now` of the responses to the referral's invitations."""
    invitations = db.session.scalars(
        db.select(BidInvitation).where(BidInvitation.referral_id == referral.id)
        .options(selectinload(BidInvitation.provider), selectinload(BidInvitation.round))
        .order_by(BidInvitation.id)).all()
    bid_in = set(db.session.scalars(db.select(Bid.invitation_id).where(Bid.referral_id == referral.id,
                                                                       Bid.status == SUBMITTED)))
    counts = {BID: 0, DECLINED: 0, NO_RESPONSE: 0}
    providers = []
    for invitation in invitations:
        response = DECLINED if invitation.has_declined else BID if invitation.id in bid_in else NO_RESPONSE
        counts[response] += 1
        sealed = bids.is_sealed(invitation.round, now)
        deadline = invitation.round.deadline
        providers.append(InvitedProvider(
            name=invitation.provider.name, tier=invitation.tier, place_with_caution=invitation.place_with_caution,
            invited_at=invitation.invited_at, sealed_until=deadline if sealed and now < deadline else None,
            response=None if sealed else response,
            decline_label="" if sealed else invitation.decline_label,
            decline_detail="" if sealed else invitation.decline_detail))
    return Responses(bids=counts[BID], declines=counts[DECLINED], no_response=counts[NO_RESPONSE],
                     providers=tuple(providers))
