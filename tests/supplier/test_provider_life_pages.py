"""The provider's way round the placement's life: the menu and the dashboard lead to its placements, agreements,
returns and KPIs; a placement's page leads to its agreement and shows what the provider may know of its reviews
and incidents."""

from datetime import timedelta

import pytest

from portal.extensions import db
from portal.models.kpi import NUMBER
from portal.models.user import SIGNATORY
from portal.quarters import quarter_at
from portal.services import agreements, placement_records, reviews
from portal.services import quarterly_returns as returns
from tests.factories import placed


def text(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


@pytest.fixture
def placement(world, clock):
    placement = placed(world, clock)
    clock.set(clock.now() + timedelta(days=10))  # started
    return placement


def test_the_menu_leads_to_the_agreements(world, placement, sign_in):
    page = text(sign_in(world.provider_a).get("/provider/placements"))
    assert 'href="/provider/agreements"' in page.split('aria-label="Menu"', 1)[1].split("</nav>", 1)[0]


def test_the_dashboard_counts_current_placements_and_returns_to_submit(world, clock, placement, sign_in):
    returns.add_question(world.admin, world.dps, text="How many carers did you approve?", answer_type=NUMBER,
                         guidance="", now=clock.now())
    quarter = quarter_at(clock.now())
    clock.set(quarter.next.start_utc + timedelta(hours=1))
    assert returns.request(quarter, clock.now()) == 1
    page = text(sign_in(world.provider_a).get("/provider/"))
    assert "1 current placement." in page and 'href="/provider/placements"' in page
    assert "1 quarterly return to submit." in page and 'href="/provider/returns"' in page
    assert 'href="/provider/kpis"' in page
    other = text(sign_in(world.provider_b).get("/provider/"))
    assert "No current placement." in other and "No quarterly return to submit." in other


def test_a_colleague_who_cannot_sign_is_told_an_agreement_waits_for_a_signatory(world, clock, placement, sign_in):
    agreements.issue(world.member_officer, placement, now=clock.now())
    colleague = world.colleague_a
    colleague.role_rows = [row for row in colleague.role_rows if row.role != SIGNATORY]
    db.session.commit()
    assert "1 agreement waiting for your signature" in text(sign_in(world.provider_a).get("/provider/"))
    page = text(sign_in(colleague).get("/provider/"))
    assert "1 agreement waiting for the signature of a signatory of your organisation" in page


def test_the_placement_page_leads_to_its_agreement_and_shows_reviews_and_incidents(world, clock, placement, sign_in):
    client = sign_in(world.provider_a)
    assert "The placing authority has not issued the agreement yet" in text(
        client.get(f"/provider/placements/{placement.id}"))
    version = agreements.issue(world.member_officer, placement, now=clock.now())
    today = agreements.today_at(clock.now())
    reviews.record_review(world.member_officer, placement, held_on=today, attendees="Social worker, carer",
                          meets_needs="yes", notes="Settled", now=clock.now())
    placement_records.record_incident(world.member_officer, placement, occurred_on=today, category="allegation",
                                      summary="An allegation", lado_informed=True, police_informed=False,
                                      outcome="", ended_placement=False, now=clock.now())
    page = text(client.get(f"/provider/placements/{placement.id}"))
    assert f'href="/provider/agreements/{version.id}"' in page
    assert "Version 1</a>: waiting for your signature" in page
    assert "plan: yes" in page
    assert "Allegation of misconduct" in page and "An allegation" not in page


def test_the_placements_list_does_not_say_the_agreement_names_the_child(world, placement, sign_in):
    page = text(sign_in(world.provider_a).get("/provider/placements"))
    assert "names the child" not in page


def test_an_ended_placement_without_an_agreement_does_not_promise_one(world, clock, placement, sign_in):
    from portal.services import endings
    from portal.services.endings import Ending

    today = agreements.today_at(clock.now())
    endings.record(world.member_officer, placement, Ending("authority", today - timedelta(days=2), today, True,
                                                           "plan_achieved"), clock.now())
    page = text(sign_in(world.provider_a).get(f"/provider/placements/{placement.id}"))
    assert "No agreement was issued in the portal" in page and "you will be told" not in page


def test_the_provider_is_told_when_the_authority_records_the_ending(world, clock, placement):
    from portal.models import Notification, OutboxMessage
    from portal.services import endings
    from portal.services.endings import Ending

    today = agreements.today_at(clock.now())
    ending = Ending("provider", today - timedelta(days=10), today, False, "placement_breakdown", detail="Kestrel left")
    endings.record(world.member_officer, placement, ending, clock.now())
    endings.record(world.member_officer, placement, ending, clock.now())  # a double submit
    told = db.session.scalars(db.select(Notification).where(
        Notification.user_id == world.provider_a.id, Notification.subject.contains("Ending recorded"))).all()
    assert len(told) == 1 and placement.agreement_reference in told[0].subject
    assert "fewer than the 28 days" in told[0].body and "Kestrel" not in told[0].body
    assert told[0].link == f"/provider/placements/{placement.id}"
    assert db.session.scalar(db.select(db.func.count(OutboxMessage.id)).where(
        OutboxMessage.user_id == world.provider_b.id, OutboxMessage.subject.contains("Ending recorded"))) == 0
