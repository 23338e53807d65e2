"""E-mail and in-portal notifications.

Every message is written to the outbox in the same transaction as the change it reports, with an
in-portal notification for its user. The scheduler's dispatcher sends the outbox through SMTP when
MAIL_SERVER is set; without it (development) the messages stay in the outbox, where an
administrator can read them.
"""

import re
import smtplib
from datetime import datetime, timedelta
from email.message import EmailMessage
from uuid import uuid4

from flask import current_app

from portal.errors import DomainError, NotFound
from portal.extensions import db
from portal.models import Invitation, Notification, OutboxMessage, User
from portal.services import audit, listing

MAX_ATTEMPTS = 5
# The wait after the first failed attempt, doubled after each: 5, 10, 20 and 40 minutes, then failed.
FIRST_RETRY = timedelta(minutes=5)
# Each run of the dispatcher sends at most this many batches of `limit` messages (1,000 a minute by default).
BATCHES_PER_RUN = 10
# A message claimed this long ago by a dispatcher that never finished (it stopped) is due again: longer than a
# batch of 100 can take at SMTP's 30-second timeout each, so a slow dispatcher is not overtaken.
CLAIM_EXPIRES = timedelta(hours=1)
LINK_TOKEN = re.compile(r"(/(?:reset-password|invitations)/)[^\s/?#]+")


def notify(user: User, *, subject: str, body: str, at: datetime, link: str | None = None,
           sealed_until: datetime | None = None) -> None:
    """E-mail a user and leave the same message in their notifications."""
    full_body = body
    if link:
        full_body = f"{body}\n\n{current_app.config['PORTAL_BASE_URL']}{link}"
    db.session.add(OutboxMessage(to_address=user.email, user_id=user.id, subject=subject,
                                 body=full_body, created_at=at,
                                 sealed_until=sealed_until))
    db.session.add(Notification(user_id=user.id, subject=subject, body=body, link=link, created_at=at))


def notify_many(notices: list[tuple[User, str, str, str | None]], *, at: datetime) -> None:
    """As `notify`, for many (user, subject, body, link) at once: two INSERT statements however many there are
    (for the scheduler's reminders)."""
    if not notices:
        return
    base = current_app.config["PORTAL_BASE_URL"]
    db.session.execute(db.insert(OutboxMessage), [
        {"to_address": user.email, "user_id": user.id, "subject": subject, "created_at": at, "attempts": 0,
         "body": f"{body}\n\n{base}{link}" if link else body}
        for user, subject, body, link in notices])
    db.session.execute(db.insert(Notification), [
        {"user_id": user.id, "subject": subject, "body": body, "link": link, "created_at": at}
        for user, subject, body, link in notices])


def email_address(address: str, *, subject: str, body: str, at: datetime) -> None:
    """E-mail someone who has no account yet (an invitation, a password reset)."""
    db.session.add(OutboxMessage(to_address=address, subject=subject, body=body, created_at=at))


def dispatch_outbox(now: datetime, limit: int = 100, batches: int = BATCHES_PER_RUN) -> int:
    """Send the messages that are due through SMTP, `limit` at a time, up to `batches` times (fewer if a batch
    sends nothing: the server is down). Returns how many were sent. Safe to run repeatedly, and from two
    schedulers at once: each claims its messages (committed) before sending them, so none is sent twice.

    A failed attempt is tried again after FIRST_RETRY, then twice as long each time; after MAX_ATTEMPTS the
    message is marked failed with the reason, for an administrator to send again."""
    config = current_app.config
    if not config.get("MAIL_SERVER"):
        return 0
    dispatcher, sent = uuid4().hex, 0
    for _batch in range(batches):
        claimed = _claim_due(now, dispatcher=dispatcher, limit=limit)
        if not claimed:
            break
        sent_now = _send_batch(claimed, now, config)
        sent += sent_now
        if not sent_now:
            break
    return sent


def _send_batch(claimed: list[OutboxMessage], now: datetime, config) -> int:
    try:
        smtp = _connect(config)
    except (OSError, smtplib.SMTPException) as error:
        # The server's fault, not the messages': they wait for the next run without losing an attempt.
        _release(claimed, f"Could not reach the mail server: {_reason(error)}")
        return 0
    sent = 0
    with smtp:
        for number, message in enumerate(claimed):
            try:
                sent += _send(smtp, message, now, config["MAIL_SENDER"])
            except smtplib.SMTPServerDisconnected as error:
                _release(claimed[number:], f"The mail server closed the connection: {_reason(error)}")
                break
            db.session.commit()
    return sent


def _release(messages: list[OutboxMessage], reason: str) -> None:
    """Give claimed messages back, unsent and with no attempt counted, for the next run."""
    for message in messages:
        message.claimed_by = None
        message.last_error = reason
    db.session.commit()


def _reason(error: Exception) -> str:
    """What the mail server said, as a person can read it."""
    def said(code, text) -> str:
        text = text.decode(errors="replace") if isinstance(text, bytes) else str(text)
        return f"{code} {text}".strip()

    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return "; ".join(f"{address}: {said(code, text)}" for address, (code, text) in error.recipients.items())
    if isinstance(error, smtplib.SMTPResponseException):
        return said(error.smtp_code, error.smtp_error)
    return str(error) or type(error).__name__


def _due(now: datetime):
    """The conditions of a message the dispatcher may take now."""
    return (OutboxMessage.sent_at.is_(None), OutboxMessage.failed_at.is_(None),
            db.or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= now),
            db.or_(OutboxMessage.claimed_by.is_(None), OutboxMessage.claimed_at < now - CLAIM_EXPIRES))


def _claim_due(now: datetime, *, dispatcher: str, limit: int) -> list[OutboxMessage]:
    """Mark up to `limit` due messages as this dispatcher's and commit, then load them. The UPDATE repeats the
    conditions, so a message another dispatcher claimed in the meantime is left to it."""
    ids = db.session.scalars(db.select(OutboxMessage.id).where(*_due(now))
                             .order_by(OutboxMessage.id).limit(limit)).all()
    if not ids:
        return []
    db.session.execute(db.update(OutboxMessage).where(OutboxMessage.id.in_(ids), *_due(now))
                       .values(claimed_by=dispatcher, claimed_at=now)
                       .execution_options(synchronize_session=False))
    db.session.commit()
    return db.session.scalars(db.select(OutboxMessage).where(OutboxMessage.claimed_by == dispatcher,
                                                             OutboxMessage.sent_at.is_(None))
                              .order_by(OutboxMessage.id)).all()


def _connect(config) -> smtplib.SMTP:
    smtp = smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=30)
    try:
        if config["MAIL_USE_TLS"]:
            smtp.starttls()
        if config["MAIL_USERNAME"]:
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
    except Exception:
        smtp.close()
        raise
    return smtp


def _send(smtp: smtplib.SMTP, message: OutboxMessage, now: datetime, sender: str) -> int:
    """Try to send one claimed message: 1 if it went."""
    email = EmailMessage()
    email["From"] = sender
    email["To"] = message.to_address
    email["Subject"] = message.subject
    email.set_content(message.body)
    try:
        smtp.send_message(email)
    except smtplib.SMTPServerDisconnected:
        raise  # the connection's fault, not this message's
    except (OSError, smtplib.SMTPException) as error:
        _attempt_failed(message, now, _reason(error))
        return 0
    message.attempts += 1
    message.sent_at = now
    message.next_attempt_at = None
    message.claimed_by = None
    return 1


def _attempt_failed(message: OutboxMessage, now: datetime, reason: str) -> None:
    """Count a failed attempt: wait longer before the next, or give up after the last."""
    message.attempts += 1
    message.last_error = reason
    message.claimed_by = None
    if message.attempts < MAX_ATTEMPTS:
        message.next_attempt_at = now + FIRST_RETRY * 2 ** (message.attempts - 1)
        return
    message.next_attempt_at = None
    message.failed_at = now
    audit.record(at=now, actor=None, action="mail.failed", entity=message, sealed_until=message.sealed_until,
                 summary=f"E-mail to {message.to_address} failed after {message.attempts} attempts: {reason}")


def send_again(admin: User, message: OutboxMessage, now: datetime) -> None:
    """An administrator asks for a failed message to be sent again: the dispatcher takes it at its next run,
    with all its attempts."""
    if message.failed_at is None:
        raise DomainError("Only an e-mail that failed can be sent again.")
    before = {"failed_at": message.failed_at, "attempts": message.attempts, "last_error": message.last_error}
    message.failed_at = None
    message.next_attempt_at = None
    message.attempts = 0
    message.claimed_by = None
    audit.record(at=now, actor=admin, action="mail.sent_again", entity=message, before=before,
                 after={"attempts": 0}, sealed_until=message.sealed_until,
                 summary=f"E-mail to {message.to_address} sent again: {message.subject}")
    db.session.commit()


def outbox_message_of(message_id: int, *, lead_id: int, authority_ids: list[int], now: datetime) -> OutboxMessage:
    """One message of the outbox as `outbox_of` lets an administrator read it, or NotFound."""
    message = db.session.scalar(outbox_of(lead_id=lead_id, authority_ids=authority_ids, now=now)
                                .where(OutboxMessage.id == message_id))
    if message is None:
        raise NotFound()
    return message


# The outbox sorts by these keys only.
OUTBOX_SORTS = listing.SortKeys({
    "written": [OutboxMessage.created_at],
    "recipient": [db.func.lower(OutboxMessage.to_address)],
    "subject": [db.func.lower(OutboxMessage.subject)],
}, default="written", default_descending=True, tie_breaker=[OutboxMessage.id], newest_first=["written"])


def outbox_of(*, lead_id: int, authority_ids: list[int], now: datetime, search: str = "",
              sorting: listing.Sorting | None = None, problems_only: bool = False):
    """The outbox as an administrator of the lead authority may read it, newest first unless sorted otherwise
    (OUTBOX_SORTS), searched by recipient or subject: messages to people of the consortium's authorities and of
    the providers linked to its DPSs, and invitations to join them. `problems_only`: those not sent that have failed
    at least once (what a live portal shows)."""
    from portal.services.providers import linked_provider_ids

    sorting = sorting or OUTBOX_SORTS.choose(None, None)
    providers = linked_provider_ids(lead_id)
    people = db.select(User.email).where(db.or_(User.organisation_id.in_(authority_ids),
                                                 User.organisation_id.in_(providers)))
    invited = db.select(Invitation.email).where(db.or_(Invitation.organisation_id.in_(authority_ids),
                                                       Invitation.organisation_id.in_(providers)))
    query = (db.select(OutboxMessage)
             .where(db.or_(OutboxMessage.to_address.in_(people), OutboxMessage.to_address.in_(invited)))
             .where(db.or_(OutboxMessage.sealed_until.is_(None), OutboxMessage.sealed_until <= now))
             .order_by(*OUTBOX_SORTS.order_by(sorting)))
    if problems_only:
        query = query.where(OutboxMessage.sent_at.is_(None), OutboxMessage.last_error.is_not(None))
    search = listing.cleaned(search)
    if search:
        query = query.where(listing.matching(search, [OutboxMessage.to_address, OutboxMessage.subject]))
    return query


def masked(body: str) -> str:
    """The body with the secret of every password-reset and invitation link replaced by "…"."""
    return LINK_TOKEN.sub(r"\1…", body)


def unread_count(user: User) -> int:
    return db.session.scalar(unread_counter(user))


def unread_counter(user: User):
    """The COUNT of the user's unread notifications, for the menu to run with its other counts."""
    return db.select(db.func.count(Notification.id)).where(Notification.user_id == user.id,
                                                           Notification.read_at.is_(None))
