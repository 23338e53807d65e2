"""The individual placement agreement (IPA) agreed in the portal: its versions and the changes of price that
make new ones.

Each version of a placement's agreement is a PDF made when the authority's officer issues it, kept with its
SHA-256. The provider's signatory accepts it (typed name, position, time and the SHA-256 of the PDF they
accepted), then a budget holder of the authority who did not issue it countersigns; once both have signed the
version is locked and in force, and the version in force before it is superseded (kept, downloadable). A
version issued while an earlier one is still unsigned replaces that one (it is superseded unsigned). The rules
are in portal.services.agreements."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, LargeBinary, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db

# Why a version was made
AWARD, PRICE_CHANGE, AMENDMENT = "award", "price_change", "amendment"
REASONS = {AWARD: "The award", PRICE_CHANGE: "A change of weekly price", AMENDMENT: "An amendment"}

# Where a version stands
AWAITING_PROVIDER, AWAITING_COUNTERSIGNATURE, IN_FORCE, SUPERSEDED = (
    "awaiting_provider", "awaiting_countersignature", "in_force", "superseded")
STATES = {AWAITING_PROVIDER: "Waiting for the provider's signature",
          AWAITING_COUNTERSIGNATURE: "Waiting for the budget holder's countersignature",
          IN_FORCE: "Signed and in force", SUPERSEDED: "Superseded"}


class AgreementVersion(db.Model):
    __tablename__ = "agreement_version"
    __table_args__ = (
        UniqueConstraint("placement_id", "number", name="uq_agreement_version_placement_id_number"),
        Index("ix_agreement_version_countersigned_superseded", "countersigned_at", "superseded_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    placement_id: Mapped[int] = mapped_column(ForeignKey("placement.id"))
    number: Mapped[int]
    reason: Mapped[str] = mapped_column(String(20))  # a key of REASONS
    amendment: Mapped[str] = mapped_column(Text, default="")  # what an amendment changes, in words
    price_change_id: Mapped[int | None] = mapped_column(ForeignKey("price_change.id"))
    weekly_cost: Mapped[Decimal] = mapped_column(Numeric(10, 2))  # the price in force under this version
    price_from: Mapped[date]  # from when
    pdf: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int]
    issued_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    issued_at: Mapped[datetime]
    provider_signed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    provider_signed_name: Mapped[str] = mapped_column(String(120), default="")
    provider_signed_position: Mapped[str] = mapped_column(String(120), default="")
    provider_signed_at: Mapped[datetime | None]
    provider_signed_sha256: Mapped[str | None] = mapped_column(String(64))
    countersigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    countersigned_at: Mapped[datetime | None]
    countersigned_sha256: Mapped[str | None] = mapped_column(String(64))
    superseded_at: Mapped[datetime | None]
    row_version: Mapped[int] = mapped_column(default=1)

    placement = relationship("Placement")
    price_change = relationship("PriceChange", foreign_keys=[price_change_id])
    issued_by = relationship("User", foreign_keys=[issued_by_id])
    provider_signed_by = relationship("User", foreign_keys=[provider_signed_by_id])
    countersigned_by = relationship("User", foreign_keys=[countersigned_by_id])

    # Two people signing the same version at once: the second is refused rather than overwriting the first.
    __mapper_args__ = {"version_id_col": row_version}

    @property
    def state(self) -> str:
        if self.superseded_at is not None:
            return SUPERSEDED
        if self.countersigned_at is not None:
            return IN_FORCE
        if self.provider_signed_at is not None:
            return AWAITING_COUNTERSIGNATURE
        return AWAITING_PROVIDER

    @property
    def state_label(self) -> str:
        if self.state == SUPERSEDED and self.countersigned_at is None:
            return "Replaced before it was signed"
        return STATES[self.state]

    @property
    def locked(self) -> bool:
        return self.countersigned_at is not None

    @property
    def reason_label(self) -> str:
        return REASONS.get(self.reason, self.reason)

    @property
    def filename(self) -> str:
        return f"{self.placement.agreement_reference}-version-{self.number}.pdf"


class PriceChange(db.Model):
    """A change of weekly price agreed with the provider after negotiation, waiting for (or given) the budget
    holder's approval; once approved it becomes a PlacementPrice and a new version of the agreement."""

    __tablename__ = "price_change"
    __table_args__ = (Index("ix_price_change_placement_requested", "placement_id", "requested_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    placement_id: Mapped[int] = mapped_column(ForeignKey("placement.id"))
    authority_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))  # the approval's subject needs it
    weekly_cost: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    effective_from: Mapped[date]
    reason: Mapped[str] = mapped_column(Text)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    requested_at: Mapped[datetime]
    approval_id: Mapped[int | None] = mapped_column(ForeignKey("approval.id"))
    price_id: Mapped[int | None] = mapped_column(ForeignKey("placement_price.id"))  # once approved

    placement = relationship("Placement")
    authority = relationship("Organisation")
    requested_by = relationship("User")
    approval = relationship("Approval")
    price = relationship("PlacementPrice")

    @property
    def approval_name(self) -> str:
        """How approvals name it in their e-mails and audit (portal.services.approvals)."""
        return f"the weekly price of placement {self.placement.agreement_reference}"
