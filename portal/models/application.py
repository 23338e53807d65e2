from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.errors import InvalidTransition
from portal.extensions import db

DRAFT = "draft"
SUBMITTED = "submitted"
STATUS_LABELS = {DRAFT: "Draft", SUBMITTED: "Submitted"}


class Application(db.Model):
    """A provider's application to join lots of a DPS in one entry window."""

    __tablename__ = "application"
    __table_args__ = (UniqueConstraint("window_id", "provider_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    window_id: Mapped[int] = mapped_column(ForeignKey("entry_window.id"), index=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default=DRAFT, index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    submitted_at: Mapped[datetime | None]
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    moderated_at: Mapped[datetime | None]
    moderated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    version: Mapped[int] = mapped_column(default=1)

    window = relationship("EntryWindow")
    provider = relationship("Organisation")
    submitted_by = relationship("User", foreign_keys=[submitted_by_id])
    moderated_by = relationship("User", foreign_keys=[moderated_by_id])
    lots = relationship("ApplicationLot", back_populates="application", cascade="all, delete-orphan")
    answers = relationship("Answer", back_populates="application", cascade="all, delete-orphan")
    documents = relationship("Document", back_populates="application", cascade="all, delete-orphan")
    referees = relationship(
        "Referee", back_populates="application", cascade="all, delete-orphan", order_by="Referee.id"
    )
    allocations = relationship("Allocation", back_populates="application", order_by="Allocation.id")
    gates = relationship("GateResult", back_populates="application")
    clarifications = relationship("Clarification", back_populates="application", order_by="Clarification.id")
    moderated_scores = relationship("ModeratedScore", back_populates="application")
    outcomes = relationship("LotOutcome", back_populates="application")

    __mapper_args__ = {"version_id_col": version}

    @property
    def is_draft(self) -> bool:
        return self.status == DRAFT

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    def mark_submitted(self, by, at: datetime) -> None:
        if self.status != DRAFT:
            raise InvalidTransition("This application has already been submitted.")
        self.status = SUBMITTED
        self.submitted_by = by
        self.submitted_at = at


class ApplicationLot(db.Model):
    """A lot the provider applies for, with its weekly price for each age category it offers."""

    __tablename__ = "application_lot"
    __table_args__ = (UniqueConstraint("application_id", "lot_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id"), index=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lot.id"), index=True)

    application = relationship("Application", back_populates="lots")
    lot = relationship("Lot")
    prices = relationship("CategoryPrice", back_populates="application_lot", cascade="all, delete-orphan",
                          order_by="CategoryPrice.id")

    def price_for(self, category_id: int) -> Decimal | None:
        return next((p.weekly_price for p in self.prices if p.category_id == category_id), None)

    @property
    def priced_categories(self) -> list:
        """(category, weekly price or None) for every category of the lot, youngest first."""
        return [(category, self.price_for(category.id)) for category in self.lot.categories]


class CategoryPrice(db.Model):
    """The provider's weekly price for one age category of a lot it applies for. No row: it does not offer the
    category."""

    __tablename__ = "category_price"
    __table_args__ = (UniqueConstraint("application_lot_id", "category_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_lot_id: Mapped[int] = mapped_column(ForeignKey("application_lot.id"))
    category_id: Mapped[int] = mapped_column(ForeignKey("age_category.id"), index=True)
    weekly_price: Mapped[Decimal] = mapped_column(Numeric(10, 2))

    application_lot = relationship("ApplicationLot", back_populates="prices")
    category = relationship("AgeCategory")


class Answer(db.Model):
    __tablename__ = "answer"
    __table_args__ = (UniqueConstraint("application_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id"), index=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("quality_question.id"))
    text: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime]

    application = relationship("Application", back_populates="answers")
    question = relationship("QualityQuestion")


class Document(db.Model):
    """An evidence file. Stored outside the web root under a random name; one per kind."""

    __tablename__ = "document"
    __table_args__ = (UniqueConstraint("application_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    original_filename: Mapped[str] = mapped_column(String(255))
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    file_type: Mapped[str] = mapped_column(String(10))
    size_bytes: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    expires_on: Mapped[date | None]
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    uploaded_at: Mapped[datetime]

    application = relationship("Application", back_populates="documents")
    uploaded_by = relationship("User")


class Referee(db.Model):
    """A local-authority referee named by the provider."""

    __tablename__ = "referee"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id"), index=True)
    authority_name: Mapped[str] = mapped_column(String(200))
    contact_name: Mapped[str] = mapped_column(String(120))
    job_title: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(254))
    telephone: Mapped[str] = mapped_column(String(30), default="")
    reference_outcome: Mapped[str | None] = mapped_column(String(20))  # satisfactory / unsatisfactory
    reference_note: Mapped[str | None] = mapped_column(Text)
    reference_recorded_at: Mapped[datetime | None]
    reference_recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    application = relationship("Application", back_populates="referees")
