from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal import areas
from portal.errors import InvalidTransition
from portal.extensions import db

PROVIDER = "provider"
AUTHORITY = "authority"

OFSTED_RATINGS = ["Outstanding", "Good", "Requires improvement to be good", "Inadequate"]

# A provider's status on the register, and the moves between them that are allowed. Suspension and termination
# are not here: they are standing on each DPS (portal.services.standing), never global.
PROVIDER_STATUSES = {
    "applicant": "Applicant",
    "admitted": "Admitted",
    "place_with_caution": "Place with caution",
}
PROVIDER_STATUS_MOVES = {
    "applicant": {"admitted", "place_with_caution"},
    "admitted": {"place_with_caution"},
    "place_with_caution": {"admitted"},
}

# A place on a lot: held (admitted, or to place with caution), or left when the provider's contract on the DPS was
# terminated (kept for the record, restored if the termination is reversed on appeal).
LEFT = "left"
MEMBERSHIP_LABELS = {"admitted": "Admitted", "place_with_caution": "Place with caution",
                     LEFT: "Left on termination"}


class Organisation(db.Model):
    __tablename__ = "organisation"
    __table_args__ = (
        Index("ix_organisation_kind_name", "kind", "name"),
        # Each authority is one area's council: "Sefton MBC" cannot sit beside "Sefton Council".
        Index("uq_organisation_authority_area", "area_code", unique=True,
              sqlite_where=text("kind = 'authority'"), postgresql_where=text("kind = 'authority'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    local_authority_area: Mapped[str | None] = mapped_column(String(100))  # the area's name, as shown
    # The ONS code of the area (portal/areas.py): an authority's own area, a provider's registered office's.
    # None where an old typed name matched no area and is still to be confirmed.
    area_code: Mapped[str | None] = mapped_column(String(9))
    registered_office: Mapped[str | None] = mapped_column(Text)
    postcode: Mapped[str | None] = mapped_column(String(10))
    telephone: Mapped[str | None] = mapped_column(String(30))
    ofsted_urn: Mapped[str | None] = mapped_column(String(12), unique=True)
    ofsted_rating: Mapped[str | None] = mapped_column(String(40))
    ofsted_rating_date: Mapped[date | None]
    provider_status: Mapped[str | None] = mapped_column(String(30), index=True)
    created_at: Mapped[datetime]

    users = relationship("User", back_populates="organisation", order_by="User.name")

    @property
    def is_provider(self) -> bool:
        return self.kind == PROVIDER

    @property
    def is_authority(self) -> bool:
        return self.kind == AUTHORITY

    @property
    def area(self) -> areas.Area | None:
        return areas.get(self.area_code)

    @property
    def status_label(self) -> str:
        return PROVIDER_STATUSES.get(self.provider_status or "", "")

    def change_provider_status(self, new_status: str) -> None:
        if not self.is_provider:
            raise InvalidTransition("Only providers have a standing on the register.")
        if new_status not in PROVIDER_STATUS_MOVES.get(self.provider_status, set()):
            raise InvalidTransition(
                f"A provider cannot move from {self.status_label.lower()} "
                f"to {PROVIDER_STATUSES.get(new_status, new_status).lower()}."
            )
        self.provider_status = new_status


class LotMembership(db.Model):
    """A provider's place on a lot: granted by admission. Its tiers are per age category (CategoryMembership)."""

    __tablename__ = "lot_membership"
    __table_args__ = (UniqueConstraint("lot_id", "provider_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lot.id"), index=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    status: Mapped[str] = mapped_column(String(30))  # a key of MEMBERSHIP_LABELS
    admitted_at: Mapped[datetime]
    window_id: Mapped[int | None] = mapped_column(ForeignKey("entry_window.id"))
    left_at: Mapped[datetime | None]  # left when the contract on the DPS was terminated
    status_before_leaving: Mapped[str | None] = mapped_column(String(30))  # restored on reinstatement

    lot = relationship("Lot")
    provider = relationship("Organisation")
    window = relationship("EntryWindow")
    categories = relationship("CategoryMembership", back_populates="membership", cascade="all, delete-orphan",
                              order_by="CategoryMembership.id")

    @property
    def has_left(self) -> bool:
        return self.status == LEFT

    @property
    def status_label(self) -> str:
        return MEMBERSHIP_LABELS.get(self.status, self.status)

    def leave(self, now: datetime) -> None:
        """Leave the lot on the termination of the contract: kept, with the status to restore."""
        if self.has_left:
            raise InvalidTransition("This provider has already left the lot.")
        self.status_before_leaving, self.status, self.left_at = self.status, LEFT, now

    def restore(self) -> None:
        """Take the place back when the termination is reversed on appeal."""
        if not self.has_left:
            raise InvalidTransition("Only a place left on termination can be restored.")
        self.status, self.status_before_leaving, self.left_at = self.status_before_leaving or "admitted", None, None

    def tier_in(self, category_id: int) -> "CategoryMembership | None":
        return next((place for place in self.categories if place.category_id == category_id), None)

    @property
    def places(self) -> list["CategoryMembership"]:
        """Its places in the lot's age categories, youngest category first."""
        return sorted(self.categories, key=lambda place: place.category.age_from)

    @property
    def tier_summary(self) -> str:
        """Its tier in each category, for lists: "Tier 2" on a lot that is not divided, "Ages 0 to 4: tier 1;
        ages 5 to 10: tier 3" on a divided one; "No tiers" where it has none."""
        places = self.places
        if not places or not self.lot.is_divided:
            tier = places[0].tier if places else None
            return f"Tier {tier}" if tier else "No tiers"
        return "; ".join(f"{'a' if n else 'A'}ges {place.category.age_band}: "
                         f"{('tier ' + str(place.tier)) if place.tier else 'no tiers'}"
                         for n, place in enumerate(places))

    @property
    def tier_phrase(self) -> str:
        """The tier summary to follow a lot's name ("tier 2", "ages 0 to 4: tier 1; …"), or "" without tiers."""
        summary = self.tier_summary
        return "" if summary == "No tiers" else summary[0].lower() + summary[1:]

    @property
    def best_tier(self) -> int:
        """Its best tier in any category, for ordering lists (99 where it has no tier)."""
        return min((place.tier for place in self.categories if place.tier), default=99)


class CategoryMembership(db.Model):
    """A provider's place in one age category of a lot it holds, with its tier there (None where the category has
    no tiers). Set when the lot is re-tiered: a provider is in the categories it priced."""

    __tablename__ = "category_membership"
    __table_args__ = (UniqueConstraint("membership_id", "category_id"),
                      Index("ix_category_membership_category_tier", "category_id", "tier"))

    id: Mapped[int] = mapped_column(primary_key=True)
    membership_id: Mapped[int] = mapped_column(ForeignKey("lot_membership.id"))
    category_id: Mapped[int] = mapped_column(ForeignKey("age_category.id"))
    tier: Mapped[int | None]

    membership = relationship("LotMembership", back_populates="categories")
    category = relationship("AgeCategory")

    @property
    def provider_id(self) -> int:
        return self.membership.provider_id

    @property
    def provider(self) -> "Organisation":
        return self.membership.provider

    @property
    def status(self) -> str:
        return self.membership.status
