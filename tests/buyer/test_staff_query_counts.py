"""The staff lists keep the same number of queries as people are added (see tests/portal/test_query_counts.py)."""

from portal.extensions import db
from portal.models import User, UserRole
from portal.models.user import BUDGET_HOLDER, COMMISSIONING_OFFICER, PROVIDER_USER, USER_ADMINISTRATOR
from tests.factories import authority_user
from tests.portal.test_query_counts import assert_constant


def add_people(world, clock, organisation, roles):
    def add(start, stop):
        for index in range(start, stop):
            user = User(organisation=organisation, name=f"Person {index:02d}", email=f"person{index}@example.org",
                        password_hash=world.admin.password_hash, password_changed_at=clock.now(),
                        created_at=clock.now(), last_sign_in_at=clock.now(), active=bool(index % 3),
                        approval_limit=1000 * (index + 1) if index % 2 else None)
            user.role_rows = [UserRole(role=role) for role in roles]
            db.session.add(user)
        db.session.commit()

    return add


def test_an_authoritys_staff_list(world, clock, sign_in):
    user_admin = authority_user(world.member, "Uma Admin", "ua@member.example.org", [USER_ADMINISTRATOR], clock)
    assert_constant(sign_in(user_admin), "/authority/staff",
                    add_people(world, clock, world.member, [COMMISSIONING_OFFICER, BUDGET_HOLDER]),
                    shows=lambda i: f"Person {i:02d}")


def test_a_providers_team(world, clock, sign_in):
    assert_constant(sign_in(world.provider_a), "/provider/team",
                    add_people(world, clock, world.provider_a.organisation, [PROVIDER_USER]),
                    shows=lambda i: f"Person {i:02d}")


def test_the_people_of_a_provider_on_the_administrators_page(world, clock, sign_in):
    provider = world.provider_a.organisation
    assert_constant(sign_in(world.admin), f"/admin/providers/{provider.id}",
                    add_people(world, clock, provider, [PROVIDER_USER]), shows=lambda i: f"Person {i:02d}")
