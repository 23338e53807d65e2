"""The market's part of the demo (called at the end of portal.demo.load): a history of referrals on the 16+ DPS
since its providers were admitted (bids, declines, one with no bid, awards and placements in and out of the
authorities' own areas, two endings and an allegation), providers' vacancies (some expired, one withdrawn) and
authorities' sufficiency notices, so that every chart of the analytics pages has figures. It works over whatever
the demo holds, through the services, with times moving forward as they would have."""

from datetime import date, datetime, timedelta
from decimal import Decimal

from portal.extensions import db
from portal.models import ContractReview, Dps, Lot, LotMembership, Placement, PlacementIncident, User, UserRole
from portal.models.user import CONTRACT_MANAGER
from portal.services import awards, endings, ladder, placement_records, referrals, sufficiency, vacancies
from portal.services.bids import MEMBERSHIP_STATUSES
from portal.services.sufficiency import NoticeInput
from portal.services.vacancies import VacancyInput
from portal.timezone import to_local

SIXTEEN_PLUS, FOSTERING = "NW-16P-DPS", "NW-FOS-DPS"
SEFTON_OFFICER, TAMESIDE_OFFICER = "rachel.hughes@sefton.example.org", "chris.doyle@tameside.example.org"
MERSEY, HARBOUR = "Mersey Horizons Housing", "Harbour Lane Homes"

# (days ago published, officer, child (first names, surname, case number, age), Mersey's bid (core, area) or
# None, Harbour's bid or a decline reason, the ending (days after the start, planned, provider's short notice))
HISTORY = [
    (84, SEFTON_OFFICER, ("Jayden", "Merriweather", "SEF-LC-61021", 17), ("1480.00", "Sefton"), "no_vacancy", None),
    (76, TAMESIDE_OFFICER, ("Ellis", "Fairbrother", "TAM-CS-22817", 16), ("1525.00", "Liverpool"),
     ("1460.00", "Tameside"), (40, True, False)),
    (69, SEFTON_OFFICER, ("Tiernan", "Oakhurst", "SEF-LC-61188", 17), ("1550.00", "Sefton"), "location", None),
    (61, SEFTON_OFFICER, ("Skye", "Calderbank", "SEF-LC-61240", 16), None, ("1395.00", "Liverpool"),
     (21, False, True)),
    (52, TAMESIDE_OFFICER, ("Rowan", "Hesketh-Bryce", "TAM-CS-23004", 17), None, "cannot_meet_needs", None),
    (45, TAMESIDE_OFFICER, ("Logan", "Ashcombe", "TAM-CS-23111", 16), ("1610.00", "Wigan"), ("1575.00", "Tameside"),
     None),
    (38, SEFTON_OFFICER, ("Callum", "Brindle", "SEF-LC-61377", 17), ("1505.00", "Sefton"), ("1440.00", "Sefton"),
     None),
]
NEEDS = ("Young person aged {age} needing semi-independent accommodation with key-work support while at college, "
         "preparing for a tenancy at 18. Manages daily living well; needs help with budgeting. No known risks to "
         "others.")
VACANCIES = [  # (lot number, home, area, ages, free from (days from today), free until (days), notes)
    (1, "Marsh Lane House", "Sefton", (16, 18), -5, 40, "A ground-floor room with its own shower, near the bus "
                                                          "routes to the colleges."),
    (1, "Canal View", "Wigan", (16, 17), 7, 60, "Suits a young person who wants a quieter house."),
    (2, "Bridge Street flats", "Liverpool", (17, 18), 0, 30, ""),
    (1, "Orchard Court", "Chorley", (16, 18), 14, 75, "Staffed around the clock; two places."),
    (1, "Old Mill House", "Oldham", (16, 18), -45, -3, "Filled in the autumn."),
]
FOSTERING = "foster"  # the service type of a fostering DPS (portal.models.dps.SERVICE_TYPES)
FOSTER_VACANCIES = [  # the same, for fostering providers: carers rather than homes
    (1, "Carers in Formby (the Ashdown household)", "Sefton", (5, 11), -5, 40,
     "A couple with a spare bedroom, experienced with primary-age children."),
    (2, "Carers in Leigh (a single carer, trained in therapeutic care)", "Wigan", (11, 17), 7, 60,
     "One child only; no younger children in the household."),
    (1, "Carers in Walton (the Okoro household)", "Liverpool", (0, 4), 0, 30, ""),
    (1, "Carers in Euxton", "Chorley", (8, 15), 14, 75, "Can take a sibling pair."),
    (1, "Carers in Royton", "Oldham", (2, 9), -45, -3, "Matched in the autumn."),
]
NOTICES = [  # (officer, lot number, area, ages, places, note, until (days), published (days ago))
    (SEFTON_OFFICER, 1, "Sefton", (16, 17), 3, "Homes within reach of the colleges in Bootle and Southport.", 90, 12),
    (TAMESIDE_OFFICER, 2, "Tameside", (17, 18), 2, "Flats with floating support for young people ready to move on.",
     60, 6),
    (SEFTON_OFFICER, 3, "Lancashire", (16, 21), 1, "", -2, 50),
]


def load_market(moment: datetime) -> None:
    dps = db.session.scalar(db.select(Dps).where(Dps.reference == SIXTEEN_PLUS))
    if dps is None:
        return
    today = to_local(moment).date()
    lots = {lot.number: lot for lot in dps.lots}
    people = {user.email: user for user in db.session.scalars(db.select(User).where(
        User.email.in_([SEFTON_OFFICER, TAMESIDE_OFFICER])))}
    providers = _provider_users([MERSEY, HARBOUR])
    if len(people) == 2 and len(providers) == 2:
        _history(lots[1], people, providers, today, moment)
        _notices(lots, people, today, moment)
    _vacancies(today, moment)


def _provider_users(names: list[str]) -> dict[str, User]:
    from portal.models import Organisation

    users = db.session.scalars(db.select(User).join(Organisation, Organisation.id == User.organisation_id)
                               .where(Organisation.name.in_(names)).order_by(User.id)).all()
    found = {}
    for user in users:
        found.setdefault(user.organisation.name, user)
    return found


# A history of referrals ---------------------------------------------------------------------------------------

def _history(lot: Lot, people: dict, providers: dict, today: date, moment: datetime) -> None:
    from portal.demo import _answered, _at, _bid, _born, _decline, _fields, _preferred, _published

    admitted = db.session.scalar(db.select(db.func.max(LotMembership.admitted_at))
                                 .where(LotMembership.lot_id == lot.id))
    for days, email, (first, surname, case, age), mersey, harbour, ending in HISTORY:
        published = _at(today - timedelta(days=days), 10)
        if admitted is None or published <= admitted:
            continue
        officer = people[email]
        start = today - timedelta(days=days - 10)
        referral = _published(
            officer, lot, created=published - timedelta(hours=2), published=published,
            deadline=published + timedelta(days=3), child={
                "first_names": first, "surname": surname, "known_as": "", "case_number": case,
                "date_of_birth": _born(today, age, 90)},
            fields=_fields(age_years=age, required_start=start, indicative_weekly_price=Decimal("1500.00"),
                           needs_summary=NEEDS.format(age=age),
                           **_preferred("Sefton" if email == SEFTON_OFFICER else "Tameside")))
        offers = {MERSEY: mersey, HARBOUR: harbour}
        for name, offer in offers.items():
            at = published + timedelta(days=1, hours=2 if name == MERSEY else 5)
            if isinstance(offer, tuple):
                _bid(providers[name], referral, at, core=offer[0], start=start, area=offer[1],
                     home="A shared house with staff on site during the day and a waking night worker.",
                     how="A named key worker for 8 hours a week and weekly budgeting sessions.")
            elif offer:
                _decline(providers[name], referral, at, offer, "")
        deadline = published + timedelta(days=3)
        referrals.run_due(deadline)
        bidders = [name for name, offer in offers.items() if isinstance(offer, tuple)]
        if not bidders:
            referrals.withdraw(officer, referral, "No provider bid: the need was met by a family placement.",
                               deadline + timedelta(hours=3))
            continue
        placement = _award(officer, referral, providers, bidders, deadline, _answered)
        if ending is not None:
            _end(placement, officer, ending, moment)


def _award(officer, referral, providers, bidders, deadline, answered) -> Placement:
    from portal.demo import _assess, _opened_bid

    assessed = deadline + timedelta(hours=20)
    for turn, name in enumerate(bidders):
        _assess(officer, referral, providers[name], assessed + timedelta(minutes=20 * turn),
                (5, 4, 4, 4) if turn == 0 else (4, 4, 3, 4), "Meets the needs set out in the referral.")
    bid = _opened_bid(officer, referral, providers[bidders[0]], assessed)
    awarded = deadline + timedelta(days=2)
    answered(awards.ask_cost_approval(officer, referral, bid, awarded - timedelta(hours=3)),
             awarded - timedelta(hours=1))
    return awards.award(officer, referral, bid, now=awarded, reason="Ranked first on the assessment.")


def _end(placement: Placement, officer: User, ending: tuple, moment: datetime) -> None:
    """The ending recorded by the officer through the endings service; an unplanned one after an allegation
    recorded against the placement."""
    after_days, planned, short_notice = ending
    end = placement.start_date + timedelta(days=after_days)
    notice = end - timedelta(days=14 if short_notice else 35)
    recorded = min(moment, datetime.combine(end, datetime.min.time()) + timedelta(hours=10))
    if not planned:
        placement_records.record_incident(
            officer, placement, occurred_on=notice - timedelta(days=3), category="allegation",
            summary="An allegation about a member of staff, referred to the LADO.", lado_informed=True,
            police_informed=False, outcome="Not substantiated", ended_placement=True,
            now=datetime.combine(notice, datetime.min.time()) + timedelta(hours=9))
    endings.record(officer, placement, endings.Ending(
        notice_given_by="provider" if short_notice else "authority", notice_given_on=notice, end_date=end,
        planned=planned, reason="plan_achieved" if planned else "placement_breakdown"), recorded)
    if not planned:
        _safeguarding_review_done(placement, datetime.combine(notice, datetime.min.time()) + timedelta(hours=9,
                                                                                                        minutes=40))


def _safeguarding_review_done(placement: Placement, at: datetime) -> None:
    """The contract review the allegation opened, completed by the lead's contract manager the same morning, once
    the LADO found it not substantiated (so the provider's new placements are no longer restricted)."""
    review = db.session.scalar(db.select(ContractReview).where(
        ContractReview.source_type == PlacementIncident.__tablename__,
        ContractReview.source_id.in_(db.select(PlacementIncident.id).where(
            PlacementIncident.placement_id == placement.id)), ContractReview.closed_at.is_(None)))
    if review is None:
        return
    manager = db.session.scalar(db.select(User).where(
        User.organisation_id == review.contract.dps.lead_authority_id,
        User.id.in_(db.select(UserRole.user_id).where(UserRole.role == CONTRACT_MANAGER))).order_by(User.id))
    ladder.close_review(manager, review, outcome="The LADO found the allegation not substantiated; no further "
                                                 "action for the contract", now=at)


# Vacancies and notices ----------------------------------------------------------------------------------------

def _vacancies(today: date, moment: datetime) -> None:
    """Each provider with a place publishes vacancies on its first lots; one is withdrawn; some have expired."""
    from portal.demo import _area

    places = db.session.scalars(db.select(LotMembership).where(LotMembership.status.in_(MEMBERSHIP_STATUSES))
                                .order_by(LotMembership.provider_id, LotMembership.lot_id)).all()
    by_provider: dict[int, list[LotMembership]] = {}
    for place in places:
        by_provider.setdefault(place.provider_id, []).append(place)
    for number, (_provider_id, held) in enumerate(by_provider.items()):
        user = db.session.scalar(db.select(User).where(User.organisation_id == held[0].provider_id).order_by(User.id))
        fostering = held[0].lot.dps.service_type == FOSTERING
        lot_number, home, area, (low, high), first, last, notes = (FOSTER_VACANCIES if fostering else VACANCIES)[
            number % len(VACANCIES)]
        place = next((item for item in held if item.lot.number == lot_number), held[0])
        lot = place.lot
        low, high = max(low, lot.age_from), min(high, lot.age_to)
        if low > high:
            low, high = lot.age_from, lot.age_to
        published = moment - timedelta(days=max(0, -first) + 2)
        data = VacancyInput(lot_id=lot.id, home_name=home, area_code=_area(area), age_from=low, age_to=high,
                            available_from=today + timedelta(days=first),
                            available_until=today + timedelta(days=last), notes=notes)
        vacancy = vacancies.publish(user, data, published)
        if number == 2:
            vacancies.withdraw(user, vacancy, moment - timedelta(days=1))


def _notices(lots: dict, people: dict, today: date, moment: datetime) -> None:
    from portal.demo import _area

    for email, lot_number, area, (low, high), places, note, until, days_ago in NOTICES:
        lot = lots.get(lot_number)
        if lot is None:
            continue
        published = moment - timedelta(days=days_ago)
        sufficiency.publish(people[email], NoticeInput(
            lot_id=lot.id, area_code=_area(area), age_from=max(low, lot.age_from), age_to=min(high, lot.age_to),
            places=places, note=note, needed_until=today + timedelta(days=until)), published)
