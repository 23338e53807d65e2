"""Approvals with four eyes: a person asks, someone else of the same authority answers.

Who may answer each kind is declared once, in RULES:

- funding for a referral, the cost of a placement, an off-framework search and its funding: a budget holder
  of the authority whose annual approval limit covers the annual figure (weekly cost x 52); when the figure is
  above the limit of every active budget holder there (the requester aside), the assistant director;
- a senior manager's agreement to an off-framework placement: the head of service;
- a new search for a child whose placement ended unplanned: a head of service and an assistant director, each
  through a request of its own kind (portal.services.endings asks for both).

Nobody answers their own request, whatever roles they hold. A request for the same thing (subject and kind)
made later replaces the earlier one, pending or answered, so only the latest request ever counts; and an
approval counts only for the figures it was given for (`granted`).

The subject of an approval is any record with an `id` and an `authority_id` (a referral, a price change, a
provider's contract on a DPS, a placement: SUBJECT_MODELS); its table name is stored. A contract decision is
asked by a contract manager, possibly of a member authority, and answered at the lead (Rule.asked_elsewhere).

The API (every change commits, with its audit event; `now` is naive UTC):

    request(user, subject, *, kind, weekly_cost, basis="", summary, now) -> Approval
    answer(user, approval, *, approve: bool, reason="", now)
    withdraw(user, approval, now)
    granted(subject, kind, *, basis="", weekly_cost=None) -> Approval | None   # the approval that counts, if any
    latest(subject, kind) -> Approval | None; of_subject(subject) -> list[Approval]
    answerers(approval) -> list[(User, role)]; role_to_answer(user, approval) -> role | None
    tasks_for(user) -> list[Approval]; task_count(user) -> int
    get_for_authority(user, approval_id) -> Approval     # NotFound for another authority
"""

import importlib
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from flask import url_for
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from portal.errors import DomainError, InvalidTransition, NotFound
from portal.extensions import db
from portal.formatting import money
from portal.models import (
    PerformanceIssue,
    Placement,
    PriceChange,
    ProviderContract,
    Referral,
    Sanction,
    User,
    UserRole,
)
from portal.models.approval import (
    APPROVED,
    CONTINUE_AT_INADEQUATE,
    FUNDING,
    KIND_LABELS,
    NEW_SEARCH_DIRECTOR,
    NEW_SEARCH_HEAD,
    NOTICE_TO_IMPROVE,
    OFF_FRAMEWORK_SEARCH,
    PENDING,
    PLACEMENT_COST,
    PRICE_CHANGE,
    REFUSED,
    REPLACED,
    SENIOR_AGREEMENT,
    SIGNIFICANT_ISSUE,
    SUSPENSION,
    TERMINATION,
    WITHDRAWN,
    Approval,
)
from portal.models.user import (
    ASSISTANT_DIRECTOR,
    BUDGET_HOLDER,
    COMMISSIONING_OFFICER,
    CONTRACT_MANAGER,
    HEAD_OF_SERVICE,
    ROLE_LABELS,
)
from portal.services import audit, mail
from portal.timezone import format_date, format_datetime

MAX_REASON = 2000
MAX_WEEKLY = Decimal("100000.00")
# Everyone at an authority who may read its approvals: the officers who ask and the people who answer.
APPROVAL_READERS = (COMMISSIONING_OFFICER, BUDGET_HOLDER, HEAD_OF_SERVICE, ASSISTANT_DIRECTOR, CONTRACT_MANAGER)
DECIDERS = (BUDGET_HOLDER, HEAD_OF_SERVICE, ASSISTANT_DIRECTOR)


@dataclass(frozen=True)
class Rule:
    """Who answers a kind of request: `within_limit` a budget holder whose limit covers the annual figure, else
    `above_limits` (when nobody's limit does); `role` anyone holding that role, whatever the figure (`also` names
    a second role that may answer too).

    `requesters`: the roles that may ask. With `asked_elsewhere` the requester may belong to another authority
    than the subject's (a member's contract manager proposing a sanction the lead decides): the caller checks
    the requester may ask. `excluded` ("module:function", called with the approval) names the ids of people who
    may not answer it (those who took part in a sanction appealed). `after_answer` ("module:function", called
    with the answerer, the approval and the time, before the commit) carries out what was decided;
    `requester_link` gives the page the requester is sent to with the answer (a requester of another authority
    cannot open the approval itself)."""

    within_limit: str | None = None
    above_limits: str | None = None
    role: str | None = None
    also: str | None = None
    requesters: tuple[str, ...] = (COMMISSIONING_OFFICER,)
    asked_elsewhere: bool = False
    excluded: str | None = None
    after_answer: str | None = None
    requester_link: str | None = None  # "module:function"(approval) -> the requester's link, when not the approval

    def roles(self) -> tuple[str, ...]:
        return tuple(role for role in (self.role, self.also) if role)


BY_BUDGET = Rule(within_limit=BUDGET_HOLDER, above_limits=ASSISTANT_DIRECTOR)
# An off-framework placement's agreement and cost are asked as a pair: one refused closes the other.
_PAIRED = "portal.services.off_framework:placement_approval_answered"
RULES = {
    FUNDING: BY_BUDGET,
    PLACEMENT_COST: Rule(within_limit=BUDGET_HOLDER, above_limits=ASSISTANT_DIRECTOR, after_answer=_PAIRED),
    OFF_FRAMEWORK_SEARCH: BY_BUDGET,
    SENIOR_AGREEMENT: Rule(role=HEAD_OF_SERVICE, after_answer=_PAIRED),
    NEW_SEARCH_HEAD: Rule(role=HEAD_OF_SERVICE),
    NEW_SEARCH_DIRECTOR: Rule(role=ASSISTANT_DIRECTOR),
    CONTINUE_AT_INADEQUATE: Rule(role=ASSISTANT_DIRECTOR),
    PRICE_CHANGE: Rule(within_limit=BUDGET_HOLDER, above_limits=ASSISTANT_DIRECTOR,
                       after_answer="portal.services.agreements:price_change_answered"),
}
# The escalation ladder (portal.services.ladder): asked by a contract manager, possibly a member's; decided at the
# lead. A significant performance issue is agreed at the raiser's own authority.
_LADDER = dict(requesters=(CONTRACT_MANAGER,), asked_elsewhere=True,
               after_answer="portal.services.ladder:sanction_answered",
               requester_link="portal.services.ladder:requester_link")
RULES.update({
    SIGNIFICANT_ISSUE: Rule(role=HEAD_OF_SERVICE, also=BUDGET_HOLDER,
                            requesters=(COMMISSIONING_OFFICER, CONTRACT_MANAGER),
                            after_answer="portal.services.ladder:issue_answered",
                            requester_link="portal.services.ladder:requester_link"),
    NOTICE_TO_IMPROVE: Rule(role=HEAD_OF_SERVICE, **_LADDER),
    SUSPENSION: Rule(role=HEAD_OF_SERVICE, **_LADDER),
    TERMINATION: Rule(role=ASSISTANT_DIRECTOR, **_LADDER),
})
ROLE_FOR_KIND = {kind: (rule.role or rule.within_limit) for kind, rule in RULES.items()}


def _subject_key(subject) -> tuple[str, int]:
    return type(subject).__tablename__, subject.id


def _call(reference: str, *args):
    """Call a "module:function" named by a rule (imported when used: those modules import this one)."""
    module_name, function_name = reference.split(":")
    return getattr(importlib.import_module(module_name), function_name)(*args)


# What approvals can be about, with what to load with each for the Tasks page.
SUBJECT_MODELS = {
    Referral: (selectinload(Referral.lot),),
    PriceChange: (selectinload(PriceChange.placement).selectinload(Placement.provider),),
    ProviderContract: (selectinload(ProviderContract.provider), selectinload(ProviderContract.dps)),
    Placement: (selectinload(Placement.provider), selectinload(Placement.off_framework_provider)),
    PerformanceIssue: (selectinload(PerformanceIssue.contract).selectinload(ProviderContract.provider),
                       selectinload(PerformanceIssue.contract).selectinload(ProviderContract.dps)),
    Sanction: (selectinload(Sanction.contract).selectinload(ProviderContract.provider),
               selectinload(Sanction.contract).selectinload(ProviderContract.dps)),
}


# Who may answer ---------------------------------------------------------------------------------------------

def _deciders(authority_id: int) -> list[User]:
    """The active people of the authority holding a deciding role, with their roles (one query)."""
    return list(db.session.scalars(
        db.select(User).where(User.organisation_id == authority_id, User.active,
                              User.id.in_(db.select(UserRole.user_id).where(UserRole.role.in_(DECIDERS))))
        .order_by(User.name, User.id)))


def _answerers_among(approval: Approval, people: list[User]) -> list[tuple[User, str]]:
    rule = RULES[approval.kind]
    excluded = _call(rule.excluded, approval) if rule.excluded else set()
    others = [person for person in people if person.id != approval.requested_by_id and person.id not in excluded]
    if rule.role:
        return [(person, next(role for role in rule.roles() if person.has_role(role))) for person in others
                if person.has_role(*rule.roles())]
    figure = approval.annual_cost or Decimal("0")
    within = [(person, rule.within_limit) for person in others if person.has_role(rule.within_limit)
              and person.approval_limit is not None and figure <= person.approval_limit]
    if within:
        return within
    return [(person, rule.above_limits) for person in others if person.has_role(rule.above_limits)]


def answerers(approval: Approval) -> list[tuple[User, str]]:
    """Who may answer the request, each with the role they would answer in."""
    return _answerers_among(approval, _deciders(approval.authority_id))


def role_to_answer(user: User, approval: Approval) -> str | None:
    """The role in which the user may answer the request, or None."""
    if user.organisation_id != approval.authority_id or not approval.is_pending:
        return None
    return next((role for person, role in answerers(approval) if person.id == user.id), None)


def tasks_for(user: User) -> list[Approval]:
    """The pending requests the user may answer, oldest first. Three queries, however many there are."""
    if not user.has_role(*DECIDERS):
        return []
    pending = db.session.scalars(
        db.select(Approval).where(Approval.authority_id == user.organisation_id, Approval.status == PENDING,
                                  Approval.requested_by_id != user.id)
        .options(selectinload(Approval.requested_by)).order_by(Approval.requested_at, Approval.id)).all()
    if not pending:
        return []
    people = _deciders(user.organisation_id)
    mine = [approval for approval in pending
            if any(person.id == user.id for person, _role in _answerers_among(approval, people))]
    _load_subjects(mine)
    # A request about a withdrawn referral needs no answer (closed when withdrawn; older ones are skipped here).
    return [approval for approval in mine
            if not (isinstance(approval.subject, Referral) and approval.subject.withdrawn_at is not None)]


def task_count(user: User) -> int:
    return len(tasks_for(user)) if user.has_role(*DECIDERS) else 0


def _load_subjects(approvals: list[Approval]) -> None:
    """Put each approval's subject on it (`approval.subject`): a referral, or a change of a placement's price
    (with its placement); one query per kind of subject."""
    found = {}
    for model, options in SUBJECT_MODELS.items():
        ids = {approval.subject_id for approval in approvals if approval.subject_type == model.__tablename__}
        found.update({(model.__tablename__, record.id): record for record in db.session.scalars(
            db.select(model).where(model.id.in_(ids)).options(*options))} if ids else {})
    for approval in approvals:
        approval.subject = found.get((approval.subject_type, approval.subject_id))
        approval.subject_name = _subject_name(approval.subject) if approval.subject is not None else ""


def subject_of(approval: Approval):
    model = next((model for model in SUBJECT_MODELS if model.__tablename__ == approval.subject_type), None)
    return db.session.get(model, approval.subject_id) if model is not None else None


# Reading ----------------------------------------------------------------------------------------------------

def get_for_authority(user: User, approval_id: int) -> Approval:
    """An approval of the user's own authority, for its officers and deciders; NotFound for anyone else."""
    approval = db.session.get(Approval, approval_id)
    if approval is None or approval.authority_id != user.organisation_id or not user.has_role(*APPROVAL_READERS):
        raise NotFound()
    approval.subject = subject_of(approval)
    approval.subject_name = _subject_name(approval.subject) if approval.subject is not None else ""
    return approval


def latest(subject, kind: str) -> Approval | None:
    """The request that counts for the subject and kind: the latest not replaced nor withdrawn."""
    subject_type, subject_id = _subject_key(subject)
    return db.session.scalar(
        db.select(Approval).where(Approval.subject_type == subject_type, Approval.subject_id == subject_id,
                                  Approval.kind == kind, Approval.status.not_in([REPLACED, WITHDRAWN]))
        .order_by(Approval.requested_at.desc(), Approval.id.desc()).limit(1))


def granted(subject, kind: str, *, basis: str = "", weekly_cost: Decimal | None = None) -> Approval | None:
    """The approval given for exactly these figures, or None: a refused, pending or stale one does not count."""
    approval = latest(subject, kind)
    if approval is None or not approval.is_approved or not approval.matches(basis=basis, weekly_cost=weekly_cost):
        return None
    return approval


def of_subject(subject) -> list[Approval]:
    """Every request about the subject, newest first, with who asked and who answered."""
    subject_type, subject_id = _subject_key(subject)
    return list(db.session.scalars(
        db.select(Approval).where(Approval.subject_type == subject_type, Approval.subject_id == subject_id)
        .options(selectinload(Approval.requested_by), selectinload(Approval.answered_by))
        .order_by(Approval.requested_at.desc(), Approval.id.desc())))


def answered_line(approval: Approval | None) -> str:
    """Who decided and when, in words, for pages and documents."""
    if approval is None:
        return ""
    if approval.recorded_before_portal:
        return (f"Recorded before approvals in the portal: {approval.recorded_approver}, "
                f"{format_date(approval.answered_at) or 'date not recorded'}")
    if approval.answered_by is None:
        return approval.status_label
    verb = "Approved" if approval.status == APPROVED else "Refused" if approval.status == REFUSED else "Answered"
    return (f"{verb} by {approval.answered_by.name} ({ROLE_LABELS.get(approval.answered_role, approval.answered_role)})"
            f", {format_datetime(approval.answered_at)}")


def shows_figures(approval: Approval) -> bool:
    """Whether the request is about money: a weekly cost was given, or its kind is decided within budget limits.
    A sanction, a performance issue or an agreement to continue a placement has no figure to show."""
    return approval.weekly_cost is not None or RULES[approval.kind].within_limit is not None


def decision_rows(approval: Approval) -> list[tuple[str, str]]:
    """What answering the request decides, in words, for a request that is not about money (the subject is put on
    the approval by get_for_authority): a ladder step or a significant issue (portal.services.ladder), a placement
    to continue at an Inadequate setting."""
    subject = getattr(approval, "subject", None)
    if isinstance(subject, (Sanction, PerformanceIssue)):
        return _call("portal.services.ladder:decision_rows", subject)
    if isinstance(subject, Placement) and approval.kind == CONTINUE_AT_INADEQUATE:
        rows = [("Placement", f"{subject.agreement_reference} with {subject.provider_name}")]
        if subject.setting is not None:
            rows.append(("Setting", subject.setting.label))
        rows.append(("What it does", "The placement continues at a setting Ofsted judged Inadequate, with its review; "
                                     "refused, the officer plans the child's move."))
        return rows
    return []


# Changing ---------------------------------------------------------------------------------------------------

def _commit() -> None:
    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise DomainError("Someone answered or changed this request at the same moment. Check it and try again.") \
            from None


def _link(approval: Approval) -> str:
    return url_for("buyer.approval", approval_id=approval.id)


def _figures(approval: Approval) -> str:
    if approval.weekly_cost is None:
        return ""
    return f"{money(approval.weekly_cost)} a week ({money(approval.annual_cost)} a year)"


def _unsaved(user: User, subject, *, kind: str, weekly_cost: Decimal | None, basis: str = "", summary: str = "",
             now: datetime | None = None) -> Approval:
    subject_type, subject_id = _subject_key(subject)
    return Approval(kind=kind, authority_id=subject.authority_id, subject_type=subject_type, subject_id=subject_id,
                    basis=basis, summary=summary, weekly_cost=weekly_cost, annual_cost=Approval.annual(weekly_cost),
                    requested_by_id=user.id, requested_at=now, status=PENDING, reason="")


def nobody_to_answer(user: User, subject, *, kind: str, weekly_cost: Decimal | None) -> str | None:
    """Why nobody at the authority could answer such a request from the user, or None when someone could. Callers
    asking for two approvals at once check both first, so that neither is asked alone."""
    approval = _unsaved(user, subject, kind=kind, weekly_cost=weekly_cost)
    if answerers(approval):
        return None
    authority = subject.authority.name if getattr(subject, "authority", None) is not None else "your authority"
    rule = RULES[kind]
    if rule.role:
        roles = " or ".join(ROLE_LABELS[role].lower() for role in rule.roles())
        return (f"Nobody at {authority} can give {KIND_LABELS[kind][0].lower() + KIND_LABELS[kind][1:]}: there is no "
                f"{roles} other than you. Ask your user administrator.")
    return (f"Nobody at {authority} can approve {money(approval.annual_cost)} a year: no budget holder's limit "
            f"covers it and there is no {ROLE_LABELS[rule.above_limits].lower()}"
            + (" other than you" if user.has_role(rule.above_limits) else "") + ". Ask your user administrator.")


def request(user: User, subject, *, kind: str, weekly_cost: Decimal | None, basis: str = "", summary: str,
            now: datetime) -> Approval:
    """Ask for an approval; any earlier request for the same subject and kind is replaced, and the people who may
    answer are told. When a pending or approved request for the same figures and basis stands, it is returned
    unchanged, marked `already_asked` (nothing is recorded, nobody told). Refused (DomainError) when nobody could
    answer it. The caller checks that the user may ask about the subject."""
    if kind not in RULES:
        raise DomainError("Choose what to ask for", field="kind")
    rule = RULES[kind]
    if not user.has_role(*rule.requesters) or (
            user.organisation_id != subject.authority_id and not rule.asked_elsewhere):
        raise NotFound()
    if RULES[kind].within_limit and weekly_cost is None:
        raise DomainError("Enter the weekly cost to be approved", field="weekly_cost")
    if weekly_cost is not None and not Decimal("0") < weekly_cost <= MAX_WEEKLY:
        raise DomainError("The weekly cost must be more than £0 and no more than £100,000", field="weekly_cost")
    subject_type, subject_id = _subject_key(subject)
    earlier_ones = list(db.session.scalars(db.select(Approval).where(
        Approval.subject_type == subject_type, Approval.subject_id == subject_id, Approval.kind == kind,
        Approval.status.in_([PENDING, APPROVED, REFUSED]))))
    same = next((earlier for earlier in earlier_ones if earlier.status in (PENDING, APPROVED)
                 and earlier.basis == basis and earlier.weekly_cost == weekly_cost), None)
    if same is not None:
        # A double submit or a stale page asking again: the request already made (or answered) stands.
        same.already_asked = True
        return same
    refusal = nobody_to_answer(user, subject, kind=kind, weekly_cost=weekly_cost)
    if refusal:
        raise DomainError(refusal)
    replaced = earlier_ones
    for earlier in replaced:
        earlier.replace(now)
    approval = _unsaved(user, subject, kind=kind, weekly_cost=weekly_cost, basis=basis, summary=summary, now=now)
    db.session.add(approval)
    db.session.flush()
    audit.record(at=now, actor=user, action="approval.requested", entity=approval,
                 summary=f"{KIND_LABELS[kind]} asked for {_subject_name(subject)}"
                         + (f": {_figures(approval)}" if approval.weekly_cost is not None else ""),
                 before={"replaced": [earlier.id for earlier in replaced]} if replaced else None,
                 after={"kind": kind, "subject": f"{subject_type} {subject_id}", "basis": basis,
                        "weekly_cost": weekly_cost, "annual_cost": approval.annual_cost, "status": PENDING})
    people = answerers(approval)
    for person, _role in people:
        mail.notify(person, at=now, link=_link(approval),
                    subject=f"Approval needed: {KIND_LABELS[kind].lower()}, {_subject_name(subject)}",
                    body=f"{user.name} asks for your approval: {summary}"
                         + (f"\nFigures: {_figures(approval)}." if approval.weekly_cost is not None else "")
                         + "\nApprove or refuse it from your Tasks page.")
    _commit()
    return approval


def _subject_name(subject) -> str:
    if isinstance(subject, Referral):
        return f"referral {subject.reference}"
    return getattr(subject, "approval_name", None) or f"{type(subject).__name__} {subject.id}"


def answer(user: User, approval: Approval, *, approve: bool, reason: str = "", now: datetime) -> None:
    """Approve or refuse a pending request (a refusal needs its reason); the requester is told."""
    if approval.authority_id != user.organisation_id:
        raise NotFound()
    if user.id == approval.requested_by_id:
        raise DomainError("You cannot answer your own request: someone else must decide it.", field="decision")
    if not approval.is_pending:
        raise DomainError(f"This request has already been answered or closed: it is "
                          f"{approval.status_label.lower()}.", field="decision")
    subject = subject_of(approval)
    if isinstance(subject, Referral) and subject.withdrawn_at is not None:
        raise DomainError(f"Referral {subject.reference} has been withdrawn: this request no longer needs an answer.",
                          field="decision")
    if isinstance(subject, Referral) and db.session.scalar(
            db.select(Placement.id).where(Placement.referral_id == subject.id)) is not None:
        raise DomainError(f"Referral {subject.reference} has been placed: this request no longer needs an answer.",
                          field="decision")
    role = role_to_answer(user, approval)
    if role is None:
        raise DomainError(why_not(user, approval), field="decision")
    reason = (reason or "").strip()
    if not approve and not reason:
        raise DomainError("Give the reason for refusing", field="reason")
    if len(reason) > MAX_REASON:
        raise DomainError(f"The reason must be {MAX_REASON} characters or fewer", field="reason")
    before = approval.status
    try:
        if approve:
            approval.approve(user, role, now)
        else:
            approval.refuse(user, role, reason, now)
    except InvalidTransition as error:
        raise DomainError(error.message, field="decision") from None
    after_answer = RULES[approval.kind].after_answer
    if after_answer:
        _call(after_answer, user, approval, now)
    name = _subject_name(subject) if subject is not None else "the request"
    audit.record(at=now, actor=user, action="approval.answered", entity=approval,
                 summary=f"{KIND_LABELS[approval.kind]} for {name} {approval.status} by {user.name} "
                         f"({ROLE_LABELS[role]})",
                 # the reason stays on the approval: free text may name the child
                 before={"status": before},
                 after={"status": approval.status, "role": role, "reason_given": bool(reason)})
    if approval.requested_by is not None:
        word = "approved" if approve else "refused"
        link = _call(RULES[approval.kind].requester_link, approval) if RULES[approval.kind].requester_link \
            else _link(approval)
        mail.notify(approval.requested_by, at=now, link=link,
                    subject=f"Your request was {word}: {KIND_LABELS[approval.kind].lower()}, {name}",
                    body=f"{user.name} ({ROLE_LABELS[role]}) {word} your request: {approval.summary}"
                         + (f"\nReason: {reason}" if reason else ""))
    _commit()


def why_not(user: User, approval: Approval) -> str:
    rule = RULES[approval.kind]
    if rule.role:
        if rule.excluded and user.id in _call(rule.excluded, approval):
            return "You took part in what this request is about: someone who did not must decide it."
        roles = " or ".join(ROLE_LABELS[role].lower() for role in rule.roles())
        return f"Only the {roles} can answer this request."
    if user.has_role(rule.within_limit):
        if user.approval_limit is None:
            return "You have no approval limit yet, so budget requests are not offered to you: ask your user " \
                   "administrator to set one."
        to_director = any(role == rule.above_limits for _person, role in answerers(approval))
        return (f"This request is above your approval limit of {money(user.approval_limit)} a year: it goes to "
                + (f"the {ROLE_LABELS[rule.above_limits].lower()}, as no budget holder's limit covers it."
                   if to_director else "a budget holder whose limit covers it."))
    return "You cannot answer this request: it is for someone whose role and approval limit cover it."


def withdraw(user: User, approval: Approval, now: datetime) -> None:
    """The requester takes back a request that nobody has answered yet."""
    if approval.authority_id != user.organisation_id:
        raise NotFound()
    try:
        approval.withdraw(user, now)
    except InvalidTransition as error:
        raise DomainError(error.message) from None
    audit.record(at=now, actor=user, action="approval.withdrawn", entity=approval,
                 summary=f"{KIND_LABELS[approval.kind]} request withdrawn by its requester",
                 before={"status": PENDING}, after={"status": WITHDRAWN})
    _commit()


def close_pending(user: User, subject, now: datetime, *, why: str) -> list[Approval]:
    """Close every pending request about the subject (withdrawn), audited; the caller commits with its own change
    (a referral withdrawn). The people who could have answered see it gone from their tasks."""
    subject_type, subject_id = _subject_key(subject)
    pending = list(db.session.scalars(db.select(Approval).where(
        Approval.subject_type == subject_type, Approval.subject_id == subject_id, Approval.status == PENDING)))
    for approval in pending:
        approval.close(now)
        audit.record(at=now, actor=user, action="approval.closed", entity=approval,
                     summary=f"{KIND_LABELS[approval.kind]} request for {_subject_name(subject)} closed: {why}",
                     before={"status": PENDING}, after={"status": WITHDRAWN})
    return pending
