"""The vacancy board's rules (portal/services/vacancies.py): who may publish on which lot, what a vacancy may say,
matching by lot, area (an area of any level finds the areas within it), age and date, and expiry."""

from datetime import date, timedelta

import pytest

from portal.errors import DomainError, NotFound
from portal.extensions import db
from portal.models import AuditEvent, Vacancy
from portal.services import standing, vacancies
from portal.services.vacancies import MarketInvalid, Search, VacancyInput
from tests.factories import CHORLEY, LANCASHIRE, OLDHAM, SEFTON, TAMESIDE, admit, draft_referral

TODAY = date(2026, 11, 2)  # the clock's day
PRESTON = "E07000123"  # a district of Lancashire, like Chorley


def entry(lot, **overrides) -> VacancyInput:
    values = {"lot_id": lot.id, "home_name": "Maple House", "area_code": TAMESIDE, "age_from": 16, "age_to": 17,
              "available_from": TODAY, "available_until": TODAY + timedelta(days=30),
              "notes": "Suits a young person who likes quiet."}
    values.update(overrides)
    return VacancyInput(**values)


@pytest.fixture
def admitted(world, clock):
    admit(world.provider_a, world.lots[0], clock=clock)
    admit(world.provider_b, world.lots[0], clock=clock)
    return world


def publish(world, clock, user=None, **overrides) -> Vacancy:
    return vacancies.publish(user or world.provider_a, entry(world.lots[0], **overrides), clock.now())


def found(world, clock, criteria: Search | None = None, today=TODAY) -> list[str]:
    page = vacancies.search(world.member_officer, criteria or Search(), today, page=1, per_page=50)
    return [vacancy.home_name for vacancy in page.items]


# Publishing ----------------------------------------------------------------------------------------------------

def test_a_provider_publishes_a_vacancy_with_an_audit_record(admitted, clock):
    vacancy = publish(admitted, clock, area_code=CHORLEY)
    assert (vacancy.area_code, vacancy.county_code) == (CHORLEY, LANCASHIRE)
    event = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "vacancy.published")).one()
    assert "quiet" not in (event.after or "")


def test_only_on_a_lot_the_provider_holds_a_place_on(admitted, clock):
    with pytest.raises(MarketInvalid) as refused:
        vacancies.publish(admitted.provider_a, entry(admitted.lots[1]), clock.now())
    assert refused.value.problems == {"lot_id": "Choose a lot your organisation holds a place on"}
    assert db.session.scalar(db.select(db.func.count(Vacancy.id))) == 0


def test_a_suspended_provider_cannot_publish(admitted, clock):
    standing.restrict(dps_id=admitted.dps.id, provider_id=admitted.provider_a.organisation_id, cause="sanction",
                      reason="Breach of contract", actor=admitted.admin, now=clock.now())
    db.session.commit()
    with pytest.raises(DomainError, match="suspended on T-DPS: Breach of contract"):
        publish(admitted, clock)


@pytest.mark.parametrize(("overrides", "field", "message"), [
    ({"home_name": " "}, "home_name", "Enter the name of the home or service"),
    ({"area_code": LANCASHIRE}, "area_code", "Choose the district the home is in, not the county"),
    ({"area_code": "E99999999"}, "area_code", "Choose the area of the home from the list"),
    ({"age_from": 18, "age_to": 16}, "age_to", "The oldest age must be the same as or older than the youngest"),
    ({"age_from": 12}, "age_from", "Enter ages within the lot's, 16 to 18"),
    ({"age_to": None}, "age_to", "Enter the oldest age, as a whole number"),
    ({"available_until": TODAY - timedelta(days=1)}, "available_until", "The last day it is free must be today or "
                                                                       "later"),
    ({"available_from": TODAY + timedelta(days=5), "available_until": TODAY + timedelta(days=4)}, "available_until",
     "The last day must be the same as or after the first"),
    ({"available_until": TODAY + timedelta(days=400)}, "available_until",
     "The last day it is free must be within a year of today: publish it again later if needed"),
    ({"notes": "Call 0161 496 0123 to arrange"}, "notes", "Remove a telephone number"),
    ({"notes": "The home is at OL6 7XY"}, "notes", "Remove a postcode"),
    ({"notes": "Write to manager@maple.example.org"}, "notes", "Remove an e-mail address"),
    ({"notes": "<script>alert(1)</script>"}, "notes", "Remove the markup"),
    ({"notes": "A <a href='x'>link</a>"}, "notes", "Remove the markup"),
    ({"notes": "x" * 1001}, "notes", "Use 1000 characters or fewer (you have 1001)"),
    ({"home_name": "Maple House, M1 1AA"}, "home_name", "Remove a postcode"),
])
def test_mistakes_are_refused_with_a_message_and_nothing_stored(admitted, clock, overrides, field, message):
    with pytest.raises(MarketInvalid) as refused:
        publish(admitted, clock, **overrides)
    assert refused.value.problems[field].startswith(message)
    assert db.session.scalar(db.select(db.func.count(Vacancy.id))) == 0


def test_plain_text_with_angle_brackets_is_not_markup(admitted, clock):
    assert publish(admitted, clock, notes="Ages 16 to 17 (<18 at the start) > 2 weeks' notice").notes


def test_a_provider_changes_and_withdraws_its_own_and_no_other(admitted, clock):
    vacancy = publish(admitted, clock)
    vacancies.update(admitted.provider_a, vacancy, entry(admitted.lots[0], home_name="Birch House"), clock.now())
    assert vacancy.home_name == "Birch House"
    with pytest.raises(NotFound):
        vacancies.update(admitted.provider_b, vacancy, entry(admitted.lots[0], home_name="Taken"), clock.now())
    with pytest.raises(NotFound):
        vacancies.withdraw(admitted.provider_b, vacancy, clock.now())
    with pytest.raises(NotFound):
        vacancies.get_own(admitted.provider_b, vacancy.id)
    vacancies.withdraw(admitted.colleague_a, vacancy, clock.now())  # a colleague of the same provider
    vacancies.withdraw(admitted.provider_a, vacancy, clock.now())  # twice: harmless
    assert vacancy.withdrawn_at == clock.now()
    assert found(admitted, clock) == []
    with pytest.raises(DomainError, match="withdrawn"):
        vacancies.update(admitted.provider_a, vacancy, entry(admitted.lots[0]), clock.now())


# The board ------------------------------------------------------------------------------------------------------

def test_a_vacancy_expires_after_its_last_day_by_itself(admitted, clock):
    publish(admitted, clock, available_until=TODAY + timedelta(days=3))
    assert found(admitted, clock, today=TODAY + timedelta(days=3)) == ["Maple House"]
    assert found(admitted, clock, today=TODAY + timedelta(days=4)) == []


def test_an_area_of_any_level_finds_the_areas_within_it(admitted, clock):
    publish(admitted, clock, home_name="In Chorley", area_code=CHORLEY)
    publish(admitted, clock, home_name="In Preston", area_code=PRESTON)
    publish(admitted, clock, home_name="In Tameside", area_code=TAMESIDE)
    assert found(admitted, clock, Search(area_code=LANCASHIRE)) == ["In Chorley", "In Preston"]
    assert found(admitted, clock, Search(area_code=CHORLEY)) == ["In Chorley"]
    assert found(admitted, clock, Search(area_code=TAMESIDE)) == ["In Tameside"]
    assert found(admitted, clock, Search(area_code=OLDHAM)) == []


def test_filters_by_lot_age_and_date(admitted, clock):
    admit(admitted.provider_a, admitted.lots[1], clock=clock)
    soon = TODAY + timedelta(days=5)
    publish(admitted, clock, home_name="Sixteen only", age_from=16, age_to=16, available_until=soon)
    publish(admitted, clock, home_name="Later", available_from=TODAY + timedelta(days=10),
            available_until=TODAY + timedelta(days=20))
    publish(admitted, clock, home_name="Other lot", lot_id=admitted.lots[1].id, available_until=soon)
    assert found(admitted, clock, Search(age=17)) == ["Other lot", "Later"]
    assert found(admitted, clock, Search(on=TODAY + timedelta(days=12))) == ["Later"]
    assert found(admitted, clock, Search(on=TODAY)) == ["Sixteen only", "Other lot"]
    assert found(admitted, clock, Search(lot_id=admitted.lots[1].id)) == ["Other lot"]
    assert found(admitted, clock) == ["Sixteen only", "Other lot", "Later"]


def test_only_officers_of_the_dps_authorities_see_its_vacancies(admitted, clock):
    publish(admitted, clock)
    assert found(admitted, clock) == ["Maple House"]
    page = vacancies.search(admitted.outside_admin, Search(), TODAY, page=1, per_page=50)
    assert page.total == 0
    assert vacancies.visible_lots(admitted.outside_admin) == []


# A draft referral's matches ---------------------------------------------------------------------------------------

def test_a_referral_shows_the_vacancies_on_its_lot_for_the_childs_age_in_its_areas(admitted, clock):
    referral = draft_referral(admitted, clock, age_years=17, preferred_areas=[LANCASHIRE, OLDHAM])
    publish(admitted, clock, home_name="Chorley, 16 to 17", area_code=CHORLEY)
    publish(admitted, clock, home_name="Oldham, 16 to 17", area_code=OLDHAM, user=admitted.provider_b)
    publish(admitted, clock, home_name="Chorley, 16 only", area_code=CHORLEY, age_to=16)
    publish(admitted, clock, home_name="Sefton", area_code=SEFTON)
    publish(admitted, clock, home_name="Expired", area_code=CHORLEY, available_until=TODAY)
    matches = vacancies.for_referral(referral, TODAY + timedelta(days=1))
    assert [vacancy.home_name for vacancy in matches.vacancies] == ["Chorley, 16 to 17", "Oldham, 16 to 17"]
    assert matches.total == 2
    assert matches.criteria == Search(lot_id=referral.lot_id, area_code="", age=17)


def test_a_referral_without_areas_matches_any_area_and_the_list_is_cut(admitted, clock):
    referral = draft_referral(admitted, clock, preferred_areas=[])
    for number in range(3):
        publish(admitted, clock, home_name=f"Home {number}", area_code=SEFTON)
    matches = vacancies.for_referral(referral, TODAY, limit=2)
    assert (len(matches.vacancies), matches.total) == (2, 3)


def test_a_single_year_of_age_reads_as_only_that_age():
    from portal.models.market import SufficiencyNotice, Vacancy

    assert Vacancy(age_from=17, age_to=17).age_band == "17 only"
    assert Vacancy(age_from=16, age_to=18).age_band == "16 to 18"
    assert SufficiencyNotice(age_from=0, age_to=0).age_band == "0 only"
