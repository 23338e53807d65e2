"""A demonstration consortium shaped like the North West's 16+ leaving-care arrangement: a lead
authority, member authorities, three lots, a four-monthly cadence, and a sign-in for each role.

Everything is made through the services, at the moments people would have done it. The first
window ran four months ago: five providers applied, two evaluators scored each application, the
gates and references were taken up, the administrator moderated and published the outcomes, and
the lots were tiered. One provider was admitted with caution (an unsatisfactory reference) and one
was not admitted (low scores). The second window is open now, with submitted and draft
applications.

Referrals follow, in every state, made through the referral, bid, award and off-framework services
at the times an officer and the providers would have acted: an award three weeks ago (bids assessed,
one price negotiated, the placement and its agreement), a referral closed and awaiting the officer's
decision, one open for bids (a bid in, a decline), an emergency that exhausted every tier yesterday
and was placed off the framework with its quality-assurance visit still to do, and a draft. The
children, people, e-mail addresses and telephone numbers are fictional (example.org addresses,
Ofcom's drama numbers)."""

import io
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from portal import (
    areas,
    demo_agreements,
    demo_annual,
    demo_compliance,
    demo_contracts,
    demo_effects,
    demo_kpis,
    demo_ladder,
    demo_life,
    demo_market,
    demo_settings,
)
from portal.clock import now
from portal.extensions import db
from portal.models import Application, EntryWindow, Organisation, User, UserRole
from portal.models.evaluation import SATISFACTORY, UNSATISFACTORY
from portal.models.organisation import AUTHORITY
from portal.models.user import (
    ADMINISTRATOR,
    ASSISTANT_DIRECTOR,
    BUDGET_HOLDER,
    COMMISSIONING_OFFICER,
    EVALUATOR,
    HEAD_OF_SERVICE,
    USER_ADMINISTRATOR,
)
from portal.services import (
    accounts,
    applications,
    approvals,
    awards,
    bids,
    dps_setup,
    evaluations,
    members,
    off_framework,
    outcomes,
    referrals,
    windows,
)
from portal.timezone import local_datetime, to_local

PASSWORD = "demo-password-2026"

LEAD = "Tameside Metropolitan Borough Council"


def _area(name: str) -> str:
    """The ONS code of the area of that name (portal/areas.py)."""
    return areas.match_name(name).code


def _preferred(names: str, note: str = "") -> dict:
    """A referral's preferred areas from a list of names, with the note."""
    return {"preferred_areas": areas.match_list(names)[0], "preferred_location": note}

MEMBERS = [
    ("Sefton Council", "Sefton"), ("Stockport Metropolitan Borough Council", "Stockport"),
    ("Oldham Council", "Oldham"), ("Rochdale Borough Council", "Rochdale"), ("Wigan Council", "Wigan"),
    ("Trafford Council", "Trafford"),
]
LOTS = [
    ("Semi-independence and group living", "Shared or solo accommodation with staff support on site, "
     "for young people preparing to leave care.", 16, 18, 3),
    ("Floating support with accommodation", "A tenancy or licence with visiting key-work support.", 16, 18, 3),
    ("Floating support", "Visiting key-work support for a young person in their own accommodation.", 16, 21, 0),
]
QUESTIONS = [
    ("Describe how you keep young people safe, including when they go missing or are at risk of exploitation.",
     "Refer to your safeguarding policy, staff training and work with police and the LADO.", 3, 5, 2),
    ("How do you help young people build the skills to live independently?",
     "Budgeting, cooking, tenancy skills, education, training and employment.", 2, 5, 2),
    ("How do you recruit, vet, train and supervise staff?", "", 2, 5, 2),
    ("How do you work with the young person's social worker, personal adviser and independent reviewing "
     "officer?", "", 1, 5, 2),
]
PROVIDERS = [
    # name, URN, area, postcode, rating, user name, e-mail
    ("Northern Pathways Supported Living Ltd", "2750011", "Manchester", "M1 1AA", "Good",
     "Priya Lane", "priya.lane@northern-pathways.example.org"),
    ("Mersey Horizons Housing", "2750012", "Liverpool", "L1 1AA", "Outstanding",
     "Tom Ashworth", "tom.ashworth@mersey-horizons.example.org"),
    ("Pennine Steps Ltd", "2750013", "Oldham", "OL1 1AA", "Good",
     "Grace Okafor", "grace.okafor@pennine-steps.example.org"),
    ("Brightwater Transitions CIC", "2750014", "Wigan", "WN1 1AA", "Requires improvement to be good",
     "Sam Whitfield", "sam.whitfield@brightwater.example.org"),
    ("Ashgrove Youth Support", None, "Stockport", "SK1 1AA", None,
     "Nadia Kerr", "nadia.kerr@ashgrove.example.org"),
    ("Harbour Lane Homes", "2750016", "Sefton", "L20 1AA", "Good",
     "Owen Price", "owen.price@harbour-lane.example.org"),
]
PRICES = {  # weekly prices in the open window for lots 1, 2, 3 (None: not applied for)
    "Northern Pathways Supported Living Ltd": ("1450.00", "980.00", "420.00"),
    "Mersey Horizons Housing": ("1620.00", "1050.00", None),
    "Pennine Steps Ltd": ("1385.50", None, "395.00"),
    "Brightwater Transitions CIC": ("1290.00", "890.00", None),
    "Ashgrove Youth Support": (None, None, "365.00"),
    "Harbour Lane Homes": ("1510.00", "1010.00", "440.00"),
}

# The first window. For each applicant: weekly prices for lots 1, 2, 3 (None: not applied for); its
# two evaluators (by e-mail) and their scores for the four scored questions; the agreed scores; and
# the outcome of each reference (the second referee's note when it is unsatisfactory).
FIRST_WINDOW = {
    "Mersey Horizons Housing": {
        "prices": ("1595.00", "1040.00", None), "evaluators": ("helen.marsh", "daniel.reid"),
        "scores": ((5, 4, 4, 5), (5, 5, 4, 4)), "agreed": (5, 5, 4, 5), "concern": None},
    "Harbour Lane Homes": {
        "prices": ("1480.00", "995.00", "430.00"), "evaluators": ("helen.marsh", "aisha.begum"),
        "scores": ((4, 4, 4, 3), (4, 3, 4, 4)), "agreed": (4, 4, 4, 4), "concern": None},
    "Northern Pathways Supported Living Ltd": {
        "prices": ("1425.00", "965.00", None), "evaluators": ("daniel.reid", "aisha.begum"),
        "scores": ((4, 3, 3, 4), (3, 3, 4, 3)), "agreed": (4, 3, 3, 3), "concern": None},
    "Brightwater Transitions CIC": {
        "prices": ("1265.00", None, None), "evaluators": ("daniel.reid", "aisha.begum"),
        "scores": ((3, 3, 3, 3), (3, 4, 3, 2)), "agreed": (3, 3, 3, 3),
        "concern": "Two placements ended early last year after gaps in night-time staffing. The council has an "
                   "improvement plan with the provider and would not yet place a young person with high needs there."},
    "Pennine Steps Ltd": {
        "prices": ("1410.00", None, "405.00"), "evaluators": ("helen.marsh", "daniel.reid"),
        "scores": ((2, 2, 3, 2), (1, 2, 2, 2)), "agreed": (1, 2, 2, 2), "concern": None},
}
# What an evaluator notes for each scored question at each score from 1 to 5 (0 is never given here).
NOTES = [
    ["No missing-from-care protocol and nothing on exploitation: safeguarding is described only in general terms.",
     "A basic policy, but little on what staff do when a young person goes missing or is at risk of exploitation.",
     "A sound policy and staff training. Work with the police and the LADO is mentioned but not shown.",
     "A clear missing-from-care protocol, return interviews and exploitation training, with examples of joint "
     "work with the police.",
     "Excellent: a named safeguarding lead, exploitation risk assessments reviewed weekly, and joint work with "
     "the police and the LADO shown in real cases."],
    ["Independence skills are barely mentioned.",
     "Some life-skills sessions, but no plan made with each young person.",
     "A reasonable programme on budgeting and cooking; little on education, training and employment.",
     "A structured skills plan for each young person covering money, cooking and tenancy skills, reviewed monthly.",
     "Outstanding: individual plans, an accredited tenancy course and links with colleges and employers, with "
     "figures for how many young people moved on to their own tenancy."],
    ["Safer recruitment is not described.",
     "Recruitment checks are listed, but supervision and training are thin.",
     "Safer recruitment and induction are covered; supervision is less often than we expect.",
     "Thorough safer recruitment, a full induction and monthly supervision, with a training record for each worker.",
     "Exemplary: values-based recruitment, monthly supervision, reflective practice groups and a complete training "
     "record."],
    ["Little sign of working with the young person's social worker or personal adviser.",
     "Contact with social workers is mentioned, but not how often or what is shared.",
     "Regular updates to social workers; personal advisers and independent reviewing officers are less visible.",
     "Weekly updates, attendance at reviews and pathway planning, and a clear route for raising concerns.",
     "Excellent partnership: weekly reports, at every review, and pathway plans written with the personal adviser."],
]
# The moderated feedback to the provider: what the agreed score reflects, and how to do better.
FEEDBACK = [
    ("Your answer showed {what} in keeping young people safe.",
     "To score higher, show how your missing-from-care protocol works in practice, with an anonymised example "
     "of joint work with the police."),
    ("Your answer showed {what} in helping young people towards independence.",
     "To score higher, set out a plan made with each young person and say how you support education, "
     "training and employment."),
    ("Your answer showed {what} in recruiting, training and supervising staff.",
     "To score higher, describe how often staff are supervised and how you check that training has made a "
     "difference."),
    ("Your answer showed {what} in working with the young person's professionals.",
     "To score higher, say how often you report to the social worker and personal adviser and what you share."),
]
STRENGTH = {1: "little evidence of good practice", 2: "some weaknesses", 3: "adequate practice",
            4: "good practice", 5: "excellent practice"}
REFEREES = [
    ("Bolton Council", "Jo Fielding", "Placements team manager", "jo.fielding@bolton.example.org"),
    ("Salford City Council", "Mark Ellis", "Commissioning officer", "mark.ellis@salford.example.org"),
    ("Bury Council", "Leah Grant", "Head of children's commissioning", "leah.grant@bury.example.org"),
    ("Knowsley Council", "Imran Shah", "Leaving care team manager", "imran.shah@knowsley.example.org"),
]


def is_empty() -> bool:
    return db.session.scalar(db.select(db.func.count(Organisation.id))) == 0


def _user(organisation, name, email, roles, moment) -> User:
    user = User(organisation=organisation, name=name, email=email, password_hash=accounts.hash_password(PASSWORD),
                password_changed_at=moment, created_at=moment)
    user.role_rows = [UserRole(role=role) for role in roles]
    db.session.add(user)
    return user


# Those who decide approvals at Sefton and Tameside (fictional people): a budget holder with an annual approval
# limit (weekly cost x 52), a head of service and an assistant director at each.
DECIDERS = [
    ("sefton_budget", "sefton", "Siobhan Carr", "siobhan.carr@sefton.example.org", BUDGET_HOLDER,
     Decimal("120000.00")),
    ("sefton_head", "sefton", "Marcus Ellery", "marcus.ellery@sefton.example.org", HEAD_OF_SERVICE, None),
    ("sefton_director", "sefton", "Priya Sandhu", "priya.sandhu@sefton.example.org", ASSISTANT_DIRECTOR, None),
    ("tameside_budget", "tameside", "Owen Kettering", "owen.kettering@tameside.example.org", BUDGET_HOLDER,
     Decimal("100000.00")),
    ("tameside_head", "tameside", "Lorna Bickerstaff", "lorna.bickerstaff@tameside.example.org", HEAD_OF_SERVICE,
     None),
    ("tameside_director", "tameside", "Farid Haddad", "farid.haddad@tameside.example.org", ASSISTANT_DIRECTOR, None),
]


def _deciders(sefton, tameside, moment) -> dict[str, User]:
    authorities = {"sefton": sefton, "tameside": tameside}
    people = {}
    for key, where, name, email, role, limit in DECIDERS:
        people[key] = _user(authorities[where], name, email, [role], moment)
        people[key].approval_limit = limit
    return people


def _answered(approval, at: datetime, *, approve: bool = True, reason: str = ""):
    """The request answered by the first person who may answer it, at `at`."""
    person, _role = approvals.answerers(approval)[0]
    approvals.answer(person, approval, approve=approve, reason=reason, now=at)
    return approval


def _pdf(title: str) -> bytes:
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4)
    page.drawString(72, 770, title)
    page.drawString(72, 750, "Demonstration document for the placements portal.")
    page.save()
    return buffer.getvalue()


def load() -> list[tuple[str, str]]:
    moment = now()
    # The first window opened four months and ten days ago; the consortium set up three weeks before.
    first_opens = windows.add_months(moment.replace(hour=9, minute=0, second=0, microsecond=0) - timedelta(days=10),
                                     -4)
    set_up = first_opens - timedelta(days=21)
    lead = Organisation(name=LEAD, kind=AUTHORITY, local_authority_area="Tameside", area_code=_area("Tameside"),
                        created_at=set_up)
    db.session.add(lead)
    admin = _user(lead, "Helen Marsh", "helen.marsh@tameside.example.org", [ADMINISTRATOR, EVALUATOR], set_up)
    evaluator = _user(lead, "Daniel Reid", "daniel.reid@tameside.example.org", [EVALUATOR], set_up)
    third = _user(lead, "Aisha Begum", "aisha.begum@tameside.example.org", [EVALUATOR], set_up)
    lead_officer = _user(lead, "Chris Doyle", "chris.doyle@tameside.example.org", [COMMISSIONING_OFFICER], set_up)
    # Each authority's user administrator manages its own staff (providers' first users do theirs).
    tameside_users = _user(lead, "Martin Ashworth", "martin.ashworth@tameside.example.org", [USER_ADMINISTRATOR],
                           set_up)
    db.session.commit()

    dps = dps_setup.create_dps(
        admin, reference="NW-16P-DPS", name="North West Leaving Care (16+) Purchasing System",
        service_type="sixteen_plus", description="Semi-independence, group living and floating support for "
        "looked-after young people preparing to leave care, bought together by North West councils.",
        start_date=set_up.date(), initial_years=2, extension_years="1+1", cadence_months=4,
        window_length_days=28, required_evidence=["ofsted_report", "statement_of_purpose", "childrens_guide",
                                                  "pricing_schedule", "insurance_certificate"],
        quality_weight=60, quality_threshold_percent=50, now=set_up)
    # Each member is chosen by its area; its council keeps the name it goes by.
    joined = []
    for name, area in MEMBERS:
        db.session.add(Organisation(name=name, kind=AUTHORITY, local_authority_area=area, area_code=_area(area),
                                    created_at=set_up))
        joined.append(members.add(admin, dps, area_code=_area(area), now=set_up))
    sefton = joined[0].authority
    officer = _user(sefton, "Rachel Hughes", "rachel.hughes@sefton.example.org", [COMMISSIONING_OFFICER], set_up)
    sefton_users = _user(sefton, "Joanne Pritchard", "joanne.pritchard@sefton.example.org", [USER_ADMINISTRATOR],
                         set_up)
    deciders = _deciders(sefton, lead, set_up)
    db.session.commit()
    lots = [dps_setup.add_lot(admin, dps, name=name, description=text, categories=[(low, high, tiers)],
                              now=set_up) for name, text, low, high, tiers in LOTS]
    question_set = dps.current_question_set
    for text, guidance, weight, max_score, min_score in QUESTIONS:
        dps_setup.add_question(admin, question_set, text=text, guidance=guidance, scoring="scored", weight=weight,
                               max_score=max_score, min_score=min_score, word_limit=500, now=set_up)
    dps_setup.add_question(admin, question_set, text="Confirm you hold the registration, policies and insurance "
                           "the contract requires.", guidance="", scoring="pass_fail", weight=0, max_score=1,
                           min_score=1, word_limit=200, now=set_up)
    first = windows.schedule_first_window(admin, dps, opens_at=first_opens, now=set_up)

    # Providers register over the following week.
    providers = {}
    for name, urn, area, postcode, rating, user_name, email in PROVIDERS:
        registered = set_up + timedelta(days=2 + len(providers), hours=1 + len(providers))
        user = accounts.register_provider(
            organisation_name=name, ofsted_urn=urn, registered_office=f"1 Mill Street, {area}", postcode=postcode,
            area_code=_area(area), telephone="0161 496 0" + str(100 + len(providers)), user_name=user_name,
            email=email, password=PASSWORD, now=registered)
        organisation = user.organisation
        if rating:
            organisation.ofsted_rating = rating
            organisation.ofsted_rating_date = (moment - timedelta(days=200 + 40 * len(providers))).date()
        providers[name] = user
    db.session.commit()
    evaluations.declare_conflict(third, providers["Mersey Horizons Housing"].organisation,
                                 "I managed one of their houses until 2023.", set_up + timedelta(days=12))

    # The first window: opened, applied to, reminded, closed, evaluated and published.
    windows.run_due(first_opens)  # announces the opening and schedules the second window by the cadence
    submitted = {}
    for number, (name, plan) in enumerate(FIRST_WINDOW.items()):
        started = first_opens + timedelta(days=2 + 3 * number, hours=1 + number)
        submitted[name] = _apply(providers[name], first, lots, submit=True, moment=started, prices=plan["prices"],
                                 submit_at=started + timedelta(days=4, hours=3), referees=_referees(number))
    windows.run_due(first.closes_at)
    _evaluate_first_window(first, admin, {"helen.marsh": admin, "daniel.reid": evaluator, "aisha.begum": third},
                           providers, submitted)
    outcomes.publish(admin, first, first.closes_at + timedelta(days=9, hours=5))

    # The second window is open now: it opened ten days ago and closes in eighteen.
    current = windows.next_window(dps, first.closes_at)
    windows.run_due(current.opens_at)  # announces the opening and schedules the third window
    opened = current.opens_at
    _apply(providers["Pennine Steps Ltd"], current, lots, submit=True, moment=opened + timedelta(days=1, hours=2),
           submit_at=opened + timedelta(days=6, hours=4))
    _apply(providers["Ashgrove Youth Support"], current, lots, submit=True, moment=opened + timedelta(days=2, hours=3),
           submit_at=opened + timedelta(days=8, hours=1), referees=_referees(2))
    _apply(providers["Northern Pathways Supported Living Ltd"], current, lots[2:], submit=False,
           moment=opened + timedelta(days=4, hours=5))
    _apply(providers["Brightwater Transitions CIC"], current, lots[1:2], submit=False,
           moment=opened + timedelta(days=7, hours=2), partial=True)
    windows.run_due(moment)

    _make_referrals(moment, sefton_officer=officer, tameside_officer=lead_officer, lots=lots, providers=providers)
    fostering_admin = _fostering_framework(moment, referees=REFEREES)
    managers = demo_contracts.managers(moment, _user)
    demo_life.load(moment)
    demo_agreements.load(moment)
    demo_market.load_market(moment)
    demo_kpis.load(moment)
    contract_people = demo_contracts.load(moment, managers)
    contract_people += demo_annual.load(moment, _user)
    contract_people += demo_compliance.load(moment, _user)
    contract_people += demo_settings.load(moment, _user)
    contract_people += demo_ladder.load(moment, _user)
    contract_people += demo_effects.load(moment, _user)
    _draft_above_every_limit(officer, lots[0], moment)

    return [
        ("Consortium administrator and evaluator (Tameside)", admin.email),
        ("Evaluator (Tameside)", evaluator.email),
        ("Commissioning officer (Tameside): bids to weigh", lead_officer.email),
        ("Commissioning officer (Sefton): referrals", officer.email),
        ("Budget holder (Sefton): a funding approval on the Tasks page", deciders["sefton_budget"].email),
        ("Head of service (Sefton)", deciders["sefton_head"].email),
        ("Assistant director (Sefton): a funding approval above every budget holder's limit",
         deciders["sefton_director"].email),
        ("Budget holder (Tameside)", deciders["tameside_budget"].email),
        ("Head of service (Tameside)", deciders["tameside_head"].email),
        ("Assistant director (Tameside)", deciders["tameside_director"].email),
        ("User administrator (Sefton): its staff", sefton_users.email),
        ("User administrator (Tameside): its staff", tameside_users.email),
        ("Provider with an open bid and a placement", providers["Mersey Horizons Housing"].email),
        ("Provider not admitted in Window 1; resubmitted", providers["Pennine Steps Ltd"].email),
        ("Provider admitted in Window 1, with a draft", providers["Northern Pathways Supported Living Ltd"].email),
        ("Provider admitted with caution in Window 1", providers["Brightwater Transitions CIC"].email),
        ("Provider admitted in Window 1, not applying now", providers["Harbour Lane Homes"].email),
        ("Fostering framework administrator (Manchester): lots in age categories", fostering_admin.email),
    ] + contract_people


def _referees(number: int) -> list[tuple[str, str, str, str]]:
    return [REFEREES[number % len(REFEREES)], REFEREES[(number + 1) % len(REFEREES)]]


def _marks(questions, scores, reason) -> dict[int, tuple[int, str]]:
    """Marks for the scored questions (in order) and a pass for the pass/fail question."""
    marks = {}
    scored = iter(enumerate(scores))
    for question in questions:
        if question.is_pass_fail:
            marks[question.id] = (1, "Registration, policies and insurance confirmed in the evidence.")
        else:
            index, score = next(scored)
            marks[question.id] = (score, reason(index, score))
    return marks


def _feedback(index: int, score: int) -> str:
    opening, advice = FEEDBACK[index]
    text = opening.format(what=STRENGTH[score])
    return text if score == 5 else f"{text} {advice}"


def _evaluate_first_window(window: EntryWindow, admin: User, people: dict[str, User], providers: dict[str, User],
                           submitted: dict[str, Application]) -> None:
    """Allocate, score, check, moderate: what the lead authority did after the first window closed."""
    closed = window.closes_at
    questions = window.question_set.questions
    for name, plan in FIRST_WINDOW.items():
        evaluations.allocate(admin, submitted[name], [people[key].id for key in plan["evaluators"]],
                             closed + timedelta(days=1, hours=1))
    for number, (name, plan) in enumerate(FIRST_WINDOW.items()):
        application = submitted[name]
        for turn, (key, scores) in enumerate(zip(plan["evaluators"], plan["scores"], strict=True)):
            scored_at = closed + timedelta(days=2 + turn + number % 2, hours=2 + number)
            marks = _marks(questions, scores, lambda index, score: NOTES[index][score - 1])
            errors = evaluations.save_scores(people[key], application, marks, scored_at)
            if errors:
                raise RuntimeError(f"Demo scores for {name} were refused: {errors}")
            evaluations.submit_scores(people[key], application, scored_at + timedelta(minutes=20))
        checker = people[plan["evaluators"][0]]
        checked_at = closed + timedelta(days=5, hours=number)
        for gate, (passed, evidence) in evaluations.suggested_gates(application).items():
            evaluations.record_gate(checker, application, gate, passed is not False, evidence, checked_at)
        for referee in application.referees:
            if plan["concern"] and referee is application.referees[-1]:
                evaluations.record_reference(checker, application, referee.id, UNSATISFACTORY, plan["concern"],
                                             checked_at)
            else:
                evaluations.record_reference(checker, application, referee.id, SATISFACTORY,
                                             "Taken up by telephone: placements well run and good communication.",
                                             checked_at)
        if plan["concern"]:
            question = evaluations.ask_clarification(
                checker, application, "Your reference mentions gaps in night-time staffing last year. How many "
                "waking night staff does each house now have, and how do you cover sickness?", checked_at)
            evaluations.answer_clarification(
                providers[name], application, question.id, "Each house now has one waking night worker and a "
                "manager on call. Sickness is covered from our own bank of four trained staff, never by agency "
                "workers.",
                checked_at + timedelta(days=1))
    for number, (name, plan) in enumerate(FIRST_WINDOW.items()):
        application = submitted[name]
        marks = _marks(questions, plan["agreed"], _feedback)
        errors = evaluations.moderate(admin, application, marks, closed + timedelta(days=7, hours=number))
        if errors:
            raise RuntimeError(f"Demo moderation of {name} was refused: {errors}")


FOSTERING_LOTS = [  # each divided into 0 to 4, 5 to 10 and 11 to 17, with 3 tiers each
    ("Standard foster care", "Short and long-term foster care for children whose needs a skilled foster family "
     "meets with the agency's usual support."),
    ("Enhanced foster care", "Foster care with extra support for children with complex needs: therapeutic input, "
     "more frequent supervision and respite."),
]
FOSTERING_CATEGORIES = [(0, 4, 3), (5, 10, 3), (11, 17, 3)]
FOSTERING_QUESTIONS = [
    ("How do you recruit, assess, train and support foster carers?", 3),
    ("How do you match a child with a foster family and keep placements stable?", 2),
    ("How do you support children's education, health and contact with their families?", 2),
]
FOSTERING_PROVIDERS = {
    # name, URN, area, postcode, user name, e-mail; weekly prices (standard 0-4, 5-10, 11-17; enhanced ...);
    # moderated scores on the three questions
    "Hearthside Fostering Ltd": (("SC900101", "Bolton", "BL1 4QR", "Nadia Brooks",
                                  "nadia.brooks@hearthside.example.org"),
                                 (("780.00", "820.00", "905.00"), ("1045.00", "1120.00", "1290.00")), (5, 4, 5)),
    "Riverbank Family Placements": (("SC900102", "Salford", "M6 5JA", "Owen Pryce", "owen.pryce@riverbank.example.org"),
                                    (("745.00", "795.00", "880.00"), ("1010.00", "1095.00", "1250.00")), (4, 4, 4)),
    "Open Door Foster Care CIC": (("SC900103", "Wigan", "WN1 2DA", "Priya Lal", "priya.lal@opendoor.example.org"),
                                  (("810.00", "805.00", None), ("1090.00", "1150.00", None)), (4, 5, 4)),
    "Moorland Foster Families": (("SC900104", "Oldham", "OL1 3HF", "Sam Whitworth",
                                  "sam.whitworth@moorland.example.org"),
                                 ((None, "770.00", "860.00"), (None, "1060.00", "1210.00")), (3, 4, 3)),
}


def _fostering_note(index: int, score: int) -> str:
    topic = ("carer recruitment and support", "matching and stability", "education, health and family contact")[index]
    return f"On {topic}, the answer showed {STRENGTH[score]}."


def _fostering_framework(moment: datetime, *, referees) -> User:
    """Seed 002's North West Fostering Framework, led by Manchester: standard and enhanced lots, each divided into
    3 age categories with 3 tiers each. Its first window ran fifteen months ago (so that a year of placements has
    been made on it: portal/demo_life.py): four agencies priced the categories they offer, were evaluated, admitted
    and tiered in each category on its own prices."""
    opens = windows.add_months(moment.replace(hour=9, minute=0, second=0, microsecond=0) - timedelta(days=20), -15)
    set_up = opens - timedelta(days=14)
    lead = Organisation(name="Manchester City Council", kind=AUTHORITY, local_authority_area="Manchester",
                        area_code=_area("Manchester"), created_at=set_up)
    db.session.add(lead)
    admin = _user(lead, "Imogen Farrant", "imogen.farrant@manchester.example.org", [ADMINISTRATOR, EVALUATOR], set_up)
    evaluator = _user(lead, "Nadia Osei", "nadia.osei@manchester.example.org", [EVALUATOR], set_up)
    db.session.commit()
    dps = dps_setup.create_dps(
        admin, reference="NW-FOS-DPS", name="North West Fostering Framework", service_type="foster",
        description="Independent fostering agency placements for children in care, bought together by North West "
        "councils: standard and enhanced lots, each in three age categories with three tiers.",
        start_date=set_up.date(), initial_years=2, extension_years="1+1", cadence_months=6, window_length_days=28,
        required_evidence=["ofsted_report", "statement_of_purpose", "childrens_guide", "pricing_schedule",
                           "insurance_certificate"],
        quality_weight=60, quality_threshold_percent=50, now=set_up)
    # The councils that are members of the 16+ DPS are found by their areas; Wigan's is new here.
    for area in ("Sefton", "Stockport", "Tameside", "Wigan"):
        members.add(admin, dps, area_code=_area(area), now=set_up)
    lots = [dps_setup.add_lot(admin, dps, name=name, description=text, categories=FOSTERING_CATEGORIES, now=set_up)
            for name, text in FOSTERING_LOTS]
    question_set = dps.current_question_set
    for text, weight in FOSTERING_QUESTIONS:
        dps_setup.add_question(admin, question_set, text=text, guidance="", scoring="scored", weight=weight,
                               max_score=5, min_score=2, word_limit=500, now=set_up)
    dps_setup.add_question(admin, question_set, text="Confirm you hold the registration, policies and insurance "
                           "the contract requires.", guidance="", scoring="pass_fail", weight=0, max_score=1,
                           min_score=1, word_limit=200, now=set_up)
    window = windows.schedule_first_window(admin, dps, opens_at=opens, now=set_up)
    windows.run_due(opens)

    submitted = {}
    for number, (name, (details, prices, _scores)) in enumerate(FOSTERING_PROVIDERS.items()):
        urn, area, postcode, user_name, email = details
        user = accounts.register_provider(
            organisation_name=name, ofsted_urn=urn, registered_office=f"2 Chapel Street, {area}", postcode=postcode,
            area_code=_area(area), telephone="0161 496 0" + str(150 + number), user_name=user_name,
            email=email, password=PASSWORD, now=set_up + timedelta(days=1 + number))
        user.organisation.ofsted_rating = "Good" if number % 2 else "Outstanding"
        user.organisation.ofsted_rating_date = (moment - timedelta(days=300 + 30 * number)).date()
        started = opens + timedelta(days=3 + 2 * number, hours=2)
        submitted[name] = (user, _apply(user, window, lots, submit=True, moment=started, prices=prices,
                                        submit_at=started + timedelta(days=3),
                                        referees=[referees[number % len(referees)],
                                                  referees[(number + 1) % len(referees)]]))
    windows.run_due(window.closes_at)
    closed = window.closes_at
    questions = window.question_set.questions
    for number, (name, (_user_of, application)) in enumerate(submitted.items()):
        scores = FOSTERING_PROVIDERS[name][2]
        evaluations.allocate(admin, application, [admin.id, evaluator.id], closed + timedelta(days=1))
        for turn, person in enumerate((admin, evaluator)):
            at = closed + timedelta(days=2 + turn, hours=number)
            marks = _marks(questions, scores, _fostering_note)
            if evaluations.save_scores(person, application, marks, at):
                raise RuntimeError(f"Demo fostering scores for {name} were refused")
            evaluations.submit_scores(person, application, at + timedelta(minutes=15))
        checked = closed + timedelta(days=5, hours=number)
        for gate, (passed, evidence) in evaluations.suggested_gates(application).items():
            evaluations.record_gate(admin, application, gate, passed is not False, evidence, checked)
        for referee in application.referees:
            evaluations.record_reference(admin, application, referee.id, SATISFACTORY,
                                         "Taken up by telephone: stable placements and carers well supported.",
                                         checked)
        if evaluations.moderate(admin, application, _marks(questions, scores, _fostering_note),
                                closed + timedelta(days=7, hours=number)):
            raise RuntimeError(f"Demo fostering moderation of {name} was refused")
    outcomes.publish(admin, window, closed + timedelta(days=9))
    return admin


def _category_prices(lots, prices: tuple) -> dict[int, str]:
    """The weekly price of each age category by category id: a lot's entry is one price for its one category, or a
    tuple of prices, one for each category, youngest first (None: not offered)."""
    given = {}
    for lot in lots:
        entry = prices[lot.number - 1]
        per_category = entry if isinstance(entry, tuple) else (entry,)
        given.update({category.id: price for category, price in zip(lot.categories, per_category, strict=True)
                      if price is not None})
    return given


def _apply(user: User, window: EntryWindow, lots, *, submit: bool, moment: datetime, partial: bool = False,
           prices: tuple | None = None, submit_at: datetime | None = None, referees=None) -> Application:
    application = applications.start(user, window, moment)
    prices = prices or PRICES[user.organisation.name]
    chosen = [lot for lot in lots if prices[lot.number - 1] is not None]
    applications.set_lots(user, application, [lot.id for lot in chosen], moment)
    applications.set_prices(user, application, _category_prices(chosen, prices), moment)
    questions = window.question_set.questions
    answered = questions[:2] if partial else questions
    applications.save_answers(user, application, {
        q.id: f"{user.organisation.name} answers question {q.number} with its policies, training records and "
              "examples of outcomes for young people it has supported." for q in answered}, moment)
    kinds = applications.required_evidence(application)
    for kind in kinds[: 2 if partial else len(kinds)]:
        expiry = (moment + timedelta(days=300)).date() if kind == "insurance_certificate" else None
        applications.upload_document(user, application, kind=kind, filename=f"{kind.replace('_', '-')}.pdf",
                                     data=_pdf(f"{user.organisation.name}: {kind.replace('_', ' ')}"),
                                     expires_on=expiry, now=moment)
    for authority, contact, title, email in (referees or REFEREES[:2])[: 1 if partial else 2]:
        applications.add_referee(user, application, authority_name=authority, contact_name=contact, job_title=title,
                                 email=email, telephone="0161 496 0999", now=moment)
    if submit:
        applications.submit(user, application, submit_at or moment)
    return application


# Referrals and placements ------------------------------------------------------------------------------------
# Made after the windows, each at the moments the officer and the providers acted (every service takes `now`).
# The children are fictional; their names stay in the private part and never reach a provider.

MERSEY, HARBOUR, PATHWAYS = "Mersey Horizons Housing", "Harbour Lane Homes", "Northern Pathways Supported Living Ltd"


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    """A London wall-clock time on `day`, as the naive UTC the services take."""
    return local_datetime(day, time(hour, minute))


def _born(today: date, years: int, days: int) -> date:
    """A date of birth `years` and about `days` days before today (so the child is `years` old)."""
    return today - timedelta(days=years * 365 + years // 4 + days)


def _fields(**overrides) -> dict:
    """A referral's Placements Data Standard fields for a young person of 16 or 17 in supported accommodation."""
    fields = {
        "needed_by": "more_than_5_days", "siblings_to_place_with": 0, **_preferred("Sefton"),
        "communication_needs": "no", "communication_which": [], "adaptations_needed": False,
        "adaptations_detail": "", "cultural_needs": "not_required", "cultural_detail": "",
        "live_alongside": "with_other_children", "pets": "yes_can", "additional_support": [],
        "deprivation_of_liberty": False, "suitability_foster": "unsuitable", "suitability_residential": "unsuitable",
        "suitability_supported": "preferred", "risks_to_child": [], "risks_to_others": [],
        "expected_duration": "Until 18, then a planned move to a tenancy", "education_needs": "",
        "quality_weight": None, "cost_weight": None,
    }
    fields.update(overrides)
    return fields


def _published(officer: User, lot, *, fields: dict, child: dict, created: datetime, published: datetime,
               deadline: datetime):
    referral = referrals.create(officer, lot=lot, fields=fields, child=child, now=created)
    _answered(referrals.ask_funding(officer, referral, expected_weekly=None, now=created + timedelta(minutes=30)),
              created + timedelta(minutes=45))
    referrals.publish(officer, referral, published, deadline=deadline)
    return referral


def _bid(user: User, referral, at: datetime, *, core: str, start: date, area: str, home: str, how: str,
         costs: tuple = ()) -> None:
    """The provider's bid; `costs` are (what it pays for, weekly amount, timescale, weeks until its review)."""
    lines = [bids.AdditionalCost(text, amount, timescale, start + timedelta(weeks=weeks))
             for text, amount, timescale, weeks in costs]
    bids.submit(user, referrals.invitation_for(user, referral.id),
                bids.BidInput(core_weekly_fee=core, additional_costs=lines, proposed_start=start, home_area=_area(area),
                              home_description=home, how_needs_met=how), at)


def _decline(user: User, referral, at: datetime, reason: str, detail: str) -> None:
    bids.decline(user, referrals.invitation_for(user, referral.id), reason=reason, detail=detail, now=at)


def _opened_bid(officer: User, referral, provider_user: User, at: datetime):
    """The provider's bid as the officer reads it once the deadline has passed."""
    return next(bid for bid in bids.visible_bids(officer, referral, at)
                if bid.provider_id == provider_user.organisation_id)


def _assess(officer: User, referral, provider_user: User, at: datetime, scores: tuple, notes: str) -> None:
    bid = _opened_bid(officer, referral, provider_user, at)
    awards.assess(officer, bid, scores=dict(zip(("needs", "location", "stability", "education"), scores, strict=True)),
                  notes=notes, now=at)


def _make_referrals(moment: datetime, *, sefton_officer: User, tameside_officer: User, lots, providers) -> None:
    today = to_local(moment).date()
    semi, floating = lots[0], lots[1]  # the lots with tier tables from the first window
    list_provider = _off_framework_list(sefton_officer, today)
    _awarded_referral(sefton_officer, semi, providers, today)
    _closed_referral(tameside_officer, semi, providers, today)
    _open_referral(sefton_officer, semi, providers, today)
    _exhausted_referral(sefton_officer, floating, providers, today, list_provider)
    draft = referrals.create(sefton_officer, lot=floating, now=moment - timedelta(minutes=40), fields=_fields(
        age_years=17, required_start=today + timedelta(days=21), indicative_weekly_price=Decimal("940.00"),
        **_preferred("Sefton or Knowsley"), expected_duration="Six months, then a council tenancy",
        live_alongside="no_preference", pets="not_known",
        education_needs="Working 20 hours a week in a supermarket and studying English and maths at college one "
                        "day a week.",
        needs_summary="Young person aged 17 ready to move on from a semi-independent house to their own flat, with "
                      "6 hours' floating key-work a week. Manages money well and cooks for themselves; needs help "
                      "to register with a GP and dentist near the new home, and to keep up with rent and bills. "
                      "No known risks."),
        child={"first_names": "Ashton", "surname": "Pilkington-Roe", "known_as": "",
               "date_of_birth": _born(today, 17, 200), "case_number": "SEF-LC-51382"})
    # Its funding waits on the Sefton budget holder's Tasks page.
    referrals.ask_funding(sefton_officer, draft, expected_weekly=None, now=moment - timedelta(minutes=10))


def _draft_above_every_limit(officer: User, lot, moment: datetime) -> None:
    """A Sefton draft whose funding (£2,480.00 a week, £128,960.00 a year) is above Siobhan Carr's £120,000 limit:
    it waits on the assistant director's Tasks page, not the budget holder's."""
    today = to_local(moment).date()
    draft = referrals.create(officer, lot=lot, now=moment - timedelta(minutes=25), fields=_fields(
        age_years=16, required_start=today + timedelta(days=14), indicative_weekly_price=Decimal("2480.00"),
        **_preferred("Sefton"), live_alongside="solo", expected_duration="Until 18",
        risks_to_child=["criminal_exploitation"], additional_support=["additional_supervision"],
        education_needs="Year 11 at a pupil referral unit, with a tutor two afternoons a week.",
        needs_summary="Young person aged 16 who needs a solo flat with two staff on site around the clock while "
                      "a risk of exploitation is managed with the police and the exploitation team. Settles with "
                      "a consistent routine and likes football and cooking."),
        child={"first_names": "Jordan", "surname": "Ellsworth-Nakamura", "known_as": "",
               "date_of_birth": _born(today, 16, 90), "case_number": "SEF-LC-51907"})
    referrals.ask_funding(officer, draft, expected_weekly=None, now=moment - timedelta(minutes=5))


def _off_framework_list(officer: User, today: date):
    """Sefton's own list: a provider vetted ten weeks ago, with the evidence asked of it (its Ofsted report,
    statement of purpose, young people's guide and pricing schedule), its registration and its two references."""
    added = _at(today - timedelta(days=75), 10, 15)
    provider = off_framework.create(officer, off_framework.ProviderDetails(
        name="Dune Light Supported Living Ltd", local_authority_area=_area("Sefton"), contact_name="Gemma Rowntree",
        email="gemma.rowntree@dunelight.example.org", telephone="0151 496 0471", ofsted_urn="2750031",
        services="Self-contained studio flats for young people aged 16 to 18 in a staffed building, with visiting "
                 "key-work from 6 to 20 hours a week and staff on call overnight."), added)
    evidence = (("ofsted_report", "Ofsted inspection report, June 2026", "dune-light-ofsted-report.pdf"),
                ("statement_of_purpose", "Statement of purpose 2026", "dune-light-statement-of-purpose.pdf"),
                ("childrens_guide", "Young people's guide", "dune-light-young-peoples-guide.pdf"),
                ("pricing_schedule", "Pricing schedule 2026-27", "dune-light-pricing-schedule.pdf"))
    for number, (kind, title, filename) in enumerate(evidence):
        off_framework.upload_document(officer, provider, kind=kind, title=title, filename=filename,
                                      data=_pdf(f"Dune Light Supported Living Ltd: {title}"),
                                      now=added + timedelta(minutes=5 + number))
    off_framework.upload_document(officer, provider, title="Ofsted registration certificate",
                                  filename="dune-light-registration.pdf",
                                  data=_pdf("Dune Light Supported Living Ltd: Ofsted registration"),
                                  now=added + timedelta(minutes=10))
    for number, (authority, contact, email, note) in enumerate((
            ("Wirral Council", "Declan Moss", "declan.moss@wirral.example.org",
             "Two young people placed last year; both moved on to tenancies. Quick to share concerns."),
            ("St Helens Borough Council", "Aoife Lawton", "aoife.lawton@sthelens.example.org",
             "Reliable at short notice; key-work records were thorough at our last visit."))):
        referee = off_framework.add_referee(officer, provider, authority_name=authority, contact_name=contact,
                                            email=email, now=added + timedelta(minutes=20 + number))
        off_framework.record_reference(officer, referee, outcome=off_framework.SATISFACTORY, note=note,
                                       now=added + timedelta(days=4 + number, hours=3))
    return provider


def _awarded_referral(officer: User, lot, providers: dict[str, User], today: date) -> None:
    """Published three weeks ago to tier 1; both bids assessed, one price negotiated, awarded with a reason."""
    start = today - timedelta(days=14)
    published = _at(today - timedelta(days=23), 10)
    deadline = _at(today - timedelta(days=20), 12)
    referral = _published(officer, lot, created=_at(today - timedelta(days=24), 9, 30), published=published,
                          deadline=deadline, fields=_fields(
        age_years=17, required_start=start, indicative_weekly_price=Decimal("1450.00"),
        **_preferred("Sefton, Liverpool", "North Liverpool, near the college"), additional_support=["other"],
        education_needs="On a level 2 construction course at college three days a week; needs encouragement to "
                        "keep attending.",
        needs_summary="Young person aged 17 needing semi-independent accommodation with 10 hours' key-work a week. "
                      "Moving on from a foster home of four years as the carers retire. Good daily living skills, "
                      "but has never managed a budget or a tenancy. Mild anxiety, supported by the leaving care "
                      "team's health worker. No known risks to others."),
        child={"first_names": "Kacey Marie", "surname": "Thistlewood", "known_as": "",
               "date_of_birth": _born(today, 17, 120), "case_number": "SEF-LC-40917"})
    mersey, harbour = providers[MERSEY], providers[HARBOUR]
    _bid(mersey, referral, published + timedelta(days=1, hours=4), core="1520.00", start=start, area="Sefton",
         home="A four-bedroom shared house in Bootle with staff on site from 8am to 10pm and a waking night worker; "
              "three other young people aged 16 to 18 live there.",
         how="A named key worker for 10 hours a week, a weekly budgeting session and help with college travel. "
             "The house is twenty minutes by bus from the college.",
         costs=(("Two extra hours of key-work a week to settle into college routines", "90.00", "First 8 weeks", 8),))
    _bid(harbour, referral, published + timedelta(days=2, hours=6), core="1395.00", start=start, area="Liverpool",
         home="A two-bedroom flat shared with one other young person, in a block with staff on site around the clock.",
         how="Ten hours' key-work a week, with a tenancy-skills course in the first three months.")
    referrals.run_due(deadline)
    assessed = deadline + timedelta(days=1, hours=-2)
    _assess(officer, referral, mersey, assessed, (5, 5, 4, 4),
            "Meets every need; close to college and to friends in Sefton. Stable staff team.")
    _assess(officer, referral, harbour, assessed + timedelta(minutes=25), (4, 3, 4, 3),
            "A good flat, but in Liverpool, a longer journey to college.")
    bid = _opened_bid(officer, referral, mersey, assessed)
    awards.negotiate(officer, bid, price="1580.00", note="Mersey Horizons agreed to give one of the two extra hours "
                     "of key-work within the core fee.", now=assessed + timedelta(hours=4))
    awarded = deadline + timedelta(days=2)
    _answered(awards.ask_cost_approval(officer, referral, bid, awarded - timedelta(hours=3)),
              awarded - timedelta(hours=1))
    awards.award(officer, referral, bid,
                 now=awarded, reason="Ranked first: the home is in Sefton, near college and friends, and the "
                                     "negotiated price is within the indicative price's range.")


def _closed_referral(officer: User, lot, providers: dict[str, User], today: date) -> None:
    """Closed two days ago with two bids; one assessed, the other left for the officer to weigh and award."""
    deadline = _at(today - timedelta(days=2), 12)
    referral = _published(officer, lot, created=_at(today - timedelta(days=7), 14), deadline=deadline,
                          published=_at(today - timedelta(days=6), 9, 30), fields=_fields(
        age_years=16, required_start=today + timedelta(days=9), indicative_weekly_price=Decimal("1650.00"),
        **_preferred("Tameside, Stockport or Oldham", "Within a bus ride of Ashton"), live_alongside="only_older",
        pets="no",
        additional_support=["additional_supervision"], risks_to_child=["going_missing", "criminal_exploitation"],
        cultural_needs="required", cultural_detail="Of Polish heritage; would like to keep going to a Polish "
                                                   "Saturday club and to a Catholic church.",
        education_needs="In the first year of a sport course at a sixth-form college; attendance has fallen to "
                        "about 70 per cent.",
        needs_summary="Young person aged 16 needing semi-independent accommodation in a small shared house with "
                      "staff on site around the clock and 12 hours' key-work a week. Has gone missing overnight "
                      "three times in six months, returning the next day each time; a risk of criminal "
                      "exploitation is managed with the police. Gets on well with adults, finds younger children "
                      "hard, and wants to learn to cook and manage money."),
        child={"first_names": "Dominik", "surname": "Wrzesniewski", "known_as": "",
               "date_of_birth": _born(today, 16, 150), "case_number": "TMBC-CS-88214"})
    published = referral.published_at
    start = today + timedelta(days=9)
    _bid(providers[MERSEY], referral, published + timedelta(days=2, hours=2), core="1690.00", start=start,
         area="Stockport",
         home="A three-bedroom house with two other young people aged 17 and 18, staff on site day and night.",
         how="Twelve hours' key-work a week from one named worker, a missing-from-care plan agreed with the police, "
             "and a cooking and budgeting programme.",
         costs=(("Waking night cover while the young person settles", "210.00", "First 6 weeks", 6),))
    _bid(providers[HARBOUR], referral, published + timedelta(days=3, hours=6), core="1560.00", start=start,
         area="Tameside",
         home="A two-bedroom house shared with a young person aged 18, with a worker on site around the clock.",
         how="Twelve hours' key-work a week, daily check-ins after college, and joint work with the exploitation "
             "team.",
         costs=(("Four extra hours of key-work a week", "140.00", "First 12 weeks", 12),))
    referrals.run_due(deadline)
    _assess(officer, referral, providers[HARBOUR], deadline + timedelta(hours=3), (4, 5, 3, 4),
            "Strong on location: ten minutes from college. Less on stability: two staff changes this year.")


def _open_referral(officer: User, lot, providers: dict[str, User], today: date) -> None:
    """Open for bids until the day after tomorrow: one bid in (sealed), one provider declined."""
    published = _at(today - timedelta(days=2), 16)
    start = today + timedelta(days=4)
    referral = _published(officer, lot, created=_at(today - timedelta(days=2), 14), published=published,
                          deadline=_at(today + timedelta(days=2), 12), fields=_fields(
        needed_by="within_5_days", age_years=16, required_start=start, indicative_weekly_price=Decimal("1350.00"),
        risks_to_child=["drugs_alcohol"], additional_support=["therapeutic_support"],
        education_needs="Left school this summer and is not in education, employment or training; interested in "
                        "a mechanics apprenticeship.",
        needs_summary="Young person aged 16 needing semi-independent accommodation with 10 hours' key-work a week, "
                      "returning to Sefton from a children's home out of the area to be nearer family and friends. "
                      "Uses cannabis most days and has agreed to work with the young people's substance misuse "
                      "service. No known risks to others."),
        child={"first_names": "Reuben", "surname": "Attwater-Nwosu", "known_as": "",
               "date_of_birth": _born(today, 16, 60), "case_number": "SEF-LC-47730"})
    _decline(providers[HARBOUR], referral, published + timedelta(hours=17), "no_vacancy",
             "Our Sefton houses are full until the end of next month.")
    _bid(providers[MERSEY], referral, published + timedelta(hours=20), core="1365.00", start=start, area="Sefton",
         home="A three-bedroom shared house in Southport with staff on site from 8am to 10pm.",
         how="Ten hours' key-work a week, introductions to the substance misuse service and to a garage that takes "
             "apprentices.")


def _exhausted_referral(officer: User, lot, providers: dict[str, User], today: date, list_provider) -> None:
    """An emergency yesterday: every tier approached in turn, no acceptable bid, placed off the framework that
    afternoon; its quality-assurance visit is due within 72 hours."""
    day = today - timedelta(days=1)
    first = _at(day, 10, 45)
    referral = _published(officer, lot, created=_at(day, 8, 15), published=_at(day, 9, 15), deadline=first,
                          fields=_fields(
        needed_by="today", age_years=17, required_start=day, indicative_weekly_price=Decimal("1050.00"),
        **_preferred("Sefton or Knowsley"), live_alongside="solo", pets="no",
        additional_support=["additional_supervision"], risks_to_child=["self_harm"],
        expected_duration="Twelve weeks while a longer-term home is found",
        education_needs="At college two days a week on a hair and beauty course.",
        needs_summary="Young person aged 17 needing a home today after their supported lodgings ended last night. "
                      "Needs a self-contained flat with visiting key-work of 12 hours a week and staff on call "
                      "overnight. Has self-harmed when distressed, and works with the mental health service for "
                      "young people weekly. No known risks to others."),
        child={"first_names": "Tiegan Louise", "surname": "Brackenridge", "known_as": "",
               "date_of_birth": _born(today, 17, 250), "case_number": "SEF-LC-49921"})
    _decline(providers[MERSEY], referral, _at(day, 9, 40), "no_vacancy", "No flat free until next week.")
    referrals.run_due(first)
    second = _at(day, 13)
    referrals.reopen_to_next_tier(officer, referral, deadline=second, now=_at(day, 11))
    _decline(providers[HARBOUR], referral, _at(day, 11, 40), "cannot_meet_needs",
             "We cannot put overnight cover in place at such short notice.")
    referrals.run_due(second)
    third = _at(day, 15)
    referrals.reopen_to_next_tier(officer, referral, deadline=third, now=_at(day, 13, 10))
    pathways = providers[PATHWAYS]
    _bid(pathways, referral, _at(day, 14, 20), core="985.00", start=day + timedelta(days=3), area="Bolton",
         home="A self-contained studio flat in a building with a staffed office in the daytime.",
         how="Twelve hours' key-work a week and an on-call worker overnight; the flat is free in three days.")
    referrals.run_due(third)
    _assess(officer, referral, pathways, _at(day, 15, 10), (2, 1, 2, 1),
            "Cannot start for three days, and Bolton is too far from college and the mental health service: "
            "not acceptable for a placement needed today.")
    referrals.mark_exhausted(officer, referral, _at(day, 15, 20))
    _answered(off_framework.ask_search(officer, referral, expected_weekly="1400.00", now=_at(day, 15, 25),
                                       notes="Every tier approached today without an acceptable bid. Rang three "
                                             "providers on our list; Dune Light can take the young person this "
                                             "evening."), _at(day, 15, 35))
    for approval in off_framework.ask_placement_approvals(officer, referral, list_provider, weekly_cost="1360.00",
                                                          now=_at(day, 15, 50)):
        _answered(approval, _at(day, 16, 10))
    off_framework.place(officer, referral, list_provider, start_date=day, location_area=_area("Sefton"),
                        now=_at(day, 16, 30), cost_lines=[
                            off_framework.CostLine("Core weekly fee: studio flat with 12 hours' key-work", "1080.00"),
                            off_framework.CostLine("Waking night cover in the building", "280.00", "First 2 weeks",
                                                   day + timedelta(weeks=2))])
