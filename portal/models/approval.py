"""Approvals: a request for a decision at an authority (funding for a referral, the cost of a placement, an
off-framework search, a senior manager's agreement), answered by someone other than the person who asked.

One record serves every kind of decision. What it is about is named by `subject_type` and `subject_id` (a
referral now; a placement or a contract decision later), and `basis` says which option within the subject the
figures are for ("bid 12", "off-framework provider 3"), so that an approval given for one bid or price never
counts for another. Who may answer which kind lives in `portal.services.approvals`."""

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.errors import InvalidTransition
from portal.extensions import db
from portal.money import annual as annual_figure

# What is asked.
FUNDING = "funding"  # funding for a referral before it is published
PLACEMENT_COST = "placement_cost"  # the weekly cost of a placement: at award, or off the framework
OFF_FRAMEWORK_SEARCH = "off_framework_search"  # an off-framework search and its funding
SENIOR_AGREEMENT = "senior_agreement"  # a senior manager's agreement to an off-framework placement
# After a placement ended unplanned, a new referral for the same child needs both of these before it is published
NEW_SEARCH_HEAD = "new_search_head_of_service"
NEW_SEARCH_DIRECTOR = "new_search_assistant_director"
CONTINUE_AT_INADEQUATE = "continue_at_inadequate"  # a live placement at a setting judged Inadequate
PRICE_CHANGE = "price_change"  # a change of a placement's weekly price after negotiation (a new IPA version)
KIND_LABELS = {
    FUNDING: "Funding for the referral",
    PLACEMENT_COST: "The cost of the placement",
    OFF_FRAMEWORK_SEARCH: "An off-framework search and its funding",
    SENIOR_AGREEMENT: "A senior manager's agreement to an off-framework placement",
    NEW_SEARCH_HEAD: "A head of service's agreement to a new search after an unplanned ending",
    NEW_SEARCH_DIRECTOR: "An assistant director's agreement to a new search after an unplanned ending",
    PRICE_CHANGE: "A change of a placement's weekly price",
    CONTINUE_AT_INADEQUATE: "An assistant director's agreement to continue a placement at a setting judged Inadequate",
}
# The escalation ladder and significant performance issues (portal.services.ladder).
SIGNIFICANT_ISSUE = "significant_issue"
NOTICE_TO_IMPROVE = "notice_to_improve"
SUSPENSION = "suspension"
TERMINATION = "termination"
KIND_LABELS.update({SIGNIFICANT_ISSUE: "Agreement to a significant performance issue",
                    NOTICE_TO_IMPROVE: "A written notice to improve", SUSPENSION: "A suspension for breach of contract",
                    TERMINATION: "A termination of contract"})

# The subject: what the approval is about.
REFERRAL = "referral"

# States. A pending request is approved or refused by someone else, or withdrawn by its requester; a request
# for the same thing made later replaces it (pending or answered), so only the latest ever counts.
PENDING = "pending"
APPROVED = "approved"
REFUSED = "refused"
WITHDRAWN = "withdrawn"
REPLACED = "replaced"
STATUS_LABELS = {PENDING: "Waiting for an answer", APPROVED: "Approved", REFUSED: "Refused", WITHDRAWN: "Withdrawn",
                 REPLACED: "Replaced by a later request"}
MOVES = {PENDING: {APPROVED, REFUSED, WITHDRAWN, REPLACED}, APPROVED: {REPLACED}, REFUSED: {REPLACED}}


class Approval(db.Model):
    __tablename__ = "approval"
    __table_args__ = (
        Index("ix_approval_subject", "subject_type", "subject_id", "kind"),
        Index("ix_approval_authority_status", "authority_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    authority_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    subject_type: Mapped[str] = mapped_column(String(30))
    subject_id: Mapped[int]
    basis: Mapped[str] = mapped_column(String(60), default="")
    summary: Mapped[str] = mapped_column(Text, default="")  # what is asked, in words, for the answerer
    weekly_cost: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    annual_cost: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))  # weekly x 52: compared with limits
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    requested_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(20), default=PENDING)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    answered_role: Mapped[str | None] = mapped_column(String(40))
    answered_at: Mapped[datetime | None]
    reason: Mapped[str] = mapped_column(Text, default="")
    closed_at: Mapped[datetime | None]  # withdrawn or replaced
    # An approval typed as a name and a date before approvals were made in the portal (kept by the migration)
    recorded_approver: Mapped[str | None] = mapped_column(String(120))
    version: Mapped[int] = mapped_column(default=1)

    requested_by = relationship("User", foreign_keys=[requested_by_id])
    answered_by = relationship("User", foreign_keys=[answered_by_id])
    authority = relationship("Organisation")

    __mapper_args__ = {"version_id_col": version}

    # Set (not stored) when asking again found this request already standing for the same figures.
    already_asked = False

    @staticmethod
    def annual(weekly: Decimal | None) -> Decimal | None:
        return annual_figure(weekly)

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def is_pending(self) -> bool:
        return self.status == PENDING

    @property
    def is_approved(self) -> bool:
        return self.status == APPROVED

    @property
    def recorded_before_portal(self) -> bool:
        return self.recorded_approver is not None

    def _move(self, to: str, action: str) -> None:
        if to not in MOVES.get(self.status, set()):
            raise InvalidTransition(f"You cannot {action}: it is {STATUS_LABELS[self.status].lower()}.")
        self.status = to

    def approve(self, user, role: str, now: datetime) -> None:
        self._answer(APPROVED, user, role, "", now)

    def refuse(self, user, role: str, reason: str, now: datetime) -> None:
        self._answer(REFUSED, user, role, reason, now)

    def _answer(self, to: str, user, role: str, reason: str, now: datetime) -> None:
        if user.id == self.requested_by_id:
            raise InvalidTransition("You cannot answer your own request: someone else must decide it.")
        self._move(to, "answer this request")
        self.answered_by_id, self.answered_role, self.answered_at, self.reason = user.id, role, now, reason

    def withdraw(self, user, now: datetime) -> None:
        if user.id != self.requested_by_id:
            raise InvalidTransition("Only the person who asked can withdraw this request.")
        self._move(WITHDRAWN, "withdraw this request")
        self.closed_at = now

    def close(self, now: datetime) -> None:
        """Close a pending request whose subject went away (a referral withdrawn): nobody need answer it."""
        self._move(WITHDRAWN, "close this request")
        self.closed_at = now

    def replace(self, now: datetime) -> None:
        self._move(REPLACED, "replace this request")
        self.closed_at = now

    def matches(self, *, basis: str = "", weekly_cost: Decimal | None = None) -> bool:
        """Whether the approval is still for these figures: the same option and the same weekly cost."""
        if self.basis != basis:
            return False
        if weekly_cost is None:
            return True
        return self.weekly_cost is not None and self.weekly_cost == weekly_cost
