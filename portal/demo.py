"""A demonstration consortium shaped like the North West's 16+ leaving-care arrangement: a lead
authority, member authorities, three lots, a four-monthly cadence, and a sign-in for each role.

Everything is made through the services, at the moments people would have done it. The first
window ran four months ago: five providers applied, two evaluators scored each application, the
gates and references were taken up, the administrator moderated and published the outcomes, and
the lots were tiered. One provider was admitted with caution (an unsatisfactory reference) and one
was not admitted (low scores). The second window is open now, with submitted and draft
applications. People, e-mail addresses and telephone numbers are fictional (example.org
addresses, Ofcom's drama numbers)."""

import io
from datetime import datetime, timedelta

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from portal.clock import now
from portal.extensions import db
from portal.models import Application, EntryWindow, Organisation, User, UserRole
from portal.models.evaluation import SATISFACTORY, UNSATISFACTORY
from portal.models.organisation import AUTHORITY
from portal.models.user import ADMINISTRATOR, COMMISSIONING_OFFICER, EVALUATOR
from portal.services import accounts, applications, dps_setup, evaluations, outcomes, windows

PASSWORD = "demo-password-2026"

LEAD = "Tameside Metropolitan Borough Council"
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
    lead = Organisation(name=LEAD, kind=AUTHORITY, local_authority_area="Tameside", created_at=set_up)
    db.session.add(lead)
    admin = _user(lead, "Helen Marsh", "helen.marsh@tameside.example.org", [ADMINISTRATOR, EVALUATOR], set_up)
    evaluator = _user(lead, "Daniel Reid", "daniel.reid@tameside.example.org", [EVALUATOR], set_up)
    third = _user(lead, "Aisha Begum", "aisha.begum@tameside.example.org", [EVALUATOR], set_up)
    lead_officer = _user(lead, "Chris Doyle", "chris.doyle@tameside.example.org", [COMMISSIONING_OFFICER], set_up)
    db.session.commit()

    dps = dps_setup.create_dps(
        admin, reference="NW-16P-DPS", name="North West Leaving Care (16+) Purchasing System",
        service_type="sixteen_plus", description="Semi-independence, group living and floating support for "
        "looked-after young people preparing to leave care, bought together by North West councils.",
        start_date=set_up.date(), initial_years=2, extension_years="1+1", cadence_months=4,
        window_length_days=28, required_evidence=["ofsted_report", "statement_of_purpose", "childrens_guide",
                                                  "pricing_schedule", "insurance_certificate"],
        quality_weight=60, quality_threshold_percent=50, now=set_up)
    members = []
    for name, area in MEMBERS:
        members.append(dps_setup.add_member(admin, dps, authority_name=name, local_authority_area=area, now=set_up))
    sefton = members[0].authority
    officer = _user(sefton, "Rachel Hughes", "rachel.hughes@sefton.example.org", [COMMISSIONING_OFFICER], set_up)
    db.session.commit()
    lots = [dps_setup.add_lot(admin, dps, name=name, description=text, age_from=low, age_to=high, tiers=tiers,
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
            local_authority_area=area, telephone="0161 496 0" + str(100 + len(providers)), user_name=user_name,
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

    return [
        ("Consortium administrator and evaluator (Tameside)", admin.email),
        ("Evaluator (Tameside)", evaluator.email),
        ("Commissioning officer (Tameside)", lead_officer.email),
        ("Commissioning officer (Sefton, a member)", officer.email),
        ("Provider not admitted in Window 1; resubmitted", providers["Pennine Steps Ltd"].email),
        ("Provider admitted in Window 1, with a draft", providers["Northern Pathways Supported Living Ltd"].email),
        ("Provider admitted with caution in Window 1", providers["Brightwater Transitions CIC"].email),
        ("Provider admitted in Window 1, not applying now", providers["Harbour Lane Homes"].email),
    ]


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
            evaluations.record_gate(checker, application, gate, passed, evidence, checked_at)
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


def _apply(user: User, window: EntryWindow, lots, *, submit: bool, moment: datetime, partial: bool = False,
           prices: tuple | None = None, submit_at: datetime | None = None, referees=None) -> Application:
    application = applications.start(user, window, moment)
    prices = prices or PRICES[user.organisation.name]
    chosen = [lot for lot in lots if prices[lot.number - 1] is not None]
    applications.set_lots(user, application, [lot.id for lot in chosen], moment)
    applications.set_prices(user, application, {lot.id: prices[lot.number - 1] for lot in chosen}, moment)
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
