"""Publishing a referral (its default deadline by urgency, what must be done first) and withdrawing it."""

from datetime import datetime, time, timedelta

from portal.errors import DomainError
from portal.models import (
    Referral,
    ReferralRound,
    User,
)
from portal.models.referral import (
    CLOSED,
    DRAFT,
    MORE_THAN_5_DAYS,
    OPEN,
    STATUS_LABELS,
    TODAY,
    WITHDRAWN,
    WITHIN_5_DAYS,
)
from portal.models.user import PROVIDER_USER
from portal.services import anonymity, approvals, audit, endings, mail, members
from portal.services.referrals.drafting import (
    FREE_TEXT_FIELDS,
    _commit,
    _require_officer,
    _state,
    check,
    funding_problem,
    london_today,
    still_to_do,
)
from portal.services.referrals.invitations import (
    _first_tier_with_providers,
    _invited,
    _open_round,
    _provider_link,
    _require_deadline,
)
from portal.timezone import format_date, local_datetime
from portal.workdays import add_working_days

# Urgency: how long providers get by default.
END_OF_DAY = time(17, 0)
MIDDAY = time(12, 0)
SHORTEST_NOTICE = timedelta(hours=2)
WORKING_DAYS_TO_BID = {WITHIN_5_DAYS: 2, MORE_THAN_5_DAYS: 5}


def default_deadline(needed_by: str, now: datetime) -> datetime:
    """When bids close unless the officer says otherwise: by urgency, in London time, stored as UTC.

    Today: 17:00 today, but at least 2 hours from now. Within 5 days: midday two working days on.
    More than 5 days: midday five working days on."""
    today = london_today(now)
    if needed_by == TODAY:
        end_of_day = local_datetime(today, END_OF_DAY)
        return max(end_of_day, now + SHORTEST_NOTICE)
    if needed_by not in WORKING_DAYS_TO_BID:
        raise DomainError("Select when the placement is needed", field="needed_by")
    return local_datetime(add_working_days(today, WORKING_DAYS_TO_BID[needed_by]), MIDDAY)


def _findings_by_field(findings: dict, keep) -> dict:
    kept = {name: [finding for finding in found if keep(finding)] for name, found in findings.items()}
    return {name: found for name, found in kept.items() if found}


def publication_problems(referral: Referral, now: datetime, *, anonymity_too: bool = True) -> list[str]:
    """Why the referral cannot be published yet (the deadline aside): first each field still to fill in, then the
    rest; empty when it can. Without `anonymity_too`, the findings of the anonymity check are left out (for the
    page that shows them in place)."""
    reasons = [f"Complete the referral: {message[0].lower()}{message[1:]}"
               for message in still_to_do(referral).values()]
    if not members.is_current_member(referral.dps, referral.authority_id):
        reasons.append("Your authority is no longer a member of this DPS: it can start no new referral on it")
    findings = check(referral) if anonymity_too else {}
    child = _findings_by_field(findings, lambda finding: finding.kind != anonymity.STAFF_NAME)
    if child:
        count = sum(len(found) for found in child.values())
        reasons.append(f"Remove the {count} thing{'s' if count != 1 else ''} that could identify the child "
                        f"(in {', '.join(FREE_TEXT_FIELDS[name].lower() for name in child)})")
    staff = _findings_by_field(findings, lambda finding: finding.kind == anonymity.STAFF_NAME)
    if staff:
        count = sum(len(found) for found in staff.values())
        reasons.append(f"Remove the {count} name{'s' if count != 1 else ''} of your authority's staff "
                       f"(in {', '.join(FREE_TEXT_FIELDS[name].lower() for name in staff)})")
    funding = funding_problem(referral)
    if funding:
        reasons.append(funding)
    reasons.extend(endings.new_search_problems(referral))
    if referral.required_start is not None and referral.required_start < london_today(now):
        reasons.append("The required start date has passed: change it")
    lot = referral.lot
    if referral.age_years is not None and lot.category_for(referral.age_years) is None:
        categories = (f" (age categories {', '.join(c.age_band for c in lot.categories)})" if lot.is_divided else "")
        reasons.append(f"{lot.label} is for ages {lot.age_band}{categories}: a child aged {referral.age_years} is in "
                       "none of its age categories, check the age")
    mismatch = age_mismatch(referral, now)
    if mismatch:
        reasons.append(mismatch)
    return reasons


def age_mismatch(referral: Referral, now: datetime) -> str | None:
    """Why the age the referral gives is not the child's age today by its date of birth (a draft saved before a
    birthday, or a slip in either), or None when they agree or one is not known. The age decides the age category
    whose providers are invited, so it must be right when the referral is published."""
    child = referral.child
    today = london_today(now)
    actual = child.age_on(today) if child is not None else None
    if referral.age_years is None or actual is None or actual == referral.age_years:
        return None
    category = referral.lot.category_for(actual)
    goes_to = (f" (a child of {actual} is in ages {category.age_band})"
               if referral.lot.is_divided and category is not None else "")
    return (f"The child's date of birth, {format_date(child.date_of_birth)}, makes them {actual} today, "
            f"but the referral gives the age as {referral.age_years}: change the age{goes_to}, or correct the date "
            "of birth")


def publish(officer: User, referral: Referral, now: datetime, *, deadline: datetime | None = None) -> ReferralRound:
    """Send the referral to the first tier with providers to invite in the age category of the child's age (every
    provider in the category where it has no tiers).

    The deadline is the one given, else the one saved on the draft, else the default for the urgency. The
    weighting is fixed now: the officer's own, or the DPS's current one."""
    _require_officer(officer, referral)
    referral.require_status(now, DRAFT, action="publish this referral")
    reasons = publication_problems(referral, now)
    if reasons:
        raise DomainError("; ".join(reasons), field="publish")
    deadline = _require_deadline(deadline or referral.bid_deadline or default_deadline(referral.needed_by, now), now)
    referral.category = referral.lot.category_for(referral.age_years)
    tier, memberships = _first_tier_with_providers(referral, None)
    if not memberships:
        raise DomainError(f"Nobody can be invited: no provider on {referral.category.full_label} is admitted and "
                          "free to bid", field="publish")
    if referral.quality_weight is None or referral.cost_weight is None:
        weighting = referral.dps.current_question_set
        referral.quality_weight = weighting.quality_weight if weighting else 100
        referral.cost_weight = weighting.cost_weight if weighting else 0
    referral.bid_deadline = deadline
    referral.published_at = now
    referral.published_by_id = officer.id
    referral.updated_at = now
    round_ = _open_round(officer, referral, tier=tier, memberships=memberships, deadline=deadline, now=now)
    skipped = list(range(1, tier)) if tier else []
    audit.record(at=now, actor=officer, action="referral.published", entity=referral,
                 summary=f"Referral {referral.reference} published to {_invited(round_, memberships, skipped)}",
                 after={**_state(referral), "deadline": deadline, "tier": tier, "skipped_tiers": skipped,
                        "invited": [m.provider_id for m in memberships]})
    _commit()
    return round_


def withdraw(officer: User, referral: Referral, reason: str, now: datetime) -> None:
    """Withdraw a draft, open or closed referral; invited providers are told."""
    _require_officer(officer, referral)
    referral.require_status(now, DRAFT, OPEN, CLOSED, action="withdraw this referral")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Give the reason for withdrawing the referral", field="reason")
    if len(reason) > 2000:
        raise DomainError("The reason must be 2000 characters or fewer", field="reason")
    before = referral.status(now)
    referral.withdrawn_at = now
    referral.withdrawn_reason = reason
    referral.updated_at = now
    link = _provider_link(referral)
    for invitation in referral.invitations:
        for user in invitation.provider.users:
            if user.active and user.has_role(PROVIDER_USER):
                mail.notify(user, at=now, link=link, subject=f"Referral {referral.reference} has been withdrawn",
                            body=f"Referral {referral.reference} ({referral.lot.label}) has been withdrawn by the "
                                 "referring authority. No bid is needed; any bid you sent will not be considered.")
    audit.record(at=now, actor=officer, action="referral.withdrawn", entity=referral,
                 # The reason stays on the referral: free text may name the child, and the trail is read by the
                 # consortium's administrators.
                 summary=f"Referral {referral.reference} withdrawn (it was {STATUS_LABELS[before].lower()})",
                 before={"status": before}, after={"status": WITHDRAWN})
    approvals.close_pending(officer, referral, now, why=f"referral {referral.reference} withdrawn")
    _commit()
