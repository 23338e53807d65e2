"""Ending a placement, and what follows an unplanned ending.

The authority records the ending (`record`): who gave written notice and when, the end date (the first day the
child no longer lives there), planned or unplanned, the reason (ENDING_REASONS) with its detail, and for a move or
a step-down the placement that follows (one of the same child's placements). The provider may give notice in the
portal (`give_notice`): the notice is dated today (UK time) and the provider chooses the end date; the
authority's officers are told, and complete the ending (planned or not) when the child moves.

The 28-day rule: a provider must give NOTICE_DAYS calendar days' written notice, counted from the day notice was
given to the end date (weekends and bank holidays count). Fewer is a breach of the agreement
(`short_notice_breach`). An authority's short notice is recorded but is never the provider's breach.

After an unplanned ending, a new referral for the same child needs a head of service's and an assistant
director's agreement (two approvals, portal.services.approvals) before it can be published."""

from dataclasses import dataclass
from datetime import date, datetime

from flask import url_for

from portal.errors import DomainError, NotFound
from portal.extensions import db
from portal.models import Placement, Referral, User
from portal.models.approval import NEW_SEARCH_DIRECTOR, NEW_SEARCH_HEAD
from portal.models.placement_life import ENDING_REASONS, NOTICE_BY, NOTICE_DAYS
from portal.models.user import COMMISSIONING_OFFICER, PROVIDER_USER
from portal.services import approvals, audit, ladder, mail
from portal.timezone import format_date, uk_today

PROVIDER, AUTHORITY = "provider", "authority"
MAX_DETAIL = 2000
NEW_SEARCH_KINDS = (NEW_SEARCH_HEAD, NEW_SEARCH_DIRECTOR)


def notice_days(notice_given_on: date, end_date: date) -> int:
    """Calendar days from the day written notice was given to the end date."""
    return (end_date - notice_given_on).days


def is_short_notice(notice_given_on: date, end_date: date) -> bool:
    return notice_days(notice_given_on, end_date) < NOTICE_DAYS


def is_breach(notice_given_by: str, notice_given_on: date | None, end_date: date | None) -> bool:
    """The provider ended the placement with fewer than NOTICE_DAYS days' written notice."""
    return (notice_given_by == PROVIDER and notice_given_on is not None and end_date is not None
            and is_short_notice(notice_given_on, end_date))


@dataclass(frozen=True)
class Ending:
    """What the authority records of an ending (None where the form left it empty)."""

    notice_given_by: str | None
    notice_given_on: date | None
    end_date: date | None
    planned: bool | None
    reason: str | None
    detail: str = ""
    next_placement_id: int | None = None


def _state(placement: Placement) -> dict:
    """What the audit trail keeps of an ending: never the detail's text, which may name the child."""
    return {"notice_given_by": placement.notice_given_by, "notice_given_on": placement.notice_given_on,
            "end_date": placement.end_date, "ending_planned": placement.ending_planned,
            "ending_reason": placement.ending_reason, "ending_detail_length": len(placement.ending_detail or ""),
            "short_notice_breach": placement.short_notice_breach, "next_placement_id": placement.next_placement_id}


def following_choices(placement: Placement) -> list[Placement]:
    """The placements that may follow this one: the same child's others that started on or after its start."""
    referral = placement.referral
    if referral.child_id is None:
        return []
    return list(db.session.scalars(
        db.select(Placement).join(Referral, Referral.id == Placement.referral_id)
        .where(Referral.child_id == referral.child_id, Placement.id != placement.id,
               Placement.start_date >= placement.start_date)
        .order_by(Placement.start_date, Placement.id)))


def _before_start(placement: Placement) -> str:
    return f"The end date cannot be before the placement started ({format_date(placement.start_date)})"


def _checked(placement: Placement, ending: Ending, today: date) -> dict[str, str]:
    errors = {}
    if ending.notice_given_by not in NOTICE_BY:
        errors["notice_given_by"] = "Select who gave written notice"
    if ending.notice_given_on is None:
        errors["notice_given_on"] = "Enter the date written notice was given"
    elif ending.notice_given_on > today:
        errors["notice_given_on"] = "The date notice was given cannot be in the future"
    if ending.end_date is None:
        errors["end_date"] = "Enter the end date: the first day the child no longer lives there"
    elif ending.end_date < placement.start_date:
        errors["end_date"] = _before_start(placement)
    elif ending.notice_given_on is not None and ending.notice_given_on > ending.end_date:
        errors["notice_given_on"] = "The date notice was given cannot be after the end date"
    if ending.planned is None:
        errors["planned"] = "Select whether the ending was planned"
    if ending.reason not in ENDING_REASONS:
        errors["reason"] = "Select the reason the placement ended"
    detail = (ending.detail or "").strip()
    if ending.reason == "other" and not detail:
        errors["detail"] = "Say why the placement ended"
    if len(detail) > MAX_DETAIL:
        errors["detail"] = f"The detail must be {MAX_DETAIL} characters or fewer"
    if ending.next_placement_id is not None and ending.next_placement_id not in {
            choice.id for choice in following_choices(placement)}:
        errors["next_placement_id"] = "Select one of this child's later placements, or none"
    return errors


class EndingInvalid(DomainError):
    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def _require_officer(user: User, placement: Placement) -> None:
    if not user.has_role(COMMISSIONING_OFFICER) or user.organisation_id != placement.authority_id:
        raise NotFound()


def record(user: User, placement: Placement, ending: Ending, now: datetime) -> Placement:
    """The authority records (or corrects) the placement's ending; EndingInvalid with every problem by field."""
    _require_officer(user, placement)
    errors = _checked(placement, ending, uk_today(now))
    if errors:
        raise EndingInvalid(errors)
    before = _state(placement)
    placement.notice_given_by, placement.notice_given_on = ending.notice_given_by, ending.notice_given_on
    placement.end_date, placement.ending_planned = ending.end_date, ending.planned
    placement.ending_reason, placement.ending_detail = ending.reason, (ending.detail or "").strip()
    placement.next_placement_id = ending.next_placement_id
    placement.short_notice_breach = is_breach(ending.notice_given_by, ending.notice_given_on, ending.end_date)
    after = _state(placement)
    if after == before:
        return placement  # a double submit: nothing changes
    placement.ending_recorded_by_id, placement.ending_recorded_at = user.id, now
    audit.record(at=now, actor=user, action="placement.ending_recorded", entity=placement,
                 summary=f"Ending of placement {placement.agreement_reference} recorded: "
                         f"{'planned' if ending.planned else 'unplanned'}, ends {format_date(ending.end_date)}"
                         + (" (provider's short notice: a breach)" if placement.short_notice_breach else ""),
                 before=before, after=after)
    _tell_the_provider(placement)
    for incident in placement.incidents:  # an allegation or safeguarding concern recorded before the ending
        ladder.safeguarding_review(incident, now)
    db.session.commit()
    return placement


def _tell_the_provider(placement: Placement) -> None:
    """The provider learns of an ending the authority records, and of a short notice held against it: by the
    placement's reference only."""
    if placement.provider_id is None:
        return
    breach = f" It records your notice as fewer than the {NOTICE_DAYS} days the agreement requires: a breach." \
        if placement.short_notice_breach else ""
    for person in _users_with(placement.provider_id, PROVIDER_USER):
        mail.notify(person, at=placement.ending_recorded_at,
                    link=url_for("supplier.placement", placement_id=placement.id),
                    subject=f"Ending recorded: placement {placement.agreement_reference} ends "
                            f"{format_date(placement.end_date)}",
                    body=f"{placement.authority.name} recorded the ending of placement {placement.agreement_reference}"
                         f": the end date is {format_date(placement.end_date)} "
                         f"({'planned' if placement.ending_planned else 'unplanned'}).{breach}")


# The provider's notice ---------------------------------------------------------------------------------------

def _require_provider(user: User, placement: Placement) -> None:
    if not user.has_role(PROVIDER_USER) or placement.provider_id is None \
            or placement.provider_id != user.organisation_id:
        raise NotFound()


def give_notice(user: User, placement: Placement, *, end_date: date | None, reason: str | None, detail: str,
                now: datetime) -> Placement:
    """The provider gives written notice today (UK time) to end the placement on `end_date`; fewer than
    NOTICE_DAYS days is recorded as a breach. The authority's officers are told."""
    _require_provider(user, placement)
    today = uk_today(now)
    if placement.notice_given_on is not None or placement.end_date is not None:
        raise DomainError("Notice has already been given for this placement: contact the authority to change it.")
    errors = {}
    if end_date is None:
        errors["end_date"] = "Enter the end date: the first day the child will no longer live with you"
    elif end_date < today:
        errors["end_date"] = "The end date cannot be in the past"
    elif end_date < placement.start_date:
        errors["end_date"] = _before_start(placement)
    if reason not in ENDING_REASONS:
        errors["reason"] = "Select the reason for ending the placement"
    detail = (detail or "").strip()
    if reason == "other" and not detail:
        errors["detail"] = "Say why you are ending the placement"
    if len(detail) > MAX_DETAIL:
        errors["detail"] = f"The detail must be {MAX_DETAIL} characters or fewer"
    if errors:
        raise EndingInvalid(errors)
    before = _state(placement)
    placement.notice_given_by, placement.notice_given_on, placement.end_date = PROVIDER, today, end_date
    placement.ending_reason, placement.ending_detail = reason, detail
    placement.short_notice_breach = is_breach(PROVIDER, today, end_date)
    placement.ending_recorded_by_id, placement.ending_recorded_at = user.id, now
    days = notice_days(today, end_date)
    audit.record(at=now, actor=user, action="placement.notice_given", entity=placement,
                 summary=f"{placement.provider.name} gave notice to end placement {placement.agreement_reference} on "
                         f"{format_date(end_date)}: {days} days' notice"
                         + (" (short notice: a breach)" if placement.short_notice_breach else ""),
                 before=before, after=_state(placement))
    for officer in _officers(placement.authority_id):
        mail.notify(officer, at=now, link=url_for("buyer.placement", placement_id=placement.id),
                    subject=f"Notice given: placement {placement.agreement_reference} ends {format_date(end_date)}",
                    body=f"{placement.provider.name} gave written notice today to end placement "
                         f"{placement.agreement_reference} on {format_date(end_date)} ({days} days' notice"
                         + (f", fewer than the {NOTICE_DAYS} days the agreement requires" if days < NOTICE_DAYS
                            else "") + "). Record the ending when the child moves.")
    db.session.commit()
    return placement


def _users_with(organisation_id: int, role: str) -> list[User]:
    from portal.models import UserRole

    return list(db.session.scalars(db.select(User).where(
        User.organisation_id == organisation_id, User.active,
        User.id.in_(db.select(UserRole.user_id).where(UserRole.role == role))).order_by(User.id)))


def _officers(authority_id: int) -> list[User]:
    return _users_with(authority_id, COMMISSIONING_OFFICER)


# After an unplanned ending ------------------------------------------------------------------------------------

def unplanned_ending_before(referral: Referral) -> Placement | None:
    """The child's latest placement (from another referral), when it ended unplanned: a new search for the child
    then needs a head of service's and an assistant director's agreement."""
    if referral.child_id is None:
        return None
    latest = db.session.scalar(
        db.select(Placement).join(Referral, Referral.id == Placement.referral_id)
        .where(Referral.child_id == referral.child_id, Referral.id != referral.id)
        .order_by(Placement.start_date.desc(), Placement.id.desc()).limit(1))
    return latest if latest is not None and latest.ending_planned is False else None


def new_search_approvals(referral: Referral) -> dict[str, object]:
    """Each of the two kinds with its latest request (or None)."""
    return {kind: approvals.latest(referral, kind) for kind in NEW_SEARCH_KINDS}


def new_search_problems(referral: Referral) -> list[str]:
    """Why the referral may not yet be published for want of the agreements after an unplanned ending."""
    ended = unplanned_ending_before(referral)
    if ended is None:
        return []
    missing = [kind for kind in NEW_SEARCH_KINDS if approvals.granted(referral, kind) is None]
    if not missing:
        return []
    names = " and ".join(("a head of service" if kind == NEW_SEARCH_HEAD else "an assistant director")
                         for kind in missing)
    return [f"The child's last placement ({ended.agreement_reference}) ended unplanned: a new search needs the "
            f"agreement of {names} before it is published"]


def ask_new_search(user: User, referral: Referral, now: datetime) -> list:
    """Ask a head of service and an assistant director to agree to the new search (both, or neither when nobody
    could answer one of them). Requests already standing are kept."""
    ended = unplanned_ending_before(referral)
    if ended is None:
        raise DomainError("This referral needs no extra agreement: the child's last placement did not end unplanned.")
    if referral.published_at is not None:
        raise DomainError("This referral has been published: it needs no further agreement.")
    kinds = [kind for kind in NEW_SEARCH_KINDS if approvals.granted(referral, kind) is None]
    for kind in kinds:
        refusal = approvals.nobody_to_answer(user, referral, kind=kind, weekly_cost=None)
        if refusal:
            raise DomainError(refusal)
    summary = (f"A new search for the child of referral {referral.reference}, whose last placement "
               f"({ended.agreement_reference}) ended unplanned on {format_date(ended.end_date)}")
    return [approvals.request(user, referral, kind=kind, weekly_cost=None, summary=summary, now=now)
            for kind in kinds]
