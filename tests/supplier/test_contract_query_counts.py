"""The provider's own contract page (standing, settings, Ofsted history, evidence, issues, sanctions, appeals,
annual reviews), a sanction's page with its whole case, and an issue's page run a fixed number of SQL statements
however many records there are."""

from datetime import date, timedelta

from flask import url_for

from portal.extensions import db
from portal.models import Evidence, Inspection, LadderAction, Sanction
from portal.models.compliance import ACCEPTED
from portal.models.ladder import ESCALATED, IN_FORCE, NOTICE, SUSPENSION
from tests.factories import setting_for
from tests.portal.test_ladder_query_counts import _adder, _contract
from tests.portal.test_query_counts import MANY, assert_constant, statements_for


def test_the_providers_own_contract_page(world, clock, sign_in):
    contract, manager = _contract(world, clock)
    ladder_rows = _adder(world, clock, contract, manager)

    def add(start, stop):
        ladder_rows(start, stop)
        for index in range(start, stop):
            setting = setting_for(world.provider_a, clock, urn=f"SC7{index:05d}", name=f"House {index:02d}")
            db.session.add(Inspection(setting_id=setting.id, inspected_on=date(2026, 1, 1) + timedelta(days=index),
                                      inspection_type="Full", judgement=1 + index % 4, recorded_at=clock.now()))
            db.session.add(Evidence(provider_id=world.provider_a.organisation_id, kind="public_liability",
                                    expires_on=date(2027, 1, 1) + timedelta(days=index), filename="c.pdf",
                                    stored_name="x", file_type="pdf", uploaded_at=clock.now(),
                                    uploaded_by_id=world.provider_a.id, status=ACCEPTED))
        db.session.commit()

    assert_constant(sign_in(world.provider_a), url_for("supplier.contract", dps_id=world.dps.id), add,
                    shows=lambda index: f"House {index:02d}")


def test_a_sanctions_page_with_its_whole_case(world, clock, sign_in):
    """The case grows by steps escalated one from another, each with its actions; the page of the first step
    shows them all."""
    contract, manager = _contract(world, clock)
    first = Sanction(contract_id=contract.id, kind=NOTICE, grounds="Grounds", status=ESCALATED,
                     proposed_by_id=manager.id, proposed_at=clock.now(), in_force_at=clock.now(),
                     appeal_by=(clock.now() + timedelta(days=28)).date())
    db.session.add(first)
    db.session.commit()
    chain = [first]

    def add(start, stop):
        for index in range(start, stop):
            step = Sanction(contract_id=contract.id, kind=SUSPENSION, grounds=f"Step {index}", status=ESCALATED,
                            previous=chain[-1], proposed_by_id=manager.id, proposed_at=clock.now(),
                            in_force_at=clock.now(), review_on=(clock.now() + timedelta(days=60)).date(),
                            appeal_by=(clock.now() + timedelta(days=28)).date())
            first.actions.append(LadderAction(description=f"Notice action {index}",
                                              due_on=(clock.now() + timedelta(days=index)).date()))
            db.session.add(step)
            chain.append(step)
        chain[-1].status = IN_FORCE
        db.session.commit()

    assert_constant(sign_in(world.provider_a), url_for("supplier.contract_sanction", sanction_id=first.id), add,
                    shows=lambda index: f"Notice action {index}")


def test_the_providers_annual_review_page_and_its_pdf(world, clock, sign_in):
    from portal.models import ReviewAction
    from portal.services import annual_reviews
    from portal.timezone import uk_today
    from tests.annual.helpers import annual_world, rated

    setup = annual_world(world, clock)
    review = rated(world, clock, setup)
    annual_reviews.add_action(setup.manager, review, text="Recruit night staff", owner="Registered manager",
                              due_on=uk_today(clock.now()) + timedelta(days=30), now=clock.now())
    annual_reviews.issue(setup.manager, review, clock.now())

    def add(start, stop):
        for index in range(start, stop):
            db.session.add(ReviewAction(review_id=review.id, text=f"Action {index:03d}", owner="Manager",
                                        due_on=uk_today(clock.now()) + timedelta(days=10 + index)))
        db.session.commit()

    client = sign_in(world.provider_a)
    assert_constant(client, url_for("supplier.annual_review", review_id=review.id), add,
                    shows=lambda index: f"Action {index:03d}")
    pdf = url_for("supplier.annual_review_pdf", review_id=review.id)
    few = statements_for(client, pdf)
    add(100, 100 + MANY)
    assert len(statements_for(client, pdf)) == len(few)
