"""The annual contract review of a provider on a DPS (the Joint Evaluation Toolkit of seed 003).

The self-assessment questionnaire is versioned per DPS like the quality questions: a version locks when a review
is first sent with it; editing afterwards makes a new version, and each review keeps the version it was sent with.

A review moves: sent (the provider completes it: save, then submit) → submitted (the contract manager moderates
each answer: accepted, or more evidence asked) → returned (back to the provider for those answers) → submitted …
→ moderated (every answer accepted: the meeting and each live placement's cost are recorded) → rated (an overall
rating with its risk factors; the provider may comment; the action plan is drawn up) → issued (the rating and the
action plan go to the provider as a PDF). `AnnualReview.move` refuses any other move.
"""

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.errors import InvalidTransition
from portal.extensions import db

SENT, SUBMITTED, RETURNED, MODERATED, RATED, ISSUED = "sent", "submitted", "returned", "moderated", "rated", "issued"
STATUS_LABELS = {
    SENT: "With the provider",
    SUBMITTED: "To moderate",
    RETURNED: "More evidence asked",
    MODERATED: "Meeting and costs",
    RATED: "Rated",
    ISSUED: "Action plan issued",
}
OPEN_STATUSES = (SENT, SUBMITTED, RETURNED, MODERATED, RATED)
WITH_PROVIDER = (SENT, RETURNED)
MOVES = {
    SENT: {SUBMITTED},
    SUBMITTED: {RETURNED, MODERATED},
    RETURNED: {SUBMITTED},
    MODERATED: {RATED},
    RATED: {RATED, ISSUED},  # the rating may be given again (moderated) until the action plan is issued
}

# An answer's moderation.
ANSWER_ACCEPTED, ANSWER_MORE_EVIDENCE = "accepted", "more_evidence"
MODERATION_LABELS = {ANSWER_ACCEPTED: "Accepted", ANSWER_MORE_EVIDENCE: "More evidence asked"}

# The overall rating of the balanced scorecard, best first, and the risk factors it weighs.
RATINGS = {
    "good": "Good",
    "satisfactory": "Satisfactory",
    "requires_improvement": "Requires improvement",
    "causing_concern": "Causing concern",
}
RISK_FACTORS = {
    "ofsted": "Ofsted judgement below Good",
    "safeguarding": "Safeguarding concerns",
    "stability": "Placement stability and unplanned endings",
    "workforce": "Staffing and workforce",
    "outcomes": "Children's outcomes (education, health)",
    "compliance": "Contract compliance (insurance, policies, documents)",
    "finance": "Financial viability",
}
# What the contract manager finds of a live placement's cost.
COST_OUTCOMES = {
    "confirmed": "Cost still reflects the child's needs",
    "renegotiate": "Cost to be renegotiated",
    "refer": "Referred to the placing authority",
}


class ReviewQuestionnaire(db.Model):
    """A version of a DPS's self-assessment questionnaire. Locked once a review has been sent with it."""

    __tablename__ = "review_questionnaire"
    __table_args__ = (UniqueConstraint("dps_id", "version", name="uq_review_questionnaire_dps_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dps_id: Mapped[int] = mapped_column(ForeignKey("dps.id"))
    version: Mapped[int]
    created_at: Mapped[datetime]
    locked_at: Mapped[datetime | None]

    dps = relationship("Dps")
    questions = relationship("ReviewQuestion", back_populates="questionnaire", order_by="ReviewQuestion.number",
                             cascade="all, delete-orphan")

    @property
    def is_locked(self) -> bool:
        return self.locked_at is not None


class ReviewQuestion(db.Model):
    __tablename__ = "review_question"
    __table_args__ = (UniqueConstraint("questionnaire_id", "number", name="uq_review_question_questionnaire_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    questionnaire_id: Mapped[int] = mapped_column(ForeignKey("review_questionnaire.id"))
    number: Mapped[int]
    text: Mapped[str] = mapped_column(Text)
    guidance: Mapped[str] = mapped_column(Text, default="", server_default="")

    questionnaire = relationship("ReviewQuestionnaire", back_populates="questions")


class AnnualReview(db.Model):
    """One year's contract review of a provider on a DPS, sent with one version of the questionnaire."""

    __tablename__ = "annual_review"
    __table_args__ = (Index("ix_annual_review_contract_sent", "contract_id", "sent_at"),
                      Index("ix_annual_review_status_due", "status", "due_on"))

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("provider_contract.id"))
    questionnaire_id: Mapped[int] = mapped_column(ForeignKey("review_questionnaire.id"))
    status: Mapped[str] = mapped_column(String(20))
    due_on: Mapped[date]  # the day the provider's answers are due
    documents_requested: Mapped[str] = mapped_column(Text, default="", server_default="")
    sent_at: Mapped[datetime]
    sent_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    submitted_at: Mapped[datetime | None]
    meeting_on: Mapped[date | None]
    meeting_attendees: Mapped[str] = mapped_column(Text, default="", server_default="")
    meeting_notes: Mapped[str] = mapped_column(Text, default="", server_default="")
    rating: Mapped[str | None] = mapped_column(String(30))  # a key of RATINGS
    risk_factors: Mapped[str] = mapped_column(Text, default="", server_default="")  # keys of RISK_FACTORS, by commas
    rating_notes: Mapped[str] = mapped_column(Text, default="", server_default="")
    best_practice: Mapped[str] = mapped_column(Text, default="", server_default="")
    rated_at: Mapped[datetime | None]
    rated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    provider_comment: Mapped[str] = mapped_column(Text, default="", server_default="")
    commented_at: Mapped[datetime | None]
    issued_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(default=1)

    contract = relationship("ProviderContract")
    questionnaire = relationship("ReviewQuestionnaire")
    sent_by = relationship("User", foreign_keys=[sent_by_id])
    rated_by = relationship("User", foreign_keys=[rated_by_id])
    answers = relationship("ReviewAnswer", back_populates="review", cascade="all, delete-orphan",
                           order_by="ReviewAnswer.number")
    cost_checks = relationship("ReviewCostCheck", back_populates="review", cascade="all, delete-orphan",
                               order_by="ReviewCostCheck.id")
    actions = relationship("ReviewAction", back_populates="review", cascade="all, delete-orphan",
                           order_by="[ReviewAction.due_on, ReviewAction.id]")

    __mapper_args__ = {"version_id_col": version}

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    @property
    def rating_label(self) -> str:
        return RATINGS.get(self.rating or "", "")

    @property
    def risk_factor_keys(self) -> list[str]:
        return [key for key in self.risk_factors.split(",") if key]

    @property
    def risk_factor_labels(self) -> list[str]:
        return [RISK_FACTORS.get(key, key) for key in self.risk_factor_keys]

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def with_provider(self) -> bool:
        return self.status in WITH_PROVIDER

    def move(self, to: str) -> None:
        if to not in MOVES.get(self.status, set()):
            raise InvalidTransition(f"This review cannot go from “{self.status_label.lower()}” to "
                                    f"“{STATUS_LABELS.get(to, to).lower()}”.")
        self.status = to


class ReviewAnswer(db.Model):
    """The provider's answer to one question of the review's version, and its moderation."""

    __tablename__ = "review_answer"
    __table_args__ = (UniqueConstraint("review_id", "question_id", name="uq_review_answer_review_question"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("annual_review.id"))
    question_id: Mapped[int] = mapped_column(ForeignKey("review_question.id"))
    number: Mapped[int]
    answer: Mapped[str] = mapped_column(Text, default="", server_default="")
    moderation: Mapped[str | None] = mapped_column(String(20))  # a key of MODERATION_LABELS; None: not yet
    moderation_note: Mapped[str] = mapped_column(Text, default="", server_default="")  # what evidence is asked
    updated_at: Mapped[datetime | None]

    review = relationship("AnnualReview", back_populates="answers")
    question = relationship("ReviewQuestion")

    @property
    def moderation_label(self) -> str:
        return MODERATION_LABELS.get(self.moderation or "", "Not moderated")

    @property
    def provider_may_edit(self) -> bool:
        """While the review is with the provider: every answer at first, then those asked for more evidence."""
        if self.review.status == SENT:
            return True
        return self.review.status == RETURNED and self.moderation == ANSWER_MORE_EVIDENCE


class ReviewCostCheck(db.Model):
    """The contract manager's review of one live placement's cost, against the IPA's cost review dates."""

    __tablename__ = "review_cost_check"
    __table_args__ = (UniqueConstraint("review_id", "placement_id", name="uq_review_cost_check_review_placement"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("annual_review.id"))
    placement_id: Mapped[int] = mapped_column(ForeignKey("placement.id"))
    outcome: Mapped[str] = mapped_column(String(20))  # a key of COST_OUTCOMES
    note: Mapped[str] = mapped_column(Text, default="", server_default="")
    recorded_at: Mapped[datetime]
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))

    review = relationship("AnnualReview", back_populates="cost_checks")
    placement = relationship("Placement")

    @property
    def outcome_label(self) -> str:
        return COST_OUTCOMES.get(self.outcome, self.outcome)


class ReviewAction(db.Model):
    """An action of the review's action plan: what, who owns it, by when; done by the provider or recorded so by
    the contract manager."""

    __tablename__ = "review_action"
    __table_args__ = (Index("ix_review_action_review", "review_id"),
                      Index("ix_review_action_done_due", "done_at", "due_on"))

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("annual_review.id"))
    text: Mapped[str] = mapped_column(Text)
    owner: Mapped[str] = mapped_column(String(200))
    due_on: Mapped[date]
    done_at: Mapped[datetime | None]
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    done_note: Mapped[str] = mapped_column(Text, default="", server_default="")

    review = relationship("AnnualReview", back_populates="actions")
    done_by = relationship("User")

    @property
    def is_done(self) -> bool:
        return self.done_at is not None

    def complete(self, note: str, now: datetime, by_id: int) -> None:
        if self.is_done:
            raise InvalidTransition("This action is already done.")
        self.done_at, self.done_note, self.done_by_id = now, note, by_id
