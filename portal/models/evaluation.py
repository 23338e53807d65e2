"""Evaluating applications: allocation to evaluators, their scores, pass/fail gates, clarification
questions, moderation, outcomes per lot, and the tier awards that follow publication."""

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db

GATES = {
    "documents": "Required documents present",
    "ofsted": "Ofsted rating not Inadequate",
    "insurance": "Insurance in date",
}

ADMITTED = "admitted"
ADMITTED_WITH_CAUTION = "admitted_with_caution"
NOT_ADMITTED = "not_admitted"
OUTCOME_LABELS = {
    ADMITTED: "Admitted",
    ADMITTED_WITH_CAUTION: "Admitted, place with caution",
    NOT_ADMITTED: "Not admitted",
}

SATISFACTORY = "satisfactory"
UNSATISFACTORY = "unsatisfactory"


class ConflictOfInterest(db.Model):
    """An evaluator's declaration that they must not evaluate a provider."""

    __tablename__ = "conflict_of_interest"
    __table_args__ = (UniqueConstraint("evaluator_id", "provider_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluator_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    note: Mapped[str] = mapped_column(Text, default="")
    declared_at: Mapped[datetime]

    evaluator = relationship("User")
    provider = relationship("Organisation")


class Allocation(db.Model):
    """An application given to an evaluator to score independently."""

    __tablename__ = "allocation"
    # The evaluator's queue: a page of the work to score in the order allocated, or of the scored, latest first.
    __table_args__ = (UniqueConstraint("application_id", "evaluator_id"),
                      Index("ix_allocation_evaluator_queue", "evaluator_id", "submitted_at", "allocated_at", "id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id"), index=True)
    evaluator_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    allocated_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    allocated_at: Mapped[datetime]
    submitted_at: Mapped[datetime | None]

    application = relationship("Application", back_populates="allocations")
    evaluator = relationship("User", foreign_keys=[evaluator_id])
    scores = relationship("Score", back_populates="allocation", cascade="all, delete-orphan")

    @property
    def is_submitted(self) -> bool:
        return self.submitted_at is not None


class Score(db.Model):
    """One evaluator's mark for one question, with the reason for it."""

    __tablename__ = "score"
    __table_args__ = (UniqueConstraint("allocation_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    allocation_id: Mapped[int] = mapped_column(ForeignKey("allocation.id"), index=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("quality_question.id"))
    score: Mapped[int]
    reason: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime]

    allocation = relationship("Allocation", back_populates="scores")
    question = relationship("QualityQuestion")


class GateResult(db.Model):
    """A pass/fail gate of the evaluation, with the evidence for the finding."""

    __tablename__ = "gate_result"
    __table_args__ = (UniqueConstraint("application_id", "gate"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id"), index=True)
    gate: Mapped[str] = mapped_column(String(20))
    passed: Mapped[bool]
    evidence: Mapped[str] = mapped_column(Text)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    recorded_at: Mapped[datetime]

    application = relationship("Application", back_populates="gates")
    recorded_by = relationship("User")

    @property
    def label(self) -> str:
        return GATES[self.gate]


class Clarification(db.Model):
    """A question an evaluator sends the provider; the decision clock pauses while it is open."""

    __tablename__ = "clarification"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id"), index=True)
    asked_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    question: Mapped[str] = mapped_column(Text)
    asked_at: Mapped[datetime]
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    answered_at: Mapped[datetime | None]

    application = relationship("Application", back_populates="clarifications")
    asked_by = relationship("User", foreign_keys=[asked_by_id])
    answered_by = relationship("User", foreign_keys=[answered_by_id])

    @property
    def is_open(self) -> bool:
        return self.answered_at is None


class ModeratedScore(db.Model):
    """The agreed score and reason for a question; the reason is the provider's feedback."""

    __tablename__ = "moderated_score"
    __table_args__ = (UniqueConstraint("application_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id"), index=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("quality_question.id"))
    score: Mapped[int]
    reason: Mapped[str] = mapped_column(Text)
    moderator_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    moderated_at: Mapped[datetime]

    application = relationship("Application", back_populates="moderated_scores")
    question = relationship("QualityQuestion")


class LotOutcome(db.Model):
    """The decision on one lot of an application. Cost plays no part in it."""

    __tablename__ = "lot_outcome"
    __table_args__ = (UniqueConstraint("application_id", "lot_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id"), index=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lot.id"), index=True)
    outcome: Mapped[str] = mapped_column(String(30))
    quality_percent: Mapped[Decimal] = mapped_column(Numeric(9, 4))
    reasons: Mapped[str] = mapped_column(Text, default="")

    application = relationship("Application", back_populates="outcomes")
    lot = relationship("Lot")
    # The provider's line of each category's tier table as it stood when the outcome was published: the letter
    # and the outcome page keep showing them after later windows re-tier the lot.
    published_awards = relationship("TierAward", foreign_keys="TierAward.published_outcome_id",
                                    back_populates="published_outcome")

    @property
    def label(self) -> str:
        return OUTCOME_LABELS[self.outcome]

    @property
    def is_admitted(self) -> bool:
        return self.outcome in (ADMITTED, ADMITTED_WITH_CAUTION)


class TierAward(db.Model):
    """One provider's line of the tier table of one age category of a lot, with every figure of the workings.

    Each calculation adds a new set of rows and marks the previous set as superseded."""

    __tablename__ = "tier_award"
    __table_args__ = (Index("ix_tier_award_lot_current", "lot_id", "current"),
                      Index("ix_tier_award_category_current_rank", "category_id", "current", "rank", "id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lot.id"))
    category_id: Mapped[int] = mapped_column(ForeignKey("age_category.id"))
    # Set on the line an outcome letter shows: the snapshot taken when that outcome was published.
    published_outcome_id: Mapped[int | None] = mapped_column(ForeignKey("lot_outcome.id"), index=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    window_id: Mapped[int] = mapped_column(ForeignKey("entry_window.id"), index=True)
    calculated_at: Mapped[datetime]
    current: Mapped[bool] = mapped_column(default=True)
    quality_weight: Mapped[int]
    cost_weight: Mapped[int]
    quality_percent: Mapped[Decimal] = mapped_column(Numeric(9, 4))
    quality_component: Mapped[Decimal] = mapped_column(Numeric(9, 4))
    weekly_price: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    lowest_price: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    cost_component: Mapped[Decimal] = mapped_column(Numeric(9, 4))
    total: Mapped[Decimal] = mapped_column(Numeric(9, 4))
    rank: Mapped[int]
    tier: Mapped[int | None]
    tied_with: Mapped[str] = mapped_column(Text, default="")

    lot = relationship("Lot")
    category = relationship("AgeCategory")
    provider = relationship("Organisation")
    window = relationship("EntryWindow")
    published_outcome = relationship("LotOutcome", foreign_keys=[published_outcome_id],
                                     back_populates="published_awards")
