"""Drafting a referral: the fields and their checks, drafts and their changes, the funding approval, and the
anonymity guard that finds whatever in the free text could identify the child or name the authority's staff."""

import re
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from portal import areas
from portal.errors import DomainError, NotFound
from portal.extensions import db
from portal.formatting import money
from portal.models import (
    Dps,
    Lot,
    Referral,
    User,
)
from portal.models.approval import FUNDING, REFUSED
from portal.models.referral import (
    ADDITIONAL_SUPPORT,
    COMMUNICATION_NEEDS,
    CULTURAL_NEEDS,
    DRAFT,
    LIVE_ALONGSIDE,
    NEEDED_BY,
    PETS,
    RISKS_TO_CHILD,
    RISKS_TO_OTHERS,
    SUITABILITY,
    YES_NO_NOT_SPECIFIED,
)
from portal.models.user import COMMISSIONING_OFFICER
from portal.money import WEEKLY_LIMIT, parse_money
from portal.services import anonymity, approvals, audit, children
from portal.services.referrals.access import _may_refer_to, is_officer_of
from portal.timezone import to_local

MIN_AGE, MAX_AGE = 0, 25
MAX_SIBLINGS = 10
MAX_INDICATIVE_PRICE = WEEKLY_LIMIT
MAX_REFERENCE_ATTEMPTS = 5
MAX_PREFERRED_AREAS = 5
# The free text providers will read, in the order of the form: every one is checked for the child's identity.
FREE_TEXT_FIELDS = {
    "needs_summary": "Summary of needs",
    "education_needs": "Education needs",
    "adaptations_detail": "Adaptations to the home",
    "cultural_detail": "Cultural needs",
    "expected_duration": "Expected duration",
    "preferred_location": "More about the preferred location",
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
FIELD_NAMES = (*SINGLE_CHOICES, *MULTIPLE_CHOICES, *BOOLEANS, *TEXT_LIMITS, "preferred_areas", "siblings_to_place_with",
               "age_years", "required_start", "indicative_weekly_price", "quality_weight", "cost_weight")
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


def _clean_fields(lot: Lot, fields: dict, now: datetime) -> tuple[dict, dict[str, str]]:
    clean, errors = {}, {}
    for name, options in SINGLE_CHOICES.items():
        value = fields.get(name) or None
        if value is not None and value not in options:
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
    preferred = list(dict.fromkeys(_codes(fields.get("preferred_areas"))))
    if any(areas.get(code) is None for code in preferred):
        errors["preferred_areas"] = "Choose the preferred areas from the list"
    elif len(preferred) > MAX_PREFERRED_AREAS:
        errors["preferred_areas"] = f"Choose no more than {MAX_PREFERRED_AREAS} preferred areas"
    clean["preferred_areas"] = ",".join(areas.get(code).code for code in preferred if areas.get(code))
    if clean["preferred_location"] and "preferred_location" not in errors:
        problem = looks_like_address(clean["preferred_location"])
        if problem:
            errors["preferred_location"] = problem
    if "none" in _codes(clean["communication_which"]) and len(_codes(clean["communication_which"])) > 1:
        errors["communication_which"] = "Select “None” on its own, or the needs without “None”"

    siblings = fields.get("siblings_to_place_with", 0)
    siblings = 0 if siblings is None else siblings
    if not isinstance(siblings, int) or not 0 <= siblings <= MAX_SIBLINGS:
        errors["siblings_to_place_with"] = f"Enter the number of siblings as a whole number from 0 to {MAX_SIBLINGS}"
    clean["siblings_to_place_with"] = siblings

    age = fields.get("age_years")
    if age is None:
        pass
    elif not isinstance(age, int):
        errors["age_years"] = "Enter the child's age in years as a whole number"
    elif not MIN_AGE <= age <= MAX_AGE:
        errors["age_years"] = f"Enter an age from {MIN_AGE} to {MAX_AGE}"
    elif not lot.age_from <= age <= lot.age_to:
        errors["age_years"] = f"{lot.label} is for ages {lot.age_band}: choose another lot, or check the age"
    clean["age_years"] = age

    start = fields.get("required_start")
    if start is None:
        pass
    elif not isinstance(start, date):
        errors["required_start"] = "Enter the date the placement must start as a real date"
    elif start < london_today(now):
        errors["required_start"] = "The start date must be today or in the future"
    clean["required_start"] = start

    try:
        clean["indicative_weekly_price"] = parse_money(
            fields.get("indicative_weekly_price"), label="the indicative weekly price", maximum=MAX_INDICATIVE_PRICE,
            field="indicative_weekly_price", required=False)
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
    for name, limit in (("first_names", 120), ("surname", 120), ("known_as", 120), ("case_number", 40)):
        clean[name] = " ".join(anonymity.without_format_characters(child.get(name) or "").split())
        if len(clean[name]) > limit:
            errors[f"child_{name}"] = f"Enter no more than {limit} characters"
    born = child.get("date_of_birth")
    if born is None:
        pass
    elif not isinstance(born, date):
        errors["child_date_of_birth"] = "Enter the child's date of birth as a real date"
    elif born > london_today(now):
        errors["child_date_of_birth"] = "The date of birth must be in the past"
    clean["date_of_birth"] = born
    return clean, errors


def problems(lot: Lot, fields: dict, child: dict, now: datetime) -> dict[str, str]:
    """What is wrong with the values given for a referral's fields and child, by field (`child_` before the
    child's); empty if none. A field left empty is no problem in a draft: see `still_to_do`."""
    _, errors = _clean_fields(lot, fields, now)
    errors.update(_clean_child(child, now)[1])
    return errors


# What a referral needs before it may be published, in the order of the form: (field, what to do).
REQUIRED = (
    ("needed_by", CHOICE_MESSAGES["needed_by"]),
    ("preferred_areas", "Choose the preferred area"),
    *((name, CHOICE_MESSAGES[name]) for name in ("communication_needs", "cultural_needs", "live_alongside", "pets",
                                                 "suitability_foster", "suitability_residential",
                                                 "suitability_supported")),
    ("age_years", "Enter the child's age in years"),
    ("required_start", "Enter the date the placement must start"),
    ("expected_duration", "Enter how long the placement is expected to last"),
    ("needs_summary", "Enter a summary of the child's needs"),
)
REQUIRED_OF_CHILD = (
    ("first_names", "Enter the child's first names"),
    ("surname", "Enter the child's surname"),
    ("date_of_birth", "Enter the child's date of birth"),
    ("case_number", "Enter the child's case number"),
)


def still_to_do(referral: Referral) -> dict[str, str]:
    """What a draft lacks before it can be published, by form field (`child_` before the child's), in the order
    of the form; empty when complete. A draft may be saved with any of these missing."""
    missing = {name: message for name, message in REQUIRED if getattr(referral, name) in (None, "")}
    if referral.adaptations_needed and not referral.adaptations_detail:
        missing["adaptations_detail"] = "Describe the adaptations the home needs"
    child = referral.child
    for name, message in REQUIRED_OF_CHILD:
        if child is None or getattr(child, name) in (None, ""):
            missing[f"child_{name}"] = message
    return missing


def _validated(lot: Lot, fields: dict, child: dict, now: datetime) -> tuple[dict, dict]:
    clean_fields, errors = _clean_fields(lot, fields, now)
    clean_child, child_errors = _clean_child(child, now)
    errors.update(child_errors)
    if errors:
        raise ReferralInvalid(errors)
    return clean_fields, clean_child


def _require_officer(officer: User, referral: Referral | None = None) -> None:
    if not officer.has_role(COMMISSIONING_OFFICER) or (referral is not None and not is_officer_of(officer, referral)):
        raise NotFound()


def _state(referral: Referral) -> dict:
    """What the audit trail keeps of a referral: never the child's identity nor the free text."""
    return {"needed_by": referral.needed_by, "age_years": referral.age_years, "lot_id": referral.lot_id,
            "preferred_areas": referral.preferred_areas,
            "required_start": referral.required_start, "indicative_weekly_price": referral.indicative_weekly_price,
            "quality_weight": referral.quality_weight, "cost_weight": referral.cost_weight}


def _commit() -> None:
    try:
        db.session.commit()
    except (StaleDataError, IntegrityError):  # a colleague's change (or the same round opened twice) won the race
        db.session.rollback()
        raise DomainError("A colleague changed this referral at the same moment. Check it and try again.") from None


def _next_reference(dps, *, recount: bool = False) -> str:
    """"<DPS reference>-R0001": the next number of the DPS's referrals, saying nothing of the child. The DPS's
    counter is moved on by one UPDATE, which holds its row until the transaction ends: two officers drafting at
    once get consecutive numbers. With `recount`, the counter is first set to the highest number its references
    use (for referrals loaded without moving it on)."""
    prefix = f"{dps.reference[:23]}-R"
    if recount:
        references = db.session.scalars(db.select(Referral.reference).where(Referral.dps_id == dps.id))
        numbers = [int(ref[len(prefix):]) for ref in references
                   if ref.startswith(prefix) and ref[len(prefix):].isdigit()]
        db.session.execute(db.update(Dps).where(Dps.id == dps.id)
                           .values(last_referral_number=max(numbers, default=0)))
    number = db.session.scalar(db.update(Dps).where(Dps.id == dps.id)
                               .values(last_referral_number=Dps.last_referral_number + 1)
                               .returning(Dps.last_referral_number))
    return f"{prefix}{number:04d}"


def create(officer: User, *, lot: Lot, fields: dict, child: dict, now: datetime) -> Referral:
    """A draft referral for a lot of a DPS the officer's authority leads or belongs to."""
    _require_officer(officer)
    if not _may_refer_to(officer, lot):
        raise NotFound()
    clean_fields, clean_child = _validated(lot, fields, child, now)
    lot_id, dps_id = lot.id, lot.dps_id
    for attempt in range(MAX_REFERENCE_ATTEMPTS):
        referral = Referral(dps_id=dps_id, lot_id=lot_id, authority_id=officer.organisation_id,
                            created_by_id=officer.id, created_at=now, updated_at=now, **clean_fields)
        referral.reference = _next_reference(db.session.get(Lot, lot_id).dps, recount=attempt > 0)
        referral.linked_to_known_child = children.attach(referral, clean_child, now)
        db.session.add(referral)
        try:
            db.session.flush()
            break
        except IntegrityError:
            # The reference is taken (referrals loaded without the counter): count the references again.
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
    referral.linked_to_known_child = children.attach(referral, clean_child, now)
    referral.updated_at = now
    audit.record(at=now, actor=officer, action="referral.changed", entity=referral,
                 summary=f"Referral {referral.reference} changed", before=before, after=_state(referral))
    _commit()
    return referral


def ask_funding(officer: User, referral: Referral, *, expected_weekly: str | Decimal | None, now: datetime):
    """Ask a budget holder to approve the funding, needed before publishing. The figure is the indicative weekly
    price; a referral without one (providers are left to price it) asks for what the officer expects to pay each
    week, `expected_weekly`. An approval counts only while the indicative price stays what was approved."""
    _require_officer(officer, referral)
    referral.require_status(now, DRAFT, action="ask for the funding approval")
    weekly = referral.indicative_weekly_price
    if weekly is None:
        weekly = parse_money(expected_weekly, label="the weekly cost you expect to pay", maximum=MAX_INDICATIVE_PRICE,
                             field="expected_weekly")
    summary = (f"Funding for referral {referral.reference} ({referral.lot.label}, needed "
               f"{referral.needed_by_label.lower()}) at "
               + ("its indicative weekly price" if referral.indicative_weekly_price is not None
                  else "the weekly cost the officer expects (the referral gives providers no indicative price)"))
    return approvals.request(officer, referral, kind=FUNDING, weekly_cost=weekly, summary=summary, now=now)


def funding_approval(referral: Referral):
    """The funding approval that counts for publishing: approved, for the indicative price if there is one."""
    return approvals.granted(referral, FUNDING, weekly_cost=referral.indicative_weekly_price)


def funding_problem(referral: Referral) -> str | None:
    """Why the funding does not yet allow publishing, or None."""
    if funding_approval(referral) is not None:
        return None
    asked = approvals.latest(referral, FUNDING)
    if asked is None:
        return "Ask a budget holder to approve the funding"
    if asked.is_pending:
        return "The funding approval is waiting for an answer"
    if asked.status == REFUSED:
        return "The funding was refused: change the referral or ask again"
    return (f"The funding was approved for {money(asked.weekly_cost)} a week but the indicative price is now "
            f"{money(referral.indicative_weekly_price)}: ask again")


def private_details(referral: Referral) -> anonymity.PrivateDetails:
    """What the guard looks for: the child's identity, and the names of every user of the referring authority
    (active or not), whom providers must never see named."""
    staff = tuple(db.session.scalars(db.select(User.name).where(User.organisation_id == referral.authority_id)))
    child = referral.child
    if child is None:
        return anonymity.PrivateDetails(staff_names=staff)
    return anonymity.PrivateDetails(names=child.names, date_of_birth=child.date_of_birth,
                                    case_number=child.case_number, staff_names=staff)


# A field that names a place: a colleague's surname alone there is more likely the town of the same name.
PLACE_FIELDS = ("preferred_location",)


def check(referral: Referral) -> dict[str, list[anonymity.Finding]]:
    """Whatever in the free text could identify the child or name the authority's staff, by field (only fields
    with findings)."""
    private = private_details(referral)
    findings = {}
    for name in FREE_TEXT_FIELDS:
        details = replace(private, staff_surnames=False) if name in PLACE_FIELDS else private
        found = anonymity.find_identifiers(getattr(referral, name) or "", details)
        if found:
            findings[name] = found
    return findings
