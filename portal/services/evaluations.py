"""Evaluating applications: allocation and conflicts of interest, independent scoring, pass/fail
gates and references, clarification questions, the decision clock, moderation and outcomes.

Who sees scores: an evaluator sees their own; the other evaluators' submitted scores only once they
have submitted their own, and never a colleague's draft. An evaluator with a declared conflict of
interest with the provider cannot open the application at all. Moderation opens when every allocated
evaluator has submitted. Providers see nothing of the evaluation until the administrator publishes
the window's outcomes, and then only their own.
"""

from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from flask import url_for
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from portal.errors import DomainError, NotFound
from portal.extensions import db
from portal.formatting import percent
from portal.models import (
    Allocation,
    Application,
    ApplicationLot,
    Clarification,
    ConflictOfInterest,
    EntryWindow,
    GateResult,
    LotOutcome,
    ModeratedScore,
    Organisation,
    Referee,
    Score,
    User,
)
from portal.models.application import SUBMITTED
from portal.models.evaluation import (
    ADMITTED,
    ADMITTED_WITH_CAUTION,
    GATES,
    NOT_ADMITTED,
    OUTCOME_LABELS,
    SATISFACTORY,
    UNSATISFACTORY,
)
from portal.models.organisation import PROVIDER
from portal.models.user import ADMINISTRATOR, EVALUATOR
from portal.services import audit, listing, mail
from portal.services.listing import Page, page_within
from portal.timezone import format_date, format_day
from portal.workdays import decision_due_date, working_days_elapsed

MINIMUM_EVALUATORS = 2
CHANGED_MEANWHILE = "Someone else changed this at the same moment. Check what is recorded now and try again."


@contextmanager
def _saving():
    """Commit the changes made in the block. If another request changed the same records first (a second row
    where only one may be, or a stale version of the application), roll everything back and say so."""
    try:
        yield
        db.session.commit()
    except (IntegrityError, StaleDataError):
        db.session.rollback()
        raise DomainError(CHANGED_MEANWHILE) from None


# Who may do what -------------------------------------------------------------------------------

def _is_lead_evaluator(user: User, application: Application) -> bool:
    return (user.organisation_id == application.window.dps.lead_authority_id
            and user.has_role(EVALUATOR, ADMINISTRATOR))


QUEUE_PER_PAGE = 25  # allocations on each of the evaluator's two lists


def queue_of(user: User, *, scored: bool, page: int | None = None):
    """A page of the evaluator's allocations: those still to score, oldest allocated first; or those scored,
    latest scored first. Each page is read in order from the allocation's queue index, without sorting."""
    query = db.select(Allocation).where(Allocation.evaluator_id == user.id).options(
        selectinload(Allocation.application).selectinload(Application.provider),
        selectinload(Allocation.application).selectinload(Application.clarifications),
        selectinload(Allocation.application).selectinload(Application.window).selectinload(EntryWindow.dps))
    if scored:
        query = query.where(Allocation.submitted_at.is_not(None)).order_by(
            Allocation.submitted_at.desc(), Allocation.allocated_at.desc(), Allocation.id.desc())
    else:
        query = query.where(Allocation.submitted_at.is_(None)).order_by(Allocation.allocated_at, Allocation.id)
    return db.paginate(query, page=page or 1, per_page=QUEUE_PER_PAGE, error_out=False)


def application_for_lead(user: User, application_id: int) -> Application:
    """A submitted application of a DPS the user's authority leads, for its evaluators and administrators,
    unless the user has declared a conflict of interest with the provider."""
    application = db.session.get(Application, application_id)
    if application is None or application.status != SUBMITTED or not _is_lead_evaluator(user, application):
        raise NotFound()
    if is_conflicted(user, application.provider_id):
        raise NotFound()
    return application


def is_conflicted(user: User, provider_id: int) -> bool:
    return db.session.scalar(db.select(ConflictOfInterest.id).where(
        ConflictOfInterest.evaluator_id == user.id, ConflictOfInterest.provider_id == provider_id)) is not None


def own_allocation(user: User, application: Application) -> Allocation | None:
    return next((a for a in application.allocations if a.evaluator_id == user.id), None)


def conflicted_evaluator_ids(evaluator_ids: list[int], provider_id: int) -> set[int]:
    """Which of these evaluators have declared a conflict of interest with the provider (one query)."""
    if not evaluator_ids:
        return set()
    return set(db.session.scalars(db.select(ConflictOfInterest.evaluator_id).where(
        ConflictOfInterest.provider_id == provider_id, ConflictOfInterest.evaluator_id.in_(evaluator_ids))))


def lead_evaluators(lead_id: int) -> list[User]:
    from portal.models import UserRole

    return db.session.scalars(
        db.select(User).join(UserRole).where(User.organisation_id == lead_id, User.active.is_(True),
                                             UserRole.role == EVALUATOR).order_by(User.name)
    ).all()


# Conflicts and allocation ----------------------------------------------------------------------

PROVIDER_CHOICES = 20  # providers offered at once when declaring a conflict: the search narrows them


def providers_matching(search: str) -> list[Organisation]:
    """The providers whose name or Ofsted URN contains the search, by name: at most one more than
    PROVIDER_CHOICES, so the page can say that more match."""
    return db.session.scalars(
        db.select(Organisation).where(Organisation.kind == PROVIDER,
                                      listing.matching(search, [Organisation.name, Organisation.ofsted_urn]))
        .order_by(Organisation.name, Organisation.id).limit(PROVIDER_CHOICES + 1)).all()


def declare_conflict(evaluator: User, provider: Organisation, note: str, now: datetime) -> None:
    if not evaluator.has_role(EVALUATOR):
        raise DomainError("Only evaluators declare conflicts of interest")
    if not provider.is_provider:
        raise NotFound()
    if is_conflicted(evaluator, provider.id):
        raise DomainError(f"You have already declared a conflict of interest with {provider.name}")
    with _saving():
        db.session.add(ConflictOfInterest(evaluator_id=evaluator.id, provider_id=provider.id, note=note.strip(),
                                          declared_at=now))
        # Unsubmitted work on that provider's applications is withdrawn; submitted scores stay on record.
        pending = db.session.scalars(
            db.select(Allocation).join(Application).where(Allocation.evaluator_id == evaluator.id,
                                                          Allocation.submitted_at.is_(None),
                                                          Application.provider_id == provider.id)).all()
        for allocation in pending:
            db.session.delete(allocation)
        audit.record(at=now, actor=evaluator, action="evaluation.conflict_declared", entity=provider,
                     summary=f"{evaluator.email} declared a conflict of interest with {provider.name}",
                     after={"note": note.strip(), "allocations_withdrawn": len(pending)})


def allocate(admin: User, application: Application, evaluator_ids: list[int], now: datetime) -> None:
    """Give the application to evaluators; it needs at least two in all."""
    if not admin.has_role(ADMINISTRATOR) or not _is_lead_evaluator(admin, application):
        raise NotFound()
    if application.moderated_at is not None:
        raise DomainError("This application has been moderated: its evaluators can no longer change")
    candidates = {user.id: user for user in lead_evaluators(application.window.dps.lead_authority_id)}
    already = {a.evaluator_id for a in application.allocations}
    chosen = [candidates.get(evaluator_id) for evaluator_id in evaluator_ids if evaluator_id not in already]
    if None in chosen:
        raise DomainError("Choose evaluators of the lead authority", field="evaluators")
    for evaluator in chosen:
        if is_conflicted(evaluator, application.provider_id):
            raise DomainError(f"{evaluator.name} has declared a conflict of interest with "
                              f"{application.provider.name}, so cannot evaluate this application",
                              field="evaluators")
    if not chosen and len(already) >= MINIMUM_EVALUATORS:
        raise DomainError("Choose at least one more evaluator to allocate", field="evaluators")
    if len(already) + len(chosen) < MINIMUM_EVALUATORS:
        raise DomainError(f"Allocate at least {MINIMUM_EVALUATORS} evaluators to each application",
                          field="evaluators")
    with _saving():
        for evaluator in chosen:
            db.session.add(Allocation(application=application, evaluator_id=evaluator.id, allocated_by_id=admin.id,
                                      allocated_at=now))
            mail.notify(evaluator, at=now, link=url_for("evaluation.application", application_id=application.id),
                        subject=f"Application to evaluate: {application.provider.name}",
                        body=f"{admin.name} has asked you to evaluate {application.provider.name}'s application to "
                             f"{application.window.dps.name}.")
        audit.record(at=now, actor=admin, action="evaluation.allocated", entity=application,
                     summary=f"{application.provider.name}'s application allocated",
                     before={"evaluators": sorted(already)},
                     after={"evaluators": sorted(already | {e.id for e in chosen})})


# Scoring ---------------------------------------------------------------------------------------

def _allocation_for(evaluator: User, application: Application) -> Allocation:
    allocation = own_allocation(evaluator, application)
    if allocation is None:
        raise DomainError("This application has not been allocated to you")
    if allocation.is_submitted:
        raise DomainError("You have submitted your scores for this application; they can no longer change")
    return allocation


def _check_mark(question, score: int | None, reason: str) -> str | None:
    if score is None:
        return f"Give a score for question {question.number}"
    top = 1 if question.is_pass_fail else question.max_score
    if not 0 <= score <= top:
        return f"The score for question {question.number} must be between 0 and {top}"
    if not reason.strip():
        return f"Give the reason for your score for question {question.number}"
    return None


def save_scores(evaluator: User, application: Application, marks: dict[int, tuple[int | None, str]],
                now: datetime) -> dict[int, str]:
    """Keep the evaluator's draft marks. Returns errors by question id; the valid marks are kept."""
    allocation = _allocation_for(evaluator, application)
    questions = {q.id: q for q in application.window.question_set.questions}
    existing = {score.question_id: score for score in allocation.scores}
    errors = {}
    for question_id, (score, reason) in marks.items():
        question = questions.get(question_id)
        if question is None:
            raise DomainError("That question is not part of this application")
        if score is None and not reason.strip():
            continue
        problem = _check_mark(question, score, reason)
        if problem:
            errors[question_id] = problem
            continue
        row = existing.get(question_id)
        if row is None:
            allocation.scores.append(Score(question_id=question_id, score=score, reason=reason.strip(),
                                           updated_at=now))
        else:
            row.score, row.reason, row.updated_at = score, reason.strip(), now
    db.session.commit()
    return errors


def submit_scores(evaluator: User, application: Application, now: datetime) -> None:
    allocation = _allocation_for(evaluator, application)
    scored = {score.question_id for score in allocation.scores}
    missing = [q.number for q in application.window.question_set.questions if q.id not in scored]
    if missing:
        raise DomainError("Score every question before submitting: question "
                          + ", ".join(str(number) for number in missing) + " still to do")
    allocation.submitted_at = now
    audit.record(at=now, actor=evaluator, action="evaluation.scores_submitted", entity=application,
                 summary=f"{evaluator.email} submitted scores for {application.provider.name}")
    db.session.commit()


def scores_visible_to(user: User, application: Application) -> list[Allocation]:
    """The allocations whose scores this user may read: their own draft; once they have submitted, every
    submitted allocation (never a colleague's draft)."""
    mine = own_allocation(user, application)
    if mine is not None and not mine.is_submitted:
        return [mine]
    if mine is not None or moderation_open(application):
        return [allocation for allocation in application.allocations if allocation.is_submitted]
    return []


# Gates, references and clarifications ----------------------------------------------------------

def suggested_gates(application: Application) -> dict[str, tuple[bool | None, str]]:
    """What the record shows for each gate, for the evaluator to confirm: pass (True), fail (False), or
    None where the record cannot say, which the evaluator must then decide."""
    from portal.services.applications import required_evidence

    documents = {doc.kind: doc for doc in application.documents}
    missing = [kind for kind in required_evidence(application) if kind not in documents]
    provider = application.provider
    insurance = documents.get("insurance_certificate")
    closes = application.window.closes_at or application.submitted_at
    return {
        "documents": (not missing, "All required documents were received" if not missing
                      else "Missing: " + ", ".join(missing)),
        "ofsted": _suggested_ofsted(provider),
        "insurance": (bool(insurance and insurance.expires_on and insurance.expires_on > closes.date()),
                      f"Cover ends {format_date(insurance.expires_on)}" if insurance and insurance.expires_on
                      else "No insurance certificate"),
    }


def _suggested_ofsted(provider: Organisation) -> tuple[bool | None, str]:
    """Without a rating on record the gate cannot be suggested either way: the evaluator checks Ofsted."""
    if not provider.ofsted_rating:
        registration = f"Ofsted {provider.ofsted_urn}" if provider.ofsted_urn else "Not registered with Ofsted"
        return None, f"{registration}: no rating on record"
    return provider.ofsted_rating != "Inadequate", f"Ofsted {provider.ofsted_urn}: {provider.ofsted_rating}"


def _require_evaluator(user: User, application: Application) -> None:
    if not _is_lead_evaluator(user, application) or is_conflicted(user, application.provider_id):
        raise DomainError("You cannot evaluate this application")
    if application.moderated_at is not None:
        raise DomainError("This application has been moderated and can no longer change")


def record_gate(user: User, application: Application, gate: str, passed: bool | None, evidence: str,
                now: datetime) -> None:
    _require_evaluator(user, application)
    if gate not in GATES:
        raise NotFound()
    if passed is None:
        raise DomainError(f"Choose whether '{GATES[gate]}' is a pass or a fail", field=f"gate-{gate}")
    if not evidence.strip():
        raise DomainError(f"Give the evidence for '{GATES[gate]}'", field=f"gate-{gate}")
    row = next((g for g in application.gates if g.gate == gate), None)
    before = {"passed": row.passed, "evidence": row.evidence} if row else None
    with _saving():
        if row is None:
            row = GateResult(application=application, gate=gate, passed=passed, evidence=evidence.strip(),
                             recorded_by_id=user.id, recorded_at=now)
            db.session.add(row)
        else:
            row.passed, row.evidence, row.recorded_by_id, row.recorded_at = passed, evidence.strip(), user.id, now
        audit.record(at=now, actor=user, action="evaluation.gate_recorded", entity=application,
                     summary=f"{GATES[gate]}: {'pass' if passed else 'fail'}", before=before,
                     after={"passed": passed, "evidence": evidence.strip()})


def record_reference(user: User, application: Application, referee_id: int, outcome: str, note: str,
                     now: datetime) -> None:
    _require_evaluator(user, application)
    referee = next((r for r in application.referees if r.id == referee_id), None)
    if referee is None:
        raise NotFound()
    if outcome not in (SATISFACTORY, UNSATISFACTORY):
        raise DomainError("Choose whether the reference is satisfactory", field=f"referee-{referee_id}")
    before = {"outcome": referee.reference_outcome}
    referee.reference_outcome, referee.reference_note = outcome, note.strip()
    referee.reference_recorded_at, referee.reference_recorded_by_id = now, user.id
    audit.record(at=now, actor=user, action="evaluation.reference_recorded", entity=application,
                 summary=f"Reference from {referee.authority_name}: {outcome}", before=before,
                 after={"outcome": outcome})
    db.session.commit()


def ask_clarification(user: User, application: Application, question: str, now: datetime) -> Clarification:
    _require_evaluator(user, application)
    if not question.strip():
        raise DomainError("Enter the question for the provider", field="question")
    clarification = Clarification(application=application, asked_by_id=user.id, question=question.strip(),
                                  asked_at=now)
    db.session.add(clarification)
    for colleague in application.provider.users:
        if colleague.is_active:
            mail.notify(colleague, at=now, link=url_for("supplier.clarifications", application_id=application.id),
                        subject=f"{application.window.dps.name}: a question about your application",
                        body="The evaluators have a question about your application. Answer it in the portal; "
                             "the evaluation waits for your answer.")
    audit.record(at=now, actor=user, action="evaluation.clarification_asked", entity=application,
                 summary=f"Clarification asked of {application.provider.name}")
    db.session.commit()
    return clarification


def answer_clarification(user: User, application: Application, clarification_id: int, answer: str,
                         now: datetime) -> None:
    clarification = db.session.get(Clarification, clarification_id)
    if (clarification is None or clarification.application_id != application.id
            or application.provider_id != user.organisation_id):
        raise NotFound()
    if not clarification.is_open:
        raise DomainError("This question has already been answered")
    if not answer.strip():
        raise DomainError("Enter your answer", field=f"answer-{clarification_id}")
    clarification.answer, clarification.answered_by_id, clarification.answered_at = answer.strip(), user.id, now
    mail.notify(clarification.asked_by, at=now,
                link=url_for("evaluation.application", application_id=clarification.application_id),
                subject=f"{clarification.application.provider.name} answered your question",
                body="The provider has answered your clarification question.")
    audit.record(at=now, actor=user, action="evaluation.clarification_answered", entity=clarification.application,
                 summary=f"{user.organisation.name} answered a clarification question")
    db.session.commit()


# The decision clock ----------------------------------------------------------------------------

@dataclass
class DecisionClock:
    elapsed: int
    deadline: int
    paused: bool
    due_on: date  # as it stands: a question still open is taken as answered now

    @property
    def remaining(self) -> int:
        return self.deadline - self.elapsed

    @property
    def state(self) -> str:
        if self.remaining < 0:
            return "overdue"
        if self.remaining <= 2:
            return "due soon"
        return "on time"

    @property
    def summary(self) -> str:
        """What the pages show: "3 of 10 working days, decision due Tuesday 17 March 2026" (", paused")."""
        return (f"{self.elapsed} of {self.deadline} working days, decision due {format_day(self.due_on)}"
                + (", paused" if self.paused else ""))


def clock_start(application: Application) -> datetime | None:
    """When the decision clock starts: the window's close (or the application's arrival in an always-open one)."""
    window = application.window
    return window.closes_at if window.closes_at is not None else application.submitted_at


def decision_clock(application: Application, now: datetime) -> DecisionClock | None:
    """Working days since the window closed (or the application arrived, in an always-open window), leaving
    out each working day on which a clarification question was open, and the date the decision is due;
    None once the application is decided."""
    if application.moderated_at is not None:
        return None
    start = clock_start(application)
    if start is None or start > now:
        return None
    pauses = [(c.asked_at, c.answered_at) for c in application.clarifications]
    deadline = application.window.dps.decision_working_days
    return DecisionClock(working_days_elapsed(start, now, pauses), deadline,
                         any(c.is_open for c in application.clarifications),
                         decision_due_date(start, deadline, now, pauses))



def decision_clocks(applications, now: datetime) -> dict[int, DecisionClock | None]:
    """decision_clock of each application, by id; applications of a window that share the start, the working days
    and the questions share a clock, worked out once (counting working days since a close months ago is slow)."""
    shared: dict[tuple, DecisionClock | None] = {}
    clocks = {}
    for application in applications:
        key = (application.moderated_at, clock_start(application), application.window.dps.decision_working_days,
               tuple((c.asked_at, c.answered_at) for c in application.clarifications))
        if key not in shared:
            shared[key] = decision_clock(application, now)
        clocks[application.id] = shared[key]
    return clocks

# Moderation and outcomes -----------------------------------------------------------------------

def moderation_open(application: Application) -> bool:
    allocations = application.allocations
    return _all_scored(len(allocations), sum(1 for a in allocations if a.is_submitted))


def _all_scored(allocated: int, submitted: int) -> bool:
    """Enough evaluators allocated, and every one of them has submitted their scores."""
    return allocated >= MINIMUM_EVALUATORS and submitted == allocated


def score_spread(application: Application) -> dict[int, tuple[int, int]]:
    """Lowest and highest evaluator score for each question."""
    spread = {}
    for allocation in application.allocations:
        for score in allocation.scores:
            low, high = spread.get(score.question_id, (score.score, score.score))
            spread[score.question_id] = (min(low, score.score), max(high, score.score))
    return spread


@dataclass(frozen=True)
class ReasonChoice:
    """An evaluator's reason for a question, offered to the moderator as the starting feedback."""

    allocation_id: int
    evaluator_name: str
    reason: str


@dataclass(frozen=True)
class ModerationStart:
    """Where moderation of a question starts: the evaluators' score where they all gave the same one (None
    where they differ), their reasons to choose from, and the reason chosen to begin with (only where they
    agree)."""

    score: int | None
    choices: list[ReasonChoice]
    chosen: int | None


def moderation_starts(application: Application) -> dict[int, ModerationStart]:
    """The starting point of moderation for each question, by question id."""
    submitted = [allocation for allocation in application.allocations if allocation.is_submitted]
    marks = {(allocation.id, score.question_id): score for allocation in submitted for score in allocation.scores}
    starts = {}
    for question in application.window.question_set.questions:
        given = [(allocation, marks[allocation.id, question.id]) for allocation in submitted
                 if (allocation.id, question.id) in marks]
        choices = [ReasonChoice(allocation.id, allocation.evaluator.name, score.reason) for allocation, score in given]
        scores = {score.score for _, score in given}
        agreed = scores.pop() if given and len(given) == len(submitted) and len(scores) == 1 else None
        starts[question.id] = ModerationStart(score=agreed, choices=choices,
                                              chosen=choices[0].allocation_id if agreed is not None else None)
    return starts


def chosen_reason(application: Application, question_id: int, choice: str, written: str) -> str:
    """The moderator's feedback for a question: the evaluator's reason they chose, or what they wrote. Both at
    once is refused, so that nothing typed is dropped unseen."""
    for allocation in application.allocations:
        if allocation.is_submitted and str(allocation.id) == choice:
            score = next((s for s in allocation.scores if s.question_id == question_id), None)
            if score is None:
                break
            if written.strip():
                raise DomainError(f"Question {score.question.number}: choose \u201cWrite the feedback\u201d to use "
                                  f"what you wrote, or empty the box to use {allocation.evaluator.name}'s reason")
            return score.reason
    return written


def _quality_percent(question_set, agreed: dict[int, int]):
    from portal.scoring import quality_percent

    marks = [(agreed[q.id], q.max_score, q.weight) for q in question_set.questions if not q.is_pass_fail]
    if not marks:
        return Decimal(100)  # pass/fail questions only: passing them all is full marks
    return quality_percent(marks)


def moderate(moderator: User, application: Application, marks: dict[int, tuple[int | None, str]],
             now: datetime) -> dict[int, str]:
    """Record the agreed scores and decide each lot. Returns errors by question id (nothing saved then)."""
    _require_evaluator(moderator, application)
    if not moderation_open(application):
        raise DomainError(f"Moderation opens when at least {MINIMUM_EVALUATORS} evaluators have submitted "
                          "their scores")
    questions = application.window.question_set.questions
    errors = {}
    for question in questions:
        score, reason = marks.get(question.id, (None, ""))
        problem = _check_mark(question, score, reason)
        if problem:
            errors[question.id] = problem
    if errors:
        return errors
    gates = {g.gate: g for g in application.gates}
    unrecorded = [GATES[gate] for gate in GATES if gate not in gates]
    if unrecorded:
        raise DomainError("Record every pass/fail gate before moderating: " + ", ".join(unrecorded))
    untaken = [r.authority_name for r in application.referees if r.reference_outcome is None]
    if untaken:
        raise DomainError("Record the outcome of every reference before moderating: " + ", ".join(untaken))
    if any(c.is_open for c in application.clarifications):
        raise DomainError("A clarification question to the provider is still open")

    with _saving():
        for question in questions:
            score, reason = marks[question.id]
            db.session.add(ModeratedScore(application=application, question_id=question.id, score=score,
                                          reason=reason.strip(), moderator_id=moderator.id, moderated_at=now))
        agreed = {q.id: marks[q.id][0] for q in questions}
        outcome, reasons = decide(application, agreed)
        quality = _quality_percent(application.window.question_set, agreed)
        for application_lot in application.lots:
            db.session.add(LotOutcome(application=application, lot_id=application_lot.lot_id, outcome=outcome,
                                      quality_percent=quality, reasons="\n".join(reasons)))
        application.moderated_at, application.moderated_by_id = now, moderator.id
        application.updated_at = now
        audit.record(at=now, actor=moderator, action="evaluation.moderated", entity=application,
                     summary=f"{application.provider.name}: {OUTCOME_LABELS[outcome]}",
                     after={"outcome": outcome, "quality_percent": quality, "scores": agreed})
    return {}


def decide(application: Application, agreed: dict[int, int]) -> tuple[str, list[str]]:
    """Admission on quality alone: every gate passed, every pass/fail question passed, no scored
    question below its minimum, and the weighted quality score at or above the threshold. A provider
    that passes with an unsatisfactory reference is admitted with caution."""
    question_set = application.window.question_set
    reasons = [f"Failed the gate: {GATES[g.gate]} ({g.evidence})" for g in application.gates if not g.passed]
    for question in question_set.questions:
        score = agreed[question.id]
        if question.is_pass_fail and score < 1:
            reasons.append(f"Question {question.number} was not passed")
        elif not question.is_pass_fail and score < question.min_score:
            reasons.append(f"Question {question.number} scored {score}, below the minimum of {question.min_score}")
    quality = _quality_percent(question_set, agreed)
    if quality < question_set.quality_threshold_percent:
        reasons.append(f"The quality score of {percent(quality)} is below the "
                       f"{question_set.quality_threshold_percent}% needed")
    if reasons:
        return NOT_ADMITTED, reasons
    if any(r.reference_outcome == UNSATISFACTORY for r in application.referees):
        return ADMITTED_WITH_CAUTION, ["A reference was unsatisfactory: placed on the caution list until updated "
                                       "evidence is received"]
    return ADMITTED, []


def window_applications(window: EntryWindow) -> list[Application]:
    """The window's submitted applications with everything the window page, publication and the evaluation
    report read of them, in a fixed number of queries."""
    return db.session.scalars(
        db.select(Application).where(Application.window_id == window.id, Application.status == SUBMITTED)
        .options(selectinload(Application.provider),
                 selectinload(Application.allocations).selectinload(Allocation.evaluator),
                 selectinload(Application.allocations).selectinload(Allocation.scores),
                 selectinload(Application.clarifications), selectinload(Application.outcomes),
                 selectinload(Application.lots).selectinload(ApplicationLot.lot),
                 selectinload(Application.lots).selectinload(ApplicationLot.prices),
                 selectinload(Application.outcomes).selectinload(LotOutcome.published_awards),
                 selectinload(Application.gates), selectinload(Application.referees),
                 selectinload(Application.moderated_scores))
        .order_by(Application.submitted_at)
    ).all()


def evaluation_state(application: Application) -> str:
    return _state(application.window.outcomes_published_at is not None, application.moderated_at is not None,
                  len(application.allocations), sum(1 for a in application.allocations if a.is_submitted))


def _state(published: bool, moderated: bool, allocated: int, submitted: int) -> str:
    if published and moderated:
        return "Published"
    if moderated:
        return "Moderated"
    if _all_scored(allocated, submitted):
        return "Ready to moderate"
    if allocated >= MINIMUM_EVALUATORS:
        return "Being scored"
    return "To allocate"


WINDOW_ROWS_PER_PAGE = 50
_URGENCY = {"overdue": 0, "due soon": 1, "on time": 2}


@dataclass(frozen=True)
class WindowRow:
    application: Application
    state: str
    clock: DecisionClock | None


@dataclass(frozen=True)
class WindowPage:
    """A page of the window's applications for the evaluation window page, and how many are in each state."""

    rows: Page  # of WindowRow
    states: dict[str, int]
    total: int  # submitted applications, whatever the state chosen


def window_page(window: EntryWindow, now: datetime, *, state: str | None = None, page: int | None = None,
                per_page: int | None = None) -> WindowPage:
    """The window's submitted applications, overdue first, then due soon, then the rest, decided ones last, a page
    at a time (only those in `state` if given). Every application is ordered from a few narrow columns and its
    clarifications' dates; only the page's applications are loaded whole. A fixed number of queries."""
    per_page = per_page or WINDOW_ROWS_PER_PAGE
    ordered = _ordered_states(window, now)
    states: dict[str, int] = {}
    for _, each in ordered:
        states[each] = states.get(each, 0) + 1
    chosen = [application_id for application_id, each in ordered if state in (None, each)]
    number = page_within(page, len(chosen), per_page)
    ids = chosen[(number - 1) * per_page:number * per_page]
    loaded = {application.id: application for application in db.session.scalars(
        db.select(Application).where(Application.id.in_(ids))
        .options(selectinload(Application.provider), selectinload(Application.lots),
                 selectinload(Application.allocations).selectinload(Allocation.evaluator),
                 selectinload(Application.clarifications)))}
    clocks = {}  # applications with the same start and the same questions share a clock: work each out once

    def clock_of(application):
        key = (application.moderated_at, clock_start(application),
               tuple((c.asked_at, c.answered_at) for c in application.clarifications))
        if key not in clocks:
            clocks[key] = decision_clock(application, now)
        return clocks[key]

    rows = [WindowRow(loaded[i], evaluation_state(loaded[i]), clock_of(loaded[i])) for i in ids]
    return WindowPage(Page(rows, page=number, per_page=per_page, total=len(chosen)), states, len(ordered))


def _ordered_states(window: EntryWindow, now: datetime) -> list[tuple[int, str]]:
    """Each submitted application's id and state, in the window page's order: two narrow queries."""
    submitted = db.func.count(Allocation.submitted_at)
    applications = db.session.execute(
        db.select(Application.id, Application.submitted_at, Application.moderated_at,
                  db.func.count(Allocation.id), submitted)
        .outerjoin(Allocation, Allocation.application_id == Application.id)
        .where(Application.window_id == window.id, Application.status == SUBMITTED)
        .group_by(Application.id).order_by(Application.submitted_at, Application.id)).all()
    pauses: dict[int, list] = {}
    for application_id, asked_at, answered_at in db.session.execute(
            db.select(Clarification.application_id, Clarification.asked_at, Clarification.answered_at)
            .join(Application).where(Application.window_id == window.id, Application.status == SUBMITTED)
            .order_by(Clarification.id)):
        pauses.setdefault(application_id, []).append((asked_at, answered_at))
    published, deadline = window.outcomes_published_at is not None, window.dps.decision_working_days
    urgencies = {}  # most applications share a start and have no pause: work each out once

    def urgency(application_id, submitted_at, moderated_at) -> tuple[int, int]:
        start = window.closes_at if window.closes_at is not None else submitted_at
        if moderated_at is not None or start is None or start > now:
            return 4, 0  # no clock: decided, or the window still open
        key = (start, tuple(pauses.get(application_id, ())))
        if key not in urgencies:
            elapsed = working_days_elapsed(start, now, list(key[1]))
            state = DecisionClock(elapsed, deadline, False, now.date()).state  # only its state is read
            urgencies[key] = (_URGENCY[state], -elapsed)
        return urgencies[key]

    keyed = [(urgency(application_id, submitted_at, moderated_at), application_id,
              _state(published, moderated_at is not None, allocated, done))
             for application_id, submitted_at, moderated_at, allocated, done in applications]
    keyed.sort(key=lambda item: item[0])  # stable: equal urgency keeps the order of submission
    return [(application_id, each) for _, application_id, each in keyed]


def referee_for(application: Application, referee_id: int) -> Referee:
    referee = next((r for r in application.referees if r.id == referee_id), None)
    if referee is None:
        raise NotFound()
    return referee
