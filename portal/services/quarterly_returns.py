"""The providers' quarterly returns: what only a provider knows (carers or beds approved and lost, vacancies, staff
turnover), asked by the DPS's questions, which its consortium administrator edits.

- Once a quarter has ended (UK time), the scheduler requests a return from every provider admitted to a lot of
  each DPS that has questions, for that quarter, due `due_days` calendar days after the quarter's last day
  (ReturnSettings, 30 by default). Each return keeps its own copy of the questions, so a later change to them
  alters no return already requested. Only the last quarter that has ended is requested: a scheduler that was
  stopped catches up on it at its next run, never on older quarters.
- A reminder goes `reminder_days` before the due date (7 by default); a return not submitted by its due date is
  overdue: its provider and the lead authority's administrators are told once, and it is listed for them.
- The provider saves its answers as it goes and submits them once: a number answer is a number of 0 or more,
  a text answer at most 2,000 characters, every answer needed to submit; a submitted return is read only.

Each message is sent exactly once (SentReminder), in the transaction that records it.
"""

from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from flask import url_for
from sqlalchemy.orm import selectinload

from portal.errors import DomainError, NotFound
from portal.extensions import db
from portal.models import (
    Dps,
    Lot,
    LotMembership,
    QuarterlyReturn,
    ReturnAnswer,
    ReturnQuestion,
    ReturnSettings,
    SentReminder,
    User,
    UserRole,
)
from portal.models.kpi import ANSWER_TYPES, DEFAULT_DUE_DAYS, DEFAULT_REMINDER_DAYS
from portal.models.user import ADMINISTRATOR, PROVIDER_USER
from portal.quarters import Quarter, parse, quarter_at
from portal.services import audit, jobs, mail
from portal.timezone import format_day, to_local

REMINDER = "quarterly_return.reminder"
OVERDUE = "quarterly_return.overdue"
ADMITTED_STATUSES = ("admitted", "place_with_caution")
MAX_QUESTIONS = 20
MAX_TEXT = 2000
MAX_NUMBER = Decimal("999999999999")


# The questions ---------------------------------------------------------------------------------------------------

def questions_of(dps: Dps) -> list[ReturnQuestion]:
    return db.session.scalars(sa.select(ReturnQuestion).where(
        ReturnQuestion.dps_id == dps.id, ReturnQuestion.retired_at.is_(None)).order_by(ReturnQuestion.position)).all()


def question_of(dps: Dps, question_id: int) -> ReturnQuestion:
    question = db.session.get(ReturnQuestion, question_id)
    if question is None or question.dps_id != dps.id or question.retired_at is not None:
        raise NotFound()
    return question


def _check_question(text: str, answer_type: str) -> str:
    text = (text or "").strip()
    if not text:
        raise DomainError("Enter the question", field="text")
    if len(text) > 300:
        raise DomainError("The question must be 300 characters or fewer", field="text")
    if answer_type not in ANSWER_TYPES:
        raise DomainError("Choose whether the answer is a number or text", field="answer_type")
    return text


def add_question(user: User, dps: Dps, *, text: str, answer_type: str, guidance: str, now: datetime):
    text = _check_question(text, answer_type)
    current = questions_of(dps)
    if len(current) >= MAX_QUESTIONS:
        raise DomainError(f"A return has at most {MAX_QUESTIONS} questions", field="text")
    position = max((q.position for q in current), default=0) + 1
    question = ReturnQuestion(dps_id=dps.id, position=position, text=text, answer_type=answer_type,
                              guidance=(guidance or "").strip(), created_at=now)
    db.session.add(question)
    db.session.flush()
    audit.record(at=now, actor=user, action="returns.question_added", entity=question,
                 summary=f"Quarterly return question added to {dps.reference}: {text}",
                 after={"text": text, "answer_type": answer_type})
    db.session.commit()
    return question


def change_question(user: User, question: ReturnQuestion, *, text: str, answer_type: str, guidance: str,
                    now: datetime) -> None:
    """Change a question for the returns requested from now on; those already requested keep their copy."""
    text = _check_question(text, answer_type)
    before = {"text": question.text, "answer_type": question.answer_type}
    question.text, question.answer_type, question.guidance = text, answer_type, (guidance or "").strip()
    audit.record(at=now, actor=user, action="returns.question_changed", entity=question,
                 summary=f"Quarterly return question changed: {text}", before=before,
                 after={"text": text, "answer_type": answer_type})
    db.session.commit()


def retire_question(user: User, question: ReturnQuestion, now: datetime) -> None:
    question.retired_at = now
    audit.record(at=now, actor=user, action="returns.question_removed", entity=question,
                 summary=f"Quarterly return question removed: {question.text}")
    db.session.commit()


def settings_of(dps_id: int) -> ReturnSettings:
    """The DPS's settings, or the defaults (not stored) when it has none."""
    found = db.session.scalar(sa.select(ReturnSettings).where(ReturnSettings.dps_id == dps_id))
    return found or ReturnSettings(dps_id=dps_id, due_days=DEFAULT_DUE_DAYS, reminder_days=DEFAULT_REMINDER_DAYS)


def save_settings(user: User, dps: Dps, *, due_days: int | None, reminder_days: int | None, now: datetime) -> None:
    if due_days is None or not 1 <= due_days <= 90:
        raise DomainError("Returns must be due between 1 and 90 days after the quarter", field="due_days")
    if reminder_days is None or not 0 <= reminder_days < due_days:
        raise DomainError("The reminder must go between 0 days and the due date's days before the due date",
                          field="reminder_days")
    settings = settings_of(dps.id)
    before = {"due_days": settings.due_days, "reminder_days": settings.reminder_days}
    settings.due_days, settings.reminder_days = due_days, reminder_days
    db.session.add(settings)
    audit.record(at=now, actor=user, action="returns.settings_changed", entity=dps,
                 summary=f"Quarterly returns of {dps.reference} due {due_days} days after the quarter",
                 before=before, after={"due_days": due_days, "reminder_days": reminder_days})
    db.session.commit()


def due_on(quarter: Quarter, due_days: int) -> date:
    return quarter.last_day + timedelta(days=due_days)


# Requests, reminders and overdue returns (the scheduler) -----------------------------------------------------------

def run_due(now: datetime) -> list[str]:
    """Request the returns of the last quarter that has ended, then send the reminders and overdue notices that
    have fallen due. Each step is committed on its own; one that fails is rolled back and logged."""
    return jobs.run_each((("requested", request_due), ("reminded", remind_due), ("overdue", overdue_due)), now,
                         family="Quarterly returns", line=lambda name, count: f"quarterly returns {name}: {count}")


def _provider_users(provider_ids) -> dict[int, list[User]]:
    users = defaultdict(list)
    for user in db.session.scalars(
            sa.select(User).join(UserRole).where(User.active.is_(True), UserRole.role == PROVIDER_USER,
                                                 User.organisation_id.in_(list(provider_ids)))
            .order_by(User.id)).unique():
        users[user.organisation_id].append(user)
    return users


def request_due(now: datetime) -> int:
    """Request the last ended quarter's return from each provider admitted to a DPS with questions, once."""
    return request(quarter_at(now).previous, now)


def request(quarter: Quarter, now: datetime) -> int:
    """Request the quarter's return from each provider admitted to a DPS with questions before the quarter ended,
    unless already requested; tell the provider's users. Returns how many were requested."""
    questions = db.session.scalars(sa.select(ReturnQuestion).where(ReturnQuestion.retired_at.is_(None))
                                   .order_by(ReturnQuestion.dps_id, ReturnQuestion.position)).all()
    by_dps = defaultdict(list)
    for question in questions:
        by_dps[question.dps_id].append(question)
    if not by_dps:
        return 0
    already = sa.select(QuarterlyReturn.id).where(QuarterlyReturn.dps_id == Lot.dps_id,
                                                  QuarterlyReturn.provider_id == LotMembership.provider_id,
                                                  QuarterlyReturn.quarter == quarter.key).exists()
    pairs = db.session.execute(
        sa.select(Lot.dps_id, LotMembership.provider_id).distinct()
        .join(Lot, Lot.id == LotMembership.lot_id).join(Dps, Dps.id == Lot.dps_id)
        .where(Lot.dps_id.in_(list(by_dps)), LotMembership.status.in_(ADMITTED_STATUSES),
               LotMembership.admitted_at < quarter.end_utc, Dps.start_date < quarter.end, ~already)
        .order_by(Lot.dps_id, LotMembership.provider_id)).all()
    if not pairs:
        return 0
    settings = {dps_id: settings_of(dps_id) for dps_id in {pair[0] for pair in pairs}}
    references = dict(db.session.execute(sa.select(Dps.id, Dps.name).where(Dps.id.in_(list(settings)))).all())
    users = _provider_users({pair[1] for pair in pairs})
    items = _insert_returns(quarter, pairs, by_dps, settings, now)
    notices = []
    for item in items:
        due = item.due_on
        subject = f"Your quarterly return for {quarter.short_label} is due by {format_day(due)}"
        body = (f"{references[item.dps_id]} asks each provider for a return for {quarter.label}: a few figures only "
                f"you know, such as carers or beds approved and vacancies. Complete and submit it in the portal "
                f"by {format_day(due)}.")
        notices += [(user, subject, body, url_for("supplier.quarterly_return", return_id=item.id))
                    for user in users[item.provider_id]]
    mail.notify_many(notices, at=now)
    audit.record(at=now, actor=None, action="returns.requested", entity=None,
                 summary=f"{len(pairs)} quarterly returns requested for {quarter.short_label}",
                 after={"quarter": quarter.key, "count": len(pairs)})
    db.session.commit()
    return len(pairs)


def _insert_returns(quarter: Quarter, pairs, by_dps, settings, now: datetime) -> list[QuarterlyReturn]:
    """The returns and their answers, one INSERT statement per table however many there are (the ORM would send
    one a row, to learn each row's id)."""
    db.session.execute(sa.insert(QuarterlyReturn), [
        {"dps_id": dps_id, "provider_id": provider_id, "quarter": quarter.key, "requested_at": now,
         "due_on": due_on(quarter, settings[dps_id].due_days)} for dps_id, provider_id in pairs])
    wanted = set(pairs)
    items = [item for item in db.session.scalars(
        sa.select(QuarterlyReturn).where(QuarterlyReturn.quarter == quarter.key,
                                         QuarterlyReturn.dps_id.in_({pair[0] for pair in pairs}),
                                         QuarterlyReturn.provider_id.in_({pair[1] for pair in pairs}))
        .order_by(QuarterlyReturn.dps_id, QuarterlyReturn.provider_id))
        if (item.dps_id, item.provider_id) in wanted]
    db.session.execute(sa.insert(ReturnAnswer), [
        {"return_id": item.id, "position": q.position, "question": q.text, "guidance": q.guidance,
         "answer_type": q.answer_type} for item in items for q in by_dps[item.dps_id]])
    return items


def _not_sent(kind: str):
    return ~sa.select(SentReminder.id).where(SentReminder.kind == kind,
                                             SentReminder.record_id == QuarterlyReturn.id).exists()


def _record_sent(kind: str, returns, now: datetime) -> None:
    db.session.execute(sa.insert(SentReminder), [{"kind": kind, "record_id": item.id, "sent_at": now}
                                                 for item in returns])


def remind_due(now: datetime) -> int:
    """Remind the provider of each return not yet submitted whose reminder day has come (and not past due)."""
    today = to_local(now).date()
    settings = dict(db.session.execute(sa.select(ReturnSettings.dps_id, ReturnSettings.reminder_days)).all())
    longest = max([DEFAULT_REMINDER_DAYS, *settings.values()])
    candidates = db.session.scalars(
        sa.select(QuarterlyReturn).where(QuarterlyReturn.submitted_at.is_(None), QuarterlyReturn.due_on >= today,
                                         QuarterlyReturn.due_on <= today + timedelta(days=longest),
                                         _not_sent(REMINDER))
        .options(selectinload(QuarterlyReturn.dps)).order_by(QuarterlyReturn.id)).all()
    due = [item for item in candidates
           if item.due_on - timedelta(days=settings.get(item.dps_id, DEFAULT_REMINDER_DAYS)) <= today]
    if not due:
        return 0
    users = _provider_users({item.provider_id for item in due})
    notices = []
    for item in due:
        quarter = parse(item.quarter)
        subject = f"Reminder: your quarterly return for {quarter.short_label} is due by {format_day(item.due_on)}"
        body = (f"Your return to {item.dps.name} for {quarter.label} is not yet submitted. It is due by "
                f"{format_day(item.due_on)}.")
        notices += [(user, subject, body, url_for("supplier.quarterly_return", return_id=item.id))
                    for user in users[item.provider_id]]
    mail.notify_many(notices, at=now)
    _record_sent(REMINDER, due, now)
    audit.record(at=now, actor=None, action="reminders.sent", entity=None,
                 summary=f"{len(due)} {REMINDER} reminders sent", after={"kind": REMINDER, "count": len(due)})
    db.session.commit()
    return len(due)


def overdue_due(now: datetime) -> int:
    """Tell each overdue return's provider, and its DPS's lead administrators (one message each), once."""
    today = to_local(now).date()
    due = db.session.scalars(
        sa.select(QuarterlyReturn).where(QuarterlyReturn.submitted_at.is_(None), QuarterlyReturn.due_on < today,
                                         _not_sent(OVERDUE))
        .options(selectinload(QuarterlyReturn.dps), selectinload(QuarterlyReturn.provider))
        .order_by(QuarterlyReturn.id)).all()
    if not due:
        return 0
    users = _provider_users({item.provider_id for item in due})
    notices = []
    lines = defaultdict(list)
    for item in due:
        quarter = parse(item.quarter)
        notices += [(user, f"Your quarterly return for {quarter.short_label} is overdue",
                     f"Your return to {item.dps.name} for {quarter.label} was due by {format_day(item.due_on)}. "
                     "Submit it in the portal now.", url_for("supplier.quarterly_return", return_id=item.id))
                    for user in users[item.provider_id]]
        lines[item.dps.lead_authority_id].append(
            f"- {item.provider.name}, {item.dps.reference} {quarter.short_label}: due {format_day(item.due_on)}")
    administrators = db.session.scalars(
        sa.select(User).join(UserRole).where(User.active.is_(True), UserRole.role == ADMINISTRATOR,
                                             User.organisation_id.in_(list(lines))).order_by(User.id)).unique()
    for admin in administrators:
        items = lines[admin.organisation_id]
        notices.append((admin, f"Quarterly returns overdue: {len(items)}",
                        "These providers' quarterly returns are overdue:\n" + "\n".join(items),
                        url_for("admin.overdue_returns")))
    mail.notify_many(notices, at=now)
    _record_sent(OVERDUE, due, now)
    audit.record(at=now, actor=None, action="reminders.sent", entity=None,
                 summary=f"{len(due)} {OVERDUE} notices sent", after={"kind": OVERDUE, "count": len(due)})
    db.session.commit()
    return len(due)


# Lists --------------------------------------------------------------------------------------------------------------

def overdue_query(dps_ids, today: date):
    """The overdue returns of the given DPSs, oldest due first: a select the administrator's list pages (and the
    contract managers' Tasks, in the next issue) paginate."""
    return (sa.select(QuarterlyReturn)
            .where(QuarterlyReturn.dps_id.in_(dps_ids), QuarterlyReturn.submitted_at.is_(None),
                   QuarterlyReturn.due_on < today)
            .options(selectinload(QuarterlyReturn.provider), selectinload(QuarterlyReturn.dps))
            .order_by(QuarterlyReturn.due_on, QuarterlyReturn.id))


def overdue_count(dps_ids, today: date) -> int:
    return db.session.scalar(sa.select(sa.func.count(QuarterlyReturn.id)).where(
        QuarterlyReturn.dps_id.in_(dps_ids), QuarterlyReturn.submitted_at.is_(None),
        QuarterlyReturn.due_on < today)) or 0


def returns_of_dps_query(dps: Dps, quarter: Quarter):
    return (sa.select(QuarterlyReturn)
            .where(QuarterlyReturn.dps_id == dps.id, QuarterlyReturn.quarter == quarter.key)
            .options(selectinload(QuarterlyReturn.provider))
            .order_by(QuarterlyReturn.submitted_at.is_not(None), QuarterlyReturn.id))


def provider_returns_query(provider_id: int):
    return (sa.select(QuarterlyReturn).where(QuarterlyReturn.provider_id == provider_id)
            .options(selectinload(QuarterlyReturn.dps))
            .order_by(QuarterlyReturn.submitted_at.is_not(None), QuarterlyReturn.due_on.desc(), QuarterlyReturn.id))


def outstanding_count(provider_id: int) -> int:
    """How many of the provider's returns are not yet submitted: for its dashboard."""
    return db.session.scalar(outstanding_counter(provider_id)) or 0


def outstanding_counter(provider_id: int):
    """The COUNT statement of outstanding_count, for the dashboard to run with its other counts."""
    return sa.select(sa.func.count(QuarterlyReturn.id)).where(
        QuarterlyReturn.provider_id == provider_id, QuarterlyReturn.submitted_at.is_(None))


def get_own(user: User, return_id: int) -> QuarterlyReturn:
    item = db.session.get(QuarterlyReturn, return_id)
    if item is None or item.provider_id != user.organisation_id:
        raise NotFound()
    return item


def get_for_lead(user: User, return_id: int) -> QuarterlyReturn:
    item = db.session.get(QuarterlyReturn, return_id)
    if item is None or item.dps.lead_authority_id != user.organisation_id:
        raise NotFound()
    return item


def return_for(dps_id: int, provider_id: int, quarter: Quarter) -> QuarterlyReturn | None:
    return db.session.scalar(
        sa.select(QuarterlyReturn).where(QuarterlyReturn.dps_id == dps_id, QuarterlyReturn.provider_id == provider_id,
                                         QuarterlyReturn.quarter == quarter.key)
        .options(selectinload(QuarterlyReturn.answers)))


# Answering ----------------------------------------------------------------------------------------------------------

def field_name(answer: ReturnAnswer) -> str:
    return f"answer_{answer.position}"


def _parsed(answer: ReturnAnswer, raw: str):
    """The answer's value from what was typed; raises DomainError on the answer's field."""
    raw = (raw or "").strip()
    if not answer.is_number:
        if len(raw) > MAX_TEXT:
            raise DomainError(f"Answer in {MAX_TEXT:,} characters or fewer", field=field_name(answer))
        return raw
    if not raw:
        return None
    try:
        value = Decimal(raw.replace(",", ""))
    except InvalidOperation:
        raise DomainError(f"Enter a number for \u201c{answer.question}\u201d, like 3 or 12.5",
                          field=field_name(answer)) from None
    if not value.is_finite() or value < 0 or value > MAX_NUMBER:
        raise DomainError(f"Enter a number of 0 or more for \u201c{answer.question}\u201d", field=field_name(answer))
    if value != value.quantize(Decimal("0.01")):
        raise DomainError("Give the number to 2 decimal places at most", field=field_name(answer))
    return value


def save(user: User, item: QuarterlyReturn, typed: dict[str, str], *, submit: bool, now: datetime) -> list:
    """Store the answers (all or nothing); with `submit`, every answer is needed and the return is then locked.
    Returns the errors as DomainErrors, one per answer, and stores nothing when there is any."""
    if item.is_submitted:
        raise DomainError("This return has been submitted: it can be read, not changed")
    errors, values = [], {}
    for answer in item.answers:
        try:
            value = _parsed(answer, typed.get(field_name(answer), ""))
        except DomainError as error:
            errors.append(error)
            continue
        if submit and value in (None, ""):
            errors.append(DomainError(f"Answer \u201c{answer.question}\u201d", field=field_name(answer)))
        values[answer.position] = value
    if errors:
        return errors
    for answer in item.answers:
        value = values[answer.position]
        if answer.is_number:
            answer.number_value = value
        else:
            answer.text_value = value
    item.updated_at = now
    quarter = parse(item.quarter)
    if submit:
        item.submitted_at, item.submitted_by_id = now, user.id
    answered = sum(1 for value in values.values() if value not in (None, ""))
    audit.record(at=now, actor=user, action="returns.submitted" if submit else "returns.saved", entity=item,
                 summary=f"Quarterly return for {quarter.short_label} {'submitted' if submit else 'saved'}",
                 after={"answered": answered, "questions": len(values)})
    db.session.commit()
    return []
