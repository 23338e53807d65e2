"""What happens to a placement after the award: its weekly price over time, feedback on it, and the
allegations, safeguarding concerns and incidents recorded against it.

The ending itself is on the placement (portal/models/placement.py): who gave notice, when, the end date,
planned or not, and why. These records are the source of the quarterly KPIs and of the analytics; nothing is
typed twice.
"""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, ForeignKey, Index, Numeric, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db

# Who gave written notice to end a placement
NOTICE_BY = {"provider": "The provider", "authority": "The authority"}
# A provider must give this many calendar days' written notice (from the notice to the end date); fewer is a
# breach of the placement agreement. An authority's short notice is recorded but is not the provider's breach.
NOTICE_DAYS = 28
ENDING_REASONS = {
    "plan_achieved": "The child's plan was achieved (planned move on)",
    "step_down": "Step-down to a less intensive placement",
    "move_closer_to_home": "Move closer to home",
    "return_home": "Return to family",
    "independence": "Move to independence or adult services",
    "provider_cannot_meet_needs": "The provider could not meet the child's needs",
    "placement_breakdown": "Placement breakdown",
    "safeguarding": "Safeguarding concern or allegation",
    "provider_closure": "The provider or home closed",
    "child_request": "At the child's request",
    "custody": "Custody or secure accommodation",
    "other": "Another reason",
}

FEEDBACK_FROM = {"social_worker": "Social worker", "iro": "Independent reviewing officer"}
RATINGS = {1: "Poor", 2: "Fair", 3: "Satisfactory", 4: "Good", 5: "Excellent"}

INCIDENT_CATEGORIES = {
    "allegation": "Allegation of misconduct against a carer or member of staff",
    "safeguarding": "Safeguarding concern",
    "incident": "Serious incident",
}


class PlacementPrice(db.Model):
    """The weekly price of a placement from a date: the first row is the price agreed at the award; each later
    row a change after negotiation, with its reason and the budget holder's approval. Spend follows these."""

    __tablename__ = "placement_price"
    __table_args__ = (Index("ix_placement_price_placement_from", "placement_id", "effective_from"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    placement_id: Mapped[int] = mapped_column(ForeignKey("placement.id"))
    effective_from: Mapped[date]
    weekly_cost: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    reason: Mapped[str] = mapped_column(Text, default="")
    approval_id: Mapped[int | None] = mapped_column(ForeignKey("approval.id"))
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    recorded_at: Mapped[datetime]

    placement = relationship("Placement", back_populates="prices")
    approval = relationship("Approval")
    recorded_by = relationship("User")


class PlacementFeedback(db.Model):
    """A social worker's or independent reviewing officer's rating of a placement, 1 (poor) to 5 (excellent)."""

    __tablename__ = "placement_feedback"
    __table_args__ = (Index("ix_placement_feedback_placement_given", "placement_id", "given_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    placement_id: Mapped[int] = mapped_column(ForeignKey("placement.id"))
    given_on: Mapped[date]
    given_by: Mapped[str] = mapped_column(String(20))  # a key of FEEDBACK_FROM
    rating: Mapped[int] = mapped_column(SmallInteger)
    comment: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    recorded_at: Mapped[datetime]

    placement = relationship("Placement", back_populates="feedback")
    recorded_by = relationship("User")

    @property
    def given_by_label(self) -> str:
        return FEEDBACK_FROM.get(self.given_by, self.given_by)

    @property
    def rating_label(self) -> str:
        return f"{self.rating} ({RATINGS.get(self.rating, '')})"


class PlacementIncident(db.Model):
    """An allegation, safeguarding concern or serious incident recorded against a placement by the authority.
    The summary and outcome may speak of the child, so only the placing authority reads them; the provider and
    contract management see that one was recorded (category and date)."""

    __tablename__ = "placement_incident"
    __table_args__ = (Index("ix_placement_incident_placement_occurred", "placement_id", "occurred_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    placement_id: Mapped[int] = mapped_column(ForeignKey("placement.id"))
    occurred_on: Mapped[date]
    category: Mapped[str] = mapped_column(String(20))  # a key of INCIDENT_CATEGORIES
    summary: Mapped[str] = mapped_column(Text, default="")
    lado_informed: Mapped[bool] = mapped_column(Boolean, default=False)
    police_informed: Mapped[bool] = mapped_column(Boolean, default=False)
    outcome: Mapped[str] = mapped_column(Text, default="")  # empty while still open
    ended_placement: Mapped[bool] = mapped_column(Boolean, default=False)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    recorded_at: Mapped[datetime]

    placement = relationship("Placement", back_populates="incidents")
    recorded_by = relationship("User")

    @property
    def category_label(self) -> str:
        return INCIDENT_CATEGORIES.get(self.category, self.category)
