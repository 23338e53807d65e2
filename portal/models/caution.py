"""A provider's "place with caution": the updated evidence it sends, and the lead authority's decision to
lift or confirm the caution once it has read that evidence."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db

LIFTED = "lifted"
CONFIRMED = "confirmed"
DECISIONS = {LIFTED: "Caution lifted", CONFIRMED: "Caution confirmed"}


class CautionReview(db.Model):
    """A lead authority's decision on a provider's caution, on the lots of the DPSs it leads, with its reason."""

    __tablename__ = "caution_review"
    __table_args__ = (Index("ix_caution_review_provider_decided", "provider_id", "decided_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    lead_authority_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    decision: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text)
    lots: Mapped[str] = mapped_column(Text, default="")  # the lots decided on, as their labels read then
    decided_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[datetime]

    provider = relationship("Organisation", foreign_keys=[provider_id])
    lead_authority = relationship("Organisation", foreign_keys=[lead_authority_id])
    decided_by = relationship("User")

    @property
    def label(self) -> str:
        return DECISIONS[self.decision]


class CautionEvidence(db.Model):
    """Updated evidence a provider sends about its caution: a file, stored like application evidence, and a
    note. It awaits review until a decision on the caution is made."""

    __tablename__ = "caution_evidence"
    __table_args__ = (Index("ix_caution_evidence_provider_sent", "provider_id", "sent_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    note: Mapped[str] = mapped_column(Text)
    original_filename: Mapped[str] = mapped_column(String(255))
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    file_type: Mapped[str] = mapped_column(String(10))
    size_bytes: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    sent_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    sent_at: Mapped[datetime]
    review_id: Mapped[int | None] = mapped_column(ForeignKey("caution_review.id"), index=True)

    provider = relationship("Organisation")
    sent_by = relationship("User")
    review = relationship("CautionReview")

    @property
    def awaiting_review(self) -> bool:
        return self.review_id is None
