"""The referral service: drafts and their checks, the anonymity guard, funding, deadlines by urgency, publishing
to the tiers in turn, exhaustion, withdrawal and the closing of rounds (portal/services/referrals.py)."""

import dataclasses
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from portal.errors import DomainError, InvalidTransition, NotFound
from portal.extensions import db
from portal.models import AuditEvent, BidInvitation, Notification, OutboxMessage, Referral, ReferralRound
from portal.services import referrals, standing
from portal.services.referrals import ReferralInvalid, default_deadline, drafting, rounds
from portal.timezone import local_datetime
from tests.factories import (
    CHILD_CASE_NUMBER,
    CHILD_FIRST_NAMES,
    CHILD_SURNAME,
    admit,
    approve_funding,
    child_details,
    contract_of,
    deciders,
    draft_referral,
    provider_user,
    published_referral,
    referral_fields,
)

# What must never reach a provider: the canary identity and the officer's name.
CANARIES = (CHILD_FIRST_NAMES, CHILD_SURNAME, "Quennell", "2010-03-14", "14 March 2010", "14/03/2010",
            CHILD_CASE_NUMBER, "48213", "Mo Officer")


def actions() -> list[str]:
    return list(db.session.scalars(db.select(AuditEvent.action).order_by(AuditEvent.id)))


def outbox_to(address: str) -> list[OutboxMessage]:
    """The referral's e-mails to the address (not the answers to the officer's requests for approval)."""
    return db.session.scalars(db.select(OutboxMessage).where(OutboxMessage.to_address == address,
                                                             OutboxMessage.subject.not_like("Your request was %"))
                              .order_by(OutboxMessage.id)).all()


def referral_mail() -> list[OutboxMessage]:
    return db.session.scalars(db.select(OutboxMessage).where(OutboxMessage.subject.like("Referral %"))).all()


def fund(world, referral, clock):
    approve_funding(world, referral, clock)


def later(clock, **kwargs) -> datetime:
    return clock.now() + timedelta(**kwargs)


# Drafts ------------------------------------------------------------------------------------------------------

def test_a_draft_gets_a_reference_that_says_nothing_of_the_child(world, clock):
    first = draft_referral(world, clock)
    second = draft_referral(world, clock, lot=world.lots[1])
    assert (first.reference, second.reference) == ("T-DPS-R0001", "T-DPS-R0002")
    assert first.status(clock.now()) == "draft"
    assert first.authority_id == world.member.id and first.created_by_id == world.member_officer.id
    assert first.child.full_name == "Kestrel Quennell-Abara"
    assert first.communication_which == "" and first.additional_support == "therapeutic_support"
    assert actions()[-2:] == ["referral.created", "referral.created"]
    event = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "referral.created")).first()
    assert all(canary not in (event.summary + (event.after or "")) for canary in CANARIES)


def test_a_reference_taken_in_the_same_instant_is_retried(world, clock, monkeypatch):
    taken = draft_referral(world, clock)
    real = drafting._next_reference
    answers = iter([taken.reference])
    monkeypatch.setattr(drafting, "_next_reference",
                        lambda dps, **kwargs: next(answers, None) or real(dps, **kwargs))
    again = draft_referral(world, clock)
    assert again.reference == "T-DPS-R0002"
    assert db.session.scalar(db.select(db.func.count(Referral.id))) == 2


def test_every_problem_of_a_draft_is_reported_at_once_and_nothing_is_stored(world, clock):
    fields = referral_fields(age_years=26, siblings_to_place_with=11, needed_by="someday", pets="dragons",
                             risks_to_child=["self_harm", "juggling"], required_start=date(2026, 11, 1),
                             indicative_weekly_price="-5", preferred_location="", needs_summary=" ",
                             quality_weight=70, cost_weight=20)
    with pytest.raises(ReferralInvalid) as raised:
        referrals.create(world.member_officer, lot=world.lots[0], fields=fields,
                         child=child_details(first_names="", date_of_birth=date(2027, 1, 1)), now=clock.now())
    errors = raised.value.errors
    assert errors == {
        "needed_by": "Select when the placement is needed",
        "pets": "Select whether the child can live with pets",
        "risks_to_child": "Select only the options listed",
        "siblings_to_place_with": "Enter the number of siblings as a whole number from 0 to 10",
        "age_years": "Enter an age from 0 to 25",
        "required_start": "The start date must be today or in the future",
        "indicative_weekly_price": "The indicative weekly price must be more than £0",
        "quality_weight": "Enter a quality weight and a cost weight from 0 to 100 that add up to 100",
        "child_date_of_birth": "The date of birth must be in the past",
    }
    assert db.session.scalar(db.select(db.func.count(Referral.id))) == 0
    assert "referral.created" not in actions()


@pytest.mark.parametrize(("age", "message"), [
    (-1, "Enter an age from 0 to 25"),
    (15, "Lot 1: Semi-independence is for ages 16 to 18: choose another lot, or check the age"),
    (19, "Lot 1: Semi-independence is for ages 16 to 18: choose another lot, or check the age"),
    (200, "Enter an age from 0 to 25"),
    ("sixteen", "Enter the child's age in years as a whole number"),
])
def test_the_age_must_be_in_the_lots_age_band(world, clock, age, message):
    with pytest.raises(ReferralInvalid) as raised:
        draft_referral(world, clock, age_years=age)
    assert raised.value.errors == {"age_years": message}


@pytest.mark.parametrize(("age"), [16, 18])
def test_the_ends_of_the_age_band_are_allowed(world, clock, age):
    assert draft_referral(world, clock, age_years=age).age_years == age


@pytest.mark.parametrize(("price", "message"), [
    ("0", "The indicative weekly price must be more than £0"),
    ("100000.01", "The indicative weekly price must be £100,000 or less"),
    ("lots", "Enter the indicative weekly price in pounds and pence, like 1,450.00"),
    ("12.345", "Enter the indicative weekly price in pounds and pence, with no more than 2 decimal places"),
    ("NaN", "Enter the indicative weekly price in pounds and pence, like 1,450.00"),
    ("1e5", "Enter the indicative weekly price in pounds and pence, like 1,450.00"),
])
def test_a_bad_indicative_price_is_refused(world, clock, price, message):
    with pytest.raises(ReferralInvalid) as raised:
        draft_referral(world, clock, indicative_weekly_price=price)
    assert raised.value.errors == {"indicative_weekly_price": message}


@pytest.mark.parametrize(("price", "stored"), [
    ("£1,450.5", Decimal("1450.50")), ("100000", Decimal("100000.00")), ("", None), (None, None),
    (Decimal("99.99"), Decimal("99.99")),
])
def test_an_indicative_price_is_optional_and_kept_in_pounds_and_pence(world, clock, price, stored):
    assert draft_referral(world, clock, indicative_weekly_price=price).indicative_weekly_price == stored


@pytest.mark.parametrize(("location", "message"), [
    ("Near OL6 7AB", "Give an area, not a full postcode: remove “OL6 7AB” (a district such as “M1” is fine)"),
    ("M11AA", "Give an area, not a full postcode: remove “M11AA” (a district such as “M1” is fine)"),
    ("12 Acacia Avenue, Ashton", "Give an area, not an address: remove “12 Acacia Avenue”"),
    ("Flat 3, Ashton", "Give an area, not an address: remove “Flat 3”"),
])
def test_the_preferred_location_must_be_an_area_not_an_address(world, clock, location, message):
    with pytest.raises(ReferralInvalid) as raised:
        draft_referral(world, clock, preferred_location=location)
    assert raised.value.errors == {"preferred_location": message}


@pytest.mark.parametrize("location", ["Tameside", "OL6 or M1", "Within 10 miles of Ashton-under-Lyne", "Wigan"])
def test_areas_and_districts_are_fine_as_the_preferred_location(world, clock, location):
    assert draft_referral(world, clock, preferred_location=location).preferred_location == location


def test_other_option_rules(world, clock):
    with pytest.raises(ReferralInvalid) as raised:
        draft_referral(world, clock, adaptations_needed=True, communication_which=["none", "bsl"])
    assert raised.value.errors == {
        "communication_which": "Select “None” on its own, or the needs without “None”",
    }
    unfinished = draft_referral(world, clock, adaptations_needed=True)
    assert referrals.still_to_do(unfinished) == {"adaptations_detail": "Describe the adaptations the home needs"}
    referral = draft_referral(world, clock, communication_which=["makaton", "bsl"], siblings_to_place_with=None,
                              required_start=clock.now().date(), quality_weight=100, cost_weight=0)
    assert referral.communication_which == "bsl,makaton"  # in the standard's order
    assert referral.siblings_to_place_with == 0
    assert (referral.quality_weight, referral.cost_weight) == (100, 0)


def test_only_an_officer_of_a_member_or_lead_authority_may_draft(world, clock):
    for user in (world.provider_a, world.evaluator, world.outside_admin):
        with pytest.raises(NotFound):
            referrals.create(user, lot=world.lots[0], fields=referral_fields(), child=child_details(),
                             now=clock.now())
    lead_draft = referrals.create(world.lead_officer, lot=world.lots[0], fields=referral_fields(),
                                  child=child_details(), now=clock.now())
    assert lead_draft.authority_id == world.lead.id


def test_a_draft_can_be_changed_by_its_authority_only(world, clock):
    referral = draft_referral(world, clock)
    clock.advance(hours=1)
    referrals.update(world.member_officer, referral, fields=referral_fields(age_years=17, pets="no"),
                     child=child_details(known_as="Kes"), now=clock.now())
    assert (referral.age_years, referral.pets, referral.child.known_as) == (17, "no", "Kes")
    assert referral.updated_at == clock.now()
    assert actions()[-1] == "referral.changed"
    with pytest.raises(NotFound):
        referrals.update(world.lead_officer, referral, fields=referral_fields(), child=child_details(),
                         now=clock.now())
    with pytest.raises(ReferralInvalid):
        referrals.update(world.member_officer, referral, fields=referral_fields(age_years=30),
                         child=child_details(), now=clock.now())
    db.session.refresh(referral)
    assert referral.age_years == 17


# Funding -----------------------------------------------------------------------------------------------------

def test_funding_is_asked_at_the_indicative_price_or_else_at_the_expected_cost(world, clock):
    deciders(world, clock)  # someone who may approve it (a request nobody could answer is refused)
    priced = draft_referral(world, clock, indicative_weekly_price=Decimal("1500.00"))
    approval = referrals.ask_funding(world.member_officer, priced, expected_weekly="", now=clock.now())
    assert (approval.weekly_cost, approval.annual_cost) == (Decimal("1500.00"), Decimal("78000.00"))
    unpriced = draft_referral(world, clock, indicative_weekly_price=None)
    with pytest.raises(DomainError, match="Enter the weekly cost you expect to pay") as raised:
        referrals.ask_funding(world.member_officer, unpriced, expected_weekly=" ", now=clock.now())
    assert raised.value.field == "expected_weekly"
    approval = referrals.ask_funding(world.member_officer, unpriced, expected_weekly="1,250.50", now=clock.now())
    assert approval.weekly_cost == Decimal("1250.50") and approval.is_pending
    assert actions()[-1] == "approval.requested"
    assert referrals.funding_problem(unpriced) == "The funding approval is waiting for an answer"


# Deadlines by urgency ----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("now", "needed_by", "deadline"), [
    # Monday 2 November 2026 (GMT: London is UTC)
    (datetime(2026, 11, 2, 10, 0), "today", datetime(2026, 11, 2, 17, 0)),
    (datetime(2026, 11, 2, 15, 0), "today", datetime(2026, 11, 2, 17, 0)),  # exactly 2 hours: 5pm stands
    (datetime(2026, 11, 2, 15, 30), "today", datetime(2026, 11, 2, 17, 30)),  # under 2 hours: 2 hours on
    (datetime(2026, 11, 2, 21, 0), "today", datetime(2026, 11, 2, 23, 0)),
    (datetime(2026, 11, 2, 10, 0), "within_5_days", datetime(2026, 11, 4, 12, 0)),
    (datetime(2026, 11, 2, 10, 0), "more_than_5_days", datetime(2026, 11, 9, 12, 0)),
    # Friday 6 November: across the weekend
    (datetime(2026, 11, 6, 16, 0), "within_5_days", datetime(2026, 11, 10, 12, 0)),
    (datetime(2026, 11, 6, 16, 0), "more_than_5_days", datetime(2026, 11, 13, 12, 0)),
    # Saturday 7 November: the weekend itself counts for nothing
    (datetime(2026, 11, 7, 9, 0), "within_5_days", datetime(2026, 11, 10, 12, 0)),
    # Thursday 24 December: Christmas Day and the Boxing Day substitute (Monday 28th) are not working days
    (datetime(2026, 12, 24, 9, 0), "within_5_days", datetime(2026, 12, 30, 12, 0)),
    (datetime(2026, 12, 24, 9, 0), "more_than_5_days", datetime(2027, 1, 5, 12, 0)),
    # Friday 28 May 2027, British Summer Time (London is UTC+1), before the spring bank holiday
    (datetime(2027, 5, 28, 9, 0), "within_5_days", datetime(2027, 6, 2, 11, 0)),
    (datetime(2027, 5, 28, 9, 0), "today", datetime(2027, 5, 28, 16, 0)),
    # 11:30pm in London on Friday 28 May 2027 is 10:30pm UTC: today is still the London day
    (datetime(2027, 5, 28, 22, 30), "today", datetime(2027, 5, 29, 0, 30)),
])
def test_the_default_deadline_follows_the_urgency(now, needed_by, deadline):
    assert default_deadline(needed_by, now) == deadline


def test_the_default_deadline_is_stored_as_utc_london_midday():
    assert local_datetime(date(2027, 6, 2), datetime.min.time().replace(hour=12)) == datetime(2027, 6, 2, 11, 0)


def test_publishing_without_a_deadline_takes_the_default(world, clock):
    admit(world.provider_a, world.lots[0], clock=clock)
    referral = published_referral(world, clock, needed_by="within_5_days")
    assert referral.bid_deadline == datetime(2026, 11, 4, 12, 0) == referral.current_round.deadline


# Publishing --------------------------------------------------------------------------------------------------

def test_publishing_needs_the_funding_approval(world, clock):
    admit(world.provider_a, world.lots[0], clock=clock)
    referral = draft_referral(world, clock)
    with pytest.raises(DomainError, match="Ask a budget holder to approve the funding"):
        referrals.publish(world.member_officer, referral, clock.now(), deadline=later(clock, days=3))
    assert referral.published_at is None and referral.rounds == []
    assert referral_mail() == []


IDENTIFIERS = [
    ("name", "Kestrel enjoys drawing"),
    ("surname", "The Quennell-Abara family cannot care for them"),
    ("possessive name", "Kestrel's sister lives nearby"),
    ("date of birth", "Born 14 March 2010"),
    ("date of birth in figures", "DOB 14/03/2010"),
    ("another full date", "Came into care on 03/04/2019"),
    ("postcode", "Currently near OL6 7AB"),
    ("telephone", "Foster carer on 0161 496 0123"),
    ("email", "Contact kq@example.org"),
    ("NHS number", "NHS number 943 476 5919"),
    ("case number", "See CN-48213-Q"),
    ("case number spaced", "Case cn 48213 q"),
    ("another reference", "Mosaic id 55512"),
]


@pytest.mark.parametrize(("kind", "text"), IDENTIFIERS, ids=[kind for kind, _ in IDENTIFIERS])
def test_publishing_is_refused_while_anything_identifies_the_child(world, clock, kind, text):
    admit(world.provider_a, world.lots[0], clock=clock)
    referral = draft_referral(world, clock, needs_summary=f"A young person. {text}.")
    fund(world, referral, clock)
    findings = referrals.check(referral)
    assert list(findings) == ["needs_summary"], kind
    with pytest.raises(DomainError, match="Remove the 1 thing that could identify the child") as raised:
        referrals.publish(world.member_officer, referral, clock.now(), deadline=later(clock, days=3))
    assert "summary of needs" in raised.value.message
    assert referral.published_at is None
    assert db.session.scalar(db.select(db.func.count(BidInvitation.id))) == 0
    assert referral_mail() == []


@pytest.mark.parametrize("field", ["needs_summary", "education_needs", "adaptations_detail", "cultural_detail",
                                   "expected_duration", "preferred_location"])
def test_every_free_text_field_is_checked(world, clock, field):
    referral = draft_referral(world, clock, **{field: "Kestrel"}, adaptations_needed=field == "adaptations_detail")
    findings = referrals.check(referral)
    assert list(findings) == [field]
    assert findings[field][0].kind == "name" and findings[field][0].message == "Remove the child's name “Kestrel”"


@pytest.mark.parametrize("written", ["Kes\u00adtrel", "K\u200bestrel", "\uff2b\uff45\uff53\uff54\uff52\uff45\uff4c"])
def test_a_name_hidden_by_invisible_or_fullwidth_characters_stops_publishing(world, clock, written):
    admit(world.provider_a, world.lots[0], clock=clock)
    referral = draft_referral(world, clock, needs_summary=f"{written} needs a steady key worker.")
    fund(world, referral, clock)
    with pytest.raises(DomainError, match="Remove the 1 thing that could identify the child"):
        referrals.publish(world.member_officer, referral, clock.now(), deadline=later(clock, days=3))
    assert referral.published_at is None
    assert db.session.scalar(db.select(db.func.count(BidInvitation.id))) == 0


def test_invisible_format_characters_are_dropped_from_free_text_when_saved(world, clock):
    referral = draft_referral(world, clock, needs_summary="Needs a\u200b steady\u00ad key\u2060 worker.",
                              preferred_location="Tame\u200bside")
    assert referral.needs_summary == "Needs a steady key worker."
    assert referral.preferred_location == "Tameside"
    referrals.update(world.member_officer, referral, now=clock.now(),
                     fields=referral_fields(education_needs="Year\u200b 9"),
                     child=child_details(first_names="Kes\u00adtrel"))
    assert referral.education_needs == "Year 9" and referral.child.first_names == "Kestrel"


def test_the_check_of_a_clean_referral_finds_nothing(world, clock):
    assert referrals.check(draft_referral(world, clock)) == {}


def test_publishing_is_refused_with_a_past_deadline_or_nobody_to_invite(world, clock):
    referral = draft_referral(world, clock)
    fund(world, referral, clock)
    with pytest.raises(DomainError, match="Nobody can be invited"):
        referrals.publish(world.member_officer, referral, clock.now(), deadline=later(clock, days=3))
    admit(world.provider_a, world.lots[0], clock=clock)
    for deadline in (clock.now(), later(clock, minutes=-1)):
        with pytest.raises(DomainError, match="The deadline for bids must be in the future") as raised:
            referrals.publish(world.member_officer, referral, clock.now(), deadline=deadline)
        assert raised.value.field == "deadline"
    assert referral.published_at is None


def test_suspended_terminated_and_other_lots_providers_are_not_invited(world, clock):
    admit(world.provider_a, world.lots[0], clock=clock)
    suspended = provider_user("Gamma Homes", "gamma@provider.example.org", clock)
    admit(suspended, world.lots[0], clock=clock)
    standing.restrict(dps_id=world.dps.id, provider_id=suspended.organisation_id, cause="sanction",
                      reason="Breach of contract", actor=world.admin, now=clock.now())
    ended = provider_user("Delta Care", "delta@provider.example.org", clock)
    admit(ended, world.lots[0], clock=clock)
    standing.terminate(contract_of(world, ended), reason="Registration cancelled", actor=world.admin,
                       now=clock.now())
    admit(world.provider_b, world.lots[1], clock=clock)
    db.session.commit()
    referral = published_referral(world, clock, deadline=later(clock, days=3))
    assert [invitation.provider_id for invitation in referral.invitations] == [world.provider_a.organisation_id]


def test_publishing_invites_tier_1_flags_caution_and_tells_providers_nothing_of_the_child(world, clock):
    admit(world.provider_a, world.lots[0], clock=clock)
    caution = provider_user("Gamma Homes", "gamma@provider.example.org", clock)
    admit(caution, world.lots[0], caution=True, clock=clock)
    admit(world.provider_b, world.lots[0], tier=2, clock=clock)
    referral = published_referral(world, clock, deadline=datetime(2026, 11, 9, 12, 0))
    round_ = referral.current_round
    assert (round_.number, round_.tier, round_.deadline, round_.opened_by_id) == (
        1, 1, datetime(2026, 11, 9, 12, 0), world.member_officer.id)
    assert referral.status(clock.now()) == "open"
    assert referral.published_by_id == world.member_officer.id
    invited = {invitation.provider_id: invitation for invitation in referral.invitations}
    assert set(invited) == {world.provider_a.organisation_id, caution.organisation_id}
    assert invited[caution.organisation_id].place_with_caution
    assert not invited[world.provider_a.organisation_id].place_with_caution
    messages = referral_mail()
    assert sorted(message.to_address for message in messages) == [
        "alpha2@provider.example.org", "alpha@provider.example.org", "gamma@provider.example.org"]
    for message in messages:
        assert referral.reference in message.subject and "9 November 2026 at 12:00pm" in message.body
        assert "aged 16" in message.body and "Lot 1: Semi-independence" in message.body
        assert message.body.endswith(f"http://portal.test/provider/referrals/{referral.id}")
        for canary in CANARIES:
            assert canary not in message.subject + message.body
    notification = db.session.scalars(db.select(Notification).where(
        Notification.user_id == world.provider_a.id, Notification.subject.like("Referral %"))).one()
    assert notification.link == f"/provider/referrals/{referral.id}"
    event = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "referral.published")).one()
    assert "2 providers invited" in event.summary
    assert all(canary not in event.summary + event.after for canary in CANARIES)


def test_the_weighting_is_copied_from_the_dps_at_publishing_and_fixed_after(world, clock):
    admit(world.provider_a, world.lots[0], clock=clock)
    referral = published_referral(world, clock, deadline=later(clock, days=3))
    assert (referral.quality_weight, referral.cost_weight) == (60, 40)
    own = published_referral(world, clock, deadline=later(clock, days=3), quality_weight=80, cost_weight=20)
    assert (own.quality_weight, own.cost_weight) == (80, 20)
    for target in (referral, own):
        with pytest.raises(InvalidTransition, match="You cannot change this referral: the referral is open for bids"):
            referrals.update(world.member_officer, target, fields=referral_fields(quality_weight=10, cost_weight=90),
                             child=child_details(), now=clock.now())
    db.session.refresh(own)
    assert (own.quality_weight, own.cost_weight) == (80, 20)


def test_a_referral_is_published_once(world, clock):
    admit(world.provider_a, world.lots[0], clock=clock)
    referral = published_referral(world, clock, deadline=later(clock, days=3))
    with pytest.raises(InvalidTransition, match="You cannot publish this referral"):
        referrals.publish(world.member_officer, referral, clock.now(), deadline=later(clock, days=4))
    with pytest.raises(InvalidTransition, match="You cannot ask for the funding approval"):
        fund(world, referral, clock)
    assert len(referral.rounds) == 1


def test_only_its_authority_may_publish(world, clock):
    admit(world.provider_a, world.lots[0], clock=clock)
    referral = draft_referral(world, clock)
    fund(world, referral, clock)
    with pytest.raises(NotFound):
        referrals.publish(world.lead_officer, referral, clock.now(), deadline=later(clock, days=3))


def test_a_start_date_that_has_passed_stops_publishing(world, clock):
    admit(world.provider_a, world.lots[0], clock=clock)
    referral = draft_referral(world, clock, required_start=date(2026, 11, 3))
    fund(world, referral, clock)
    clock.set(datetime(2026, 11, 4, 9, 0))
    with pytest.raises(DomainError, match="The required start date has passed"):
        referrals.publish(world.member_officer, referral, clock.now(), deadline=later(clock, days=3))


# The tier cascade --------------------------------------------------------------------------------------------

def test_the_cascade_skips_an_empty_tier_keeps_earlier_invitations_and_ends_in_exhaustion(world, clock):
    admit(world.provider_a, world.lots[0], tier=1, clock=clock)
    admit(world.provider_b, world.lots[0], tier=3, clock=clock)
    referral = published_referral(world, clock, deadline=later(clock, days=2))
    officer = world.member_officer
    with pytest.raises(InvalidTransition, match="You cannot re-open this referral: the referral is open for bids"):
        referrals.reopen_to_next_tier(officer, referral, deadline=later(clock, days=5), now=clock.now())
    with pytest.raises(InvalidTransition, match="You cannot mark this referral as exhausted"):
        referrals.mark_exhausted(officer, referral, clock.now())

    clock.advance(days=2)  # the deadline: the round is closed
    assert referral.status(clock.now()) == "closed"
    assert referrals.next_tier(referral) == 3
    with pytest.raises(DomainError, match="Tier 3 has not been approached yet"):
        referrals.mark_exhausted(officer, referral, clock.now())
    with pytest.raises(DomainError, match="The deadline for bids must be in the future"):
        referrals.reopen_to_next_tier(officer, referral, deadline=clock.now(), now=clock.now())
    round_2 = referrals.reopen_to_next_tier(officer, referral, deadline=later(clock, days=2), now=clock.now())
    assert (round_2.number, round_2.tier) == (2, 3)
    assert referrals.skipped_tiers(referral, round_2) == [2]
    assert referral.status(clock.now()) == "open"
    assert [(i.provider_id, i.tier, i.round_id) for i in referral.invitations] == [
        (world.provider_a.organisation_id, 1, referral.rounds[0].id),
        (world.provider_b.organisation_id, 3, round_2.id)]
    event = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "referral.reopened")).one()
    assert "tiers with nobody to invite: 2" in event.summary
    assert [m.to_address for m in referral_mail() if "invitation" in m.subject][-1] == "beta@provider.example.org"

    clock.advance(days=2)
    assert referrals.next_tier(referral) is None
    with pytest.raises(DomainError, match="Every tier has been approached: mark the referral as exhausted"):
        referrals.reopen_to_next_tier(officer, referral, deadline=later(clock, days=2), now=clock.now())
    referrals.mark_exhausted(officer, referral, clock.now())
    assert referral.status(clock.now()) == "exhausted"
    assert actions()[-1] == "referral.exhausted"
    with pytest.raises(InvalidTransition, match="the referral is framework exhausted"):
        referrals.mark_exhausted(officer, referral, clock.now())
    with pytest.raises(InvalidTransition):
        referrals.reopen_to_next_tier(officer, referral, deadline=later(clock, days=2), now=clock.now())


def test_publishing_passes_over_an_empty_first_tier(world, clock):
    admit(world.provider_b, world.lots[0], tier=2, clock=clock)
    referral = published_referral(world, clock, deadline=later(clock, days=2))
    assert referral.current_round.tier == 2
    assert referrals.skipped_tiers(referral, referral.current_round) == [1]


def test_a_lot_without_tiers_invites_everyone_in_one_round(world, clock):
    lot = world.lots[2]
    lot.categories[0].tiers = 0
    db.session.commit()
    admit(world.provider_a, lot, clock=clock)
    admit(world.provider_b, lot, caution=True, clock=clock)
    referral = published_referral(world, clock, lot=lot, deadline=later(clock, days=2))
    assert referral.current_round.tier is None and referral.current_round.label == "Round 1 (whole lot)"
    assert sorted((i.tier, i.place_with_caution) for i in referral.invitations) == [(None, False), (None, True)]
    clock.advance(days=2)
    assert referrals.next_tier(referral) is None
    with pytest.raises(DomainError, match="Every tier has been approached"):
        referrals.reopen_to_next_tier(world.member_officer, referral, deadline=later(clock, days=2), now=clock.now())
    referrals.mark_exhausted(world.member_officer, referral, clock.now())
    assert referral.status(clock.now()) == "exhausted"


def test_a_provider_already_invited_is_not_invited_again_after_re_tiering(world, clock):
    membership = admit(world.provider_a, world.lots[0], tier=1, clock=clock)
    admit(world.provider_b, world.lots[0], tier=2, clock=clock)
    referral = published_referral(world, clock, deadline=later(clock, days=1))
    membership.tier = 2  # re-tiered while the first round ran
    db.session.commit()
    clock.advance(days=1)
    round_2 = referrals.reopen_to_next_tier(world.member_officer, referral, deadline=later(clock, days=1),
                                            now=clock.now())
    assert [i.provider_id for i in referral.invitations if i.round_id == round_2.id] == [
        world.provider_b.organisation_id]


# Withdrawal --------------------------------------------------------------------------------------------------

def test_a_draft_open_or_closed_referral_may_be_withdrawn_with_a_reason(world, clock):
    admit(world.provider_a, world.lots[0], clock=clock)
    draft = draft_referral(world, clock)
    with pytest.raises(DomainError, match="Give the reason for withdrawing the referral"):
        referrals.withdraw(world.member_officer, draft, "  ", clock.now())
    referrals.withdraw(world.member_officer, draft, "Placed with family", clock.now())
    assert draft.status(clock.now()) == "withdrawn" and draft.withdrawn_reason == "Placed with family"
    with pytest.raises(InvalidTransition, match="the referral is withdrawn"):
        referrals.withdraw(world.member_officer, draft, "Again", clock.now())

    open_one = published_referral(world, clock, deadline=later(clock, days=1))
    referrals.withdraw(world.member_officer, open_one, "The child's plans changed", clock.now())
    told = [m for m in referral_mail() if "withdrawn" in m.subject]
    assert sorted(m.to_address for m in told) == ["alpha2@provider.example.org", "alpha@provider.example.org"]
    assert all("plans changed" not in m.body and CHILD_FIRST_NAMES not in m.body for m in told)

    closed = published_referral(world, clock, deadline=later(clock, days=1))
    clock.advance(days=1)
    referrals.withdraw(world.member_officer, closed, "Found a place in-house", clock.now())
    assert closed.status(clock.now()) == "withdrawn"
    with pytest.raises(NotFound):
        referrals.withdraw(world.lead_officer, closed, "Not theirs", clock.now())


# Closing rounds ----------------------------------------------------------------------------------------------

def test_run_due_closes_rounds_at_their_deadline_tells_the_officers_and_is_idempotent(world, clock):
    admit(world.provider_a, world.lots[0], clock=clock)
    referral = published_referral(world, clock, deadline=later(clock, hours=3))
    assert referrals.run_due(later(clock, hours=2, minutes=59)) == []
    clock.advance(hours=3)
    assert referrals.run_due(clock.now()) == [f"closed referral {referral.reference} round 1 (tier 1)"]
    assert referral.current_round.closed_at == clock.now()
    told = outbox_to(world.member_officer.email)
    assert [m.subject for m in told] == [f"Referral {referral.reference}: bids can now be opened"]
    assert told[0].body.endswith(f"/authority/referrals/{referral.id}")
    assert outbox_to(world.lead_officer.email) == []
    assert actions()[-1] == "referral.round_closed"
    assert referrals.run_due(clock.now()) == []
    assert referrals.run_due(later(clock, days=3)) == []
    assert len(outbox_to(world.member_officer.email)) == 1


def test_run_due_catches_up_on_every_round_missed(world, clock):
    admit(world.provider_a, world.lots[0], clock=clock)
    first = published_referral(world, clock, deadline=later(clock, hours=1))
    second = published_referral(world, clock, deadline=later(clock, days=2))
    withdrawn = published_referral(world, clock, deadline=later(clock, days=1))
    referrals.withdraw(world.member_officer, withdrawn, "Not needed", clock.now())
    clock.advance(days=5)  # nothing ran meanwhile
    done = referrals.run_due(clock.now())
    assert done == [f"closed referral {ref.reference} round 1 (tier 1)" for ref in (first, withdrawn, second)]
    # Only the live referrals' officers are told
    assert len(outbox_to(world.member_officer.email)) == 2


def test_run_due_goes_on_when_one_referral_fails(world, clock, monkeypatch):
    admit(world.provider_a, world.lots[0], clock=clock)
    bad = published_referral(world, clock, deadline=later(clock, hours=1))
    good = published_referral(world, clock, deadline=later(clock, hours=2))
    real = rounds._close_rounds

    def flaky(round_ids, now):
        if bad.current_round.id in round_ids:
            raise RuntimeError("a broken record")
        return real(round_ids, now)

    monkeypatch.setattr(rounds, "_close_rounds", flaky)
    clock.advance(hours=3)
    done = referrals.run_due(clock.now())
    bad_round = db.session.scalars(db.select(ReferralRound).where(ReferralRound.referral_id == bad.id)).one()
    assert done == [f"failed to close referral round {bad_round.id}",
                    f"closed referral {good.reference} round 1 (tier 1)"]
    assert bad_round.closed_at is None
    monkeypatch.setattr(rounds, "_close_rounds", real)
    assert referrals.run_due(clock.now()) == [f"closed referral {bad.reference} round 1 (tier 1)"]


def test_the_scheduler_closes_rounds(app, world, clock):
    from portal.scheduler import run_time_events

    admit(world.provider_a, world.lots[0], clock=clock)
    referral = published_referral(world, clock, deadline=later(clock, hours=1))
    clock.advance(hours=1)
    assert f"closed referral {referral.reference} round 1 (tier 1)" in run_time_events(app)


# Who may see what --------------------------------------------------------------------------------------------

def test_only_the_referring_authoritys_officers_get_the_referral(world, clock):
    referral = draft_referral(world, clock)
    assert referrals.get_for_authority(world.member_officer, referral.id) is referral
    for user in (world.lead_officer, world.admin, world.evaluator, world.outside_admin, world.provider_a):
        with pytest.raises(NotFound):
            referrals.get_for_authority(user, referral.id)
    with pytest.raises(NotFound):
        referrals.get_for_authority(world.member_officer, referral.id + 100)


def test_only_an_invited_provider_gets_its_invitation(world, clock):
    admit(world.provider_a, world.lots[0], clock=clock)
    referral = published_referral(world, clock, deadline=later(clock, days=1))
    assert referrals.invitation_for(world.colleague_a, referral.id).provider_id == world.provider_a.organisation_id
    for user in (world.provider_b, world.member_officer):
        with pytest.raises(NotFound):
            referrals.invitation_for(user, referral.id)


def test_the_anonymised_referral_holds_nothing_that_identifies_the_child(world, clock):
    admit(world.provider_a, world.lots[0], clock=clock)
    referral = published_referral(world, clock, deadline=later(clock, days=1), communication_needs="yes",
                                  communication_which=["bsl"], risks_to_others=["fire_setting"])
    summary = referrals.anonymised(referral, clock.now())
    everything = repr(dataclasses.asdict(summary)) + repr(summary.sections)
    for canary in CANARIES:
        assert canary not in everything
    assert (summary.reference, summary.lot_label, summary.authority_name, summary.age_years, summary.status) == (
        referral.reference, "Lot 1: Semi-independence", "Member Council", 16, "open")
    assert summary.communication_which == ("BSL",) and summary.risks_to_others == ("Fire-setting",)
    assert summary.deadline == later(clock, days=1)
    assert summary.indicative_weekly_price == Decimal("1200.00")
    assert referrals.anonymised(referral).status is None
    with pytest.raises(dataclasses.FrozenInstanceError):
        summary.reference = "changed"


def test_the_authoritys_list_filters_by_status_and_keeps_to_its_own(world, clock):
    admit(world.provider_a, world.lots[0], clock=clock)
    draft = draft_referral(world, clock)
    closed = published_referral(world, clock, deadline=later(clock, hours=1))
    open_one = published_referral(world, clock, deadline=later(clock, days=2))
    referrals.create(world.lead_officer, lot=world.lots[0], fields=referral_fields(), child=child_details(),
                     now=clock.now())
    clock.advance(hours=1)

    def ids(status=None):
        return [r.id for r in referrals.for_authority(world.member_officer, now=clock.now(), status=status).items]

    assert ids() == [open_one.id, closed.id, draft.id]
    assert (ids("draft"), ids("open"), ids("closed"), ids("withdrawn")) == ([draft.id], [open_one.id], [closed.id], [])
    assert referrals.status_counts(world.member_officer, clock.now()) == {"draft": 1, "open": 1, "closed": 1}


# Partial drafts ----------------------------------------------------------------------------------------------

EMPTY_FIELDS = {name: None for name in referrals.FIELD_NAMES}
EMPTY_CHILD = {name: None for name in referrals.CHILD_FIELDS}


def test_a_draft_with_only_the_age_is_stored_and_lists_what_is_still_to_do(world, clock):
    referral = referrals.create(world.member_officer, lot=world.lots[0], fields={**EMPTY_FIELDS, "age_years": 17},
                                child=EMPTY_CHILD, now=clock.now())
    assert (referral.age_years, referral.needed_by, referral.required_start, referral.preferred_location) == (
        17, None, None, "")
    assert (referral.child.first_names, referral.child.date_of_birth) == ("", None)
    missing = referrals.still_to_do(referral)
    assert list(missing)[:2] == ["needed_by", "preferred_areas"] and "age_years" not in missing
    for field, message in (("required_start", "Enter the date the placement must start"),
                           ("needs_summary", "Enter a summary of the child's needs"),
                           ("child_first_names", "Enter the child's first names"),
                           ("child_date_of_birth", "Enter the child's date of birth"),
                           ("child_case_number", "Enter the child's case number")):
        assert missing[field] == message
    assert "Complete the referral: enter the child's first names" in referrals.publication_problems(
        referral, clock.now())
    assert referrals.anonymised(referral).sections[0][1][1] == ("Start", "Not given yet")


def test_an_incomplete_draft_is_not_published(world, clock):
    admit(world.provider_a, world.lots[0], clock=clock)
    referral = draft_referral(world, clock, needs_summary="", child={"case_number": ""})
    fund(world, referral, clock)
    with pytest.raises(DomainError, match="Complete the referral: enter a summary of the child's needs; Complete "
                                          "the referral: enter the child's case number"):
        referrals.publish(world.member_officer, referral, clock.now())
    assert referral.published_at is None and not referral.rounds
