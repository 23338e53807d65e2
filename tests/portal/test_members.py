"""Member authorities chosen by area, each once per DPS; a member leaving; authorities' areas confirmed; the
extensions of a DPS's term taken up."""

from datetime import date, timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from portal.errors import DomainError, NotFound
from portal.extensions import db
from portal.models import AuditEvent, DpsExtension, DpsMember, Organisation, Referral
from portal.models.organisation import AUTHORITY
from portal.services import members, placements, referrals, windows
from tests.factories import (
    CHORLEY,
    LANCASHIRE,
    OLDHAM,
    SEFTON,
    TAMESIDE,
    admit,
    approve_funding,
    draft_referral,
    placed,
    published_referral,
    referral_fields,
)


def audit_actions() -> list[str]:
    return list(db.session.scalars(db.select(AuditEvent.action).order_by(AuditEvent.id)))


def member_count() -> int:
    return db.session.scalar(db.select(db.func.count(DpsMember.id)))


# Adding members by area ---------------------------------------------------------------------------------------

def test_a_member_is_added_by_its_area_and_its_authority_created_once(world, clock):
    member = members.add(world.admin, world.dps, area_code=OLDHAM, now=clock.now())
    assert (member.authority.name, member.authority.area_code, member.authority.local_authority_area) == (
        "Oldham Council", OLDHAM, "Oldham")
    assert member.joined_on == clock.now().date() and "dps.member_added" in audit_actions()
    # Oldham's council on another DPS is the same organisation.
    other = members.authority_for_area(OLDHAM, clock.now())
    assert other.id == member.authority_id


def test_the_same_authority_cannot_be_added_twice_whatever_it_is_called(world, clock):
    world.member.name = "Sefton MBC"  # the member was typed with another name once
    db.session.commit()
    before = member_count()
    with pytest.raises(DomainError) as refused:
        members.add(world.admin, world.dps, area_code=SEFTON, now=clock.now())
    assert (refused.value.message, refused.value.field) == ("Sefton MBC is already a member", "area_code")
    assert member_count() == before


def test_no_two_authorities_share_an_area_but_providers_may(world, clock):
    db.session.add(Organisation(name="Sefton Council", kind=AUTHORITY, area_code=SEFTON, created_at=clock.now()))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
    world.provider_a.organisation.area_code = SEFTON
    world.provider_b.organisation.area_code = SEFTON
    db.session.commit()


@pytest.mark.parametrize(("code", "message"), [
    ("", "Choose the authority from the list"),
    ("Sefton", "Choose the authority from the list"),
    (CHORLEY, "Choose the authority from the list"),  # a district is no children's services authority
    (TAMESIDE, "The lead authority is already part of this DPS"),
])
def test_only_an_upper_tier_authority_other_than_the_lead_is_added(world, clock, code, message):
    before = member_count()
    with pytest.raises(DomainError, match=message):
        members.add(world.admin, world.dps, area_code=code, now=clock.now())
    db.session.rollback()
    assert member_count() == before


def test_a_county_can_be_a_member_but_not_a_nation(world, clock):
    assert members.add(world.admin, world.dps, area_code=LANCASHIRE, now=clock.now()).authority.name == \
        "Lancashire County Council"
    before = member_count()
    for nation in ("W92000004", "S92000003", "N92000002"):  # places a child can live, not children's services
        with pytest.raises(DomainError, match="Choose the authority from the list"):
            members.add(world.admin, world.dps, area_code=nation, now=clock.now())
        db.session.rollback()
    assert member_count() == before
    assert db.session.scalar(db.select(db.func.count(Organisation.id)).where(Organisation.name == "Wales")) == 0


def test_an_unconfirmed_council_whose_name_matches_is_confirmed_rather_than_made_again(world, clock):
    oldham = Organisation(name="Oldham MBC", kind=AUTHORITY, local_authority_area="Greater Manchester",
                          created_at=clock.now())
    db.session.add(oldham)
    db.session.commit()
    member = members.add(world.admin, world.dps, area_code=OLDHAM, now=clock.now())
    assert member.authority_id == oldham.id
    assert (oldham.name, oldham.area_code, oldham.local_authority_area) == ("Oldham MBC", OLDHAM, "Oldham")
    assert db.session.scalar(db.select(db.func.count(Organisation.id)).where(Organisation.kind == AUTHORITY,
                                                                             Organisation.name.like("Oldham%"))) == 1
    event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "organisation.area_confirmed"))
    assert event.entity_id == oldham.id and event.actor_id == world.admin.id


# Leaving ----------------------------------------------------------------------------------------------------

def sefton_member(world) -> DpsMember:
    return next(member for member in world.dps.members if member.authority_id == world.member.id)


def test_a_member_leaves_with_its_referrals_and_placements_kept(world, clock):
    admit(world.provider_a, world.lots[0], clock=clock)
    published = published_referral(world, clock)
    draft = draft_referral(world, clock)
    members.leave(world.admin, sefton_member(world), left_on=clock.now().date(), reason="Joined another framework",
                  now=clock.now())
    member = sefton_member(world)
    assert (member.left_on, member.left_by_id, member.left_reason) == (
        clock.now().date(), world.admin.id, "Joined another framework")
    assert "dps.member_left" in audit_actions()
    # Its referrals stay, marked as a former member's, and its officers still see them.
    assert referrals.get_for_authority(world.member_officer, published.id) is published
    assert published.former_member_since == clock.now().date()
    assert db.session.scalar(db.select(db.func.count(Referral.id))) == 2
    # It can start no new referral on the DPS, nor publish a draft.
    with pytest.raises(NotFound):
        referrals.create(world.member_officer, lot=world.lots[0], fields=referral_fields(),
                         child={"first_names": "A", "surname": "B", "known_as": "", "date_of_birth": None,
                                "case_number": "C"}, now=clock.now())
    approve_funding(world, draft, clock)
    with pytest.raises(DomainError, match="no longer a member of this DPS"):
        referrals.publish(world.member_officer, draft, clock.now())
    assert world.dps not in referrals.dpss_for(world.member_officer)


@pytest.mark.parametrize(("left_on", "reason", "field", "message"), [
    (None, "Gone", "left_on", "Enter the date the authority left as a real date"),
    ("tomorrow", "Gone", "left_on", "cannot be in the future"),
    ("before joining", "Gone", "left_on", "The authority joined on"),
    ("today", "  ", "reason", "Give the reason the authority is leaving"),
])
def test_leaving_needs_a_date_and_a_reason(world, clock, left_on, reason, field, message):
    today = clock.now().date()
    day = {"tomorrow": today + timedelta(days=1), "before joining": today - timedelta(days=400),
           "today": today}.get(left_on)
    with pytest.raises(DomainError, match=message) as refused:
        members.leave(world.admin, sefton_member(world), left_on=day, reason=reason, now=clock.now())
    assert refused.value.field == field
    db.session.rollback()
    assert sefton_member(world).left_on is None


def test_a_member_leaves_once_and_may_rejoin(world, clock):
    members.leave(world.admin, sefton_member(world), left_on=clock.now().date(), reason="Gone", now=clock.now())
    with pytest.raises(DomainError, match="left this DPS on"):
        members.leave(world.admin, sefton_member(world), left_on=clock.now().date(), reason="Again",
                      now=clock.now())
    db.session.rollback()
    member = members.add(world.admin, world.dps, area_code=SEFTON, now=clock.now())
    assert member.is_current and member.id == sefton_member(world).id
    assert "dps.member_rejoined" in audit_actions()
    referrals.create(world.member_officer, lot=world.lots[0], fields=referral_fields(),
                     child={"first_names": "", "surname": "", "known_as": "", "date_of_birth": None,
                            "case_number": ""}, now=clock.now())


# Confirming the area of an authority typed before areas were data ---------------------------------------------

def unconfirmed_member(world, clock, name="Old Typed Council") -> Organisation:
    authority = Organisation(name=name, kind=AUTHORITY, local_authority_area="Somewhere", created_at=clock.now())
    db.session.add(DpsMember(dps=world.dps, authority=authority, joined_on=clock.now().date()))
    db.session.commit()
    return authority


def test_an_authority_whose_area_is_to_be_confirmed_gets_one(world, clock):
    authority = unconfirmed_member(world, clock)
    assert members.unconfirmed_authorities(world.dps) == [authority]
    members.confirm_area(world.admin, world.dps, authority.id, area_code=OLDHAM, now=clock.now())
    assert (authority.area_code, authority.local_authority_area) == (OLDHAM, "Oldham")
    assert members.unconfirmed_authorities(world.dps) == []
    assert "organisation.area_confirmed" in audit_actions()


def test_an_area_another_authority_has_is_refused(world, clock):
    authority = unconfirmed_member(world, clock)
    with pytest.raises(DomainError, match="Member Council is already the authority for Sefton"):
        members.confirm_area(world.admin, world.dps, authority.id, area_code=SEFTON, now=clock.now())
    with pytest.raises(DomainError, match="Choose the authority's area from the list"):
        members.confirm_area(world.admin, world.dps, authority.id, area_code=CHORLEY, now=clock.now())
    with pytest.raises(NotFound):  # an authority of no DPS of this lead's, or one already confirmed
        members.confirm_area(world.admin, world.dps, world.outsider.id, area_code=OLDHAM,
                             now=clock.now())
    assert authority.area_code is None


def test_confirming_an_authoritys_area_works_out_again_whether_its_placements_are_in_its_own_area(world, clock):
    """A placement made while its authority's area was to be confirmed recorded "not in the authority's own area";
    once the area is confirmed, the areas rule answers it, audited, and "Not known" becomes Yes, never a wrong No."""
    at_home = placed(world, clock, home_area=SEFTON)
    elsewhere = placed(world, clock, home_area=OLDHAM, admitted=False)
    world.member.area_code = None  # as an authority typed before areas were data, and not yet matched
    at_home.in_home_area = False
    db.session.commit()
    assert placements.place_flags(at_home)[0] is None  # not known while the authority's area is to be confirmed

    members.confirm_area(world.admin, world.dps, world.member.id, area_code=SEFTON, now=clock.now())
    db.session.expire_all()
    assert (at_home.in_home_area, elsewhere.in_home_area) == (True, False)
    assert placements.place_flags(at_home)[0] is True
    event = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "placement.home_area_worked_out")
                               .order_by(AuditEvent.id)).one()
    assert (event.entity_type, event.entity_id, event.actor_id) == ("placement", at_home.id, world.admin.id)
    assert at_home.agreement_reference in event.summary


# Extensions of the term --------------------------------------------------------------------------------------

def test_extensions_are_taken_up_one_by_one_and_move_the_end_date(world, clock):
    dps = world.dps  # from 1 January 2026 for 2 years, with extensions of 1 + 1
    assert (dps.end_date, dps.latest_end_date, dps.next_extension) == (date(2028, 1, 1), date(2030, 1, 1), 1)
    members.record_extension(world.admin, dps, number=1, taken_on=clock.now().date(), now=clock.now())
    assert (dps.end_date, dps.extensions_taken, dps.end_date_after_next_extension) == (
        date(2029, 1, 1), 1, date(2030, 1, 1))
    members.record_extension(world.admin, dps, number=2, taken_on=clock.now().date(), now=clock.now())
    assert dps.end_date == dps.latest_end_date == date(2030, 1, 1)
    [first, second] = db.session.scalars(db.select(DpsExtension).order_by(DpsExtension.number)).all()
    assert (first.years, first.recorded_by_id, second.number) == (1, world.admin.id, 2)
    assert audit_actions().count("dps.extension_taken") == 2
    with pytest.raises(DomainError, match="Every possible extension of this DPS's term has been taken up"):
        members.record_extension(world.admin, dps, number=3, taken_on=clock.now().date(), now=clock.now())


@pytest.mark.parametrize(("taken_on", "message"), [
    (None, "Enter the date the extension was taken up as a real date"),
    (date(2026, 11, 3), "cannot be in the future"),
    (date(2025, 12, 31), "The DPS starts on 1 January 2026"),
])
def test_an_extension_needs_a_real_date(world, clock, taken_on, message):
    with pytest.raises(DomainError, match=message):
        members.record_extension(world.admin, world.dps, number=1, taken_on=taken_on, now=clock.now())
    db.session.rollback()
    assert world.dps.extensions_taken == 0


def test_windows_stop_at_the_current_end_until_an_extension_is_taken_up(world, clock):
    """The test DPS has a window open now and one every 4 months: none opens on or after 1 January 2028 until
    the first extension is taken up."""
    moment = clock.now()
    for _ in range(6):
        latest = windows.windows_of(world.dps)[-1]
        moment = max(moment, latest.opens_at + timedelta(minutes=1))
        if windows.ensure_next_window(world.dps, moment) is None:
            break
    assert windows.windows_of(world.dps)[-1].opens_at.date() < date(2028, 1, 1)
    assert windows.ensure_next_window(world.dps, moment + timedelta(days=1)) is None
    members.record_extension(world.admin, world.dps, number=1, taken_on=clock.now().date(), now=clock.now())
    assert windows.ensure_next_window(world.dps, moment + timedelta(days=1)) is not None
