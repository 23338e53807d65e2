"""The areas of the UK as data: the file's shape, and the rule of one area lying within another."""

import csv
from collections import Counter

import pytest

from portal import areas

STOCKPORT, TAMESIDE, OLDHAM, SEFTON = "E08000007", "E08000008", "E08000004", "E08000014"
LANCASHIRE, CHORLEY, KENT, DOVER = "E10000017", "E07000118", "E10000016", "E07000108"
WALES, SCOTLAND, NORTHERN_IRELAND = "W92000004", "S92000003", "N92000002"


def rows():
    with areas.DATA_FILE.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_the_file_lists_every_kind_of_area_in_the_counts_of_the_current_geography():
    counts = Counter(row["kind"] for row in rows())
    assert counts == {"county": 21, "unitary": 63, "metropolitan_borough": 36, "london_borough": 33,
                      "district": 164, "nation": 3}


def test_codes_are_unique_and_well_formed_and_each_kind_has_its_prefix():
    prefixes = {"county": "E10", "unitary": "E06", "metropolitan_borough": "E08", "london_borough": "E09",
                "district": "E07"}
    codes = [row["code"] for row in rows()]
    assert len(codes) == len(set(codes))
    for row in rows():
        assert areas.CODE_PATTERN.match(row["code"]), row
        if row["kind"] in prefixes:
            assert row["code"].startswith(prefixes[row["kind"]]), row
    assert len({row["name"] for row in rows()}) == len(codes)


def test_every_district_has_a_county_that_exists_and_no_other_area_has_one():
    for row in rows():
        if row["kind"] == "district":
            assert areas.get(row["upper_tier_code"]).kind == areas.COUNTY, row
        else:
            assert row["upper_tier_code"] == "", row


@pytest.mark.parametrize(("code", "name", "kind"), [
    (STOCKPORT, "Stockport", "metropolitan_borough"),
    (SEFTON, "Sefton", "metropolitan_borough"),
    (TAMESIDE, "Tameside", "metropolitan_borough"),
    ("E06000063", "Cumberland", "unitary"),
    ("E06000064", "Westmorland and Furness", "unitary"),
    ("E06000065", "North Yorkshire", "unitary"),
    ("E06000066", "Somerset", "unitary"),
    ("E09000001", "City of London", "london_borough"),
    ("E07000244", "East Suffolk", "district"),
    ("E08000038", "Barnsley", "metropolitan_borough"),  # new codes after their boundary change of April 2025
    ("E08000039", "Sheffield", "metropolitan_borough"),
    ("E08000037", "Gateshead", "metropolitan_borough"),
    ("E06000057", "Northumberland", "unitary"),
    ("E06000058", "Bournemouth, Christchurch and Poole", "unitary"),
    ("E07000112", "Folkestone and Hythe", "district"),
    ("E07000240", "St Albans", "district"),
    (WALES, "Wales", "nation"),
])
def test_spot_checks_against_the_ons_register(code, name, kind):
    area = areas.get(code)
    assert (area.name, area.kind) == (name, kind)


def test_the_areas_abolished_in_2023_are_gone():
    for gone in ("E10000006", "E10000023", "E10000027", "E07000026", "E07000163", "E07000187"):
        assert areas.get(gone) is None


def test_codes_replaced_are_gone():
    # Barnsley and Sheffield since April 2025; Gateshead and Northumberland since 2013; Bournemouth and Poole, 2019.
    for gone in ("E08000016", "E08000019", "E08000020", "E06000048", "E06000028", "E06000029"):
        assert areas.get(gone) is None
    assert areas.match_name("Sheffield City Council").code == "E08000039"


def test_upper_tier_authorities_are_the_childrens_services_authorities():
    upper = areas.upper_tier()
    assert len(upper) == 21 + 63 + 36 + 33  # Wales, Scotland and Northern Ireland are not among them
    assert all(area.kind != areas.DISTRICT for area in upper)
    assert [area.name for area in upper] == sorted(area.name for area in upper)
    assert areas.upper_tier_choices()[0] == ("", "Choose an authority")


def test_a_district_lies_within_its_county_and_not_another():
    assert areas.within(CHORLEY, LANCASHIRE)
    assert not areas.within(CHORLEY, KENT)
    assert not areas.within(LANCASHIRE, CHORLEY)
    assert areas.within(DOVER, KENT)


def test_an_area_lies_within_itself_and_a_metropolitan_borough_not_within_another():
    assert areas.within(STOCKPORT, STOCKPORT)
    assert not areas.within(STOCKPORT, TAMESIDE)
    assert areas.within_any(STOCKPORT, [TAMESIDE, STOCKPORT, OLDHAM])
    assert not areas.within_any(SEFTON, [TAMESIDE, STOCKPORT, OLDHAM])


def test_wales_scotland_and_northern_ireland_are_one_area_each():
    assert areas.within(WALES, WALES)
    assert not areas.within(WALES, SCOTLAND)
    assert not areas.within(NORTHERN_IRELAND, WALES)


def test_unknown_or_missing_areas_lie_within_nothing():
    assert not areas.within(None, TAMESIDE)
    assert not areas.within("Tameside", TAMESIDE)
    assert not areas.within(TAMESIDE, "")


def test_a_district_is_labelled_with_its_county():
    assert areas.get(CHORLEY).label == "Chorley (Lancashire)"
    assert areas.get(TAMESIDE).label == "Tameside"


@pytest.mark.parametrize(("typed", "codes", "rest"), [
    ("Tameside, Stockport or Oldham", [TAMESIDE, STOCKPORT, OLDHAM], ""),
    ("Tameside and Oldham", [TAMESIDE, OLDHAM], ""),
    ("Sefton or north Liverpool", [SEFTON], "north Liverpool"),
    ("Barking and Dagenham", ["E09000002"], ""),
    ("Sefton MBC", [SEFTON], ""),
    ("Sefton Metropolitan Borough Council", [SEFTON], ""),
    ("London Borough of Hackney", ["E09000012"], ""),
    ("Kent County Council", [KENT], ""),
    ("City of London", ["E09000001"], ""),
    ("St. Helens", ["E08000013"], ""),
    ("Hull", ["E06000010"], ""),
    ("Sefton, Sefton", [SEFTON], ""),
    ("Near the school", [], "Near the school"),
    ("Bournemouth, Christchurch and Poole", ["E06000058"], ""),
    ("City of Bradford MDC", ["E08000032"], ""),
    ("Southend", ["E06000033"], ""),
    ("", [], ""),
])
def test_typed_place_names_are_matched_to_areas(typed, codes, rest):
    assert areas.match_list(typed) == (codes, rest)


def test_a_name_that_means_no_one_area_is_not_matched():
    assert areas.match_name("London") is None
    assert areas.match_name("Council") is None


def test_the_areas_a_home_can_be_in_are_the_lowest_tier_never_a_county():
    lowest = areas.lowest_tier()
    kinds = {area.kind for area in lowest}
    assert areas.COUNTY not in kinds and {areas.DISTRICT, areas.NATION, areas.UNITARY} <= kinds
    codes = {area.code for area in lowest}
    assert CHORLEY in codes and WALES in codes and LANCASHIRE not in codes
    assert areas.lowest_tier_choices()[0] == ("", "Choose an area")


@pytest.mark.parametrize(("code", "council"), [
    (SEFTON, "Sefton Council"),
    (KENT, "Kent County Council"),
    ("E09000001", "City of London Corporation"),
    ("E06000047", "Durham County Council"),
    ("E06000053", "Council of the Isles of Scilly"),
    ("E08000003", "Manchester City Council"),
    ("E08000039", "Sheffield City Council"),
    ("E06000014", "City of York Council"),
    ("E09000033", "Westminster City Council"),
    ("E09000020", "Royal Borough of Kensington and Chelsea"),
    ("E08000017", "City of Doncaster Council"),
    ("E06000057", "Northumberland County Council"),
])
def test_a_council_is_first_named_for_its_area(code, council):
    assert areas.council_name(areas.get(code)) == council


def test_a_stored_area_and_a_flag_are_said_in_one_way_wherever_they_are_shown():
    assert areas.stored_label("Stockport", "E08000007") == "Stockport"
    assert areas.stored_label("north of the county", None) == "north of the county (area to be confirmed)"
    assert areas.stored_label("", None) == "To be confirmed"
    assert [areas.flag_label(value) for value in (True, False, None)] == [
        "Yes", "No", "Not known: an area is to be confirmed"]
