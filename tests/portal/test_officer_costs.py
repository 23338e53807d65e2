"""The counts on the officer's and the provider's main pages and in the menu cost the same however much data there
is: the menu counts to 99 and says "99+" beyond, the officer's referral list counts to a bound and says "more
than" beyond, and the provider's open referrals are counted from the open rounds."""

from datetime import timedelta

from portal.extensions import db
from portal.models import Notification
from portal.services.referrals import access
from tests.buyer.test_agreement_query_counts import add_life
from tests.buyer.test_off_framework_routes import add_off_framework_providers
from tests.buyer.test_off_framework_service import exhausted_referral
from tests.buyer.test_task_count import listed
from tests.factories import admit, draft_referral, published_referral
from tests.portal.test_query_counts import assert_constant, counting


def _notify(user, clock, how_many: int) -> None:
    for index in range(how_many):
        db.session.add(Notification(user_id=user.id, subject=f"Notice {index}", body="", link=None,
                                    created_at=clock.now()))
    db.session.commit()


def _page(client, url="/authority/referrals") -> str:
    return client.get(url).get_data(as_text=True)


def test_the_menu_shows_up_to_99_unread_notifications_then_99_plus(world, sign_in, clock):
    officer = world.member_officer
    _notify(officer, clock, 99)
    client = sign_in(officer)
    assert "Notifications (99)" in _page(client)
    _notify(officer, clock, 1)
    page = _page(client)
    assert "Notifications (99+)" in page and "Notifications (100)" not in page


def test_the_menus_counts_stop_after_one_more_than_it_shows(world, sign_in, clock):
    officer = world.member_officer
    _notify(officer, clock, 150)
    with counting() as statements:
        _page(sign_in(officer))
    menu = [statement for statement in statements if "FROM notification" in statement and "count(" in statement]
    assert len(menu) == 1 and "LIMIT" in menu[0]


def test_the_menu_says_more_tasks_than_it_counts(world, sign_in, clock, monkeypatch):
    template = exhausted_referral(world, clock)
    add_off_framework_providers(world, clock, 0, 1)
    add_life(world, clock, template, 0, 4)
    officer = world.member_officer
    tasks = listed(officer, clock.now())
    assert tasks > 2
    client = sign_in(officer)
    assert f"Tasks ({tasks})" in _page(client)
    monkeypatch.setattr("portal.templating.MENU_COUNT_SHOWN", 2)
    page = _page(client)
    assert "Tasks (2+)" in page and f"Tasks ({tasks})" not in page


def test_the_referral_list_says_more_than_when_it_stops_counting(world, sign_in, clock, monkeypatch):
    monkeypatch.setattr(access, "COUNTED_AT_MOST", 3)  # counted no further than 3 rows past the page shown
    for _ in range(3):
        draft_referral(world, clock)
    client = sign_in(world.member_officer)
    assert "3 referrals, newest first" in _page(client)
    for _ in range(27):
        draft_referral(world, clock)
    page = _page(client)
    assert "More than 28 referrals, newest first" in page
    assert "T-DPS-R0030" in page and "T-DPS-R0006" in page and "T-DPS-R0005" not in page
    assert 'href="/authority/referrals?page=2"' in page


def test_the_referral_list_pages_on_past_the_bound(world, sign_in, clock, monkeypatch):
    monkeypatch.setattr(access, "COUNTED_AT_MOST", 3)
    for _ in range(60):
        draft_referral(world, clock)
    client = sign_in(world.member_officer)
    second = _page(client, "/authority/referrals?page=2")
    assert "More than 53 referrals" in second and "T-DPS-R0035" in second
    assert 'href="/authority/referrals?page=3"' in second
    third = _page(client, "/authority/referrals?page=3")
    assert "60 referrals" in third and "T-DPS-R0010" in third and "T-DPS-R0001" in third
    assert "T-DPS-R0011" not in third


def test_the_providers_open_referrals_count_only_open_rounds(world, sign_in, clock):
    admit(world.provider_a, world.lots[0], clock=clock)
    published_referral(world, clock, lot=world.lots[0], deadline=clock.now() + timedelta(days=2))
    published_referral(world, clock, lot=world.lots[0], deadline=clock.now() + timedelta(days=4))
    assert "2 referrals open for your bid." in _page(sign_in(world.provider_a), "/provider/")
    clock.advance(days=3)
    assert "1 referral open for your bid." in _page(sign_in(world.provider_a), "/provider/")
    clock.advance(days=2)
    assert "No referral is waiting for your bid." in _page(sign_in(world.provider_a), "/provider/")


def test_the_provider_dashboard_does_not_grow_with_its_invitations(world, sign_in, clock):
    admit(world.provider_a, world.lots[0], clock=clock)

    def add(start, stop):
        for _ in range(start, stop):
            published_referral(world, clock, lot=world.lots[0], deadline=clock.now() + timedelta(days=2))

    assert_constant(sign_in(world.provider_a), "/provider/", add)
