"""Placement reviews: the review meetings of a placement, the interval within which the next one is due (an
authority setting), and the reviews of each additional cost on its review date from the agreement. The rules
are in portal.services.reviews."""

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, SmallInteger, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db

MEETS_NEEDS = {"yes": "Yes", "partly": "Partly", "no": "No"}
COST_DECISIONS = {"continued": "Kept: the cost continues", "changed": "Changed", "ended": "Ended"}
DEFAULT_INTERVAL_MONTHS = 3
INTERVAL_CHOICES = (1, 2, 3, 4, 6, 12)


class PlacementReview(db.Model):
    """A placement review meeting: who attended, whether the placement meets the needs in the child's plan."""

    __tablename__ = "placement_review"
    __table_args__ = (Index("ix_placement_review_placement_held", "placement_id", "held_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    placement_id: Mapped[int] = mapped_column(ForeignKey("placement.id"))
    held_on: Mapped[date]
    attendees: Mapped[str] = mapped_column(Text)
    meets_needs: Mapped[str] = mapped_column(String(10))  # a key of MEETS_NEEDS
    notes: Mapped[str] = mapped_column(Text, default="")  # the authority's only: may speak of the child
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    recorded_at: Mapped[datetime]

    placement = relationship("Placement")
    recorded_by = relationship("User")

    @property
    def meets_needs_label(self) -> str:
        return MEETS_NEEDS.get(self.meets_needs, self.meets_needs)


class CostReview(db.Model):
    """The review of an additional cost on its review date: kept, changed or ended, with a note."""

    __tablename__ = "cost_review"
    __table_args__ = (UniqueConstraint("cost_id", "due_on", name="uq_cost_review_cost_id_due_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cost_id: Mapped[int] = mapped_column(ForeignKey("placement_cost.id"))
    due_on: Mapped[date]  # the review date it answers
    decision: Mapped[str] = mapped_column(String(20))  # a key of COST_DECISIONS
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    recorded_at: Mapped[datetime]

    cost = relationship("PlacementCost")
    recorded_by = relationship("User")

    @property
    def decision_label(self) -> str:
        return COST_DECISIONS.get(self.decision, self.decision)


class ReviewSetting(db.Model):
    """An authority's interval between placement reviews (DEFAULT_INTERVAL_MONTHS without a row)."""

    __tablename__ = "review_setting"

    id: Mapped[int] = mapped_column(primary_key=True)
    authority_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), unique=True)
    interval_months: Mapped[int] = mapped_column(SmallInteger)
    updated_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    updated_at: Mapped[datetime]


class ReviewRequest(db.Model):
    """A placement review made due by an event rather than by the interval: an Ofsted judgement that fell, an
    enforcement notice, a termination. It is answered by the first review held on or after the day it was
    raised; until then the placement's review is due (on `due_on`) on the officer's Tasks page."""

    __tablename__ = "review_request"
    __table_args__ = (Index("ix_review_request_placement", "placement_id", "raised_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    placement_id: Mapped[int] = mapped_column(ForeignKey("placement.id"))
    raised_on: Mapped[date]  # the UK day it was raised
    due_on: Mapped[date]
    reason: Mapped[str] = mapped_column(Text)  # about the provider, never the child: shown to the officer
    source_type: Mapped[str | None] = mapped_column(String(40))
    source_id: Mapped[int | None]
    raised_at: Mapped[datetime]

    placement = relationship("Placement")
