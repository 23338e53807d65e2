"""The placement's life in the domain: the 28-day rule, status, spend across a price change, the child record
and its linking, recording an ending, the provider's notice, and the agreements after an unplanned ending."""

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest

from portal.errors import DomainError, NotFound
from portal.extensions import db
from portal.models import AuditEvent, Child, Placement, PlacementPrice
from portal.models.approval import NEW_SEARCH_DIRECTOR, NEW_SEARCH_HEAD
from portal.models.placement import ENDED, ENDING, LIVE, STARTING
from portal.services import children, endings, placements, referrals
from portal.services.endings import Ending, EndingInvalid
from tests.factories import (
    CHILD_CASE_NUMBER,
    answer_as,
    approve_funding,
    deciders,
    draft_referral,
    placed,
)

# The 28-day rule ---------------------------------------------------------------------------------------------

def test_a_provider_giving_27_days_notice_is_in_breach_and_28_is_not():
    end = date(2027, 3, 1)
    assert endings.is_breach("provider", end - timedelta(days=27), end)
    assert not endings.is_breach("provider", end - timedelta(days=28), end)
    assert not endings.is_breach("provider", end - timedelta(days=60), end)


def test_weekends_count_calendar_days():
    # Friday 5 February 2027 to Friday 5 March 2027: 28 calendar days, 20 working days; no breach.
    assert endings.notice_days(date(2027, 2, 5), date(2027, 3, 5)) == 28
    assert not endings.is_breach("provider", date(2027, 2, 5), date(2027, 3, 5))
    # Saturday 6 February to Thursday 4 March: 26 days, a breach, weekends counted.
    assert endings.is_breach("provider", date(2027, 2, 6), date(2027, 3, 4))


def test_the_authoritys_short_notice_is_never_the_providers_breach():
    assert not endings.is_breach("authority", date(2027, 2, 27), date(2027, 3, 1))
    assert endings.is_short_notice(date(2027, 2, 27), date(2027, 3, 1))


# Status -------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("start, notice, end, expected", [
    (date(2027, 2, 1), None, None, STARTING),
    (date(2027, 1, 1), None, None, LIVE),
    (date(2027, 1, 1), date(2027, 1, 10), None, ENDING),
    (date(2027, 1, 1), date(2027, 1, 10), date(2027, 2, 10), ENDING),
    (date(2027, 1, 1), date(2027, 1, 10), date(2027, 1, 15), ENDED),
    (date(2027, 1, 1), None, date(2027, 1, 15), ENDED),
])
def test_status_and_its_sql_agree(world, clock, start, notice, end, expected):
    placement = placed(world, clock)
    placement.start_date, placement.notice_given_on, placement.end_date = start, notice, end
    db.session.commit()
    today = date(2027, 1, 15)
    assert placement.status(today) == expected
    for status in (STARTING, LIVE, ENDING, ENDED):
        found = db.session.scalar(db.select(Placement.id).where(Placement.id == placement.id,
                                                                Placement.status_clause(status, today)))
        assert (found is not None) == (status == expected), status


# Spend --------------------------------------------------------------------------------------------------------

def _price_change(placement, effective_from, weekly, world, clock):
    placement.prices.append(PlacementPrice(effective_from=effective_from, weekly_cost=Decimal(weekly),
                                           reason="Negotiated", recorded_by_id=world.member_officer.id,
                                           recorded_at=clock.now()))
    db.session.commit()


def test_spend_follows_a_price_change(world, clock):
    placement = placed(world, clock, core="700.00")
    start = placement.start_date
    _price_change(placement, start + timedelta(days=14), "1400.00", world, clock)
    # 14 days at £100 a day, then 7 days (to and including the 21st day) at £200 a day
    today = start + timedelta(days=20)
    assert placements.cost_to_date(placement, today) == Decimal("2800.00")
    assert placements.authority_spend(world.member_officer, today).cost_to_date == Decimal("2800.00")
    row = placements.spend_by_provider(world.member_officer, today).items[0]
    assert (row.name, row.placements, row.cost_to_date) == ("Alpha Care", 1, Decimal("2800.00"))
    assert placements.weekly_price_on(placement, today) == Decimal("1400.00")


def test_spend_stops_at_the_end_date_and_starts_at_the_start(world, clock):
    placement = placed(world, clock, core="700.00")
    start = placement.start_date
    assert placements.cost_to_date(placement, start - timedelta(days=1)) == Decimal("0.00")
    placement.end_date = start + timedelta(days=10)
    db.session.commit()
    later = start + timedelta(days=100)
    assert placements.cost_to_date(placement, later) == Decimal("1000.00")
    assert placements.authority_spend(world.member_officer, later).cost_to_date == Decimal("1000.00")


def test_spend_is_the_authoritys_own(world, clock):
    placed(world, clock, core="700.00")
    assert placements.authority_spend(world.lead_officer, clock.now().date()).placements == 0
    with pytest.raises(NotFound):
        placements.authority_spend(world.provider_a, clock.now().date())


# The child ----------------------------------------------------------------------------------------------------

def test_a_known_case_number_links_the_referral_to_that_child(world, clock):
    first = draft_referral(world, clock)
    second = draft_referral(world, clock, child={"first_names": "Typo", "surname": "Elsewhere"})
    assert second.child_id == first.child_id and second.linked_to_known_child
    assert second.child.first_names == "Kestrel"  # a mistyped case number never renames another child
    third = draft_referral(world, clock, child={"case_number": "CN-OTHER"})
    assert third.child_id != first.child_id and not third.linked_to_known_child
    assert db.session.scalar(db.select(db.func.count(Child.id))) == 2


def test_drafts_without_a_case_number_each_have_their_own_child(world, clock):
    one = draft_referral(world, clock, child={"case_number": ""})
    two = draft_referral(world, clock, child={"case_number": ""})
    assert one.child_id != two.child_id and one.child.case_number is None


def test_changing_the_case_number_of_a_shared_child_gives_the_draft_a_child_of_its_own(world, clock):
    first = draft_referral(world, clock)
    second = draft_referral(world, clock)
    referrals.update(world.member_officer, second, fields=_fields(), child=_child(case_number="CN-NEW"),
                     now=clock.now())
    assert second.child_id != first.child_id and first.child.case_number == CHILD_CASE_NUMBER
    # typing the first child's number again links back; the second's own child, now unused, is removed
    referrals.update(world.member_officer, second, fields=_fields(), child=_child(), now=clock.now())
    assert second.child_id == first.child_id
    assert db.session.scalar(db.select(db.func.count(Child.id))) == 1


def test_another_authoritys_case_number_is_another_child(world, clock):
    from tests.factories import referral_fields

    mine = draft_referral(world, clock)
    theirs = referrals.create(world.lead_officer, lot=world.lots[0], fields=referral_fields(),
                              child=_child(), now=clock.now())
    assert theirs.child_id != mine.child_id
    with pytest.raises(NotFound):
        children.get_for_authority(world.lead_officer, mine.child_id)
    with pytest.raises(NotFound):
        children.get_for_authority(world.provider_a, mine.child_id)
    assert children.get_for_authority(world.member_officer, mine.child_id) == mine.child


def _fields():
    from tests.factories import referral_fields

    return referral_fields()


def _child(**overrides):
    from tests.factories import child_details

    return child_details(**overrides)


# Recording an ending -----------------------------------------------------------------------------------------

def _ending(placement, **overrides):
    values = {"notice_given_by": "provider", "notice_given_on": placement.start_date + timedelta(days=30),
              "end_date": placement.start_date + timedelta(days=50), "planned": False,
              "reason": "placement_breakdown", "detail": "Kestrel went missing twice", "next_placement_id": None}
    values.update(overrides)
    return Ending(**values)


def test_recording_an_ending_with_the_providers_short_notice(world, clock):
    placement = placed(world, clock)
    clock.set(clock.now() + timedelta(days=80))
    endings.record(world.member_officer, placement, _ending(placement), clock.now())
    assert placement.short_notice_breach and placement.ending_planned is False
    assert placement.status(endings.uk_today(clock.now())) == ENDED
    event = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "placement.ending_recorded")).one()
    assert "Kestrel" not in str(event.before) + str(event.after) + event.summary
    assert json.loads(event.after)["ending_detail_length"] == len("Kestrel went missing twice")


def test_an_authoritys_short_notice_is_recorded_without_a_breach(world, clock):
    placement = placed(world, clock)
    clock.set(clock.now() + timedelta(days=80))
    endings.record(world.member_officer, placement, _ending(placement, notice_given_by="authority"), clock.now())
    assert not placement.short_notice_breach and placement.notice_given_by == "authority"


@pytest.mark.parametrize("overrides, field", [
    ({"end_date": None}, "end_date"),
    ({"notice_given_on": None}, "notice_given_on"),
    ({"planned": None}, "planned"),
    ({"reason": "bored"}, "reason"),
    ({"notice_given_by": "nobody"}, "notice_given_by"),
    ({"reason": "other", "detail": " "}, "detail"),
])
def test_an_incomplete_ending_is_refused_and_nothing_changes(world, clock, overrides, field):
    placement = placed(world, clock)
    clock.set(clock.now() + timedelta(days=80))
    with pytest.raises(EndingInvalid) as refused:
        endings.record(world.member_officer, placement, _ending(placement, **overrides), clock.now())
    assert field in refused.value.errors
    db.session.rollback()
    assert placement.end_date is None and placement.notice_given_on is None


def test_dates_out_of_order_are_refused(world, clock):
    placement = placed(world, clock)
    clock.set(clock.now() + timedelta(days=80))
    before_start = _ending(placement, end_date=placement.start_date - timedelta(days=1))
    with pytest.raises(EndingInvalid, match="before the placement started"):
        endings.record(world.member_officer, placement, before_start, clock.now())
    late_notice = _ending(placement, notice_given_on=placement.start_date + timedelta(days=60))
    with pytest.raises(EndingInvalid, match="cannot be after the end date"):
        endings.record(world.member_officer, placement, late_notice, clock.now())
    future = _ending(placement, notice_given_on=endings.uk_today(clock.now()) + timedelta(days=1),
                     end_date=endings.uk_today(clock.now()) + timedelta(days=40))
    with pytest.raises(EndingInvalid, match="in the future"):
        endings.record(world.member_officer, placement, future, clock.now())


def test_only_the_authoritys_officers_record_an_ending(world, clock):
    placement = placed(world, clock)
    for user in (world.lead_officer, world.provider_a):
        with pytest.raises(NotFound):
            endings.record(user, placement, _ending(placement), clock.now())


def test_the_next_placement_must_be_the_same_childs(world, clock):
    first = placed(world, clock)
    other_child = placed(world, clock, child={"case_number": "CN-ELSE"}, admitted=False)
    clock.set(clock.now() + timedelta(days=80))
    with pytest.raises(EndingInvalid, match="later placements"):
        endings.record(world.member_officer, first, _ending(first, next_placement_id=other_child.id), clock.now())
    following = placed(world, clock, admitted=False,
                       required_start=endings.uk_today(clock.now()) + timedelta(days=10))
    clock.set(clock.now() + timedelta(days=80))
    endings.record(world.member_officer, first, _ending(first, next_placement_id=following.id, planned=True,
                                                        reason="step_down"), clock.now())
    assert first.next_placement == following
    history = children.history(first.referral.child)
    assert [p.id for p in history.placements] == [first.id, following.id]


# The provider's notice ----------------------------------------------------------------------------------------

def test_the_provider_gives_notice_dated_today_and_the_officers_are_told(world, clock):
    from portal.models import Notification

    placement = placed(world, clock)
    today = endings.uk_today(clock.now())
    endings.give_notice(world.provider_a, placement, end_date=today + timedelta(days=27), reason="provider_closure",
                        detail="", now=clock.now())
    assert (placement.notice_given_by, placement.notice_given_on) == ("provider", today)
    assert placement.short_notice_breach and placement.ending_planned is None
    notice = db.session.scalars(db.select(Notification).where(Notification.user_id == world.member_officer.id)
                                .order_by(Notification.id.desc())).first()
    assert "27 days' notice" in notice.body
    with pytest.raises(DomainError, match="already been given"):
        endings.give_notice(world.provider_a, placement, end_date=today + timedelta(days=40), reason="other",
                            detail="x", now=clock.now())


def test_a_provider_giving_28_days_is_not_in_breach_and_another_provider_cannot(world, clock):
    placement = placed(world, clock)
    today = endings.uk_today(clock.now())
    with pytest.raises(NotFound):
        endings.give_notice(world.provider_b, placement, end_date=today + timedelta(days=28),
                            reason="provider_closure", detail="", now=clock.now())
    with pytest.raises(EndingInvalid, match="in the past"):
        endings.give_notice(world.provider_a, placement, end_date=today - timedelta(days=1),
                            reason="provider_closure", detail="", now=clock.now())
    endings.give_notice(world.provider_a, placement, end_date=today + timedelta(days=28), reason="provider_closure",
                        detail="", now=clock.now())
    assert not placement.short_notice_breach


# After an unplanned ending ------------------------------------------------------------------------------------

def _ended_unplanned(world, clock):
    placement = placed(world, clock)
    clock.set(clock.now() + timedelta(days=80))
    endings.record(world.member_officer, placement, _ending(placement), clock.now())
    return placement


def test_a_new_referral_after_an_unplanned_ending_needs_both_agreements(world, clock):
    ended = _ended_unplanned(world, clock)
    people = deciders(world, clock)
    referral = draft_referral(world, clock, required_start=endings.uk_today(clock.now()) + timedelta(days=10))
    assert referral.child_id == ended.referral.child_id
    approve_funding(world, referral, clock)
    with pytest.raises(DomainError, match="head of service and an assistant director"):
        referrals.publish(world.member_officer, referral, clock.now())
    asked = endings.ask_new_search(world.member_officer, referral, clock.now())
    assert {approval.kind for approval in asked} == {NEW_SEARCH_HEAD, NEW_SEARCH_DIRECTOR}
    head = next(a for a in asked if a.kind == NEW_SEARCH_HEAD)
    director = next(a for a in asked if a.kind == NEW_SEARCH_DIRECTOR)
    with pytest.raises(DomainError):
        answer_as(people.budget_holder, head, clock)
    answer_as(people.head_of_service, head, clock)
    with pytest.raises(DomainError, match="an assistant director"):
        referrals.publish(world.member_officer, referral, clock.now())
    answer_as(people.assistant_director, director, clock)
    referrals.publish(world.member_officer, referral, clock.now())
    assert referral.published_at is not None


def test_a_planned_ending_or_another_child_needs_no_agreement(world, clock):
    placement = placed(world, clock)
    clock.set(clock.now() + timedelta(days=80))
    endings.record(world.member_officer, placement, _ending(placement, planned=True, reason="plan_achieved"),
                   clock.now())
    later = endings.uk_today(clock.now()) + timedelta(days=10)
    again = draft_referral(world, clock, required_start=later)
    assert endings.new_search_problems(again) == []
    other = draft_referral(world, clock, child={"case_number": "CN-ELSE"}, required_start=later)
    assert endings.unplanned_ending_before(other) is None
    with pytest.raises(DomainError, match="needs no extra agreement"):
        endings.ask_new_search(world.member_officer, other, clock.now())


def test_asking_needs_someone_to_answer_both(world, clock):
    from portal.models import Approval

    _ended_unplanned(world, clock)
    deciders(world, clock).assistant_director.active = False
    db.session.commit()
    referral = draft_referral(world, clock, required_start=endings.uk_today(clock.now()) + timedelta(days=10))
    with pytest.raises(DomainError, match="Nobody"):
        endings.ask_new_search(world.member_officer, referral, clock.now())
    assert db.session.scalar(db.select(db.func.count(Approval.id)).where(Approval.kind == NEW_SEARCH_HEAD)) == 0


def test_a_placements_history_in_order(world, clock):
    placement = placed(world, clock, core="700.00")
    start = placement.start_date
    _price_change(placement, start + timedelta(days=14), "840.00", world, clock)
    clock.set(clock.now() + timedelta(days=80))
    endings.record(world.member_officer, placement, _ending(placement), clock.now())
    texts = [event.text for event in placements.history(placement)]
    assert texts[0].startswith("Placed with Alpha Care")
    assert texts[1] == "Weekly price changed to £840.00: Negotiated"
    assert texts[2].startswith("Written notice given by the provider to end on")
    assert texts[3] == ("Unplanned ending: Placement breakdown (provider's short notice: a breach of the "
                        "agreement)")


def test_a_placements_history_tells_what_is_to_come_as_to_come(world, clock):
    placement = placed(world, clock, core="700.00")
    start = placement.start_date
    _price_change(placement, start + timedelta(days=40), "840.00", world, clock)
    clock.set(clock.now() + timedelta(days=40))  # notice given on the 30th day, the price and the end to come
    endings.record(world.member_officer, placement, _ending(placement), clock.now())
    today = endings.uk_today(clock.now())
    assert placement.end_date > today
    texts = [event.text for event in placements.history(placement, today)]
    assert texts[1].startswith("Written notice given by the provider")
    assert texts[2] == "Weekly price changes to £840.00: Negotiated"
    assert texts[3].startswith("Unplanned ending to come")
