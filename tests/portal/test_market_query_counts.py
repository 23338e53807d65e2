"""The market's pages run a fixed number of SQL statements however many vacancies, notices, referrals and
placements there are (tests/portal/test_query_counts.py's assert_constant: counted with FEW rows, then MANY)."""

from datetime import date, datetime, timedelta

import pytest

from portal.extensions import db
from portal.models import AnalyticsSnapshot, BidInvitation
from portal.models.placement_life import PlacementIncident
from portal.services import sufficiency, vacancies
from tests.factories import admit, draft_referral
from tests.portal.test_analytics import _bid, placement, referral
from tests.portal.test_query_counts import assert_constant
from tests.portal.test_sufficiency import entry as notice_entry
from tests.portal.test_vacancies import entry as vacancy_entry


@pytest.fixture
def admitted(world, clock):
    for lot in world.lots:
        admit(world.provider_a, lot, clock=clock)
    return world


def add_vacancies(world, clock):
    def add(start, stop):
        for index in range(start, stop):
            vacancies.publish(world.provider_a, vacancy_entry(world.lots[index % 3], home_name=f"Home {index:02d}"),
                              clock.now())
    return add


def add_notices(world, clock):
    def add(start, stop):
        for index in range(start, stop):
            sufficiency.publish(world.member_officer, notice_entry(world.lots[index % 3], note=f"Need {index:02d}"),
                                clock.now())
    return add


@pytest.mark.parametrize("query", ["", "?lot=LOT&age=16&area=E08000008", "?on=10&on=11&on=2026"])
def test_the_vacancy_board(admitted, clock, sign_in, query):
    url = "/authority/vacancies" + query.replace("LOT", str(admitted.lots[0].id))
    shows = (lambda index: f"Home {index:02d}") if not query.startswith("?lot") else None
    assert_constant(sign_in(admitted.member_officer), url, add_vacancies(admitted, clock), shows=shows)


def test_the_providers_vacancies(admitted, clock, sign_in):
    assert_constant(sign_in(admitted.provider_a), "/provider/vacancies", add_vacancies(admitted, clock),
                    shows=lambda index: f"Home {index:02d}")


def test_a_draft_referrals_matching_vacancies(admitted, clock, sign_in):
    draft = draft_referral(admitted, clock, preferred_areas=[])
    assert_constant(sign_in(admitted.member_officer), f"/authority/referrals/{draft.id}",
                    add_vacancies(admitted, clock))


def test_the_authoritys_notices(admitted, clock, sign_in):
    assert_constant(sign_in(admitted.member_officer), "/authority/sufficiency", add_notices(admitted, clock),
                    shows=lambda index: "Lancashire")


def test_the_notices_a_provider_sees_and_its_dashboard(admitted, clock, sign_in):
    client = sign_in(admitted.provider_a)
    assert_constant(client, "/provider/sufficiency", add_notices(admitted, clock), shows=lambda i: f"Need {i:02d}")
    assert_constant(client, "/provider/", add_notices(admitted, clock))


def add_market_data(world):
    """Per index: placements in different quarters, lots, tiers and areas, one ended, one with an allegation, a
    referral with a bid and a decline."""
    def add(start, stop):
        for index in range(start, stop):
            start_day = date(2026, 4, 1) + timedelta(days=(index * 17) % 200)
            made = placement(world, start=start_day, weekly=f"{900 + index * 37}.00", in_area=index % 3 == 0,
                             on_framework=index % 4 != 0, tier=1 + index % 3, lot=world.lots[index % 3],
                             end=start_day + timedelta(days=30) if index % 2 else None, planned=index % 5 != 0,
                             breach=index % 7 == 0, authority=world.member if index % 2 else world.lead,
                             published=datetime(2026, 4, 1) + timedelta(days=index), awarded=datetime(2026, 5, 1))
            db.session.add(PlacementIncident(placement_id=made.id, occurred_on=start_day, category="allegation",
                                             recorded_by_id=world.member_officer.id, recorded_at=datetime(2026, 9, 1)))
            asked = referral(world, published=datetime(2026, 6, 1) + timedelta(days=index))
            _bid(world, asked, world.provider_a)
            db.session.add(BidInvitation(referral_id=asked.id, round_id=asked.rounds[0].id,
                                         provider_id=world.provider_b.organisation_id, invited_at=asked.published_at,
                                         declined_at=asked.published_at, decline_reason="location"))
        db.session.commit()
    return add


def stored_again(add_rows, client, url):
    """Add the rows, forget the stored figures and compute them again (the page's first request), so each count
    is of the page read with figures stored from all the rows (tests/portal/test_analytics_costs.py counts the
    figures computed)."""
    def add(start, stop):
        add_rows(start, stop)
        db.session.execute(db.delete(AnalyticsSnapshot))
        db.session.commit()
        assert client.get(url).status_code == 200
    return add


@pytest.mark.parametrize("query", ["", "?from=2026-Q1&to=2026-Q3&lot=LOT"])
def test_the_authoritys_analytics(world, sign_in, query):
    url = "/authority/analytics" + query.replace("LOT", str(world.lots[0].id))
    client = sign_in(world.member_officer)
    assert_constant(client, url, stored_again(add_market_data(world), client, url))


@pytest.mark.parametrize("query", ["?from=2026-Q1&to=2026-Q3", "?authority=MEMBER"])
def test_the_consortium_analytics(world, sign_in, query):
    url = "/admin/analytics" + query.replace("MEMBER", str(world.member.id))
    client = sign_in(world.admin)
    assert_constant(client, url, stored_again(add_market_data(world), client, url))


def test_a_csv_download(world, sign_in):
    client, url = sign_in(world.admin), "/admin/analytics/weekly-price.csv?from=2026-Q1&to=2026-Q3"
    assert_constant(client, url, stored_again(add_market_data(world), client, url))
