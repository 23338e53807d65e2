"""Referrals: a member authority's anonymised request for a placement, sent to the providers on a lot as a
mini-competition in rounds (tier 1 first, then the next tier if no bid is acceptable).

The child's identity lives in `Child` (portal/models/child.py), the authority's private record that its
referrals link to and that only the referring authority's users ever read. Fields and options follow the
Placements Data Standard (version 2)."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal import areas
from portal.errors import InvalidTransition
from portal.extensions import db

# Availability: when the placement is needed.
TODAY = "today"
WITHIN_5_DAYS = "within_5_days"
MORE_THAN_5_DAYS = "more_than_5_days"
NEEDED_BY = {TODAY: "Today", WITHIN_5_DAYS: "Within 5 days", MORE_THAN_5_DAYS: "More than 5 days"}

YES_NO_NOT_SPECIFIED = {"yes": "Yes", "no": "No", "not_specified": "Not specified"}
COMMUNICATION_NEEDS = {"esol": "ESOL", "bsl": "BSL", "makaton": "Makaton", "other": "Other", "none": "None"}
CULTURAL_NEEDS = {"required": "Required", "not_required": "Not required", "not_known": "Not known", "other": "Other"}
LIVE_ALONGSIDE = {
    "solo": "Solo placement recommended",
    "with_other_children": "With other children",
    "only_older": "Only with older children",
    "only_younger": "Only with younger children",
    "no_preference": "No preference",
}
PETS = {"yes_must": "Yes - must live with pets", "yes_can": "Yes - can live with pets", "no": "No",
        "not_known": "Not known"}
ADDITIONAL_SUPPORT = {
    "additional_supervision": "Additional supervision",
    "therapeutic_support": "Therapeutic support",
    "respite_worker": "A worker for respite",
    "taxis_to_school": "Taxis to school",
    "other": "Other",
}
SUITABILITY = {"preferred": "Preferred", "suitable": "Suitable but not preferred", "unsuitable": "Unsuitable",
               "not_specified": "Not specified"}
RISKS_TO_CHILD = {
    "self_harm": "Self-harm",
    "sexual_exploitation": "Sexual exploitation",
    "criminal_exploitation": "Criminal exploitation",
    "drugs_alcohol": "Drug and alcohol use",
    "eating_disorder": "Eating disorder",
    "going_missing": "Going missing",
    "other": "Other",
}
RISKS_TO_OTHERS = {
    "physical_harm": "Physical harm",
    "sexual_harm": "Sexual harm",
    "fire_setting": "Fire-setting",
    "harm_to_animals": "Harm to animals",
    "criminal_exploitation": "Criminal exploitation",
    "other": "Other",
}

# A referral's states, derived from its timestamps and rounds (see Referral.status).
DRAFT = "draft"
OPEN = "open"
CLOSED = "closed"  # the current round's deadline has passed: the officer weighs the bids, or re-opens
AWARDED = "awarded"
EXHAUSTED = "exhausted"  # every tier approached, no award: off-framework may be searched
WITHDRAWN = "withdrawn"
STATUS_LABELS = {
    DRAFT: "Draft",
    OPEN: "Open for bids",
    CLOSED: "Closed, awaiting decision",
    AWARDED: "Awarded",
    EXHAUSTED: "Framework exhausted",
    WITHDRAWN: "Withdrawn",
}

DECLINE_REASONS = {
    "no_vacancy": "No vacancy",
    "cannot_meet_needs": "Cannot meet the needs",
    "location": "Location",
    "other": "Other",
}


def _codes(value: str) -> list[str]:
    return [code for code in (value or "").split(",") if code]


class Referral(db.Model):
    """What providers may see of a child's needs, plus the terms of the mini-competition."""

    __tablename__ = "referral"
    __table_args__ = (
        Index("ix_referral_authority_created", "authority_id", "created_at"),
        Index("ix_referral_lot_published", "lot_id", "published_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(30), unique=True)  # shown to providers; says nothing of the child
    dps_id: Mapped[int] = mapped_column(ForeignKey("dps.id"), index=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lot.id"))
    # The lot's age category of the child's age, fixed when the referral is published: its tiers are invited.
    category_id: Mapped[int | None] = mapped_column(ForeignKey("age_category.id"))
    authority_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    child_id: Mapped[int | None] = mapped_column(ForeignKey("child.id"), index=True)  # the authority's private record

    # Availability
    # A draft may leave the fields that may be None empty; publishing needs them (services.referrals.still_to_do).
    needed_by: Mapped[str | None] = mapped_column(String(20))
    siblings_to_place_with: Mapped[int] = mapped_column(default=0)
    # Where the child should live: the ONS codes of one or more areas of any level (portal/areas.py), and a note
    # for detail ("north of the borough, near the school"): an area, never an address. A referral migrated from
    # typed text keeps what matched no area in the note, and has no areas until the officer chooses them.
    preferred_areas: Mapped[str] = mapped_column(String(60), default="", server_default="")
    preferred_location: Mapped[str] = mapped_column(String(100), default="")
    # Requirements
    communication_needs: Mapped[str | None] = mapped_column(String(20), default="not_specified")
    communication_which: Mapped[str] = mapped_column(String(100), default="")  # codes of COMMUNICATION_NEEDS
    adaptations_needed: Mapped[bool] = mapped_column(Boolean, default=False)
    adaptations_detail: Mapped[str] = mapped_column(Text, default="")
    cultural_needs: Mapped[str | None] = mapped_column(String(20), default="not_known")
    cultural_detail: Mapped[str] = mapped_column(Text, default="")
    live_alongside: Mapped[str | None] = mapped_column(String(30), default="no_preference")
    pets: Mapped[str | None] = mapped_column(String(20), default="not_known")
    additional_support: Mapped[str] = mapped_column(String(200), default="")  # codes of ADDITIONAL_SUPPORT
    deprivation_of_liberty: Mapped[bool] = mapped_column(Boolean, default=False)
    # Recommendation
    suitability_foster: Mapped[str | None] = mapped_column(String(20), default="not_specified")
    suitability_residential: Mapped[str | None] = mapped_column(String(20), default="not_specified")
    suitability_supported: Mapped[str | None] = mapped_column(String(20), default="not_specified")
    # Risks: the codes of the risks present; none listed means no known risk
    risks_to_child: Mapped[str] = mapped_column(String(200), default="")
    risks_to_others: Mapped[str] = mapped_column(String(200), default="")
    # The placement sought
    age_years: Mapped[int | None]
    required_start: Mapped[date | None]
    expected_duration: Mapped[str] = mapped_column(String(100))
    education_needs: Mapped[str] = mapped_column(Text, default="")
    needs_summary: Mapped[str] = mapped_column(Text, default="")

    # The mini-competition's terms
    indicative_weekly_price: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    bid_deadline: Mapped[datetime | None]  # of the first round; each round keeps its own
    quality_weight: Mapped[int | None]  # fixed once published; None: the DPS's weighting
    cost_weight: Mapped[int | None]
    # The funding approval needed to publish is an Approval (portal.services.approvals), as is the off-framework
    # search's below.

    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    published_at: Mapped[datetime | None]
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    awarded_at: Mapped[datetime | None]
    awarded_bid_id: Mapped[int | None] = mapped_column(ForeignKey("bid.id", use_alter=True))
    award_reason: Mapped[str] = mapped_column(Text, default="")  # required when the award is not the top-ranked bid
    exhausted_at: Mapped[datetime | None]
    withdrawn_at: Mapped[datetime | None]
    withdrawn_reason: Mapped[str] = mapped_column(Text, default="")
    # Off-framework search, allowed only once exhausted, with its own funding approval (an Approval)
    off_framework_search_notes: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(default=1)

    dps = relationship("Dps")
    lot = relationship("Lot")
    category = relationship("AgeCategory")
    authority = relationship("Organisation")
    created_by = relationship("User", foreign_keys=[created_by_id])
    child = relationship("Child", back_populates="referrals")
    rounds = relationship("ReferralRound", back_populates="referral", order_by="ReferralRound.number",
                          cascade="all, delete-orphan")
    invitations = relationship("BidInvitation", back_populates="referral", order_by="BidInvitation.id")
    awarded_bid = relationship("Bid", foreign_keys=[awarded_bid_id], post_update=True)

    __mapper_args__ = {"version_id_col": version}

    @property
    def lot_label(self) -> str:
        """The lot and, once the referral is published on a lot divided into age categories, the category it went
        to ("Lot 1: Standard foster care, ages 5 to 10"). Read from the lot's categories, so that a list loads them
        once for all its referrals."""
        return self.lot.label_with(self.category_id)

    # Place ------------------------------------------------------------------------------------

    @property
    def preferred_area_codes(self) -> list[str]:
        return _codes(self.preferred_areas)

    @property
    def preferred_area_names(self) -> list[str]:
        return [areas.name_of(code) for code in self.preferred_area_codes if areas.get(code)]

    @property
    def former_member_since(self) -> date | None:
        """When the referring authority left the DPS, if it has: the referral is kept as a former member's."""
        return next((member.left_on for member in self.dps.members if member.authority_id == self.authority_id),
                    None)

    @property
    def preferred_location_label(self) -> str:
        """The preferred areas by name, then the note: "Tameside, Stockport or Oldham: near the school"; "To be
        confirmed" before any area is chosen."""
        names = self.preferred_area_names
        listed = ", ".join(names[:-1]) + " or " + names[-1] if len(names) > 1 else "".join(names)
        if not listed:
            listed = "To be confirmed"
        return f"{listed}: {self.preferred_location}" if self.preferred_location else listed

    # State ------------------------------------------------------------------------------------

    @property
    def current_round(self):
        return self.rounds[-1] if self.rounds else None

    def status(self, now: datetime) -> str:
        if self.withdrawn_at is not None:
            return WITHDRAWN
        if self.awarded_at is not None:
            return AWARDED
        if self.exhausted_at is not None:
            return EXHAUSTED
        if self.published_at is None:
            return DRAFT
        if self.current_round is not None and self.current_round.is_open(now):
            return OPEN
        return CLOSED

    def status_label(self, now: datetime) -> str:
        return STATUS_LABELS[self.status(now)]

    def require_status(self, now: datetime, *allowed: str, action: str) -> None:
        status = self.status(now)
        if status not in allowed:
            raise InvalidTransition(f"You cannot {action}: the referral is {STATUS_LABELS[status].lower()}.")

    @property
    def is_published(self) -> bool:
        return self.published_at is not None

    @property
    def is_emergency(self) -> bool:
        return self.needed_by == TODAY

    # Labels for pages and documents ----------------------------------------------------------

    @property
    def needed_by_label(self) -> str:
        return NEEDED_BY.get(self.needed_by, self.needed_by or "Not given yet")

    @property
    def communication_list(self) -> list[str]:
        return [COMMUNICATION_NEEDS[code] for code in _codes(self.communication_which) if code in COMMUNICATION_NEEDS]

    @property
    def additional_support_list(self) -> list[str]:
        return [ADDITIONAL_SUPPORT[code] for code in _codes(self.additional_support) if code in ADDITIONAL_SUPPORT]

    @property
    def risks_to_child_list(self) -> list[str]:
        return [RISKS_TO_CHILD[code] for code in _codes(self.risks_to_child) if code in RISKS_TO_CHILD]

    @property
    def risks_to_others_list(self) -> list[str]:
        return [RISKS_TO_OTHERS[code] for code in _codes(self.risks_to_others) if code in RISKS_TO_OTHERS]


class ReferralRound(db.Model):
    """One round of bidding: the providers of one tier (or of the whole lot, where it has no tiers)."""

    __tablename__ = "referral_round"
    __table_args__ = (
        UniqueConstraint("referral_id", "number"),
        Index("ix_referral_round_open_deadline", "closed_at", "deadline"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referral.id"))
    number: Mapped[int]
    tier: Mapped[int | None]  # None: every provider on the lot
    opened_at: Mapped[datetime]
    opened_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    deadline: Mapped[datetime]
    closed_at: Mapped[datetime | None]  # when the close was processed (scheduler or a check); the deadline decides

    referral = relationship("Referral", back_populates="rounds")
    opened_by = relationship("User")

    def is_open(self, now: datetime) -> bool:
        return now < self.deadline

    @property
    def label(self) -> str:
        whole = " (whole age category)" if self.referral.lot.is_divided else " (whole lot)"
        return f"Round {self.number}" + (f" (tier {self.tier})" if self.tier else whole)


class BidInvitation(db.Model):
    """A provider asked to bid for a referral, in a given round. A provider may decline, with a reason."""

    __tablename__ = "bid_invitation"
    __table_args__ = (
        UniqueConstraint("referral_id", "provider_id"),
        Index("ix_bid_invitation_provider", "provider_id", "invited_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referral.id"))
    round_id: Mapped[int] = mapped_column(ForeignKey("referral_round.id"), index=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    tier: Mapped[int | None]
    place_with_caution: Mapped[bool] = mapped_column(Boolean, default=False)
    invited_at: Mapped[datetime]
    declined_at: Mapped[datetime | None]
    declined_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decline_reason: Mapped[str | None] = mapped_column(String(30))
    decline_detail: Mapped[str] = mapped_column(Text, default="")

    referral = relationship("Referral", back_populates="invitations")
    round = relationship("ReferralRound")
    provider = relationship("Organisation")

    @property
    def has_declined(self) -> bool:
        return self.declined_at is not None

    @property
    def decline_label(self) -> str:
        return DECLINE_REASONS.get(self.decline_reason or "", "")

    def decline(self, *, reason: str, detail: str, by, at: datetime) -> None:
        if self.has_declined:
            raise InvalidTransition("You have already declined this referral.")
        self.declined_at = at
        self.declined_by_id = by.id
        self.decline_reason = reason
        self.decline_detail = detail
