"""The market's days are UK days: in British Summer Time, from midnight to 1 am UK time the UTC date is still the
day before. A vacancy or a sufficiency notice whose last day was yesterday (UK) is gone from the provider's pages
then, and a last day of yesterday is refused."""

from datetime import date, datetime

import pytest

from portal.services import sufficiency, vacancies
from portal.services.sufficiency import NoticeInput
from portal.services.vacancies import MarketInvalid, VacancyInput
from tests.factories import TAMESIDE, admit

# 00:30 on 2 June 2026 in the UK (BST), still 1 June in UTC
AFTER_UK_MIDNIGHT = datetime(2026, 6, 1, 23, 30)
YESTERDAY, TODAY = date(2026, 6, 1), date(2026, 6, 2)


@pytest.fixture
def admitted(world, clock):
    clock.set(datetime(2026, 5, 20, 9, 0))
    admit(world.provider_a, world.lots[0], clock=clock)
    return world


def vacancy_entry(world, until) -> VacancyInput:
    return VacancyInput(lot_id=world.lots[0].id, home_name="Maple House", area_code=TAMESIDE, age_from=16, age_to=17,
                        available_from=date(2026, 5, 25), available_until=until, notes="")


def notice_entry(world, until) -> NoticeInput:
    return NoticeInput(lot_id=world.lots[0].id, area_code=world.member.area_code, age_from=16, age_to=17, places=1,
                       note="Homes for older teenagers", needed_until=until)


def test_a_last_day_of_yesterday_in_the_uk_is_refused_after_uk_midnight(admitted):
    with pytest.raises(MarketInvalid) as refused:
        vacancies.publish(admitted.provider_a, vacancy_entry(admitted, YESTERDAY), AFTER_UK_MIDNIGHT)
    assert "today or later" in refused.value.problems["available_until"]
    with pytest.raises(MarketInvalid):
        sufficiency.publish(admitted.member_officer, notice_entry(admitted, YESTERDAY), AFTER_UK_MIDNIGHT)
    assert vacancies.publish(admitted.provider_a, vacancy_entry(admitted, TODAY), AFTER_UK_MIDNIGHT).id


def test_the_providers_pages_drop_yesterdays_vacancies_and_notices_after_uk_midnight(admitted, clock, sign_in):
    vacancies.publish(admitted.provider_a, vacancy_entry(admitted, YESTERDAY), clock.now())
    sufficiency.publish(admitted.member_officer, notice_entry(admitted, YESTERDAY), clock.now())
    clock.set(AFTER_UK_MIDNIGHT)
    client = sign_in(admitted.provider_a)
    assert "No current sufficiency notice" in client.get("/provider/").get_data(as_text=True)
    assert "Homes for older teenagers" not in client.get("/provider/sufficiency").get_data(as_text=True)
    page = client.get("/provider/vacancies").get_data(as_text=True)
    assert "Maple House" in page and "Expired" in page
