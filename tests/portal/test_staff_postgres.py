"""Two user administrators of an authority taking the role from each other at the same moment, on PostgreSQL: one
succeeds and the other is told the last one is kept, so the authority always keeps an active user administrator.
Skipped on SQLite, which has no row locks to test."""

import os
import threading

import pytest

from portal.errors import DomainError
from portal.extensions import db
from portal.models import User
from portal.models.user import COMMISSIONING_OFFICER, USER_ADMINISTRATOR
from portal.services import accounts
from tests.factories import authority_user

pytestmark = pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"),
                                reason="needs PostgreSQL (TEST_DATABASE_URL)")
ROUNDS = 5


def in_own_session(app, work):
    with app.test_request_context(base_url="http://portal.test"):
        try:
            return work()
        finally:
            db.session.remove()


def race(app, clock, first_id: int, second_id: int) -> list[str]:
    """The first takes the role from the second while the second deactivates the first, at the same moment: what
    each was told ("done" or the refusal), "done" first."""
    barrier = threading.Barrier(2)
    results = {}

    def take(admin_id, user_id, make_change):
        def work():
            admin, user = db.session.get(User, admin_id), db.session.get(User, user_id)
            barrier.wait()
            try:
                make_change(admin, user)
                return "done"
            except DomainError as error:
                return error.message
        results[admin_id] = in_own_session(app, work)

    jobs = [(first_id, second_id,
             lambda admin, user: accounts.change_roles(admin, user, {COMMISSIONING_OFFICER}, clock.now())),
            (second_id, first_id, lambda admin, user: accounts.set_active(admin, user, False, clock.now()))]
    threads = [threading.Thread(target=take, args=job) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return sorted(results.values(), key=lambda outcome: outcome != "done")


def test_two_user_administrators_cannot_take_the_role_from_each_other_at_once(app, world, clock):
    for number in range(ROUNDS):
        first = authority_user(world.member, "Ann", f"ann{number}@member.example.org", [USER_ADMINISTRATOR], clock)
        second = authority_user(world.member, "Ben", f"ben{number}@member.example.org", [USER_ADMINISTRATOR], clock)
        db.session.commit()  # this thread holds no transaction while the two race
        outcomes = race(app, clock, first.id, second.id)
        db.session.expire_all()
        assert outcomes[0] == "done", outcomes
        assert "is the last active user administrator of Member Council" in outcomes[1], outcomes
        assert [user.id for user in accounts.active_user_administrators(world.member)] in ([first.id], [second.id])
        # The next round's pair are the only user administrators again.
        for user in (first, second):
            user.active = False
        db.session.commit()
