"""A bid names the setting it offers: required where the provider has several open settings, its only one
otherwise, none for a provider without settings; the home's area and description filled from it where left
empty; a closed, another provider's or a restricted setting refused with a clear message; the award carries the
setting onto the placement."""

from datetime import timedelta

import pytest
from flask import url_for

from portal.extensions import db
from portal.models import Bid, Setting
from portal.models.contract import ENFORCEMENT
from portal.services import bids, settings, standing
from portal.services.bids import BidInput
from tests.factories import OLDHAM, admit, placed, published_referral, setting_for
from tests.supplier.test_bid_routes import bid_form
from tests.supplier.test_bids_service import good_bid, invitation


@pytest.fixture
def referral(world, clock):
    admit(world.provider_a, world.lots[0], clock=clock)
    admit(world.provider_b, world.lots[0], clock=clock)
    return published_referral(world, clock, lot=world.lots[0], deadline=clock.now() + timedelta(days=10))


def _first_setting(user) -> Setting:
    return settings.open_settings(user.organisation_id)[0]


def _send(user, referral, clock, **overrides) -> Bid:
    bids.submit(user, invitation(user, referral), good_bid(**overrides), clock.now())
    return bids.own_bid(user, referral)


def test_a_provider_with_one_open_setting_offers_it(world, clock, referral):
    bid = _send(world.provider_a, referral, clock)
    assert bid.setting_id == _first_setting(world.provider_a).id
    assert bids.content_of(bid)["setting_id"] == bid.setting_id


def test_a_provider_without_settings_bids_as_before(world, clock, referral):
    settings.close(world.provider_a, _first_setting(world.provider_a), now=clock.now())
    bid = _send(world.provider_a, referral, clock)
    assert bid.setting_id is None and "setting_id" not in bids.content_of(bid)


def test_with_several_open_settings_the_setting_is_required(world, clock, referral):
    setting_for(world.provider_a, clock, urn="SC200001")
    with pytest.raises(bids.InvalidBid) as refused:
        _send(world.provider_a, referral, clock)
    assert refused.value.problems == {"setting": "Choose the setting you are offering"}
    assert bids.own_bid(world.provider_a, referral) is None


def test_the_chosen_settings_area_and_description_fill_the_home_where_left_empty(world, clock, referral):
    home = setting_for(world.provider_a, clock, urn="SC200001", area=OLDHAM)
    bid = _send(world.provider_a, referral, clock, setting_id=home.id, home_area="", home_description="")
    assert (bid.setting_id, bid.home_area_code, bid.home_description) == (
        home.id, OLDHAM, "A four-bedroom home with waking night staff")


def test_the_provider_may_edit_the_area_and_description_in_the_bid(world, clock, referral):
    home = setting_for(world.provider_a, clock, urn="SC200001", area=OLDHAM)
    bid = _send(world.provider_a, referral, clock, setting_id=home.id, home_description="The attic room is free")
    assert (bid.home_area_code, bid.home_description) == ("E08000008", "The attic room is free")


def test_a_closed_or_another_providers_setting_cannot_be_offered(world, clock, referral):
    others = _first_setting(world.provider_b)
    with pytest.raises(bids.InvalidBid) as refused:
        _send(world.provider_a, referral, clock, setting_id=others.id)
    assert refused.value.problems == {"setting": "Choose one of your open settings"}
    home = setting_for(world.provider_a, clock, urn="SC200001")
    settings.close(world.provider_a, home, now=clock.now())
    with pytest.raises(bids.InvalidBid):
        _send(world.provider_a, referral, clock, setting_id=home.id)


def test_a_setting_restricted_on_the_dps_cannot_be_offered(world, clock, referral):
    home = setting_for(world.provider_a, clock, urn="SC200001")
    standing.restrict(dps_id=world.dps.id, provider_id=world.provider_a.organisation_id, cause=ENFORCEMENT,
                      reason="Ofsted restricted accommodation", actor=world.admin, now=clock.now(),
                      setting_id=home.id)
    db.session.commit()
    with pytest.raises(bids.InvalidBid) as refused:
        _send(world.provider_a, referral, clock, setting_id=home.id)
    assert "restricted on this arrangement" in refused.value.problems["setting"]
    assert bids.own_bid(world.provider_a, referral) is None
    assert _send(world.provider_a, referral, clock, setting_id=_first_setting(world.provider_a).id).setting_id


def test_the_award_carries_the_setting_onto_the_placement(world, clock):
    placement = placed(world, clock)
    assert placement.setting_id is not None
    assert placement.setting_id == placement.bid.setting_id == _first_setting(world.provider_a).id


def test_the_bid_page_offers_the_open_settings_and_shows_the_refusal(world, clock, referral, sign_in):
    home = setting_for(world.provider_a, clock, urn="SC200001", name="Mill Lane House")
    standing.restrict(dps_id=world.dps.id, provider_id=world.provider_a.organisation_id, cause=ENFORCEMENT,
                      reason="Ofsted restricted accommodation", actor=world.admin, now=clock.now(),
                      setting_id=home.id)
    db.session.commit()
    client = sign_in(world.provider_a)
    page = client.get(url_for("supplier.bid", referral_id=referral.id)).get_data(as_text=True)
    assert "The setting you are offering" in page and "Mill Lane House (URN SC200001)" in page
    response = client.post(url_for("supplier.bid", referral_id=referral.id), data=bid_form(setting=str(home.id)))
    assert response.status_code == 400
    assert "New placements at Mill Lane House are restricted on this arrangement" in response.get_data(as_text=True)
    assert bids.own_bid(world.provider_a, referral) is None


def test_a_bid_input_names_no_setting_by_default():
    assert BidInput(core_weekly_fee="1").setting_id is None
