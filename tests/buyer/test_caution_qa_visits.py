"""A child placed with a provider marked place with caution gets a quality-assurance visit, as an emergency does:
within 72 hours of the start on the framework (before the start off it), on the officer's Tasks page with the
reason until the visit is recorded."""

import re
from datetime import date, datetime

from flask import url_for

from portal.extensions import db
from portal.models import Placement
from portal.services import off_framework
from tests.buyer.test_award_routes import assessed, award_form, opened, sealed  # noqa: F401 (fixtures)
from tests.buyer.test_awards_service import START_DATE, bid_of
from tests.buyer.test_off_framework_service import place, place_args, provider_with_references, searched_referral
from tests.factories import approve_cost, award_approved


def task_rows(client) -> list[str]:
    page = client.get("/authority/tasks").get_data(as_text=True)
    page = page[page.index("Quality-assurance visits due"):]
    page = page[:page.index("</table>")]  # the QA visits' table only: the page has other tasks' tables
    return [" ".join(re.sub(r"<[^>]+>", " ", row).split())
            for row in re.findall(r'<tr class="govuk-table__row">(.*?)</tr>', page, re.S)[1:]]


def test_a_framework_placement_with_a_cautioned_provider_gets_a_qa_visit_on_the_tasks_page(
        world, clock, sign_in, assessed):  # noqa: F811
    client = sign_in(world.member_officer)
    alpha = bid_of(assessed, world.provider_a)  # Alpha is marked place with caution
    approve_cost(world, assessed, alpha, clock)
    response = client.post(url_for("buyer.referral_award", referral_id=assessed.id),
                           data=award_form(alpha, caution_acknowledged="y"))
    assert response.status_code == 302
    placement = db.session.scalars(db.select(Placement)).one()
    # 72 hours from 00:00 UK time on the start date (GMT in November), as for an emergency.
    assert START_DATE == date(2026, 11, 30)
    assert placement.qa_visit_due_at == datetime(2026, 12, 3, 0, 0)
    assert placement.placed_with_caution

    [row] = task_rows(client)
    assert placement.agreement_reference in row
    assert "Placed with caution" in row and "Emergency" not in row
    assert "3 December 2026 at 12:00am" in row
    page = client.get(url_for("buyer.placement", placement_id=placement.id)).get_data(as_text=True)
    assert "A quality-assurance visit is due by 3 December 2026 at 12:00am (placed with caution)." in page

    clock.set(datetime(2026, 12, 1, 9, 0))
    off_framework.record_qa_visit(world.member_officer, placement, visited_at=datetime(2026, 12, 1, 8, 0),
                                  notes="Staffing checked", now=clock.now())
    client = sign_in(world.member_officer)
    assert "No QA visits are outstanding" in task_rows(client)[0]


def test_a_framework_placement_with_a_provider_not_cautioned_needs_no_qa_visit(world, clock, sign_in, assessed):  # noqa: F811
    beta = bid_of(assessed, world.provider_b)
    placement = award_approved(world, clock, assessed, beta, reason="Nearer school", now=clock.now())
    assert placement.qa_visit_due_at is None and not placement.placed_with_caution
    assert "No QA visits are outstanding" in task_rows(sign_in(world.member_officer))[0]


def test_an_off_framework_placement_with_a_cautioned_provider_shows_why_the_visit_is_due(world, clock, sign_in):
    referral = searched_referral(world, clock)
    provider = provider_with_references(world.member_officer, clock, place_with_caution=True,
                                        caution_note="Weak supervision found in May")
    placement = place(world, clock, referral, provider, caution_acknowledged=True,
                                    **place_args(clock))
    assert placement.placed_with_caution
    # Off the framework the visit is due before the start, sooner than 72 hours after it.
    assert placement.qa_visit_due_at == datetime(2026, 11, 10, 0, 0)
    [row] = task_rows(sign_in(world.member_officer))
    assert placement.agreement_reference in row
    assert "Placed with caution, Off framework" in row


def test_an_emergency_is_shown_as_the_reason_for_its_visit(world, clock, sign_in):
    referral = searched_referral(world, clock, needed_by="today", required_start=clock.now().date())
    provider = provider_with_references(world.member_officer, clock)
    placement = place(world, clock, referral, provider, **place_args(clock))
    assert not placement.placed_with_caution
    [row] = task_rows(sign_in(world.member_officer))
    assert "Emergency, Off framework" in row
