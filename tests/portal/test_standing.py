"""Standing per DPS from contracts and restrictions: overlapping restrictions lifted one by one, a setting's
restriction does not suspend, one DPS says nothing of another, terminations and reinstatements, and the
members told with the reason."""

import pytest

from portal.errors import DomainError
from portal.extensions import db
from portal.models import AuditEvent, Notification, Organisation, Restriction
from portal.models.contract import ENFORCEMENT, GOOD, INSURANCE_EXPIRED, SANCTION, SUSPENDED, TERMINATED
from portal.services import members, standing
from tests.factories import admit, authority_user, build_dps, contract_of, setting_for


def _suspend(world, clock, cause=SANCTION, reason="Breach of contract: notice to improve not met", **kwargs):
    return standing.restrict(dps_id=world.dps.id, provider_id=world.provider_a.organisation_id, cause=cause,
                             reason=reason, actor=world.admin, now=clock.now(), **kwargs)


def test_admission_makes_the_contract_and_a_provider_starts_in_good_standing(world, clock):
    admit(world.provider_a, world.lots[0], clock=clock)
    admit(world.provider_a, world.lots[1], clock=clock)
    contract = contract_of(world, world.provider_a)
    assert contract is not None and contract.authority_id == world.lead.id
    assert standing.standing_of(world.dps.id, world.provider_a.organisation_id) == GOOD


def test_overlapping_restrictions_are_lifted_one_by_one(world, clock):
    admit(world.provider_a, world.lots[0], clock=clock)
    first = _suspend(world, clock, cause=INSURANCE_EXPIRED, reason="Public liability insurance expired")
    second = _suspend(world, clock)
    db.session.commit()
    assert standing.standing_of(world.dps.id, world.provider_a.organisation_id) == SUSPENDED
    standing.lift(first, reason="New certificate accepted", actor=world.admin, now=clock.now())
    db.session.commit()
    assert standing.standing_of(world.dps.id, world.provider_a.organisation_id) == SUSPENDED
    assert [r.id for r in standing.active_restrictions(world.dps.id, world.provider_a.organisation_id)] == [second.id]
    standing.lift(second, reason="Suspension lifted at its review", actor=world.admin, now=clock.now())
    db.session.commit()
    assert standing.standing_of(world.dps.id, world.provider_a.organisation_id) == GOOD
    with pytest.raises(DomainError, match="already been lifted"):
        standing.lift(second, reason="again", actor=world.admin, now=clock.now())


def test_a_settings_restriction_restricts_that_setting_only(world, clock):
    admit(world.provider_a, world.lots[0], clock=clock)
    home = setting_for(world.provider_a, clock, urn="SC100001")
    _suspend(world, clock, cause=ENFORCEMENT, reason="Ofsted restricted accommodation", setting_id=home.id)
    db.session.commit()
    assert standing.standing_of(world.dps.id, world.provider_a.organisation_id) == GOOD
    assert standing.restricted_setting_ids(world.dps.id, world.provider_a.organisation_id) == {home.id}


def test_standing_on_one_dps_says_nothing_of_another(world, clock):
    other = build_dps(world.admin, clock, reference="T-OTHER")
    admit(world.provider_a, world.lots[0], clock=clock)
    admit(world.provider_a, other.lots[0], clock=clock)
    _suspend(world, clock)
    db.session.commit()
    assert standing.standing_of(world.dps.id, world.provider_a.organisation_id) == SUSPENDED
    assert standing.standing_of(other.id, world.provider_a.organisation_id) == GOOD
    provider_column = Organisation.id
    open_here = db.session.scalars(db.select(Organisation.id).where(
        Organisation.id == world.provider_a.organisation_id, standing.open_clause(world.dps.id, provider_column)))
    open_there = db.session.scalars(db.select(Organisation.id).where(
        Organisation.id == world.provider_a.organisation_id, standing.open_clause(other.id, provider_column)))
    assert list(open_here) == [] and list(open_there) == [world.provider_a.organisation_id]


def test_members_are_told_when_the_standing_changes_with_the_reason(world, clock):
    admit(world.provider_a, world.lots[0], clock=clock)
    _suspend(world, clock)
    db.session.commit()
    told = db.session.scalars(db.select(Notification).where(Notification.user_id == world.member_officer.id)).all()
    assert len(told) == 1
    assert "Alpha Care is now suspended on T-DPS" == told[0].subject
    assert "Reason: Breach of contract: notice to improve not met" in told[0].body
    # A second restriction changes nothing of the standing: nobody is told again.
    _suspend(world, clock, cause=INSURANCE_EXPIRED, reason="Insurance expired")
    db.session.commit()
    assert db.session.scalar(db.select(db.func.count(Notification.id)).where(
        Notification.user_id == world.member_officer.id)) == 1
    # An authority that is not a member hears nothing.
    assert db.session.scalar(db.select(db.func.count(Notification.id)).where(
        Notification.user_id == world.outside_admin.id)) == 0


def test_a_member_that_left_is_no_longer_told(world, clock):
    admit(world.provider_a, world.lots[0], clock=clock)
    member = next(m for m in world.dps.members if m.authority_id == world.member.id)
    members.leave(world.admin, member, left_on=clock.now().date(), reason="Left the consortium", now=clock.now())
    _suspend(world, clock)
    db.session.commit()
    assert db.session.scalar(db.select(db.func.count(Notification.id)).where(
        Notification.user_id == world.member_officer.id)) == 0


def test_termination_and_reinstatement_are_recorded_and_audited(world, clock):
    admit(world.provider_a, world.lots[0], clock=clock)
    contract = contract_of(world, world.provider_a)
    standing.terminate(contract, reason="Registration cancelled", actor=world.admin, now=clock.now())
    db.session.commit()
    assert standing.standing_of(world.dps.id, world.provider_a.organisation_id) == TERMINATED
    with pytest.raises(DomainError, match="already terminated"):
        standing.terminate(contract, reason="again", actor=world.admin, now=clock.now())
    clock.advance(days=10)
    standing.reinstate(contract, reason="Appeal upheld", actor=world.admin, now=clock.now())
    db.session.commit()
    assert standing.standing_of(world.dps.id, world.provider_a.organisation_id) == GOOD
    actions = db.session.scalars(db.select(AuditEvent.action).where(AuditEvent.entity_type == "provider_contract")
                                 .order_by(AuditEvent.id)).all()
    # The provider left its lot on termination and took its place back on reinstatement (standing_effects).
    assert actions == ["contract.terminated", "contract.lots_left", "contract.reinstated", "contract.lots_restored"]


def test_a_restriction_needs_its_reason(world, clock):
    admit(world.provider_a, world.lots[0], clock=clock)
    with pytest.raises(DomainError, match="Give the reason"):
        _suspend(world, clock, reason="  ")
    assert db.session.scalar(db.select(db.func.count(Restriction.id))) == 0


def test_the_contract_page_is_for_the_dps_lead_and_members(world, clock, sign_in):
    admit(world.provider_a, world.lots[0], clock=clock)
    _suspend(world, clock)
    db.session.commit()
    url = f"/authority/contracts/dps/{world.dps.id}/providers/{world.provider_a.organisation_id}"
    page = sign_in(world.member_officer).get(url)
    assert page.status_code == 200
    assert "Suspended" in page.text and "Breach of contract: notice to improve not met" in page.text
    assert sign_in(world.outside_admin).get(url).status_code == 404
    manager = authority_user(world.member, "Kit Contracts", "kit@member.example.org", ["contract_manager"], clock)
    assert sign_in(manager).get(url).status_code == 200
    assert sign_in(world.provider_b).get(url).status_code == 403
