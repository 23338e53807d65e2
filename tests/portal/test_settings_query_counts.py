"""Part 1's lists and pages run a fixed number of statements whatever their size: the provider's settings and
contracts, the allocation list, the administrator's provider page, the contract manager's dashboard and Tasks,
the contract page and the officer's DPS page."""

from datetime import date

import pytest

from portal.extensions import db
from portal.models import LotMembership, ProviderContract, Restriction, Setting
from portal.models.contract import SANCTION
from portal.services import contracts
from portal.services.contracts import Due
from tests.factories import build_dps, contract_manager
from tests.portal.test_query_counts import add_provider, assert_constant


def fake_dues(contract_ids, now):
    """One overdue item per contract: the dashboard and Tasks show them all."""
    return [Due(contract_id, "Monthly Ofsted review", date(2026, 1, 31), True, "/authority/contracts")
            for contract_id in contract_ids]


@pytest.fixture
def with_dues(monkeypatch):
    monkeypatch.setattr(contracts, "DUE_SOURCES", ("tests.portal.test_settings_query_counts:fake_dues",))


def _contracted(world, clock, index, *, manager=None, dps=None, suspended=False):
    """A provider with a place on lot 1 and its contract on the DPS (allocated to `manager`)."""
    dps = dps or world.dps
    provider = add_provider(world, index).organisation
    db.session.add(LotMembership(lot=dps.lots[0], provider=provider, status="admitted", admitted_at=clock.now()))
    db.session.add(ProviderContract(dps_id=dps.id, provider_id=provider.id, created_at=clock.now(),
                                    contract_manager_id=manager.id if manager else None,
                                    allocated_at=clock.now() if manager else None))
    db.session.add(Setting(provider_id=provider.id, name=f"Home {index:02d}", kind="childrens_home",
                           ofsted_urn=f"SC{800000 + index}", area_code="E08000003", created_at=clock.now()))
    if suspended:
        db.session.add(Restriction(dps_id=dps.id, provider_id=provider.id, cause=SANCTION, reason="Breach",
                                   started_at=clock.now()))
    db.session.commit()
    return provider


def test_the_providers_settings(world, clock, sign_in):
    def add(start, stop):
        for index in range(start, stop):
            db.session.add(Setting(provider_id=world.provider_a.organisation_id, name=f"Setting {index:02d}",
                                   kind="childrens_home", ofsted_urn=f"SC{700000 + index}", area_code="E08000003",
                                   created_at=clock.now()))
        db.session.commit()

    assert_constant(sign_in(world.provider_a), "/provider/settings", add, shows=lambda i: f"Setting {i:02d}")


def test_the_providers_contracts(world, clock, sign_in):
    def add(start, stop):
        for index in range(start, stop):
            dps = build_dps(world.admin, clock, reference=f"D{index:02d}")
            db.session.add(ProviderContract(dps_id=dps.id, provider_id=world.provider_a.organisation_id,
                                            created_at=clock.now()))
        db.session.commit()

    assert_constant(sign_in(world.provider_a), "/provider/contracts", add, shows=lambda i: f"D{i:02d}")


@pytest.mark.parametrize("query", ["", "?standing=suspended&q=provider", "?manager=none"])
def test_the_allocation_list(world, clock, sign_in, query):
    manager = contract_manager(world, clock)

    def add(start, stop):
        for index in range(start, stop):
            _contracted(world, clock, index, manager=None if "none" in query else manager, suspended=True)

    assert_constant(sign_in(world.admin), f"/admin/dps/{world.dps.id}/contracts{query}", add,
                    shows=lambda i: f"Provider {i:02d}")


def test_the_admins_provider_page(world, clock, sign_in):
    provider = _contracted(world, clock, 0)
    manager = contract_manager(world, clock)

    def add(start, stop):
        for index in range(start, stop):
            dps = build_dps(world.admin, clock, reference=f"D{index:02d}")
            db.session.add(ProviderContract(dps_id=dps.id, provider_id=provider.id, created_at=clock.now(),
                                            contract_manager_id=manager.id))
        db.session.commit()

    assert_constant(sign_in(world.admin), f"/admin/providers/{provider.id}", add, shows=lambda i: f"D{i:02d}")


@pytest.mark.parametrize("query", ["", "?standing=suspended&due=overdue"])
def test_the_contract_managers_dashboard(world, clock, sign_in, with_dues, query):
    manager = contract_manager(world, clock)
    other = build_dps(world.admin, clock, reference="SECOND")

    def add(start, stop):
        for index in range(start, stop):
            _contracted(world, clock, index, manager=manager, dps=(world.dps, other)[index % 2], suspended=True)

    assert_constant(sign_in(manager), f"/authority/contracts{query}", add, shows=lambda i: f"Provider {i:02d}")


def test_the_contract_managers_tasks(world, clock, sign_in, with_dues):
    """Every part's section of the Tasks page, for a contract manager with more and more contracts."""
    manager = contract_manager(world, clock)

    def add(start, stop):
        for index in range(start, stop):
            _contracted(world, clock, index, manager=manager)

    assert_constant(sign_in(manager), "/authority/tasks", add)


def test_the_officers_dps_page(world, clock, sign_in):
    def add(start, stop):
        for index in range(start, stop):
            _contracted(world, clock, index, suspended=index % 2 == 0)

    assert_constant(sign_in(world.member_officer), f"/authority/dps/{world.dps.id}", add,
                    shows=lambda i: f"Provider {i:02d}")
