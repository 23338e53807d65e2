"""The officers' vacancy board, a draft referral's matching vacancies, and the authority's sufficiency notices
(buyer/vacancies.py)."""

from datetime import date

import pytest

from portal.extensions import db
from portal.models import SufficiencyNotice
from portal.services import sufficiency, vacancies
from tests.factories import CHORLEY, LANCASHIRE, OLDHAM, SEFTON, admit, draft_referral
from tests.portal.test_sufficiency import entry as notice_entry
from tests.portal.test_vacancies import entry


@pytest.fixture
def board(world, clock):
    admit(world.provider_a, world.lots[0], clock=clock)
    admit(world.provider_b, world.lots[1], clock=clock)
    vacancies.publish(world.provider_a, entry(world.lots[0], home_name="Chorley Lodge", area_code=CHORLEY),
                      clock.now())
    vacancies.publish(world.provider_a, entry(world.lots[0], home_name="Oldham Rise", area_code=OLDHAM, age_to=16),
                      clock.now())
    vacancies.publish(world.provider_b, entry(world.lots[1], home_name="Sefton View", area_code=SEFTON,
                                              available_from=date(2026, 12, 1)), clock.now())
    vacancies.publish(world.provider_b, entry(world.lots[1], home_name="Soon gone",
                                              available_until=date(2026, 11, 3)), clock.now())
    return world


def test_the_board_lists_and_filters_current_vacancies(board, clock, sign_in):
    client = sign_in(board.member_officer)
    page = client.get("/authority/vacancies").get_data(as_text=True)
    assert all(name in page for name in ("Chorley Lodge", "Oldham Rise", "Sefton View", "Soon gone"))
    assert "4 vacancies free" in page
    page = client.get(f"/authority/vacancies?area={LANCASHIRE}").get_data(as_text=True)
    assert "Chorley Lodge" in page and "Oldham Rise" not in page
    page = client.get(f"/authority/vacancies?area={LANCASHIRE.lower()}").get_data(as_text=True)
    assert "Chorley Lodge" in page and "Oldham Rise" not in page
    page = client.get(f"/authority/vacancies?lot={board.lots[0].id}&age=17").get_data(as_text=True)
    assert "Chorley Lodge" in page and "Oldham Rise" not in page and "Sefton View" not in page
    page = client.get("/authority/vacancies?on=1&on=12&on=2026").get_data(as_text=True)
    assert "Sefton View" in page and "Soon gone" not in page
    clock.advance(days=2)
    assert "Soon gone" not in client.get("/authority/vacancies").get_data(as_text=True)


@pytest.mark.parametrize("query", ["age=abc", "age=40", "lot=999999", "area=E99999999", "on=31&on=2&on=2026"])
def test_a_filter_that_cannot_be_read_is_shown_with_400(board, sign_in, query):
    response = sign_in(board.member_officer).get(f"/authority/vacancies?{query}")
    assert response.status_code == 400
    assert "There is a problem" in response.get_data(as_text=True)


def test_the_board_is_paginated(board, clock, sign_in):
    for number in range(25):
        vacancies.publish(board.provider_a, entry(board.lots[0], home_name=f"Home {number:02d}"), clock.now())
    client = sign_in(board.member_officer)
    first = client.get("/authority/vacancies").get_data(as_text=True)
    assert "29 vacancies free" in first and "Next" in first
    assert "Home 24" in client.get("/authority/vacancies?page=2").get_data(as_text=True)


def test_a_draft_referral_shows_its_matching_vacancies(board, clock, sign_in):
    referral = draft_referral(board, clock, age_years=17, preferred_areas=[LANCASHIRE, OLDHAM])
    page = sign_in(board.member_officer).get(f"/authority/referrals/{referral.id}").get_data(as_text=True)
    section = page[page.index('id="matching-vacancies"'):]
    assert "Vacancies that match" in section and "Chorley Lodge" in section
    assert "Oldham Rise" not in section and "Sefton View" not in section


def test_a_draft_with_no_match_links_to_the_board(board, clock, sign_in):
    referral = draft_referral(board, clock, age_years=17, preferred_areas=[SEFTON])
    page = sign_in(board.member_officer).get(f"/authority/referrals/{referral.id}").get_data(as_text=True)
    assert "No current vacancy on this lot matches" in page
    assert f"/authority/vacancies?lot={board.lots[0].id}" in page


# Sufficiency notices ----------------------------------------------------------------------------------------------

def notice_form(lot, **overrides) -> dict:
    data = {"lot_id": str(lot.id), "area_code": LANCASHIRE, "age_from": "16", "age_to": "17", "places": "3",
            "note": "Homes near college", "needed_until": ["31", "1", "2027"]}
    data.update(overrides)
    return data


def test_an_officer_publishes_changes_and_withdraws_a_notice(world, sign_in):
    client = sign_in(world.member_officer)
    assert "Publish a sufficiency notice" in client.get("/authority/sufficiency/new").get_data(as_text=True)
    assert client.post("/authority/sufficiency/new", data=notice_form(world.lots[0])).status_code == 302
    notice = db.session.scalars(db.select(SufficiencyNotice)).one()
    page = client.get("/authority/sufficiency").get_data(as_text=True)
    assert "Lancashire" in page and "31 January 2027" in page
    assert client.get(f"/authority/sufficiency/{notice.id}/edit").status_code == 200
    assert client.post(f"/authority/sufficiency/{notice.id}/edit",
                       data=notice_form(world.lots[0], places="5")).status_code == 302
    assert client.get(f"/authority/sufficiency/{notice.id}/withdraw").status_code == 200
    assert client.post(f"/authority/sufficiency/{notice.id}/withdraw").status_code == 302
    db.session.expire_all()
    notice = db.session.get(SufficiencyNotice, notice.id)
    assert notice.places == 5 and notice.withdrawn_at is not None


def test_notice_mistakes_are_shown_with_400(world, sign_in):
    response = sign_in(world.member_officer).post("/authority/sufficiency/new",
                                                  data=notice_form(world.lots[0], places="0", area_code=""))
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Enter a number from 1 to 99" in page and "Choose the area from the list" in page
    assert db.session.scalar(db.select(db.func.count(SufficiencyNotice.id))) == 0


def test_another_authoritys_notice_is_not_found(world, clock, sign_in):
    notice = sufficiency.publish(world.member_officer, notice_entry(world.lots[0]), clock.now())
    client = sign_in(world.lead_officer)
    assert client.get(f"/authority/sufficiency/{notice.id}/edit").status_code == 404
    assert client.post(f"/authority/sufficiency/{notice.id}/edit", data=notice_form(world.lots[0])).status_code == 404
    assert client.post(f"/authority/sufficiency/{notice.id}/withdraw").status_code == 404
    assert "No notices yet" in client.get("/authority/sufficiency").get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(SufficiencyNotice, notice.id).withdrawn_at is None
