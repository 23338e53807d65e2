"""The annual contract review (seed 003's Joint Evaluation Toolkit and contract management meeting).

- The self-assessment questionnaire is the DPS's own, edited by the lead's administrators and versioned like the
  quality questions: a version locks when a review is first sent with it; editing afterwards needs a new version;
  each review keeps its version.
- Once a year for each provider with a live placement on the DPS a review is due: a year after the last review
  was sent, or a year after the contract was made when none has been. It is on the contract manager's dashboard
  (a Due item) and, once overdue, on their Tasks.
- The contract manager allocated to the contract runs it: sends the questionnaire with a due date and the
  documents to update; the provider saves and submits its answers; the contract manager moderates each answer
  (accepted, or more evidence asked: those answers go back to the provider); records the meeting and reviews each
  live placement's cost against the IPA's cost review dates; gives an overall rating with the risk factors. The
  provider may comment on the rating; the rating may be moderated; then the action plan (actions, owners,
  timescales) is issued with the rating to the provider as a PDF. A rating below Satisfactory needs an action.
- Actions are done by the provider or recorded done by the contract manager; overdue ones are on Tasks.
- Every member authority's contract readers see the reviews; the provider sees its own, never a child's identity
  (placements appear by their agreement reference, and only on the authority's side).
"""

from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import has_request_context, request, url_for

from portal.errors import DomainError, InvalidTransition, NotFound, Problems
from portal.extensions import db
from portal.models import (
    AnnualReview,
    Dps,
    Placement,
    PlacementCost,
    ProviderContract,
    Referral,
    ReviewAction,
    ReviewAnswer,
    ReviewCostCheck,
    ReviewQuestion,
    ReviewQuestionnaire,
    User,
)
from portal.models.annual_review import (
    ANSWER_ACCEPTED,
    ANSWER_MORE_EVIDENCE,
    COST_OUTCOMES,
    ISSUED,
    MODERATED,
    OPEN_STATUSES,
    RATED,
    RATINGS,
    RETURNED,
    RISK_FACTORS,
    SENT,
    SUBMITTED,
    WITH_PROVIDER,
)
from portal.models.user import CONTRACT_MANAGER, HEAD_OF_SERVICE, PROVIDER_USER
from portal.services import audit, contracts, mail, standing
from portal.services.contracts import Due
from portal.services.reviews import add_months
from portal.timezone import format_date, uk_today

MAX_TEXT = 4000
MAX_ANSWER = 10000
PER_PAGE = 25
NEEDS_ACTION = ("requires_improvement", "causing_concern")  # ratings that need an action in the plan


@contextmanager
def _check(problems: Problems):
    """Keep a check's DomainError in `problems` (a NotFound still stops at once), so they are refused together."""
    try:
        yield
    except NotFound:
        raise
    except DomainError as error:
        problems.errors.setdefault(error.field or "", error.message)


def _text(value, field: str, label: str, *, required: bool = True, limit: int = MAX_TEXT) -> str:
    text = (value or "").strip()
    if required and not text:
        raise DomainError(f"Enter {label}", field=field)
    if len(text) > limit:
        raise DomainError(f"{label[0].upper()}{label[1:]} must be {limit} characters or fewer", field=field)
    return text


# The questionnaire ------------------------------------------------------------------------------

def questionnaire_of(dps_id: int) -> ReviewQuestionnaire | None:
    """The DPS's latest version of the questionnaire, the one the next review is sent with."""
    return db.session.scalar(db.select(ReviewQuestionnaire).where(ReviewQuestionnaire.dps_id == dps_id)
                             .options(db.selectinload(ReviewQuestionnaire.questions))
                             .order_by(ReviewQuestionnaire.version.desc()).limit(1))


def _editable(admin: User, dps: Dps, now: datetime) -> ReviewQuestionnaire:
    current = questionnaire_of(dps.id)
    if current is None:
        current = ReviewQuestionnaire(dps_id=dps.id, version=1, created_at=now)
        db.session.add(current)
        db.session.flush()
    if current.is_locked:
        raise InvalidTransition(f"Version {current.version} has been sent to providers and can no longer change. "
                                "Make a new version to edit the questions.")
    return current


def question_of(admin: User, dps: Dps, question_id: int) -> ReviewQuestion:
    question = db.session.get(ReviewQuestion, question_id)
    if question is None or question.questionnaire.dps_id != dps.id:
        raise NotFound()
    return question


def add_question(admin: User, dps: Dps, *, text: str, guidance: str, now: datetime) -> ReviewQuestion:
    questionnaire = _editable(admin, dps, now)
    problems = Problems()
    with _check(problems):
        text = _text(text, "text", "the question")
    with _check(problems):
        guidance = _text(guidance, "guidance", "the guidance", required=False)
    problems.raise_any()
    question = ReviewQuestion(questionnaire=questionnaire, number=len(questionnaire.questions) + 1, text=text,
                              guidance=guidance)
    db.session.add(question)
    db.session.flush()
    audit.record(at=now, actor=admin, action="annual_review.question_added", entity=question,
                 summary=f"Self-assessment question {question.number} added to version {questionnaire.version} "
                         f"for {dps.reference}", after={"text": text, "guidance": guidance})
    db.session.commit()
    return question


def edit_question(admin: User, dps: Dps, question: ReviewQuestion, *, text: str, guidance: str,
                  now: datetime) -> None:
    if _editable(admin, dps, now).id != question.questionnaire_id:
        raise InvalidTransition("This question belongs to an earlier version, which can no longer change.")
    problems = Problems()
    with _check(problems):
        text = _text(text, "text", "the question")
    with _check(problems):
        guidance = _text(guidance, "guidance", "the guidance", required=False)
    problems.raise_any()
    before = {"text": question.text, "guidance": question.guidance}
    question.text, question.guidance = text, guidance
    audit.record(at=now, actor=admin, action="annual_review.question_changed", entity=question,
                 summary=f"Self-assessment question {question.number} changed for {dps.reference}",
                 before=before, after={"text": text, "guidance": guidance})
    db.session.commit()


def remove_question(admin: User, dps: Dps, question: ReviewQuestion, now: datetime) -> None:
    questionnaire = _editable(admin, dps, now)
    if questionnaire.id != question.questionnaire_id:
        raise InvalidTransition("This question belongs to an earlier version, which can no longer change.")
    audit.record(at=now, actor=admin, action="annual_review.question_removed", entity=question,
                 summary=f"Self-assessment question {question.number} removed for {dps.reference}",
                 before={"text": question.text})
    questionnaire.questions.remove(question)
    db.session.flush()
    for number, other in enumerate(questionnaire.questions, start=1):
        other.number = -number  # two steps, so the unique (questionnaire, number) never clashes
    db.session.flush()
    for other in questionnaire.questions:
        other.number = -other.number
    db.session.commit()


def new_version(admin: User, dps: Dps, now: datetime) -> ReviewQuestionnaire:
    """Copy the locked latest version into a new one that later reviews are sent with."""
    current = questionnaire_of(dps.id)
    if current is None or not current.is_locked:
        raise InvalidTransition("The latest version can still be edited: no new version is needed.")
    copy = ReviewQuestionnaire(dps_id=dps.id, version=current.version + 1, created_at=now)
    copy.questions = [ReviewQuestion(number=question.number, text=question.text, guidance=question.guidance)
                      for question in current.questions]
    db.session.add(copy)
    db.session.flush()
    audit.record(at=now, actor=admin, action="annual_review.questionnaire_version", entity=copy,
                 summary=f"Self-assessment questionnaire version {copy.version} made for {dps.reference}")
    db.session.commit()
    return copy


# Finding reviews --------------------------------------------------------------------------------

def _with_everything(statement):
    return statement.options(
        db.selectinload(AnnualReview.answers).selectinload(ReviewAnswer.question),
        db.selectinload(AnnualReview.actions), db.selectinload(AnnualReview.cost_checks),
        db.selectinload(AnnualReview.contract).selectinload(ProviderContract.dps),
        db.selectinload(AnnualReview.contract).selectinload(ProviderContract.provider),
        db.selectinload(AnnualReview.contract).selectinload(ProviderContract.contract_manager),
        db.selectinload(AnnualReview.questionnaire))


def review_for_reader(user: User, review_id: int) -> AnnualReview:
    """A review, for a contract reader at the DPS's lead or a current member; NotFound otherwise."""
    review = db.session.scalar(_with_everything(db.select(AnnualReview).where(AnnualReview.id == review_id)))
    if review is None or not contracts.may_read(user, review.contract.dps):
        raise NotFound()
    return review


def own_review(user: User, review_id: int) -> AnnualReview:
    """The user's provider's review; NotFound for another provider's."""
    review = db.session.scalar(_with_everything(db.select(AnnualReview).where(AnnualReview.id == review_id)))
    if review is None or not user.has_role(PROVIDER_USER) \
            or review.contract.provider_id != user.organisation_id:
        raise NotFound()
    return review


def is_manager(user: User, contract: ProviderContract) -> bool:
    """The contract's allocated contract manager, or a contract manager of the lead covering (contracts.manages):
    the same people who act on the escalation ladder."""
    return contracts.manages(user, contract)


def _manager_only(user: User, contract: ProviderContract) -> None:
    if not is_manager(user, contract):
        raise DomainError("Only the provider's contract manager, or a contract manager of the lead authority, can "
                          "do this.")


def reviews_of(contract: ProviderContract) -> list[AnnualReview]:
    return list(db.session.scalars(db.select(AnnualReview).where(AnnualReview.contract_id == contract.id)
                                   .order_by(AnnualReview.sent_at.desc(), AnnualReview.id.desc())))


def own_reviews(user: User, *, page: int = 1):
    """The provider's reviews on every DPS, open ones first, newest first; paginated."""
    query = (db.select(AnnualReview).join(ProviderContract, ProviderContract.id == AnnualReview.contract_id)
             .where(ProviderContract.provider_id == user.organisation_id)
             .options(db.selectinload(AnnualReview.contract).selectinload(ProviderContract.dps))
             .order_by((AnnualReview.status == ISSUED), AnnualReview.sent_at.desc(), AnnualReview.id.desc()))
    return db.paginate(query, page=page, per_page=PER_PAGE, error_out=False)


def managed_reviews(user: User, *, status: str = "", page: int = 1):
    """The reviews of the contracts the user manages, open ones first; filtered by status; paginated."""
    query = (db.select(AnnualReview).join(ProviderContract, ProviderContract.id == AnnualReview.contract_id)
             .where(ProviderContract.contract_manager_id == user.id)
             .options(db.selectinload(AnnualReview.contract).selectinload(ProviderContract.dps),
                      db.selectinload(AnnualReview.contract).selectinload(ProviderContract.provider)))
    if status == "open":
        query = query.where(AnnualReview.status.in_(OPEN_STATUSES))
    elif status:
        query = query.where(AnnualReview.status == status)
    query = query.order_by((AnnualReview.status == ISSUED), AnnualReview.due_on, AnnualReview.id)
    return db.paginate(query, page=page, per_page=PER_PAGE, error_out=False)


def _open_review(contract_id: int) -> AnnualReview | None:
    return db.session.scalar(db.select(AnnualReview).where(AnnualReview.contract_id == contract_id,
                                                           AnnualReview.status.in_(OPEN_STATUSES)).limit(1))


def _provider_people(provider_id: int) -> list[User]:
    from portal.models import UserRole

    return list(db.session.scalars(db.select(User).where(
        User.active, User.organisation_id == provider_id,
        User.id.in_(db.select(UserRole.user_id).where(UserRole.role == PROVIDER_USER))).order_by(User.id)))


def _tell_provider(review: AnnualReview, subject: str, body: str, now: datetime) -> None:
    link = url_for("supplier.annual_review", review_id=review.id)
    mail.notify_many([(person, subject, body, link) for person in _provider_people(review.contract.provider_id)],
                     at=now)


def _tell_manager(review: AnnualReview, subject: str, body: str, now: datetime) -> None:
    manager = review.contract.contract_manager
    if manager is not None and manager.active:
        mail.notify(manager, subject=subject, body=body, at=now,
                    link=url_for("buyer.contracts_annual_review", review_id=review.id))


def _check_version(review: AnnualReview, version) -> None:
    """A form based on an older state of the review is refused (a stale page or a second submit)."""
    if version is not None and str(version) != str(review.version):
        raise DomainError("This review has changed since you opened the page. Check it and try again.")


# Sending ------------------------------------------------------------------------------------------

def send(manager: User, contract: ProviderContract, *, due_on: date | None, documents: str,
         now: datetime) -> AnnualReview:
    """Send the DPS's current questionnaire to the provider, with the day its answers are due and the documents
    it is asked to update. The questionnaire's version locks."""
    _manager_only(manager, contract)
    if contract.is_terminated:
        raise InvalidTransition("This contract is terminated: no annual review can be sent.")
    if _open_review(contract.id) is not None:
        raise InvalidTransition("An annual review of this provider is already under way.")
    questionnaire = questionnaire_of(contract.dps_id)
    if questionnaire is None or not questionnaire.questions:
        raise DomainError("The consortium's administrator has not set the self-assessment questions yet.")
    today = uk_today(now)
    problems = Problems()
    with _check(problems):
        if due_on is None:
            raise DomainError("Enter the date the answers are due", field="due_on")
        if due_on <= today:
            raise DomainError("The answers must be due after today", field="due_on")
        if due_on > today + timedelta(days=120):
            raise DomainError("The answers must be due within 120 days", field="due_on")
    with _check(problems):
        documents = _text(documents, "documents", "the documents to update", required=False)
    problems.raise_any()
    if questionnaire.locked_at is None:
        questionnaire.locked_at = now
    review = AnnualReview(contract=contract, questionnaire=questionnaire, status=SENT, due_on=due_on,
                          documents_requested=documents, sent_at=now, sent_by_id=manager.id)
    review.answers = [ReviewAnswer(question=question, number=question.number) for question in questionnaire.questions]
    db.session.add(review)
    db.session.flush()
    audit.record(at=now, actor=manager, action="annual_review.sent", entity=review,
                 summary=f"Annual review sent to {contract.provider.name} on {contract.dps.reference} "
                         f"(questionnaire version {questionnaire.version}), due {format_date(due_on)}")
    _tell_provider(review, f"Annual contract review for {contract.dps.reference}",
                   f"{contract.dps.lead_authority.name}'s contract manager has sent you the annual self-assessment "
                   f"for {contract.dps.name}. Complete it in the portal by {format_date(due_on)}."
                   + (f" Please also update: {documents}" if documents else ""), now)
    db.session.commit()
    return review


# The provider's answers ---------------------------------------------------------------------------

def save_answers(user: User, review: AnnualReview, answers: dict[int, str], *, submit: bool, now: datetime,
                 version=None) -> None:
    """Save the provider's answers (those it may edit); `submit` sends them for moderation, every one answered."""
    if review.contract.provider_id != user.organisation_id:
        raise NotFound()
    if not review.with_provider:
        raise InvalidTransition("These answers have been submitted: the contract manager is reviewing them.")
    _check_version(review, version)
    problems = Problems()
    editable = [answer for answer in review.answers if answer.provider_may_edit]
    for answer in editable:
        with _check(problems):
            text = _text(answers.get(answer.id, answer.answer), f"answer_{answer.id}",
                         f"an answer to question {answer.number}", required=submit, limit=MAX_ANSWER)
            if text != answer.answer:
                answer.answer, answer.updated_at = text, now
    problems.raise_any()
    if submit:
        resubmitted = review.status == RETURNED
        review.move(SUBMITTED)
        review.submitted_at = now
        for answer in editable:
            if answer.moderation == ANSWER_MORE_EVIDENCE:
                answer.moderation = None
        audit.record(at=now, actor=user, action="annual_review.submitted", entity=review,
                     summary=f"Annual review {'resubmitted' if resubmitted else 'submitted'} by "
                             f"{review.contract.provider.name} on {review.contract.dps.reference}")
        what = "answered your request for more evidence" if resubmitted else "submitted its self-assessment"
        _tell_manager(review, f"{review.contract.provider.name} has submitted its annual review",
                      f"{review.contract.provider.name} has {what} for {review.contract.dps.reference}. "
                      "Moderate its answers in the portal.", now)
    else:
        audit.record(at=now, actor=user, action="annual_review.saved", entity=review,
                     summary=f"Annual review answers saved by {review.contract.provider.name}")
    db.session.commit()


# Moderation ---------------------------------------------------------------------------------------

def moderate(manager: User, review: AnnualReview, decisions: dict[int, tuple[str, str]], *, now: datetime,
             version=None) -> None:
    """Accept each answer or ask for more evidence (with what is asked). Any asked: back to the provider for
    those answers; all accepted: the review goes on to the meeting and costs."""
    _manager_only(manager, review.contract)
    if review.status != SUBMITTED:
        raise InvalidTransition("These answers are not waiting for moderation.")
    _check_version(review, version)
    problems = Problems()
    chosen: dict[int, tuple[str, str]] = {}
    for answer in review.answers:
        if answer.moderation == ANSWER_ACCEPTED:
            continue  # accepted earlier: stays accepted
        moderation, note = decisions.get(answer.id, ("", ""))
        with _check(problems):
            if moderation not in (ANSWER_ACCEPTED, ANSWER_MORE_EVIDENCE):
                raise DomainError(f"Choose whether to accept the answer to question {answer.number}",
                                  field=f"moderation_{answer.id}")
            note = _text(note, f"note_{answer.id}", f"the evidence asked for question {answer.number}",
                         required=moderation == ANSWER_MORE_EVIDENCE)
            chosen[answer.id] = (moderation, note)
    problems.raise_any()
    for answer in review.answers:
        if answer.id in chosen:
            answer.moderation, answer.moderation_note = chosen[answer.id]
    asked = [answer for answer in review.answers if answer.moderation == ANSWER_MORE_EVIDENCE]
    review.move(RETURNED if asked else MODERATED)
    audit.record(at=now, actor=manager, action="annual_review.moderated", entity=review,
                 summary=f"Annual review of {review.contract.provider.name} moderated: "
                         + (f"more evidence asked for {len(asked)} answer(s)" if asked else "every answer accepted"))
    if asked:
        _tell_provider(review, f"More evidence asked for your annual review on {review.contract.dps.reference}",
                       "The contract manager asks for more evidence for question(s) "
                       + ", ".join(str(answer.number) for answer in asked)
                       + ". Update those answers in the portal and submit them again.", now)
    db.session.commit()


# The meeting and the costs ----------------------------------------------------------------------

def record_meeting(manager: User, review: AnnualReview, *, held_on: date | None, attendees: str, notes: str,
                   now: datetime) -> None:
    _manager_only(manager, review.contract)
    if review.status not in (MODERATED, RATED):
        raise InvalidTransition("The meeting is recorded once every answer is accepted, before the action plan "
                                "is issued.")
    problems = Problems()
    with _check(problems):
        if held_on is None:
            raise DomainError("Enter the date of the meeting", field="held_on")
        if held_on > uk_today(now):
            raise DomainError("The date of the meeting must be today or in the past", field="held_on")
        if held_on < review.sent_at.date() - timedelta(days=1):
            raise DomainError("The meeting must be after the review was sent", field="held_on")
    with _check(problems):
        attendees = _text(attendees, "attendees", "who attended")
    with _check(problems):
        notes = _text(notes, "notes", "the notes of the meeting")
    problems.raise_any()
    review.meeting_on, review.meeting_attendees, review.meeting_notes = held_on, attendees, notes
    audit.record(at=now, actor=manager, action="annual_review.meeting", entity=review,
                 summary=f"Contract management meeting with {review.contract.provider.name} recorded "
                         f"({format_date(held_on)})")
    db.session.commit()


@dataclass
class PlacementCostLine:
    """A live placement of the provider on the DPS, its costs with their IPA review dates, and this review's
    finding about it."""

    placement: Placement
    costs: list[PlacementCost]
    check: ReviewCostCheck | None
    reviews_passed: list[PlacementCost]  # additional costs whose review date has passed


def live_placements(contract: ProviderContract, today: date) -> list[Placement]:
    return list(db.session.scalars(
        db.select(Placement).join(Referral, Referral.id == Placement.referral_id)
        .where(Placement.provider_id == contract.provider_id, Referral.dps_id == contract.dps_id,
               Placement.start_date <= today, db.or_(Placement.end_date.is_(None), Placement.end_date > today))
        .options(db.selectinload(Placement.costs), db.selectinload(Placement.authority))
        .order_by(Placement.start_date, Placement.id)))


def cost_lines(review: AnnualReview, now: datetime) -> list[PlacementCostLine]:
    today = uk_today(now)
    checks = {check.placement_id: check for check in review.cost_checks}
    return [PlacementCostLine(placement=placement, costs=list(placement.costs), check=checks.get(placement.id),
                              reviews_passed=[cost for cost in placement.costs
                                              if cost.review_date is not None and cost.review_date <= today])
            for placement in live_placements(review.contract, today)]


def record_cost_check(manager: User, review: AnnualReview, placement_id: int, *, outcome: str, note: str,
                      now: datetime) -> None:
    _manager_only(manager, review.contract)
    if review.status not in (MODERATED, RATED):
        raise InvalidTransition("Costs are reviewed once every answer is accepted, before the action plan is "
                                "issued.")
    placement = next((placement for placement in live_placements(review.contract, uk_today(now))
                      if placement.id == placement_id), None)
    if placement is None:
        raise NotFound()
    problems = Problems()
    with _check(problems):
        if outcome not in COST_OUTCOMES:
            raise DomainError("Choose what you found of the cost", field="outcome")
    with _check(problems):
        note = _text(note, "note", "a note", required=outcome in ("renegotiate", "refer"))
    problems.raise_any()
    check = next((check for check in review.cost_checks if check.placement_id == placement.id), None)
    if check is None:
        check = ReviewCostCheck(review=review, placement_id=placement.id, outcome=outcome, note=note,
                                recorded_at=now, recorded_by_id=manager.id)
        db.session.add(check)
    else:
        check.outcome, check.note, check.recorded_at, check.recorded_by_id = outcome, note, now, manager.id
    db.session.flush()
    audit.record(at=now, actor=manager, action="annual_review.cost_reviewed", entity=check,
                 summary=f"Cost of placement {placement.agreement_reference} reviewed in the annual review of "
                         f"{review.contract.provider.name}: {COST_OUTCOMES[outcome].lower()}")
    db.session.commit()


# The rating ------------------------------------------------------------------------------------------

def rate(manager: User, review: AnnualReview, *, rating: str, risk_factors: list[str], notes: str,
         best_practice: str, now: datetime) -> None:
    """The overall rating with its risk factors, once the meeting is recorded and every live placement's cost
    reviewed. It may be given again (moderated after the provider's comment) until the action plan is issued."""
    _manager_only(manager, review.contract)
    if review.status not in (MODERATED, RATED):
        raise InvalidTransition("The rating is given once every answer is accepted, before the action plan is "
                                "issued.")
    problems = Problems()
    with _check(problems):
        if review.meeting_on is None:
            raise DomainError("Record the contract management meeting before giving the rating")
    with _check(problems):
        missing = [line.placement.agreement_reference for line in cost_lines(review, now) if line.check is None]
        if missing:
            raise DomainError("Review the cost of every live placement before giving the rating: "
                              + ", ".join(missing))
    with _check(problems):
        if rating not in RATINGS:
            raise DomainError("Choose the overall rating", field="rating")
    with _check(problems):
        unknown = [key for key in risk_factors if key not in RISK_FACTORS]
        if unknown:
            raise DomainError("Choose risk factors from the list", field="risk_factors")
    with _check(problems):
        notes = _text(notes, "notes", "why this rating")
    with _check(problems):
        best_practice = _text(best_practice, "best_practice", "the best practice", required=False)
    problems.raise_any()
    factors = ",".join(key for key in RISK_FACTORS if key in risk_factors)
    if review.rating and (review.rating, review.risk_factors, review.rating_notes, review.best_practice) == (
            rating, factors, notes, best_practice):
        raise DomainError("This rating has already been given: change something to moderate it.")
    before = {"rating": review.rating, "risk_factors": review.risk_factors} if review.rating else None
    review.move(RATED)
    review.rating = rating
    review.risk_factors = factors
    review.rating_notes, review.best_practice = notes, best_practice
    review.rated_at, review.rated_by_id = now, manager.id
    audit.record(at=now, actor=manager, action="annual_review.rated", entity=review,
                 summary=f"Annual review of {review.contract.provider.name} rated {RATINGS[rating]}"
                         + (" (moderated)" if before else ""),
                 before=before, after={"rating": rating, "risk_factors": review.risk_factors})
    _tell_provider(review, f"Your annual review rating on {review.contract.dps.reference}",
                   f"The contract manager has rated your annual review {RATINGS[rating]}. You may comment on the "
                   "rating in the portal before the action plan is issued.", now)
    db.session.commit()


def comment(user: User, review: AnnualReview, text: str, now: datetime) -> None:
    """The provider's comment on the rating, while it can still be moderated."""
    if review.contract.provider_id != user.organisation_id:
        raise NotFound()
    if review.status != RATED:
        raise InvalidTransition("You can comment on the rating only after it is given and before the action plan "
                                "is issued.")
    text = _text(text, "comment", "your comment")
    if text == review.provider_comment:
        raise DomainError("This comment has already been sent.", field="comment")
    review.provider_comment, review.commented_at = text, now
    audit.record(at=now, actor=user, action="annual_review.commented", entity=review,
                 summary=f"{review.contract.provider.name} commented on its annual review rating")
    _tell_manager(review, f"{review.contract.provider.name} commented on its rating",
                  f"{review.contract.provider.name} has commented on its annual review rating. Read it, moderate the "
                  "rating if you agree, then issue the action plan.", now)
    db.session.commit()


# The action plan ---------------------------------------------------------------------------------

def add_action(manager: User, review: AnnualReview, *, text: str, owner: str, due_on: date | None,
               now: datetime) -> ReviewAction:
    _manager_only(manager, review.contract)
    if review.status != RATED:
        raise InvalidTransition("Actions are added once the rating is given, before the action plan is issued.")
    problems = Problems()
    with _check(problems):
        text = _text(text, "text", "the action")
    with _check(problems):
        owner = _text(owner, "owner", "who owns the action", limit=200)
    with _check(problems):
        if due_on is None:
            raise DomainError("Enter the date the action is due", field="due_on")
        if due_on <= uk_today(now):
            raise DomainError("The action must be due after today", field="due_on")
    problems.raise_any()
    if any((action.text, action.owner, action.due_on) == (text, owner, due_on) for action in review.actions):
        raise DomainError("This action is already in the plan.")
    action = ReviewAction(review=review, text=text, owner=owner, due_on=due_on)
    db.session.add(action)
    db.session.flush()
    audit.record(at=now, actor=manager, action="annual_review.action_added", entity=action,
                 summary=f"Action added to the annual review of {review.contract.provider.name}, due "
                         f"{format_date(due_on)}", after={"text": text, "owner": owner})
    db.session.commit()
    return action


def remove_action(manager: User, review: AnnualReview, action_id: int, now: datetime) -> None:
    _manager_only(manager, review.contract)
    action = next((action for action in review.actions if action.id == action_id), None)
    if action is None:
        raise DomainError("This action has already been removed from the plan.")
    if review.status != RATED:
        raise InvalidTransition("The action plan has been issued: its actions can no longer be removed.")
    audit.record(at=now, actor=manager, action="annual_review.action_removed", entity=action,
                 summary=f"Action removed from the annual review of {review.contract.provider.name}",
                 before={"text": action.text, "owner": action.owner})
    review.actions.remove(action)
    db.session.commit()


def issue(manager: User, review: AnnualReview, now: datetime, *, version=None) -> None:
    """Send the moderated rating and the action plan to the provider (the PDF)."""
    _manager_only(manager, review.contract)
    if review.status != RATED:
        raise InvalidTransition("The action plan can be issued once the rating is given, and only once.")
    _check_version(review, version)
    if review.rating in NEEDS_ACTION and not review.actions:
        raise DomainError(f"A rating of {review.rating_label} needs at least one action in the action plan.")
    review.move(ISSUED)
    review.issued_at = now
    audit.record(at=now, actor=manager, action="annual_review.issued", entity=review,
                 summary=f"Annual review rating ({review.rating_label}) and action plan of {len(review.actions)} "
                         f"action(s) issued to {review.contract.provider.name}")
    if review.rating == "causing_concern":
        _tell_heads_of_service(review, now)
    _tell_provider(review, f"Your annual review and action plan for {review.contract.dps.reference}",
                   f"Your annual review is complete: rated {review.rating_label}, with {len(review.actions)} "
                   "action(s). The action plan (PDF) is in the portal.", now)
    db.session.commit()


def complete_action(user: User, review: AnnualReview, action_id: int, *, note: str, now: datetime) -> None:
    """An action done: by the provider, or recorded so by the contract manager."""
    action = next((action for action in review.actions if action.id == action_id), None)
    if action is None:
        raise NotFound()
    by_provider = user.organisation_id == review.contract.provider_id
    if not by_provider:
        _manager_only(user, review.contract)
    if review.status != ISSUED:
        raise InvalidTransition("Actions are done once the action plan is issued.")
    note = _text(note, "note", "what was done")
    action.complete(note, now, user.id)
    audit.record(at=now, actor=user, action="annual_review.action_done", entity=action,
                 summary=f"Action of the annual review of {review.contract.provider.name} done"
                         + (" (by the provider)" if by_provider else " (recorded by the contract manager)"))
    if by_provider:
        _tell_manager(review, f"{review.contract.provider.name} has done an action",
                      f"{review.contract.provider.name} has marked an action of its annual review plan done: "
                      f"{action.text[:200]}", now)
    db.session.commit()


def _tell_heads_of_service(review: AnnualReview, now: datetime) -> None:
    """A contract causing concern is a significant issue: the heads of service of the lead and the members are
    told (seed 003: "notified to the relevant Head of Service")."""
    contract = review.contract
    link = url_for("buyer.contracts_annual_review", review_id=review.id)
    mail.notify_many([(person, f"{contract.provider.name} is causing concern on {contract.dps.reference}",
                       f"The annual contract review of {contract.provider.name} rates it Causing concern "
                       f"({'; '.join(review.risk_factor_labels) or 'no risk factor named'}). The action plan is "
                       "in the portal.", link)
                      for person in standing.member_staff(contract.dps, roles=(HEAD_OF_SERVICE,))], at=now)


# What is due -------------------------------------------------------------------------------------

def dues(contract_ids, now) -> list[Due]:
    """For the contract manager's dashboard (portal.services.contracts.DUE_SOURCES): the annual review of each
    contract with a live placement (due a year after the last was sent, or after the contract was made), the
    step of an open review, and overdue actions. Four queries however many contracts; once per request where
    the page asked for them to be kept (reuse_dues_in_this_request)."""
    if not contract_ids:
        return []
    kept = request.environ.get(_KEPT_DUES) if has_request_context() else None
    if kept is None:
        return _dues(contract_ids, now)
    key = (frozenset(contract_ids), uk_today(now))
    if key not in kept:
        kept[key] = _dues(contract_ids, now)
    return list(kept[key])


_KEPT_DUES = "portal.annual_review_dues"


def reuse_dues_in_this_request() -> None:
    """Keep the dues worked out while this request lasts: the contract manager's dashboard and the menu's Tasks
    count ask for the same contracts' dues. Only for a page that reads (it changes nothing the dues depend on)."""
    request.environ.setdefault(_KEPT_DUES, {})


def _dues(contract_ids, now) -> list[Due]:
    today = uk_today(now)
    rows = db.session.execute(db.select(ProviderContract.id, ProviderContract.dps_id, ProviderContract.provider_id,
                                        ProviderContract.created_at, ProviderContract.terminated_at)
                              .where(ProviderContract.id.in_(contract_ids))).all()
    # Per contract, whether one live placement exists: the search stops at the first, rather than reading
    # every placement the providers ever had.
    live_placement = (db.select(Placement.id).join(Referral, Referral.id == Placement.referral_id)
                      .where(Placement.provider_id == ProviderContract.provider_id,
                             Referral.dps_id == ProviderContract.dps_id, Placement.start_date <= today,
                             db.or_(Placement.end_date.is_(None), Placement.end_date > today)))
    live = set(db.session.scalars(db.select(ProviderContract.id).where(ProviderContract.id.in_(contract_ids),
                                                                       live_placement.exists())))
    reviews = db.session.execute(
        db.select(AnnualReview.id, AnnualReview.contract_id, AnnualReview.status, AnnualReview.due_on,
                  AnnualReview.sent_at).where(AnnualReview.contract_id.in_(contract_ids))
        .order_by(AnnualReview.sent_at)).all()
    last_sent: dict[int, datetime] = {}
    open_by_contract = {}
    for review in reviews:
        last_sent[review.contract_id] = review.sent_at
        if review.status in OPEN_STATUSES:
            open_by_contract[review.contract_id] = review
    found: list[Due] = []
    for row in rows:
        review = open_by_contract.get(row.id)
        if review is not None:
            found.append(_open_step(row.id, review, today))
            continue
        if row.terminated_at is not None or row.id not in live:
            continue
        base = last_sent.get(row.id, row.created_at)
        due_on = add_months(uk_today(base), 12)
        if due_on <= today + timedelta(days=30):
            found.append(Due(contract_id=row.id, what="Annual contract review", due_on=due_on,
                             overdue=due_on < today,
                             link=url_for("buyer.contracts_annual_review_new", dps_id=row.dps_id,
                                          provider_id=row.provider_id)))
    actions = db.session.execute(
        db.select(ReviewAction.id, ReviewAction.due_on, AnnualReview.id.label("review_id"), AnnualReview.contract_id)
        .join(AnnualReview, AnnualReview.id == ReviewAction.review_id)
        .where(AnnualReview.contract_id.in_(contract_ids), AnnualReview.status == ISSUED,
               ReviewAction.done_at.is_(None), ReviewAction.due_on < today)).all()
    for action in actions:
        found.append(Due(contract_id=action.contract_id, what="Action of the annual review plan",
                         due_on=action.due_on, overdue=True,
                         link=url_for("buyer.contracts_annual_review", review_id=action.review_id)))
    return found


STEP_WHAT = {
    SENT: "Annual review: the provider's answers",
    RETURNED: "Annual review: the provider's further evidence",
    SUBMITTED: "Annual review: moderate the answers",
    MODERATED: "Annual review: the meeting, costs and rating",
    RATED: "Annual review: issue the action plan",
}


def _open_step(contract_id: int, review, today: date) -> Due:
    link = url_for("buyer.contracts_annual_review", review_id=review.id)
    if review.status in WITH_PROVIDER:
        return Due(contract_id=contract_id, what=STEP_WHAT[review.status], due_on=review.due_on,
                   overdue=review.due_on < today, link=link)
    # The contract manager's own step: due now; overdue once the answers' due date is a month behind.
    return Due(contract_id=contract_id, what=STEP_WHAT[review.status], due_on=None,
               overdue=review.due_on < today - timedelta(days=30), link=link)


@dataclass
class ManagerTask:
    contract: ProviderContract
    due: Due


def tasks_for(user: User, now: datetime) -> list[ManagerTask]:
    """The contract manager's Tasks: what is overdue on their contracts' annual reviews, and the steps that wait
    for them (moderation, meeting and rating, issuing). A few queries however many contracts."""
    if not user.has_role(CONTRACT_MANAGER):
        return []
    managed = {contract.id: contract for contract in db.session.scalars(
        db.select(ProviderContract).where(ProviderContract.contract_manager_id == user.id)
        .options(db.selectinload(ProviderContract.provider), db.selectinload(ProviderContract.dps)))}
    tasks = [ManagerTask(contract=managed[due.contract_id], due=due) for due in dues(list(managed), now)
             if due.overdue or due.due_on is None]
    tasks.sort(key=lambda task: (not task.due.overdue, task.due.due_on or date.max, task.contract.provider.name))
    return tasks


def task_count(user: User, now: datetime) -> int:
    """How many tasks tasks_for lists, without loading the contracts (the menu counts on every page)."""
    if not user.has_role(CONTRACT_MANAGER):
        return 0
    managed = list(db.session.scalars(db.select(ProviderContract.id).where(
        ProviderContract.contract_manager_id == user.id)))
    return sum(1 for due in dues(managed, now) if due.overdue or due.due_on is None) if managed else 0


# The contract pages ---------------------------------------------------------------------------------

@dataclass
class Summary:
    """The annual review panel of a contract page: the last review issued (its rating) and the one under way."""

    last: AnnualReview | None
    current: AnnualReview | None
    may_send: bool
    reviews: list[AnnualReview]


def summary_for(contract: ProviderContract, viewer: User, now: datetime) -> Summary:
    reviews = reviews_of(contract)
    last = next((review for review in reviews if review.status == ISSUED), None)
    current = next((review for review in reviews if review.is_open), None)
    return Summary(last=last, current=current, reviews=reviews[:5],
                   may_send=current is None and not contract.is_terminated and is_manager(viewer, contract))


def own_summary(contract: ProviderContract, viewer: User, now: datetime) -> Summary:
    """The provider's own contract page: the same, for itself (part 1's supplier.contract includes it)."""
    reviews = reviews_of(contract)
    return Summary(last=next((review for review in reviews if review.status == ISSUED), None),
                   current=next((review for review in reviews if review.is_open), None), may_send=False,
                   reviews=reviews[:5])


def overdue_actions(review: AnnualReview, now: datetime) -> list[ReviewAction]:
    today = uk_today(now)
    return [action for action in review.actions if not action.is_done and action.due_on < today]

