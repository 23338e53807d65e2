"""Demo data for part 1 (settings, allocation, the contract pages and the dashboard): a provider with a setting it
closed (kept for the record) beside its open ones, and a restriction of one setting on a DPS, so its bids show
which settings may be offered.The contracts themselves are allocated by portal/demo_contracts.py; the
administrator can change any allocation."""

from datetime import datetime, timedelta

from portal import areas
from portal.extensions import db
from portal.models import Organisation, ProviderContract, Setting, User
from portal.models.contract import ENFORCEMENT
from portal.services import standing

PROVIDER_NAME = "Northern Pathways Supported Living Ltd"
CLOSED_SETTING = ("Northern Pathways: Hulme Court", "2750113", "Manchester")


def load(moment: datetime, make_user) -> list[tuple[str, str]]:
    """`make_user` is portal/demo.py's (not needed here: the provider's own people are used)."""
    provider = db.session.scalar(db.select(Organisation).where(Organisation.name == PROVIDER_NAME))
    if provider is None:
        return []
    name, urn, area_name = CLOSED_SETTING
    area = next((area for area in areas.all_areas() if area.name == area_name), None)
    db.session.add(Setting(provider_id=provider.id, name=name, kind="supported_accommodation", ofsted_urn=urn,
                           area_code=area.code if area else provider.area_code, address="3 Hulme Walk, Manchester",
                           description="Six flats, now closed: the lease ended.",
                           created_at=moment - timedelta(days=400), closed_at=moment - timedelta(days=30)))
    second = db.session.scalar(db.select(Setting).where(Setting.provider_id == provider.id,
                                                        Setting.name == "Northern Pathways: Levenshulme Flats"))
    contract = db.session.scalar(db.select(ProviderContract).where(ProviderContract.provider_id == provider.id)
                                 .order_by(ProviderContract.id))
    if second is not None and contract is not None:
        standing.restrict(dps_id=contract.dps_id, provider_id=provider.id, cause=ENFORCEMENT, setting_id=second.id,
                          reason="Ofsted restricted accommodation at Levenshulme Flats pending a monitoring visit",
                          actor=None, now=moment - timedelta(days=5))
    db.session.commit()
    user = db.session.scalar(db.select(User).where(User.organisation_id == provider.id).order_by(User.id))
    return [("Provider (user administrator): its settings, one closed and one restricted; its contracts",
             user.email)] if user else []
