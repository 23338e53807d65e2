"""Placement reviews and cost reviews.

- A placement's next review is due `interval` calendar months after its latest review, or after its start when
  none has been held; the interval is the authority's setting (DEFAULT_INTERVAL_MONTHS without one), changed by
  its commissioning officers, who hold the reviews. A review due within DUE_SOON_DAYS, or overdue, is on the
  officers' Tasks until it is recorded; an ended placement needs none.
- An event can make a placement's review due sooner (an Ofsted judgement that fell, an enforcement notice, a
  termination): `request_reviews` raises a ReviewRequest, answered by the first review held on or after the day
  it was raised; until then the review is due on the request's date, whatever the interval says.
- Each additional cost with a review date (from the agreement) is on the Tasks from DUE_SOON_DAYS before that
  date until the officer records its review: kept, changed or ended, with a note.
- The provider reads the outcome of each review that concerns it (the date and whether the placement meets the
  needs in the child's plan), never the notes nor who attended (they may name the child).
"""

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache

from portal.errors import DomainError, NotFound, Problems
from portal.extensions import db
from portal.models import (
    CostReview,
    Placement,
    PlacementCost,
    PlacementReview,
    ReviewRequest,
    ReviewSetting,
    User,
)
from portal.models.placement_review import COST_DECISIONS, DEFAULT_INTERVAL_MONTHS, INTERVAL_CHOICES, MEETS_NEEDS
from portal.models.user import COMMISSIONING_OFFICER
from portal.services import audit, counting
from portal.timezone import format_date
from portal.timezone import uk_today as today_at

DUE_SOON_DAYS = 14
TASKS_SHOWN = 50  # the Tasks page lists the first so many of each kind, and says how many there are
MAX_TEXT = 4000


def add_months(day: date, months: int) -> date:
    """The same day `months` calendar months later, the month's last day when it has no such day."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def months_before(day: date, months: int) -> date:
    """The latest date whose `add_months` is on or before `day` (so a last review on or before it is due by then)."""
    candidate = add_months(day, -months)
    while add_months(candidate + timedelta(days=1), months) <= day:
        candidate += timedelta(days=1)
    return candidate


# The interval -------------------------------------------------------------------------------------------------

def interval_months(authority_id: int) -> int:
    months = db.session.scalar(db.select(ReviewSetting.interval_months)
                               .where(ReviewSetting.authority_id == authority_id))
    return months or DEFAULT_INTERVAL_MONTHS


def set_interval(user: User, months, now: datetime) -> None:
    """An officer sets the authority's interval between placement reviews (one of INTERVAL_CHOICES)."""
    if not user.has_role(COMMISSIONING_OFFICER):
        raise NotFound()
    try:
        months = int(months)
    except (TypeError, ValueError):
        raise DomainError("Choose how many months between reviews", field="months") from None
    if months not in INTERVAL_CHOICES:
        raise DomainError("Choose how many months between reviews", field="months")
    setting = db.session.scalar(db.select(ReviewSetting).where(ReviewSetting.authority_id == user.organisation_id))
    before = setting.interval_months if setting else DEFAULT_INTERVAL_MONTHS
    if setting is None:
        setting = ReviewSetting(authority_id=user.organisation_id)
        db.session.add(setting)
    setting.interval_months, setting.updated_by_id, setting.updated_at = months, user.id, now
    db.session.flush()
    audit.record(at=now, actor=user, action="review_interval.set", entity=setting,
                 summary=f"Placement reviews due every {months} months", before={"months": before},
                 after={"months": months})
    db.session.commit()


# Placement reviews --------------------------------------------------------------------------------------------

def reviews_of(placement: Placement) -> list[PlacementReview]:
    return list(db.session.scalars(db.select(PlacementReview).where(PlacementReview.placement_id == placement.id)
                                   .order_by(PlacementReview.held_on.desc(), PlacementReview.id.desc())))


def next_due(placement: Placement, last_held_on: date | None, months: int) -> date:
    return add_months(last_held_on or placement.start_date, months)


def _officer_of(user: User, placement: Placement) -> None:
    if not user.has_role(COMMISSIONING_OFFICER) or user.organisation_id != placement.authority_id:
        raise NotFound()


def _text(value, field: str, label: str, *, required: bool) -> str:
    value = (value or "").strip()
    if required and not value:
        raise DomainError(f"Enter {label}", field=field)
    if len(value) > MAX_TEXT:
        raise DomainError(f"{label[0].upper()}{label[1:]} must be {MAX_TEXT} characters or fewer", field=field)
    return value


def _one_of(value, allowed, field: str, message: str) -> None:
    if value not in allowed:
        raise DomainError(message, field=field)


def _past_date(day: date | None, placement: Placement, now: datetime, field: str, what: str) -> date:
    if day is None:
        raise DomainError(f"Enter the date {what}", field=field)
    if day > today_at(now):
        raise DomainError(f"The date {what} must be today or in the past", field=field)
    if day < placement.start_date:
        raise DomainError(f"The date {what} must be on or after the placement's start, "
                          f"{format_date(placement.start_date)}", field=field)
    return day


def record_review(officer: User, placement: Placement, *, held_on: date | None, attendees: str, meets_needs: str,
                  notes: str, now: datetime) -> PlacementReview:
    _officer_of(officer, placement)
    problems = Problems()
    held_on = problems.check(_past_date, held_on, placement, now, "held_on", "of the review")
    attendees = problems.check(_text, attendees, "attendees", "who attended", required=True)
    problems.check(_one_of, meets_needs, MEETS_NEEDS, "meets_needs",
                   "Choose whether the placement meets the needs in the child's plan")
    notes = problems.check(_text, notes, "notes", "the notes", required=False)
    problems.raise_any()
    same = db.session.scalar(db.select(PlacementReview).where(
        PlacementReview.placement_id == placement.id, PlacementReview.held_on == held_on,
        PlacementReview.meets_needs == meets_needs, PlacementReview.attendees == attendees,
        PlacementReview.notes == notes).limit(1))
    if same is not None:
        return same  # sent twice: recorded once
    review = PlacementReview(placement_id=placement.id, held_on=held_on, attendees=attendees,
                             meets_needs=meets_needs, notes=notes, recorded_by_id=officer.id, recorded_at=now)
    db.session.add(review)
    db.session.flush()
    audit.record(at=now, actor=officer, action="placement_review.recorded", entity=review,
                 summary=f"Review of {placement.agreement_reference} held on {format_date(held_on)} recorded",
                 after={"held_on": held_on, "meets_needs": meets_needs, "notes_length": len(notes)})
    db.session.commit()
    return review


@dataclass
class ReviewDue:
    placement: Placement
    last_held_on: date | None
    due_on: date
    overdue: bool
    requested: bool = False  # made due by an event (ReviewRequest), not by the interval


def request_reviews(placement_ids, *, reason: str, due_on: date, source, now: datetime) -> int:
    """Make a review due by `due_on` for each placement (one INSERT however many): the reason speaks of the
    provider or setting, never of a child. The caller audits the event that caused it and commits."""
    ids = sorted(set(placement_ids))
    if ids:
        db.session.execute(db.insert(ReviewRequest), [
            {"placement_id": placement_id, "raised_on": today_at(now), "due_on": due_on, "reason": reason,
             "source_type": type(source).__tablename__ if source is not None else None,
             "source_id": getattr(source, "id", None), "raised_at": now} for placement_id in ids])
    return len(ids)


def open_requests(placement: Placement) -> list[ReviewRequest]:
    """The placement's review requests not yet answered by a review, oldest first."""
    answered = db.select(PlacementReview.id).where(PlacementReview.placement_id == ReviewRequest.placement_id,
                                                   PlacementReview.held_on >= ReviewRequest.raised_on)
    return list(db.session.scalars(db.select(ReviewRequest).where(
        ReviewRequest.placement_id == placement.id, ~answered.exists()).order_by(ReviewRequest.due_on,
                                                                                  ReviewRequest.id)))


@cache
def _open_requests_subquery():
    """Each placement's earliest open review request (built once: the menu counts with it on every page)."""
    answered = db.select(PlacementReview.id).where(PlacementReview.placement_id == ReviewRequest.placement_id,
                                                   PlacementReview.held_on >= ReviewRequest.raised_on)
    return (db.select(ReviewRequest.placement_id, db.func.min(ReviewRequest.due_on).label("due_on"))
            .where(~answered.exists()).group_by(ReviewRequest.placement_id).subquery())


@cache
def _last_reviews_subquery():
    """Each placement's latest review (built once, as above)."""
    return (db.select(PlacementReview.placement_id, db.func.max(PlacementReview.held_on).label("held_on"))
            .group_by(PlacementReview.placement_id).subquery())


def _reviews_due(authority_id: int, today: date, months: int):
    """The placements whose next review is due within DUE_SOON_DAYS or overdue, by the interval or by a request,
    with their latest review's date and the earliest open request's date (the date arithmetic is done on the
    threshold, so the filter stays in SQL)."""
    soon = today + timedelta(days=DUE_SOON_DAYS)
    threshold = months_before(soon, months)
    last = _last_reviews_subquery()
    requested = _open_requests_subquery()
    since = db.func.coalesce(last.c.held_on, Placement.start_date)
    return (db.select(Placement, last.c.held_on, requested.c.due_on)
            .outerjoin(last, last.c.placement_id == Placement.id)
            .outerjoin(requested, requested.c.placement_id == Placement.id)
            .where(Placement.authority_id == authority_id,
                   db.or_(Placement.end_date.is_(None), Placement.end_date > today),
                   db.or_(since <= threshold, requested.c.due_on <= soon))
            .order_by(requested.c.due_on.is_(None), requested.c.due_on, since, Placement.id))


def reviews_due(user: User, now: datetime) -> list[ReviewDue]:
    """The authority's placements, not ended, whose next review is due within DUE_SOON_DAYS or overdue, the most
    overdue first: the first TASKS_SHOWN (`due_totals` counts them all). One query for the setting, one for the
    placements."""
    if not user.has_role(COMMISSIONING_OFFICER):
        return []
    today = today_at(now)
    months = interval_months(user.organisation_id)
    rows = db.session.execute(_reviews_due(user.organisation_id, today, months).options(
        db.selectinload(Placement.provider), db.selectinload(Placement.off_framework_provider))
        .limit(TASKS_SHOWN)).all()
    due = []
    for placement, held_on, requested_on in rows:
        on = next_due(placement, held_on, months)
        if requested_on is not None and requested_on < on:
            due.append(ReviewDue(placement, held_on, requested_on, requested_on < today, requested=True))
        else:
            due.append(ReviewDue(placement, held_on, on, on < today))
    return due


# Cost reviews -------------------------------------------------------------------------------------------------

@dataclass
class CostReviewDue:
    cost: PlacementCost
    placement: Placement
    overdue: bool


def _cost_reviews_due(authority_id: int, today: date):
    reviewed = db.select(CostReview.id).where(CostReview.cost_id == PlacementCost.id,
                                               CostReview.due_on == PlacementCost.review_date)
    return (db.select(PlacementCost, Placement).join(Placement, Placement.id == PlacementCost.placement_id)
            .where(Placement.authority_id == authority_id,
                   db.or_(Placement.end_date.is_(None), Placement.end_date > today),
                   PlacementCost.review_date.is_not(None),
                   PlacementCost.review_date <= today + timedelta(days=DUE_SOON_DAYS), ~reviewed.exists())
            .order_by(PlacementCost.review_date, PlacementCost.id))


def cost_reviews_due(user: User, now: datetime) -> list[CostReviewDue]:
    """Additional costs of the authority's placements (not ended) whose review date is within DUE_SOON_DAYS or
    past, and whose review on that date is not recorded: the first TASKS_SHOWN. One query."""
    if not user.has_role(COMMISSIONING_OFFICER):
        return []
    rows = db.session.execute(_cost_reviews_due(user.organisation_id, today_at(now)).options(
        db.selectinload(Placement.provider), db.selectinload(Placement.off_framework_provider))
        .limit(TASKS_SHOWN)).all()
    return [CostReviewDue(cost, placement, cost.review_date < today_at(now)) for cost, placement in rows]


def due_totals(user: User, now: datetime) -> tuple[int, int]:
    """How many placement reviews and how many cost reviews are due (the Tasks page lists the first TASKS_SHOWN)."""
    if not user.has_role(COMMISSIONING_OFFICER):
        return 0, 0
    placement_reviews, cost_reviews = counting.counts(task_counters(user, now))
    return placement_reviews, cost_reviews


def task_count(user: User, now: datetime) -> int:
    """How many placement reviews and cost reviews the Tasks page lists for the user: two small queries (the
    interval, and the two COUNTs together), for the navigation."""
    return sum(due_totals(user, now))


def task_counters(user: User, now: datetime) -> list:
    """The COUNTs of the placement reviews and cost reviews due (reading the authority's interval first), for the
    menu to run with its other counts."""
    if not user.has_role(COMMISSIONING_OFFICER):
        return []
    today = today_at(now)
    authority_id = user.organisation_id
    return [counting.count_of(_reviews_due(authority_id, today, interval_months(authority_id))),
            counting.count_of(_cost_reviews_due(authority_id, today))]


def cost_of(user: User, placement: Placement, cost_id: int) -> PlacementCost:
    _officer_of(user, placement)
    cost = db.session.get(PlacementCost, cost_id)
    if cost is None or cost.placement_id != placement.id or cost.review_date is None:
        raise NotFound()
    return cost


def cost_reviews_of(placement: Placement) -> list[CostReview]:
    return list(db.session.scalars(
        db.select(CostReview).join(PlacementCost, PlacementCost.id == CostReview.cost_id)
        .where(PlacementCost.placement_id == placement.id).order_by(CostReview.due_on.desc(), CostReview.id.desc())))


def record_cost_review(officer: User, placement: Placement, cost: PlacementCost, *, decision: str, note: str,
                       now: datetime) -> CostReview:
    """The officer's review of an additional cost on its review date. Once recorded, that date's task is gone; a
    second submission for the same date is refused."""
    _officer_of(officer, placement)
    if cost.placement_id != placement.id or cost.review_date is None:
        raise NotFound()
    if decision not in COST_DECISIONS:
        raise DomainError("Choose whether the cost continues, changes or ends", field="decision")
    note = _text(note, "note", "a note of the review", required=decision != "continued")
    if db.session.scalar(db.select(CostReview.id).where(CostReview.cost_id == cost.id,
                                                        CostReview.due_on == cost.review_date)) is not None:
        raise DomainError(f"The review of this cost due on {format_date(cost.review_date)} is already recorded.")
    review = CostReview(cost_id=cost.id, due_on=cost.review_date, decision=decision, note=note,
                        recorded_by_id=officer.id, recorded_at=now)
    db.session.add(review)
    db.session.flush()
    audit.record(at=now, actor=officer, action="cost_review.recorded", entity=review,
                 summary=f"Review of the cost \u201c{cost.description}\u201d of {placement.agreement_reference}: "
                         f"{COST_DECISIONS[decision].lower()}",
                 after={"due_on": cost.review_date, "decision": decision, "note_length": len(note)})
    db.session.commit()
    return review


# What the provider reads ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ReviewOutcome:
    held_on: date
    meets_needs: str  # in words


def outcomes_for_provider(placement: Placement) -> list[ReviewOutcome]:
    """The outcome of each review, without notes nor attendees (they may name the child)."""
    rows = db.session.execute(db.select(PlacementReview.held_on, PlacementReview.meets_needs)
                              .where(PlacementReview.placement_id == placement.id)
                              .order_by(PlacementReview.held_on.desc(), PlacementReview.id.desc())).all()
    return [ReviewOutcome(held_on, MEETS_NEEDS.get(meets, meets)) for held_on, meets in rows]
