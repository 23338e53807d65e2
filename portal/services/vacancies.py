"""The vacancy board: providers publish their free places on the lots they hold places on; officers of the
authorities belonging to the lot's DPS search them; a draft referral shows those that match it.

A vacancy is shown from its publication to its `available_until` day inclusive, unless withdrawn: expiry is a
condition of every query (`current`), so nothing has to run for a vacancy to expire. Its area is a lowest-tier
area; a search for an area of any level finds the vacancies within it (portal.areas.within): a district's own
code or its county's, kept on the vacancy (`county_code`) so that both are indexed columns."""

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from portal import areas
from portal.errors import DomainError, NotFound
from portal.extensions import db
from portal.models import Dps, DpsMember, Lot, LotMembership, Organisation, Referral, User
from portal.models.market import MAX_AGE, MIN_AGE, Vacancy
from portal.services import anonymity, audit, standing_effects
from portal.services.bids import MEMBERSHIP_STATUSES
from portal.timezone import uk_today

MAX_NAME = 120
MAX_NOTES = 1000
MAX_DAYS_AHEAD = 366  # a vacancy is shown for up to a year: a longer one is a mistake or a stale advert
REFERRAL_MATCHES = 10  # shown on a draft referral's page; the board has the rest
# What a vacancy's text must never carry: the home's address or anyone's contact details or references. Providers
# are reached through the portal, and homes' locations are not published.
FORBIDDEN_KINDS = {anonymity.POSTCODE: "a postcode", anonymity.TELEPHONE: "a telephone number",
                   anonymity.EMAIL: "an e-mail address", anonymity.NHS_NUMBER: "an NHS number",
                   anonymity.CASE_NUMBER: "a case or reference number"}


MARKUP = re.compile(r"<\s*/?\s*[A-Za-z!][^>]*>")  # a tag: "<b>", "</script>", "<!--"; not "under 18 (< 18)"


class MarketInvalid(DomainError):
    """A vacancy or notice with mistakes: `problems` maps each field to its message."""

    def __init__(self, problems: dict[str, str]):
        super().__init__(next(iter(problems.values())))
        self.problems = problems


@dataclass
class VacancyInput:
    lot_id: int | None = None
    home_name: str = ""
    area_code: str = ""
    age_from: int | None = None
    age_to: int | None = None
    available_from: date | None = None
    available_until: date | None = None
    notes: str = ""


# Checks shared with sufficiency notices --------------------------------------------------------------------------

def checked_text(problems: dict, name: str, value: str, *, limit: int, required: str | None = None) -> str:
    """Free text stripped and checked: present when `required` (its message), not too long, and with nothing odd
    in it: no control characters, no markup, no address or contact details (FORBIDDEN_KINDS)."""
    text = (value or "").strip().replace("\r\n", "\n")
    if not text:
        if required:
            problems[name] = required
        return text
    if len(text) > limit:
        problems[name] = f"Use {limit} characters or fewer (you have {len(text)})"
    elif any(ord(char) < 32 and char not in "\n\t" for char in text):
        problems[name] = "Remove the control characters pasted into the text"
    elif MARKUP.search(text):
        problems[name] = "Remove the markup (the text between < and >): plain text only"
    else:
        finding = next((item for item in anonymity.find_identifiers(text, anonymity.PrivateDetails())
                        if item.kind in FORBIDDEN_KINDS), None)
        if finding is not None:
            problems[name] = (f"Remove {FORBIDDEN_KINDS[finding.kind]} (\u201c{finding.text}\u201d): addresses and "
                              "contact details are never published here")
    return text


def checked_ages(problems: dict, age_from: int | None, age_to: int | None, lot: Lot | None) -> None:
    if age_from is None:
        problems["age_from"] = "Enter the youngest age, as a whole number"
    if age_to is None:
        problems["age_to"] = "Enter the oldest age, as a whole number"
    if age_from is None or age_to is None:
        return
    if not (MIN_AGE <= age_from <= MAX_AGE) or not (MIN_AGE <= age_to <= MAX_AGE):
        problems["age_from"] = f"Enter ages from {MIN_AGE} to {MAX_AGE}"
    elif age_from > age_to:
        problems["age_to"] = "The oldest age must be the same as or older than the youngest"
    elif lot is not None and (age_from < lot.age_from or age_to > lot.age_to):
        problems["age_from"] = f"Enter ages within the lot's, {lot.age_band}"


def checked_last_day(problems: dict, name: str, last: date | None, today: date, *, what: str,
                     first: date | None = None) -> None:
    if last is None:
        problems[name] = f"Enter the last day {what}, like 31 3 2027"
    elif last < today:
        problems[name] = f"The last day {what} must be today or later"
    elif last > today + timedelta(days=MAX_DAYS_AHEAD):
        problems[name] = f"The last day {what} must be within a year of today: publish it again later if needed"
    elif first is not None and last < first:
        problems[name] = "The last day must be the same as or after the first"


# Providers' own vacancies ------------------------------------------------------------------------------------

def lots_for_provider(provider: Organisation) -> list[Lot]:
    """The lots a provider holds an active place on: the lots it may publish vacancies on."""
    return list(db.session.scalars(
        db.select(Lot).join(LotMembership, LotMembership.lot_id == Lot.id)
        .where(LotMembership.provider_id == provider.id, LotMembership.status.in_(MEMBERSHIP_STATUSES))
        .options(selectinload(Lot.dps)).order_by(Lot.dps_id, Lot.number)))


def _validated(user: User, data: VacancyInput, today: date) -> dict:
    problems: dict[str, str] = {}
    lot = next((item for item in lots_for_provider(user.organisation) if item.id == data.lot_id), None)
    if lot is None:
        problems["lot_id"] = "Choose a lot your organisation holds a place on"
    else:
        barred = standing_effects.why_barred(lot.dps_id, user.organisation_id)
        if barred:
            raise DomainError(f"Your organisation is {barred}. It cannot publish vacancies on {lot.dps.name}",
                              field="lot_id")
    home_name = checked_text(problems, "home_name", data.home_name, limit=MAX_NAME,
                             required="Enter the name of the home or service")
    area = areas.get(data.area_code)
    if area is None:
        problems["area_code"] = "Choose the area of the home from the list"
    elif not area.is_lowest_tier:
        problems["area_code"] = areas.COUNTY_MESSAGE
    checked_ages(problems, data.age_from, data.age_to, lot)
    if data.available_from is None:
        problems["available_from"] = "Enter the first day the place is free, like 31 3 2027"
    checked_last_day(problems, "available_until", data.available_until, today, what="it is free",
                     first=data.available_from)
    notes = checked_text(problems, "notes", data.notes, limit=MAX_NOTES)
    if problems:
        raise MarketInvalid(problems)
    return {"lot_id": lot.id, "home_name": home_name, "area_code": area.code, "county_code": area.upper_tier_code,
            "age_from": data.age_from, "age_to": data.age_to, "available_from": data.available_from,
            "available_until": data.available_until, "notes": notes}


def _facts(vacancy: Vacancy) -> dict:
    """What the audit keeps of a vacancy: no free text, only its lengths."""
    return {"lot_id": vacancy.lot_id, "area_code": vacancy.area_code, "ages": vacancy.age_band,
            "available_from": vacancy.available_from.isoformat(),
            "available_until": vacancy.available_until.isoformat(), "notes_length": len(vacancy.notes)}


def publish(user: User, data: VacancyInput, now: datetime) -> Vacancy:
    values = _validated(user, data, uk_today(now))
    vacancy = Vacancy(provider_id=user.organisation_id, created_by_id=user.id, created_at=now, updated_at=now,
                      **values)
    db.session.add(vacancy)
    db.session.flush()
    audit.record(at=now, actor=user, action="vacancy.published", entity=vacancy,
                 summary=f"Vacancy published: {vacancy.home_name}", after=_facts(vacancy))
    db.session.commit()
    return vacancy


def update(user: User, vacancy: Vacancy, data: VacancyInput, now: datetime) -> Vacancy:
    _require_own(user, vacancy)
    if vacancy.withdrawn_at is not None:
        raise DomainError("This vacancy was withdrawn: publish a new one instead")
    values = _validated(user, data, uk_today(now))
    before = _facts(vacancy)
    for name, value in values.items():
        setattr(vacancy, name, value)
    vacancy.updated_at = now
    audit.record(at=now, actor=user, action="vacancy.changed", entity=vacancy,
                 summary=f"Vacancy changed: {vacancy.home_name}", before=before, after=_facts(vacancy))
    db.session.commit()
    return vacancy


def withdraw(user: User, vacancy: Vacancy, now: datetime) -> None:
    """Take a vacancy off the board. Withdrawing one already withdrawn changes nothing."""
    _require_own(user, vacancy)
    if vacancy.withdrawn_at is not None:
        return
    vacancy.withdrawn_at = vacancy.updated_at = now
    audit.record(at=now, actor=user, action="vacancy.withdrawn", entity=vacancy,
                 summary=f"Vacancy withdrawn: {vacancy.home_name}", before=_facts(vacancy))
    db.session.commit()


def _require_own(user: User, vacancy: Vacancy) -> None:
    if vacancy.provider_id != user.organisation_id:
        raise NotFound()


def get_own(user: User, vacancy_id: int) -> Vacancy:
    vacancy = db.session.get(Vacancy, vacancy_id)
    if vacancy is None:
        raise NotFound()
    _require_own(user, vacancy)
    return vacancy


def own_page(user: User, today: date, *, page: int, per_page: int):
    """The provider's vacancies, those still shown first, newest first."""
    shown = sa.and_(Vacancy.withdrawn_at.is_(None), Vacancy.available_until >= today)
    return db.paginate(
        db.select(Vacancy).where(Vacancy.provider_id == user.organisation_id)
        .options(selectinload(Vacancy.lot))
        .order_by(sa.case((shown, 0), else_=1), Vacancy.created_at.desc(), Vacancy.id.desc()),
        page=page, per_page=per_page, error_out=False)


# The board ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Search:
    """An officer's search of the board: every part optional."""

    lot_id: int | None = None
    area_code: str = ""  # an area of any level
    age: int | None = None
    on: date | None = None  # free on this day


def current(today: date):
    """The vacancies shown on `today`: not withdrawn, their last day not passed."""
    return sa.and_(Vacancy.withdrawn_at.is_(None), Vacancy.available_until >= today)


def in_area(codes: list[str] | tuple[str, ...]):
    """Vacancies within any of these areas (portal.areas.within): the area itself or, for a county, its
    districts."""
    return sa.or_(Vacancy.area_code.in_(codes), Vacancy.county_code.in_(codes))


def member_dps_ids(authority_id: int):
    """The DPSs an authority belongs to now (as lead or member): a subquery."""
    led = db.select(Dps.id).where(Dps.lead_authority_id == authority_id)
    joined = db.select(DpsMember.dps_id).where(DpsMember.authority_id == authority_id, DpsMember.left_on.is_(None))
    return sa.union(led, joined)


def visible_lots(user: User) -> list[Lot]:
    """The lots of the DPSs the officer's authority belongs to: the board's lot filter."""
    return list(db.session.scalars(
        db.select(Lot).where(Lot.dps_id.in_(member_dps_ids(user.organisation_id)))
        .options(selectinload(Lot.dps)).order_by(Lot.dps_id, Lot.number)))


def search(user: User, criteria: Search, today: date, *, page: int, per_page: int):
    """The current vacancies on the DPSs the officer's authority belongs to that match `criteria`, those free
    soonest first."""
    query = (db.select(Vacancy)
             .where(current(today), Vacancy.lot_id.in_(db.select(Lot.id).where(
                 Lot.dps_id.in_(member_dps_ids(user.organisation_id))))))
    if criteria.lot_id is not None:
        query = query.where(Vacancy.lot_id == criteria.lot_id)
    if criteria.area_code:
        query = query.where(in_area([criteria.area_code]))
    if criteria.age is not None:
        query = query.where(Vacancy.age_from <= criteria.age, Vacancy.age_to >= criteria.age)
    if criteria.on is not None:
        query = query.where(Vacancy.available_from <= criteria.on, Vacancy.available_until >= criteria.on)
    query = query.options(selectinload(Vacancy.provider), selectinload(Vacancy.lot))
    return db.paginate(query.order_by(Vacancy.available_from, Vacancy.id), page=page, per_page=per_page,
                       error_out=False)


@dataclass
class Matches:
    vacancies: list[Vacancy]
    total: int
    criteria: Search  # the board's search that lists them all (its area only where the referral names one)


def for_referral(referral: Referral, today: date, limit: int = REFERRAL_MATCHES) -> Matches:
    """The current vacancies on the referral's lot for the child's age, within its preferred areas (any area where
    it names none yet), those free soonest first."""
    conditions = [current(today), Vacancy.lot_id == referral.lot_id]
    codes = referral.preferred_area_codes
    if codes:
        conditions.append(in_area(codes))
    if referral.age_years is not None:
        conditions += [Vacancy.age_from <= referral.age_years, Vacancy.age_to >= referral.age_years]
    total = db.session.scalar(db.select(sa.func.count(Vacancy.id)).where(*conditions))
    vacancies = list(db.session.scalars(
        db.select(Vacancy).where(*conditions).options(selectinload(Vacancy.provider))
        .order_by(Vacancy.available_from, Vacancy.id).limit(limit))) if total else []
    criteria = Search(lot_id=referral.lot_id, area_code=codes[0] if len(codes) == 1 else "", age=referral.age_years)
    return Matches(vacancies, total, criteria)
