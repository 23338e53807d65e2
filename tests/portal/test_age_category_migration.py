"""The age-category migration on data: a database with lots, prices, memberships' tiers, tier awards, a published
outcome and a referral in the layout before categories is upgraded, and every lot becomes one category spanning
its ages with its tiers, with everything tier-related moved onto it.

The data is made through the services on a database of its own (SQLite, or PostgreSQL when TEST_DATABASE_URL
names one), taken back to the revision before the migration (its downgrade), checked in the old layout, then
upgraded again."""

import os
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade

from portal.extensions import db
from tests.conftest import _worker, make_app
from tests.factories import admit, build_world, complete_application, evaluate, published_referral

REVISION = "0011"


@pytest.fixture
def fresh_database(tmp_path):
    base = os.environ.get("TEST_DATABASE_URL", "")
    if not base.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'migration.db'}"
        return
    url = sa.engine.make_url(base)
    name = f"{url.database}_{_worker()}_migration"
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _rows(sql: str) -> list[tuple]:
    with db.engine.connect() as connection:
        return [tuple(row) for row in connection.execute(sa.text(sql))]


def test_every_lot_becomes_one_category_with_its_tiers_prices_and_awards(fresh_database, clock, tmp_path):
    app = make_app(fresh_database, clock, tmp_path / "uploads")
    with app.app_context(), app.test_request_context(base_url="http://portal.test"):
        upgrade()
        world = build_world(clock)
        lot, no_tiers = world.lots[0], world.lots[2]
        no_tiers.categories[0].tiers = 0
        db.session.commit()
        application = complete_application(world.provider_a, world.window, clock, lots=[lot, no_tiers], submit=True)
        clock.set(world.window.closes_at + timedelta(days=1))
        evaluate(application, [world.admin, world.evaluator], clock)
        from portal.services import outcomes

        outcomes.publish(world.admin, world.window, clock.now())
        admit(world.provider_b, world.lots[1], tier=2, clock=clock)
        referral = published_referral(world, clock, lot=world.lots[1], deadline=clock.now() + timedelta(days=3))
        ids = {"lot": lot.id, "no_tiers": no_tiers.id, "referral": referral.id, "application": application.id}
        db.session.remove()

        script = ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config())
        before = script.get_revision(REVISION).down_revision
        downgrade(revision=before)
        # The layout before categories: one set of tiers per lot, one price per lot applied for, a tier on each
        # membership, one published line per outcome.
        assert _rows("SELECT id, age_from, age_to, tiers FROM lot ORDER BY id") == [
            (ids["lot"], 16, 18, 3), (ids["lot"] + 1, 16, 18, 3), (ids["no_tiers"], 16, 18, 0)]
        assert sorted(_rows("SELECT lot_id, weekly_price FROM application_lot")) == [
            (ids["lot"], Decimal("1250.00")), (ids["no_tiers"], Decimal("1250.00"))]
        assert sorted(_rows("SELECT lot_id, tier FROM lot_membership")) == [
            (ids["lot"], 1), (ids["lot"] + 1, 2), (ids["no_tiers"], None)]
        assert len(_rows("SELECT id FROM lot_outcome WHERE published_award_id IS NOT NULL")) == 2

        upgrade()
        categories = _rows("SELECT lot_id, age_from, age_to, tiers, id FROM age_category ORDER BY lot_id")
        assert [row[:4] for row in categories] == [
            (ids["lot"], 16, 18, 3), (ids["lot"] + 1, 16, 18, 3), (ids["no_tiers"], 16, 18, 0)]
        category_of = {row[0]: row[4] for row in categories}
        assert sorted(_rows("SELECT al.lot_id, p.category_id, p.weekly_price FROM category_price p "
                            "JOIN application_lot al ON al.id = p.application_lot_id")) == [
            (ids["lot"], category_of[ids["lot"]], Decimal("1250.00")),
            (ids["no_tiers"], category_of[ids["no_tiers"]], Decimal("1250.00"))]
        assert sorted(_rows("SELECT m.lot_id, cm.category_id, cm.tier FROM category_membership cm "
                            "JOIN lot_membership m ON m.id = cm.membership_id")) == [
            (ids["lot"], category_of[ids["lot"]], 1), (ids["lot"] + 1, category_of[ids["lot"] + 1], 2),
            (ids["no_tiers"], category_of[ids["no_tiers"]], None)]
        assert sorted(_rows("SELECT lot_id, category_id, tier, rank FROM tier_award")) == [
            (ids["lot"], category_of[ids["lot"]], 1, 1), (ids["no_tiers"], category_of[ids["no_tiers"]], None, 1)]
        # The published-letter snapshot now points from each line to its outcome.
        assert sorted(_rows("SELECT o.lot_id, t.category_id FROM tier_award t "
                            "JOIN lot_outcome o ON o.id = t.published_outcome_id")) == [
            (ids["lot"], category_of[ids["lot"]]), (ids["no_tiers"], category_of[ids["no_tiers"]])]
        assert _rows("SELECT category_id FROM referral") == [(category_of[ids["lot"] + 1],)]

        # And the portal reads it as before: the letter's lines, the referral's category.
        from portal.models import Application, Referral

        kept = db.session.get(Application, ids["application"])
        assert {lot_id: [line.tier for line in lines.values()]
                for lot_id, lines in outcomes.published_tier_lines(kept).items()} == {
            ids["lot"]: [1], ids["no_tiers"]: [None]}
        assert db.session.get(Referral, ids["referral"]).category.age_band == "16 to 18"
        db.session.remove()
        db.engine.dispose()


def test_the_migrated_schema_agrees_with_the_models(fresh_database, clock, tmp_path):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    app = make_app(fresh_database, clock, tmp_path / "uploads")
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, db.metadata)
        db.engine.dispose()
    # Every table, column, index and key, on SQLite and on PostgreSQL (where 0013 added referral.awarded_bid_id's
    # foreign key that 0003 had left out).
    assert differences == []
