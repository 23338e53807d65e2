"""The demo's year of placements (`load`, called at the end of portal.demo.load): on the North West Fostering
Framework, whose first window ran fifteen months ago, Sefton and Tameside place children over the last twelve
months through the real journey (referral, funding, bids, assessment, cost approval, award), and the placements
end as placements do: planned and unplanned, a provider's short notice, an authority's notice, a move after a
breakdown (a second referral for the same child, agreed by a head of service and an assistant director), a
step-down from enhanced to standard foster care. Some are still live, one is ending, one is starting.

The children are fictional; their identity stays in the authorities' child records and never reaches a provider.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from portal.extensions import db
from portal.models import Dps, User
from portal.services import approvals, awards, bids, endings, referrals, windows
from portal.services.endings import Ending
from portal.timezone import local_datetime, to_local

SEFTON_OFFICER = "rachel.hughes@sefton.example.org"
TAMESIDE_OFFICER = "chris.doyle@tameside.example.org"
FOSTERING = "NW-FOS-DPS"
STANDARD, ENHANCED = 0, 1


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return local_datetime(day, time(hour, minute))


def _user(email: str) -> User:
    return db.session.scalar(db.select(User).where(User.email == email))


def _answered(approval, at: datetime):
    person, _role = approvals.answerers(approval)[0]
    approvals.answer(person, approval, approve=True, now=at)


@dataclass(frozen=True)
class Child:
    first_names: str
    surname: str
    age: int  # when first referred
    case_number: str
    needs: str


def _catch_up_windows(dps: Dps, moment: datetime) -> None:
    """The framework's later windows opened and closed on time (nobody applied to them): the scheduler's runs."""
    day = windows.windows_of(dps)[0].opens_at
    while day < moment:
        windows.run_due(day)
        day += timedelta(days=7)
    windows.run_due(moment)


def _fields(child: Child, *, created: date, price: str, area: str) -> dict:
    from portal.demo import _fields as sixteen_plus_fields
    from portal.demo import _preferred

    return sixteen_plus_fields(
        age_years=child.age, required_start=created + timedelta(days=12), indicative_weekly_price=Decimal(price),
        **_preferred(area), suitability_foster="preferred", suitability_residential="unsuitable",
        suitability_supported="unsuitable", live_alongside="no_preference",
        expected_duration="Long term, until the care plan is reviewed", needs_summary=child.needs,
        education_needs="Attends a mainstream school; the designated teacher is involved.")


def _identity(child: Child, created: date) -> dict:
    born = created - timedelta(days=child.age * 365 + child.age // 4 + 90)
    return {"first_names": child.first_names, "surname": child.surname, "known_as": "", "date_of_birth": born,
            "case_number": child.case_number}


def _category_index(age: int) -> int:
    return 0 if age <= 4 else 1 if age <= 10 else 2


def _placed(officer: User, lot, child: Child, created: date, *, price: str, area: str, bidder: int = 0,
            agreed_by=None):
    """A child placed through the whole journey, the referral made on `created`; the `bidder`-th invited agency
    with a price for the child's age bids its framework price. Returns the Placement."""
    from portal.demo import FOSTERING_PROVIDERS

    made = _at(created, 9, 30)
    referral = referrals.create(officer, lot=lot, fields=_fields(child, created=created, price=price, area=area),
                                child=_identity(child, created), now=made)
    if endings.new_search_problems(referral):
        for approval in endings.ask_new_search(officer, referral, made + timedelta(minutes=15)):
            _answered(approval, made + timedelta(hours=1))
    _answered(referrals.ask_funding(officer, referral, expected_weekly=None, now=made + timedelta(minutes=30)),
              made + timedelta(minutes=50))
    published = made + timedelta(hours=3)
    referrals.publish(officer, referral, published)
    deadline = referral.rounds[-1].deadline
    offers = []
    for invitation in referral.invitations:
        prices = FOSTERING_PROVIDERS[invitation.provider.name][1][lot.number - 1]
        if prices[_category_index(child.age)] is not None:
            offers.append((invitation.provider, prices[_category_index(child.age)]))
    provider, core = offers[bidder % len(offers)]
    user = db.session.scalar(db.select(User).where(User.organisation_id == provider.id).order_by(User.id))
    start = referral.required_start
    bids.submit(user, referrals.invitation_for(user, referral.id), bids.BidInput(
        core_weekly_fee=core, additional_costs=[], proposed_start=start, home_area=provider.area_code,
        home_description="A foster family with two experienced carers and a spare bedroom of the child's own.",
        how_needs_met="A supervising social worker visits fortnightly; the carers have completed trauma-informed "
                      "training and support school attendance and family time."), published + timedelta(days=1))
    referrals.run_due(deadline)
    assessed = deadline + timedelta(hours=2)
    bid = next(bid for bid in bids.visible_bids(officer, referral, assessed) if bid.provider_id == provider.id)
    awards.assess(officer, bid, scores={"needs": 5, "location": 4, "stability": 4, "education": 4},
                  notes="The carers' experience matches the child's needs.", now=assessed)
    _answered(awards.ask_cost_approval(officer, referral, bid, assessed + timedelta(hours=1)),
              assessed + timedelta(hours=3))
    return awards.award(officer, referral, bid, reason="", now=assessed + timedelta(hours=20))


def _ended(officer: User, placement, *, by: str, notice_on: date, end: date, planned: bool, reason: str,
           detail: str = "", following=None, on: date | None = None) -> None:
    """The officer records the ending on `on` (by default the end date)."""
    endings.record(officer, placement, Ending(by, notice_on, end, planned, reason, detail,
                                              following.id if following else None), _at(on or end, 16))


CHILDREN = {
    "maisie": Child("Maisie", "Threlfall-Oduya", 9, "SEF-CS-70211",
                    "Child aged 9 in care for two years, needing a stable foster family while the plan for a return to "
                    "family is worked on. Enjoys swimming and drawing; weekly family time supervised by the council."),
    "jayden": Child("Jayden", "Okafor-Brennan", 13, "SEF-CS-70388",
                    "Young person aged 13 needing experienced foster carers: anger when anxious, has damaged property "
                    "at home, responds well to routine and praise. A school support plan is in place."),
    "ruby": Child("Ruby", "Castellanos-Hart", 3, "SEF-CS-70452",
                  "Child aged 3 needing a foster family within reach of a nursery place and family time twice a week. "
                  "No additional health needs."),
    "leon": Child("Leon", "Abernethy-Quist", 15, "SEF-CS-70519",
                  "Young person aged 15 with a diagnosis of ADHD, needing enhanced foster carers and support to stay "
                  "in school. Has gone missing for short periods this year."),
    "elsie": Child("Elsie", "Brannigan-Voss", 6, "TAM-CS-31104",
                   "Child aged 6 needing a foster family with a brother's weekly family time, near their current "
                   "school. Recently diagnosed with asthma, well managed."),
    "tyler": Child("Tyler", "Hesketh-Amadi", 14, "TAM-CS-31262",
                   "Young person aged 14 needing enhanced foster care while settling after a residential placement; "
                   "plans to step down to standard foster care once settled."),
    "freya": Child("Freya", "Ward-Lindqvist", 8, "TAM-CS-31317",
                   "Child aged 8 needing a foster family for about a year, with help to catch up on reading."),
    "noah": Child("Noah", "Pemberton-Sule", 11, "TAM-CS-31455",
                  "Young person aged 11 needing a foster family for the medium term; enjoys football and music."),
}


def load(moment: datetime) -> None:
    dps = db.session.scalar(db.select(Dps).where(Dps.reference == FOSTERING))
    _catch_up_windows(dps, moment)
    standard, enhanced = dps.lots[STANDARD], dps.lots[ENHANCED]
    sefton, tameside = _user(SEFTON_OFFICER), _user(TAMESIDE_OFFICER)
    today = to_local(moment).date()

    # Sefton: a planned return home
    maisie = _placed(sefton, standard, CHILDREN["maisie"], today - timedelta(days=365), price="820.00", area="Sefton")
    _ended(sefton, maisie, by="authority", notice_on=today - timedelta(days=190), end=today - timedelta(days=150),
           planned=True, reason="return_home")

    # Sefton: the agency gave 20 days' notice (a breach); the ending was unplanned, a new referral for the same
    # child was agreed by the head of service and the assistant director, and the child moved.
    first = _placed(sefton, enhanced, CHILDREN["jayden"], today - timedelta(days=330), price="1290.00",
                    area="Sefton")
    notice_on, end = today - timedelta(days=230), today - timedelta(days=210)
    agency = db.session.scalar(db.select(User).where(User.organisation_id == first.provider_id).order_by(User.id))
    endings.give_notice(agency, first, end_date=end, reason="provider_cannot_meet_needs",
                        detail="The carers cannot manage the damage to property.", now=_at(notice_on, 10))
    _ended(sefton, first, by="provider", notice_on=notice_on, end=end, planned=False,
           reason="provider_cannot_meet_needs", on=notice_on + timedelta(days=1))
    second = _placed(sefton, enhanced, CHILDREN["jayden"], notice_on + timedelta(days=2), price="1290.00",
                     area="Sefton", bidder=1)
    _ended(sefton, first, by="provider", notice_on=notice_on, end=end, planned=False,
           reason="provider_cannot_meet_needs", following=second)

    # Sefton: the authority's own short notice (10 days) for a move closer to home: recorded, no breach
    ruby = _placed(sefton, standard, CHILDREN["ruby"], today - timedelta(days=250), price="780.00", area="Sefton")
    _ended(sefton, ruby, by="authority", notice_on=today - timedelta(days=70), end=today - timedelta(days=60),
           planned=True, reason="move_closer_to_home")

    # Sefton: an unplanned breakdown last month
    leon = _placed(sefton, enhanced, CHILDREN["leon"], today - timedelta(days=200), price="1290.00", area="Sefton")
    _ended(sefton, leon, by="authority", notice_on=today - timedelta(days=35), end=today - timedelta(days=30),
           planned=False, reason="placement_breakdown")

    # Tameside: live since the spring
    _placed(tameside, standard, CHILDREN["elsie"], today - timedelta(days=300), price="820.00", area="Tameside")

    # Tameside: a step-down from enhanced to standard foster care, planned
    enhanced_first = _placed(tameside, enhanced, CHILDREN["tyler"], today - timedelta(days=350), price="1290.00",
                             area="Tameside")
    step_down = _placed(tameside, standard, CHILDREN["tyler"], today - timedelta(days=150), price="905.00",
                        area="Tameside")
    _ended(tameside, enhanced_first, by="authority", notice_on=today - timedelta(days=170),
           end=step_down.start_date, planned=True, reason="step_down", following=step_down)

    # Tameside: the agency gave 40 days' notice, the placement ends in twelve days
    freya = _placed(tameside, standard, CHILDREN["freya"], today - timedelta(days=120), price="820.00",
                    area="Tameside")
    agency = db.session.scalar(db.select(User).where(User.organisation_id == freya.provider_id).order_by(User.id))
    endings.give_notice(agency, freya, end_date=today + timedelta(days=12), reason="plan_achieved",
                        detail="The care plan's goals are met; the move to long-term carers is agreed.",
                        now=_at(today - timedelta(days=28), 11))

    # Tameside: a placement starting next week
    _placed(tameside, standard, CHILDREN["noah"], today - timedelta(days=10), price="905.00", area="Tameside")
