import calendar
from datetime import date, datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db

SERVICE_TYPES = {
    "foster": "Fostering",
    "residential": "Residential children's homes",
    "sixteen_plus": "16+ supported accommodation",
    "special_school": "Independent and non-maintained special schools",
}

EVIDENCE_KINDS = {
    "ofsted_report": "Current Ofsted inspection report",
    "statement_of_purpose": "Statement of purpose (or 16+ equivalent)",
    "childrens_guide": "Children's guide (or 16+ equivalent)",
    "pricing_schedule": "Pricing schedule",
    "insurance_certificate": "Insurance certificate",
}

EVIDENCE_MISSING = {
    "ofsted_report": "Upload your current Ofsted inspection report",
    "statement_of_purpose": "Upload your statement of purpose (or 16+ equivalent)",
    "childrens_guide": "Upload your children's guide (or 16+ equivalent)",
    "pricing_schedule": "Upload your pricing schedule",
    "insurance_certificate": "Upload your insurance certificate",
}

MINIMUM_REFEREES = 2


class Dps(db.Model):
    """A dynamic purchasing system: the arrangement a lead authority runs for its consortium."""

    __tablename__ = "dps"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    lead_authority_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    service_type: Mapped[str] = mapped_column(String(30))
    description: Mapped[str] = mapped_column(Text, default="")
    start_date: Mapped[date]
    initial_years: Mapped[int]
    extension_years: Mapped[str] = mapped_column(String(20), default="")
    cadence_months: Mapped[int | None]  # None: continuously open
    window_length_days: Mapped[int]
    reminder_days: Mapped[int] = mapped_column(default=5)
    decision_working_days: Mapped[int] = mapped_column(default=10)
    moderation_gap: Mapped[int] = mapped_column(default=2)  # evaluators' scores further apart are highlighted
    required_evidence: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime]
    # The number of the DPS's latest referral ("-R0042": 42), counted up as each is drafted.
    last_referral_number: Mapped[int] = mapped_column(default=0, server_default="0")

    lead_authority = relationship("Organisation")
    lots = relationship("Lot", back_populates="dps", order_by="Lot.number")
    members = relationship("DpsMember", back_populates="dps", cascade="all, delete-orphan")
    extension_records = relationship("DpsExtension", back_populates="dps", order_by="DpsExtension.number",
                                     cascade="all, delete-orphan")
    question_sets = relationship("QuestionSet", back_populates="dps", order_by="QuestionSet.version")

    @property
    def service_label(self) -> str:
        return SERVICE_TYPES.get(self.service_type, self.service_type)

    @property
    def is_continuous(self) -> bool:
        return self.cadence_months is None

    @property
    def evidence_kinds(self) -> list[str]:
        chosen = set(self.required_evidence.split(","))
        return [kind for kind in EVIDENCE_KINDS if kind in chosen]

    @property
    def extensions(self) -> list[int]:
        return [int(part) for part in self.extension_years.split("+") if part.strip()]

    @property
    def term_label(self) -> str:
        label = f"{self.initial_years} year{'s' if self.initial_years != 1 else ''}"
        return label + "".join(f" + {years}" for years in self.extensions)

    def _after(self, years: int) -> date:
        """The start date so many years on; 28 February for a 29 February start that ends in a year that is not
        a leap year."""
        year = self.start_date.year + years
        if (self.start_date.month, self.start_date.day) == (2, 29) and not calendar.isleap(year):
            return date(year, 2, 28)
        return self.start_date.replace(year=year)

    @property
    def extensions_taken(self) -> int:
        """How many of the possible extensions have been taken up, in order."""
        return len(self.extension_records)

    @property
    def end_date(self) -> date:
        """The current end of the term: the initial term and the extensions taken up so far."""
        return self._after(self.initial_years + sum(self.extensions[:self.extensions_taken]))

    @property
    def latest_end_date(self) -> date:
        """The end of the term if every possible extension is taken up."""
        return self._after(self.initial_years + sum(self.extensions))

    @property
    def end_date_after_next_extension(self) -> date | None:
        if self.next_extension is None:
            return None
        return self._after(self.initial_years + sum(self.extensions[:self.extensions_taken + 1]))

    @property
    def next_extension(self) -> int | None:
        """The years of the next extension that may be taken up, or None when all have been."""
        remaining = self.extensions[self.extensions_taken:]
        return remaining[0] if remaining else None

    @property
    def cadence_label(self) -> str:
        if self.is_continuous:
            return "Continuously open"
        if self.cadence_months == 1:
            return "Every month"
        return f"Every {self.cadence_months} months"

    @property
    def current_question_set(self):
        return self.question_sets[-1] if self.question_sets else None


class DpsMember(db.Model):
    """A member (participating) authority of a DPS."""

    __tablename__ = "dps_member"
    __table_args__ = (UniqueConstraint("dps_id", "authority_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dps_id: Mapped[int] = mapped_column(ForeignKey("dps.id"), index=True)
    authority_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    joined_on: Mapped[date]
    # A member that has left keeps its referrals and placements, but can start no new referral on the DPS.
    left_on: Mapped[date | None]
    left_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    left_reason: Mapped[str] = mapped_column(Text, default="", server_default="")

    dps = relationship("Dps", back_populates="members")
    authority = relationship("Organisation")
    left_by = relationship("User")

    @property
    def is_current(self) -> bool:
        return self.left_on is None


class DpsExtension(db.Model):
    """An extension of a DPS's term taken up: the first, second … of its possible extensions ("2+1")."""

    __tablename__ = "dps_extension"
    __table_args__ = (UniqueConstraint("dps_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dps_id: Mapped[int] = mapped_column(ForeignKey("dps.id"), index=True)
    number: Mapped[int]  # 1 for the first possible extension
    years: Mapped[int]
    taken_on: Mapped[date]
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    recorded_at: Mapped[datetime]

    dps = relationship("Dps", back_populates="extension_records")
    recorded_by = relationship("User")


class Lot(db.Model):
    __tablename__ = "lot"
    __table_args__ = (UniqueConstraint("dps_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dps_id: Mapped[int] = mapped_column(ForeignKey("dps.id"), index=True)
    number: Mapped[int]
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    age_from: Mapped[int]  # the youngest age of its first category
    age_to: Mapped[int]  # the oldest age of its last category

    dps = relationship("Dps", back_populates="lots")
    categories = relationship("AgeCategory", back_populates="lot", order_by="AgeCategory.age_from",
                              cascade="all, delete-orphan")

    @property
    def label(self) -> str:
        return f"Lot {self.number}: {self.name}"

    @property
    def age_band(self) -> str:
        return f"{self.age_from} to {self.age_to}"

    @property
    def is_divided(self) -> bool:
        """Whether the lot has more than one age category (else its one category spans its ages)."""
        return len(self.categories) > 1

    def label_with(self, category_id: int | None) -> str:
        """The lot and, on a lot divided into age categories, the category `category_id` ("Lot 1: Standard foster
        care, ages 5 to 10"). Read from the lot's categories, so that a list loads them once for all its rows."""
        category = next((c for c in self.categories if c.id == category_id), None)
        return category.full_label if category is not None else self.label

    def category_for(self, age: int | None) -> "AgeCategory | None":
        """The category a child of this age falls in, or None."""
        if age is None:
            return None
        return next((c for c in self.categories if c.age_from <= age <= c.age_to), None)


class AgeCategory(db.Model):
    """A part of a lot for children of some ages, with its own number of tiers: providers price each category
    they offer, are tiered in it on that price, and a referral goes to the category of the child's age.
    A lot that is not divided has one category spanning its ages."""

    __tablename__ = "age_category"
    __table_args__ = (UniqueConstraint("lot_id", "age_from"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lot.id"), index=True)
    age_from: Mapped[int]
    age_to: Mapped[int]
    tiers: Mapped[int] = mapped_column(default=3)  # 0: no tiers, everyone is approached at once

    lot = relationship("Lot", back_populates="categories")

    @property
    def age_band(self) -> str:
        return f"{self.age_from} to {self.age_to}"

    @property
    def label(self) -> str:
        return f"Ages {self.age_band}"

    @property
    def tiers_label(self) -> str:
        return "No tiers" if not self.tiers else f"{self.tiers} tier{'s' if self.tiers != 1 else ''}"

    @property
    def full_label(self) -> str:
        """The lot and, where the lot is divided, the category: for lists across lots."""
        return f"{self.lot.label}, ages {self.age_band}" if self.lot.is_divided else self.lot.label


class QuestionSet(db.Model):
    """A version of a DPS's quality questions and quality/cost weighting.

    A window uses the version that was current when it was created. Once a window has opened
    under a version, the version is locked: changes go into a new version for later windows.
    """

    __tablename__ = "question_set"
    __table_args__ = (UniqueConstraint("dps_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dps_id: Mapped[int] = mapped_column(ForeignKey("dps.id"), index=True)
    version: Mapped[int]
    quality_weight: Mapped[int]
    cost_weight: Mapped[int]
    quality_threshold_percent: Mapped[int] = mapped_column(default=50)
    created_at: Mapped[datetime]
    locked_at: Mapped[datetime | None]

    dps = relationship("Dps", back_populates="question_sets")
    questions = relationship(
        "QualityQuestion", back_populates="question_set", order_by="QualityQuestion.number",
        cascade="all, delete-orphan",
    )

    @property
    def is_locked(self) -> bool:
        return self.locked_at is not None

    @property
    def weighting_label(self) -> str:
        return f"{self.quality_weight}% quality, {self.cost_weight}% cost"


class QualityQuestion(db.Model):
    __tablename__ = "quality_question"
    __table_args__ = (UniqueConstraint("question_set_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_set_id: Mapped[int] = mapped_column(ForeignKey("question_set.id"), index=True)
    number: Mapped[int]
    text: Mapped[str] = mapped_column(Text)
    guidance: Mapped[str] = mapped_column(Text, default="")
    scoring: Mapped[str] = mapped_column(String(20))  # "scored" or "pass_fail"
    weight: Mapped[int] = mapped_column(default=1)
    max_score: Mapped[int] = mapped_column(default=5)
    min_score: Mapped[int] = mapped_column(default=0)
    word_limit: Mapped[int] = mapped_column(default=500)

    question_set = relationship("QuestionSet", back_populates="questions")

    @property
    def is_pass_fail(self) -> bool:
        return self.scoring == "pass_fail"
