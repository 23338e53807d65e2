"""What the quarterly KPIs need beyond the placements' own records: the providers' quarterly returns (the questions
a DPS asks each quarter, and each provider's answers) and the thresholds that flag a provider's KPI.

A return keeps its own copy of the questions it was asked (ReturnAnswer.question, .answer_type), so a change to
the DPS's questions never alters a return already requested or submitted.
"""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.quarters import parse

NUMBER, TEXT = "number", "text"
ANSWER_TYPES = {NUMBER: "A number", TEXT: "Text"}
DEFAULT_DUE_DAYS = 30  # calendar days after the quarter's last day
DEFAULT_REMINDER_DAYS = 7  # before the due date


class ReturnQuestion(db.Model):
    """A question of a DPS's quarterly return, edited by the consortium administrator. A retired question is
    asked no more; returns already requested keep their copy."""

    __tablename__ = "return_question"
    __table_args__ = (Index("ix_return_question_dps_position", "dps_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dps_id: Mapped[int] = mapped_column(ForeignKey("dps.id"))
    position: Mapped[int]
    text: Mapped[str] = mapped_column(String(300))
    guidance: Mapped[str] = mapped_column(Text, default="", server_default="")
    answer_type: Mapped[str] = mapped_column(String(10))  # a key of ANSWER_TYPES
    created_at: Mapped[datetime]
    retired_at: Mapped[datetime | None]

    dps = relationship("Dps")

    @property
    def answer_type_label(self) -> str:
        return ANSWER_TYPES.get(self.answer_type, self.answer_type)


class ReturnSettings(db.Model):
    """When a DPS's returns are due: so many calendar days after the quarter, reminded so many days before.
    A DPS without a row uses the defaults."""

    __tablename__ = "return_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    dps_id: Mapped[int] = mapped_column(ForeignKey("dps.id"), unique=True)
    due_days: Mapped[int] = mapped_column(default=DEFAULT_DUE_DAYS)
    reminder_days: Mapped[int] = mapped_column(default=DEFAULT_REMINDER_DAYS)


class QuarterlyReturn(db.Model):
    """A provider's return for one quarter on one DPS: requested by the scheduler once the quarter has ended,
    answered and submitted by the provider; submitted, it is read only."""

    __tablename__ = "quarterly_return"
    __table_args__ = (
        UniqueConstraint("dps_id", "provider_id", "quarter"),
        Index("ix_quarterly_return_provider_quarter", "provider_id", "quarter"),
        Index("ix_quarterly_return_dps_quarter", "dps_id", "quarter"),
        Index("ix_quarterly_return_outstanding", "submitted_at", "due_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dps_id: Mapped[int] = mapped_column(ForeignKey("dps.id"))
    provider_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    quarter: Mapped[str] = mapped_column(String(7))  # its key, "2026-Q2"
    requested_at: Mapped[datetime]
    due_on: Mapped[date]
    updated_at: Mapped[datetime | None]
    submitted_at: Mapped[datetime | None]
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    dps = relationship("Dps")
    provider = relationship("Organisation")
    submitted_by = relationship("User")
    answers = relationship("ReturnAnswer", back_populates="quarterly_return", order_by="ReturnAnswer.position",
                           cascade="all, delete-orphan")

    @property
    def quarter_label(self) -> str:
        """"Q2 2026-27 (July to September 2026)", as people read the quarter (`quarter` is its key)."""
        quarter = parse(self.quarter)
        return quarter.label if quarter else self.quarter

    @property
    def is_submitted(self) -> bool:
        return self.submitted_at is not None

    def is_overdue(self, today: date) -> bool:
        return not self.is_submitted and self.due_on < today

    def status_label(self, today: date) -> str:
        if self.is_submitted:
            return "Submitted"
        return "Overdue" if self.is_overdue(today) else "To complete"


class ReturnAnswer(db.Model):
    """One question of a return as it was asked (its own copy), and the provider's answer."""

    __tablename__ = "return_answer"
    __table_args__ = (UniqueConstraint("return_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    return_id: Mapped[int] = mapped_column(ForeignKey("quarterly_return.id"))
    position: Mapped[int]
    question: Mapped[str] = mapped_column(String(300))
    guidance: Mapped[str] = mapped_column(Text, default="", server_default="")
    answer_type: Mapped[str] = mapped_column(String(10))
    number_value: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    text_value: Mapped[str] = mapped_column(Text, default="", server_default="")

    quarterly_return = relationship("QuarterlyReturn", back_populates="answers")

    @property
    def is_number(self) -> bool:
        return self.answer_type == NUMBER

    @property
    def shown(self) -> str:
        """The answer as given, for the pages ("" when unanswered)."""
        if self.is_number:
            return "" if self.number_value is None else format(self.number_value.normalize(), "f")
        return self.text_value


class KpiThreshold(db.Model):
    """The consortium administrator's limit on a KPI of a DPS: a provider whose rate is past it is flagged
    (above it for a rate where more is worse; below it for the average feedback)."""

    __tablename__ = "kpi_threshold"
    __table_args__ = (UniqueConstraint("dps_id", "kpi"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dps_id: Mapped[int] = mapped_column(ForeignKey("dps.id"))
    kpi: Mapped[str] = mapped_column(String(30))  # a key of portal.services.kpis.KPIS
    limit: Mapped[Decimal] = mapped_column(Numeric(8, 2))
    set_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    set_at: Mapped[datetime]
