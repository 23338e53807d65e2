"""Migration 0012 keeps the approvals typed before the portal asked for them: a referral's funding, an
off-framework search's funding and a placement's cost, each a budget holder's name and a date, become approved
requests "recorded before approvals in the portal", and the pages and the IPA still show them. Taken down to 0011
(where they were typed) and up again, as an existing database would be upgraded."""

from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from portal.documents import placement_agreement
from portal.extensions import db
from portal.models import Approval, Placement, Referral
from portal.services import approvals, awards, off_framework, referrals
from tests.buyer.test_off_framework_service import emergency_placement, exhausted_referral


def test_typed_approvals_survive_the_upgrade(app, world, clock):
    placement_id = emergency_placement(world, clock).id
    searched = exhausted_referral(world, clock)
    searched_id = searched.id
    db.session.commit()
    db.session.remove()
    try:
        downgrade(revision="0011")
        with db.engine.begin() as connection:
            typed = connection.execute(text(
                "SELECT budget_holder_name, budget_approved_on FROM placement WHERE id = :id"), {"id": placement_id}
            ).one()
            assert typed[0] == "Bea Okonkwo-Lind"
            # what an officer typed, before approvals were asked for in the portal
            connection.execute(text("UPDATE referral SET funding_approved_by = 'Joan Typed', "
                                    "funding_approved_on = '2026-10-30' WHERE id = :id"), {"id": searched_id})
            connection.execute(text("UPDATE placement SET budget_holder_name = 'Hana Typed', "
                                    "budget_approved_on = '2026-11-01' WHERE id = :id"), {"id": placement_id})
    finally:
        upgrade()
    db.session.remove()
    placement = db.session.get(Placement, placement_id)
    cost = placement.cost_approval
    assert (cost.kind, cost.status, cost.recorded_approver, cost.weekly_cost) == (
        "placement_cost", "approved", "Hana Typed", placement.weekly_cost)
    assert cost.basis == f"off-framework provider {placement.off_framework_provider_id}"
    assert approvals.answered_line(cost) == "Recorded before approvals in the portal: Hana Typed, 1 November 2026"
    assert off_framework.search_approval(placement.referral).recorded_approver == "Bea Okonkwo-Lind"
    referral = db.session.get(Referral, searched_id)
    funding = referrals.funding_approval(referral)
    assert funding.recorded_approver == "Joan Typed" and funding.requested_by_id == referral.created_by_id
    assert approvals.answered_line(funding) == "Recorded before approvals in the portal: Joan Typed, 30 October 2026"
    assert awards.placement_of(referral) is None
    pdf = placement_agreement.placement_agreement(placement, issued_at=clock.now())
    assert pdf.startswith(b"%PDF")
    # every approved request came back as one recorded before the portal
    assert db.session.scalar(db.select(db.func.count(Approval.id)).where(Approval.recorded_approver.is_(None))) == 0
