"""Performance issues, contract reviews, the escalation ladder (notice to improve, suspension, termination) and
appeals against a provider's contract on a DPS.

- A performance issue is raised by an officer (minor: agreed actions and timescales) or agreed with the head of
  service or a budget holder first (significant: an approval). Its actions have due dates.
- A breach (or a safeguarding concern that ended a placement) opens a contract review by the contract manager,
  who proposes one step of the ladder or closes the review with no sanction.
- A sanction is one step of the ladder: proposed, then in force once the lead approves it (or refused). A notice
  that fails, or a suspension at its review, escalates: the next step up is proposed with `previous_id`, and the
  lower step is marked escalated when the higher one takes effect. Moves are guarded here (`MOVES`).
- An appeal against a sanction in force, decided by someone at the lead who took no part in it."""

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.errors import InvalidTransition
from portal.extensions import db

# Performance issues.
MINOR = "minor"
SIGNIFICANT = "significant"
SEVERITY_LABELS = {MINOR: "Minor", SIGNIFICANT: "Significant"}
ISSUE_OPEN = "open"
ISSUE_AWAITING = "awaiting_agreement"  # significant: waiting for the head of service or budget holder
ISSUE_REFUSED = "refused"
ISSUE_CLOSED = "closed"
ISSUE_STATUS_LABELS = {ISSUE_OPEN: "Open", ISSUE_AWAITING: "Waiting for agreement", ISSUE_REFUSED: "Not agreed",
                       ISSUE_CLOSED: "Closed"}
ISSUE_MOVES = {ISSUE_AWAITING: {ISSUE_OPEN, ISSUE_REFUSED}, ISSUE_OPEN: {ISSUE_CLOSED}}

# Breaches that open a contract review.
NON_STATUTORY = "non_statutory_enforcement"
STATUTORY = "statutory_enforcement"
OTHER_BREACH = "other_breach"
SAFEGUARDING = "safeguarding"
BREACH_LABELS = {NON_STATUTORY: "Non-statutory enforcement", STATUTORY: "Statutory enforcement",
                 OTHER_BREACH: "Other breach of contract",
                 SAFEGUARDING: "Safeguarding: an allegation or concern ended a placement"}

# The ladder, lowest step first.
NOTICE = "notice"
SUSPENSION = "suspension"
TERMINATION = "termination"
LADDER = (NOTICE, SUSPENSION, TERMINATION)
SANCTION_LABELS = {NOTICE: "Written notice to improve", SUSPENSION: "Suspension", TERMINATION: "Termination"}

PROPOSED = "proposed"
IN_FORCE = "in_force"
REFUSED = "refused"
ENDED = "ended"  # a notice met, a suspension lifted at its review
ESCALATED = "escalated"  # replaced by the next step up
OVERTURNED = "overturned"  # an appeal upheld
REDUCED = "reduced"  # an appeal partly upheld: replaced by a lower step
WITHDRAWN = "withdrawn"  # the proposer withdrew the request for approval
SANCTION_STATUS_LABELS = {PROPOSED: "Proposed: waiting for approval", IN_FORCE: "In force", REFUSED: "Not approved",
                          ENDED: "Ended", ESCALATED: "Escalated", OVERTURNED: "Overturned on appeal",
                          REDUCED: "Reduced on appeal", WITHDRAWN: "Withdrawn by the proposer"}
MOVES = {PROPOSED: {IN_FORCE, REFUSED, WITHDRAWN}, IN_FORCE: {ENDED, ESCALATED, OVERTURNED, REDUCED}}

# Appeals.
UPHELD = "upheld"
PARTLY_UPHELD = "partly_upheld"
DISMISSED = "dismissed"
APPEAL_OUTCOME_LABELS = {UPHELD: "Upheld", PARTLY_UPHELD: "Partly upheld", DISMISSED: "Dismissed"}


class PerformanceIssue(db.Model):
    """A performance issue against a provider's contract (optionally about one placement), raised at an
    authority. Its `authority_id` is the raiser's: a significant issue is agreed there (portal.services.approvals)."""

    __tablename__ = "performance_issue"
    __table_args__ = (Index("ix_performance_issue_contract", "contract_id", "raised_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("provider_contract.id"))
    authority_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    placement_id: Mapped[int | None] = mapped_column(ForeignKey("placement.id"))
    severity: Mapped[str] = mapped_column(String(20))
    description: Mapped[str] = mapped_column(Text)  # shown to the provider: no child's identity
    status: Mapped[str] = mapped_column(String(30))
    raised_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    raised_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(default=1)

    contract = relationship("ProviderContract")
    authority = relationship("Organisation")
    placement = relationship("Placement")
    raised_by = relationship("User")
    actions = relationship("LadderAction", back_populates="issue", order_by="LadderAction.due_on, LadderAction.id")

    __mapper_args__ = {"version_id_col": version}

    already_raised = False  # set (not stored) when raising it again found it already raised

    @property
    def approval_name(self) -> str:
        return f"a significant performance issue with {self.contract.provider.name} on {self.contract.dps.reference}"

    @property
    def status_label(self) -> str:
        return ISSUE_STATUS_LABELS[self.status]

    @property
    def severity_label(self) -> str:
        return SEVERITY_LABELS[self.severity]

    def move(self, to: str, now: datetime) -> None:
        if to not in ISSUE_MOVES.get(self.status, set()):
            raise InvalidTransition(f"This issue is {self.status_label.lower()}: it cannot be "
                                    f"{ISSUE_STATUS_LABELS[to].lower()} now.")
        self.status = to
        if to == ISSUE_CLOSED:
            self.closed_at = now


class LadderAction(db.Model):
    """An action with a due date: of a performance issue or of a notice to improve."""

    __tablename__ = "ladder_action"
    __table_args__ = (Index("ix_ladder_action_issue", "issue_id"), Index("ix_ladder_action_sanction", "sanction_id"),
                      Index("ix_ladder_action_open_due", "done_at", "due_on"))

    id: Mapped[int] = mapped_column(primary_key=True)
    issue_id: Mapped[int | None] = mapped_column(ForeignKey("performance_issue.id"))
    sanction_id: Mapped[int | None] = mapped_column(ForeignKey("sanction.id"))
    description: Mapped[str] = mapped_column(Text)
    due_on: Mapped[date]
    done_at: Mapped[datetime | None]
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    done_note: Mapped[str] = mapped_column(Text, default="", server_default="")
    escalated_at: Mapped[datetime | None]  # overdue: the contract manager and the lead's head of service told once

    issue = relationship("PerformanceIssue", back_populates="actions")
    sanction = relationship("Sanction", back_populates="actions")
    done_by = relationship("User")

    @property
    def is_done(self) -> bool:
        return self.done_at is not None

    def overdue(self, today: date) -> bool:
        return not self.is_done and self.due_on < today

    def mark_done(self, user, note: str, now: datetime) -> None:
        if self.is_done:
            raise InvalidTransition("This action is already done.")
        self.done_at, self.done_by_id, self.done_note = now, user.id, note


class ContractReview(db.Model):
    """A contract review after a breach, by the contract manager: closed with no sanction or with a sanction
    proposed. A safeguarding review (opened by the portal) restricts new placements until it is closed."""

    __tablename__ = "contract_review"
    __table_args__ = (Index("ix_contract_review_contract", "contract_id", "closed_at"),
                      Index("ix_contract_review_source", "source_type", "source_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("provider_contract.id"))
    breach: Mapped[str] = mapped_column(String(40))
    details: Mapped[str] = mapped_column(Text)  # shown to the provider: no child's identity
    source_type: Mapped[str | None] = mapped_column(String(40))  # placement_incident for a safeguarding review
    source_id: Mapped[int | None]
    opened_at: Mapped[datetime]
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))  # None: the portal
    closed_at: Mapped[datetime | None]
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    outcome: Mapped[str] = mapped_column(Text, default="", server_default="")
    version: Mapped[int] = mapped_column(default=1)

    contract = relationship("ProviderContract")
    opened_by = relationship("User", foreign_keys=[opened_by_id])
    closed_by = relationship("User", foreign_keys=[closed_by_id])

    __mapper_args__ = {"version_id_col": version}

    @property
    def breach_label(self) -> str:
        return BREACH_LABELS[self.breach]

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    def close(self, user, outcome: str, now: datetime) -> None:
        if not self.is_open:
            raise InvalidTransition("This contract review is already done.")
        self.closed_at, self.closed_by_id, self.outcome = now, user.id, outcome


class Sanction(db.Model):
    """One step of the ladder for a provider's contract on a DPS. Decided at the DPS's lead (`authority_id`)."""

    __tablename__ = "sanction"
    __table_args__ = (Index("ix_sanction_contract_status", "contract_id", "status"),
                      Index("ix_sanction_previous", "previous_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("provider_contract.id"))
    review_id: Mapped[int | None] = mapped_column(ForeignKey("contract_review.id"))
    previous_id: Mapped[int | None] = mapped_column(ForeignKey("sanction.id"))  # the step it escalates or reduces
    kind: Mapped[str] = mapped_column(String(20))
    grounds: Mapped[str] = mapped_column(Text)  # sent to the provider in the letter: no child's identity
    review_on: Mapped[date | None]  # a suspension's review date
    status: Mapped[str] = mapped_column(String(20))
    proposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    proposed_at: Mapped[datetime]
    in_force_at: Mapped[datetime | None]
    appeal_by: Mapped[date | None]  # the last day the provider may appeal
    ended_at: Mapped[datetime | None]
    end_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    ended_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    review_notified_on: Mapped[date | None]  # the suspension review reminder, sent once per review date
    version: Mapped[int] = mapped_column(default=1)

    contract = relationship("ProviderContract")
    review = relationship("ContractReview")
    previous = relationship("Sanction", remote_side=[id])
    proposed_by = relationship("User", foreign_keys=[proposed_by_id])
    ended_by = relationship("User", foreign_keys=[ended_by_id])
    actions = relationship("LadderAction", back_populates="sanction", order_by="LadderAction.due_on, LadderAction.id")
    appeal = relationship("Appeal", back_populates="sanction", uselist=False)

    __mapper_args__ = {"version_id_col": version}

    @property
    def authority_id(self) -> int:
        return self.contract.dps.lead_authority_id

    @property
    def authority(self):
        return self.contract.dps.lead_authority

    @property
    def approval_name(self) -> str:
        return f"{self.kind_label.lower()} for {self.contract.provider.name} on {self.contract.dps.reference}"

    @property
    def kind_label(self) -> str:
        return SANCTION_LABELS[self.kind]

    @property
    def status_label(self) -> str:
        return SANCTION_STATUS_LABELS[self.status]

    @property
    def in_force(self) -> bool:
        return self.status == IN_FORCE

    @property
    def step(self) -> int:
        return LADDER.index(self.kind)

    def _move(self, to: str) -> None:
        if to not in MOVES.get(self.status, set()):
            raise InvalidTransition(f"This {self.kind_label.lower()} is {self.status_label.lower()}: it cannot be "
                                    f"{SANCTION_STATUS_LABELS[to].lower()} now.")
        self.status = to

    def take_effect(self, now: datetime, appeal_by: date) -> None:
        self._move(IN_FORCE)
        self.in_force_at, self.appeal_by = now, appeal_by

    def refuse(self) -> None:
        self._move(REFUSED)

    def withdraw(self) -> None:
        self._move(WITHDRAWN)

    def end(self, user, reason: str, now: datetime, to: str = ENDED) -> None:
        """Ended (met, lifted), escalated, overturned or reduced."""
        if to == ENDED and self.kind == TERMINATION:
            raise InvalidTransition("A termination does not end at a review: only an appeal reverses it.")
        if to == ESCALATED and self.kind == TERMINATION:
            raise InvalidTransition("A termination is the last step: it cannot be escalated.")
        self._move(to)
        self.ended_at, self.end_reason, self.ended_by_id = now, reason, user.id if user else None

    def extend(self, review_on: date) -> None:
        if self.kind != SUSPENSION or not self.in_force:
            raise InvalidTransition("Only a suspension in force can be extended.")
        if self.review_on is not None and review_on <= self.review_on:
            raise InvalidTransition("The new review date must be after the current one.")
        self.review_on, self.review_notified_on = review_on, None

    def may_follow(self, kind: str) -> bool:
        """Whether `kind` is the next step up from this one (an escalation)."""
        return self.in_force and kind in LADDER and LADDER.index(kind) == self.step + 1


class Appeal(db.Model):
    """The provider's appeal against a sanction, decided at the lead by someone who took no part in it."""

    __tablename__ = "sanction_appeal"
    __table_args__ = (Index("ix_sanction_appeal_sanction", "sanction_id", unique=True),
                      Index("ix_sanction_appeal_decided", "decided_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    sanction_id: Mapped[int] = mapped_column(ForeignKey("sanction.id"))
    grounds: Mapped[str] = mapped_column(Text)
    # A supporting document, stored like other evidence (portal.services.uploads): optional
    document_name: Mapped[str | None] = mapped_column(String(255))
    document_stored_name: Mapped[str | None] = mapped_column(String(64), unique=True)
    document_type: Mapped[str | None] = mapped_column(String(10))
    document_size: Mapped[int | None]
    document_sha256: Mapped[str | None] = mapped_column(String(64))
    submitted_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    submitted_at: Mapped[datetime]
    outcome: Mapped[str | None] = mapped_column(String(20))
    reduced_to: Mapped[str | None] = mapped_column(String(20))  # partly upheld: the lower step
    reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(default=1)

    sanction = relationship("Sanction", back_populates="appeal")
    submitted_by = relationship("User", foreign_keys=[submitted_by_id])
    decided_by = relationship("User", foreign_keys=[decided_by_id])

    __mapper_args__ = {"version_id_col": version}

    @property
    def is_decided(self) -> bool:
        return self.decided_at is not None

    @property
    def outcome_label(self) -> str:
        return APPEAL_OUTCOME_LABELS.get(self.outcome, "Waiting for a decision")

    def decide(self, user, outcome: str, reason: str, now: datetime, reduced_to: str | None = None) -> None:
        if self.is_decided:
            raise InvalidTransition("This appeal has already been decided.")
        if outcome not in APPEAL_OUTCOME_LABELS:
            raise InvalidTransition("Choose the outcome of the appeal.")
        self.outcome, self.reason, self.decided_by_id, self.decided_at = outcome, reason, user.id, now
        self.reduced_to = reduced_to if outcome == PARTLY_UPHELD else None
