"""A referral's preferred location as areas through the pages: chosen by the officer, read by the provider (with
the note, which the anonymity guard still checks), and matched against the home's area at the award."""

import html

import pytest
from flask import url_for

from portal.extensions import db
from portal.models import Referral
from portal.services import referrals
from tests.buyer.test_awards_service import SCORES_90, assess, award_args, bid_of, past_deadline
from tests.buyer.test_referral_routes import form_data
from tests.factories import (
    CHILD_SURNAME,
    CHORLEY,
    LANCASHIRE,
    OLDHAM,
    SEFTON,
    STOCKPORT,
    TAMESIDE,
    admit,
    approve_funding,
    award_approved,
)
from tests.supplier.test_bid_routes import bid_form


def text_of(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def officer_refers(world, clock, sign_in, **overrides) -> Referral:
    officer = sign_in(world.member_officer)
    values = {"preferred_areas": TAMESIDE, "preferred_areas_2": STOCKPORT, "preferred_areas_3": OLDHAM,
              "preferred_location": "Within a bus ride of Ashton", **overrides}
    data = form_data(world.lots[0], **values)
    response = officer.post("/authority/referrals/new", data=data)
    assert response.status_code == 302, text_of(response)
    referral = db.session.scalars(db.select(Referral)).one()
    approve_funding(world, referral, clock)
    return referral


def test_the_officer_chooses_preferred_areas_and_the_provider_reads_them_with_the_note(world, clock, sign_in):
    admit(world.provider_a, world.lots[0], clock=clock)
    referral = officer_refers(world, clock, sign_in)
    assert referral.preferred_area_codes == [TAMESIDE, STOCKPORT, OLDHAM]
    referrals.publish(world.member_officer, referral, clock.now())
    page = text_of(sign_in(world.provider_a).get(f"/provider/referrals/{referral.id}"))
    assert "Tameside, Stockport or Oldham: Within a bus ride of Ashton" in page


def test_the_note_is_checked_by_the_anonymity_guard(world, clock, sign_in):
    referral = officer_refers(world, clock, sign_in, preferred_location=f"Near the {CHILD_SURNAME} family")
    assert "preferred_location" in referrals.check(referral)
    page = text_of(sign_in(world.member_officer).get(f"/authority/referrals/{referral.id}"))
    assert "could identify the child" in page


def test_an_area_not_on_the_list_is_refused_and_nothing_stored(world, clock, sign_in):
    response = sign_in(world.member_officer).post("/authority/referrals/new",
                                                  data=form_data(world.lots[0], preferred_areas="Tameside"))
    assert response.status_code == 400
    assert "Choose the preferred areas from the list" in text_of(response)
    assert db.session.scalar(db.select(db.func.count(Referral.id))) == 0


def test_a_stockport_home_is_in_a_tameside_stockport_or_oldham_preference(world, clock, sign_in):
    admit(world.provider_a, world.lots[0], clock=clock)
    referral = officer_refers(world, clock, sign_in)
    referrals.publish(world.member_officer, referral, clock.now())
    provider = sign_in(world.provider_a)
    assert provider.post(f"/provider/referrals/{referral.id}/bid",
                         data=bid_form(home_area=STOCKPORT, how_needs_met="With care")).status_code == 302
    assert bid_of(referral, world.provider_a).home_area == "Stockport"
    past_deadline(clock, referral)
    assess(world, referral, world.provider_a, SCORES_90, clock)
    placement = award_approved(world, clock, referral, bid_of(referral, world.provider_a),
                               **award_args(clock))
    page = text_of(sign_in(world.member_officer).get(url_for("buyer.placement", placement_id=placement.id)))
    assert "Stockport" in page
    assert (placement.location_area_code, placement.location_was_preferred, placement.in_home_area) == (
        STOCKPORT, True, False)


def test_a_home_in_the_referring_authoritys_own_area_is_in_its_home_area(world, clock, sign_in):
    admit(world.provider_a, world.lots[0], clock=clock)
    referral = officer_refers(world, clock, sign_in)
    referrals.publish(world.member_officer, referral, clock.now())
    sign_in(world.provider_a).post(f"/provider/referrals/{referral.id}/bid",
                                   data=bid_form(home_area=SEFTON, how_needs_met="With care"))
    past_deadline(clock, referral)
    assess(world, referral, world.provider_a, SCORES_90, clock)
    placement = award_approved(world, clock, referral, bid_of(referral, world.provider_a),
                               **award_args(clock))
    assert (placement.in_home_area, placement.location_was_preferred) == (True, False)


def side_by_side_rows(page: str, heading: str) -> list[str]:
    """The cells of one row of the bids side by side, by its heading."""
    import re

    row = re.search(rf'<th scope="row" class="govuk-table__header">{heading}</th>(.*?)</tr>', page, re.S).group(1)
    return [cell.strip() for cell in re.findall(r'<td class="govuk-table__cell">(.*?)</td>', row, re.S)]


def summary_value(page: str, key: str) -> str:
    """The value of one row of a summary list, by its key."""
    import re

    found = re.search(rf'<dt class="govuk-summary-list__key">\s*{re.escape(key)}\s*</dt>\s*'
                      r'<dd class="govuk-summary-list__value">\s*(.*?)\s*</dd>', page, re.S)
    return found.group(1)


def test_the_bids_side_by_side_say_which_homes_are_in_the_preferred_location_and_the_authoritys_area(
        world, clock, sign_in):
    # Preferred: Tameside, Stockport or Lancashire. A Chorley home lies in Lancashire; a Sefton home is in the
    # member's own area, not preferred.
    for provider in (world.provider_a, world.provider_b):
        admit(provider, world.lots[0], clock=clock)
    referral = officer_refers(world, clock, sign_in, preferred_areas_3=LANCASHIRE)
    referrals.publish(world.member_officer, referral, clock.now())
    for provider, area in ((world.provider_a, CHORLEY), (world.provider_b, SEFTON)):
        assert sign_in(provider).post(f"/provider/referrals/{referral.id}/bid",
                                      data=bid_form(home_area=area, how_needs_met="With care")).status_code == 302
    past_deadline(clock, referral)
    officer = sign_in(world.member_officer)
    page = text_of(officer.get(f"/authority/referrals/{referral.id}/bids"))
    names = side_by_side_rows(page, "Home area")
    assert sorted(names) == ["Chorley", "Sefton"]
    chorley, sefton = names.index("Chorley"), names.index("Sefton")
    preferred = side_by_side_rows(page, "In the preferred location")
    own_area = side_by_side_rows(page, "In the authority's own area")
    assert (preferred[chorley], preferred[sefton]) == ("Yes", "No")
    assert (own_area[chorley], own_area[sefton]) == ("No", "Yes")
    spreadsheet = officer.get(f"/authority/referrals/{referral.id}/bids.csv").get_data(as_text=True).splitlines()
    assert "In the preferred location,In the authority's own area" in spreadsheet[0]
    assert any("Chorley,Yes,No" in line for line in spreadsheet[1:])
    assert any("Sefton,No,Yes" in line for line in spreadsheet[1:])
    # The placement made from the Chorley bid says the same.
    assess(world, referral, world.provider_a, SCORES_90, clock)
    assess(world, referral, world.provider_b, SCORES_90, clock)
    award_page = text_of(officer.get(f"/authority/referrals/{referral.id}/award"))
    assert "a week; home in Chorley, in the preferred location" in award_page
    assert "a week; home in Sefton, not in the preferred location" in award_page
    placement = award_approved(world, clock, referral, bid_of(referral, world.provider_a), **award_args(clock))
    assert (placement.location_was_preferred, placement.in_home_area) == (True, False)


def test_a_bid_whose_typed_area_matched_none_shows_it_to_be_confirmed(world, clock, sign_in):
    admit(world.provider_a, world.lots[0], clock=clock)
    referral = officer_refers(world, clock, sign_in)
    referrals.publish(world.member_officer, referral, clock.now())
    sign_in(world.provider_a).post(f"/provider/referrals/{referral.id}/bid",
                                   data=bid_form(home_area=STOCKPORT, how_needs_met="With care"))
    bid = bid_of(referral, world.provider_a)
    bid.home_area, bid.home_area_code = "North of the county", None  # as migration 0010 left an unmatched name
    db.session.commit()
    past_deadline(clock, referral)
    page = text_of(sign_in(world.member_officer).get(f"/authority/referrals/{referral.id}/bids"))
    assert side_by_side_rows(page, "Home area") == ["North of the county (area to be confirmed)"]
    assert side_by_side_rows(page, "In the preferred location") == ["Not known: an area is to be confirmed"]
    spreadsheet = sign_in(world.member_officer).get(f"/authority/referrals/{referral.id}/bids.csv").get_data(
        as_text=True).splitlines()
    assert ("North of the county (area to be confirmed),Not known: an area is to be confirmed,Not known: an area is "
            "to be confirmed") in spreadsheet[1]


def typed_before_areas(world, clock, typed="North of the county"):
    """A placement in Stockport for a "Tameside, Stockport or Oldham" preference, as migration 0010 left one whose
    typed area matched none: no code, and flags from typed names spelt alike."""
    placement = placed_in(world, clock, STOCKPORT, preferred_areas=[TAMESIDE, STOCKPORT, OLDHAM])
    placement.location_area, placement.location_area_code = typed, None
    placement.location_was_preferred = placement.in_home_area = False
    db.session.commit()
    return placement


def placed_in(world, clock, area, **overrides):
    from tests.factories import placed

    return placed(world, clock, home_area=area, **overrides)


def test_the_officer_confirms_the_area_of_a_placement_typed_before_areas_were_data(world, clock, sign_in):
    placement = typed_before_areas(world, clock)
    officer = sign_in(world.member_officer)
    page = text_of(officer.get(f"/authority/placements/{placement.id}"))
    assert "North of the county (area to be confirmed)" in page and "Confirm the area" in page
    assert "which matches no area on the list" in page
    # Until the area is known, whether the home is in the authority's area or the preferred location is not known
    # either: the page and the spreadsheet say so, as the bids side by side do, rather than the No recorded.
    assert summary_value(page, "In the authority's own area") == "Not known: an area is to be confirmed"
    assert summary_value(page, "In the preferred location") == "Not known: an area is to be confirmed"
    spreadsheet = officer.get("/authority/placements.csv").get_data(as_text=True)
    assert ("North of the county (area to be confirmed),Not known: an area is to be confirmed,Not known: an area is "
            "to be confirmed") in spreadsheet
    response = officer.post(f"/authority/placements/{placement.id}/area", data={"area_code": STOCKPORT})
    assert response.status_code == 302
    db.session.expire_all()
    assert (placement.location_area, placement.location_area_code) == ("Stockport", STOCKPORT)
    assert (placement.location_was_preferred, placement.in_home_area) == (True, False)
    page = text_of(officer.get(response.headers["Location"]))
    assert "The home's area is confirmed as Stockport" in page and "Confirm the area" not in page
    assert (summary_value(page, "In the authority's own area"), summary_value(page, "In the preferred location")) \
        == ("No", "Yes")
    assert "Stockport,No,Yes" in officer.get("/authority/placements.csv").get_data(as_text=True)
    from portal.models import AuditEvent

    event = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "placement.area_confirmed")).one()
    assert "confirmed as Stockport" in event.summary


@pytest.mark.parametrize(("area_code", "message"), [
    (LANCASHIRE, "Choose the district the home is in, not the county"),
    ("E99999999", "Choose the area of the home from the list"),
    ("", "Choose the area of the home from the list"),
])
def test_a_county_or_an_area_not_on_the_list_is_refused_and_nothing_changes(world, clock, sign_in, area_code,
                                                                           message):
    placement = typed_before_areas(world, clock)
    response = sign_in(world.member_officer).post(f"/authority/placements/{placement.id}/area",
                                                  data={"area_code": area_code})
    assert response.status_code == 400
    text = text_of(response)
    assert "There is a problem" in text and message in text
    db.session.expire_all()
    assert (placement.location_area, placement.location_area_code) == ("North of the county", None)


def test_a_placement_whose_area_is_known_is_not_changed_this_way(world, clock, sign_in):
    placement = placed_in(world, clock, SEFTON)
    response = sign_in(world.member_officer).post(f"/authority/placements/{placement.id}/area",
                                                  data={"area_code": STOCKPORT})
    assert response.status_code == 400
    assert "already known: Sefton" in text_of(response)
    # The error summary leads to the placement's details (there is no field to choose an area on the page).
    html = response.get_data(as_text=True)
    assert 'href="#details"' in html and 'id="details"' in html and 'id="area_code"' not in html
    db.session.expire_all()
    assert placement.location_area_code == SEFTON
