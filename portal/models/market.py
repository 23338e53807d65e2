"""The market between providers and authorities: providers' vacancies on the lots they hold places on, and
authorities' sufficiency notices saying where they need carers or homes.

Both are current from their first day to their last (`available_until`, `needed_until`) inclusive, and no longer
shown after it: expiry is a condition of the queries (services.vacancies, services.sufficiency), not a job.

The indexes at the end serve the analytics (services.analytics): they are on tables of other modules, declared here
so the market's migration (0018) and these models stay one."""

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal import areas
from portal.extensions import db
from portal.models.placement import Placement
from portal.models.placement_life import PlacementIncident
from portal.models.referral import BidInvitation, Referral

MIN_AGE, MAX_AGE = 0, 25


def age_band(age_from: int, age_to: int) -> str:
    """ "16 to 18", or "17 only" for a single year of age (never "17 to 17")."""
    return f"{age_from} only" if age_from == age_to else f"{age_from} to {age_to}"


class Vacancy(db.Model):
    """A place a provider has free on a lot it holds a place on: the home or service, its area (a lowest-tier
    area, never a county), the ages it can take and when."""

    __tablename__ = "vacancy"
    __table_args__ = (
        Index("ix_vacancy_lot_until", "lot_id", "available_until"),
        Index("ix_vacancy_area_until", "area_code", "available_until"),
        Index("ix_vacancy_county_until", "county_code", "available_until"),
        Index("ix_vacancy_provider_created", "provider_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    lot_id: Mapped[int] = mapped_column(ForeignKey("lot.id"))
    home_name: Mapped[str] = mapped_column(String(120))  # the home or service, never its address
    area_code: Mapped[str] = mapped_column(String(9))  # ONS code of a lowest-tier area (portal/areas.py)
    # The county of a district, "" for every other area: a search for a county finds its districts' vacancies.
    county_code: Mapped[str] = mapped_column(String(9), default="", server_default="")
    age_from: Mapped[int] = mapped_column(SmallInteger)
    age_to: Mapped[int] = mapped_column(SmallInteger)
    available_from: Mapped[date]
    available_until: Mapped[date]  # the last day it is shown
    notes: Mapped[str] = mapped_column(Text, default="", server_default="")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    withdrawn_at: Mapped[datetime | None]

    provider = relationship("Organisation")
    lot = relationship("Lot")
    created_by = relationship("User")

    @property
    def area_label(self) -> str:
        area = areas.get(self.area_code)
        return area.label if area else self.area_code

    @property
    def age_band(self) -> str:
        return age_band(self.age_from, self.age_to)

    def is_current(self, today: date) -> bool:
        return self.withdrawn_at is None and today <= self.available_until


class SufficiencyNotice(db.Model):
    """An authority's notice to the providers admitted to a DPS: where it needs carers or homes, for which ages,
    how many, until when."""

    __tablename__ = "sufficiency_notice"
    __table_args__ = (
        Index("ix_sufficiency_notice_lot_until", "lot_id", "needed_until"),
        Index("ix_sufficiency_notice_authority_created", "authority_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    authority_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    lot_id: Mapped[int] = mapped_column(ForeignKey("lot.id"))
    area_code: Mapped[str] = mapped_column(String(9))  # an area of any level: a county, a district, a borough
    age_from: Mapped[int] = mapped_column(SmallInteger)
    age_to: Mapped[int] = mapped_column(SmallInteger)
    places: Mapped[int] = mapped_column(SmallInteger)  # how many carers or homes are needed
    note: Mapped[str] = mapped_column(Text, default="", server_default="")
    needed_until: Mapped[date]  # the last day it is shown
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    withdrawn_at: Mapped[datetime | None]

    authority = relationship("Organisation")
    lot = relationship("Lot")
    created_by = relationship("User")

    @property
    def area_label(self) -> str:
        area = areas.get(self.area_code)
        return area.label if area else self.area_code

    @property
    def age_band(self) -> str:
        return age_band(self.age_from, self.age_to)

    def is_current(self, today: date) -> bool:
        return self.withdrawn_at is None and today <= self.needed_until


# The analytics' indexes on other modules' tables: each figure is an aggregate over one of these ranges.
ANALYTICS_INDEXES = (
    Index("ix_referral_authority_published", Referral.authority_id, Referral.published_at),
    Index("ix_referral_authority_awarded", Referral.authority_id, Referral.awarded_at),
    Index("ix_placement_authority_end", Placement.authority_id, Placement.end_date),
    Index("ix_bid_invitation_declined", BidInvitation.declined_at),
    Index("ix_placement_incident_occurred_category", PlacementIncident.occurred_on, PlacementIncident.category),
)
