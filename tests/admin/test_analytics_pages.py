"""The consortium administrator's analytics (/admin/analytics): every authority of the DPSs its authority leads, or
one of them, never an authority outside the consortium."""

import pytest

from tests.buyer.test_analytics_pages import rows_of, with_placements


@pytest.fixture
def placed_world(world):
    return with_placements(world)


def test_the_administrator_sees_every_member_or_one(placed_world, sign_in):
    client = sign_in(placed_world.admin)
    page = client.get("/admin/analytics").get_data(as_text=True)
    assert "All the consortium&#39;s authorities" in page and "Every authority" in page
    rows = rows_of(client.get("/admin/analytics/framework.csv?from=2026-Q1&to=2026-Q2"))
    assert rows[1:] == [["Q1 2026-27", "2", "0"], ["Q2 2026-27", "1", "0"]]
    member = placed_world.member.id
    rows = rows_of(client.get(f"/admin/analytics/framework.csv?from=2026-Q1&to=2026-Q2&authority={member}"))
    assert rows[1:] == [["Q1 2026-27", "2", "0"], ["Q2 2026-27", "0", "0"]]
    page = client.get(f"/admin/analytics?authority={member}").get_data(as_text=True)
    assert f"/admin/analytics/framework.csv?from=2025-Q4&amp;to=2026-Q3&amp;authority={member}" in page


def test_the_administrator_cannot_choose_an_authority_outside_the_consortium(placed_world, sign_in):
    client = sign_in(placed_world.admin)
    assert client.get(f"/admin/analytics?authority={placed_world.outsider.id}").status_code == 404
    outsider = sign_in(placed_world.outside_admin)
    assert outsider.get(f"/admin/analytics?authority={placed_world.member.id}").status_code == 404
    rows = rows_of(outsider.get("/admin/analytics/framework.csv?from=2026-Q1&to=2026-Q2"))
    assert rows[1:] == [["Q1 2026-27", "0", "0"], ["Q2 2026-27", "0", "0"]]
