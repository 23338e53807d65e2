"""Entry windows: scheduling by cadence, opening and closing on time, reminders, and the
administrator's early opening, extension and early closing.

No window is scheduled or opened while its DPS's set-up is incomplete (dps_setup.setup_problems): the
administrator is refused with the reason, and the scheduler tells the lead authority's administrators
instead, holding a window that falls due until the set-up is complete.

`run_due` is the one time-events handler: the scheduler calls it every minute and at start-up,
tests call it with a moved clock. It is idempotent and catches up on whatever fell due while
nothing ran.
"""

import calendar
import logging
from datetime import datetime, timedelta

from flask import url_for

from portal.errors import DomainError
from portal.extensions import db
from portal.models import Application, Dps, EntryWindow, Organisation, ProviderContract, SentReminder, User, UserRole
from portal.models.application import SUBMITTED
from portal.models.organisation import PROVIDER
from portal.models.user import ADMINISTRATOR
from portal.services import audit, dps_setup, mail
from portal.timezone import format_datetime, to_local, to_utc
from portal.workdays import decision_due_date

log = logging.getLogger(__name__)


def add_months(utc: datetime, months: int) -> datetime:
    """The same London wall-clock time, `months` later (clamped to the month's last day)."""
    local = to_local(utc).replace(tzinfo=None)
    month_index = local.month - 1 + months
    year, month = local.year + month_index // 12, month_index % 12 + 1
    day = min(local.day, calendar.monthrange(year, month)[1])
    return to_utc(local.replace(year=year, month=month, day=day))


def add_days(utc: datetime, days: int) -> datetime:
    """The same London wall-clock time, `days` later (across clock changes)."""
    local = to_local(utc).replace(tzinfo=None)
    return to_utc(local + timedelta(days=days))


def windows_of(dps: Dps) -> list[EntryWindow]:
    return db.session.scalars(
        db.select(EntryWindow).where(EntryWindow.dps_id == dps.id).order_by(EntryWindow.opens_at)
    ).all()


def open_window(dps: Dps, now: datetime) -> EntryWindow | None:
    return next((w for w in windows_of(dps) if w.is_open(now)), None)


def next_window(dps: Dps, now: datetime) -> EntryWindow | None:
    return next((w for w in windows_of(dps) if w.opens_at > now), None)


def _state(window: EntryWindow) -> dict:
    return {"opens_at": window.opens_at, "closes_at": window.closes_at}


def _check_no_overlap(dps: Dps, opens_at: datetime, closes_at: datetime | None, ignore: EntryWindow | None) -> None:
    for other in windows_of(dps):
        if other is ignore:
            continue
        other_closes = other.closes_at or datetime.max
        this_closes = closes_at or datetime.max
        if opens_at < other_closes and other.opens_at < this_closes:
            raise DomainError(
                f"{other.label} runs from {format_datetime(other.opens_at)}"
                f"{' to ' + format_datetime(other.closes_at) if other.closes_at else ''}: windows cannot overlap"
            )


def schedule_window(dps: Dps, *, opens_at: datetime, closes_at: datetime | None, now: datetime,
                    actor: User | None) -> EntryWindow:
    if closes_at is not None and closes_at <= opens_at:
        raise DomainError("The window must close after it opens", field="closes_at")
    if closes_at is not None and closes_at <= now:
        raise DomainError("The closing time must be in the future", field="closes_at")
    if dps.is_continuous and closes_at is not None:
        raise DomainError("This DPS is continuously open: its window has no closing time", field="closes_at")
    _check_no_overlap(dps, opens_at, closes_at, ignore=None)
    _check_setup_complete(dps, dps.current_question_set)
    number = max((w.number for w in windows_of(dps)), default=0) + 1
    window = EntryWindow(dps=dps, question_set=dps.current_question_set, number=number, opens_at=opens_at,
                         closes_at=closes_at, created_at=now)
    db.session.add(window)
    db.session.flush()
    audit.record(at=now, actor=actor, action="window.scheduled", entity=window,
                 summary=f"{dps.reference} {window.label} scheduled", after=_state(window))
    return window


def _check_setup_complete(dps: Dps, question_set) -> None:
    problems = dps_setup.setup_problems(dps, question_set)
    if problems:
        raise DomainError(dps_setup.setup_incomplete_message(dps, problems) + " Complete it first.")


def _opening_question_set(window: EntryWindow):
    """The version of the questions the window will open with (see _announce_opening)."""
    if window.question_set.locked_at is None:
        return window.dps.current_question_set
    return window.question_set


def opening_problems(window: EntryWindow, now: datetime) -> list[str]:
    """What keeps a window that has not opened yet from opening (empty once it has opened or closed)."""
    if window.opened_at is not None or window.status(now) == "closed":
        return []
    return dps_setup.setup_problems(window.dps, _opening_question_set(window))


def administrators_of(dps: Dps) -> list[User]:
    return db.session.scalars(
        db.select(User).join(UserRole).where(User.organisation_id == dps.lead_authority_id, User.active.is_(True),
                                             UserRole.role == ADMINISTRATOR).order_by(User.id)).all()


def _tell_administrators_once(dps: Dps, *, kind: str, record_id: int, subject: str, body: str,
                              now: datetime) -> bool:
    """Tell the lead authority's administrators, unless they have already been told about this record."""
    if db.session.scalar(db.select(SentReminder.id).where(SentReminder.kind == kind,
                                                          SentReminder.record_id == record_id)) is not None:
        return False
    db.session.add(SentReminder(kind=kind, record_id=record_id, sent_at=now))
    link = url_for("admin.dps_detail", dps_id=dps.id)
    for admin in administrators_of(dps):
        mail.notify(admin, at=now, link=link, subject=subject, body=body)
    return True


def schedule_first_window(admin: User, dps: Dps, *, opens_at: datetime, now: datetime) -> EntryWindow:
    if windows_of(dps):
        raise DomainError("This DPS already has windows: later ones follow its cadence")
    if opens_at < now - timedelta(minutes=5):
        raise DomainError("The opening time must not be in the past", field="opens_at")
    closes_at = None if dps.is_continuous else add_days(opens_at, dps.window_length_days)
    window = schedule_window(dps, opens_at=opens_at, closes_at=closes_at, now=now, actor=admin)
    db.session.commit()
    return window


def ensure_next_window(dps: Dps, now: datetime) -> EntryWindow | None:
    """Schedule the window after the latest one, by the DPS's cadence, once the latest has opened."""
    if dps.is_continuous:
        return None
    existing = windows_of(dps)
    if not existing or existing[-1].opens_at > now:
        return None
    # Count cadences from the first window, so month-end clamping never drifts (31 Jan, 28 Feb, 31 Mar),
    # and skip any window that would have come and gone while nothing ran.
    anchor, latest = existing[0].opens_at, existing[-1]
    step = 1
    while True:
        opens_at = add_months(anchor, dps.cadence_months * step)
        closes_at = add_days(opens_at, dps.window_length_days)
        if to_local(opens_at).date() >= dps.end_date:
            return None
        if opens_at > latest.opens_at and closes_at > now:
            break
        step += 1
    if existing[-1].closes_at is None or existing[-1].closes_at > opens_at:
        return None  # the latest window was extended into the next one's slot; schedule after it closes
    problems = dps_setup.setup_problems(dps, dps.current_question_set)
    if problems:
        _tell_administrators_once(
            dps, kind="window.not_scheduled", record_id=latest.id, now=now,
            subject=f"{dps.name}: the next window cannot be scheduled",
            body=f"The next window of {dps.name} ({dps.reference}) is due to open on {format_datetime(opens_at)}, "
                 f"but it has not been scheduled. {dps_setup.setup_incomplete_message(dps, problems)} "
                 "It will be scheduled once the set-up is complete.")
        return None
    return schedule_window(dps, opens_at=opens_at, closes_at=closes_at, now=now, actor=None)


# Announcements ---------------------------------------------------------------------------------

def _provider_users(dps_id: int | None = None) -> list[User]:
    """Active provider users; given a DPS, not of providers whose contract on it is terminated."""
    query = (db.select(User).join(Organisation).where(Organisation.kind == PROVIDER, User.active.is_(True)))
    if dps_id is not None:
        query = query.where(Organisation.id.not_in(db.select(ProviderContract.provider_id).where(
            ProviderContract.dps_id == dps_id, ProviderContract.terminated_at.is_not(None))))
    return db.session.scalars(query.order_by(User.id)).all()


def _users_of_providers_without_submission(window: EntryWindow) -> list[User]:
    submitted = set(db.session.scalars(
        db.select(Application.provider_id).where(Application.window_id == window.id, Application.status == SUBMITTED)))
    return [user for user in _provider_users(window.dps_id) if user.organisation_id not in submitted]


def _users_with_draft(window: EntryWindow) -> list[User]:
    drafts = set(db.session.scalars(
        db.select(Application.provider_id).where(Application.window_id == window.id, Application.status != SUBMITTED)))
    return [user for user in _provider_users() if user.organisation_id in drafts]


def _announce_opening(window: EntryWindow, now: datetime, actor: User | None, reason: str = "",
                      before: dict | None = None) -> None:
    dps = window.dps
    window.opened_at = now
    # The questions of the opening window are fixed from now on.
    if window.question_set is not dps.current_question_set and window.question_set.locked_at is None:
        window.question_set = dps.current_question_set
    if window.question_set.locked_at is None:
        window.question_set.locked_at = now
    closes = f"It closes on {format_datetime(window.closes_at)}." if window.closes_at else "It stays open."
    link = url_for("supplier.dashboard")
    body = f"{window.label} of {dps.name} ({dps.reference}) opened on {format_datetime(window.opens_at)}. {closes}"
    mail.notify_many([(user, f"{dps.name} is open for applications", body, link)
                      for user in _provider_users(dps.id)], at=now)
    audit.record(at=now, actor=actor, action="window.opened", entity=window,
                 summary=f"{dps.reference} {window.label} opened" + (f" early: {reason}" if reason else ""),
                 before=before, after={**_state(window), "question_set": window.question_set.version})


def _announce_closing(window: EntryWindow, now: datetime, actor: User | None, reason: str = "",
                      before: dict | None = None) -> None:
    dps = window.dps
    if window.opened_at is None and window.setup_held_at is None:
        # It opened and closed while nothing ran: record the opening, too late to invite anyone.
        window.opened_at = now
        if window.question_set.locked_at is None:
            window.question_set.locked_at = now
    window.closed_at = now
    body = (f"{window.label} of {dps.name} closed on {format_datetime(window.closes_at)}. "
            "Your draft application was not submitted; it is kept, but can no longer be submitted.")
    mail.notify_many([(user, f"{dps.name}: the window has closed", body, url_for("supplier.dashboard"))
                      for user in _users_with_draft(window)], at=now)
    audit.record(at=now, actor=actor, action="window.closed", entity=window,
                 summary=f"{dps.reference} {window.label} closed" + (f" early: {reason}" if reason else ""),
                 before=before, after=_state(window))


def _send_reminder(window: EntryWindow, now: datetime) -> None:
    dps = window.dps
    window.reminder_sent_at = now
    subject = f"{dps.name}: the window closes on {format_datetime(window.closes_at)}"
    body = (f"{window.label} of {dps.name} closes on {format_datetime(window.closes_at)}. "
            "Applications must be submitted before then.")
    mail.notify_many([(user, subject, body, url_for("supplier.dashboard"))
                      for user in _users_of_providers_without_submission(window)], at=now)
    audit.record(at=now, actor=None, action="window.reminder_sent", entity=window,
                 summary=f"{dps.reference} {window.label}: closing reminder sent")


def run_due(now: datetime) -> list[str]:
    """Do whatever has fallen due. Returns a line for each thing done, for the scheduler's log.

    Each window and each DPS is done and committed on its own: one that fails is rolled back and logged,
    and the others still run."""
    done = []
    due = db.session.execute(
        db.select(EntryWindow.id, Dps.reference, EntryWindow.number).join(Dps, Dps.id == EntryWindow.dps_id)
        .where(EntryWindow.closed_at.is_(None), EntryWindow.opens_at <= now).order_by(EntryWindow.opens_at)
    ).all()
    for window_id, reference, number in due:
        done += _on_its_own(f"{reference} Window {number}", _window_due, window_id, now)
    for dps_id, reference in db.session.execute(
        db.select(Dps.id, Dps.reference).where(Dps.cadence_months.is_not(None)).order_by(Dps.id)
    ).all():
        done += _on_its_own(reference, _cadence_due, dps_id, now)
    return done


def _on_its_own(what: str, work, record_id: int, now: datetime) -> list[str]:
    try:
        done = work(record_id, now)
        db.session.commit()
    except Exception:
        db.session.rollback()
        log.exception("Time events of %s failed and were rolled back; the others carry on", what)
        return []
    return done


def _window_due(window_id: int, now: datetime) -> list[str]:
    window = db.session.get(EntryWindow, window_id)
    done = []
    if window.opened_at is None and (window.closes_at is None or now < window.closes_at):
        problems = dps_setup.setup_problems(window.dps, _opening_question_set(window))
        if problems:
            if window.setup_held_at is None:
                _hold(window, problems, now)
                done.append(f"held {window.dps.reference} {window.label}: set-up incomplete")
            return done
        _announce_opening(window, now, actor=None)
        done.append(f"opened {window.dps.reference} {window.label}")
    if window.closes_at is not None and window.closes_at <= now:
        _announce_closing(window, now, actor=None)
        done.append(f"closed {window.dps.reference} {window.label}")
    elif (window.closes_at is not None and window.reminder_sent_at is None and window.opened_at is not None
          and window.closes_at - timedelta(days=window.dps.reminder_days) <= now):
        _send_reminder(window, now)
        done.append(f"reminded {window.dps.reference} {window.label}")
    return done


def _hold(window: EntryWindow, problems: list[str], now: datetime) -> None:
    """Keep the window from opening and tell the administrators why (once: `setup_held_at` records it)."""
    dps = window.dps
    window.setup_held_at = now
    _tell_administrators_once(
        dps, kind="window.held", record_id=window.id, now=now,
        subject=f"{dps.name}: {window.label} has not opened",
        body=f"{window.label} of {dps.name} ({dps.reference}) was due to open on {format_datetime(window.opens_at)}. "
             f"It has not opened and providers have not been told. {dps_setup.setup_incomplete_message(dps, problems)} "
             "It opens as soon as the set-up is complete.")
    audit.record(at=now, actor=None, action="window.held", entity=window,
                 summary=f"{dps.reference} {window.label} not opened: the set-up is incomplete",
                 after={"problems": problems})


def _cadence_due(dps_id: int, now: datetime) -> list[str]:
    dps = db.session.get(Dps, dps_id)
    window = ensure_next_window(dps, now)
    return [f"scheduled {dps.reference} {window.label}"] if window is not None else []


# The administrator's actions -------------------------------------------------------------------

def _require_reason(reason: str) -> str:
    if not reason.strip():
        raise DomainError("Give a reason: providers and auditors will see it", field="reason")
    return reason.strip()


def open_early(admin: User, window: EntryWindow, *, reason: str, now: datetime) -> None:
    reason = _require_reason(reason)
    if window.status(now) != "scheduled":
        raise DomainError(f"{window.label} is not waiting to open, so it cannot be opened early")
    _check_setup_complete(window.dps, _opening_question_set(window))
    _check_no_overlap(window.dps, now, window.closes_at, ignore=window)
    before = _state(window)
    window.opens_at = now
    _announce_opening(window, now, actor=admin, reason=reason, before=before)
    db.session.commit()


def extend(admin: User, window: EntryWindow, *, closes_at: datetime, reason: str, now: datetime) -> None:
    reason = _require_reason(reason)
    if not window.is_open(now) or window.closes_at is None:
        raise DomainError(f"Only an open window with a closing time can be extended; {window.label} is "
                          f"{window.status_label(now).lower()}")
    if closes_at <= window.closes_at:
        raise DomainError(f"The new closing time must be after the current one, {format_datetime(window.closes_at)}",
                          field="closes_at")
    _check_no_overlap(window.dps, window.opens_at, closes_at, ignore=window)
    before = _state(window)
    window.closes_at = closes_at
    if window.reminder_sent_at is not None and closes_at - timedelta(days=window.dps.reminder_days) > now:
        window.reminder_sent_at = None  # remind again before the new close
    for user in _users_of_providers_without_submission(window):
        mail.notify(user, at=now, link=url_for("supplier.dashboard"),
                    subject=f"{window.dps.name}: the window now closes on {format_datetime(closes_at)}",
                    body=f"{window.label} of {window.dps.name} has been extended: it now closes on "
                         f"{format_datetime(closes_at)}. Reason: {reason}")
    audit.record(at=now, actor=admin, action="window.extended", entity=window,
                 summary=f"{window.dps.reference} {window.label} extended: {reason}", before=before,
                 after=_state(window))
    db.session.commit()


def close_early(admin: User, window: EntryWindow, *, reason: str, now: datetime) -> None:
    reason = _require_reason(reason)
    if not window.is_open(now):
        raise DomainError(f"{window.label} is not open, so it cannot be closed")
    before = _state(window)
    window.closes_at = now
    _announce_closing(window, now, actor=admin, reason=reason, before=before)
    db.session.commit()


def reminder_due_at(window: EntryWindow) -> datetime | None:
    """When the closing reminder falls due, or None for a window that never closes."""
    if window.closes_at is None:
        return None
    return window.closes_at - timedelta(days=window.dps.reminder_days)


def reminder_text(window: EntryWindow, now: datetime) -> str:
    """The closing reminder as the window's page states it: sent, due, or not sent because the window closed."""
    if window.reminder_sent_at is not None:
        return f"Sent {format_datetime(window.reminder_sent_at)}"
    due_at = reminder_due_at(window)
    if due_at is None:
        return "None: the window stays open"
    if window.status(now) == "closed":
        return "Not sent: the window has closed"
    return f"Due {format_datetime(max(due_at, window.opens_at))}"


def decisions_due_on(window: EntryWindow):
    """The day decisions on the window's applications are due when no clarification question paused their clock,
    or None for a window that never closes (each application's clock starts when it arrives)."""
    if window.closes_at is None:
        return None
    return decision_due_date(window.closes_at, window.dps.decision_working_days, window.closes_at)


def open_and_next_by_dps(dps_ids: list[int], now: datetime) -> dict[int, tuple]:
    """For each DPS: (its open window or None, its next scheduled window or None), in one query."""
    result = {dps_id: (None, None) for dps_id in dps_ids}
    for window in db.session.scalars(
        db.select(EntryWindow).where(EntryWindow.dps_id.in_(dps_ids)).order_by(EntryWindow.opens_at)
    ).all():
        current, upcoming = result[window.dps_id]
        if window.is_open(now):
            current = window
        elif window.opens_at > now and upcoming is None:
            upcoming = window
        result[window.dps_id] = (current, upcoming)
    return result
