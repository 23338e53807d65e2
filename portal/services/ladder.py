"""Performance issues, contract reviews, the escalation ladder and appeals: the rules.

- Performance issues: an officer (or a contract manager) of the lead or a member raises one against a provider's
  contract, optionally about one of their own authority's placements, with actions and due dates. A minor issue
  is open at once (copied to the contract manager, told to the provider); a significant one is first agreed by a
  head of service or budget holder of the raiser's authority (an approval). The provider or a contract manager
  records an action done. An overdue action is on the contract manager's Tasks, and is escalated once: the
  contract manager and the lead's heads of service are told (`escalate_overdue`, run by the scheduler).
- Contract reviews: a breach (non-statutory or statutory enforcement, other breach) is reviewed by a contract
  manager, who closes the review with no sanction or proposes one step of the ladder. An allegation or
  safeguarding concern whose placement ends opens a review by itself and restricts new placements with the
  provider (cause safeguarding) until the review is done (closed with no sanction, or its proposed sanction
  approved; a refused proposal leaves the review open).
- "The contract manager" who acts (reviews, proposals, suspension reviews, actions done) is the one the contract
  is allocated to, or a contract manager of the lead covering (contracts.manages); a member's other contract
  managers read the contract but do not act on it.
- The ladder: written notice to improve (actions, due dates) and suspension (a review date) are approved by the
  lead's head of service; termination by the lead's assistant director. A member's allocated contract manager
  may propose (the approval is asked at the lead). A notice that fails is escalated to suspension; a suspension, at its
  review, is lifted, extended or escalated to termination; the lower step is marked escalated when the higher
  one takes effect. Suspension restricts the whole provider on the DPS (cause sanction, source the sanction);
  termination is `standing.terminate`. Each step in force: a letter (PDF) and a notice to the provider, and the
  member authorities told.
- Appeals: the provider appeals a sanction in force within APPEAL_DAYS of it taking effect. A head of service or
  assistant director of the lead who took no part in it (proposed, approved, reviewed or ended any step of its
  case, or opened or closed its contract review) decides: upheld (the sanction overturned: restriction lifted or
  contract reinstated), partly upheld (reduced to a lower step) or dismissed, with the reason.

The provider sees its own case (every step, letter and appeal) and nothing of others'. Texts shown to providers
(descriptions, grounds, actions) must not identify a child: the forms say so.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import url_for
from sqlalchemy.orm import selectinload

from portal.errors import DomainError, FormInvalid, InvalidTransition, NotFound
from portal.extensions import db
from portal.models import (
    Appeal,
    Approval,
    ContractReview,
    Dps,
    LadderAction,
    PerformanceIssue,
    Placement,
    PlacementIncident,
    ProviderContract,
    Referral,
    Sanction,
    User,
    UserRole,
)
from portal.models import approval as approval_kinds
from portal.models.contract import SAFEGUARDING as SAFEGUARDING_CAUSE
from portal.models.contract import SANCTION as SANCTION_CAUSE
from portal.models.ladder import (
    APPEAL_OUTCOME_LABELS,
    BREACH_LABELS,
    DISMISSED,
    ENDED,
    ESCALATED,
    IN_FORCE,
    ISSUE_AWAITING,
    ISSUE_CLOSED,
    ISSUE_OPEN,
    ISSUE_REFUSED,
    LADDER,
    MINOR,
    NOTICE,
    OVERTURNED,
    PARTLY_UPHELD,
    PROPOSED,
    REDUCED,
    REFUSED,
    SAFEGUARDING,
    SANCTION_LABELS,
    SEVERITY_LABELS,
    SIGNIFICANT,
    SUSPENSION,
    TERMINATION,
    UPHELD,
    WITHDRAWN,
)
from portal.models.user import (
    ASSISTANT_DIRECTOR,
    COMMISSIONING_OFFICER,
    CONTRACT_MANAGER,
    HEAD_OF_SERVICE,
    PROVIDER_USER,
)
from portal.services import approvals, audit, contracts, counting, mail, standing, uploads
from portal.timezone import format_date, uk_today

APPEAL_DAYS = 28  # the provider may appeal a sanction within 28 days of it taking effect
MAX_TEXT = 4000
MAX_ACTIONS = 10
KIND_FOR = {NOTICE: approval_kinds.NOTICE_TO_IMPROVE, SUSPENSION: approval_kinds.SUSPENSION,
            TERMINATION: approval_kinds.TERMINATION}
APPEAL_DECIDERS = (HEAD_OF_SERVICE, ASSISTANT_DIRECTOR)
SAFEGUARDING_CATEGORIES = ("allegation", "safeguarding")
NEVER_ISSUED = (PROPOSED, REFUSED, WITHDRAWN)  # steps the provider never sees


# Checks ------------------------------------------------------------------------------------------------------

def _text(value, field: str, what: str) -> str:
    value = (value or "").strip()
    if not value:
        raise DomainError(f"Enter {what}", field=field)
    if len(value) > MAX_TEXT:
        raise DomainError(f"{what[0].upper()}{what[1:]} must be {MAX_TEXT} characters or fewer", field=field)
    return value


def _actions(rows, today: date, *, required: bool) -> list[tuple[str, date]]:
    """(description, due_on) pairs from the form's rows; blank rows skipped. Every problem at once."""
    errors, found = {}, []
    for number, (description, due_on) in enumerate(rows or [], start=1):
        description = (description or "").strip()
        if not description and due_on is None:
            continue
        if not description:
            errors[f"action_{number}"] = f"Enter what action {number} is"
        elif len(description) > MAX_TEXT:
            errors[f"action_{number}"] = f"Action {number} must be {MAX_TEXT} characters or fewer"
        if due_on is None:
            errors[f"due_{number}"] = f"Enter the date action {number} is due"
        elif due_on <= today:
            errors[f"due_{number}"] = f"Action {number} must be due after today"
        found.append((description, due_on))
    if errors:
        raise FormInvalid(errors)
    if required and not found:
        raise DomainError("Add at least one action with its due date", field="action_1")
    if len(found) > MAX_ACTIONS:
        raise DomainError(f"Give no more than {MAX_ACTIONS} actions", field="action_1")
    return found


def _reader(user: User, contract: ProviderContract, *roles) -> None:
    if not user.has_role(*roles) or not contracts.may_read(user, contract.dps):
        raise NotFound()


def is_manager(user: User, contract: ProviderContract) -> bool:
    """The contract's allocated contract manager, or a contract manager of the lead (cover): contracts.manages."""
    return contracts.manages(user, contract)


RAISERS = (COMMISSIONING_OFFICER, CONTRACT_MANAGER)  # who raises performance issues (deciders agree them)


def may_raise(user: User, contract: ProviderContract) -> bool:
    """An officer or a contract manager of the lead or a member raises performance issues; a head of service,
    assistant director or budget holder reads the contract and agrees significant issues but raises none."""
    return user.has_role(*RAISERS) and contracts.may_read(user, contract.dps)


def _manager(user: User, contract: ProviderContract) -> None:
    _reader(user, contract, CONTRACT_MANAGER)
    if not contracts.manages(user, contract):
        raise DomainError("Only the provider's contract manager, or a contract manager of the lead authority, can "
                          "do this.")


def _provider_of(user: User, contract: ProviderContract) -> None:
    if not user.organisation.is_provider or user.organisation_id != contract.provider_id:
        raise NotFound()


def _provider_people(provider_id: int) -> list[User]:
    return list(db.session.scalars(db.select(User).where(
        User.organisation_id == provider_id, User.active,
        User.id.in_(db.select(UserRole.user_id).where(UserRole.role == PROVIDER_USER))).order_by(User.id)))


def _lead_people(contract: ProviderContract, roles) -> list[User]:
    return list(db.session.scalars(db.select(User).where(
        User.organisation_id == contract.dps.lead_authority_id, User.active,
        User.id.in_(db.select(UserRole.user_id).where(UserRole.role.in_(roles)))).order_by(User.name, User.id)))


def _tell_provider(contract: ProviderContract, subject: str, body: str, now: datetime, link: str | None) -> None:
    mail.notify_many([(person, subject, body, link) for person in _provider_people(contract.provider_id)], at=now)


def _tell_manager(contract: ProviderContract, subject: str, body: str, now: datetime, link: str | None,
                  but: User | None = None) -> None:
    manager = contract.contract_manager
    if manager is not None and manager.active and (but is None or manager.id != but.id):
        mail.notify(manager, subject=subject, body=body, at=now, link=link)


def _commit() -> None:
    from sqlalchemy.orm.exc import StaleDataError

    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise DomainError("Someone changed this at the same moment. Check the page and try again.") from None


def _today(now: datetime) -> date:
    return uk_today(now)


# Links ------------------------------------------------------------------------------------------------------

def sanction_link(sanction: Sanction) -> str:
    return url_for("buyer.contracts_sanction", sanction_id=sanction.id)


def issue_link(issue: PerformanceIssue) -> str:
    return url_for("buyer.contracts_issue", issue_id=issue.id)


def provider_sanction_link(sanction: Sanction) -> str:
    return url_for("supplier.contract_sanction", sanction_id=sanction.id)


def provider_issue_link(issue: PerformanceIssue) -> str:
    return url_for("supplier.contract_issue", issue_id=issue.id)


def requester_link(approval: Approval) -> str:
    """Where the requester of a ladder decision is sent with the answer (they may be at a member authority)."""
    if approval.subject_type == Sanction.__tablename__:
        return url_for("buyer.contracts_sanction", sanction_id=approval.subject_id)
    return url_for("buyer.contracts_issue", issue_id=approval.subject_id)


# What a decision decides, for the approval page -----------------------------------------------------------------

EFFECTS = {
    NOTICE: "A letter to the provider with the actions and their due dates. Its standing does not change; a notice "
            "that is not met may be escalated to suspension.",
    SUSPENSION: "The provider is suspended on the DPS: no invitations and no awards until the suspension is lifted; "
                "bids already sent are set aside at the deadline; live placements continue. Every member authority "
                "is told.",
    TERMINATION: "The contract ends: the provider leaves every lot of the DPS, the tiers are recomputed and every "
                 "live placement gets a review. Only an upheld appeal reverses it. Every member authority is told.",
}


def decision_rows(subject) -> list[tuple[str, str]]:
    """What approving a ladder request decides, in words, for the person answering it (a sanction or a significant
    performance issue): what it is, on what grounds, the dates and the actions."""
    rows = []
    if isinstance(subject, Sanction):
        contract = subject.contract
        rows.append(("Provider", f"{contract.provider.name} on {contract.dps.reference} ({contract.dps.name})"))
        rows.append(("Sanction", subject.kind_label))
        if subject.previous is not None:
            rows.append(("Escalates", f"The {subject.previous.kind_label.lower()} "
                                      f"{subject.previous.status_label.lower()} since "
                                      f"{format_date(subject.previous.in_force_at)}"))
        if subject.review is not None:
            rows.append(("Contract review", f"{subject.review.breach_label}: {subject.review.details}"))
        rows.append(("Grounds", subject.grounds))
        if subject.kind == SUSPENSION:
            rows.append(("Suspension review date", format_date(subject.review_on)))
        rows.append(("What it does", EFFECTS[subject.kind]))
    elif isinstance(subject, PerformanceIssue):
        contract = subject.contract
        rows.append(("Provider", f"{contract.provider.name} on {contract.dps.reference} ({contract.dps.name})"))
        rows.append(("Performance issue", f"{subject.severity_label}: {subject.description}"))
        if subject.placement is not None:
            rows.append(("Placement", subject.placement.agreement_reference))
    else:
        return rows
    rows += [(f"Action {number}, due {format_date(action.due_on)}", action.description)
             for number, action in enumerate(subject.actions, start=1)]
    return rows


# Performance issues -----------------------------------------------------------------------------------------

def raise_issue(user: User, contract: ProviderContract, *, severity: str, description: str, actions,
                placement_id: int | None, now: datetime) -> PerformanceIssue:
    """Raise a performance issue (commits). A significant one asks its approval at the raiser's authority."""
    _reader(user, contract, *RAISERS)
    errors = {}
    if severity not in SEVERITY_LABELS:
        errors["severity"] = "Choose whether the issue is minor or significant"
    try:
        description = _text(description, "description", "a description of the issue")
    except DomainError as error:
        errors["description"] = error.message
    placement = None
    if placement_id:
        placement = db.session.scalar(db.select(Placement).join(Referral, Referral.id == Placement.referral_id).where(
            Placement.id == placement_id, Placement.provider_id == contract.provider_id,
            Placement.authority_id == user.organisation_id, Referral.dps_id == contract.dps_id))
        if placement is None:
            errors["placement_id"] = "Choose one of your authority's placements with this provider, or none"
    try:
        rows = _actions(actions, _today(now), required=True)
    except FormInvalid as error:
        errors.update(error.errors)
        rows = []
    except DomainError as error:
        errors[error.field] = error.message
        rows = []
    if errors:
        raise FormInvalid(errors)
    same = db.session.scalar(db.select(PerformanceIssue).where(
        PerformanceIssue.contract_id == contract.id, PerformanceIssue.raised_by_id == user.id,
        PerformanceIssue.description == description, PerformanceIssue.status != ISSUE_CLOSED).limit(1))
    if same is not None:
        same.already_raised = True
        return same  # sent twice: raised once
    issue = PerformanceIssue(contract_id=contract.id, authority_id=user.organisation_id,
                             placement_id=placement.id if placement else None, severity=severity,
                             description=description, status=ISSUE_OPEN if severity == MINOR else ISSUE_AWAITING,
                             raised_by_id=user.id, raised_at=now)
    if severity == SIGNIFICANT:
        issue.contract = contract
        refusal = approvals.nobody_to_answer(user, issue, kind=approval_kinds.SIGNIFICANT_ISSUE, weekly_cost=None)
        if refusal:
            raise DomainError(refusal, field="severity")
    db.session.add(issue)
    issue.actions = [LadderAction(description=text, due_on=due_on) for text, due_on in rows]
    db.session.flush()
    audit.record(at=now, actor=user, action="performance_issue.raised", entity=issue,
                 summary=f"{SEVERITY_LABELS[severity]} performance issue raised with {contract.provider.name} on "
                         f"{contract.dps.reference}",
                 after={"severity": severity, "status": issue.status, "placement_id": issue.placement_id,
                        "actions": len(rows)})
    if severity == MINOR:
        _issue_opened(issue, now, by=user)
        _commit()
    else:
        approvals.request(user, issue, kind=approval_kinds.SIGNIFICANT_ISSUE, weekly_cost=None,
                          summary=f"Agree a significant performance issue with {contract.provider.name} on "
                                  f"{contract.dps.reference}: {description}", now=now)
    return issue


def _issue_opened(issue: PerformanceIssue, now: datetime, by: User | None) -> None:
    contract = issue.contract
    _tell_manager(contract, f"Performance issue raised with {contract.provider.name}",
                  f"A {issue.severity_label.lower()} performance issue was raised with {contract.provider.name} on "
                  f"{contract.dps.reference}: {issue.description}", now, issue_link(issue), but=by)
    _tell_provider(contract, f"Performance issue raised on {contract.dps.reference}",
                   f"{issue.authority.name} raised a {issue.severity_label.lower()} performance issue with you on "
                   f"{contract.dps.name}, with actions and due dates. Record each action done in the portal.",
                   now, provider_issue_link(issue))


def issue_answered(user: User, approval: Approval, now: datetime) -> None:
    """Called by approvals.answer: an agreed significant issue opens; a refused one is not raised."""
    issue = db.session.get(PerformanceIssue, approval.subject_id)
    if issue is None:
        return
    try:
        issue.move(ISSUE_OPEN if approval.is_approved else ISSUE_REFUSED, now)
    except InvalidTransition as error:
        raise DomainError(error.message, field="decision") from None
    audit.record(at=now, actor=user, action="performance_issue.agreed" if approval.is_approved
                 else "performance_issue.not_agreed", entity=issue,
                 summary=f"Significant performance issue with {issue.contract.provider.name} "
                         f"{'agreed' if approval.is_approved else 'not agreed'}",
                 before={"status": ISSUE_AWAITING}, after={"status": issue.status})
    if approval.is_approved:
        _issue_opened(issue, now, by=None)


def issue_for(user: User, issue_id: int) -> PerformanceIssue:
    """An issue for a reader of its contract at an authority, or its own provider; NotFound otherwise."""
    issue = db.session.get(PerformanceIssue, issue_id)
    if issue is None:
        raise NotFound()
    if user.organisation.is_provider:
        _provider_of(user, issue.contract)
        if issue.status not in (ISSUE_OPEN, ISSUE_CLOSED):
            raise NotFound()  # an issue not (yet) agreed was never raised with the provider
    elif not contracts.may_read(user, issue.contract.dps):
        raise NotFound()
    return issue


def close_issue(user: User, issue: PerformanceIssue, now: datetime) -> None:
    if not (is_manager(user, issue.contract) or user.id == issue.raised_by_id):
        raise DomainError("Only the contract manager or the officer who raised the issue can close it.")
    try:
        issue.move(ISSUE_CLOSED, now)
    except InvalidTransition as error:
        raise DomainError(error.message) from None
    audit.record(at=now, actor=user, action="performance_issue.closed", entity=issue,
                 summary=f"Performance issue with {issue.contract.provider.name} closed",
                 before={"status": ISSUE_OPEN}, after={"status": ISSUE_CLOSED})
    _commit()


def action_done(user: User, action: LadderAction, *, note: str, now: datetime) -> None:
    """The provider, or a contract manager, records an action done (commits). Twice: refused, nothing changes."""
    owner = action.issue or action.sanction
    contract = owner.contract
    if user.organisation.is_provider:
        _provider_of(user, contract)
    elif not is_manager(user, contract):
        raise NotFound()
    live = owner.status == ISSUE_OPEN if action.issue is not None else owner.status == IN_FORCE
    if not live:
        raise DomainError("This action's issue or notice is no longer open.")
    note = (note or "").strip()
    if len(note) > MAX_TEXT:
        raise DomainError(f"The note must be {MAX_TEXT} characters or fewer", field="note")
    try:
        action.mark_done(user, note, now)
    except InvalidTransition as error:
        raise DomainError(error.message) from None
    audit.record(at=now, actor=user, action="ladder_action.done", entity=action,
                 summary=f"Action for {contract.provider.name} on {contract.dps.reference} recorded done",
                 after={"due_on": action.due_on, "late": action.due_on < _today(now)})
    if user.organisation.is_provider:
        link = issue_link(owner) if action.issue is not None else sanction_link(owner)
        _tell_manager(contract, f"{contract.provider.name} recorded an action done",
                      f"{contract.provider.name} recorded an action done: {action.description}", now, link)
    _commit()


# Contract reviews -------------------------------------------------------------------------------------------

def open_review(user: User, contract: ProviderContract, *, breach: str, details: str,
                now: datetime) -> ContractReview:
    _manager(user, contract)
    errors = {}
    if breach not in BREACH_LABELS or breach == SAFEGUARDING:
        errors["breach"] = "Choose the kind of breach"
    try:
        details = _text(details, "details", "what the breach is")
    except DomainError as error:
        errors["details"] = error.message
    if errors:
        raise FormInvalid(errors)
    review = ContractReview(contract_id=contract.id, breach=breach, details=details, opened_at=now,
                            opened_by_id=user.id)
    db.session.add(review)
    db.session.flush()
    audit.record(at=now, actor=user, action="contract_review.opened", entity=review,
                 summary=f"Contract review of {contract.provider.name} on {contract.dps.reference} opened: "
                         f"{BREACH_LABELS[breach].lower()}", after={"breach": breach})
    _commit()
    return review


def safeguarding_review(incident: PlacementIncident, now: datetime) -> ContractReview | None:
    """An allegation or safeguarding concern whose placement ended: a contract review opens by itself and new
    placements with the provider are restricted (cause safeguarding) until it is done. Once per incident; the
    caller commits. Nothing of the incident's summary is copied: it may name the child."""
    placement = incident.placement
    if incident.category not in SAFEGUARDING_CATEGORIES or placement.provider_id is None \
            or placement.referral_id is None or not (incident.ended_placement or placement.end_date is not None):
        return None
    existing = db.session.scalar(db.select(ContractReview.id).where(
        ContractReview.source_type == PlacementIncident.__tablename__, ContractReview.source_id == incident.id))
    if existing is not None:
        return None
    dps_id = db.session.scalar(db.select(Referral.dps_id).where(Referral.id == placement.referral_id))
    contract = standing.contract_for(dps_id, placement.provider_id, now=now)
    details = (f"{incident.category_label} recorded on {format_date(incident.occurred_on)} by "
               f"{placement.authority.name}; the placement ended.")
    review = ContractReview(contract_id=contract.id, breach=SAFEGUARDING, details=details, opened_at=now,
                            source_type=PlacementIncident.__tablename__, source_id=incident.id)
    db.session.add(review)
    db.session.flush()
    audit.record(at=now, actor=None, action="contract_review.opened", entity=review,
                 summary=f"Safeguarding contract review of {contract.provider.name} on {contract.dps.reference} "
                         f"opened", after={"breach": SAFEGUARDING, "incident_id": incident.id})
    standing.restrict(dps_id=contract.dps_id, provider_id=contract.provider_id, cause=SAFEGUARDING_CAUSE,
                      reason="A safeguarding concern ended a placement: new placements are paused until the "
                             "contract review is done.", actor=None, now=now, source=review)
    _tell_manager(contract, f"Safeguarding contract review: {contract.provider.name}",
                  f"{details} New placements with {contract.provider.name} on {contract.dps.reference} are "
                  f"restricted until you complete the contract review.", now,
                  url_for("buyer.contracts_review", review_id=review.id))
    return review


def review_for(user: User, review_id: int) -> ContractReview:
    review = db.session.get(ContractReview, review_id)
    if review is None or user.organisation.is_provider or not contracts.may_read(user, review.contract.dps):
        raise NotFound()
    return review


def _finish_review(user: User | None, review: ContractReview | None, outcome: str, now: datetime) -> None:
    if review is None or not review.is_open:
        return
    review.close(user, outcome, now)
    audit.record(at=now, actor=user, action="contract_review.done", entity=review,
                 summary=f"Contract review of {review.contract.provider.name} done", after={"outcome": outcome})
    standing.lift_for_source(review, reason=f"Contract review done: {outcome}", actor=user, now=now)


def close_review(user: User, review: ContractReview, *, outcome: str, now: datetime) -> None:
    """The contract manager completes a review with no sanction (commits)."""
    _manager(user, review.contract)
    outcome = _text(outcome, "outcome", "the outcome of the review")
    if not review.is_open:
        raise DomainError("This contract review is already done.")
    if _pending_sanction(review.contract, now) is not None:
        raise DomainError("A sanction proposed for this contract is waiting for approval.")
    _finish_review(user, review, f"No sanction: {outcome}", now)
    _commit()


# The ladder -------------------------------------------------------------------------------------------------

def _pending_sanction(contract: ProviderContract, now: datetime) -> Sanction | None:
    """The contract's proposal waiting for approval. A proposal whose request the proposer withdrew (approvals has
    no hook for it) is marked withdrawn here, so it blocks nothing."""
    for sanction in db.session.scalars(db.select(Sanction).where(Sanction.contract_id == contract.id,
                                                                 Sanction.status == PROPOSED)):
        approval = approvals.latest(sanction, KIND_FOR[sanction.kind])
        if approval is not None and approval.is_pending:
            return sanction
        if approval is None:
            sanction.withdraw()
            audit.record(at=now, actor=None, action="sanction.withdrawn", entity=sanction,
                         summary=f"{sanction.kind_label} proposal withdrawn by its proposer",
                         before={"status": PROPOSED}, after={"status": sanction.status})
    return None


def propose(user: User, contract: ProviderContract, *, kind: str, grounds: str, review_on: date | None,
            actions, now: datetime, review: ContractReview | None = None,
            previous: Sanction | None = None) -> Sanction:
    """Propose a step of the ladder from a contract review, or escalate `previous` (commits). Approval is asked at
    the lead: notice and suspension of its head of service, termination of its assistant director."""
    _manager(user, contract)
    today = _today(now)
    errors = {}
    if kind not in LADDER:
        errors["kind"] = "Choose the sanction to propose"
    elif previous is not None and not previous.may_follow(kind):
        errors["kind"] = (f"A {previous.kind_label.lower()} that is {previous.status_label.lower()} can only be "
                          f"escalated to the next step up")
    if review is None and previous is None:
        errors["kind"] = "A sanction follows a contract review or escalates a sanction in force"
    if review is not None and not review.is_open:
        errors["kind"] = "This contract review is already done"
    try:
        grounds = _text(grounds, "grounds", "the grounds for the sanction")
    except DomainError as error:
        errors["grounds"] = error.message
    if kind == SUSPENSION and (review_on is None or review_on <= today):
        errors["review_on"] = "Enter the suspension's review date, after today"
    rows = []
    if kind == NOTICE:
        try:
            rows = _actions(actions, today, required=True)
        except FormInvalid as error:
            errors.update(error.errors)
        except DomainError as error:
            errors[error.field] = error.message
    if errors:
        raise FormInvalid(errors)
    if contract.is_terminated:
        raise DomainError("This contract is terminated.", field="kind")
    if _pending_sanction(contract, now) is not None:
        raise DomainError("A sanction proposed for this contract is already waiting for approval.", field="kind")
    sanction = Sanction(contract=contract, review_id=review.id if review else None,
                        previous_id=previous.id if previous else None, kind=kind, grounds=grounds,
                        review_on=review_on if kind == SUSPENSION else None, status=PROPOSED,
                        proposed_by_id=user.id, proposed_at=now)
    refusal = approvals.nobody_to_answer(user, sanction, kind=KIND_FOR[kind], weekly_cost=None)
    if refusal:
        raise DomainError(refusal, field="kind")
    db.session.add(sanction)
    sanction.actions = [LadderAction(description=text, due_on=due_on) for text, due_on in rows]
    db.session.flush()
    audit.record(at=now, actor=user, action="sanction.proposed", entity=sanction,
                 summary=f"{SANCTION_LABELS[kind]} proposed for {contract.provider.name} on {contract.dps.reference}",
                 after={"kind": kind, "review_id": sanction.review_id, "previous_id": sanction.previous_id,
                        "review_on": sanction.review_on, "actions": len(rows)})
    approvals.request(user, sanction, kind=KIND_FOR[kind], weekly_cost=None,
                      summary=f"{SANCTION_LABELS[kind]} for {contract.provider.name} on {contract.dps.reference}"
                              + (f" (escalating the {previous.kind_label.lower()})" if previous else "")
                              + f": {grounds}", now=now)
    return sanction


def sanction_answered(user: User, approval: Approval, now: datetime) -> None:
    """Called by approvals.answer before it commits: an approved step takes effect and the contract review it came
    from is done; a refused one does not, and its review stays open (the contract manager proposes another step
    or completes it with no sanction: a safeguarding restriction is not lifted by a refusal)."""
    sanction = db.session.get(Sanction, approval.subject_id)
    if sanction is None:
        return
    contract = sanction.contract
    try:
        if approval.is_approved:
            sanction.take_effect(now, _today(now) + timedelta(days=APPEAL_DAYS))
        else:
            sanction.refuse()
    except InvalidTransition as error:
        raise DomainError(error.message, field="decision") from None
    word = "in force" if approval.is_approved else "not approved"
    audit.record(at=now, actor=user, action="sanction.in_force" if approval.is_approved else "sanction.refused",
                 entity=sanction, summary=f"{sanction.kind_label} for {contract.provider.name} on "
                                          f"{contract.dps.reference} {word}",
                 before={"status": PROPOSED}, after={"status": sanction.status, "appeal_by": sanction.appeal_by})
    if not approval.is_approved:
        return
    _finish_review(user, sanction.review, f"{sanction.kind_label} {word}", now)
    previous = sanction.previous
    if previous is not None and previous.in_force:
        previous.end(user, f"Escalated to {sanction.kind_label.lower()}", now, to=ESCALATED)
        audit.record(at=now, actor=user, action="sanction.escalated", entity=previous,
                     summary=f"{previous.kind_label} for {contract.provider.name} escalated to "
                             f"{sanction.kind_label.lower()}", before={"status": IN_FORCE},
                     after={"status": ESCALATED, "next_id": sanction.id})
    _apply(user, sanction, now)
    if previous is not None and previous.kind == SUSPENSION:
        standing.lift_for_source(previous, reason=f"Replaced by the {sanction.kind_label.lower()}", actor=user,
                                 now=now)
    _tell_of_step(sanction, now)


def _apply(user: User | None, sanction: Sanction, now: datetime) -> None:
    """What a step in force does to standing."""
    contract = sanction.contract
    if sanction.kind == SUSPENSION:
        standing.restrict(dps_id=contract.dps_id, provider_id=contract.provider_id, cause=SANCTION_CAUSE,
                          reason=f"Suspended for breach of contract until its review on "
                                 f"{format_date(sanction.review_on)}: {sanction.grounds}",
                          actor=user, now=now, source=sanction)
    elif sanction.kind == TERMINATION:
        standing.terminate(contract, reason=f"Terminated for breach of contract: {sanction.grounds}", actor=user,
                           now=now)


def _tell_of_step(sanction: Sanction, now: datetime) -> None:
    contract = sanction.contract
    _tell_provider(contract, f"{sanction.kind_label} on {contract.dps.reference}",
                   f"{contract.dps.lead_authority.name} has issued {contract.provider.name} a "
                   f"{sanction.kind_label.lower()} on {contract.dps.name}. Read the letter in the portal. You may "
                   f"appeal by {format_date(sanction.appeal_by)}.", now, provider_sanction_link(sanction))
    if sanction.kind == NOTICE:  # suspension and termination change standing: standing tells the members
        standing.notify_members(contract.dps, contract.provider, now=now, link=sanction_link(sanction),
                                subject=f"{contract.provider.name}: written notice to improve on "
                                        f"{contract.dps.reference}",
                                body=f"{contract.provider.name} has been given a written notice to improve on "
                                     f"{contract.dps.name}: {sanction.grounds}")


def sanction_for(user: User, sanction_id: int) -> Sanction:
    """A sanction for a reader of its contract at an authority, or its own provider once in force or after."""
    sanction = db.session.get(Sanction, sanction_id)
    if sanction is None:
        raise NotFound()
    if user.organisation.is_provider:
        _provider_of(user, sanction.contract)
        if sanction.status in NEVER_ISSUED:
            raise NotFound()  # never issued to the provider
    elif not contracts.may_read(user, sanction.contract.dps):
        raise NotFound()
    return sanction


def end_notice(user: User, sanction: Sanction, *, reason: str, now: datetime) -> None:
    """A notice to improve met: it ends (commits)."""
    _manager(user, sanction.contract)
    reason = _text(reason, "reason", "why the notice is met")
    if sanction.kind != NOTICE:
        raise DomainError("Only a notice to improve is met this way.")
    _end(user, sanction, reason, now, ENDED)
    _commit()


def review_suspension(user: User, sanction: Sanction, *, decision: str, reason: str, review_on: date | None,
                      now: datetime) -> None:
    """At its review a suspension is lifted or extended to a later review date (commits); escalating it to
    termination is a proposal (`propose` with `previous`)."""
    _manager(user, sanction.contract)
    reason = _text(reason, "reason", "the reason")
    if sanction.kind != SUSPENSION or not sanction.in_force:
        raise DomainError("Only a suspension in force is reviewed.")
    today = _today(now)
    if today < sanction.review_on:
        raise DomainError(f"The suspension's review is on {format_date(sanction.review_on)}.", field="decision")
    if decision == "lift":
        _end(user, sanction, reason, now, ENDED)
    elif decision == "extend":
        if review_on is None or review_on <= today:
            raise DomainError("Enter the new review date, after today", field="review_on")
        before = sanction.review_on
        try:
            sanction.extend(review_on)
        except InvalidTransition as error:
            raise DomainError(error.message, field="review_on") from None
        audit.record(at=now, actor=user, action="sanction.extended", entity=sanction,
                     summary=f"Suspension of {sanction.contract.provider.name} extended to "
                             f"{format_date(review_on)}", before={"review_on": before}, after={"review_on": review_on})
        _tell_provider(sanction.contract, f"Suspension extended on {sanction.contract.dps.reference}",
                       f"Your suspension is extended: its next review is on {format_date(review_on)}. "
                       f"Reason: {reason}", now, provider_sanction_link(sanction))
    else:
        raise DomainError("Choose whether to lift or extend the suspension", field="decision")
    _commit()


def _end(user: User | None, sanction: Sanction, reason: str, now: datetime, to: str) -> None:
    try:
        sanction.end(user, reason, now, to=to)
    except InvalidTransition as error:
        raise DomainError(error.message) from None
    audit.record(at=now, actor=user, action=f"sanction.{to}", entity=sanction,
                 summary=f"{sanction.kind_label} for {sanction.contract.provider.name} "
                         f"{sanction.status_label.lower()}", before={"status": IN_FORCE}, after={"status": to})
    if sanction.kind == SUSPENSION:
        standing.lift_for_source(sanction, reason=f"Suspension {sanction.status_label.lower()}: {reason}",
                                 actor=user, now=now)
    elif sanction.kind == TERMINATION and sanction.contract.is_terminated:
        standing.reinstate(sanction.contract, reason=f"Termination {sanction.status_label.lower()}: {reason}",
                           actor=user, now=now)
    _tell_provider(sanction.contract, f"{sanction.kind_label} {sanction.status_label.lower()}",
                   f"Your {sanction.kind_label.lower()} on {sanction.contract.dps.name} is "
                   f"{sanction.status_label.lower()}. Reason: {reason}", now, provider_sanction_link(sanction))


# Appeals ----------------------------------------------------------------------------------------------------

def may_appeal(sanction: Sanction, now: datetime) -> bool:
    return (sanction.in_force and sanction.appeal is None and sanction.appeal_by is not None
            and _today(now) <= sanction.appeal_by)


def appeal(user: User, sanction: Sanction, *, grounds: str, now: datetime, filename: str = "",
           data: bytes = b"") -> Appeal:
    """The provider appeals a sanction in force, within its appeal period (commits), with an optional supporting
    document (checked and stored as evidence is). Once per sanction."""
    _provider_of(user, sanction.contract)
    grounds = _text(grounds, "grounds", "the grounds of your appeal")
    if sanction.appeal is not None:
        raise DomainError("You have already appealed against this sanction.")
    if not sanction.in_force:
        raise DomainError(f"This {sanction.kind_label.lower()} is {sanction.status_label.lower()}: there is "
                          f"nothing to appeal.")
    if _today(now) > sanction.appeal_by:
        raise DomainError(f"The time to appeal ended on {format_date(sanction.appeal_by)}.")
    document = {}
    if filename or data:
        document = {"document_type": uploads.check(data, filename), "document_name": uploads.display_name(filename),
                    "document_size": len(data), "document_sha256": uploads.sha256(data)}
        document["document_stored_name"] = uploads.store(data)
    lodged = Appeal(sanction=sanction, grounds=grounds, submitted_by_id=user.id, submitted_at=now, **document)
    db.session.add(lodged)
    db.session.flush()
    audit.record(at=now, actor=user, action="appeal.lodged", entity=lodged,
                 summary=f"{sanction.contract.provider.name} appealed against its {sanction.kind_label.lower()}",
                 after={"sanction_id": sanction.id, "document": lodged.document_name,
                        "sha256": lodged.document_sha256})
    contract = sanction.contract
    link = sanction_link(sanction)
    deciders = [person for person in _lead_people(contract, APPEAL_DECIDERS)
                if person.id not in involved_ids(sanction)]
    mail.notify_many([(person, f"Appeal to decide: {contract.provider.name}",
                       f"{contract.provider.name} appealed against its {sanction.kind_label.lower()} on "
                       f"{contract.dps.reference}. You took no part in it: you may decide the appeal.", link)
                      for person in deciders], at=now)
    _tell_manager(contract, f"Appeal lodged: {contract.provider.name}",
                  f"{contract.provider.name} appealed against its {sanction.kind_label.lower()}.", now, link)
    _commit()
    return lodged


def _case(sanction: Sanction) -> list[Sanction]:
    """The sanction and every step before it (escalated or reduced from)."""
    chain, seen = [], set()
    while sanction is not None and sanction.id not in seen:
        chain.append(sanction)
        seen.add(sanction.id)
        sanction = sanction.previous
    return chain


def involved_ids(sanction: Sanction) -> set[int]:
    """The people who took part in the sanction's case: proposed, approved or refused, reviewed or ended a step,
    opened or closed its contract review, or proposed or answered another step proposed from that review."""
    return _involved_by_sanction([sanction])[sanction.id]


def _involved_by_sanction(sanctions: list[Sanction]) -> dict[int, set[int]]:
    """involved_ids for many sanctions at once: three queries however many (every step of their contracts, their
    reviews and the approvals answered about them, walked in memory)."""
    if not sanctions:
        return {}
    steps = {step.id: step for step in db.session.scalars(db.select(Sanction).where(
        Sanction.contract_id.in_({sanction.contract_id for sanction in sanctions})))}
    reviews = {review.id: review for review in db.session.scalars(db.select(ContractReview).where(
        ContractReview.id.in_({step.review_id for step in steps.values() if step.review_id})))}
    answered: dict[int, set[int]] = {}
    for subject_id, answered_by_id in db.session.execute(db.select(Approval.subject_id, Approval.answered_by_id).where(
            Approval.subject_type == Sanction.__tablename__, Approval.subject_id.in_(steps),
            Approval.answered_by_id.is_not(None))):
        answered.setdefault(subject_id, set()).add(answered_by_id)
    found = {}
    for sanction in sanctions:
        people, step, seen = set(), steps.get(sanction.id), set()
        while step is not None and step.id not in seen:
            seen.add(step.id)
            people |= {step.proposed_by_id, step.ended_by_id} | answered.get(step.id, set())
            review = reviews.get(step.review_id)
            if review is not None:
                people |= {review.opened_by_id, review.closed_by_id}
                # whoever proposed or answered another step from the same contract review (one refused) took part
                for other in steps.values():
                    if other.review_id == review.id:
                        people |= {other.proposed_by_id} | answered.get(other.id, set())
            step = steps.get(step.previous_id)
        people.discard(None)
        found[sanction.id] = people
    return found


def may_decide_appeal(user: User, appeal_record: Appeal) -> bool:
    contract = appeal_record.sanction.contract
    return (not appeal_record.is_decided and user.organisation_id == contract.dps.lead_authority_id
            and user.has_role(*APPEAL_DECIDERS) and user.id not in involved_ids(appeal_record.sanction))


def decide_appeal(user: User, appeal_record: Appeal, *, outcome: str, reason: str, now: datetime,
                  reduced_to: str | None = None, review_on: date | None = None, actions=None) -> None:
    """Decide an appeal (commits): upheld overturns the sanction; partly upheld reduces it to a lower step (a
    suspension needs its review date, a notice its actions); dismissed leaves it in force."""
    sanction = appeal_record.sanction
    contract = sanction.contract
    if user.organisation_id != contract.dps.lead_authority_id or not user.has_role(*APPEAL_DECIDERS):
        raise NotFound()
    if appeal_record.is_decided:
        raise DomainError("This appeal has already been decided.", field="outcome")
    if user.id in involved_ids(sanction):
        raise DomainError("You took part in this sanction: a head of service or assistant director who did not "
                          "must decide the appeal.", field="outcome")
    errors = {}
    if outcome not in APPEAL_OUTCOME_LABELS:
        errors["outcome"] = "Choose the outcome of the appeal"
    try:
        reason = _text(reason, "reason", "the reason for the decision")
    except DomainError as error:
        errors["reason"] = error.message
    rows = []
    today = _today(now)
    if outcome == PARTLY_UPHELD:
        if reduced_to not in LADDER or LADDER.index(reduced_to) >= sanction.step:
            errors["reduced_to"] = f"Choose a lower step than the {sanction.kind_label.lower()}"
        elif reduced_to == SUSPENSION and (review_on is None or review_on <= today):
            errors["review_on"] = "Enter the suspension's review date, after today"
        elif reduced_to == NOTICE:
            try:
                rows = _actions(actions, today, required=True)
            except FormInvalid as error:
                errors.update(error.errors)
            except DomainError as error:
                errors[error.field] = error.message
    if errors:
        raise FormInvalid(errors)
    if not sanction.in_force and outcome != DISMISSED:
        raise DomainError(f"The {sanction.kind_label.lower()} is {sanction.status_label.lower()}: there is nothing "
                          f"left to overturn or reduce.", field="outcome")
    appeal_record.decide(user, outcome, reason, now, reduced_to)
    audit.record(at=now, actor=user, action="appeal.decided", entity=appeal_record,
                 summary=f"Appeal of {contract.provider.name} against its {sanction.kind_label.lower()} "
                         f"{APPEAL_OUTCOME_LABELS[outcome].lower()}",
                 after={"outcome": outcome, "reduced_to": appeal_record.reduced_to})
    if outcome == UPHELD:
        _end(user, sanction, f"Appeal upheld: {reason}", now, OVERTURNED)
    elif outcome == PARTLY_UPHELD:
        _end(user, sanction, f"Appeal partly upheld: {reason}", now, REDUCED)
        lower = Sanction(contract=contract, previous_id=sanction.id, kind=reduced_to, status=IN_FORCE,
                         grounds=f"{sanction.grounds}\nReduced on appeal from {sanction.kind_label.lower()}: {reason}",
                         review_on=review_on if reduced_to == SUSPENSION else None, proposed_by_id=None,
                         proposed_at=now, in_force_at=now, appeal_by=sanction.appeal_by)
        db.session.add(lower)
        lower.actions = [LadderAction(description=text, due_on=due_on) for text, due_on in rows]
        db.session.flush()
        audit.record(at=now, actor=user, action="sanction.in_force", entity=lower,
                     summary=f"{lower.kind_label} for {contract.provider.name} in force on appeal",
                     after={"kind": reduced_to, "previous_id": sanction.id})
        _apply(user, lower, now)
        _tell_of_step(lower, now)
    else:
        _tell_provider(contract, "Your appeal was dismissed",
                       f"Your appeal against the {sanction.kind_label.lower()} on {contract.dps.name} was dismissed. "
                       f"Reason: {reason}", now, provider_sanction_link(sanction))
    _tell_manager(contract, f"Appeal decided: {contract.provider.name}",
                  f"The appeal against the {sanction.kind_label.lower()} was "
                  f"{APPEAL_OUTCOME_LABELS[outcome].lower()}.", now, sanction_link(sanction))
    _commit()


# Reading ----------------------------------------------------------------------------------------------------

@dataclass
class Ladder:
    """A contract's issues, reviews and sanctions (with appeals) for its pages."""

    issues: list[PerformanceIssue]
    reviews: list[ContractReview]
    sanctions: list[Sanction]
    may_act: bool = False  # the viewer is a contract manager who may open reviews and propose sanctions
    may_raise: bool = False  # the viewer may raise a performance issue

    @property
    def in_force(self) -> list[Sanction]:
        return [sanction for sanction in self.sanctions if sanction.in_force]


def summary_for(contract: ProviderContract, viewer: User, now: datetime) -> Ladder:
    """The contract's ladder for the contract page: four queries. A provider sees its own issues once raised
    with it and its sanctions once issued; nothing of proposals."""
    provider = viewer.organisation.is_provider
    if provider and viewer.organisation_id != contract.provider_id:
        raise NotFound()
    issues = db.select(PerformanceIssue).where(PerformanceIssue.contract_id == contract.id)
    sanctions = db.select(Sanction).where(Sanction.contract_id == contract.id)
    if provider:
        issues = issues.where(PerformanceIssue.status.in_([ISSUE_OPEN, ISSUE_CLOSED]))
        sanctions = sanctions.where(Sanction.status.not_in(NEVER_ISSUED))
    reviews = [] if provider else list(db.session.scalars(
        db.select(ContractReview).where(ContractReview.contract_id == contract.id)
        .order_by(ContractReview.opened_at.desc(), ContractReview.id.desc()).limit(20)))
    return Ladder(
        issues=list(db.session.scalars(issues.options(selectinload(PerformanceIssue.actions))
                                       .order_by(PerformanceIssue.raised_at.desc(), PerformanceIssue.id.desc())
                                       .limit(20))),
        reviews=reviews,
        sanctions=list(db.session.scalars(sanctions.options(selectinload(Sanction.appeal))
                                          .order_by(Sanction.proposed_at.desc(), Sanction.id.desc()).limit(20))),
        may_act=not provider and is_manager(viewer, contract),
        may_raise=not provider and viewer.has_role(*RAISERS))


def case_of(sanction: Sanction) -> list[Sanction]:
    """The whole ladder of the sanction's case, first step first: what it escalated or was reduced from, and the
    steps after it."""
    steps = {step.id: step for step in db.session.scalars(
        db.select(Sanction).where(Sanction.contract_id == sanction.contract_id)
        .options(selectinload(Sanction.appeal), selectinload(Sanction.actions)).order_by(Sanction.id))}
    after: dict[int, list[Sanction]] = {}
    for step in steps.values():
        if step.previous_id is not None:
            after.setdefault(step.previous_id, []).append(step)
    chain, seen, step = [], set(), steps.get(sanction.id, sanction)
    while step is not None and step.id not in seen:  # back to the first step, in memory: one query in all
        chain.append(step)
        seen.add(step.id)
        step = steps.get(step.previous_id)
    chain.reverse()
    later = after.get(chain[-1].id, [])
    while later:
        chain.extend(step for step in later if step.id not in seen)
        seen.update(step.id for step in later)
        later = [step for step in after.get(later[-1].id, []) if step.id not in seen]
    return chain


# The contract manager's dashboard and Tasks --------------------------------------------------------------------

def dues(contract_ids, now: datetime) -> list[contracts.Due]:
    """Open actions, suspension reviews and open contract reviews on the contracts: three queries."""
    if not contract_ids:
        return []
    today = _today(now)
    found = []
    issue_actions = db.session.execute(
        db.select(LadderAction, PerformanceIssue.contract_id).join(PerformanceIssue)
        .where(PerformanceIssue.contract_id.in_(contract_ids), PerformanceIssue.status == ISSUE_OPEN,
               LadderAction.done_at.is_(None))).all()
    found += [contracts.Due(contract_id, f"Performance issue action: {action.description[:80]}", action.due_on,
                            action.due_on < today, url_for("buyer.contracts_issue", issue_id=action.issue_id))
              for action, contract_id in issue_actions]
    sanctions = db.session.scalars(db.select(Sanction).where(Sanction.contract_id.in_(contract_ids),
                                                             Sanction.status == IN_FORCE)
                                   .options(selectinload(Sanction.actions))).all()
    for sanction in sanctions:
        link = url_for("buyer.contracts_sanction", sanction_id=sanction.id)
        if sanction.kind == SUSPENSION:
            found.append(contracts.Due(sanction.contract_id, "Suspension review", sanction.review_on,
                                       sanction.review_on < today, link))
        found += [contracts.Due(sanction.contract_id, f"Notice to improve action: {action.description[:80]}",
                                action.due_on, action.due_on < today, link)
                  for action in sanction.actions if not action.is_done]
    reviews = db.session.scalars(db.select(ContractReview).where(ContractReview.contract_id.in_(contract_ids),
                                                                 ContractReview.closed_at.is_(None))).all()
    found += [contracts.Due(review.contract_id, f"Contract review: {review.breach_label.lower()}", None, True,
                            url_for("buyer.contracts_review", review_id=review.id)) for review in reviews]
    return found


@dataclass
class Tasks:
    overdue: list[contracts.Due]
    appeals: list[Appeal]

    def __len__(self) -> int:
        return len(self.overdue) + len(self.appeals)


def tasks_for(user: User, now: datetime) -> Tasks:
    """A contract manager's overdue actions, suspension reviews and open contract reviews on the contracts they
    manage (allocated to them; a lead's contract managers also see those of its DPSs not allocated yet, which they
    cover); for the lead's heads of service and assistant directors, the appeals they may decide."""
    overdue = []
    if user.has_role(CONTRACT_MANAGER):
        mine = list(db.session.scalars(db.select(ProviderContract.id).where(db.or_(
            ProviderContract.contract_manager_id == user.id,
            db.and_(ProviderContract.contract_manager_id.is_(None),
                    ProviderContract.dps_id.in_(db.select(Dps.id).where(
                        Dps.lead_authority_id == user.organisation_id)))))))
        overdue = [due for due in dues(mine, now) if due.overdue]
        overdue.sort(key=lambda due: (due.due_on or date.min, due.what))
    return Tasks(overdue=overdue, appeals=_appeals_to_decide(user))


def _appeals_to_decide(user: User) -> list[Appeal]:
    """The lead's pending appeals in which the user took no part (for its heads of service and directors)."""
    appeals_to_decide = []
    if user.has_role(*APPEAL_DECIDERS):
        pending = db.session.scalars(
            db.select(Appeal).join(Sanction).join(ProviderContract).join(ProviderContract.dps)
            .where(Appeal.decided_at.is_(None), Dps.lead_authority_id == user.organisation_id)
            .options(selectinload(Appeal.sanction).selectinload(Sanction.contract)
                     .selectinload(ProviderContract.provider))
            .order_by(Appeal.submitted_at, Appeal.id)).all()
        involved = _involved_by_sanction([item.sanction for item in pending])
        appeals_to_decide = [item for item in pending if user.id not in involved[item.sanction_id]]
    return appeals_to_decide


def task_count(user: User, now: datetime) -> int:
    """How many tasks tasks_for lists, in COUNT queries (the menu counts on every page): the contract manager's
    overdue steps, and the appeals the user may decide (read in full only when the lead has any pending)."""
    return sum(counting.counts(task_counters(user, now))) + appeal_task_count(user)


def task_counters(user: User, now: datetime) -> list:
    """The COUNT of the contract manager's overdue steps, for the menu to run with its other counts."""
    if not user.has_role(CONTRACT_MANAGER):
        return []
    today = _today(now)
    mine = db.select(ProviderContract.id).where(ProviderContract.contract_manager_id == user.id)
    issue_actions = (db.select(LadderAction.id).join(PerformanceIssue)
                     .where(PerformanceIssue.contract_id.in_(mine), PerformanceIssue.status == ISSUE_OPEN,
                            LadderAction.done_at.is_(None), LadderAction.due_on < today))
    in_force = db.select(Sanction.id).where(Sanction.contract_id.in_(mine), Sanction.status == IN_FORCE)
    sanction_actions = db.select(LadderAction.id).where(LadderAction.sanction_id.in_(in_force),
                                                        LadderAction.done_at.is_(None),
                                                        LadderAction.due_on < today)
    suspensions = in_force.where(Sanction.kind == SUSPENSION, Sanction.review_on < today)
    reviews = db.select(ContractReview.id).where(ContractReview.contract_id.in_(mine),
                                                 ContractReview.closed_at.is_(None))
    return [db.select(db.func.count()).select_from(
        db.union_all(issue_actions, sanction_actions, suspensions, reviews).subquery())]


def appeal_task_count(user: User) -> int:
    """The appeals the user may decide (read in full only when the lead has any pending)."""
    if user.has_role(*APPEAL_DECIDERS) and db.session.scalar(
            db.select(Appeal.id).join(Sanction).join(ProviderContract).join(ProviderContract.dps)
            .where(Appeal.decided_at.is_(None), Dps.lead_authority_id == user.organisation_id).limit(1)) is not None:
        return len(_appeals_to_decide(user))
    return 0


# The scheduler ------------------------------------------------------------------------------------------------

def escalate_overdue(now: datetime) -> int:
    """Each overdue action of an open issue or a notice in force, once: its contract manager and the lead's heads
    of service are told. Idempotent; catches up. A few queries however many actions."""
    today = _today(now)
    live = db.or_(
        LadderAction.issue_id.in_(db.select(PerformanceIssue.id).where(PerformanceIssue.status == ISSUE_OPEN)),
        LadderAction.sanction_id.in_(db.select(Sanction.id).where(Sanction.status == IN_FORCE)))
    overdue = db.session.scalars(
        db.select(LadderAction).where(LadderAction.done_at.is_(None), LadderAction.escalated_at.is_(None),
                                      LadderAction.due_on < today, live)
        .options(selectinload(LadderAction.issue).selectinload(PerformanceIssue.contract),
                 selectinload(LadderAction.sanction).selectinload(Sanction.contract))).all()
    if not overdue:
        return 0
    contracts_by_id = {}
    for action in overdue:
        owner = action.issue or action.sanction
        contracts_by_id[owner.contract_id] = owner.contract
    loaded = {contract.id: contract for contract in db.session.scalars(
        db.select(ProviderContract).where(ProviderContract.id.in_(contracts_by_id))
        .options(selectinload(ProviderContract.provider), selectinload(ProviderContract.contract_manager),
                 selectinload(ProviderContract.dps)))}
    lead_ids = {contract.dps.lead_authority_id for contract in loaded.values()}
    heads = db.session.scalars(db.select(User).where(
        User.organisation_id.in_(lead_ids), User.active,
        User.id.in_(db.select(UserRole.user_id).where(UserRole.role == HEAD_OF_SERVICE)))).all()
    notices = []
    for action in overdue:
        owner = action.issue or action.sanction
        contract = loaded[owner.contract_id]
        link = (url_for("buyer.contracts_issue", issue_id=owner.id) if action.issue is not None
                else url_for("buyer.contracts_sanction", sanction_id=owner.id))
        subject = f"Overdue action: {contract.provider.name} on {contract.dps.reference}"
        body = (f"An action due on {format_date(action.due_on)} is not done: {action.description}\n"
                f"Consider escalating: a notice that fails escalates to suspension.")
        people = [head for head in heads if head.organisation_id == contract.dps.lead_authority_id]
        if contract.contract_manager is not None and contract.contract_manager.active:
            people.append(contract.contract_manager)
        notices += [(person, subject, body, link) for person in people]
        action.escalated_at = now
    mail.notify_many(notices, at=now)
    audit.record(at=now, actor=None, action="ladder_action.escalated", entity=None,
                 summary=f"{len(overdue)} overdue actions escalated to contract managers and heads of service",
                 after={"action_ids": [action.id for action in overdue]})
    db.session.commit()
    return len(overdue)


def remind_suspension_reviews(now: datetime) -> int:
    """Each suspension whose review date has come: its contract manager is told once per review date (an extended
    suspension is reminded again at its new date). Idempotent; a few queries however many."""
    today = _today(now)
    due = db.session.scalars(db.select(Sanction).where(
        Sanction.kind == SUSPENSION, Sanction.status == IN_FORCE, Sanction.review_on <= today,
        db.or_(Sanction.review_notified_on.is_(None), Sanction.review_notified_on != Sanction.review_on))
        .options(selectinload(Sanction.contract).selectinload(ProviderContract.provider),
                 selectinload(Sanction.contract).selectinload(ProviderContract.contract_manager),
                 selectinload(Sanction.contract).selectinload(ProviderContract.dps))).all()
    notices = []
    for sanction in due:
        contract = sanction.contract
        if contract.contract_manager is not None and contract.contract_manager.active:
            notices.append((contract.contract_manager, f"Suspension review due: {contract.provider.name}",
                            f"The suspension of {contract.provider.name} on {contract.dps.reference} is due for its "
                            f"review on {format_date(sanction.review_on)}: lift it, extend it or escalate it.",
                            url_for("buyer.contracts_sanction", sanction_id=sanction.id)))
    if not due:
        return 0
    db.session.execute(db.update(Sanction).where(Sanction.id.in_([sanction.id for sanction in due]))
                       .values(review_notified_on=Sanction.review_on).execution_options(synchronize_session=False))
    mail.notify_many(notices, at=now)
    db.session.commit()
    return len(due)


def run_due(now: datetime) -> int:
    return escalate_overdue(now) + remind_suspension_reviews(now)
