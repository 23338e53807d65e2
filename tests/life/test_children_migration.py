"""Migration 0015 moves each referral's private part onto child records: one child per authority and case
number, a child of its own for each draft without a case number. Taken down to 0014 (referral_child) and up
again, as an existing database would be upgraded."""

from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from portal.extensions import db
from portal.models import Child, Referral
from portal.services import referrals
from tests.factories import child_details, draft_referral, referral_fields


def test_referral_children_become_one_child_per_authority_and_case_number(app, world, clock):
    first = draft_referral(world, clock).id
    second = draft_referral(world, clock).id
    blank = [draft_referral(world, clock, child={"case_number": ""}).id for _ in range(2)]
    theirs = referrals.create(world.lead_officer, lot=world.lots[0], fields=referral_fields(), child=child_details(),
                              now=clock.now()).id
    member_id, lead_id = world.member.id, world.lead.id
    db.session.commit()
    db.session.remove()
    try:
        downgrade(revision="0014")
        with db.engine.begin() as connection:
            rows = connection.execute(text("SELECT referral_id, case_number FROM referral_child ORDER BY referral_id"))
            assert [tuple(row) for row in rows] == [(first, "CN-48213-Q"), (second, "CN-48213-Q"), (blank[0], ""),
                                                    (blank[1], ""), (theirs, "CN-48213-Q")]
            # the second referral's copy was typed later with the known-as name: its identity is kept
            connection.execute(text("UPDATE referral_child SET known_as = 'Kes', updated_at = updated_at + "
                                    "INTERVAL '1 day' WHERE referral_id = :id" if db.engine.dialect.name ==
                                    "postgresql" else "UPDATE referral_child SET known_as = 'Kes', updated_at = "
                                    "datetime(updated_at, '+1 day') WHERE referral_id = :id"), {"id": second})
    finally:
        upgrade()
    db.session.remove()
    by_id = {referral.id: referral for referral in db.session.scalars(db.select(Referral))}
    assert by_id[first].child_id == by_id[second].child_id
    assert by_id[first].child.known_as == "Kes" and by_id[first].child.authority_id == member_id
    assert by_id[blank[0]].child_id != by_id[blank[1]].child_id and by_id[blank[0]].child.case_number is None
    assert by_id[theirs].child_id != by_id[first].child_id and by_id[theirs].child.authority_id == lead_id
    assert db.session.scalar(db.select(db.func.count(Child.id))) == 4
