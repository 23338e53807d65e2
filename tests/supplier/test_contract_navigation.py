"""The provider's menu stays short: contract management's own pages (evidence, annual reviews, sanctions) are
reached from Contracts and each contract's page, and Contracts is the current item while on them."""

import re

import pytest
from flask import url_for

from tests.supplier.test_contract_privacy import contract_case


@pytest.fixture
def case(world, clock):
    return contract_case(world, clock)


def _menu(page: str) -> list[tuple[str, bool]]:
    nav = re.search(r'<nav aria-label="Menu".*?</nav>', page, re.S).group(0)
    return [(re.sub(r"<[^>]+>", "", item).strip(), "aria-current" in item)
            for item in re.findall(r"<li[^>]*>(.*?)</li>", nav, re.S)]


def test_the_providers_menu_leads_to_contract_management_through_contracts(app, world, clock, case, sign_in):
    client = sign_in(world.provider_a)
    menu = _menu(client.get(url_for("supplier.contracts_list")).get_data(as_text=True))
    names = [name for name, _ in menu]
    assert "Contracts" in names and "Settings" in names
    assert "Annual reviews" not in names and "Evidence" not in names and len(names) <= 10, names
    listing = client.get(url_for("supplier.contracts_list")).get_data(as_text=True)
    for url in (url_for("supplier.compliance_evidence"), url_for("supplier.annual_reviews_list"),
                url_for("supplier.settings"), url_for("supplier.contract", dps_id=world.dps.id)):
        assert f'href="{url}"' in listing, url
    for url in (url_for("supplier.annual_reviews_list"), url_for("supplier.compliance_evidence"),
                url_for("supplier.annual_review", review_id=case["review_id"]), url_for("supplier.contracts_list"),
                url_for("supplier.contract", dps_id=world.dps.id)):
        current = [name for name, active in _menu(client.get(url).get_data(as_text=True)) if active]
        assert current == ["Contracts"], (url, current)
    contract = client.get(url_for("supplier.contract", dps_id=world.dps.id)).get_data(as_text=True)
    for endpoint, argument in (("supplier.compliance_evidence", {}),
                               ("supplier.annual_review", {"review_id": case["review_id"]}),
                               ("supplier.contract_sanction", {"sanction_id": case["sanction_id"]}),
                               ("supplier.contract_issue", {"issue_id": case["issue_id"]})):
        assert f'href="{url_for(endpoint, **argument)}"' in contract, endpoint
