"""A provider's settings: the places where it looks after children (a children's home, a fostering agency's
branch, a supported accommodation service), each registered with Ofsted under its own URN. A bid names the
setting it offers and a placement is at a setting, so a judgement or a restriction can reach exactly the
placements made there."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal import areas
from portal.extensions import db

SETTING_KINDS = {
    "childrens_home": "Children's home",
    "fostering_agency": "Fostering agency branch",
    "supported_accommodation": "Supported accommodation service",
    "residential_family_centre": "Residential family centre",
    "other": "Other setting",
}


class Setting(db.Model):
    __tablename__ = "setting"
    __table_args__ = (Index("ix_setting_provider_name", "provider_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40))  # a key of SETTING_KINDS
    # Ofsted's unique reference number; None for a setting Ofsted does not register (yet)
    ofsted_urn: Mapped[str | None] = mapped_column(String(12), unique=True)
    area_code: Mapped[str | None] = mapped_column(String(9))  # the ONS code of the area it is in
    address: Mapped[str] = mapped_column(Text, default="", server_default="")
    description: Mapped[str] = mapped_column(Text, default="", server_default="")  # offered in bids
    created_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]  # no longer run: kept for the placements made there

    provider = relationship("Organisation")

    @property
    def kind_label(self) -> str:
        return SETTING_KINDS.get(self.kind, self.kind)

    @property
    def area(self) -> areas.Area | None:
        return areas.get(self.area_code)

    @property
    def area_name(self) -> str:
        area = self.area
        return area.name if area else "To be confirmed"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    @property
    def label(self) -> str:
        return f"{self.name} (URN {self.ofsted_urn})" if self.ofsted_urn else self.name
