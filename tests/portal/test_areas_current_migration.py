"""Migration 0031: the codes stored for Barnsley and Sheffield move to those they took in April 2025, and the
placements made before areas were data say "in the preferred location" and "in the authority's own area" by the
areas rule, not by typed names spelt alike."""

import importlib.util
from pathlib import Path

import pytest

from portal import areas
from portal.extensions import db
from tests.factories import OLDHAM, SEFTON, STOCKPORT, TAMESIDE, draft_referral, placed

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
    placement = placed(world, clock, home_area=STOCKPORT, preferred_areas=[TAMESIDE, STOCKPORT, OLDHAM])
    placement.location_was_preferred = placement.in_home_area = False
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
