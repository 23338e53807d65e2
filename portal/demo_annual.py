"""Demo data for the annual contract review: each DPS's self-assessment questionnaire (the joint evaluation
toolkit), and the providers whose contract has a contract manager, one at each stage: the
action plan issued with an action overdue, rated with the provider's comment, the meeting and costs to record,
more evidence asked, answers to moderate, and the questionnaire with the provider past its due date (overdue on
the contract manager's Tasks). Contracts with a live placement take the first stages, whose cost review needs one.
Everything goes through the services, at times before now."""

from datetime import datetime, timedelta

from portal.extensions import db
from portal.models import Dps, Placement, ProviderContract, Referral, User, UserRole
from portal.models.annual_review import ANSWER_ACCEPTED, ANSWER_MORE_EVIDENCE
from portal.models.user import ADMINISTRATOR, PROVIDER_USER
from portal.services import annual_reviews
from portal.timezone import uk_today

QUESTIONS = [
    ("How do you keep children safe, and how do your safeguarding policies reach every member of staff and carer?",
     "Name the designated safeguarding lead, the training given and when the policies were last reviewed."),
    ("How do you make sure each child's placement plan is met, and how do you know?",
     "Examples of outcomes for children placed through the framework, with no names."),
    ("How do you support children's education, health and emotional wellbeing?", ""),
    ("How stable are your placements? Tell us about unplanned endings in the year and what you learned.", ""),
    ("How do you recruit, train, supervise and keep your staff?",
     "Turnover, vacancies and agency use over the year."),
    ("How do children and their families take part in decisions, and how do you act on complaints?", ""),
]
ANSWERS = [
    "Our designated safeguarding lead is the registered manager; every member of staff completes level 3 training "
    "within their first month, refreshed every two years. Policies were reviewed in March.",
    "Each child has a key worker who reviews the placement plan monthly with the social worker; 9 of 11 young "
    "people met their education goals this year.",
    "We link every young person with a GP and dentist within two weeks, and with the virtual school.",
    "Two placements ended unplanned this year; both were reviewed and we changed our matching process.",
    "Staff turnover fell to 14%. Every worker has monthly supervision and an annual appraisal.",
    "Young people's meetings are held monthly and minuted; three complaints were received and resolved.",
]
STAGES = ("issued", "rated", "moderated", "returned", "submitted", "sent")
STAGE_LABELS = {  # the providers' sign-in lines
    "issued": "Provider: annual review rated and action plan issued (an action overdue)",
    "rated": "Provider: annual review rated, with its comment",
    "returned": "Provider: more evidence asked for its annual review",
    "sent": "Provider: annual review self-assessment overdue",
}


def _provider_user(provider_id: int) -> User | None:
    return db.session.scalar(db.select(User).where(
        User.organisation_id == provider_id, User.active,
        User.id.in_(db.select(UserRole.user_id).where(UserRole.role == PROVIDER_USER))).order_by(User.id).limit(1))


def _contracts(moment: datetime) -> list[ProviderContract]:
    """The allocated contracts, those with a live placement first (the stages that review costs need one)."""
    today = uk_today(moment)
    live = db.select(Placement.id).join(Referral, Referral.id == Placement.referral_id).where(
        Placement.provider_id == ProviderContract.provider_id, Referral.dps_id == ProviderContract.dps_id,
        Placement.start_date <= today, db.or_(Placement.end_date.is_(None), Placement.end_date > today))
    return list(db.session.scalars(db.select(ProviderContract).where(
        ProviderContract.contract_manager_id.is_not(None), ProviderContract.terminated_at.is_(None))
        .order_by(live.exists().desc(), ProviderContract.id)))


def _run(contract: ProviderContract, stage: str, moment: datetime) -> User | None:
    manager, provider = contract.contract_manager, _provider_user(contract.provider_id)
    if provider is None:
        return None
    # The questionnaire left with the provider was due nine days ago: overdue on the contract manager's Tasks.
    start = moment - timedelta(days={"issued": 60, "rated": 60, "sent": 30}.get(stage, 20))

    def at(days: float) -> datetime:
        return start + timedelta(days=days)

    review = annual_reviews.send(manager, contract, due_on=uk_today(at(0)) + timedelta(days=21),
                                 documents="Public liability insurance certificate, safeguarding policy, statement "
                                           "of purpose", now=at(0))
    if stage == "sent":
        return provider
    annual_reviews.save_answers(provider, review, {answer.id: ANSWERS[(answer.number - 1) % len(ANSWERS)]
                                                   for answer in review.answers}, submit=True, now=at(5))
    if stage == "submitted":
        return provider
    decisions = {answer.id: (ANSWER_ACCEPTED, "") for answer in review.answers}
    if stage == "returned":
        last = review.answers[-1]
        decisions[last.id] = (ANSWER_MORE_EVIDENCE, "Send the minutes of two young people's meetings and the "
                                                     "complaints log for the year.")
    annual_reviews.moderate(manager, review, decisions, now=at(8))
    if stage in ("returned", "moderated"):
        return provider
    annual_reviews.record_meeting(manager, review, held_on=uk_today(at(12)),
                                  attendees=f"{manager.name} (contract manager), the registered manager and the "
                                            "responsible individual",
                                  notes="The self-assessment was discussed. Staffing has improved; the provider is "
                                        "asked to evidence education outcomes more clearly.", now=at(12))
    for line in annual_reviews.cost_lines(review, at(13)):
        annual_reviews.record_cost_check(manager, review, line.placement.id, outcome="confirmed",
                                         note="Still matches the needs in the placement plan.", now=at(13))
    annual_reviews.rate(manager, review, rating="satisfactory", risk_factors=["workforce", "outcomes"],
                        notes="Good practice on safeguarding; education outcomes need clearer evidence.",
                        best_practice="Monthly young people's meetings with minutes shared with social workers.",
                        now=at(14))
    annual_reviews.comment(provider, review, "We accept the rating and will send the education data each term.",
                           at(16))
    if stage == "rated":
        return provider
    annual_reviews.add_action(manager, review, text="Send each term's education attendance and attainment data",
                              owner="Registered manager", due_on=uk_today(at(18)) + timedelta(days=30), now=at(18))
    annual_reviews.add_action(manager, review, text="Complete the new staff retention plan",
                              owner="Responsible individual", due_on=uk_today(moment) + timedelta(days=45),
                              now=at(18))
    annual_reviews.issue(manager, review, at(19))
    return provider


def load(moment: datetime, make_user) -> list[tuple[str, str]]:
    """`make_user` is portal/demo.py's (unused: the contract managers and providers exist already)."""
    for dps in db.session.scalars(db.select(Dps).where(Dps.id.in_(db.select(ProviderContract.dps_id)))
                                  .order_by(Dps.id)):
        admin = db.session.scalar(db.select(User).where(
            User.organisation_id == dps.lead_authority_id,
            User.id.in_(db.select(UserRole.user_id).where(UserRole.role == ADMINISTRATOR))).order_by(User.id).limit(1))
        for text, guidance in QUESTIONS:
            annual_reviews.add_question(admin, dps, text=text, guidance=guidance, now=moment - timedelta(days=90))
    lines = []
    contracts = _contracts(moment)
    for contract, stage in zip(contracts, STAGES, strict=False):
        provider = _run(contract, stage, moment)
        if provider is not None and stage in STAGE_LABELS:
            lines.append((STAGE_LABELS[stage], provider.email))
    db.session.commit()
    return lines
