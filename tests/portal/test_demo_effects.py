"""The demo shows standing's effects: a bid set aside at the deadline (the provider in good standing again, the bid
still set aside), and a provider terminated on the fostering framework that left its lots, which were re-tiered,
with reviews requested of its placements there."""

from portal import demo
from portal.extensions import db
from portal.models import AuditEvent, Bid, LotMembership, Organisation, ProviderContract, ReviewRequest, TierAward
from portal.services import standing


def test_the_demo_shows_a_bid_set_aside_and_a_termination(app, clock):
    sign_ins = dict(demo.load())
    assert sign_ins["Commissioning officer (Tameside): a bid set aside at the deadline"]
    harbour = db.session.scalar(db.select(Organisation).where(Organisation.name == "Harbour Lane Homes"))
    set_aside = db.session.scalars(db.select(Bid).where(Bid.provider_id == harbour.id,
                                                        Bid.set_aside_at.is_not(None))).one()
    assert "Employer's liability insurance expired" in set_aside.set_aside_reason
    assert standing.standing_of(set_aside.referral.dps_id, harbour.id) == "good"
    terminated = db.session.scalar(db.select(ProviderContract).where(
        ProviderContract.terminated_at.is_not(None))).provider
    places = db.session.scalars(db.select(LotMembership).where(LotMembership.provider_id == terminated.id)).all()
    assert places and all(place.status == "left" for place in places)
    assert db.session.scalar(db.select(db.func.count(TierAward.id)).where(
        TierAward.provider_id == terminated.id, TierAward.current.is_(True))) == 0
    assert db.session.scalar(db.select(db.func.count(AuditEvent.id)).where(AuditEvent.action == "lot.retiered")) > 0
    assert db.session.scalar(db.select(db.func.count(ReviewRequest.id)).where(
        ReviewRequest.source_type == "provider_contract")) > 0
