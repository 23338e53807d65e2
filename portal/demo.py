"""A demonstration consortium shaped like the North West's 16+ leaving-care arrangement: a lead
authority, member authorities, three lots, a four-monthly cadence, a window open now, providers
with draft and submitted applications, and a sign-in for each role. People, e-mail addresses and
telephone numbers are fictional (example.org addresses, Ofcom's drama numbers)."""

import io
from datetime import date, timedelta

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from portal.clock import now
from portal.extensions import db
from portal.models import Application, EntryWindow, LotMembership, Organisation, User, UserRole
from portal.models.organisation import AUTHORITY
from portal.models.user import ADMINISTRATOR, COMMISSIONING_OFFICER, EVALUATOR
from portal.services import accounts, applications, dps_setup, windows

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
PRICES = {  # weekly prices for lots 1, 2, 3 (None: not applied for)
    "Northern Pathways Supported Living Ltd": ("1450.00", "980.00", "420.00"),
    "Mersey Horizons Housing": ("1620.00", "1050.00", None),
    "Pennine Steps Ltd": ("1385.50", None, "395.00"),
    "Brightwater Transitions CIC": ("1290.00", "890.00", None),
    "Ashgrove Youth Support": (None, None, "365.00"),
    "Harbour Lane Homes": ("1510.00", "1010.00", "440.00"),
}


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
    lead = Organisation(name=LEAD, kind=AUTHORITY, local_authority_area="Tameside", created_at=moment)
    db.session.add(lead)
    admin = _user(lead, "Helen Marsh", "helen.marsh@tameside.example.org", [ADMINISTRATOR, EVALUATOR], moment)
    evaluator = _user(lead, "Daniel Reid", "daniel.reid@tameside.example.org", [EVALUATOR], moment)
    _user(lead, "Aisha Begum", "aisha.begum@tameside.example.org", [EVALUATOR], moment)
    lead_officer = _user(lead, "Chris Doyle", "chris.doyle@tameside.example.org", [COMMISSIONING_OFFICER], moment)
    db.session.commit()

    dps = dps_setup.create_dps(
        admin, reference="NW-16P-DPS", name="North West Leaving Care (16+) Purchasing System",
        service_type="sixteen_plus", description="Semi-independence, group living and floating support for "
        "looked-after young people preparing to leave care, bought together by North West councils.",
        start_date=date(moment.year - 1, 10, 1), initial_years=2, extension_years="1+1", cadence_months=4,
        window_length_days=28, required_evidence=["ofsted_report", "statement_of_purpose", "childrens_guide",
                                                  "pricing_schedule", "insurance_certificate"],
        quality_weight=60, quality_threshold_percent=50, now=moment)
    members = []
    for name, area in MEMBERS:
        members.append(dps_setup.add_member(admin, dps, authority_name=name, local_authority_area=area, now=moment))
    sefton = members[0].authority
    officer = _user(sefton, "Rachel Hughes", "rachel.hughes@sefton.example.org", [COMMISSIONING_OFFICER], moment)
    db.session.commit()
    lots = [dps_setup.add_lot(admin, dps, name=name, description=text, age_from=low, age_to=high, tiers=tiers,
                              now=moment) for name, text, low, high, tiers in LOTS]
    question_set = dps.current_question_set
    for text, guidance, weight, max_score, min_score in QUESTIONS:
        dps_setup.add_question(admin, question_set, text=text, guidance=guidance, scoring="scored", weight=weight,
                               max_score=max_score, min_score=min_score, word_limit=500, now=moment)
    dps_setup.add_question(admin, question_set, text="Confirm you hold the registration, policies and insurance "
                           "the contract requires.", guidance="", scoring="pass_fail", weight=0, max_score=1,
                           min_score=1, word_limit=200, now=moment)

    # The first window ran four months ago; its admitted providers hold places on the lots.
    first_opens = windows.add_months(moment.replace(hour=9, minute=0, second=0) - timedelta(days=10), -4)
    first = EntryWindow(dps=dps, question_set=question_set, number=1, opens_at=first_opens,
                        closes_at=windows.add_days(first_opens, 28), opened_at=first_opens,
                        closed_at=windows.add_days(first_opens, 28), reminder_sent_at=windows.add_days(first_opens, 23),
                        created_at=first_opens)
    question_set.locked_at = first_opens
    db.session.add(first)

    providers = {}
    for name, urn, area, postcode, rating, user_name, email in PROVIDERS:
        user = accounts.register_provider(
            organisation_name=name, ofsted_urn=urn, registered_office=f"1 Mill Street, {area}", postcode=postcode,
            local_authority_area=area, telephone="0161 496 0" + str(100 + len(providers)), user_name=user_name,
            email=email, password=PASSWORD, now=moment)
        organisation = user.organisation
        if rating:
            organisation.ofsted_rating = rating
            organisation.ofsted_rating_date = (moment - timedelta(days=200 + 40 * len(providers))).date()
        providers[name] = user
    db.session.commit()

    admitted = {"Mersey Horizons Housing": (1, 1), "Northern Pathways Supported Living Ltd": (1, 2),
                "Harbour Lane Homes": (2, 1)}
    for name, (lot_number, tier) in admitted.items():
        organisation = providers[name].organisation
        organisation.provider_status = "admitted"
        db.session.add(LotMembership(lot=lots[lot_number - 1], provider=organisation, status="admitted", tier=tier,
                                     admitted_at=first.closes_at + timedelta(days=12), window=first))
    caution = providers["Brightwater Transitions CIC"].organisation
    caution.provider_status = "place_with_caution"
    db.session.add(LotMembership(lot=lots[0], provider=caution, status="place_with_caution", tier=3,
                                 admitted_at=first.closes_at + timedelta(days=12), window=first))
    db.session.commit()

    # The second window is open now: opened ten days ago, closes in eighteen.
    second_opens = moment.replace(hour=9, minute=0, second=0) - timedelta(days=10)
    windows.schedule_window(dps, opens_at=second_opens, closes_at=windows.add_days(second_opens, 28), now=moment,
                            actor=admin)
    db.session.commit()
    windows.run_due(moment)
    current = windows.open_window(dps, moment)

    _apply(providers["Pennine Steps Ltd"], current, lots, submit=True, moment=moment)
    _apply(providers["Ashgrove Youth Support"], current, lots, submit=True, moment=moment)
    _apply(providers["Northern Pathways Supported Living Ltd"], current, lots[1:], submit=False, moment=moment)
    _apply(providers["Brightwater Transitions CIC"], current, lots[1:2], submit=False, moment=moment, partial=True)

    return [
        ("Consortium administrator and evaluator (Tameside)", admin.email),
        ("Evaluator (Tameside)", evaluator.email),
        ("Commissioning officer (Tameside)", lead_officer.email),
        ("Commissioning officer (Sefton, a member)", officer.email),
        ("Provider with a submitted application", providers["Pennine Steps Ltd"].email),
        ("Provider with a draft application", providers["Northern Pathways Supported Living Ltd"].email),
        ("Provider not yet applying", providers["Harbour Lane Homes"].email),
    ]


def _apply(user: User, window: EntryWindow, lots, *, submit: bool, moment, partial: bool = False) -> Application:
    application = applications.start(user, window, moment)
    prices = PRICES[user.organisation.name]
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
    referees = [("Bolton Council", "Jo Fielding", "Placements team manager", "jo.fielding@bolton.example.org"),
                ("Salford City Council", "Mark Ellis", "Commissioning officer", "mark.ellis@salford.example.org")]
    for authority, contact, title, email in referees[: 1 if partial else 2]:
        applications.add_referee(user, application, authority_name=authority, contact_name=contact, job_title=title,
                                 email=email, telephone="0161 496 0999", now=moment)
    if submit:
        applications.submit(user, application, moment)
    return application
