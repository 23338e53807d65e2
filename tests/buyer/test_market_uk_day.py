"""The officer's vacancy board reads the UK day too: from midnight to 1 am in summer the UTC date is still the day
before, and a vacancy whose last day was yesterday (UK) is no longer offered."""

from datetime import timedelta

from portal.services import vacancies
from tests.supplier.test_market_uk_day import AFTER_UK_MIDNIGHT, YESTERDAY, admitted, vacancy_entry  # noqa: F401


def test_the_vacancy_board_drops_yesterdays_vacancy_after_uk_midnight(admitted, clock, sign_in):  # noqa: F811
    clock.set(AFTER_UK_MIDNIGHT - timedelta(hours=2))  # 10:30 pm on 1 June, UK time: its last day
    vacancies.publish(admitted.provider_a, vacancy_entry(admitted, YESTERDAY), clock.now())
    client = sign_in(admitted.member_officer)
    assert "Maple House" in client.get("/authority/vacancies").get_data(as_text=True)
    clock.set(AFTER_UK_MIDNIGHT)
    board = client.get("/authority/vacancies").get_data(as_text=True)
    assert "Vacancy board" in board and "Maple House" not in board
