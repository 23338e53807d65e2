"""The placement's-life pages: the list and its filters and export, the placement page, recording the ending,
spend, the children, the provider's placements and its notice, and the agreements after an unplanned ending."""

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest

from portal.extensions import db
from portal.models import Notification, Placement, PlacementPrice
from portal.services import endings
from portal.services.endings import Ending
from tests.factories import CHILD_CASE_NUMBER, deciders, draft_referral, placed
from tests.portal.test_auth_routes import assert_form_not_sent, csrf_sign_in, csrf_token_of


def _form_date(prefix: str, day) -> dict:
    return {prefix: [str(day.day), str(day.month), str(day.year)]}


def _ending_form(placement, *, notice_days=27, by="provider", planned="no", reason="placement_breakdown"):
    end = placement.start_date + timedelta(days=60)
    return {"notice_given_by": by, **_form_date("notice_given_on", end - timedelta(days=notice_days)),
            **_form_date("end_date", end), "planned": planned, "reason": reason, "detail": "",
            "next_placement_id": ""}


@pytest.fixture
def later(world, clock):
    placement = placed(world, clock)
    clock.set(clock.now() + timedelta(days=90))
    return placement


def test_an_officer_records_the_providers_short_notice(world, clock, sign_in, later):
    client = sign_in(world.member_officer)
    page = client.get(f"/authority/placements/{later.id}/ending").get_data(as_text=True)
    assert "28 calendar days" in page
    response = client.post(f"/authority/placements/{later.id}/ending", data=_ending_form(later))
    assert response.status_code == 302
    db.session.refresh(later)
    assert later.short_notice_breach and later.ending_planned is False and later.notice_given_by == "provider"
    page = client.get(f"/authority/placements/{later.id}").get_data(as_text=True)
    assert "Ended" in page and "a breach of the agreement" in page and "Unplanned ending" in page
    # the same again changes nothing
    assert client.post(f"/authority/placements/{later.id}/ending", data=_ending_form(later)).status_code == 302


def test_28_days_notice_is_no_breach_through_the_page(world, clock, sign_in, later):
    client = sign_in(world.member_officer)
    client.post(f"/authority/placements/{later.id}/ending", data=_ending_form(later, notice_days=28))
    db.session.refresh(later)
    assert not later.short_notice_breach


def test_a_bad_ending_is_refused_with_messages_and_nothing_stored(world, clock, sign_in, later):
    client = sign_in(world.member_officer)
    form = _ending_form(later)
    form.update(_form_date("end_date", later.start_date - timedelta(days=1)), planned="", reason="")
    response = client.post(f"/authority/placements/{later.id}/ending", data=form)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "before the placement started" in page and "Select whether the ending was planned" in page
    db.session.refresh(later)
    assert later.end_date is None


def test_csrf_token_is_required_to_record_an_ending(csrf_app, world, clock):
    placement = placed(world, clock)
    clock.set(clock.now() + timedelta(days=90))
    client = csrf_sign_in(csrf_app, world.member_officer)
    assert_form_not_sent(client.post(f"/authority/placements/{placement.id}/ending", data=_ending_form(placement)))
    token = csrf_token_of(client.get(f"/authority/placements/{placement.id}/ending"))
    assert client.post(f"/authority/placements/{placement.id}/ending",
                       data=dict(_ending_form(placement), csrf_token=token)).status_code == 302


def test_a_tampered_next_placement_is_refused(world, clock, sign_in, later):
    form = dict(_ending_form(later), next_placement_id="999999")
    response = sign_in(world.member_officer).post(f"/authority/placements/{later.id}/ending", data=form)
    assert response.status_code == 400 and "later placements" in response.get_data(as_text=True)


def test_the_list_filters_by_status_and_exports_the_ending(world, clock, sign_in, later):
    endings.record(world.member_officer, later, Ending("authority", later.start_date + timedelta(days=10),
                                                       later.start_date + timedelta(days=40), True, "plan_achieved"),
                   clock.now())
    live = placed(world, clock, admitted=False, child={"case_number": "CN-2"},
                  required_start=endings.uk_today(clock.now()) + timedelta(days=10))
    client = sign_in(world.member_officer)
    ended_page = client.get("/authority/placements?status=ended").get_data(as_text=True)
    assert later.agreement_reference in ended_page and live.agreement_reference not in ended_page
    starting = client.get("/authority/placements?status=starting&area=in&framework=on").get_data(as_text=True)
    assert live.agreement_reference in starting and later.agreement_reference not in starting
    assert later.agreement_reference not in client.get("/authority/placements?area=out").get_data(as_text=True)
    other_lot = client.get(f"/authority/placements?lot={world.lots[1].id}").get_data(as_text=True)
    assert "No placements match these filters" in other_lot
    by_provider = client.get(f"/authority/placements?provider=f-{world.provider_b.organisation_id}")
    assert "No placements match" in by_provider.get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(client.get("/authority/placements.csv?status=ended").get_data(as_text=True))))
    assert rows[0][-4:] == ["Status", "End date", "Ending reason", "Cost to date (£)"]
    assert rows[1][-4:-1] == ["Ended", (later.start_date + timedelta(days=40)).isoformat(),
                              "The child's plan was achieved (planned move on)"]
    assert rows[1][-1] == "8571.43" and len(rows) == 2  # 40 days at £1,500 a week


def test_junk_filters_are_ignored(world, clock, sign_in, later):
    client = sign_in(world.member_officer)
    for query in ("?status=x&provider=zz&lot=abc&area=q", "?lot=99999999999&provider=f-99999999999&page=99999999"):
        response = client.get(f"/authority/placements{query}")
        assert response.status_code == 200
    assert later.agreement_reference in client.get("/authority/placements?lot=99999999999").get_data(as_text=True)
    assert client.get("/authority/spend?page=99999999999").status_code == 200


def test_the_spend_page_totals_by_provider(world, clock, sign_in, later):
    later.prices.append(PlacementPrice(effective_from=later.start_date + timedelta(days=7),
                                       weekly_cost=Decimal("2100.00"), reason="More support",
                                       recorded_by_id=world.member_officer.id, recorded_at=clock.now()))
    later.end_date = later.start_date + timedelta(days=14)
    db.session.commit()
    page = sign_in(world.member_officer).get("/authority/spend").get_data(as_text=True)
    assert "Alpha Care" in page and "£3,600.00" in page  # a week at £1,500, a week at £2,100


def test_children_are_searched_and_each_has_its_history(world, clock, sign_in, later):
    client = sign_in(world.member_officer)
    page = client.get("/authority/children?q=quennell").get_data(as_text=True)
    assert "Kestrel Quennell-Abara" in page
    assert "No child matches" in client.get("/authority/children?q=nobody").get_data(as_text=True)
    assert "Kestrel" in client.get(f"/authority/children?q={CHILD_CASE_NUMBER}").get_data(as_text=True)
    page = client.get(f"/authority/children/{later.referral.child_id}").get_data(as_text=True)
    assert later.agreement_reference in page and later.referral.reference in page
    assert client.get("/authority/children/999999").status_code == 404


def test_a_known_case_number_is_linked_and_said_so(world, clock, sign_in, later):
    from tests.buyer.test_referral_routes import form_data

    start = endings.uk_today(clock.now()) + timedelta(days=10)
    client = sign_in(world.member_officer)
    response = client.post("/authority/referrals/new", follow_redirects=True, data=form_data(
        world.lots[0], child_first_names="Other", required_start=[str(start.day), str(start.month), str(start.year)]))
    assert "is already recorded for Kestrel Quennell-Abara" in response.get_data(as_text=True)


def test_a_new_referral_after_an_unplanned_ending_asks_both_agreements(world, clock, sign_in, later):
    endings.record(world.member_officer, later, Ending("provider", later.start_date + timedelta(days=10),
                                                       later.start_date + timedelta(days=20), False,
                                                       "placement_breakdown"), clock.now())
    people = deciders(world, clock)
    referral = draft_referral(world, clock, required_start=endings.uk_today(clock.now()) + timedelta(days=10))
    client = sign_in(world.member_officer)
    page = client.get(f"/authority/referrals/{referral.id}").get_data(as_text=True)
    assert "ended unplanned" in page and "not asked yet" in page
    response = client.post(f"/authority/referrals/{referral.id}/new-search", follow_redirects=True)
    assert "are asked to agree" in response.get_data(as_text=True)
    for person in (people.head_of_service, people.assistant_director):
        tasks = sign_in(person).get("/authority/tasks").get_data(as_text=True)
        assert "new search after an unplanned ending" in tasks
    again = client.post(f"/authority/referrals/{referral.id}/new-search", follow_redirects=True)
    assert "already asked" in again.get_data(as_text=True)
    publish = client.post(f"/authority/referrals/{referral.id}/publish", data={}, follow_redirects=True)
    assert "ended unplanned" in publish.get_data(as_text=True)


def test_the_provider_sees_its_placements_anonymised_and_gives_notice(world, clock, sign_in):
    placement = placed(world, clock)
    client = sign_in(world.provider_a)
    for url in ("/provider/placements", f"/provider/placements/{placement.id}"):
        page = client.get(url).get_data(as_text=True)
        assert placement.agreement_reference in page
        assert "Kestrel" not in page and CHILD_CASE_NUMBER not in page and "2010" not in page
    page = client.get(f"/provider/placements/{placement.id}").get_data(as_text=True)
    assert "28 calendar days" in page
    today = endings.uk_today(clock.now())
    response = client.post(f"/provider/placements/{placement.id}", data={
        **_form_date("end_date", today + timedelta(days=20)), "reason": "provider_closure", "detail": ""})
    assert response.status_code == 302
    db.session.refresh(placement)
    assert placement.short_notice_breach and placement.notice_given_on == today
    assert db.session.scalar(db.select(Notification).where(Notification.user_id == world.member_officer.id)
                             .order_by(Notification.id.desc()).limit(1)).subject.startswith("Notice given")
    assert sign_in(world.provider_b).get(f"/provider/placements/{placement.id}").status_code == 404


def test_the_providers_bad_notice_is_refused(world, clock, sign_in):
    placement = placed(world, clock)
    response = sign_in(world.provider_a).post(f"/provider/placements/{placement.id}",
                                              data={"end_date": ["", "", ""], "reason": ""})
    assert response.status_code == 400 and "Enter the end date" in response.get_data(as_text=True)
    assert db.session.get(Placement, placement.id).notice_given_on is None


def test_the_referral_list_is_searched_by_the_childs_name_or_case_number(world, clock, sign_in):
    mine = draft_referral(world, clock)
    other = draft_referral(world, clock, child={"first_names": "Wren", "surname": "Ambler", "case_number": "CN-9"})
    client = sign_in(world.member_officer)
    page = client.get("/authority/referrals?q=quennell").get_data(as_text=True)
    assert mine.reference in page and other.reference not in page
    page = client.get("/authority/referrals?q=CN-9").get_data(as_text=True)
    assert other.reference in page and mine.reference not in page


def test_the_placement_page_links_the_child_the_referral_and_the_providers_kpis(world, clock, sign_in, later):
    client = sign_in(world.member_officer)
    page = client.get(f"/authority/placements/{later.id}").get_data(as_text=True)
    kpis = f"/authority/dps/{later.lot.dps_id}/kpis/providers/{later.provider_id}"
    assert f'href="{kpis}"' in page and "Alpha Care's quarterly KPIs" in page
    assert f'href="/authority/children/{later.referral.child_id}"' in page
    assert f'href="/authority/referrals/{later.referral_id}"' in page
    kpi_page = client.get(kpis).get_data(as_text=True)
    assert f'href="/authority/placements?provider=f-{later.provider_id}"' in kpi_page
    listed = client.get(f"/authority/placements?provider=f-{later.provider_id}").get_data(as_text=True)
    assert later.agreement_reference in listed


def test_an_ended_placement_without_an_agreement_in_the_portal_asks_nothing_more(world, clock, sign_in, later):
    endings.record(world.member_officer, later, Ending("authority", later.start_date + timedelta(days=20),
                                                       later.start_date + timedelta(days=50), True,
                                                       "plan_achieved"), clock.now())
    page = sign_in(world.member_officer).get(f"/authority/placements/{later.id}").get_data(as_text=True)
    assert "issue it to the provider" not in page and "ended before its agreement was issued" in page
    assert "The weekly price when it ended was £1,500.00" in page and "in force today" not in page


def test_the_child_page_says_what_a_new_search_needs_after_an_unplanned_ending(world, clock, sign_in, later):
    client = sign_in(world.member_officer)
    url = f"/authority/children/{later.referral.child_id}"
    assert "after-unplanned-ending" not in client.get(url).get_data(as_text=True)
    endings.record(world.member_officer, later, Ending("provider", later.start_date + timedelta(days=10),
                                                       later.start_date + timedelta(days=20), False,
                                                       "placement_breakdown"), clock.now())
    page = client.get(url).get_data(as_text=True)
    assert "after-unplanned-ending" in page and "ended unplanned on" in page
    assert f"give case number {CHILD_CASE_NUMBER}" in page and 'href="/authority/referrals/new"' in page
