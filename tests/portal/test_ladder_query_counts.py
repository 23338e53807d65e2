"""The ladder's pages and its scheduler job run a fixed number of SQL statements however many issues, sanctions,
appeals and overdue actions there are."""

from datetime import timedelta

from portal.extensions import db
from portal.models import Appeal, LadderAction, PerformanceIssue, Sanction
from portal.models.ladder import IN_FORCE, ISSUE_OPEN, NOTICE
from portal.services import ladder
from tests.factories import admit, contract_manager, contract_of, lead_deciders
from tests.portal.test_query_counts import FEW, MANY, assert_constant, counting


def _contract(world, clock):
    admit(world.provider_a, world.lots[0], clock=clock)
    contract = contract_of(world, world.provider_a)
    manager = contract_manager(world, clock)
    contract.contract_manager_id = manager.id
    db.session.commit()
    return contract, manager


def _adder(world, clock, contract, manager, *, overdue=False):
    def add_rows(start, stop):
        due = (clock.now() + (timedelta(days=-3) if overdue else timedelta(days=10))).date()
        for index in range(start, stop):
            issue = PerformanceIssue(contract_id=contract.id, authority_id=world.member.id, severity="minor",
                                     description=f"Issue number {index}", status=ISSUE_OPEN,
                                     raised_by_id=world.member_officer.id, raised_at=clock.now())
            issue.actions = [LadderAction(description=f"Issue action {index}", due_on=due)]
            sanction = Sanction(contract_id=contract.id, kind=NOTICE, grounds=f"Grounds {index}", status=IN_FORCE,
                                proposed_by_id=manager.id, proposed_at=clock.now(), in_force_at=clock.now(),
                                appeal_by=(clock.now() + timedelta(days=28)).date())
            sanction.actions = [LadderAction(description=f"Notice action {index}", due_on=due)]
            db.session.add_all([issue, sanction])
            db.session.flush()
            db.session.add(Appeal(sanction_id=sanction.id, grounds="g", submitted_by_id=world.provider_a.id,
                                  submitted_at=clock.now()))
        db.session.commit()
    return add_rows


def test_the_contract_page_panel_is_constant(app, world, clock, sign_in):
    contract, manager = _contract(world, clock)
    url = f"/authority/contracts/dps/{world.dps.id}/providers/{world.provider_a.organisation_id}"
    # the panel lists the latest 20: MANY stays within it
    assert_constant(sign_in(manager), url, _adder(world, clock, contract, manager),
                    shows=lambda index: f"Issue number {index}")


def test_the_tasks_section_is_constant_for_a_contract_manager_and_an_appeal_decider(app, world, clock, sign_in):
    contract, manager = _contract(world, clock)
    add_rows = _adder(world, clock, contract, manager, overdue=True)
    assert_constant(sign_in(manager), "/authority/tasks", add_rows, shows=lambda index: f"Notice action {index}")
    decider = lead_deciders(world, clock).second_head
    counts = []
    client = sign_in(decider)
    for start, stop in ((MANY, MANY + FEW), (MANY + FEW, MANY + FEW + MANY)):
        add_rows(start, stop)
        with counting() as statements:
            assert client.get("/authority/tasks").status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1]


def test_the_overdue_escalation_job_is_constant(app, world, clock):
    contract, manager = _contract(world, clock)
    lead_deciders(world, clock)
    add_rows = _adder(world, clock, contract, manager, overdue=True)
    counts = []
    for start, stop in ((0, FEW), (FEW, FEW + MANY)):
        add_rows(start, stop)
        with app.test_request_context(), counting() as statements:
            escalated = ladder.escalate_overdue(clock.now())
        counts.append(len(statements))
        assert escalated == 2 * (stop - start)
    assert counts[0] == counts[1]
    with app.test_request_context():
        assert ladder.escalate_overdue(clock.now()) == 0


def test_the_suspension_review_reminder_job_is_constant(app, world, clock):
    contract, manager = _contract(world, clock)
    counts = []
    for start, stop in ((0, FEW), (FEW, FEW + MANY)):
        for index in range(start, stop):
            db.session.add(Sanction(contract_id=contract.id, kind="suspension", grounds=f"g {index}", status=IN_FORCE,
                                    proposed_by_id=manager.id, proposed_at=clock.now(), in_force_at=clock.now(),
                                    review_on=clock.now().date()))
        db.session.commit()
        with app.test_request_context(), counting() as statements:
            assert ladder.remind_suspension_reviews(clock.now()) == stop - start
        counts.append(len(statements))
    assert counts[0] == counts[1]
