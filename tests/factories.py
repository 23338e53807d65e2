"""Builders for test data, through the domain services so the data is what users would make."""

from datetime import date, timedelta
from decimal import Decimal
from types import SimpleNamespace

from portal.extensions import db
from portal.models import Organisation, User, UserRole
from portal.models.organisation import AUTHORITY
from portal.models.user import (
    ADMINISTRATOR,
    ASSISTANT_DIRECTOR,
    BUDGET_HOLDER,
    COMMISSIONING_OFFICER,
    CONTRACT_MANAGER,
    EVALUATOR,
    HEAD_OF_SERVICE,
)
from portal.services import accounts, applications, dps_setup, members, standing, windows

# Areas (portal/areas.py) the test world lives in: the lead is Tameside's council, the member Sefton's, the
# outsider Wirral's; the providers' offices are in Manchester.
TAMESIDE, SEFTON, WIRRAL, OLDHAM, STOCKPORT, MANCHESTER = (
    "E08000008", "E08000014", "E08000015", "E08000004", "E08000007", "E08000003")
LANCASHIRE, CHORLEY = "E10000017", "E07000118"

PASSWORD = "correct horse battery staple"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def authority_user(organisation, name, email, roles, clock) -> User:
    user = User(organisation=organisation, name=name, email=email, password_hash=accounts.hash_password(PASSWORD),
                password_changed_at=clock.now(), created_at=clock.now())
    user.role_rows = [UserRole(role=role) for role in roles]
    db.session.add(user)
    db.session.commit()
    return user


def provider_user(name: str, email: str, clock, urn: str | None = None) -> User:
    return accounts.register_provider(
        organisation_name=name, ofsted_urn=urn, registered_office="1 High Street", postcode="M1 1AA",
        area_code=MANCHESTER, telephone="0161 496 0000", user_name=f"{name} Manager", email=email,
        password=PASSWORD, now=clock.now())


def build_dps(admin: User, clock, *, reference="T-DPS", cadence_months=4, window_length_days=28):
    dps = dps_setup.create_dps(
        admin, reference=reference, name=f"Test arrangement {reference}", service_type="sixteen_plus",
        description="", start_date=date(2026, 1, 1), initial_years=2, extension_years="1+1",
        cadence_months=cadence_months, window_length_days=window_length_days,
        required_evidence=["ofsted_report", "statement_of_purpose", "childrens_guide", "pricing_schedule",
                           "insurance_certificate"],
        quality_weight=60, quality_threshold_percent=50, now=clock.now())
    for name in ("Semi-independence", "Floating support with accommodation", "Floating support"):
        dps_setup.add_lot(admin, dps, name=name, description="", categories=[(16, 18, 3)], now=clock.now())
    question_set = dps.current_question_set
    dps_setup.add_question(admin, question_set, text="How do you keep young people safe?", guidance="",
                           scoring="scored", weight=2, max_score=5, min_score=2, word_limit=100, now=clock.now())
    dps_setup.add_question(admin, question_set, text="How do you build independence skills?", guidance="",
                           scoring="scored", weight=1, max_score=5, min_score=2, word_limit=100, now=clock.now())
    dps_setup.add_question(admin, question_set, text="Do you hold the insurance required?", guidance="",
                           scoring="pass_fail", weight=0, max_score=1, min_score=1, word_limit=100, now=clock.now())
    return dps


def build_world(clock) -> SimpleNamespace:
    now = clock.now()
    lead = Organisation(name="Lead Council", kind=AUTHORITY, local_authority_area="Tameside", area_code=TAMESIDE,
                        created_at=now)
    db.session.add(lead)
    admin = authority_user(lead, "Ada Admin", "admin@lead.example.org", [ADMINISTRATOR, EVALUATOR], clock)
    evaluator = authority_user(lead, "Eve Evaluator", "evaluator@lead.example.org", [EVALUATOR], clock)
    lead_officer = authority_user(lead, "Lee Officer", "officer@lead.example.org", [COMMISSIONING_OFFICER], clock)
    dps = build_dps(admin, clock)
    db.session.add(Organisation(name="Member Council", kind=AUTHORITY, local_authority_area="Sefton",
                                area_code=SEFTON, created_at=now))
    member = members.add(admin, dps, area_code=SEFTON, now=now).authority
    member_officer = authority_user(member, "Mo Officer", "officer@member.example.org", [COMMISSIONING_OFFICER],
                                    clock)
    outsider = Organisation(name="Outside Council", kind=AUTHORITY, local_authority_area="Wirral", area_code=WIRRAL,
                            created_at=now)
    db.session.add(outsider)
    outside_admin = authority_user(outsider, "Oz Outsider", "admin@outside.example.org",
                                   [ADMINISTRATOR, EVALUATOR, COMMISSIONING_OFFICER], clock)
    provider_a = provider_user("Alpha Care", "alpha@provider.example.org", clock, urn="SC123456")
    colleague_a = provider_user("Alpha Care Two", "alpha2@provider.example.org", clock)
    # The second Alpha user joins Alpha's organisation (as an invited colleague would).
    colleague_a.organisation_id = provider_a.organisation_id
    db.session.commit()
    provider_b = provider_user("Beta Homes", "beta@provider.example.org", clock, urn="SC654321")
    window = windows.schedule_window(dps, opens_at=now - timedelta(days=1), closes_at=now + timedelta(days=14),
                                     now=now, actor=admin)
    db.session.commit()
    windows.run_due(now)
    return SimpleNamespace(lead=lead, admin=admin, evaluator=evaluator, lead_officer=lead_officer, dps=dps,
                           lots=list(dps.lots), member=member, member_officer=member_officer, outsider=outsider,
                           outside_admin=outside_admin, provider_a=provider_a, colleague_a=colleague_a,
                           provider_b=provider_b, window=window)


def complete_application(user: User, window, clock, lots=None, submit=False):
    """An application with everything it needs; submitted if asked."""
    now = clock.now()
    application = applications.start(user, window, now)
    lots = lots or window.dps.lots[:2]
    applications.set_lots(user, application, [lot.id for lot in lots], now)
    applications.set_prices(user, application, {c.id: "1250.00" for lot in lots for c in lot.categories}, now)
    applications.save_answers(user, application, {q.id: f"Answer to question {q.number}"
                                                  for q in window.question_set.questions}, now)
    for kind in applications.required_evidence(application):
        applications.upload_document(user, application, kind=kind, filename=f"{kind}.pdf", data=PDF,
                                     expires_on=(now + timedelta(days=365)).date()
                                     if kind == "insurance_certificate" else None, now=now)
    for number in (1, 2):
        applications.add_referee(user, application, authority_name=f"Referee Council {number}",
                                 contact_name=f"Ref {number}", job_title="Manager",
                                 email=f"ref{number}@council.example.org", telephone="", now=now)
    if submit:
        applications.submit(user, application, now)
    return application


def second_evaluator(world, clock) -> User:
    return authority_user(world.lead, "Sam Second", "second@lead.example.org", [EVALUATOR], clock)


def evaluate(application, evaluators, clock, *, scores=None, moderator=None, reference="satisfactory",
             gates_pass=True):
    """Allocate, score (the same marks from each evaluator), record gates and references, and moderate.

    `scores` maps question number to a score (default: 4 for scored questions, 1 for pass/fail)."""
    from portal.services import evaluations

    now = clock.now()
    questions = application.window.question_set.questions
    marks = {q.id: ((scores or {}).get(q.number, 1 if q.is_pass_fail else 4), f"Reason for question {q.number}")
             for q in questions}
    admin = next(u for u in evaluators if u.has_role("administrator")) if any(
        u.has_role("administrator") for u in evaluators) else moderator
    evaluations.allocate(admin, application, [u.id for u in evaluators], now)
    for evaluator in evaluators:
        errors = evaluations.save_scores(evaluator, application, marks, now)
        assert errors == {}, errors
        evaluations.submit_scores(evaluator, application, now)
    moderator = moderator or evaluators[0]
    for gate, (passed, evidence) in evaluations.suggested_gates(application).items():
        # Where the record suggests nothing (no Ofsted rating yet), the evaluator checked and found a pass.
        evaluations.record_gate(moderator, application, gate, passed is not False and gates_pass, evidence, now)
    for referee in application.referees:
        evaluations.record_reference(moderator, application, referee.id, reference, "Taken up by telephone", now)
    errors = evaluations.moderate(moderator, application, marks, now)
    assert errors == {}, errors
    return application


# Referrals (the REFERRALS helper's builders) -------------------------------------------------------------------

# The canary identity: none of it may ever reach a provider's page, e-mail or download.
CHILD_FIRST_NAMES = "Kestrel"
CHILD_SURNAME = "Quennell-Abara"
CHILD_DATE_OF_BIRTH = date(2010, 3, 14)
CHILD_CASE_NUMBER = "CN-48213-Q"


def admit(provider_user, lot, *, tier=1, caution=False, clock, categories=None):
    """A place on a lot for the user's provider: a documented shortcut (admission itself is tested in
    tests/evaluation), with the tier in each of the lot's age categories (`categories`, by category, else `tier` in
    every category); in a category without tiers the place has no tier. Returns the LotMembership."""
    from portal.models import CategoryMembership, LotMembership

    provider = provider_user.organisation
    status = "place_with_caution" if caution else "admitted"
    if provider.provider_status in (None, "applicant"):
        provider.provider_status = status
    membership = LotMembership(lot_id=lot.id, provider_id=provider.id, status=status, admitted_at=clock.now())
    tiers = categories if categories is not None else {category: tier for category in lot.categories}
    membership.categories = [CategoryMembership(category=category, tier=given if category.tiers else None)
                             for category, given in tiers.items()]
    db.session.add(membership)
    standing.contract_for(lot.dps_id, provider.id, now=clock.now())
    db.session.commit()
    return membership


def referral_fields(**overrides) -> dict:
    """A referral's fields (the Placements Data Standard's), valid for the test DPS's 16-18 lots."""
    from decimal import Decimal

    fields = {
        "needed_by": "more_than_5_days", "siblings_to_place_with": 0, "preferred_areas": [TAMESIDE, OLDHAM],
        "preferred_location": "",
        "communication_needs": "no", "communication_which": [], "adaptations_needed": False,
        "adaptations_detail": "", "cultural_needs": "not_required", "cultural_detail": "",
        "live_alongside": "with_other_children", "pets": "yes_can", "additional_support": ["therapeutic_support"],
        "deprivation_of_liberty": False, "suitability_foster": "suitable", "suitability_residential": "unsuitable",
        "suitability_supported": "preferred", "risks_to_child": ["going_missing"], "risks_to_others": [],
        "age_years": 16, "required_start": date(2027, 1, 4), "expected_duration": "Until 18, about two years",
        "education_needs": "At college three days a week; needs help to keep going.",
        "needs_summary": "A young person preparing for independence, who has gone missing twice this year and "
                         "needs steady support from the same key worker.",
        "indicative_weekly_price": Decimal("1200.00"), "quality_weight": None, "cost_weight": None,
    }
    fields.update(overrides)
    return fields


def child_details(**overrides) -> dict:
    """The private part of a referral: the canary identity."""
    child = {"first_names": CHILD_FIRST_NAMES, "surname": CHILD_SURNAME, "known_as": "",
             "date_of_birth": CHILD_DATE_OF_BIRTH, "case_number": CHILD_CASE_NUMBER}
    child.update(overrides)
    return child


def draft_referral(world, clock, *, lot=None, child=None, **overrides):
    """A draft referral by world.member_officer (the member authority). `overrides` change the fields,
    `child` (a dict) the private part."""
    from portal.services import referrals

    child = dict(child or {})
    age = overrides.get("age_years")
    if isinstance(age, int) and 0 <= age <= 25 and "date_of_birth" not in child:
        # The child's date of birth agrees with the age given, as publication requires (at the tests' dates).
        born = CHILD_DATE_OF_BIRTH
        child["date_of_birth"] = born.replace(year=born.year + 16 - age)
    return referrals.create(world.member_officer, lot=lot or world.lots[0], fields=referral_fields(**overrides),
                            child=child_details(**child), now=clock.now())


def published_referral(world, clock, *, lot=None, deadline=None, child=None, **overrides):
    """A referral with its funding approved, published to the first tier with providers (admit them first).
    Without a deadline, the default for its urgency applies."""
    from portal.services import referrals

    referral = draft_referral(world, clock, lot=lot, child=child, **overrides)
    approve_funding(world, referral, clock)
    referrals.publish(world.member_officer, referral, clock.now(), deadline=deadline)
    return referral


BUDGET_LIMIT = Decimal("150000.00")  # the member budget holder's annual limit: £2,884.61 a week at most


def deciders(world, clock) -> SimpleNamespace:
    """The member authority's budget holder (annual limit BUDGET_LIMIT), head of service and assistant director,
    made once per world (world.deciders)."""
    if getattr(world, "deciders", None) is None:
        budget_holder = authority_user(world.member, "Bea Okonkwo-Lind", "budget@member.example.org",
                                       [BUDGET_HOLDER], clock)
        budget_holder.approval_limit = BUDGET_LIMIT
        db.session.commit()
        world.deciders = SimpleNamespace(
            budget_holder=budget_holder,
            head_of_service=authority_user(world.member, "Hana Petrossian", "head@member.example.org",
                                           [HEAD_OF_SERVICE], clock),
            assistant_director=authority_user(world.member, "Ari Lindqvist", "director@member.example.org",
                                              [ASSISTANT_DIRECTOR], clock))
    return world.deciders


def answer_as(user, approval, clock, *, approve=True, reason=""):
    from portal.services import approvals

    approvals.answer(user, approval, approve=approve, reason=reason, now=clock.now())
    return approval


def approve_funding(world, referral, clock, *, expected_weekly="1200.00"):
    """The referral's funding asked for by world.member_officer and approved by whoever may answer it."""
    from portal.services import approvals, referrals

    deciders(world, clock)
    approval = referrals.ask_funding(world.member_officer, referral, expected_weekly=expected_weekly, now=clock.now())
    person, _role = approvals.answerers(approval)[0]
    return answer_as(person, approval, clock)


def approve_cost(world, referral, bid, clock):
    """The bid's weekly cost asked for by world.member_officer and approved by whoever may answer it."""
    from portal.services import approvals, awards

    deciders(world, clock)
    approval = awards.ask_cost_approval(world.member_officer, referral, bid, clock.now())
    person, _role = approvals.answerers(approval)[0]
    return answer_as(person, approval, clock)


def approve_search(world, referral, clock, *, expected_weekly="2800.00", notes=""):
    """An off-framework search asked for by world.member_officer and approved by whoever may answer it."""
    from portal.services import approvals, off_framework

    deciders(world, clock)
    approval = off_framework.ask_search(world.member_officer, referral, expected_weekly=expected_weekly, notes=notes,
                                        now=clock.now())
    person, _role = approvals.answerers(approval)[0]
    return answer_as(person, approval, clock)


def approve_off_framework_placement(world, referral, provider, weekly_cost, clock):
    """The head of service's agreement to placing with the provider, and the weekly cost, both approved."""
    from portal.services import approvals, off_framework

    people = deciders(world, clock)
    agreement, cost = off_framework.ask_placement_approvals(world.member_officer, referral, provider,
                                                            weekly_cost=weekly_cost, now=clock.now())
    answer_as(people.head_of_service, agreement, clock)
    person, _role = approvals.answerers(cost)[0]
    answer_as(person, cost, clock)
    return agreement, cost


def award_approved(world, clock, referral, bid, **kwargs):
    """The award of the bid by world.member_officer, once a budget holder approved its weekly cost."""
    from portal.services import awards

    approve_cost(world, referral, bid, clock)
    return awards.award(world.member_officer, referral, bid, **kwargs)


def answer_pending(now) -> list:
    """Every pending request answered "approved" by the first person who may answer it (for browser journeys that
    are about something else); the member authority's deciders must exist (`member_deciders`)."""
    from portal.models import Approval
    from portal.services import approvals

    pending = db.session.scalars(db.select(Approval).where(Approval.status == "pending").order_by(Approval.id)).all()
    for approval in pending:
        person, _role = approvals.answerers(approval)[0]
        approvals.answer(person, approval, approve=True, now=now)
    return pending


def member_deciders(clock, *, authority_name="Member Council") -> SimpleNamespace:
    """deciders() for a world known only by name (the browser tests' live portal)."""
    member = db.session.scalar(db.select(Organisation).where(Organisation.name == authority_name))
    return deciders(SimpleNamespace(member=member, deciders=None), clock)


def without_user_administrators(provider) -> None:
    """Every user administrator of the provider deactivated: nobody there can manage its colleagues, so the
    consortium administrator may step in."""
    from portal.services import accounts

    for person in accounts.active_user_administrators(provider):
        person.active = False
    db.session.commit()


def placed(world, clock, *, user=None, core="1500.00", start=None, home_area=None, lot=None, child=None,
           admitted=True, setting=None, **referral_overrides):
    """A child placed through the real journey: `user`'s provider (world.provider_a by default) admitted to the
    lot, a referral published by world.member_officer, one bid (core weekly fee `core`, starting `start`, the home
    in `home_area`), the deadline passed, the bid assessed, its cost approved by a budget holder, and awarded.
    The bid offers `setting`, else the provider's first open setting where it has any. The clock is left an hour
    after the deadline. Returns the Placement."""
    from portal.models import Bid
    from portal.services import awards, bids, referrals
    from portal.services.bids import BidInput

    user = user or world.provider_a
    lot = lot or world.lots[0]
    if admitted:
        admit(user, lot, clock=clock)
    referral = published_referral(world, clock, lot=lot, deadline=clock.now() + timedelta(days=3), child=child,
                                  **referral_overrides)
    invitation = referrals.invitation_for(user, referral.id)
    start = start or (clock.now() + timedelta(days=5)).date()
    if setting is None:
        from portal.models import Setting

        setting = db.session.scalar(db.select(Setting).where(Setting.provider_id == user.organisation_id,
                                                             Setting.closed_at.is_(None)).order_by(Setting.id).limit(1))
    bids.submit(user, invitation, BidInput(core_weekly_fee=core, additional_costs=[], proposed_start=start,
                                           setting_id=setting.id if setting is not None else None,
                                           home_area=home_area or world.member.area_code,
                                           home_description="A two-bedroom home with experienced carers",
                                           how_needs_met="A keyworker and a school link worker"), clock.now())
    clock.set(referral.rounds[-1].deadline + timedelta(hours=1))
    bid = db.session.scalars(db.select(Bid).where(Bid.referral_id == referral.id,
                                                  Bid.provider_id == user.organisation_id)).one()
    awards.assess(world.member_officer, bid, scores={"needs": 5, "location": 5, "stability": 4, "education": 4},
                  notes="", now=clock.now())
    return award_approved(world, clock, referral, bid, reason="", now=clock.now())


def lead_deciders(world, clock) -> SimpleNamespace:
    """The lead authority's head of service and assistant director (they decide sanctions), made once per world
    (world.lead_deciders)."""
    if getattr(world, "lead_deciders", None) is None:
        world.lead_deciders = SimpleNamespace(
            head_of_service=authority_user(world.lead, "Hal Whitcombe", "head@lead.example.org",
                                           [HEAD_OF_SERVICE], clock),
            assistant_director=authority_user(world.lead, "Ada Nakamura-Reid", "director@lead.example.org",
                                              [ASSISTANT_DIRECTOR], clock),
            second_head=authority_user(world.lead, "Hugo Ferreira", "head2@lead.example.org",
                                       [HEAD_OF_SERVICE], clock))
    return world.lead_deciders


def contract_manager(world, clock, *, at=None, name="Cara Mensah", email="contracts@lead.example.org"):
    """A contract manager at the lead authority (or at `at`, another authority)."""
    return authority_user(at or world.lead, name, email, [CONTRACT_MANAGER], clock)


def setting_for(provider_user, clock, *, name=None, urn=None, kind="childrens_home", area=MANCHESTER):
    """A setting run by the user's provider (`urn` its Ofsted URN)."""
    from portal.models import Setting

    setting = Setting(provider_id=provider_user.organisation_id, name=name or f"{provider_user.organisation.name} home",
                      kind=kind, ofsted_urn=urn, area_code=area, address="2 Mill Lane",
                      description="A four-bedroom home with waking night staff", created_at=clock.now())
    db.session.add(setting)
    db.session.commit()
    return setting


def contract_of(world, provider_user, dps=None):
    """The provider's contract on the DPS (world.dps by default)."""
    return standing.contract_for((dps or world.dps).id, provider_user.organisation_id)
