"""Bids: a provider's sealed offer for a referral, itemised into a core weekly fee and additional costs, and
the officer's assessment of it once the deadline has passed."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal import areas
from portal.errors import InvalidTransition
from portal.extensions import db

SUBMITTED = "submitted"
WITHDRAWN = "withdrawn"
STATUS_LABELS = {SUBMITTED: "Submitted", WITHDRAWN: "Withdrawn"}

# What the officer scores each bid on, each out of CRITERION_MAX, equally weighted.
CRITERIA = {
    "needs": "Meets the child's needs",
    "location": "Location and closeness to home",
    "stability": "Stability of the placement",
    "education": "Education",
}
CRITERION_MAX = 5


class Bid(db.Model):
    """One provider's bid for one referral. Revised in place until the deadline; each submission leaves
    a receipt. Its content is sealed from the authority until the round's deadline (services.bids)."""

    __tablename__ = "bid"
    __table_args__ = (
        UniqueConstraint("referral_id", "provider_id"),
        Index("ix_bid_provider", "provider_id", "submitted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referral.id"))
    round_id: Mapped[int] = mapped_column(ForeignKey("referral_round.id"), index=True)
    invitation_id: Mapped[int] = mapped_column(ForeignKey("bid_invitation.id"), unique=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    status: Mapped[str] = mapped_column(String(20), default=SUBMITTED)
    core_weekly_fee: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    weekly_price: Mapped[Decimal] = mapped_column(Numeric(10, 2))  # core fee plus every additional cost
    proposed_start: Mapped[date]
    setting_id: Mapped[int | None] = mapped_column(ForeignKey("setting.id"))  # the setting offered
    home_area: Mapped[str] = mapped_column(String(100))  # the name of the area of the home or carers
    home_area_code: Mapped[str | None] = mapped_column(String(9))  # its ONS code; None for a typed name unmatched
    home_description: Mapped[str] = mapped_column(Text)
    how_needs_met: Mapped[str] = mapped_column(Text)
    revision: Mapped[int] = mapped_column(default=1)
    submitted_at: Mapped[datetime]  # of the latest revision
    submitted_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    withdrawn_at: Mapped[datetime | None]
    content_sha256: Mapped[str] = mapped_column(String(64))
    # After the deadline, the authority may agree a different price with the provider before awarding.
    negotiated_weekly_price: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    negotiation_note: Mapped[str] = mapped_column(Text, default="")
    # Set aside at its round's deadline: its provider was suspended or terminated on the DPS, or the setting it
    # offers was restricted there (portal.services.standing_effects). Kept, never ranked nor awarded.
    set_aside_at: Mapped[datetime | None]
    set_aside_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    version: Mapped[int] = mapped_column(default=1)

    referral = relationship("Referral", foreign_keys=[referral_id])
    round = relationship("ReferralRound")
    invitation = relationship("BidInvitation")
    provider = relationship("Organisation")
    setting = relationship("Setting")
    costs = relationship("BidCost", back_populates="bid", order_by="BidCost.position", cascade="all, delete-orphan")
    receipts = relationship("BidReceipt", back_populates="bid", order_by="BidReceipt.id")
    assessment = relationship("BidAssessment", back_populates="bid", uselist=False)

    __mapper_args__ = {"version_id_col": version}

    @property
    def is_withdrawn(self) -> bool:
        return self.status == WITHDRAWN

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def is_set_aside(self) -> bool:
        return self.set_aside_at is not None

    @property
    def home_area_label(self) -> str:
        """The home's area by name; an area typed before areas were data and matching none is to be confirmed."""
        return areas.stored_label(self.home_area, self.home_area_code)

    @property
    def price_for_award(self) -> Decimal:
        """The weekly price the placement would cost: the negotiated price where one was agreed."""
        return self.negotiated_weekly_price if self.negotiated_weekly_price is not None else self.weekly_price

    def withdraw(self, at: datetime) -> None:
        if self.is_withdrawn:
            raise InvalidTransition("This bid has already been withdrawn.")
        self.status = WITHDRAWN
        self.withdrawn_at = at


class BidCost(db.Model):
    """An additional weekly cost in a bid, linked to a need or an outcome."""

    __tablename__ = "bid_cost"

    id: Mapped[int] = mapped_column(primary_key=True)
    bid_id: Mapped[int] = mapped_column(ForeignKey("bid.id"), index=True)
    position: Mapped[int]
    description: Mapped[str] = mapped_column(String(200))  # what it pays for
    weekly_amount: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    timescale: Mapped[str] = mapped_column(String(100))  # for how long, e.g. "First 12 weeks"
    review_date: Mapped[date]

    bid = relationship("Bid", back_populates="costs")


class BidReceipt(db.Model):
    """Proof of each submission, revision or withdrawal: when, and the SHA-256 of the bid's content."""

    __tablename__ = "bid_receipt"

    id: Mapped[int] = mapped_column(primary_key=True)
    bid_id: Mapped[int] = mapped_column(ForeignKey("bid.id"), index=True)
    revision: Mapped[int]
    action: Mapped[str] = mapped_column(String(20))  # submitted, revised, withdrawn
    at: Mapped[datetime]
    by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    content_sha256: Mapped[str] = mapped_column(String(64))

    bid = relationship("Bid", back_populates="receipts")
    by = relationship("User")


class BidAssessment(db.Model):
    """The officer's quality scores for a bid against the referral's criteria, after the deadline."""

    __tablename__ = "bid_assessment"

    id: Mapped[int] = mapped_column(primary_key=True)
    bid_id: Mapped[int] = mapped_column(ForeignKey("bid.id"), unique=True)
    needs: Mapped[int]
    location: Mapped[int]
    stability: Mapped[int]
    education: Mapped[int]
    notes: Mapped[str] = mapped_column(Text, default="")
    assessed_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    assessed_at: Mapped[datetime]

    bid = relationship("Bid", back_populates="assessment")
    assessed_by = relationship("User")

    def score_of(self, criterion: str) -> int:
        if criterion not in CRITERIA:
            raise InvalidTransition(f"There is no criterion called {criterion}.")
        return getattr(self, criterion)
