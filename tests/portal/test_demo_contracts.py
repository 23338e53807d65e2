"""The demo's contract management foundation: contract managers at the lead and a member, settings for every
provider, every contract allocated where a contract manager works for the DPS, placements at settings."""

from portal import demo
from portal.extensions import db
from portal.models import Dps, Organisation, Placement, ProviderContract, Setting, User
from portal.models.organisation import PROVIDER


def test_demo_allocates_contracts_to_contract_managers_and_places_children_at_settings(app, clock):
    sign_ins = dict(demo.load())
    managers = [sign_ins[label] for label in sign_ins if label.startswith("Contract manager")]
    assert managers == ["imogen.clarke@tameside.example.org", "owen.bright@sefton.example.org"]
    providers = db.session.scalars(db.select(Organisation).where(Organisation.kind == PROVIDER)).all()
    with_settings = set(db.session.scalars(db.select(Setting.provider_id)))
    assert {provider.id for provider in providers} <= with_settings
    sixteen_plus = db.session.scalar(db.select(Dps).where(Dps.reference == "NW-16P-DPS"))
    contracts = db.session.scalars(db.select(ProviderContract).where(ProviderContract.dps_id == sixteen_plus.id)).all()
    assert contracts and all(contract.contract_manager_id is not None for contract in contracts)
    allocated_to = {db.session.get(User, contract.contract_manager_id).email for contract in contracts}
    assert allocated_to == set(managers)
    placements = db.session.scalars(db.select(Placement).where(Placement.provider_id.is_not(None))).all()
    assert placements and all(placement.setting_id is not None for placement in placements)
