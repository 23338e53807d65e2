"""Migration 0010 matches what was typed before areas were data: authorities by name where that names one area
no other authority also claims, providers, bids and placements by their typed area, and a referral's preferred
location split into areas with the rest kept as its note."""

import importlib.util
from pathlib import Path

import pytest

from portal.extensions import db
from portal.models import Organisation, Referral
from portal.models.organisation import AUTHORITY, PROVIDER
from tests.factories import OLDHAM, SEFTON, STOCKPORT, TAMESIDE, draft_referral

MIGRATION = Path(__file__).parents[2] / "migrations" / "versions" / "0010_areas.py"


@pytest.fixture
def migration():
    spec = importlib.util.spec_from_file_location("migration_0010", MIGRATION)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def organisation(name, kind=AUTHORITY, area="", now=None) -> Organisation:
    org = Organisation(name=name, kind=kind, local_authority_area=area, created_at=now)
    db.session.add(org)
    return org


def test_authorities_are_matched_by_name_only_where_one_area_is_meant_once(app, clock, migration):
    now = clock.now()
    twins = [organisation("Sefton MBC", now=now), organisation("Sefton Council", now=now)]
    oldham = organisation("Oldham Metropolitan Borough Council", now=now)
    kent = organisation("Kent County Council", now=now)
    hackney = organisation("London Borough of Hackney", now=now)
    by_area = organisation("Children's Services", area="Stockport", now=now)
    unknown = organisation("Northern Consortium", area="The North", now=now)
    wigan_provider = organisation("Wigan Homes Ltd", kind=PROVIDER, area="wigan", now=now)
    db.session.commit()
    migration._match_organisations(db.session.connection())
    db.session.commit()
    db.session.expire_all()
    assert [org.area_code for org in twins] == [None, None]  # two councils for Sefton: the administrator decides
    assert (oldham.area_code, kent.area_code, hackney.area_code, by_area.area_code) == (
        OLDHAM, "E10000016", "E09000012", STOCKPORT)
    assert unknown.area_code is None
    assert (wigan_provider.area_code, wigan_provider.local_authority_area) == ("E08000010", "Wigan")


def test_typed_preferred_locations_become_areas_and_the_rest_a_note(world, clock, migration):
    matched, partly, unmatched = (draft_referral(world, clock) for _ in range(3))
    for referral, typed in ((matched, "Tameside, Stockport or Oldham"), (partly, "Sefton or north Liverpool"),
                            (unmatched, "Near the school")):
        referral.preferred_location, referral.preferred_areas = typed, ""
    db.session.commit()
    migration._match_preferred_locations(db.session.connection())
    db.session.commit()
    db.session.expire_all()
    assert (matched.preferred_area_codes, matched.preferred_location) == ([TAMESIDE, STOCKPORT, OLDHAM], "")
    assert (partly.preferred_area_codes, partly.preferred_location) == ([SEFTON], "north Liverpool")
    assert (unmatched.preferred_area_codes, unmatched.preferred_location_label) == (
        [], "To be confirmed: Near the school")
    assert db.session.scalar(db.select(db.func.count(Referral.id))) == 3


def test_a_referral_still_to_be_confirmed_cannot_be_published(world, clock, migration):
    from portal.services import referrals

    referral = draft_referral(world, clock)
    referral.preferred_areas, referral.preferred_location = "", "Near the school"
    db.session.commit()
    assert referrals.still_to_do(referral) == {"preferred_areas": "Choose the preferred area"}
