"""The administrator's pages for member authorities and the term: adding a member from the list of upper-tier
authorities, a member leaving, an authority's area confirmed, and an extension taken up."""

import html

import pytest

from portal.extensions import db
from portal.models import DpsExtension, DpsMember, Organisation
from portal.models.organisation import AUTHORITY
from tests.factories import OLDHAM, SEFTON


def text_of(response) -> str:
    return html.unescape(response.get_data(as_text=True))


@pytest.fixture
def admin(world, sign_in):
    return sign_in(world.admin)


def page(world) -> str:
    return f"/admin/dps/{world.dps.id}"


def test_the_dps_page_lists_the_members_with_their_areas_and_offers_the_authorities(world, admin):
    text = text_of(admin.get(page(world)))
    assert "Lead Council (lead)" in text and "Member Council" in text and "Sefton" in text
    assert '<option value="E08000004">Oldham</option>' in text  # an upper-tier authority is offered
    assert 'value="W92000004"' not in text  # Wales is a place a child can live, not a member authority
    assert 'value="E07000118"' not in text  # a district is not
    assert "Wales, Scotland and Northern Ireland are not member authorities" in text and "or a nation" not in text
    assert "1 January 2028, or 1 January 2030 if every extension is taken up" in text


def test_the_administrator_adds_a_member_from_the_list(world, admin):
    response = admin.post(f"{page(world)}/members", data={"area_code": OLDHAM})
    assert response.status_code == 302
    assert "Oldham Council added as a member authority" in text_of(admin.get(response.headers["Location"]))
    assert db.session.scalar(db.select(Organisation).where(Organisation.area_code == OLDHAM)).name == \
        "Oldham Council"


MANCHESTER, YORK = "E08000003", "E06000014"


def test_a_new_city_council_gets_its_real_name_or_the_one_typed(world, admin):
    """Manchester's council is Manchester City Council, not "Manchester Council"; the name typed corrects any
    suggestion, and is refused (keeping what was typed) when empty of words or another authority's."""
    assert "Council's name (optional)" in text_of(admin.get(page(world)))
    response = admin.post(f"{page(world)}/members", data={"area_code": MANCHESTER, "council_name": " "})
    assert "Manchester City Council added as a member authority" in text_of(admin.get(response.headers["Location"]))
    taken = admin.post(f"{page(world)}/members", data={"area_code": YORK, "council_name": "manchester city council"})
    assert taken.status_code == 400
    text = text_of(taken)
    assert "Another authority is already called Manchester City Council: enter this council's own name" in text
    assert 'href="#council_name"' in text and 'value="manchester city council"' in text
    assert db.session.scalar(db.select(Organisation).where(Organisation.area_code == YORK)) is None
    response = admin.post(f"{page(world)}/members", data={"area_code": YORK, "council_name": " City of  York Council"})
    assert response.status_code == 302
    york = db.session.scalar(db.select(Organisation).where(Organisation.area_code == YORK))
    assert york.name == "City of York Council" and york.local_authority_area == "York"
    # A council the portal knows keeps its name: a different one typed is refused, not a rename.
    other = admin.post(f"{page(world)}/members", data={"area_code": SEFTON, "council_name": "Sefton Council"})
    assert other.status_code == 400
    assert "The portal already knows this council as Member Council" in text_of(other)


@pytest.mark.parametrize(("data", "message"), [
    ({"area_code": SEFTON}, "Member Council is already a member"),
    ({"area_code": ""}, "Choose the authority from the list"),
    ({"area_code": "E07000118"}, "Choose the authority from the list"),
    ({"area_code": "W92000004"}, "Choose the authority from the list"),
    ({"area_code": "E99999999"}, "Choose the authority from the list"),
    ({"area_code": "sefton"}, "Choose the authority from the list"),
])
def test_a_member_twice_or_not_from_the_list_is_refused_and_nothing_added(world, admin, data, message):
    before = db.session.scalar(db.select(db.func.count(DpsMember.id)))
    response = admin.post(f"{page(world)}/members", data=data)
    assert response.status_code == 400
    text = text_of(response)
    assert "There is a problem" in text and message in text and 'href="#area_code"' in text
    assert db.session.scalar(db.select(db.func.count(DpsMember.id))) == before


def test_a_member_leaves_through_its_page(world, admin, clock):
    member = world.dps.members[0]
    leave = f"{page(world)}/members/{member.id}/leave"
    assert "Member Council is leaving" in text_of(admin.get(leave))
    refused = admin.post(leave, data={"left_on": ["", "", ""], "reason": ""})
    assert refused.status_code == 400 and "Give the reason" in text_of(refused)
    today = clock.now().date()
    response = admin.post(leave, data={"left_on": [str(today.day), str(today.month), str(today.year)],
                                       "reason": "Joined a regional framework"})
    assert response.status_code == 302
    text = text_of(admin.get(page(world)))
    assert "Former members" in text and "Member Council: left on 2 November 2026 (Joined a regional framework)" in text


def test_a_member_of_another_dps_is_not_found(world, admin, clock):
    from tests.factories import build_dps

    other = build_dps(world.admin, clock, reference="OTHER")
    assert admin.get(f"/admin/dps/{other.id}/members/{world.dps.members[0].id}/leave").status_code == 404


def test_an_authority_to_be_confirmed_is_given_its_area_on_the_dps_page(world, admin, clock):
    authority = Organisation(name="Oldham MBC", kind=AUTHORITY, created_at=clock.now())
    db.session.add(DpsMember(dps=world.dps, authority=authority, joined_on=clock.now().date()))
    db.session.commit()
    text = text_of(admin.get(page(world)))
    assert "Area to be confirmed" in text and "Area of Oldham MBC" in text
    url = f"{page(world)}/authorities/{authority.id}/area"
    refused = admin.post(url, data={"area_code": SEFTON})
    assert refused.status_code == 400
    assert "Member Council is already the authority for Sefton" in text_of(refused)
    assert f'href="#area-{authority.id}"' in text_of(refused)
    assert admin.post(url, data={"area_code": OLDHAM}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Organisation, authority.id).area_code == OLDHAM
    assert "Area to be confirmed" not in text_of(admin.get(page(world)))


def test_the_administrator_records_an_extension(world, admin):
    url = f"{page(world)}/extensions"
    assert "moves the end to 1 January 2029" in text_of(admin.get(url))
    assert '<input type="hidden" name="number" value="1">' in text_of(admin.get(url))
    refused = admin.post(url, data={"number": "1", "taken_on": ["3", "11", "2026"]})
    assert refused.status_code == 400 and "cannot be in the future" in text_of(refused)
    assert '<input type="hidden" name="number" value="1">' in text_of(refused)  # still for the first extension
    response = admin.post(url, data={"number": "1", "taken_on": ["2", "11", "2026"]}, follow_redirects=True)
    text = text_of(response)
    assert "the term now ends on 1 January 2029" in text and "1 of 2: 2 November 2026" in text
    assert db.session.scalar(db.select(db.func.count(DpsExtension.id))) == 1


def test_the_extension_form_sent_twice_takes_up_one_extension(world, admin):
    url = f"{page(world)}/extensions"
    form = {"number": "1", "taken_on": ["2", "11", "2026"]}
    assert admin.post(url, data=form).status_code == 302
    again = admin.post(url, data=form)
    assert again.status_code == 400
    assert ("Extension 1 has already been recorded: the term now ends on 1 January 2029. Nothing was changed"
            in text_of(again))
    db.session.expire_all()
    assert db.session.scalar(db.select(db.func.count(DpsExtension.id))) == 1
    assert world.dps.end_date.year == 2029
    stale = admin.post(url, data={"taken_on": ["2", "11", "2026"]})  # no number: a page from before this change
    assert stale.status_code == 400 and "This page is out of date" in text_of(stale)
    assert db.session.scalar(db.select(db.func.count(DpsExtension.id))) == 1
