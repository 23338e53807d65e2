"""Migration 0031: the codes stored for Barnsley and Sheffield move to those they took in April 2025, and the
placements made before areas were data say "in the preferred location" and "in the authority's own area" by the
areas rule, not by typed names spelt alike."""

import ast
import importlib.util
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from portal import areas
from portal.extensions import db
from tests.conftest import make_app
from tests.factories import (
    CHORLEY,
    LANCASHIRE,
    OLDHAM,
    SEFTON,
    STOCKPORT,
    TAMESIDE,
    build_world,
    draft_referral,
    placed,
)
from tests.portal.test_age_category_migration import fresh_database  # noqa: F401 (a fixture)

MIGRATION = Path(__file__).parents[2] / "migrations" / "versions" / "0031_areas_current.py"
BARNSLEY, SHEFFIELD = "E08000038", "E08000039"


@pytest.fixture
def migration():
    spec = importlib.util.spec_from_file_location("migration_0031", MIGRATION)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run(step):
    step(db.session.connection())
    db.session.commit()
    db.session.expire_all()


def test_barnsley_and_sheffield_stored_under_their_former_codes_take_the_new_ones(world, clock, migration):
    referral = draft_referral(world, clock)
    referral.preferred_areas = f"{TAMESIDE},E08000019,E08000016"
    world.outsider.area_code = "E08000019"
    db.session.commit()
    run(lambda bind: migration._recode(bind, migration.RECODED))
    assert referral.preferred_area_codes == [TAMESIDE, SHEFFIELD, BARNSLEY]
    assert referral.preferred_area_names == ["Tameside", "Sheffield", "Barnsley"]
    assert world.outsider.area_code == SHEFFIELD and areas.get(world.outsider.area_code).name == "Sheffield"
    assert world.member.area_code == SEFTON  # every other area is left alone


def test_a_placement_typed_before_areas_were_data_is_in_the_preferred_location_by_the_rule(world, clock, migration):
    # "Tameside, Stockport or Oldham" and a home typed "Stockport": the typed names differed, so it was recorded as
    # not in the preferred location, and the member's own area as not its own.
    # Each flag starts at the wrong value, so that both are seen to be worked out again.
    placement = placed(world, clock, home_area=STOCKPORT, preferred_areas=[TAMESIDE, STOCKPORT, OLDHAM])
    placement.location_was_preferred, placement.in_home_area = False, True
    other = placed(world, clock, home_area=SEFTON, admitted=False)
    other.location_was_preferred, other.in_home_area = True, False
    unknown = placed(world, clock, home_area=SEFTON, admitted=False)
    unknown.location_area_code, unknown.location_area = None, "north of the county"
    unknown.location_was_preferred, unknown.in_home_area = True, True
    db.session.commit()
    run(migration._place_flags_again)
    assert (placement.location_was_preferred, placement.in_home_area) == (True, False)
    assert (other.location_was_preferred, other.in_home_area) == (False, True)  # Sefton: the member's own area
    assert (unknown.location_was_preferred, unknown.in_home_area) == (True, True)  # no area: what was recorded stays


def test_the_migration_reads_nothing_of_the_portal_so_a_later_change_to_the_areas_leaves_it_as_it_is():
    tree = ast.parse(MIGRATION.read_text(encoding="utf-8"))
    imported = [alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names]
    imported += [node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]
    assert not [name for name in imported if name.split(".")[0] == "portal"]


def test_its_own_rule_is_the_areas_rule_of_today(migration):
    codes = [area.code for area in areas.all_areas()]
    assert len(migration.DISTRICT_COUNTY) == len([area for area in areas.all_areas() if area.kind == areas.DISTRICT])
    assert [(area, preferred) for area in codes for preferred in codes
            if migration.within(area, preferred) != areas.within(area, preferred)] == []
    assert migration.within(CHORLEY, LANCASHIRE) and not migration.within(LANCASHIRE, CHORLEY)
    assert not migration.within(CHORLEY, None)


def _rows(sql: str) -> list[tuple]:
    with db.engine.connect() as connection:
        return [tuple(row) for row in connection.execute(sa.text(sql))]


def test_upgrade_downgrade_upgrade_on_data(fresh_database, clock, tmp_path):  # noqa: F811
    app = make_app(fresh_database, clock, tmp_path / "uploads")
    with app.app_context(), app.test_request_context(base_url="http://portal.test"):
        upgrade()
        world = build_world(clock)
        placement = placed(world, clock, home_area=STOCKPORT, preferred_areas=[TAMESIDE, STOCKPORT, SHEFFIELD])
        placement.location_was_preferred, placement.in_home_area = False, True  # as typed names had it
        world.outsider.area_code = SHEFFIELD
        db.session.commit()
        ids = {"placement": placement.id, "referral": placement.referral_id, "outsider": world.outsider.id}
        db.session.remove()

        downgrade(revision="0030")
        # Sheffield under the code it had before April 2025; the flags as they were.
        assert _rows(f"SELECT preferred_areas FROM referral WHERE id = {ids['referral']}") == [
            (f"{TAMESIDE},{STOCKPORT},E08000019",)]
        assert _rows(f"SELECT area_code FROM organisation WHERE id = {ids['outsider']}") == [("E08000019",)]
        assert _rows(f"SELECT location_was_preferred, in_home_area FROM placement WHERE id = {ids['placement']}") \
            == [(False, True)]

        upgrade()
        assert _rows(f"SELECT preferred_areas FROM referral WHERE id = {ids['referral']}") == [
            (f"{TAMESIDE},{STOCKPORT},{SHEFFIELD}",)]
        assert _rows(f"SELECT area_code FROM organisation WHERE id = {ids['outsider']}") == [(SHEFFIELD,)]
        # Stockport is a preferred area, and not Sefton (the member's own area).
        assert _rows(f"SELECT location_was_preferred, in_home_area FROM placement WHERE id = {ids['placement']}") \
            == [(True, False)]
        db.session.remove()
        db.engine.dispose()
