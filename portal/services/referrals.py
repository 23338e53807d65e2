"""Referrals: a member authority's request for a child's placement, checked for anything that identifies the
child, published to the providers of a lot tier by tier, and closed, re-opened, exhausted or withdrawn.

The API, for the other modules (every `now` is naive UTC; every change commits, with its audit event):

    create(officer, *, lot, fields: dict, child: dict, now) -> Referral          # a draft
    update(officer, referral, *, fields: dict, child: dict, now) -> Referral     # drafts only
    record_funding(officer, referral, *, approved_by: str, approved_on: date, now)
    check(referral) -> dict[field, list[anonymity.Finding]]                     # empty: nothing identifies the child
    default_deadline(needed_by: str, now) -> datetime
    publish(officer, referral, now, *, deadline: datetime | None = None) -> ReferralRound
    reopen_to_next_tier(officer, referral, *, deadline, now) -> ReferralRound
    mark_exhausted(officer, referral, now); withdraw(officer, referral, reason, now)
    run_due(now) -> list[str]                                                    # closes rounds; idempotent
    get_for_authority(user, referral_id) -> Referral          # NotFound unless an officer of its authority
    invitation_for(user, referral_id) -> BidInvitation        # NotFound unless the user's provider was invited
    anonymised(referral) -> AnonymisedReferral                # all a provider may see
    for_authority(user, *, now, status=None, page=1, per_page=25) -> Pagination of Referral
    received_counts(referral_ids) -> dict[int, int]; status_counts(user, now) -> {"draft"|"open"|"closed": int}
    next_tier(referral) -> int | None; skipped_tiers(referral, round) -> list[int]
    eligible_memberships(referral, tier) -> list[LotMembership]; invitees_preview(referral) -> (tier, memberships)
    invitations_of(referral) -> list[BidInvitation]; publication_problems(referral, now) -> list[str]
    problems(lot, fields, child, now) -> dict[field, message]; dpss_for(user); lot_for(user, lot_id) -> Lot

`fields` holds the referral's own columns by name (see FIELD_NAMES), already typed: ints, `date`, `Decimal`,
bools, option codes, and lists of codes for the multiple-choice fields. `child` holds first_names, surname,
known_as, date_of_birth and case_number. Validation problems come back all at once as `ReferralInvalid`
(a DomainError whose `errors` maps each field to its message).

`anonymised(referral, now=None)`: the AnonymisedReferral's `sections` gives its fields as (heading, [(label, text)])
in the Placements Data Standard's groups, for pages and documents; `status` is set only when `now` is given.

tests/factories.py: admit(provider_user, lot, *, tier=1, caution=False, clock) -> LotMembership;
referral_fields(**overrides) -> dict; child_details(**overrides) -> dict (the canary identity: CHILD_FIRST_NAMES
"Kestrel", CHILD_SURNAME "Quennell-Abara", CHILD_DATE_OF_BIRTH 2010-03-14, CHILD_CASE_NUMBER "CN-48213-Q");
draft_referral(world, clock, *, lot=None, child=None, **field_overrides) (by world.member_officer; `child` is a dict
of overrides of the private part); published_referral(world, clock, *, lot=None, deadline=None, child=None,
**field_overrides) (admit providers first; funding recorded; deadline None: the default for the urgency).
"""

import logging
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation

from flask import url_for
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.routing import BuildError

from portal.errors import DomainError, NotFound
from portal.extensions import db
from portal.models import (
    Bid,
    BidInvitation,
    Dps,
    DpsMember,
    Lot,
    LotMembership,
    Organisation,
    Referral,
    ReferralChild,
    ReferralRound,
    User,
)
from portal.models.bid import SUBMITTED as BID_SUBMITTED
from portal.models.referral import (
    ADDITIONAL_SUPPORT,
    AWARDED,
    CLOSED,
    COMMUNICATION_NEEDS,
    CULTURAL_NEEDS,
    DRAFT,
    EXHAUSTED,
    LIVE_ALONGSIDE,
    MORE_THAN_5_DAYS,
    NEEDED_BY,
    OPEN,
    PETS,
    RISKS_TO_CHILD,
    RISKS_TO_OTHERS,
    STATUS_LABELS,
    SUITABILITY,
    TODAY,
    WITHDRAWN,
    WITHIN_5_DAYS,
    YES_NO_NOT_SPECIFIED,
)
from portal.models.user import COMMISSIONING_OFFICER, PROVIDER_USER
from portal.services import anonymity, audit, mail
from portal.timezone import format_date, format_datetime, local_datetime, to_local
from portal.workdays import add_working_days

log = logging.getLogger("portal.referrals")

MIN_AGE, MAX_AGE = 0, 25
MAX_SIBLINGS = 10
MAX_INDICATIVE_PRICE = Decimal("100000")
MAX_REFERENCE_ATTEMPTS = 5
INVITABLE_MEMBERSHIP = ("admitted", "place_with_caution")
BARRED_PROVIDER = ("suspended", "terminated")
CAUTION = "place_with_caution"

# Urgency: how long providers get by default.
END_OF_DAY = time(17, 0)
MIDDAY = time(12, 0)
SHORTEST_NOTICE = timedelta(hours=2)
WORKING_DAYS_TO_BID = {WITHIN_5_DAYS: 2, MORE_THAN_5_DAYS: 5}
URGENCY_PHRASES = {TODAY: "today", WITHIN_5_DAYS: "within 5 days", MORE_THAN_5_DAYS: "in more than 5 days"}

# The free text providers will read, in the order of the form: every one is checked for the child's identity.
FREE_TEXT_FIELDS = {
    "needs_summary": "Summary of needs",
    "education_needs": "Education needs",
    "adaptations_detail": "Adaptations to the home",
    "cultural_detail": "Cultural needs",
    "expected_duration": "Expected duration",
    "preferred_location": "Preferred location",
}

SINGLE_CHOICES = {
    "needed_by": NEEDED_BY,
    "communication_needs": YES_NO_NOT_SPECIFIED,
    "cultural_needs": CULTURAL_NEEDS,
    "live_alongside": LIVE_ALONGSIDE,
    "pets": PETS,
    "suitability_foster": SUITABILITY,
    "suitability_residential": SUITABILITY,
    "suitability_supported": SUITABILITY,
}
CHOICE_MESSAGES = {
    "needed_by": "Select when the placement is needed",
    "communication_needs": "Select whether the child has communication, language or learning needs",
    "cultural_needs": "Select the child's cultural needs",
    "live_alongside": "Select who the child can be cared for alongside",
    "pets": "Select whether the child can live with pets",
    "suitability_foster": "Select how suitable foster care is",
    "suitability_residential": "Select how suitable residential care is",
    "suitability_supported": "Select how suitable supported accommodation is",
}
MULTIPLE_CHOICES = {
    "communication_which": COMMUNICATION_NEEDS,
    "additional_support": ADDITIONAL_SUPPORT,
    "risks_to_child": RISKS_TO_CHILD,
    "risks_to_others": RISKS_TO_OTHERS,
}
BOOLEANS = ("adaptations_needed", "deprivation_of_liberty")
TEXT_LIMITS = {"preferred_location": 100, "expected_duration": 100, "needs_summary": 5000, "education_needs": 3000,
               "adaptations_detail": 2000, "cultural_detail": 2000}
FIELD_NAMES = (*SINGLE_CHOICES, *MULTIPLE_CHOICES, *BOOLEANS, *TEXT_LIMITS, "siblings_to_place_with", "age_years",
               "required_start", "indicative_weekly_price", "quality_weight", "cost_weight")
CHILD_FIELDS = ("first_names", "surname", "known_as", "date_of_birth", "case_number")

# "12 Acacia Avenue", "Flat 3, 4 High St": a number then a street word marks an address, not an area.
_STREET = re.compile(
    r"\b\d+[a-z]?,?\s+(?:[a-z'\-]+\s+){1,4}(?:street|st|road|rd|avenue|ave|lane|ln|close|drive|dr|way|crescent|"
    r"court|ct|place|pl|terrace|grove|gardens|walk|square|mews|row|hill|view|parade)\b\.?"
    r"|\b(?:flat|apartment|apt)\s+\d+",
    re.IGNORECASE,
)


class ReferralInvalid(DomainError):
    """Several fields of a referral are wrong: `errors` maps each field name to its message."""

    def __init__(self, errors: dict[str, str]):
        field, message = next(iter(errors.items()))
        super().__init__(message, field=field)
        self.errors = errors


# Who may see what --------------------------------------------------------------------------------------------

def is_officer_of(user: User, referral: Referral) -> bool:
    return user.has_role(COMMISSIONING_OFFICER) and user.organisation_id == referral.authority_id


def get_for_authority(user: User, referral_id: int) -> Referral:
    """A referral of the user's own authority; NotFound for anyone else, whatever id they type."""
    referral = db.session.get(Referral, referral_id)
    if referral is None or not is_officer_of(user, referral):
        raise NotFound()
    return referral


def invitation_for(user: User, referral_id: int) -> BidInvitation:
    """The invitation of the user's provider to bid for the referral; NotFound if it was not invited."""
    if not user.has_role(PROVIDER_USER):
        raise NotFound()
    invitation = db.session.scalar(db.select(BidInvitation).where(
        BidInvitation.referral_id == referral_id, BidInvitation.provider_id == user.organisation_id))
    if invitation is None:
        raise NotFound()
    return invitation


def dpss_for(user: User):
    """The DPSs an officer may refer to: those the authority leads or is a member of, with their lots."""
    org_id = user.organisation_id
    return db.session.scalars(
        db.select(Dps).where(db.or_(Dps.lead_authority_id == org_id,
                                    Dps.id.in_(db.select(DpsMember.dps_id).where(DpsMember.authority_id == org_id))))
        .options(selectinload(Dps.lots)).order_by(Dps.name)).all()


def lot_for(user: User, lot_id: int) -> Lot:
    """A lot of a DPS the officer may refer to; NotFound otherwise."""
    lot = db.session.get(Lot, lot_id)
    if lot is None or not user.has_role(COMMISSIONING_OFFICER) or not _may_refer_to(user, lot):
        raise NotFound()
    return lot


def _status_clause(status: str, now: datetime):
    latest_deadline = (db.select(db.func.max(ReferralRound.deadline))
                       .where(ReferralRound.referral_id == Referral.id).scalar_subquery())
    live = db.and_(Referral.withdrawn_at.is_(None), Referral.awarded_at.is_(None), Referral.exhausted_at.is_(None))
    return {
        WITHDRAWN: Referral.withdrawn_at.is_not(None),
        AWARDED: db.and_(Referral.withdrawn_at.is_(None), Referral.awarded_at.is_not(None)),
        EXHAUSTED: db.and_(Referral.withdrawn_at.is_(None), Referral.awarded_at.is_(None),
                           Referral.exhausted_at.is_not(None)),
        DRAFT: db.and_(live, Referral.published_at.is_(None)),
        OPEN: db.and_(live, Referral.published_at.is_not(None), latest_deadline > now),
        CLOSED: db.and_(live, Referral.published_at.is_not(None),
                        db.or_(latest_deadline <= now, latest_deadline.is_(None))),
    }[status]


def for_authority(user: User, *, now: datetime, status: str | None = None, page: int = 1, per_page: int = 25):
    """The authority's referrals, newest first, optionally of one status; a Pagination."""
    query = (db.select(Referral).where(Referral.authority_id == user.organisation_id)
             .options(selectinload(Referral.child), selectinload(Referral.lot), selectinload(Referral.rounds))
             .order_by(Referral.created_at.desc(), Referral.id.desc()))
    if status in STATUS_LABELS:
        query = query.where(_status_clause(status, now))
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def status_counts(user: User, now: datetime) -> dict[str, int]:
    """How many of the authority's referrals are drafts, open and closed awaiting a decision."""
    base = db.select(db.func.count(Referral.id)).where(Referral.authority_id == user.organisation_id)
    return {status: db.session.scalar(base.where(_status_clause(status, now))) for status in (DRAFT, OPEN, CLOSED)}


def invitations_of(referral: Referral) -> list[BidInvitation]:
    """The referral's invitations in the order sent, with their providers."""
    return db.session.scalars(db.select(BidInvitation).where(BidInvitation.referral_id == referral.id)
                              .options(selectinload(BidInvitation.provider))
                              .order_by(BidInvitation.id)).all()


def received_counts(referral_ids: list[int]) -> dict[int, int]:
    """How many bids (not withdrawn) each referral has received: a count only, allowed before the deadline."""
    if not referral_ids:
        return {}
    rows = db.session.execute(
        db.select(Bid.referral_id, db.func.count(Bid.id))
        .where(Bid.referral_id.in_(referral_ids), Bid.status == BID_SUBMITTED)
        .group_by(Bid.referral_id))
    return {referral_id: count for referral_id, count in rows}


# Validation --------------------------------------------------------------------------------------------------

def london_today(now: datetime) -> date:
    return to_local(now).date()


def _codes(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [code for code in value.split(",") if code]
    return [code for code in value if code]


def looks_like_address(text: str) -> str | None:
    """A message if the text holds a full postcode or a street address, else None."""
    for finding in anonymity.find_identifiers(text, anonymity.PrivateDetails()):
        if finding.kind == anonymity.POSTCODE:
            return f"Give an area, not a full postcode: remove “{finding.text}” (a district such as “M1” is fine)"
    match = _STREET.search(text)
    if match:
        return f"Give an area, not an address: remove “{match.group().strip()}”"
    return None


def parse_money(value) -> Decimal | None:
    """An optional positive amount in pounds up to £100,000, with 2 places; DomainError otherwise."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        amount = Decimal(str(value).strip().replace("£", "").replace(",", ""))
    except InvalidOperation:
        raise DomainError("Enter the indicative weekly price as an amount in pounds, like 1450.00") from None
    if not amount.is_finite() or amount <= 0:
        raise DomainError("The indicative weekly price must be more than £0")
    if amount > MAX_INDICATIVE_PRICE:
        raise DomainError("The indicative weekly price must be £100,000 or less")
    if amount != amount.quantize(Decimal("0.01")):
        raise DomainError("Enter the indicative weekly price in pounds and pence, with no more than 2 decimal places")
    return amount.quantize(Decimal("0.01"))


def _clean_fields(lot: Lot, fields: dict, now: datetime) -> tuple[dict, dict[str, str]]:
    clean, errors = {}, {}
    for name, options in SINGLE_CHOICES.items():
        value = fields.get(name)
        if value not in options:
            errors[name] = CHOICE_MESSAGES[name]
        clean[name] = value
    for name, options in MULTIPLE_CHOICES.items():
        codes = _codes(fields.get(name))
        if any(code not in options for code in codes):
            errors[name] = "Select only the options listed"
        clean[name] = ",".join(code for code in options if code in codes)
    for name in BOOLEANS:
        clean[name] = bool(fields.get(name))
    for name, limit in TEXT_LIMITS.items():
        clean[name] = anonymity.without_format_characters(fields.get(name) or "").strip()
        if len(clean[name]) > limit:
            errors[name] = f"{FREE_TEXT_FIELDS[name]} must be {limit} characters or fewer"
    for name, message in (("preferred_location", "Enter the preferred location: an area, such as a town or district"),
                          ("expected_duration", "Enter how long the placement is expected to last"),
                          ("needs_summary", "Enter a summary of the child's needs")):
        if not clean[name]:
            errors.setdefault(name, message)
    if clean["preferred_location"] and "preferred_location" not in errors:
        problem = looks_like_address(clean["preferred_location"])
        if problem:
            errors["preferred_location"] = problem
    if clean["adaptations_needed"] and not clean["adaptations_detail"]:
        errors["adaptations_detail"] = "Describe the adaptations the home needs"
    if "none" in _codes(clean["communication_which"]) and len(_codes(clean["communication_which"])) > 1:
        errors["communication_which"] = "Select “None” on its own, or the needs without “None”"

    siblings = fields.get("siblings_to_place_with", 0)
    siblings = 0 if siblings is None else siblings
    if not isinstance(siblings, int) or not 0 <= siblings <= MAX_SIBLINGS:
        errors["siblings_to_place_with"] = f"Enter the number of siblings as a whole number from 0 to {MAX_SIBLINGS}"
    clean["siblings_to_place_with"] = siblings

    age = fields.get("age_years")
    if not isinstance(age, int):
        errors["age_years"] = "Enter the child's age in years"
    elif not MIN_AGE <= age <= MAX_AGE:
        errors["age_years"] = f"Enter an age from {MIN_AGE} to {MAX_AGE}"
    elif not lot.age_from <= age <= lot.age_to:
        errors["age_years"] = f"{lot.label} is for ages {lot.age_band}: choose another lot, or check the age"
    clean["age_years"] = age

    start = fields.get("required_start")
    if not isinstance(start, date):
        errors["required_start"] = "Enter the date the placement must start"
    elif start < london_today(now):
        errors["required_start"] = "The start date must be today or in the future"
    clean["required_start"] = start

    try:
        clean["indicative_weekly_price"] = parse_money(fields.get("indicative_weekly_price"))
    except DomainError as error:
        errors["indicative_weekly_price"] = error.message

    quality, cost = fields.get("quality_weight"), fields.get("cost_weight")
    if quality is None and cost is None:
        clean["quality_weight"] = clean["cost_weight"] = None
    elif not (isinstance(quality, int) and isinstance(cost, int) and 0 <= quality <= 100 and 0 <= cost <= 100
              and quality + cost == 100):
        errors["quality_weight"] = "Enter a quality weight and a cost weight from 0 to 100 that add up to 100"
    else:
        clean["quality_weight"], clean["cost_weight"] = quality, cost
    return clean, errors


def _clean_child(child: dict, now: datetime) -> tuple[dict, dict[str, str]]:
    clean, errors = {}, {}
    for name, message, limit in (("first_names", "Enter the child's first names", 120),
                                 ("surname", "Enter the child's surname", 120),
                                 ("known_as", "", 120),
                                 ("case_number", "Enter the child's case number", 40)):
        clean[name] = " ".join(anonymity.without_format_characters(child.get(name) or "").split())
        if message and not clean[name]:
            errors[f"child_{name}"] = message
        elif len(clean[name]) > limit:
            errors[f"child_{name}"] = f"Enter no more than {limit} characters"
    born = child.get("date_of_birth")
    if not isinstance(born, date):
        errors["child_date_of_birth"] = "Enter the child's date of birth"
    elif born > london_today(now):
        errors["child_date_of_birth"] = "The date of birth must be in the past"
    clean["date_of_birth"] = born
    return clean, errors


def problems(lot: Lot, fields: dict, child: dict, now: datetime) -> dict[str, str]:
    """What is wrong with a referral's fields and child, by field (`child_` before the child's); empty if none."""
    _, errors = _clean_fields(lot, fields, now)
    errors.update(_clean_child(child, now)[1])
    return errors


def _validated(lot: Lot, fields: dict, child: dict, now: datetime) -> tuple[dict, dict]:
    clean_fields, errors = _clean_fields(lot, fields, now)
    clean_child, child_errors = _clean_child(child, now)
    errors.update(child_errors)
    if errors:
        raise ReferralInvalid(errors)
    return clean_fields, clean_child


# Drafts ------------------------------------------------------------------------------------------------------

def _require_officer(officer: User, referral: Referral | None = None) -> None:
    if not officer.has_role(COMMISSIONING_OFFICER) or (referral is not None and not is_officer_of(officer, referral)):
        raise NotFound()


def _may_refer_to(officer: User, lot: Lot) -> bool:
    dps = lot.dps
    return dps.lead_authority_id == officer.organisation_id or any(
        member.authority_id == officer.organisation_id for member in dps.members)


def _state(referral: Referral) -> dict:
    """What the audit trail keeps of a referral: never the child's identity nor the free text."""
    return {"needed_by": referral.needed_by, "age_years": referral.age_years, "lot_id": referral.lot_id,
            "required_start": referral.required_start, "indicative_weekly_price": referral.indicative_weekly_price,
            "quality_weight": referral.quality_weight, "cost_weight": referral.cost_weight}


def _commit() -> None:
    try:
        db.session.commit()
    except (StaleDataError, IntegrityError):  # a colleague's change (or the same round opened twice) won the race
        db.session.rollback()
        raise DomainError("A colleague changed this referral at the same moment. Check it and try again.") from None


def _next_reference(dps) -> str:
    """"<DPS reference>-R0001": the next number of the DPS's referrals, saying nothing of the child."""
    prefix = f"{dps.reference[:23]}-R"
    references = db.session.scalars(db.select(Referral.reference).where(Referral.dps_id == dps.id))
    numbers = [int(ref[len(prefix):]) for ref in references if ref.startswith(prefix) and ref[len(prefix):].isdigit()]
    return f"{prefix}{max(numbers, default=0) + 1:04d}"


def create(officer: User, *, lot: Lot, fields: dict, child: dict, now: datetime) -> Referral:
    """A draft referral for a lot of a DPS the officer's authority leads or belongs to."""
    _require_officer(officer)
    if not _may_refer_to(officer, lot):
        raise NotFound()
    clean_fields, clean_child = _validated(lot, fields, child, now)
    lot_id, dps_id = lot.id, lot.dps_id
    for _attempt in range(MAX_REFERENCE_ATTEMPTS):
        referral = Referral(dps_id=dps_id, lot_id=lot_id, authority_id=officer.organisation_id,
                            created_by_id=officer.id, created_at=now, updated_at=now, **clean_fields)
        referral.child = ReferralChild(updated_at=now, **clean_child)
        referral.reference = _next_reference(db.session.get(Lot, lot_id).dps)
        db.session.add(referral)
        try:
            db.session.flush()
            break
        except IntegrityError:
            # Another officer took this reference in the same instant: count again.
            db.session.rollback()
    else:
        raise DomainError("The referral could not be given a reference. Try again.")
    lot = referral.lot
    audit.record(at=now, actor=officer, action="referral.created", entity=referral,
                 summary=f"Referral {referral.reference} drafted for {lot.dps.reference} {lot.label}",
                 after=_state(referral))
    db.session.commit()
    return referral


def update(officer: User, referral: Referral, *, fields: dict, child: dict, now: datetime) -> Referral:
    """Change a draft. Once published a referral (and its weighting) is fixed."""
    _require_officer(officer, referral)
    referral.require_status(now, DRAFT, action="change this referral")
    clean_fields, clean_child = _validated(referral.lot, fields, child, now)
    before = _state(referral)
    for name, value in clean_fields.items():
        setattr(referral, name, value)
    for name, value in clean_child.items():
        setattr(referral.child, name, value)
    referral.child.updated_at = now
    referral.updated_at = now
    audit.record(at=now, actor=officer, action="referral.changed", entity=referral,
                 summary=f"Referral {referral.reference} changed", before=before, after=_state(referral))
    _commit()
    return referral


def record_funding(officer: User, referral: Referral, *, approved_by: str, approved_on: date | None,
                   now: datetime) -> None:
    """The budget holder's approval of the funding, needed before publishing."""
    _require_officer(officer, referral)
    referral.require_status(now, DRAFT, action="record the funding approval")
    approved_by = " ".join((approved_by or "").split())
    errors = {}
    if not approved_by:
        errors["approved_by"] = "Enter the name of the budget holder who approved the funding"
    elif len(approved_by) > 120:
        errors["approved_by"] = "Enter no more than 120 characters"
    if not isinstance(approved_on, date):
        errors["approved_on"] = "Enter the date the funding was approved"
    elif approved_on > london_today(now):
        errors["approved_on"] = "The date of approval cannot be in the future"
    if errors:
        raise ReferralInvalid(errors)
    before = {"by": referral.funding_approved_by, "on": referral.funding_approved_on}
    referral.funding_approved_by, referral.funding_approved_on = approved_by, approved_on
    referral.updated_at = now
    audit.record(at=now, actor=officer, action="referral.funding_recorded", entity=referral,
                 summary=f"Funding for referral {referral.reference} approved by {approved_by} on "
                         f"{format_date(approved_on)}", before=before, after={"by": approved_by, "on": approved_on})
    _commit()


# The anonymity guard -----------------------------------------------------------------------------------------

def private_details(referral: Referral) -> anonymity.PrivateDetails:
    child = referral.child
    if child is None:
        return anonymity.PrivateDetails()
    return anonymity.PrivateDetails(names=child.names, date_of_birth=child.date_of_birth,
                                    case_number=child.case_number)


def check(referral: Referral) -> dict[str, list[anonymity.Finding]]:
    """Whatever in the free text could identify the child, by field (only fields with findings)."""
    private = private_details(referral)
    findings = {}
    for name in FREE_TEXT_FIELDS:
        found = anonymity.find_identifiers(getattr(referral, name) or "", private)
        if found:
            findings[name] = found
    return findings


# Publishing and the tier cascade -----------------------------------------------------------------------------

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


def _tiers(lot: Lot) -> list[int | None]:
    return list(range(1, lot.tiers + 1)) if lot.tiers else [None]


def eligible_memberships(referral: Referral, tier: int | None) -> list[LotMembership]:
    """Providers on the referral's lot in the tier (every tier when None) who may be invited now and were not
    invited before: admitted or to be placed with caution, neither suspended nor terminated."""
    invited = db.select(BidInvitation.provider_id).where(BidInvitation.referral_id == referral.id)
    query = (db.select(LotMembership).join(Organisation, Organisation.id == LotMembership.provider_id)
             .where(LotMembership.lot_id == referral.lot_id, LotMembership.status.in_(INVITABLE_MEMBERSHIP),
                    db.or_(Organisation.provider_status.is_(None),
                           Organisation.provider_status.not_in(BARRED_PROVIDER)),
                    LotMembership.provider_id.not_in(invited))
             .options(selectinload(LotMembership.provider))
             .order_by(LotMembership.tier, Organisation.name, LotMembership.id))
    if tier is not None:
        query = query.where(LotMembership.tier == tier)
    return db.session.scalars(query).all()


def _first_tier_with_providers(referral: Referral, after: int | None) -> tuple[int | None, list[LotMembership]]:
    """The next tier (after `after`) with someone to invite, and who; (None, []) when none is left."""
    for tier in _tiers(referral.lot):
        if tier is not None and after is not None and tier <= after:
            continue
        memberships = eligible_memberships(referral, tier)
        if memberships:
            return tier, memberships
    return None, []


def next_tier(referral: Referral) -> int | None:
    """The tier a re-opening would invite, or None when every tier has been approached."""
    current = referral.current_round
    if current is None or current.tier is None:
        return None
    tier, _ = _first_tier_with_providers(referral, current.tier)
    return tier


def invitees_preview(referral: Referral) -> tuple[int | None, list[LotMembership]]:
    """Who publishing (or re-opening) would invite now: the tier and the memberships."""
    current = referral.current_round
    if current is None:
        return _first_tier_with_providers(referral, None)
    if current.tier is None:
        return None, []
    return _first_tier_with_providers(referral, current.tier)


def skipped_tiers(referral: Referral, round_: ReferralRound) -> list[int]:
    """Tiers passed over before this round because nobody in them could be invited."""
    if round_.tier is None:
        return []
    earlier = [r.tier for r in referral.rounds if r.number < round_.number and r.tier is not None]
    return list(range((max(earlier) if earlier else 0) + 1, round_.tier))


def _provider_link(referral: Referral) -> str:
    try:
        return url_for("supplier.referral", referral_id=referral.id)
    except BuildError:  # the providers' pages are not registered (a bare app in a script)
        return f"/provider/referrals/{referral.id}"


def _officer_link(referral: Referral) -> str:
    try:
        return url_for("buyer.referral", referral_id=referral.id)
    except BuildError:
        return f"/authority/referrals/{referral.id}"


def _invite_message(referral: Referral, round_: ReferralRound) -> tuple[str, str]:
    """The invitation e-mail: the reference, lot, age, urgency and deadline only, never who the child is."""
    subject = f"Referral {referral.reference}: invitation to bid by {format_datetime(round_.deadline)}"
    body = (f"You are invited to bid for referral {referral.reference} on {referral.dps.name}, {referral.lot.label}: "
            f"a young person aged {referral.age_years}, placement needed {URGENCY_PHRASES[referral.needed_by]}. "
            f"Bids close on {format_datetime(round_.deadline)}. Read the referral and send your bid in the portal.")
    return subject, body


def _open_round(officer: User, referral: Referral, *, tier: int | None, memberships: list[LotMembership],
                deadline: datetime, now: datetime) -> ReferralRound:
    round_ = ReferralRound(referral=referral, number=len(referral.rounds) + 1, tier=tier, opened_at=now,
                           opened_by_id=officer.id, deadline=deadline)
    db.session.add(round_)
    subject, body = _invite_message(referral, round_)
    link = _provider_link(referral)
    for membership in memberships:
        provider = membership.provider
        caution = membership.status == CAUTION or provider.provider_status == CAUTION
        db.session.add(BidInvitation(referral=referral, round=round_, provider_id=provider.id, tier=membership.tier,
                                     place_with_caution=caution, invited_at=now))
        for user in provider.users:
            if user.active and user.has_role(PROVIDER_USER):
                mail.notify(user, subject=subject, body=body, at=now, link=link)
    return round_


def _invited(round_: ReferralRound, memberships: list[LotMembership], skipped: list[int]) -> str:
    count = len(memberships)
    text = (f"{round_.label.lower()}: {count} provider{'s' if count != 1 else ''} invited, bids close "
            f"{format_datetime(round_.deadline)}")
    return text + (f"; tiers with nobody to invite: {', '.join(map(str, skipped))}" if skipped else "")


def _require_deadline(deadline: datetime | None, now: datetime) -> datetime:
    if deadline is None:
        raise DomainError("Enter the deadline for bids", field="deadline")
    if deadline <= now:
        raise DomainError("The deadline for bids must be in the future", field="deadline")
    return deadline


def publication_problems(referral: Referral, now: datetime, *, anonymity_too: bool = True) -> list[str]:
    """Why the referral cannot be published yet (the deadline aside); empty when it can. Without
    `anonymity_too`, the findings of the anonymity check are left out (for the page that shows them in place)."""
    reasons = []
    findings = check(referral) if anonymity_too else {}
    if findings:
        count = sum(len(found) for found in findings.values())
        reasons.append(f"Remove the {count} thing{'s' if count != 1 else ''} that could identify the child "
                        f"(in {', '.join(FREE_TEXT_FIELDS[name].lower() for name in findings)})")
    if not referral.funding_approved_by or referral.funding_approved_on is None:
        reasons.append("Record the budget holder's approval of the funding")
    if referral.required_start < london_today(now):
        reasons.append("The required start date has passed: change it")
    lot = referral.lot
    if not lot.age_from <= referral.age_years <= lot.age_to:
        reasons.append(f"{lot.label} is for ages {lot.age_band}: check the age")
    return reasons


def publish(officer: User, referral: Referral, now: datetime, *, deadline: datetime | None = None) -> ReferralRound:
    """Send the referral to the first tier with providers to invite (the whole lot where it has no tiers).

    The deadline is the one given, else the one saved on the draft, else the default for the urgency. The
    weighting is fixed now: the officer's own, or the DPS's current one."""
    _require_officer(officer, referral)
    referral.require_status(now, DRAFT, action="publish this referral")
    reasons = publication_problems(referral, now)
    if reasons:
        raise DomainError("; ".join(reasons), field="publish")
    deadline = _require_deadline(deadline or referral.bid_deadline or default_deadline(referral.needed_by, now), now)
    tier, memberships = _first_tier_with_providers(referral, None)
    if not memberships:
        raise DomainError(f"Nobody can be invited: no provider on {referral.lot.label} is admitted and free to bid",
                          field="publish")
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


def _require_closed(referral: Referral, now: datetime, action: str) -> None:
    referral.require_status(now, CLOSED, action=action)


def reopen_to_next_tier(officer: User, referral: Referral, *, deadline: datetime | None,
                        now: datetime) -> ReferralRound:
    """Invite the next tier with providers, once the current round has closed without an award. Earlier
    invitations and bids stay."""
    _require_officer(officer, referral)
    _require_closed(referral, now, "re-open this referral")
    current = referral.current_round
    tier, memberships = (None, []) if current.tier is None else _first_tier_with_providers(referral, current.tier)
    if not memberships:
        raise DomainError("Every tier has been approached: mark the referral as exhausted", field="reopen")
    deadline = _require_deadline(deadline, now)
    skipped = list(range(current.tier + 1, tier))
    round_ = _open_round(officer, referral, tier=tier, memberships=memberships, deadline=deadline, now=now)
    referral.updated_at = now
    audit.record(at=now, actor=officer, action="referral.reopened", entity=referral,
                 summary=f"Referral {referral.reference} re-opened to {_invited(round_, memberships, skipped)}",
                 after={"round": round_.number, "tier": tier, "deadline": deadline, "skipped_tiers": skipped,
                        "invited": [m.provider_id for m in memberships]})
    _commit()
    return round_


def mark_exhausted(officer: User, referral: Referral, now: datetime) -> None:
    """Record that the framework could not place the child: every tier approached, no award. Opens the way to an
    off-framework search."""
    _require_officer(officer, referral)
    _require_closed(referral, now, "mark this referral as exhausted")
    if next_tier(referral) is not None:
        raise DomainError(f"Tier {next_tier(referral)} has not been approached yet: re-open the referral to it "
                          "before marking it as exhausted", field="exhaust")
    referral.exhausted_at = now
    referral.updated_at = now
    audit.record(at=now, actor=officer, action="referral.exhausted", entity=referral,
                 summary=f"Referral {referral.reference}: the framework is exhausted after "
                         f"{len(referral.rounds)} round{'s' if len(referral.rounds) != 1 else ''}")
    _commit()


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
    _commit()


# Time events -------------------------------------------------------------------------------------------------

def _officers_of(authority_id: int) -> list[User]:
    users = db.session.scalars(db.select(User).where(User.organisation_id == authority_id, User.active.is_(True))
                               .order_by(User.id)).all()
    return [user for user in users if user.has_role(COMMISSIONING_OFFICER)]


def _close_round(round_: ReferralRound, now: datetime) -> str:
    referral = round_.referral
    round_.closed_at = now
    live = referral.withdrawn_at is None
    if live:
        for officer in _officers_of(referral.authority_id):
            mail.notify(officer, at=now, link=_officer_link(referral),
                        subject=f"Referral {referral.reference}: bids can now be opened",
                        body=f"{round_.label} of referral {referral.reference} ({referral.lot.label}) closed on "
                             f"{format_datetime(round_.deadline)}. The bids can now be opened and weighed.")
    audit.record(at=now, actor=None, action="referral.round_closed", entity=referral,
                 summary=f"Referral {referral.reference}: {round_.label.lower()} closed at its deadline "
                         f"{format_datetime(round_.deadline)}", after={"round": round_.number})
    return f"closed referral {referral.reference} {round_.label.lower()}"


def run_due(now: datetime) -> list[str]:
    """Close every round whose deadline has passed and tell the referring officers. Idempotent; catches up on
    rounds missed while nothing ran; one failing referral does not stop the others."""
    done = []
    due = db.session.scalars(db.select(ReferralRound.id).where(ReferralRound.closed_at.is_(None),
                                                                ReferralRound.deadline <= now)
                             .order_by(ReferralRound.deadline, ReferralRound.id)).all()
    for round_id in due:
        try:
            round_ = db.session.get(ReferralRound, round_id)
            if round_ is None or round_.closed_at is not None:
                continue
            done.append(_close_round(round_, now))
            db.session.commit()
        except Exception:  # one bad record must not stop the rest; it is retried on the next run
            db.session.rollback()
            log.exception("closing referral round %s failed", round_id)
            done.append(f"failed to close referral round {round_id}")
    return done


# What providers see ------------------------------------------------------------------------------------------

def _yes_no(value: bool) -> str:
    return "Yes" if value else "No"


def _listed(items: list[str], empty: str) -> str:
    return ", ".join(items) if items else empty


@dataclass(frozen=True)
class AnonymisedReferral:
    """Everything a provider may see of a referral, and nothing else: never the child's identity, nor the
    officer's name. Provider pages, e-mails and documents get this, never the Referral record."""

    id: int
    reference: str
    dps_name: str
    lot_label: str
    authority_name: str
    status: str | None  # the referral's status at the `now` given to anonymised(), None if none was given
    needed_by: str
    is_emergency: bool
    siblings_to_place_with: int
    preferred_location: str
    communication_needs: str
    communication_which: tuple[str, ...]
    adaptations_needed: bool
    adaptations_detail: str
    cultural_needs: str
    cultural_detail: str
    live_alongside: str
    pets: str
    additional_support: tuple[str, ...]
    deprivation_of_liberty: bool
    suitability_foster: str
    suitability_residential: str
    suitability_supported: str
    risks_to_child: tuple[str, ...]
    risks_to_others: tuple[str, ...]
    age_years: int
    required_start: date
    expected_duration: str
    education_needs: str
    needs_summary: str
    indicative_weekly_price: Decimal | None
    deadline: datetime | None  # of the latest round
    published_at: datetime | None
    withdrawn: bool

    @property
    def sections(self) -> list[tuple[str, list[tuple[str, str]]]]:
        """The referral's fields as (heading, [(label, text)]) in the Placements Data Standard's groups."""
        return [
            ("The placement", [
                ("Age", f"{self.age_years}"),
                ("Start", format_date(self.required_start)),
                ("Expected duration", self.expected_duration),
                ("Summary of needs", self.needs_summary),
                ("Education needs", self.education_needs or "None given"),
            ]),
            ("Availability", [
                ("Needed by", self.needed_by),
                ("Siblings to place with", f"{self.siblings_to_place_with}"),
                ("Preferred location", self.preferred_location),
            ]),
            ("Requirements", [
                ("Communication, language and learning needs", self.communication_needs),
                ("Which needs", _listed(list(self.communication_which), "None listed")),
                ("Adaptation to the home", _yes_no(self.adaptations_needed)
                 + (f": {self.adaptations_detail}" if self.adaptations_detail else "")),
                ("Cultural needs", self.cultural_needs + (f": {self.cultural_detail}" if self.cultural_detail else "")),
                ("Can be cared for alongside", self.live_alongside),
                ("Can live with pets", self.pets),
                ("Additional support", _listed(list(self.additional_support), "None")),
                ("Deprivation of Liberty order", _yes_no(self.deprivation_of_liberty)),
            ]),
            ("Recommendation", [
                ("Foster care", self.suitability_foster),
                ("Residential care", self.suitability_residential),
                ("Supported accommodation", self.suitability_supported),
            ]),
            ("Risks", [
                ("Risks to the child", _listed(list(self.risks_to_child), "No known risk")),
                ("Risks to others or property", _listed(list(self.risks_to_others), "No known risk")),
            ]),
        ]


def anonymised(referral: Referral, now: datetime | None = None) -> AnonymisedReferral:
    """The provider's view of a referral; with `now`, its status at that moment too."""
    current = referral.current_round
    deadline = current.deadline if current else None
    return AnonymisedReferral(
        id=referral.id,
        reference=referral.reference,
        dps_name=referral.dps.name,
        lot_label=referral.lot.label,
        authority_name=referral.authority.name,
        status=referral.status(now) if now is not None else None,
        needed_by=referral.needed_by_label,
        is_emergency=referral.is_emergency,
        siblings_to_place_with=referral.siblings_to_place_with,
        preferred_location=referral.preferred_location,
        communication_needs=YES_NO_NOT_SPECIFIED.get(referral.communication_needs, ""),
        communication_which=tuple(referral.communication_list),
        adaptations_needed=referral.adaptations_needed,
        adaptations_detail=referral.adaptations_detail,
        cultural_needs=CULTURAL_NEEDS.get(referral.cultural_needs, ""),
        cultural_detail=referral.cultural_detail,
        live_alongside=LIVE_ALONGSIDE.get(referral.live_alongside, ""),
        pets=PETS.get(referral.pets, ""),
        additional_support=tuple(referral.additional_support_list),
        deprivation_of_liberty=referral.deprivation_of_liberty,
        suitability_foster=SUITABILITY.get(referral.suitability_foster, ""),
        suitability_residential=SUITABILITY.get(referral.suitability_residential, ""),
        suitability_supported=SUITABILITY.get(referral.suitability_supported, ""),
        risks_to_child=tuple(referral.risks_to_child_list),
        risks_to_others=tuple(referral.risks_to_others_list),
        age_years=referral.age_years,
        required_start=referral.required_start,
        expected_duration=referral.expected_duration,
        education_needs=referral.education_needs,
        needs_summary=referral.needs_summary,
        indicative_weekly_price=referral.indicative_weekly_price,
        deadline=deadline,
        published_at=referral.published_at,
        withdrawn=referral.withdrawn_at is not None,
    )
