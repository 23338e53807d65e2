"""Demo data for contract management's foundation: a contract manager at the lead (Tameside) and one at a
member (Sefton), each provider's settings (one per Ofsted URN, a second home for two of them), every provider's
contract on each DPS it holds a place on, allocated to a contract manager, and each demo placement at its
provider's first setting. The compliance, sanction and annual review demos build on these."""

from datetime import datetime, timedelta

from portal import areas
from portal.extensions import db
from portal.models import Dps, Lot, LotMembership, Organisation, Placement, Setting, User
from portal.models.organisation import PROVIDER
from portal.models.user import CONTRACT_MANAGER
from portal.services import standing

KIND_FOR_SERVICE = {"foster": "fostering_agency", "residential": "childrens_home",
                    "sixteen_plus": "supported_accommodation"}
# (authority's area, name, e-mail) of the contract managers
MANAGERS = [("Tameside", "Imogen Clarke", "imogen.clarke@tameside.example.org"),
            ("Sefton", "Owen Bright", "owen.bright@sefton.example.org")]
# A second setting for two providers: (provider, setting name, URN, area)
SECOND_SETTINGS = [("Mersey Horizons Housing", "Mersey Horizons: Crosby House", "2750112", "Sefton"),
                   ("Northern Pathways Supported Living Ltd", "Northern Pathways: Levenshulme Flats", "2750111",
                    "Manchester")]


def managers(moment: datetime, make_user) -> list[User]:
    """The contract managers, made before the year of placements (they complete its safeguarding reviews).
    `make_user(organisation, name, email, roles, moment)` makes a demo user (portal/demo.py's)."""
    made = []
    for area_name, name, email in MANAGERS:
        authority = db.session.scalar(db.select(Organisation).where(Organisation.kind == "authority",
                                                                    Organisation.local_authority_area == area_name))
        made.append(make_user(authority, name, email, [CONTRACT_MANAGER], moment - timedelta(days=500)))
    db.session.commit()
    return made


def load(moment: datetime, managers: list[User]) -> list[tuple[str, str]]:
    set_up = moment - timedelta(days=120)
    _settings(set_up)
    _contracts(managers, set_up)
    db.session.commit()
    return [("Contract manager (Tameside): providers allocated on each DPS", managers[0].email),
            ("Contract manager (Sefton, a member): providers allocated to a member", managers[1].email)]


def _settings(moment: datetime) -> None:
    services = dict(db.session.execute(
        db.select(LotMembership.provider_id, Dps.service_type).join(Lot, Lot.id == LotMembership.lot_id)
        .join(Dps, Dps.id == Lot.dps_id)).all())
    providers = db.session.scalars(db.select(Organisation).where(Organisation.kind == PROVIDER)
                                   .order_by(Organisation.id)).all()
    registered = {setting.provider_id: setting for setting in db.session.scalars(db.select(Setting))}
    for provider in providers:
        # A provider that registered with a URN has its first setting from registration: complete it.
        setting = registered.get(provider.id) or Setting(provider_id=provider.id, name=provider.name,
                                                         ofsted_urn=provider.ofsted_urn)
        setting.kind = KIND_FOR_SERVICE.get(services.get(provider.id), "other")
        setting.area_code, setting.address = provider.area_code, provider.registered_office or ""
        setting.description = ("Staffed accommodation with key-work support, close to local colleges and "
                               "transport.")
        setting.created_at = moment
        db.session.add(setting)
    by_name = {provider.name: provider for provider in providers}
    for provider_name, name, urn, area_name in SECOND_SETTINGS:
        provider = by_name.get(provider_name)
        if provider is None:
            continue
        area = next((area for area in areas.all_areas() if area.name == area_name), None)
        db.session.add(Setting(provider_id=provider.id, name=name, kind=KIND_FOR_SERVICE["sixteen_plus"],
                               ofsted_urn=urn, area_code=area.code if area else provider.area_code,
                               address=f"14 Church Road, {area_name}",
                               description="Four self-contained flats with staff on site around the clock.",
                               created_at=moment))
    db.session.flush()
    first = dict(db.session.execute(db.select(Setting.provider_id, db.func.min(Setting.id))
                                    .group_by(Setting.provider_id)).all())
    for placement in db.session.scalars(db.select(Placement).where(Placement.provider_id.is_not(None))):
        placement.setting_id = first.get(placement.provider_id)


def _contracts(managers: list[User], moment: datetime) -> None:
    pairs = db.session.execute(
        db.select(Lot.dps_id, LotMembership.provider_id).join(Lot, Lot.id == LotMembership.lot_id)
        .distinct().order_by(Lot.dps_id, LotMembership.provider_id)).all()
    for number, (dps_id, provider_id) in enumerate(pairs):
        contract = standing.contract_for(dps_id, provider_id, now=moment)
        dps = db.session.get(Dps, dps_id)
        manager = managers[number % len(managers)]
        # A member's contract manager monitors providers only on the DPSs its authority belongs to.
        if manager.organisation_id != dps.lead_authority_id and not any(
                member.authority_id == manager.organisation_id and member.is_current for member in dps.members):
            manager = managers[0] if managers[0].organisation_id == dps.lead_authority_id else None
        if manager is not None:
            contract.contract_manager_id, contract.allocated_at = manager.id, moment

