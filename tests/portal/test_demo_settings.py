"""The demo shows part 1's stages: a provider with open, closed and restricted settings, and allocated contracts."""

from portal import demo
from portal.extensions import db
from portal.models import Organisation, ProviderContract, Restriction, Setting
from portal.services import settings


def test_demo_shows_settings_open_closed_and_restricted(app, clock):
    sign_ins = dict(demo.load())
    label = next(label for label in sign_ins if label.startswith("Provider (user administrator): its settings"))
    provider = db.session.scalar(db.select(Organisation).where(
        Organisation.name == "Northern Pathways Supported Living Ltd"))
    assert sign_ins[label].endswith("example.org")
    own = db.session.scalars(db.select(Setting).where(Setting.provider_id == provider.id)).all()
    assert any(not setting.is_open for setting in own) and len(settings.open_settings(provider.id)) >= 2
    restricted = db.session.scalars(db.select(Restriction).where(Restriction.provider_id == provider.id,
                                                                 Restriction.setting_id.is_not(None))).all()
    assert restricted and all(restriction.is_active for restriction in restricted)
    contracts = db.session.scalars(db.select(ProviderContract)).all()
    assert any(contract.contract_manager_id for contract in contracts)
