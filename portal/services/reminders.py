"""Reminders people rely on, sent by the scheduler in the portal and by e-mail:

- a provider, 24 hours before the deadline of a referral round it was invited to and has not answered (no
  bid in, no decline); for a round that gave less than 48 hours from its opening, at the halfway point;
- the referring officer, once a placement's quality-assurance visit is overdue and none is recorded;
- the evaluators allocated to an application and the lead authority's administrators, 2 working days before
  the decision clock's due date (not while a clarification question has the clock paused).

`run_due` is idempotent: each reminder is recorded in `SentReminder` in the transaction that sends it, so it
is sent exactly once however often the scheduler runs, and anything that fell due while no scheduler ran is
sent on the next run. Each kind is read in batches, in a fixed number of queries whatever the number of rows.
"""

from collections import defaultdict
from datetime import datetime, timedelta

from flask import url_for
from sqlalchemy.orm import selectinload

from portal.extensions import db
from portal.models import (
    Application,
    Bid,
    BidInvitation,
    EntryWindow,
    Lot,
    Placement,
    Referral,
    ReferralRound,
    SentReminder,
    User,
    UserRole,
)
from portal.models.application import SUBMITTED
from portal.models.bid import SUBMITTED as BID_SUBMITTED
from portal.models.user import ADMINISTRATOR, COMMISSIONING_OFFICER, PROVIDER_USER
from portal.services import audit, jobs, mail
from portal.services.evaluations import decision_clock
from portal.timezone import format_datetime, format_day, to_local
from portal.workdays import add_working_days

BID_DEADLINE = "bid.deadline"
QA_VISIT_OVERDUE = "placement.qa_visit_overdue"
DECISION_DUE = "application.decision_due"

BID_NOTICE = timedelta(hours=24)
SHORT_ROUND = timedelta(hours=48)  # under this from opening to deadline, the reminder goes at the halfway point
DECISION_NOTICE_WORKING_DAYS = 2
BATCH = 200


def run_due(now: datetime) -> list[str]:
    """Send every reminder that has fallen due and not been sent. Returns a line per kind sent, for the log.
    Each kind is committed on its own: one that fails is rolled back and logged, and the others still run."""
    return jobs.run_each(((BID_DEADLINE, _bid_deadlines), (QA_VISIT_OVERDUE, _qa_visits), (DECISION_DUE, _decisions)),
                         now, family="Reminders",
                         line=lambda kind, sent: f"sent {sent} {kind} reminder{'s' if sent != 1 else ''}")


def _not_sent(kind: str, record_id):
    return ~db.select(SentReminder.id).where(SentReminder.kind == kind, SentReminder.record_id == record_id).exists()


def _record(kind: str, record_ids: list[int], now: datetime) -> None:
    db.session.execute(db.insert(SentReminder), [{"kind": kind, "record_id": record_id, "sent_at": now}
                                                 for record_id in record_ids])
    audit.record(at=now, actor=None, action="reminders.sent", entity=None,
                 summary=f"{len(record_ids)} {kind} reminder{'s' if len(record_ids) != 1 else ''} sent",
                 after={"kind": kind, "count": len(record_ids)})  # no ids: which providers have not bid is sealed


def _in_batches(query, key, handle, now: datetime) -> int:
    """Run `handle` on successive batches of the query's rows (those not yet reminded), committing each."""
    sent = 0
    after = 0
    while True:
        rows = db.session.execute(query.where(key > after).order_by(key).limit(BATCH)).all()
        if not rows:
            return sent
        sent += handle(rows, now)
        db.session.commit()
        if len(rows) < BATCH:
            return sent
        after = rows[-1][0]


def _users_with_role(role: str, *, ids=(), organisation_ids=()) -> list[User]:
    """Active users with the role, among the given users or of the given organisations, in one query."""
    return db.session.scalars(
        db.select(User).join(UserRole).where(User.active.is_(True), UserRole.role == role,
                                             db.or_(User.id.in_(list(ids)),
                                                    User.organisation_id.in_(list(organisation_ids))))
        .order_by(User.id)).unique().all()


# A provider that has not answered a referral ---------------------------------------------------------

def bid_reminder_at(opened_at: datetime, deadline: datetime) -> datetime:
    """24 hours before the deadline, or halfway from opening to the deadline when that is under 48 hours."""
    if deadline - opened_at < SHORT_ROUND:
        return opened_at + (deadline - opened_at) / 2
    return deadline - BID_NOTICE


def _bid_deadlines(now: datetime) -> int:
    answered = db.or_(
        BidInvitation.declined_at.is_not(None),
        db.select(Bid.id).where(Bid.invitation_id == BidInvitation.id, Bid.status == BID_SUBMITTED).exists())
    # Every reminder falls at or after 24 hours before the deadline, so only rounds closing within 24 hours
    # are read; the exact moment is checked on the rows.
    query = (
        db.select(BidInvitation.id, BidInvitation.provider_id, Referral.id, Referral.reference, Lot.number, Lot.name,
                  ReferralRound.opened_at, ReferralRound.deadline)
        .join(ReferralRound, ReferralRound.id == BidInvitation.round_id)
        .join(Referral, Referral.id == BidInvitation.referral_id)
        .join(Lot, Lot.id == Referral.lot_id)
        .where(ReferralRound.closed_at.is_(None), ReferralRound.deadline > now,
               ReferralRound.deadline <= now + BID_NOTICE,
               Referral.withdrawn_at.is_(None), Referral.awarded_at.is_(None), ~answered,
               _not_sent(BID_DEADLINE, BidInvitation.id)))
    return _in_batches(query, BidInvitation.id, _send_bid_reminders, now)


def _send_bid_reminders(rows, now: datetime) -> int:
    due = [row for row in rows if bid_reminder_at(row.opened_at, row.deadline) <= now]
    if not due:
        return 0
    users = defaultdict(list)
    for user in _users_with_role(PROVIDER_USER, organisation_ids={row.provider_id for row in due}):
        users[user.organisation_id].append(user)
    notices = []
    for _invitation, provider_id, referral_id, reference, lot_number, lot_name, _opened, deadline in due:
        # The reference, lot and deadline only: never who the child is.
        subject = f"Referral {reference}: bids close {format_datetime(deadline)}"
        body = (f"Your organisation has not yet sent a bid for referral {reference} (Lot {lot_number}: {lot_name}) "
                f"or declined it. Bids close on {format_datetime(deadline)}. Send your bid, or decline with a "
                "reason, in the portal.")
        link = url_for("supplier.referral", referral_id=referral_id)
        notices += [(user, subject, body, link) for user in users[provider_id]]
    mail.notify_many(notices, at=now)
    _record(BID_DEADLINE, [row[0] for row in due], now)
    return len(due)


# A quality-assurance visit overdue ---------------------------------------------------------------------

def _qa_visits(now: datetime) -> int:
    query = (
        db.select(Placement.id, Placement.agreement_reference, Placement.created_by_id, Placement.authority_id,
                  Placement.qa_visit_due_at, Referral.reference)
        .join(Referral, Referral.id == Placement.referral_id)
        .where(Placement.qa_visit_at.is_(None), Placement.qa_visit_due_at.is_not(None),
               Placement.qa_visit_due_at <= now, _not_sent(QA_VISIT_OVERDUE, Placement.id)))
    return _in_batches(query, Placement.id, _send_qa_reminders, now)


def _send_qa_reminders(rows, now: datetime) -> int:
    officers = _users_with_role(COMMISSIONING_OFFICER, ids={row.created_by_id for row in rows},
                                organisation_ids={row.authority_id for row in rows})
    by_id = {officer.id: officer for officer in officers}
    by_authority = defaultdict(list)
    for officer in officers:
        by_authority[officer.organisation_id].append(officer)
    link = url_for("buyer.tasks")
    notices = []
    for _placement, agreement, created_by_id, authority_id, due_at, reference in rows:
        officer = by_id.get(created_by_id)
        # The officer who made the placement, or, once they have left, the authority's other officers.
        recipients = [officer] if officer and officer.organisation_id == authority_id else by_authority[authority_id]
        subject = f"Placement {agreement}: the QA visit is overdue"
        body = (f"The quality-assurance visit for placement {agreement} (referral {reference}) was due by "
                f"{format_datetime(due_at)} and none is recorded. Record the visit on your Tasks page once it has "
                "taken place.")
        notices += [(user, subject, body, link) for user in recipients]
    mail.notify_many(notices, at=now)
    _record(QA_VISIT_OVERDUE, [row[0] for row in rows], now)
    return len(rows)


# Decisions due -------------------------------------------------------------------------------------------

def decision_reminder_on(application: Application, now: datetime):
    """The London day the reminder about the application's decision falls due (2 working days before the due
    date, as the clock stands now), or None while the clock is paused or stopped."""
    clock = decision_clock(application, now)
    if clock is None or clock.paused:
        return None
    return add_working_days(clock.due_on, -DECISION_NOTICE_WORKING_DAYS)


def _decisions(now: datetime) -> int:
    # The windows whose clock may be running (closed, or always open) and whose outcomes are not published.
    window_ids = db.select(EntryWindow.id).where(
        db.or_(EntryWindow.closes_at <= now, EntryWindow.closes_at.is_(None)),
        EntryWindow.outcomes_published_at.is_(None))
    query = (db.select(Application.id)
             .where(Application.window_id.in_(window_ids), Application.status == SUBMITTED,
                    Application.moderated_at.is_(None), _not_sent(DECISION_DUE, Application.id)))
    return _in_batches(query, Application.id, _send_decision_reminders, now)


def _send_decision_reminders(rows, now: datetime) -> int:
    applications = db.session.scalars(
        db.select(Application).where(Application.id.in_([row[0] for row in rows]))
        .options(selectinload(Application.clarifications), selectinload(Application.allocations),
                 selectinload(Application.provider),
                 selectinload(Application.window).selectinload(EntryWindow.dps))).all()
    today = to_local(now).date()
    due = [a for a in applications if (day := decision_reminder_on(a, now)) is not None and day <= today]
    if not due:
        return 0
    evaluator_ids = {allocation.evaluator_id for a in due for allocation in a.allocations}
    lead_ids = {a.window.dps.lead_authority_id for a in due}
    administrators = _users_with_role(ADMINISTRATOR, organisation_ids=lead_ids)
    evaluators = {user.id: user for user in db.session.scalars(
        db.select(User).where(User.id.in_(evaluator_ids), User.active.is_(True)))}
    # One message per person, listing every application whose reminder falls now.
    lines = defaultdict(list)
    people = {}
    for application in due:
        clock = decision_clock(application, now)
        line = (f"{application.provider.name}, {application.window.dps.reference} {application.window.label}: "
                f"due {format_day(clock.due_on)} ({clock.elapsed} of {clock.deadline} working days so far)")
        allocated = [evaluators[a.evaluator_id] for a in application.allocations if a.evaluator_id in evaluators]
        admins = [u for u in administrators if u.organisation_id == application.window.dps.lead_authority_id]
        for user in {u.id: u for u in allocated + admins}.values():
            people[user.id] = user
            lines[user.id].append((application.id, line))
    notices = []
    for user_id, items in lines.items():
        count = len(items)
        link = (url_for("evaluation.application", application_id=items[0][0]) if count == 1
                else url_for("evaluation.dashboard"))
        notices.append((people[user_id],
                        f"Decision{'s' if count != 1 else ''} due within 2 working days: {count} "
                        f"application{'s' if count != 1 else ''}",
                        "The decision on these applications is due within 2 working days, or is overdue:\n"
                        + "\n".join(f"- {line}" for _, line in items), link))
    mail.notify_many(notices, at=now)
    _record(DECISION_DUE, [a.id for a in due], now)
    return len(due)
