"""The compliance register: each setting's Ofsted inspections, each provider's insurance and other dated evidence,
the monthly Ofsted import and review, and Ofsted's enforcement notices.

The rules that act on these records live in portal.services.compliance."""

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.errors import InvalidTransition
from portal.extensions import db

# Ofsted's overall judgements, 1 (best) to 4.
OUTSTANDING, GOOD, REQUIRES_IMPROVEMENT, INADEQUATE = 1, 2, 3, 4
JUDGEMENTS = {OUTSTANDING: "Outstanding", GOOD: "Good", REQUIRES_IMPROVEMENT: "Requires improvement to be good",
              INADEQUATE: "Inadequate"}

# The lead assistant director's decision on an Inadequate judgement's restriction.
LIFT, KEEP, EXTEND = "lift", "keep", "extend"
DECISIONS = {LIFT: "Lift the restriction", KEEP: "Keep the restriction of the setting",
             EXTEND: "Extend the restriction to the whole provider"}


class Inspection(db.Model):
    """One Ofsted inspection of a setting: its date, type and overall judgement. An Inadequate judgement recorded
    through a lead's import waits for that lead's assistant director's decision (`decision`)."""

    __tablename__ = "inspection"
    __table_args__ = (UniqueConstraint("setting_id", "inspected_on", "inspection_type",
                                       name="uq_inspection_setting_date_type"),
                      Index("ix_inspection_setting_date", "setting_id", "inspected_on"),
                      Index("ix_inspection_lead_decision", "lead_id", "judgement", "decided_at"),
                      Index("ix_inspection_judgement_setting", "judgement", "setting_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    setting_id: Mapped[int] = mapped_column(ForeignKey("setting.id"))
    inspected_on: Mapped[date]
    inspection_type: Mapped[str] = mapped_column(String(120))
    judgement: Mapped[int]  # a key of JUDGEMENTS
    previous_judgement: Mapped[int | None]  # the setting's latest judgement before this one
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))  # whose import recorded it
    import_id: Mapped[int | None] = mapped_column(ForeignKey("ofsted_import.id"))
    recorded_at: Mapped[datetime]
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decision: Mapped[str | None] = mapped_column(String(10))  # a key of DECISIONS
    decision_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    setting = relationship("Setting")
    decided_by = relationship("User", foreign_keys=[decided_by_id])

    @property
    def judgement_label(self) -> str:
        return JUDGEMENTS.get(self.judgement, str(self.judgement))

    @property
    def previous_label(self) -> str:
        return JUDGEMENTS.get(self.previous_judgement, "None recorded") if self.previous_judgement else "None recorded"

    @property
    def fell(self) -> bool:
        return self.previous_judgement is not None and self.judgement > self.previous_judgement

    @property
    def awaits_decision(self) -> bool:
        return self.judgement == INADEQUATE and self.lead_id is not None and self.decided_at is None

    @property
    def decision_label(self) -> str:
        return DECISIONS.get(self.decision or "", "")

    def decide(self, decision: str, reason: str, by_id: int, now: datetime) -> None:
        if not self.awaits_decision:
            raise InvalidTransition("This judgement has already been decided.")
        self.decision, self.decision_reason, self.decided_by_id, self.decided_at = decision, reason, by_id, now


class OfstedMapping(db.Model):
    """Which columns of Ofsted's CSV hold what, remembered per lead authority for its next import."""

    __tablename__ = "ofsted_mapping"

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), unique=True)
    urn_column: Mapped[str] = mapped_column(String(200))
    provider_type_column: Mapped[str] = mapped_column(String(200))
    date_column: Mapped[str] = mapped_column(String(200))
    type_column: Mapped[str] = mapped_column(String(200))
    judgement_column: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime]


class OfstedImport(db.Model):
    """One upload of Ofsted's CSV by a lead's administrator: mapped, previewed, then applied once."""

    __tablename__ = "ofsted_import"
    __table_args__ = (Index("ix_ofsted_import_lead_uploaded", "lead_id", "uploaded_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    filename: Mapped[str] = mapped_column(String(200))
    stored_name: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime]
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    applied_at: Mapped[datetime | None]
    applied_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    recorded: Mapped[int] = mapped_column(default=0)  # inspections recorded when applied
    falls: Mapped[int] = mapped_column(default=0)

    uploaded_by = relationship("User", foreign_keys=[uploaded_by_id])

    @property
    def is_applied(self) -> bool:
        return self.applied_at is not None


# Dated evidence ------------------------------------------------------------------------------------------------

PUBLIC_LIABILITY, EMPLOYERS_LIABILITY, PROFESSIONAL_INDEMNITY = (
    "public_liability", "employers_liability", "professional_indemnity")
INSURANCE_KINDS = (PUBLIC_LIABILITY, EMPLOYERS_LIABILITY, PROFESSIONAL_INDEMNITY)
EVIDENCE_KINDS = {
    PUBLIC_LIABILITY: "Public liability insurance",
    EMPLOYERS_LIABILITY: "Employer's liability insurance",
    PROFESSIONAL_INDEMNITY: "Professional indemnity insurance",
    "registration_certificate": "Ofsted registration certificate",
    "safeguarding_policy": "Safeguarding policy",
    "statement_of_purpose": "Statement of purpose",
}
SUBMITTED, ACCEPTED, REJECTED = "submitted", "accepted", "rejected"
EVIDENCE_STATUSES = {SUBMITTED: "Waiting for a decision", ACCEPTED: "Accepted", REJECTED: "Rejected"}


class Evidence(db.Model):
    """A provider's dated evidence (an insurance certificate, a policy…): uploaded by the provider, accepted or
    rejected (with the reason) by a contract manager or an administrator. The accepted one of a kind with the
    latest expiry is the one in force; warnings go 30 and 7 days before it lapses, and at lapse a restriction
    of the whole provider starts."""

    __tablename__ = "evidence"
    __table_args__ = (Index("ix_evidence_provider_kind", "provider_id", "kind", "status"),
                      Index("ix_evidence_status_expires", "status", "expires_on"))

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    kind: Mapped[str] = mapped_column(String(40))  # a key of EVIDENCE_KINDS
    expires_on: Mapped[date]
    filename: Mapped[str] = mapped_column(String(200))
    stored_name: Mapped[str] = mapped_column(String(64))
    file_type: Mapped[str] = mapped_column(String(10))
    uploaded_at: Mapped[datetime]
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    status: Mapped[str] = mapped_column(String(12), default=SUBMITTED)
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decision_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    warned_30_at: Mapped[datetime | None]
    warned_7_at: Mapped[datetime | None]
    lapsed_at: Mapped[datetime | None]  # its lapse started a restriction
    version: Mapped[int] = mapped_column(default=1)

    provider = relationship("Organisation")
    decided_by = relationship("User", foreign_keys=[decided_by_id])

    __mapper_args__ = {"version_id_col": version}

    @property
    def kind_label(self) -> str:
        return EVIDENCE_KINDS.get(self.kind, self.kind)

    @property
    def status_label(self) -> str:
        return EVIDENCE_STATUSES[self.status]

    @property
    def is_insurance(self) -> bool:
        return self.kind in INSURANCE_KINDS

    def decide(self, accept: bool, reason: str, by_id: int, now: datetime) -> None:
        if self.status != SUBMITTED:
            raise InvalidTransition(f"This evidence has already been {self.status}.")
        self.status = ACCEPTED if accept else REJECTED
        self.decision_reason, self.decided_by_id, self.decided_at = reason, by_id, now


class OfstedReview(db.Model):
    """A contract manager's monthly Ofsted review of their providers: reminded once, then marked done."""

    __tablename__ = "ofsted_review"
    __table_args__ = (UniqueConstraint("contract_manager_id", "month", name="uq_ofsted_review_manager_month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_manager_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    month: Mapped[date]  # the first day of the month (UK)
    reminded_at: Mapped[datetime | None]
    done_at: Mapped[datetime | None]
    notes: Mapped[str] = mapped_column(Text, default="", server_default="")


# Enforcement notices (Care Standards Act 2000 s30A) --------------------------------------------------------

NOTICE_TO_CANCEL, SUMMONS, RESTRICTION_OF_ACCOMMODATION = "notice_to_cancel", "summons", "restriction_of_accommodation"
APPEAL, APPEAL_UPHELD, APPEAL_DISMISSED = "appeal", "appeal_upheld", "appeal_dismissed"
RESTRICTION_LIFTED, CANCELLATION_EFFECTIVE = "restriction_lifted", "cancellation_effective"
NOTICE_KINDS = {
    NOTICE_TO_CANCEL: "Notice of decision to cancel registration",
    SUMMONS: "Summons",
    RESTRICTION_OF_ACCOMMODATION: "Restriction of accommodation",
    APPEAL: "Appeal by the provider",
    APPEAL_UPHELD: "Appeal upheld",
    APPEAL_DISMISSED: "Appeal dismissed",
    RESTRICTION_LIFTED: "Restriction lifted by Ofsted",
    CANCELLATION_EFFECTIVE: "Cancellation of registration taking effect",
}
RESTRICTING = (NOTICE_TO_CANCEL, SUMMONS, RESTRICTION_OF_ACCOMMODATION)  # restrict new placements at the setting
LIFTING = (APPEAL_UPHELD, RESTRICTION_LIFTED)  # lift what the restricting notices started


class EnforcementNotice(db.Model):
    """An Ofsted enforcement step about a setting, recorded with its document by a contract manager or an
    administrator."""

    __tablename__ = "enforcement_notice"
    __table_args__ = (Index("ix_enforcement_notice_setting", "setting_id", "issued_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    setting_id: Mapped[int] = mapped_column(ForeignKey("setting.id"))
    kind: Mapped[str] = mapped_column(String(40))  # a key of NOTICE_KINDS
    issued_on: Mapped[date]
    notes: Mapped[str] = mapped_column(Text, default="", server_default="")
    filename: Mapped[str] = mapped_column(String(200))
    stored_name: Mapped[str] = mapped_column(String(64))
    file_type: Mapped[str] = mapped_column(String(10))
    recorded_at: Mapped[datetime]
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))

    setting = relationship("Setting")
    recorded_by = relationship("User", foreign_keys=[recorded_by_id])

    @property
    def kind_label(self) -> str:
        return NOTICE_KINDS.get(self.kind, self.kind)
