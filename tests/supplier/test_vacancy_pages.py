"""The provider's vacancy pages and the sufficiency notices it sees (supplier/vacancies.py)."""

from datetime import date

import pytest

from portal.extensions import db
from portal.models import Vacancy
from portal.services import sufficiency, vacancies
from portal.services.sufficiency import NoticeInput
from tests.factories import CHORLEY, LANCASHIRE, TAMESIDE, admit
from tests.portal.test_vacancies import entry


def form(lot, **overrides) -> dict:
    data = {"lot_id": str(lot.id), "home_name": "Maple House", "area_code": TAMESIDE, "age_from": "16",
            "age_to": "17", "available_from": ["2", "11", "2026"], "available_until": ["30", "11", "2026"],
            "notes": "Suits a young person who likes quiet."}
    data.update(overrides)
    return data


@pytest.fixture
def admitted(world, clock):
    admit(world.provider_a, world.lots[0], clock=clock)
    return world


def test_a_provider_publishes_a_vacancy_and_sees_it_listed(admitted, sign_in):
    client = sign_in(admitted.provider_a)
    assert "Publish a vacancy" in client.get("/provider/vacancies/new").get_data(as_text=True)
    response = client.post("/provider/vacancies/new", data=form(admitted.lots[0]))
    assert response.status_code == 302
    page = client.get("/provider/vacancies").get_data(as_text=True)
    assert "Maple House" in page and "Shown" in page and "30 November 2026" in page


def test_mistakes_are_shown_with_status_400_and_nothing_stored(admitted, sign_in):
    client = sign_in(admitted.provider_a)
    response = client.post("/provider/vacancies/new", data=form(admitted.lots[0], area_code=LANCASHIRE,
                                                                age_from="x", notes="Ring 0161 496 0123",
                                                                available_until=["31", "2", "2026"]))
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "There is a problem" in page and "Enter a whole number" in page
    assert "Enter a real date" in page
    response = client.post("/provider/vacancies/new", data=form(admitted.lots[0], area_code=LANCASHIRE,
                                                                notes="Ring 0161 496 0123"))
    page = response.get_data(as_text=True)
    assert "Choose the district the home is in, not the county" in page
    assert "Remove a telephone number" in page
    assert db.session.scalar(db.select(db.func.count(Vacancy.id))) == 0


def test_a_tampered_lot_is_refused(admitted, sign_in):
    client = sign_in(admitted.provider_a)
    response = client.post("/provider/vacancies/new", data=form(admitted.lots[1]))
    assert response.status_code == 400
    assert "Choose a lot your organisation holds a place on" in response.get_data(as_text=True)


def test_a_provider_without_a_place_is_told_it_cannot_publish(world, sign_in):
    page = sign_in(world.provider_b).get("/provider/vacancies").get_data(as_text=True)
    assert "once your organisation holds a place on a lot" in page


def test_edit_and_withdraw_own_vacancy_and_not_anothers(admitted, clock, sign_in):
    vacancy = vacancies.publish(admitted.provider_a, entry(admitted.lots[0]), clock.now())
    client = sign_in(admitted.provider_a)
    assert 'value="Maple House"' in client.get(f"/provider/vacancies/{vacancy.id}/edit").get_data(as_text=True)
    response = client.post(f"/provider/vacancies/{vacancy.id}/edit",
                           data=form(admitted.lots[0], home_name="Birch House", area_code=CHORLEY))
    assert response.status_code == 302
    other = sign_in(admitted.provider_b)
    assert other.get(f"/provider/vacancies/{vacancy.id}/edit").status_code == 404
    assert other.post(f"/provider/vacancies/{vacancy.id}/withdraw").status_code == 404
    assert other.post(f"/provider/vacancies/{vacancy.id}/edit", data=form(admitted.lots[0])).status_code == 404
    assert "Withdraw the vacancy" in client.get(f"/provider/vacancies/{vacancy.id}/withdraw").get_data(as_text=True)
    assert client.post(f"/provider/vacancies/{vacancy.id}/withdraw").status_code == 302
    assert client.post(f"/provider/vacancies/{vacancy.id}/withdraw").status_code == 302  # twice: harmless
    db.session.expire_all()
    vacancy = db.session.get(Vacancy, vacancy.id)
    assert vacancy.home_name == "Birch House" and vacancy.withdrawn_at is not None
    assert "Withdrawn" in client.get("/provider/vacancies").get_data(as_text=True)


def test_a_post_without_a_csrf_token_is_refused(csrf_app, world, clock):
    from tests.factories import PASSWORD

    admit(world.provider_a, world.lots[0], clock=clock)
    client = csrf_app.test_client()
    page = client.get("/sign-in").get_data(as_text=True)
    import re

    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    client.post("/sign-in", data={"email": world.provider_a.email, "password": PASSWORD, "csrf_token": token})
    assert client.post("/provider/vacancies/new", data=form(world.lots[0])).status_code == 400
    assert db.session.scalar(db.select(db.func.count(Vacancy.id))) == 0


def test_the_provider_sees_the_current_notices_and_their_count(admitted, clock, sign_in):
    sufficiency.publish(admitted.member_officer, NoticeInput(
        lot_id=admitted.lots[0].id, area_code=LANCASHIRE, age_from=16, age_to=18, places=2, note="Two homes",
        needed_until=date(2027, 1, 31)), clock.now())
    client = sign_in(admitted.provider_a)
    page = client.get("/provider/sufficiency").get_data(as_text=True)
    assert "Member Council" in page and "Lancashire" in page and "Two homes" in page
    assert "1 current sufficiency notice from the authorities" in client.get("/provider/").get_data(as_text=True)
    assert "No current sufficiency notice" in sign_in(admitted.provider_b).get("/provider/").get_data(as_text=True)
