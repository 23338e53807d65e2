"""An authority's analytics page (/authority/analytics): its own figures only, its filters kept in the address, and
each figure's CSV download. The consortium administrator's are in tests/admin/test_analytics_pages.py."""

import csv
import io
from datetime import date

import pytest

from portal.extensions import db
from portal.services import analytics
from tests.portal.test_analytics import placement


def with_placements(world):
    """Two of the member's placements in Q1 (one in its area, one on lot 2) and one of the lead's in Q2."""
    placement(world, start=date(2026, 5, 1), in_area=True, weekly="1000.00")
    placement(world, start=date(2026, 5, 2), in_area=False, weekly="3000.00", lot=world.lots[1])
    placement(world, start=date(2026, 8, 1), in_area=True, weekly="2000.00", authority=world.lead)
    db.session.commit()
    return world


@pytest.fixture
def placed_world(world):
    return with_placements(world)


def rows_of(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def test_the_authority_page_shows_every_figure_with_its_table_and_csv_link(placed_world, sign_in):
    page = sign_in(placed_world.member_officer).get("/authority/analytics").get_data(as_text=True)
    assert "Member Council" in page
    for key in analytics.ORDER:
        assert f'id="figure-{key}-title"' in page, key
    assert 'id="figure-in-area-table"' in page and "50.0%" in page
    assert "/authority/analytics/in-area.csv?from=2025-Q4&amp;to=2026-Q3" in page


def test_the_csv_keeps_the_filters(placed_world, sign_in):
    client = sign_in(placed_world.member_officer)
    response = client.get("/authority/analytics/in-area.csv?from=2026-Q1&to=2026-Q2")
    assert response.mimetype == "text/csv"
    assert 'filename="in-area-2026-Q1-to-2026-Q2.csv"' in response.headers["Content-Disposition"]
    assert rows_of(response) == [["Quarter started", "In its own area", "Elsewhere"], ["Q1 2026-27", "50.0", "50.0"],
                                 ["Q2 2026-27", "", ""]]
    lot = placed_world.lots[1].id
    response = client.get(f"/authority/analytics/framework.csv?from=2026-Q1&to=2026-Q1&lot={lot}")
    assert rows_of(response) == [["Quarter started", "On the framework", "Off the framework"], ["Q1 2026-27", "1", "0"]]
    page = client.get(f"/authority/analytics?from=2026-Q1&to=2026-Q2&lot={lot}").get_data(as_text=True)
    assert f"/authority/analytics/spend.csv?from=2026-Q1&amp;to=2026-Q2&amp;lot={lot}" in page


@pytest.mark.parametrize("url", ["/authority/analytics?lot=999999", "/authority/analytics?lot=abc",
                                 "/authority/analytics/nothing.csv", "/authority/analytics/spend.csv?lot=999999"])
def test_a_tampered_filter_or_figure_is_not_found(placed_world, sign_in, url):
    assert sign_in(placed_world.member_officer).get(url).status_code == 404


def test_an_unreadable_period_falls_back_to_the_default(placed_world, sign_in):
    response = sign_in(placed_world.member_officer).get("/authority/analytics?from=soon&to=later")
    assert response.status_code == 200
    assert "Q4 2025-26 (January to March 2026) to Q3 2026-27" in response.get_data(as_text=True)


def test_an_authority_sees_only_its_own_figures(placed_world, sign_in):
    lead = sign_in(placed_world.lead_officer)
    rows = rows_of(lead.get("/authority/analytics/framework.csv?from=2026-Q1&to=2026-Q2"))
    assert rows[1:] == [["Q1 2026-27", "0", "0"], ["Q2 2026-27", "1", "0"]]
    outsider = sign_in(placed_world.outside_admin)
    rows = rows_of(outsider.get("/authority/analytics/framework.csv?from=2026-Q1&to=2026-Q2"))
    assert rows[1:] == [["Q1 2026-27", "0", "0"], ["Q2 2026-27", "0", "0"]]


def test_providers_see_no_analytics(placed_world, sign_in):
    client = sign_in(placed_world.provider_a)
    for url in ("/authority/analytics", "/authority/analytics/spend.csv", "/admin/analytics",
                "/admin/analytics/spend.csv"):
        assert client.get(url).status_code == 403, url
