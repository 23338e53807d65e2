"""The contract manager's dashboard, Tasks and contract page, the officer's DPS page with standing, and the
administrator's allocation pages: what each user sees and that bad input changes nothing."""

import html
from datetime import date

import pytest
from flask import url_for

from portal.extensions import db
from portal.models import AuditEvent
from portal.models.contract import SANCTION
from portal.services import contracts, standing
from portal.services.contracts import Due
from tests.factories import admit, build_dps, contract_manager, contract_of, provider_user

OVERDUE = {}  # contract id -> (what, due_on, overdue), read by fake_dues


def fake_dues(contract_ids, now):
    """A DUE_SOURCES entry for these tests: what OVERDUE says, for the contracts asked about."""
    return [Due(contract_id, what, due_on, overdue, "/authority/contracts")
            for contract_id, (what, due_on, overdue) in OVERDUE.items() if contract_id in contract_ids]


@pytest.fixture
def dues(monkeypatch):
    OVERDUE.clear()
    monkeypatch.setattr(contracts, "DUE_SOURCES", ("tests.buyer.test_contract_dashboard:fake_dues",))
    yield OVERDUE
    OVERDUE.clear()


def text_of(response) -> str:
    return html.unescape(response.get_data(as_text=True))


@pytest.fixture
def portfolio(world, clock):
    """Cara (the lead's contract manager) holds Alpha's, Beta's and Gamma's contracts on the DPS."""
    manager = contract_manager(world, clock)
    gamma = provider_user("Gamma Homes", "gamma@provider.example.org", clock)
    for user in (world.provider_a, world.provider_b, gamma):
        admit(user, world.lots[0], clock=clock)
        contract_of(world, user).contract_manager_id = manager.id
    db.session.commit()
    return manager, gamma


def _providers_in_order(page: str) -> list[str]:
    names = ["Alpha Care", "Beta Homes", "Gamma Homes"]
    return sorted((name for name in names if name in page), key=page.index)


def test_the_dashboard_lists_the_managers_contracts_overdue_first(world, clock, portfolio, dues, sign_in):
    manager, gamma = portfolio
    dues[contract_of(world, gamma).id] = ("Monthly Ofsted review", date(2026, 1, 31), True)
    dues[contract_of(world, world.provider_b).id] = ("Annual review", date(2027, 3, 1), False)
    page = text_of(sign_in(manager).get(url_for("buyer.contracts_dashboard")))
    assert "3 contracts" in page
    assert _providers_in_order(page) == ["Gamma Homes", "Beta Homes", "Alpha Care"]
    assert "Monthly Ofsted review</a>, was due Saturday 31 January 2026" in page
    assert "Annual review</a>, due Monday 1 March 2027" in page and "Nothing due" in page


def test_the_dashboard_filters(world, clock, portfolio, dues, sign_in):
    manager, gamma = portfolio
    other = build_dps(world.admin, clock, reference="T-OTHER")
    admit(world.provider_a, other.lots[0], clock=clock)
    contract_of(world, world.provider_a, other).contract_manager_id = manager.id
    standing.restrict(dps_id=world.dps.id, provider_id=world.provider_b.organisation_id, cause=SANCTION,
                      reason="Breach", actor=world.admin, now=clock.now())
    db.session.commit()
    dues[contract_of(world, gamma).id] = ("Monthly Ofsted review", None, True)
    client = sign_in(manager)
    assert "4 contracts" in text_of(client.get(url_for("buyer.contracts_dashboard")))
    only_other = text_of(client.get(url_for("buyer.contracts_dashboard", dps=other.id)))
    assert "1 contract" in only_other and _providers_in_order(only_other) == ["Alpha Care"]
    suspended = text_of(client.get(url_for("buyer.contracts_dashboard", standing="suspended")))
    assert _providers_in_order(suspended) == ["Beta Homes"]
    overdue = text_of(client.get(url_for("buyer.contracts_dashboard", due="overdue")))
    assert _providers_in_order(overdue) == ["Gamma Homes"]
    searched = text_of(client.get(url_for("buyer.contracts_dashboard", q="gam")))
    assert _providers_in_order(searched) == ["Gamma Homes"]


def test_another_managers_contracts_are_not_on_the_dashboard(world, clock, portfolio, sign_in):
    other = contract_manager(world, clock, at=world.member, name="Owen Bright", email="contracts@member.example.org")
    page = text_of(sign_in(other).get(url_for("buyer.contracts_dashboard")))
    assert "0 contracts" in page and "No providers are allocated to you yet" in page


def test_the_contract_managers_navigation_and_tasks(world, clock, portfolio, sign_in):
    manager, _gamma = portfolio
    client = sign_in(manager)
    tasks = text_of(client.get(url_for("buyer.tasks")))
    assert "Your providers" in tasks and f'href="{url_for("buyer.contracts_dashboard")}"' in tasks
    assert f'class="govuk-service-navigation__link" href="{url_for("buyer.contracts_dashboard")}"' in tasks
    officer_tasks = text_of(sign_in(world.member_officer).get(url_for("buyer.tasks")))
    assert "Your providers" not in officer_tasks


def test_the_contract_page_shows_what_is_due(world, clock, portfolio, dues, sign_in):
    manager, _ = portfolio
    dues[contract_of(world, world.provider_a).id] = ("Annual review", date(2027, 3, 1), False)
    page = text_of(sign_in(manager).get(url_for("buyer.contracts_provider", dps_id=world.dps.id,
                                                 provider_id=world.provider_a.organisation_id)))
    assert "Due on this contract" in page and "Annual review" in page and "Back to your providers" in page
    assert "Cara Mensah, Lead Council" in page


def test_the_officers_dps_page_links_each_provider_to_its_contract_with_its_standing(world, clock, sign_in):
    admit(world.provider_a, world.lots[0], clock=clock)
    admit(world.provider_b, world.lots[0], clock=clock)
    standing.restrict(dps_id=world.dps.id, provider_id=world.provider_b.organisation_id, cause=SANCTION,
                      reason="Breach", actor=world.admin, now=clock.now())
    db.session.commit()
    page = text_of(sign_in(world.member_officer).get(url_for("buyer.dps", dps_id=world.dps.id)))
    assert url_for("buyer.contracts_provider", dps_id=world.dps.id,
                   provider_id=world.provider_a.organisation_id) in page
    assert page.count("Suspended on this arrangement") == 1


# The administrator's allocation pages ------------------------------------------------------------------------

def test_the_administrator_allocates_a_provider_and_the_manager_is_told(world, clock, portfolio, sign_in):
    manager, _ = portfolio
    member_manager = contract_manager(world, clock, at=world.member, name="Owen Bright",
                                      email="contracts@member.example.org")
    contract = contract_of(world, world.provider_a)
    client = sign_in(world.admin)
    listed = text_of(client.get(url_for("admin.dps_contracts", dps_id=world.dps.id)))
    assert "Alpha Care" in listed and "Cara Mensah" in listed and "3 providers" in listed
    form = text_of(client.get(url_for("admin.dps_contract_allocation", dps_id=world.dps.id,
                                      contract_id=contract.id)))
    assert "Owen Bright, Member Council" in form
    response = client.post(url_for("admin.dps_contract_allocation", dps_id=world.dps.id, contract_id=contract.id),
                           data={"manager": str(member_manager.id), "version": str(contract.version)})
    assert response.status_code == 302
    assert "Alpha Care allocated to Owen Bright" in text_of(client.get(response.headers["Location"]))
    owen = sign_in(member_manager)
    assert "Alpha Care" in text_of(owen.get(url_for("buyer.contracts_dashboard")))
    assert "You are now the contract manager of Alpha Care" in text_of(owen.get(url_for("shared.notifications")))


def test_a_bad_or_stale_allocation_changes_nothing(world, clock, portfolio, sign_in):
    manager, _ = portfolio
    contract = contract_of(world, world.provider_a)
    client = sign_in(world.admin)
    url = url_for("admin.dps_contract_allocation", dps_id=world.dps.id, contract_id=contract.id)
    empty = client.post(url, data={"manager": "", "version": str(contract.version)})
    assert empty.status_code == 400 and "Choose a contract manager" in text_of(empty)
    same = client.post(url, data={"manager": str(manager.id), "version": str(contract.version)})
    assert same.status_code == 400 and "already allocated to Cara Mensah" in text_of(same)
    other = contract_manager(world, clock, name="Dev Patel", email="dev@lead.example.org")
    stale = client.post(url, data={"manager": str(other.id), "version": str(contract.version - 1)})
    assert stale.status_code == 400 and "changed by someone else" in text_of(stale)
    db.session.expire_all()
    assert contract_of(world, world.provider_a).contract_manager_id == manager.id
    assert db.session.scalar(db.select(db.func.count(AuditEvent.id)).where(
        AuditEvent.action == "contract.allocated")) == 0


def test_the_admins_provider_page_shows_standing_and_contract_manager(world, clock, portfolio, sign_in):
    standing.restrict(dps_id=world.dps.id, provider_id=world.provider_a.organisation_id, cause=SANCTION,
                      reason="Breach", actor=world.admin, now=clock.now())
    db.session.commit()
    page = text_of(sign_in(world.admin).get(url_for("admin.provider_detail",
                                                    provider_id=world.provider_a.organisation_id)))
    assert "Contracts on the arrangements you lead" in page and "Cara Mensah, Lead Council" in page
    assert "Suspended" in page


def test_a_portfolio_beyond_the_limit_ranks_the_first_and_says_so(world, clock, portfolio, dues, sign_in,
                                                                  monkeypatch):
    from portal.services import portfolio as portfolio_service

    manager, gamma = portfolio
    monkeypatch.setattr(portfolio_service, "PORTFOLIO_LIMIT", 2)
    dues[contract_of(world, gamma).id] = ("Monthly Ofsted review", date(2026, 1, 31), True)
    client = sign_in(manager)
    page = text_of(client.get(url_for("buyer.contracts_dashboard")))
    assert _providers_in_order(page) == ["Alpha Care", "Beta Homes"]
    assert "The first 2 contracts" in page and "You hold more than 2 contracts" in page
    found = text_of(client.get(url_for("buyer.contracts_dashboard", q="Gamma")))
    assert _providers_in_order(found) == ["Gamma Homes"] and "You hold more than" not in found
    assert "1 contract" in found
