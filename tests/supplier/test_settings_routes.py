"""The provider's settings pages and its own contract pages: what the user sees, the messages on bad input with
nothing changed, a double submit and a stale page."""

import html

import pytest
from flask import url_for

from portal.extensions import db
from portal.models import Setting
from portal.models.contract import SANCTION
from portal.services import settings, standing
from tests.factories import OLDHAM, admit, build_dps, contract_manager, contract_of


def text_of(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def form(**overrides) -> dict:
    return {"name": "Mill Lane House", "kind": "childrens_home", "ofsted_urn": "SC200001", "area_code": OLDHAM,
            "address": "2 Mill Lane, Oldham", "description": "A three-bedroom home"} | overrides


def _count() -> int:
    return db.session.scalar(db.select(db.func.count(Setting.id)))


def test_the_provider_adds_a_setting_and_sees_it_listed(world, sign_in):
    client = sign_in(world.provider_a)
    response = client.post(url_for("supplier.setting_new"), data=form())
    assert response.status_code == 302
    page = text_of(client.get(url_for("supplier.settings")))
    assert "Mill Lane House added to your settings" in page
    assert "Mill Lane House" in page and "SC200001" in page and "Oldham" in page and "2 settings" in page


def test_mistakes_are_shown_beside_their_fields_and_nothing_is_added(world, sign_in):
    client = sign_in(world.provider_a)
    before = _count()
    response = client.post(url_for("supplier.setting_new"), data=form(name="", ofsted_urn="SC654321", kind=""))
    page = text_of(response)
    assert response.status_code == 400
    assert "There is a problem" in page and 'href="#name"' in page
    assert "Enter the name of the setting" in page and "Choose the type of setting" in page
    assert "Another setting or provider is registered under this Ofsted URN" in page
    assert _count() == before


def test_a_double_submit_adds_one_setting(world, sign_in):
    client = sign_in(world.provider_a)
    before = _count()
    client.post(url_for("supplier.setting_new"), data=form(ofsted_urn=""))
    second = client.post(url_for("supplier.setting_new"), data=form(ofsted_urn=""))
    assert second.status_code == 400 and "already have an open setting called Mill Lane House" in text_of(second)
    assert _count() == before + 1


def test_changing_a_setting_and_a_stale_page(world, clock, sign_in):
    setting = settings.add(world.provider_a, settings.SettingInput(**form()), clock.now())
    client = sign_in(world.provider_a)
    page = text_of(client.get(url_for("supplier.setting_edit", setting_id=setting.id)))
    seen = settings.fingerprint(setting)
    assert f'value="{seen}"' in page and "Save changes" in page
    saved = client.post(url_for("supplier.setting_edit", setting_id=setting.id),
                        data=form(description="Four bedrooms", seen=seen))
    db.session.expire_all()
    assert saved.status_code == 302 and db.session.get(Setting, setting.id).description == "Four bedrooms"
    stale = client.post(url_for("supplier.setting_edit", setting_id=setting.id),
                        data=form(description="Five bedrooms", seen=seen))
    assert stale.status_code == 400 and "changed by someone else" in text_of(stale)
    db.session.expire_all()
    assert db.session.get(Setting, setting.id).description == "Four bedrooms"


def test_closing_a_setting_asks_first_and_closing_twice_says_so(world, clock, sign_in):
    setting = settings.add(world.provider_a, settings.SettingInput(**form()), clock.now())
    client = sign_in(world.provider_a)
    assert "Close Mill Lane House?" in text_of(client.get(url_for("supplier.setting_close", setting_id=setting.id)))
    closed = client.post(url_for("supplier.setting_close", setting_id=setting.id))
    assert closed.status_code == 302
    assert "kept for the placements made there" in text_of(client.get(url_for("supplier.settings")))
    again = client.post(url_for("supplier.setting_close", setting_id=setting.id))
    assert again.status_code == 400 and "Mill Lane House was already closed" in text_of(again)
    listed = text_of(client.get(url_for("supplier.settings", status="closed")))
    assert "Mill Lane House" in listed and "Alpha Care</a>" not in listed


def test_another_providers_setting_is_404(world, clock, sign_in):
    setting = settings.add(world.provider_a, settings.SettingInput(**form()), clock.now())
    client = sign_in(world.provider_b)
    assert client.get(url_for("supplier.setting_edit", setting_id=setting.id)).status_code == 404
    assert client.post(url_for("supplier.setting_close", setting_id=setting.id)).status_code == 404
    assert db.session.get(Setting, setting.id).is_open


def test_the_providers_contracts_show_standing_per_dps_and_the_reason(world, clock, sign_in):
    other = build_dps(world.admin, clock, reference="T-OTHER")
    admit(world.provider_a, world.lots[0], clock=clock)
    admit(world.provider_a, other.lots[0], clock=clock)
    manager = contract_manager(world, clock)
    contract_of(world, world.provider_a).contract_manager_id = manager.id
    standing.restrict(dps_id=world.dps.id, provider_id=world.provider_a.organisation_id, cause=SANCTION,
                      reason="Notice to improve not met", actor=world.admin, now=clock.now())
    db.session.commit()
    client = sign_in(world.provider_a)
    listed = text_of(client.get(url_for("supplier.contracts_list")))
    assert "T-DPS" in listed and "T-OTHER" in listed
    assert listed.count("Suspended") == 1 and "In good standing" in listed
    page = text_of(client.get(url_for("supplier.contract", dps_id=world.dps.id)))
    assert "Notice to improve not met" in page and "Suspension for breach of contract" in page
    assert "Cara Mensah, Lead Council" in page and "Alpha Care" in page
    assert sign_in(world.provider_b).get(url_for("supplier.contract", dps_id=world.dps.id)).status_code == 404


@pytest.mark.parametrize("endpoint", ["supplier.settings", "supplier.contracts_list"])
def test_the_provider_navigation_has_settings_and_contracts(world, sign_in, endpoint):
    page = text_of(sign_in(world.provider_a).get(url_for("supplier.dashboard")))
    assert f'class="govuk-service-navigation__link" href="{url_for(endpoint)}"' in page
