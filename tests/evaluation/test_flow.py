from datetime import timedelta

from portal.extensions import db
from portal.models import LotMembership, TierAward
from portal.services import outcomes
from tests.factories import complete_application, evaluate, second_evaluator


def test_two_providers_are_evaluated_published_and_tiered(world, clock):
    a = complete_application(world.provider_a, world.window, clock, submit=True)
    b = complete_application(world.provider_b, world.window, clock, submit=True)
    clock.set(world.window.closes_at + timedelta(days=1))
    other = second_evaluator(world, clock)
    evaluate(a, [world.admin, other], clock, scores={1: 5, 2: 5})
    evaluate(b, [world.admin, other], clock, scores={1: 3, 2: 3})
    outcomes.publish(world.admin, world.window, clock.now())

    memberships = db.session.scalars(db.select(LotMembership)).all()
    assert len(memberships) == 4
    table = outcomes.tier_table(world.lots[0].categories[0])
    assert [award.provider.name for award in table] == ["Alpha Care", "Beta Homes"]
    assert [award.tier for award in table] == [1, 2]
    assert db.session.scalar(db.select(db.func.count(TierAward.id))) == 4
