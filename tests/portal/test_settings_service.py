"""A provider's settings: who manages them, the URN rules (format, unique across settings and providers), the
area's tier, a double add, a stale change, closing, and the first setting made at registration."""

import json

import pytest

from portal.errors import DomainError, NotFound
from portal.extensions import db
from portal.models import AuditEvent, Setting, UserRole
from portal.models.user import PROVIDER_USER
from portal.services import settings
from portal.services.settings import SettingInput
from tests.factories import LANCASHIRE, MANCHESTER, OLDHAM, provider_user


def _input(**overrides) -> SettingInput:
    values = {"name": "Mill Lane House", "kind": "childrens_home", "ofsted_urn": "SC200001", "area_code": OLDHAM,
              "address": "2 Mill Lane, Oldham OL1 1AA", "description": "A three-bedroom home"}
    return SettingInput(**(values | overrides))


def test_registering_with_a_urn_gives_the_provider_its_first_setting(world):
    first = db.session.scalars(db.select(Setting).where(
        Setting.provider_id == world.provider_a.organisation_id)).all()
    assert [(s.name, s.ofsted_urn, s.area_code, s.kind) for s in first] == [("Alpha Care", "SC123456", MANCHESTER,
                                                                           "other")]
    assert "1 High Street" in first[0].address


def test_registering_without_a_urn_gives_no_setting(world, clock):
    user = provider_user("Gamma Care", "gamma@provider.example.org", clock)
    assert settings.open_settings(user.organisation_id) == []


def test_registering_under_the_urn_of_another_providers_setting_is_refused(world, clock):
    settings.add(world.provider_a, _input(ofsted_urn="SC200002"), clock.now())
    with pytest.raises(DomainError, match="already registered") as refused:
        provider_user("Gamma Care", "gamma@provider.example.org", clock, urn="SC200002")
    assert refused.value.field == "ofsted_urn"


def test_a_user_administrator_adds_a_setting_audited(world, clock):
    setting = settings.add(world.provider_a, _input(), clock.now())
    assert setting.provider_id == world.provider_a.organisation_id and setting.is_open
    assert (setting.ofsted_urn, setting.area_code, setting.kind) == ("SC200001", OLDHAM, "childrens_home")
    event = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "setting.added")).one()
    assert event.entity_id == setting.id


def test_every_mistake_is_shown_at_once(world, clock):
    with pytest.raises(DomainError) as refused:
        settings.add(world.provider_a, _input(name=" ", kind="castle", ofsted_urn="12-34", area_code=LANCASHIRE,
                                              address=""), clock.now())
    assert set(refused.value.errors) == {"name", "kind", "ofsted_urn", "area_code", "address"}
    assert refused.value.errors["area_code"] == "Choose the district the setting is in, not the county"
    assert db.session.scalar(db.select(db.func.count(Setting.id))) == 2  # the two registrations' only


@pytest.mark.parametrize("urn", ["SC123456", "SC654321"])
def test_a_urn_belongs_to_one_setting_only(world, clock, urn):
    """Provider A's own registration URN is held by its first setting; B's by B's organisation and setting."""
    with pytest.raises(DomainError, match="Another setting or provider") as refused:
        settings.add(world.provider_a, _input(ofsted_urn=urn), clock.now())
    assert refused.value.field == "ofsted_urn"


def test_a_urn_is_written_as_ofsted_shows_it(world, clock):
    setting = settings.add(world.provider_a, _input(ofsted_urn=" sc 200003 "), clock.now())
    assert setting.ofsted_urn == "SC200003"


def test_a_setting_without_a_urn_is_allowed(world, clock):
    assert settings.add(world.provider_a, _input(ofsted_urn=""), clock.now()).ofsted_urn is None


def test_adding_the_same_setting_twice_is_refused(world, clock):
    settings.add(world.provider_a, _input(ofsted_urn=""), clock.now())
    with pytest.raises(DomainError, match="(?i)already have an open setting called Mill Lane House"):
        settings.add(world.provider_a, _input(ofsted_urn="", name="mill lane house"), clock.now())


def test_only_user_administrators_change_settings(world, clock):
    colleague = world.colleague_a
    db.session.execute(db.delete(UserRole).where(UserRole.user_id == colleague.id, UserRole.role != PROVIDER_USER))
    db.session.commit()
    db.session.refresh(colleague)
    assert not settings.may_manage(colleague)
    with pytest.raises(DomainError, match="user administrators"):
        settings.add(colleague, _input(), clock.now())


def test_another_providers_setting_is_not_found(world, clock):
    setting = settings.add(world.provider_a, _input(), clock.now())
    with pytest.raises(NotFound):
        settings.own_setting(world.provider_b, setting.id)
    with pytest.raises(NotFound):
        settings.close(world.provider_b, setting, now=clock.now())
    with pytest.raises(NotFound):
        settings.own_setting(world.admin, setting.id)


def test_a_change_is_audited_with_before_and_after(world, clock):
    setting = settings.add(world.provider_a, _input(), clock.now())
    settings.change(world.provider_a, setting, _input(description="Four bedrooms now"),
                    seen=settings.fingerprint(setting), now=clock.now())
    assert setting.description == "Four bedrooms now"
    event = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "setting.changed")).one()
    assert json.loads(event.before) == {"description": "A three-bedroom home"}
    assert json.loads(event.after) == {"description": "Four bedrooms now"}


def test_a_change_from_a_stale_page_changes_nothing(world, clock):
    setting = settings.add(world.provider_a, _input(), clock.now())
    seen = settings.fingerprint(setting)
    settings.change(world.provider_a, setting, _input(name="Mill Lane"), seen=seen, now=clock.now())
    with pytest.raises(DomainError, match="changed by someone else"):
        settings.change(world.provider_a, setting, _input(name="Old name again"), seen=seen, now=clock.now())
    db.session.rollback()
    assert db.session.get(Setting, setting.id).name == "Mill Lane"


def test_a_change_may_keep_its_own_urn_but_not_take_another(world, clock):
    setting = settings.add(world.provider_a, _input(), clock.now())
    settings.change(world.provider_a, setting, _input(name="Renamed"), seen=settings.fingerprint(setting),
                    now=clock.now())
    with pytest.raises(DomainError, match="Another setting or provider"):
        settings.change(world.provider_a, setting, _input(ofsted_urn="SC654321"),
                        seen=settings.fingerprint(setting), now=clock.now())


def test_closing_keeps_the_setting_and_stops_offering_it(world, clock):
    setting = settings.add(world.provider_a, _input(), clock.now())
    settings.close(world.provider_a, setting, now=clock.now())
    assert setting.closed_at == clock.now()
    assert setting not in settings.open_settings(world.provider_a.organisation_id)
    with pytest.raises(DomainError, match="already closed"):
        settings.close(world.provider_a, setting, now=clock.now())
    with pytest.raises(DomainError, match="closed and can no longer be changed"):
        settings.change(world.provider_a, setting, _input(name="X"), seen=settings.fingerprint(setting),
                        now=clock.now())


def test_the_list_filters_by_status_and_search(world, clock):
    settings.add(world.provider_a, _input(), clock.now())
    closed = settings.add(world.provider_a, _input(name="Old Hall", ofsted_urn=""), clock.now())
    settings.close(world.provider_a, closed, now=clock.now())
    names = lambda **kw: [s.name for s in settings.settings_page(world.provider_a, page=1, **kw).items]  # noqa: E731
    assert names(status=None, search="") == ["Alpha Care", "Mill Lane House", "Old Hall"]
    assert names(status="closed", search="") == ["Old Hall"]
    assert names(status="open", search="200001") == ["Mill Lane House"]
    assert names(status=None, search="%") == []
