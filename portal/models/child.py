"""The child: an authority's private record of a child it refers and places, keyed by its own case number.

Only the authority's own users ever read it. Its referrals link to it (`Referral.child`), and through them its
placements and the moves between them, so a child's history is one page and "the same child" is known."""

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db


class Child(db.Model):
    __tablename__ = "child"
    __table_args__ = (
        # Two children of one authority never share a case number; a draft may have none yet (NULL: not unique).
        UniqueConstraint("authority_id", "case_number", name="uq_child_authority_case_number"),
        Index("ix_child_authority_surname", "authority_id", "surname"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    authority_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    first_names: Mapped[str] = mapped_column(String(120), default="")
    surname: Mapped[str] = mapped_column(String(120), default="")
    known_as: Mapped[str] = mapped_column(String(120), default="")
    date_of_birth: Mapped[date | None]  # None only while its referrals are drafts
    case_number: Mapped[str | None] = mapped_column(String(40))  # None only while its referrals are drafts
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    authority = relationship("Organisation")
    referrals = relationship("Referral", back_populates="child", order_by="Referral.created_at")

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.first_names, self.surname) if part) or "Not given yet"

    @property
    def short_name(self) -> str:
        """The first name and the surname's initial, for lists: "Kestrel Q."."""
        first = self.first_names.split()[0] if self.first_names else ""
        initial = f"{self.surname[:1]}." if self.surname else ""
        return " ".join(part for part in (first, initial) if part) or "Not given yet"

    def age_on(self, day: date) -> int | None:
        """The child's age in whole years on the day (a child born on 29 February turns a year older on 1 March in
        other years), or None while the date of birth is not known."""
        born = self.date_of_birth
        if born is None:
            return None
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))

    @property
    def names(self) -> tuple[str, ...]:
        parts = [*self.first_names.split(), *self.surname.split(), *self.known_as.split()]
        return tuple(part for part in parts if part)
