"""Allocating providers to contract managers: who may be chosen (the lead's or a current member's contract
managers only), who may allocate (the lead's administrators), the audit and the notices, a repeated or stale
allocation, the filters, and the standing shown beside each contract."""

import json

import pytest

from portal.errors import DomainError, NotFound
from portal.extensions import db
from portal.models import AuditEvent, DpsMember, Notification
from portal.models.contract import SANCTION, SUSPENDED, TERMINATED
from portal.services import allocation, standing
from tests.factories import admit, contract_manager, contract_of


@pytest.fixture
def contracts(world, clock):
    admit(world.provider_a, world.lots[0], clock=clock)
    admit(world.provider_b, world.lots[0], clock=clock)
    return contract_of(world, world.provider_a), contract_of(world, world.provider_b)


@pytest.fixture
def managers(world, clock):
    return (contract_manager(world, clock),
            contract_manager(world, clock, at=world.member, name="Owen Bright", email="contracts@member.example.org"),
            contract_manager(world, clock, at=world.outsider, name="Oona Out", email="contracts@outside.example.org"))


def test_the_lead_and_current_members_contract_managers_may_be_chosen(world, clock, managers):
    lead, member, outsider = managers
    assert allocation.eligible_managers(world.dps) == [lead, member]
    db.session.scalars(db.select(DpsMember).where(DpsMember.authority_id == world.member.id)).one().left_on = \
        clock.now().date()
    lead.active = False
    db.session.commit()
    assert allocation.eligible_managers(world.dps) == []


def test_allocating_is_audited_and_the_contract_manager_told(world, clock, contracts, managers):
    contract, _ = contracts
    lead, member, _ = managers
    allocation.allocate(world.admin, contract, manager_id=member.id, version=contract.version, now=clock.now())
    assert (contract.contract_manager_id, contract.allocated_at, contract.allocated_by_id) == (
        member.id, clock.now(), world.admin.id)
    event = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "contract.allocated")).one()
    assert json.loads(event.after) == {"contract_manager_id": member.id}
    told = db.session.scalars(db.select(Notification).where(Notification.user_id == member.id)).one()
    assert "You are now the contract manager of Alpha Care on T-DPS" == told.subject
    allocation.allocate(world.admin, contract, manager_id=lead.id, version=contract.version, now=clock.now())
    assert db.session.scalar(db.select(db.func.count(Notification.id)).where(Notification.user_id == member.id)) == 2


def test_an_outsider_or_nobody_cannot_be_chosen(world, clock, contracts, managers):
    contract, _ = contracts
    for chosen in (managers[2].id, world.member_officer.id, None):
        with pytest.raises(DomainError, match="Choose a contract manager"):
            allocation.allocate(world.admin, contract, manager_id=chosen, version=None, now=clock.now())
    assert contract.contract_manager_id is None


def test_only_the_leads_administrators_allocate(world, clock, contracts, managers):
    contract, _ = contracts
    for user in (world.outside_admin, world.evaluator, world.lead_officer):
        with pytest.raises(NotFound):
            allocation.allocate(user, contract, manager_id=managers[0].id, version=None, now=clock.now())
    with pytest.raises(NotFound):
        allocation.dps_for_allocation(world.outside_admin, world.dps.id)


def test_the_same_choice_again_or_a_stale_page_changes_nothing(world, clock, contracts, managers):
    contract, _ = contracts
    lead, member, _ = managers
    seen = contract.version
    allocation.allocate(world.admin, contract, manager_id=lead.id, version=seen, now=clock.now())
    with pytest.raises(DomainError, match="already allocated to Cara Mensah"):
        allocation.allocate(world.admin, contract, manager_id=lead.id, version=contract.version, now=clock.now())
    with pytest.raises(DomainError, match="changed by someone else"):
        allocation.allocate(world.admin, contract, manager_id=member.id, version=seen, now=clock.now())
    db.session.rollback()
    assert contract_of(world, world.provider_a).contract_manager_id == lead.id
    assert db.session.scalar(db.select(db.func.count(AuditEvent.id)).where(
        AuditEvent.action == "contract.allocated")) == 1


def test_the_list_filters_by_manager_standing_and_name(world, clock, contracts, managers):
    alpha, beta = contracts
    allocation.allocate(world.admin, alpha, manager_id=managers[0].id, version=None, now=clock.now())
    standing.restrict(dps_id=world.dps.id, provider_id=beta.provider_id, cause=SANCTION, reason="Breach",
                      actor=world.admin, now=clock.now())
    db.session.commit()

    def names(**filters):
        values = {"manager": None, "standing": None, "search": ""} | filters
        page = allocation.allocations(world.admin, world.dps, page=1, **values)
        return [(row.contract.provider.name, row.standing) for row in page.rows]

    assert names() == [("Alpha Care", "good"), ("Beta Homes", SUSPENDED)]
    assert names(manager=str(managers[0].id)) == [("Alpha Care", "good")]
    assert names(manager=allocation.UNALLOCATED) == [("Beta Homes", SUSPENDED)]
    assert names(standing=SUSPENDED) == [("Beta Homes", SUSPENDED)]
    assert names(search="alp") == [("Alpha Care", "good")]
    standing.terminate(alpha, reason="Cancelled", actor=world.admin, now=clock.now())
    db.session.commit()
    assert names(standing=TERMINATED) == [("Alpha Care", TERMINATED)]


def test_the_providers_contracts_for_its_administrator_page(world, clock, contracts, managers):
    rows = allocation.contracts_of_provider(world.admin, world.provider_a.organisation)
    assert [(row.contract.dps_id, row.standing) for row in rows] == [(world.dps.id, "good")]
    assert allocation.contracts_of_provider(world.outside_admin, world.provider_a.organisation) == []
