"""Demonstration data for the placement's life, over whatever placements the demo has made: agreements issued and
signed, a change of price with its second version, reviews, feedback and an allegation. Everything goes through
the services, each at a time after the placement was made and before now.

On the framework placements not ended, by id: the first has version 1 signed by both and a change of price
approved, whose version 2 waits for the provider's signature (or, when it is the only one, for the
countersignature); the second's version 1 waits for the budget holder's countersignature; every other one's
version 1 is signed by both, but the last, left for the officer to issue. Every started placement has a review
each interval since its start, except the one whose latest review is left undone (overdue)."""

from datetime import datetime, time, timedelta

from portal.extensions import db
from portal.models import Placement, User, UserRole
from portal.models.approval import Approval
from portal.models.user import BUDGET_HOLDER, SIGNATORY
from portal.services import agreements, approvals, placement_records, reviews
from portal.timezone import local_datetime, to_local

SIGNERS = [("Gareth Lowry", "Registered manager"), ("Ifeoma Walsh", "Operations director")]


def _at(placement: Placement, moment: datetime, days: float) -> datetime:
    """A time `days` after the placement was made, and before now."""
    return min(placement.created_at + timedelta(days=days), moment - timedelta(minutes=30))


def _one(organisation_id: int, role: str, but: int | None = None) -> User | None:
    return db.session.scalar(db.select(User).where(
        User.organisation_id == organisation_id, User.active, User.id != (but or 0),
        User.id.in_(db.select(UserRole.user_id).where(UserRole.role == role))).order_by(User.id).limit(1))


def _sign(version, signatory: User, at: datetime, index: int) -> None:
    name, position = SIGNERS[index % len(SIGNERS)]
    agreements.sign_as_provider(signatory, version, name=name, position=position, sha256=version.sha256, now=at)


def _agree(placement: Placement, moment: datetime, *, provider_signs=True, countersigns=True, index=0):
    """Version 1 issued the day after the award, signed by the provider the day after, countersigned after."""
    holder = _one(placement.authority_id, BUDGET_HOLDER, but=placement.created_by_id)
    signatory = _one(placement.provider_id, SIGNATORY)
    if signatory is None or holder is None:
        return None
    version = agreements.issue(placement.created_by, placement, now=_at(placement, moment, 1))
    if provider_signs:
        _sign(version, signatory, _at(placement, moment, 2), index)
        if countersigns:
            agreements.countersign(holder, version, sha256=version.sha256, now=_at(placement, moment, 3))
    return version


def _price_change(placement: Placement, moment: datetime, *, provider_signs: bool) -> None:
    asked_at = _at(placement, moment, 8)
    # agreed ahead: from a fortnight after today, so the price in force today is still the award's
    effective = max(placement.start_date + timedelta(days=1), to_local(moment).date() + timedelta(days=14))
    weekly = (placement.weekly_cost * 108 / 100).quantize(placement.weekly_cost)
    change = agreements.request_price_change(
        placement.created_by, placement, weekly_cost=weekly, effective_from=effective, now=asked_at,
        reason="Two extra hours of key-work a week agreed with the provider after the first weeks, to support "
               "college attendance.")
    approval = db.session.get(Approval, change.approval_id)
    person, _role = approvals.answerers(approval)[0]
    approvals.answer(person, approval, approve=True, now=_at(placement, moment, 8.2))
    if provider_signs:
        version = agreements.awaiting(agreements.versions_of(placement))
        _sign(version, _one(placement.provider_id, SIGNATORY), _at(placement, moment, 9), 1)


def _reviews(placement: Placement, moment: datetime, *, leave_overdue: bool) -> bool:
    """A review ten days after the start and then each interval; with `leave_overdue`, the latest one (not the
    first) is left undone, so it is overdue. Whether one was left overdue."""
    today = to_local(moment).date()
    months = reviews.interval_months(placement.authority_id)
    first = placement.start_date + timedelta(days=10)
    held_on = first
    while held_on < today:
        if leave_overdue and held_on > first and reviews.add_months(held_on, months) >= today:
            return True
        recorded = max(local_datetime(held_on, time(15, 0)), placement.created_at)
        reviews.record_review(placement.created_by, placement, held_on=held_on, now=min(recorded, moment),
                              attendees="Social worker, independent reviewing officer, key worker, the young person",
                              meets_needs="partly" if held_on.month % 3 == 0 else "yes",
                              notes="Settling well; college attendance improving. Keep the key-work hours.")
        held_on = reviews.add_months(held_on, months)
    return False


def _feedback_and_allegation(placement: Placement, moment: datetime) -> None:
    today = to_local(moment).date()
    if placement.start_date >= today:
        return
    given = max(placement.start_date, today - timedelta(days=3))
    placement_records.record_feedback(placement.created_by, placement, given_on=given, given_by="social_worker",
                                      rating=4, comment="Warm, consistent key-work; communication with the social "
                                      "worker is prompt.", now=moment - timedelta(hours=6))
    placement_records.record_feedback(placement.created_by, placement, given_on=given, given_by="iro", rating=5,
                                      comment="The young person says they feel safe and listened to.",
                                      now=moment - timedelta(hours=5))
    placement_records.record_incident(
        placement.created_by, placement, occurred_on=given, category="allegation",
        summary="The young person alleged that a night worker spoke to them aggressively. The provider suspended "
                "the worker from the service pending investigation.", lado_informed=True, police_informed=False,
        outcome="", ended_placement=False, now=moment - timedelta(hours=4))


def load(moment: datetime) -> None:
    today = to_local(moment).date()
    placements = list(db.session.scalars(db.select(Placement).where(
        db.or_(Placement.end_date.is_(None), Placement.end_date > today)).order_by(Placement.id)))
    on_framework = [placement for placement in placements if placement.on_framework]
    for index, placement in enumerate(on_framework):
        if index == 0:
            if _agree(placement, moment, index=index) is not None:
                _price_change(placement, moment, provider_signs=len(on_framework) == 1)
        elif index == 1:
            _agree(placement, moment, countersigns=False, index=index)
        elif index < len(on_framework) - 1:
            _agree(placement, moment, index=index)
    overdue_left = False
    for placement in placements:
        overdue_left = _reviews(placement, moment, leave_overdue=not overdue_left) or overdue_left
    if on_framework:
        _feedback_and_allegation(on_framework[0], moment)
