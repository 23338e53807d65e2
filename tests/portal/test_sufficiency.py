"""Sufficiency notices (portal/services/sufficiency.py): an authority publishes where it needs carers or homes on a
lot of a DPS it belongs to; every provider admitted to that DPS sees the current ones; the authority changes and
withdraws its own."""

from datetime import date, timedelta

import pytest

from portal.errors import NotFound
from portal.extensions import db
from portal.models import SufficiencyNotice
from portal.services import sufficiency
from portal.services.sufficiency import NoticeInput
from portal.services.vacancies import MarketInvalid
from tests.factories import LANCASHIRE, SEFTON, admit, build_dps

TODAY = date(2026, 11, 2)


def entry(lot, **overrides) -> NoticeInput:
    values = {"lot_id": lot.id, "area_code": LANCASHIRE, "age_from": 16, "age_to": 17, "places": 3,
              "note": "Homes for young people leaving custody", "needed_until": TODAY + timedelta(days=60)}
    values.update(overrides)
    return NoticeInput(**values)


def publish(world, clock, user=None, lot=None, **overrides) -> SufficiencyNotice:
    return sufficiency.publish(user or world.member_officer, entry(lot or world.lots[0], **overrides), clock.now())


def seen_by(user, today=TODAY) -> list[str]:
    page = sufficiency.for_provider(user.organisation, today, page=1, per_page=50)
    return [notice.note for notice in page.items]


def test_every_provider_admitted_to_the_dps_sees_the_current_notices(world, clock):
    admit(world.provider_a, world.lots[2], clock=clock)  # a place on another lot of the same DPS
    publish(world, clock, note="Lancashire")
    publish(world, clock, note="Sefton", area_code=SEFTON, needed_until=TODAY + timedelta(days=1))
    assert seen_by(world.provider_a) == ["Sefton", "Lancashire"]
    assert sufficiency.count_for_provider(world.provider_a.organisation, TODAY) == 2
    assert seen_by(world.provider_b) == []  # no place on the DPS
    assert seen_by(world.provider_a, TODAY + timedelta(days=2)) == ["Lancashire"]  # Sefton's has expired


def test_a_provider_on_another_dps_or_whose_place_ended_does_not_see_them(world, clock):
    other = build_dps(world.admin, clock, reference="OTHER")
    admit(world.provider_b, other.lots[0], clock=clock)
    membership = admit(world.provider_a, world.lots[0], clock=clock)
    membership.status = "removed"
    db.session.commit()
    publish(world, clock)
    assert seen_by(world.provider_a) == [] and seen_by(world.provider_b) == []


@pytest.mark.parametrize(("overrides", "field", "message"), [
    ({"area_code": ""}, "area_code", "Choose the area from the list"),
    ({"places": 0}, "places", "Enter a number from 1 to 99"),
    ({"places": None}, "places", "Enter how many carers or homes you need"),
    ({"age_from": 3}, "age_from", "Enter ages within the lot's, 16 to 18"),
    ({"needed_until": None}, "needed_until", "Enter the last day of the need"),
    ({"needed_until": TODAY - timedelta(days=1)}, "needed_until", "The last day of the need must be today or later"),
    ({"note": "Ring Mo on 07700 900123"}, "note", "Remove a telephone number"),
])
def test_mistakes_are_refused_and_nothing_stored(world, clock, overrides, field, message):
    with pytest.raises(MarketInvalid) as refused:
        publish(world, clock, **overrides)
    assert refused.value.problems[field].startswith(message)
    assert db.session.scalar(db.select(db.func.count(SufficiencyNotice.id))) == 0


def test_only_on_a_dps_the_authority_belongs_to(world, clock):
    with pytest.raises(MarketInvalid) as refused:
        publish(world, clock, user=world.outside_admin)
    assert "lot_id" in refused.value.problems


def test_the_authority_changes_and_withdraws_its_own_only(world, clock):
    notice = publish(world, clock)
    sufficiency.update(world.member_officer, notice, entry(world.lots[0], places=5), clock.now())
    assert notice.places == 5
    for action in (lambda: sufficiency.update(world.lead_officer, notice, entry(world.lots[0]), clock.now()),
                   lambda: sufficiency.withdraw(world.lead_officer, notice, clock.now()),
                   lambda: sufficiency.get_own(world.lead_officer, notice.id)):
        with pytest.raises(NotFound):
            action()
    sufficiency.withdraw(world.member_officer, notice, clock.now())
    sufficiency.withdraw(world.member_officer, notice, clock.now())
    assert notice.withdrawn_at == clock.now()
    admit(world.provider_a, world.lots[0], clock=clock)
    assert seen_by(world.provider_a) == []
    with pytest.raises(MarketInvalid):
        sufficiency.update(world.member_officer, notice, entry(world.lots[0]), clock.now())
