"""Feedback on a placement and the allegations, safeguarding concerns and incidents recorded against it.

- Feedback: the officer records the social worker's or independent reviewing officer's rating (1 poor to 5
  excellent) and comment; `provider_feedback_summary` gives a provider's count and average rating, for its
  contract review.
- Incidents: recorded by the placing authority's officer (date, category, whether the LADO and the police were
  informed, outcome, whether it ended the placement). The summary and outcome may speak of the child: only the
  placing authority reads them. The provider, and contract management, read that one was recorded: its category
  and date (`incidents_for_provider`).
"""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from portal.errors import DomainError, NotFound, Problems
from portal.extensions import db
from portal.models import Placement, PlacementFeedback, PlacementIncident, User
from portal.models.placement_life import FEEDBACK_FROM, INCIDENT_CATEGORIES, RATINGS
from portal.models.user import COMMISSIONING_OFFICER
from portal.services import audit, ladder
from portal.timezone import format_date, to_local

MAX_TEXT = 4000


def _officer_of(user: User, placement: Placement) -> None:
    if not user.has_role(COMMISSIONING_OFFICER) or user.organisation_id != placement.authority_id:
        raise NotFound()


def _day(day: date | None, placement: Placement, now: datetime, field: str, what: str) -> date:
    if day is None:
        raise DomainError(f"Enter the date {what}", field=field)
    if day > to_local(now).date():
        raise DomainError(f"The date {what} must be today or in the past", field=field)
    if day < placement.start_date:
        raise DomainError(f"The date {what} must be on or after the placement's start, "
                          f"{format_date(placement.start_date)}", field=field)
    return day


def _one_of(value, allowed, field: str, message: str) -> None:
    if value not in allowed:
        raise DomainError(message, field=field)


def _text(value, field: str, label: str, *, required: bool = False) -> str:
    value = (value or "").strip()
    if required and not value:
        raise DomainError(f"Enter {label}", field=field)
    if len(value) > MAX_TEXT:
        raise DomainError(f"{label[0].upper()}{label[1:]} must be {MAX_TEXT} characters or fewer", field=field)
    return value


# Feedback -----------------------------------------------------------------------------------------------------

def record_feedback(officer: User, placement: Placement, *, given_on: date | None, given_by: str, rating,
                    comment: str, now: datetime) -> PlacementFeedback:
    _officer_of(officer, placement)
    problems = Problems()
    given_on = problems.check(_day, given_on, placement, now, "given_on", "the feedback was given")
    problems.check(_one_of, given_by, FEEDBACK_FROM, "given_by", "Choose who gave the feedback")
    try:
        rating = int(rating)
    except (TypeError, ValueError):
        rating = None
    problems.check(_one_of, rating, RATINGS, "rating", "Choose a rating from 1 (poor) to 5 (excellent)")
    comment = problems.check(_text, comment, "comment", "the comment")
    problems.raise_any()
    same = db.session.scalar(db.select(PlacementFeedback).where(
        PlacementFeedback.placement_id == placement.id, PlacementFeedback.given_on == given_on,
        PlacementFeedback.given_by == given_by, PlacementFeedback.rating == rating,
        PlacementFeedback.comment == comment).limit(1))
    if same is not None:
        return same  # sent twice: recorded once
    feedback = PlacementFeedback(placement_id=placement.id, given_on=given_on, given_by=given_by, rating=rating,
                                 comment=comment, recorded_by_id=officer.id, recorded_at=now)
    db.session.add(feedback)
    db.session.flush()
    audit.record(at=now, actor=officer, action="placement_feedback.recorded", entity=feedback,
                 summary=f"Feedback on {placement.agreement_reference} from the {FEEDBACK_FROM[given_by].lower()}: "
                         f"{rating} out of 5",
                 after={"given_on": given_on, "given_by": given_by, "rating": rating, "comment_length": len(comment)})
    db.session.commit()
    return feedback


def feedback_of(placement: Placement) -> list[PlacementFeedback]:
    return list(db.session.scalars(db.select(PlacementFeedback).where(PlacementFeedback.placement_id == placement.id)
                                   .order_by(PlacementFeedback.given_on.desc(), PlacementFeedback.id.desc())))


@dataclass(frozen=True)
class FeedbackSummary:
    count: int
    average: Decimal | None  # to one decimal place; None without feedback


def provider_feedback_summary(provider_id: int, *, since: date | None = None,
                              until: date | None = None) -> FeedbackSummary:
    """How many ratings a provider's placements received (given on or after `since`, before `until`) and their
    average: for its contract review. One query."""
    query = (db.select(db.func.count(PlacementFeedback.id), db.func.avg(PlacementFeedback.rating))
             .join(Placement, Placement.id == PlacementFeedback.placement_id)
             .where(Placement.provider_id == provider_id))
    if since is not None:
        query = query.where(PlacementFeedback.given_on >= since)
    if until is not None:
        query = query.where(PlacementFeedback.given_on < until)
    count, average = db.session.execute(query).one()
    if not count:
        return FeedbackSummary(0, None)
    return FeedbackSummary(count, Decimal(str(average)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


# Incidents ----------------------------------------------------------------------------------------------------

def record_incident(officer: User, placement: Placement, *, occurred_on: date | None, category: str, summary: str,
                    lado_informed: bool, police_informed: bool, outcome: str, ended_placement: bool,
                    now: datetime) -> PlacementIncident:
    _officer_of(officer, placement)
    problems = Problems()
    occurred_on = problems.check(_day, occurred_on, placement, now, "occurred_on", "it happened")
    problems.check(_one_of, category, INCIDENT_CATEGORIES, "category", "Choose what is recorded")
    summary = problems.check(_text, summary, "summary", "a summary of what happened", required=True)
    outcome = problems.check(_text, outcome, "outcome", "the outcome")
    problems.raise_any()
    same = db.session.scalar(db.select(PlacementIncident).where(
        PlacementIncident.placement_id == placement.id, PlacementIncident.occurred_on == occurred_on,
        PlacementIncident.category == category, PlacementIncident.summary == summary).limit(1))
    if same is not None:
        return same  # sent twice: recorded once
    incident = PlacementIncident(placement_id=placement.id, occurred_on=occurred_on, category=category,
                                 summary=summary, lado_informed=bool(lado_informed),
                                 police_informed=bool(police_informed), outcome=outcome,
                                 ended_placement=bool(ended_placement), recorded_by_id=officer.id, recorded_at=now)
    db.session.add(incident)
    db.session.flush()
    audit.record(at=now, actor=officer, action="placement_incident.recorded", entity=incident,
                 summary=f"{INCIDENT_CATEGORIES[category]} recorded against {placement.agreement_reference}",
                 # the summary and outcome stay on the record: they may name the child
                 after={"occurred_on": occurred_on, "category": category, "lado_informed": bool(lado_informed),
                        "police_informed": bool(police_informed), "ended_placement": bool(ended_placement),
                        "summary_length": len(summary), "outcome_length": len(outcome)})
    ladder.safeguarding_review(incident, now)  # an allegation that ended the placement: a contract review
    db.session.commit()
    return incident


def incident_of(user: User, placement: Placement, incident_id: int) -> PlacementIncident:
    _officer_of(user, placement)
    incident = db.session.get(PlacementIncident, incident_id)
    if incident is None or incident.placement_id != placement.id:
        raise NotFound()
    return incident


def record_outcome(officer: User, incident: PlacementIncident, *, outcome: str, ended_placement: bool,
                   now: datetime) -> None:
    """The outcome of an incident once known (it may be recorded open, with no outcome)."""
    _officer_of(officer, incident.placement)
    outcome = _text(outcome, "outcome", "the outcome", required=True)
    before = {"outcome_length": len(incident.outcome), "ended_placement": incident.ended_placement}
    incident.outcome, incident.ended_placement = outcome, bool(ended_placement)
    audit.record(at=now, actor=officer, action="placement_incident.outcome", entity=incident,
                 summary=f"Outcome of the {incident.category} of {format_date(incident.occurred_on)} recorded",
                 before=before, after={"outcome_length": len(outcome), "ended_placement": bool(ended_placement)})
    ladder.safeguarding_review(incident, now)
    db.session.commit()


def incidents_of(placement: Placement) -> list[PlacementIncident]:
    return list(db.session.scalars(db.select(PlacementIncident).where(PlacementIncident.placement_id == placement.id)
                                   .order_by(PlacementIncident.occurred_on.desc(), PlacementIncident.id.desc())))


@dataclass(frozen=True)
class IncidentNotice:
    """What the provider reads of an incident: that one was recorded, its category and date."""

    occurred_on: date
    category: str  # in words


def incidents_for_provider(placement: Placement) -> list[IncidentNotice]:
    rows = db.session.execute(db.select(PlacementIncident.occurred_on, PlacementIncident.category)
                              .where(PlacementIncident.placement_id == placement.id)
                              .order_by(PlacementIncident.occurred_on.desc(), PlacementIncident.id.desc())).all()
    return [IncidentNotice(day, INCIDENT_CATEGORIES.get(category, category)) for day, category in rows]
