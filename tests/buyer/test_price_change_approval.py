"""The budget holder asked to approve a change of a placement's weekly price sees which placement it is, why and
from when, on the Tasks page and the approval's page (not "request 12" with an empty referral column)."""

import html
from datetime import timedelta

from portal.extensions import db
from portal.models import Approval
from portal.services import agreements, approvals
from tests.factories import deciders, placed


def test_the_price_change_is_named_on_the_tasks_and_the_approval(world, clock, sign_in):
    placement = placed(world, clock)
    people = deciders(world, clock)
    clock.set(clock.now() + timedelta(days=14))
    agreements.request_price_change(world.member_officer, placement, weekly_cost="1725.50",
                                    effective_from=clock.now().date() + timedelta(days=7),
                                    reason="Two-to-one staffing agreed", now=clock.now())
    approval = db.session.scalars(db.select(Approval).where(Approval.kind == "price_change")).one()
    (task,) = approvals.tasks_for(people.budget_holder)
    assert task.subject.placement == placement
    holder = sign_in(people.budget_holder)
    tasks = html.unescape(holder.get("/authority/tasks").get_data(as_text=True))
    assert f"{placement.agreement_reference}<br>" in tasks and "request " not in tasks
    page = html.unescape(holder.get(f"/authority/approvals/{approval.id}").get_data(as_text=True))
    assert f"Placement {placement.agreement_reference}, Alpha Care" in page
    assert "Two-to-one staffing agreed" in page
    assert "Read placement" not in page  # a budget holder does not open placement pages
    officer_page = sign_in(world.member_officer).get(f"/authority/approvals/{approval.id}").get_data(as_text=True)
    assert f'href="/authority/placements/{placement.id}"' in officer_page
    assert holder.post(f"/authority/approvals/{approval.id}/answer", data={"decision": "approve"}).status_code == 302
