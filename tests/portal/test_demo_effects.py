"""The demo shows standing's effects: a provider suspended on the 16+ DPS (and in good standing elsewhere), shown
so on the administrator's register, and passed over by the cascade there."""

from types import SimpleNamespace

from portal import demo
from portal.extensions import db
from portal.models import Dps, Organisation
from portal.services import referrals, standing, standing_effects


def test_the_demo_shows_a_provider_suspended_on_one_dps(app, clock):
    sign_ins = dict(demo.load())
    assert sign_ins["Consortium administrator: a provider suspended on one DPS, on the register"]
    harbour = db.session.scalar(db.select(Organisation).where(Organisation.name == "Harbour Lane Homes"))
    dps = db.session.scalar(db.select(Dps).where(Dps.reference == "NW-16P-DPS"))
    assert standing.standing_of(dps.id, harbour.id) == "suspended"
    assert "Employer's liability insurance expired" in standing_effects.why_barred(dps.id, harbour.id)
    lot = dps.lots[0]
    there = SimpleNamespace(id=None, category_id=None, lot=lot, lot_id=lot.id, dps_id=dps.id,
                            age_years=lot.categories[0].age_from)
    assert harbour.id not in {place.membership.provider_id for place in referrals.eligible_memberships(there, None)}
    standings = standing_effects.standings_by_provider([harbour.id], [dps.id])
    assert [state for _, state in standings[harbour.id]] == ["suspended"]
