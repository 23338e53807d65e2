"""Placements made from referrals, on the framework (an awarded bid) or off it (a provider from the
authority's own off-framework list, only once the framework is exhausted), and that list itself."""

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy import Boolean, ForeignKey, Index, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal import areas
from portal.extensions import db

STARTING, LIVE, ENDING, ENDED = "starting", "live", "ending", "ended"
STATUSES = {STARTING: "Starting", LIVE: "Live", ENDING: "Ending", ENDED: "Ended"}
QA_VISIT_HOURS = 72  # an emergency placement gets a quality-assurance visit within this many hours of starting


class Placement(db.Model):
    """A child placed with a provider, with the cost agreed in the individual placement agreement (IPA)."""

    __tablename__ = "placement"
    __table_args__ = (
        Index("ix_placement_authority_created", "authority_id", "created_at"),
        Index("ix_placement_qa_due", "qa_visit_at", "qa_visit_due_at"),
        Index("ix_placement_authority_qa", "authority_id", "qa_visit_at", "qa_visit_due_at"),
        Index("ix_placement_setting_authority", "setting_id", "authority_id"),
        Index("ix_placement_provider_start", "provider_id", "start_date"),
        Index("ix_placement_authority_start", "authority_id", "start_date"),
        Index("ix_placement_end_date", "end_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_reference: Mapped[str] = mapped_column(String(40), unique=True)  # the IPA's reference
    referral_id: Mapped[int] = mapped_column(ForeignKey("referral.id"), unique=True)
    authority_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    on_framework: Mapped[bool] = mapped_column(Boolean)
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), index=True)  # on framework
    off_framework_provider_id: Mapped[int | None] = mapped_column(ForeignKey("off_framework_provider.id"),
                                                                  index=True)
    bid_id: Mapped[int | None] = mapped_column(ForeignKey("bid.id"), unique=True)
    setting_id: Mapped[int | None] = mapped_column(ForeignKey("setting.id"), index=True)  # where the child lives
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lot.id"))
    category_id: Mapped[int | None] = mapped_column(ForeignKey("age_category.id"))  # the age category bid in
    tier: Mapped[int | None]  # in that category
    weekly_cost: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    start_date: Mapped[date]
    location_area: Mapped[str] = mapped_column(String(100))  # the name of the area of the home
    location_area_code: Mapped[str | None] = mapped_column(String(9))  # its ONS code; None for a typed name unmatched
    in_home_area: Mapped[bool] = mapped_column(Boolean)  # in the child's home authority's area
    location_was_preferred: Mapped[bool] = mapped_column(Boolean)
    # The approval of the weekly cost, and for an off-framework placement the senior manager's agreement
    cost_approval_id: Mapped[int | None] = mapped_column(ForeignKey("approval.id"))
    senior_approval_id: Mapped[int | None] = mapped_column(ForeignKey("approval.id"))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime]
    # Quality assurance visit: due within 72 hours for an emergency placement, else before the start where possible
    qa_visit_due_at: Mapped[datetime | None]
    qa_visit_at: Mapped[datetime | None]
    qa_visit_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    qa_visit_notes: Mapped[str] = mapped_column(Text, default="")
    # The provider was marked place with caution when the child was placed: a QA visit is due, as for an emergency
    placed_with_caution: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa.false())
    # The ending (portal/models/placement_life.py has the lists): who gave written notice and when, the end date
    # (the first day the child no longer lives there), planned or not, why, and the placement that follows.
    notice_given_by: Mapped[str | None] = mapped_column(String(20))  # a key of NOTICE_BY
    notice_given_on: Mapped[date | None]
    end_date: Mapped[date | None]
    ending_planned: Mapped[bool | None] = mapped_column(Boolean)
    ending_reason: Mapped[str | None] = mapped_column(String(40))  # a key of ENDING_REASONS
    ending_detail: Mapped[str] = mapped_column(Text, default="", server_default="")
    # The provider ended it with fewer than NOTICE_DAYS calendar days' written notice: a breach of the agreement
    short_notice_breach: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa.false())
    next_placement_id: Mapped[int | None] = mapped_column(ForeignKey("placement.id"))
    ending_recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    ending_recorded_at: Mapped[datetime | None]

    referral = relationship("Referral")
    authority = relationship("Organisation", foreign_keys=[authority_id])
    provider = relationship("Organisation", foreign_keys=[provider_id])
    off_framework_provider = relationship("OffFrameworkProvider")
    setting = relationship("Setting")
    bid = relationship("Bid")
    lot = relationship("Lot")
    category = relationship("AgeCategory")
    created_by = relationship("User", foreign_keys=[created_by_id])
    cost_approval = relationship("Approval", foreign_keys=[cost_approval_id])
    senior_approval = relationship("Approval", foreign_keys=[senior_approval_id])
    costs = relationship("PlacementCost", back_populates="placement", order_by="PlacementCost.position",
                         cascade="all, delete-orphan")
    prices = relationship("PlacementPrice", back_populates="placement", order_by="PlacementPrice.effective_from",
                          cascade="all, delete-orphan")
    feedback = relationship("PlacementFeedback", back_populates="placement", order_by="PlacementFeedback.given_on",
                            cascade="all, delete-orphan")
    incidents = relationship("PlacementIncident", back_populates="placement",
                             order_by="PlacementIncident.occurred_on", cascade="all, delete-orphan")
    next_placement = relationship("Placement", remote_side=[id], foreign_keys=[next_placement_id])
    ending_recorded_by = relationship("User", foreign_keys=[ending_recorded_by_id])

    @property
    def lot_label(self) -> str:
        """The lot and, on a lot divided into age categories, the category bid in ("Lot 1: Standard foster care,
        ages 11 to 17"); empty off the framework. Read from the lot's categories, so that a list loads them once."""
        return self.lot.label_with(self.category_id) if self.lot is not None else ""

    def status(self, today: date) -> str:
        """One of STATUSES on `today` (a UK date): ended from the end date, ending once notice is given or an end
        date is set, starting before the start date, else live. `status_clause` is the same rule in SQL."""
        if self.end_date is not None and self.end_date <= today:
            return ENDED
        if self.end_date is not None or self.notice_given_on is not None:
            return ENDING
        if self.start_date > today:
            return STARTING
        return LIVE

    @classmethod
    def status_clause(cls, status: str, today: date):
        """A WHERE clause selecting the placements whose `status(today)` is `status`."""
        ended = sa.and_(cls.end_date.is_not(None), cls.end_date <= today)
        ending = sa.and_(sa.not_(ended), sa.or_(cls.end_date.is_not(None), cls.notice_given_on.is_not(None)))
        if status == ENDED:
            return ended
        if status == ENDING:
            return ending
        quiet = sa.and_(cls.end_date.is_(None), cls.notice_given_on.is_(None))
        if status == STARTING:
            return sa.and_(quiet, cls.start_date > today)
        if status == LIVE:
            return sa.and_(quiet, cls.start_date <= today)
        raise ValueError(f"Unknown placement status {status!r}")

    def live_on(self, day: date) -> bool:
        """The child lived there on `day`: on or after the start, before the end date."""
        return self.start_date <= day and (self.end_date is None or day < self.end_date)

    @property
    def approval_name(self) -> str:
        return f"placement {self.agreement_reference}"

    @property
    def provider_name(self) -> str:
        if self.provider is not None:
            return self.provider.name
        return self.off_framework_provider.name

    @property
    def location_area_label(self) -> str:
        """Where the child lives by the area's name; an area typed before areas were data and matching none is
        to be confirmed."""
        return areas.stored_label(self.location_area, self.location_area_code)

    @property
    def framework_label(self) -> str:
        return "On framework" if self.on_framework else "Off framework"

    @property
    def qa_visit_reasons(self) -> list[str]:
        """Why a QA visit is due: the placement was an emergency, made with a provider placed with caution, or
        off the framework (a visit before the start)."""
        reasons = []
        if self.referral.is_emergency:
            reasons.append("Emergency")
        if self.placed_with_caution:
            reasons.append("Placed with caution")
        if not self.on_framework:
            reasons.append("Off framework")
        return reasons

    def qa_visit_outstanding(self) -> bool:
        return self.qa_visit_due_at is not None and self.qa_visit_at is None

    def qa_visit_overdue(self, now: datetime) -> bool:
        return self.qa_visit_outstanding() and self.qa_visit_due_at <= now


class PlacementCost(db.Model):
    """A line of the itemised placement cost: the core fee, then each additional cost."""

    __tablename__ = "placement_cost"

    id: Mapped[int] = mapped_column(primary_key=True)
    placement_id: Mapped[int] = mapped_column(ForeignKey("placement.id"), index=True)
    position: Mapped[int]
    description: Mapped[str] = mapped_column(String(200))
    weekly_amount: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    timescale: Mapped[str] = mapped_column(String(100), default="")
    review_date: Mapped[date | None]

    placement = relationship("Placement", back_populates="costs")


class OffFrameworkProvider(db.Model):
    """A provider on no framework, kept on one authority's own list for when the framework is exhausted."""

    __tablename__ = "off_framework_provider"
    __table_args__ = (Index("ix_off_framework_provider_authority_name", "authority_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    authority_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    name: Mapped[str] = mapped_column(String(200))
    ofsted_urn: Mapped[str | None] = mapped_column(String(12))
    ofsted_rating: Mapped[str | None] = mapped_column(String(40))
    local_authority_area: Mapped[str] = mapped_column(String(100))  # the area's name
    area_code: Mapped[str | None] = mapped_column(String(9))  # its ONS code; None for a typed name unmatched
    address: Mapped[str] = mapped_column(Text, default="")
    contact_name: Mapped[str] = mapped_column(String(120), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    telephone: Mapped[str] = mapped_column(String(30), default="")
    services: Mapped[str] = mapped_column(Text, default="")
    place_with_caution: Mapped[bool] = mapped_column(Boolean, default=False)
    caution_note: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    authority = relationship("Organisation")
    documents = relationship("OffFrameworkDocument", back_populates="provider", order_by="OffFrameworkDocument.id",
                             cascade="all, delete-orphan")
    referees = relationship("OffFrameworkReferee", back_populates="provider", order_by="OffFrameworkReferee.id",
                            cascade="all, delete-orphan")


# The evidence an authority asks of a provider before adding it to its off-framework list (Leicestershire's
# off-framework process), beside two local-authority references. The Ofsted report only where one applies.
OFF_FRAMEWORK_EVIDENCE = {
    "ofsted_report": "Current Ofsted report",
    "statement_of_purpose": "Statement of purpose (or 16+ equivalent)",
    "childrens_guide": "Children's guide (or 16+ equivalent)",
    "pricing_schedule": "Pricing schedule",
}
OTHER_DOCUMENT = "other"
DOCUMENT_KINDS = {**OFF_FRAMEWORK_EVIDENCE, OTHER_DOCUMENT: "Another document"}


class OffFrameworkDocument(db.Model):
    """Evidence about an off-framework provider (Ofsted report, insurance...), stored like application files."""

    __tablename__ = "off_framework_document"

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("off_framework_provider.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30), default=OTHER_DOCUMENT, server_default=OTHER_DOCUMENT)
    title: Mapped[str] = mapped_column(String(200))
    original_filename: Mapped[str] = mapped_column(String(255))
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    file_type: Mapped[str] = mapped_column(String(10))
    size_bytes: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    uploaded_at: Mapped[datetime]

    provider = relationship("OffFrameworkProvider", back_populates="documents")

    @property
    def kind_label(self) -> str:
        return DOCUMENT_KINDS.get(self.kind, DOCUMENT_KINDS[OTHER_DOCUMENT])


class OffFrameworkReferee(db.Model):
    """A reference for an off-framework provider and what it said."""

    __tablename__ = "off_framework_referee"

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("off_framework_provider.id"), index=True)
    authority_name: Mapped[str] = mapped_column(String(200))
    contact_name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(254), default="")
    outcome: Mapped[str | None] = mapped_column(String(20))  # satisfactory / unsatisfactory; None: not yet taken up
    note: Mapped[str] = mapped_column(Text, default="")

    provider = relationship("OffFrameworkProvider", back_populates="referees")
