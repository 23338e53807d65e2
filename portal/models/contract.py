"""A provider's contract on one DPS, and the restrictions that suspend it.

Standing is per DPS: a provider may be suspended on one consortium's DPS and not on another's. It is not
stored but worked out (portal.services.standing): terminated when the contract is terminated, else suspended
while any whole-provider restriction is active, else in good standing. A restriction of one setting stops new
placements there only. Each restriction keeps its cause, the record that caused it and how it was lifted, so
overlapping restrictions are lifted one by one."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.errors import InvalidTransition
from portal.extensions import db

# Standings, as worked out from the contract and its restrictions.
GOOD = "good"
SUSPENDED = "suspended"
TERMINATED = "terminated"
STANDING_LABELS = {GOOD: "In good standing", SUSPENDED: "Suspended", TERMINATED: "Terminated"}

# Why a restriction started. Each has its own way to be lifted (the service that started it lifts it).
INSURANCE_EXPIRED = "insurance_expired"  # lifts when new evidence is accepted
EVIDENCE_EXPIRED = "evidence_expired"  # likewise, for other dated evidence
INADEQUATE = "inadequate"  # an Inadequate Ofsted judgement: until the lead's assistant director decides
ENFORCEMENT = "enforcement"  # an Ofsted enforcement notice: until the restriction is lifted or the appeal upheld
SANCTION = "sanction"  # a suspension decided on the escalation ladder: lifted at its review or on appeal
SAFEGUARDING = "safeguarding"  # an allegation that ended a placement: until the contract review is done
RECORDED = "recorded"  # a suspension recorded before restrictions were kept (migration 0019)
CAUSE_LABELS = {
    INSURANCE_EXPIRED: "Insurance expired",
    EVIDENCE_EXPIRED: "Evidence expired",
    INADEQUATE: "Inadequate Ofsted judgement",
    ENFORCEMENT: "Ofsted enforcement notice",
    SANCTION: "Suspension for breach of contract",
    SAFEGUARDING: "Safeguarding: contract review under way",
    RECORDED: "Suspension recorded before the portal kept restrictions",
}


class ProviderContract(db.Model):
    """A provider's contract on a DPS: made when it is first admitted to a lot of the DPS. It names the contract
    manager who monitors the provider there, and records a termination (and its reversal on appeal)."""

    __tablename__ = "provider_contract"
    __table_args__ = (UniqueConstraint("dps_id", "provider_id", name="uq_provider_contract_dps_provider"),
                      Index("ix_provider_contract_manager", "contract_manager_id"),
                      Index("ix_provider_contract_provider", "provider_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    dps_id: Mapped[int] = mapped_column(ForeignKey("dps.id"))
    provider_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    contract_manager_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    allocated_at: Mapped[datetime | None]
    allocated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime]
    terminated_at: Mapped[datetime | None]
    termination_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    reinstated_at: Mapped[datetime | None]  # a termination reversed by an upheld appeal
    reinstatement_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    version: Mapped[int] = mapped_column(default=1)

    dps = relationship("Dps")
    provider = relationship("Organisation")
    contract_manager = relationship("User", foreign_keys=[contract_manager_id])
    allocated_by = relationship("User", foreign_keys=[allocated_by_id])

    __mapper_args__ = {"version_id_col": version}

    # The lead authority's id, so approvals about the contract are the lead's (portal.services.approvals).
    @property
    def authority_id(self) -> int:
        return self.dps.lead_authority_id

    @property
    def authority(self):
        return self.dps.lead_authority

    @property
    def approval_name(self) -> str:
        return f"{self.provider.name} on {self.dps.reference}"

    @property
    def is_terminated(self) -> bool:
        return self.terminated_at is not None

    def terminate(self, reason: str, now: datetime) -> None:
        if self.is_terminated:
            raise InvalidTransition("This contract is already terminated.")
        self.terminated_at, self.termination_reason = now, reason
        self.reinstated_at, self.reinstatement_reason = None, ""

    def reinstate(self, reason: str, now: datetime) -> None:
        if not self.is_terminated:
            raise InvalidTransition("Only a terminated contract can be reinstated.")
        self.terminated_at, self.termination_reason = None, ""
        self.reinstated_at, self.reinstatement_reason = now, reason


class Restriction(db.Model):
    """A restriction on new placements with a provider on a DPS: of the whole provider (setting_id None), which
    suspends it, or of one setting. Active until lifted."""

    __tablename__ = "restriction"
    __table_args__ = (Index("ix_restriction_dps_provider_lifted", "dps_id", "provider_id", "lifted_at"),
                      Index("ix_restriction_source", "source_type", "source_id"),
                      Index("ix_restriction_setting", "setting_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    dps_id: Mapped[int] = mapped_column(ForeignKey("dps.id"))
    provider_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    setting_id: Mapped[int | None] = mapped_column(ForeignKey("setting.id"))  # None: the whole provider
    cause: Mapped[str] = mapped_column(String(30))  # a key of CAUSE_LABELS
    reason: Mapped[str] = mapped_column(Text)  # shown to every member authority and to the provider
    # The record that caused it (an evidence item, an inspection, a notice, a sanction, an incident)
    source_type: Mapped[str | None] = mapped_column(String(40))
    source_id: Mapped[int | None]
    started_at: Mapped[datetime]
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))  # None: the scheduler
    lifted_at: Mapped[datetime | None]
    lifted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    lift_reason: Mapped[str] = mapped_column(Text, default="", server_default="")

    dps = relationship("Dps")
    provider = relationship("Organisation")
    setting = relationship("Setting")
    started_by = relationship("User", foreign_keys=[started_by_id])
    lifted_by = relationship("User", foreign_keys=[lifted_by_id])

    @property
    def cause_label(self) -> str:
        return CAUSE_LABELS.get(self.cause, self.cause)

    @property
    def is_active(self) -> bool:
        return self.lifted_at is None

    @property
    def whole_provider(self) -> bool:
        return self.setting_id is None

    @property
    def scope_label(self) -> str:
        return "The whole provider" if self.setting is None else f"New placements at {self.setting.label}"

    def lift(self, reason: str, now: datetime, by_id: int | None) -> None:
        if not self.is_active:
            raise InvalidTransition("This restriction has already been lifted.")
        self.lifted_at, self.lift_reason, self.lifted_by_id = now, reason, by_id
