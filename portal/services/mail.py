"""E-mail and in-portal notifications.

Every message is written to the outbox in the same transaction as the change it reports, with an
in-portal notification for its user. The scheduler's dispatcher sends the outbox through SMTP when
MAIL_SERVER is set; without it (development) the messages stay in the outbox, where an
administrator can read them.
"""

import re
import smtplib
from datetime import datetime
from email.message import EmailMessage

from flask import current_app

from portal.extensions import db
from portal.models import Invitation, Notification, OutboxMessage, User
from portal.services import listing

MAX_ATTEMPTS = 5
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


def dispatch_outbox(now: datetime, limit: int = 100) -> int:
    """Send unsent messages through SMTP. Returns how many were sent. Safe to run repeatedly."""
    config = current_app.config
    if not config.get("MAIL_SERVER"):
        return 0
    pending = db.session.scalars(
        db.select(OutboxMessage)
        .where(OutboxMessage.sent_at.is_(None), OutboxMessage.attempts < MAX_ATTEMPTS)
        .order_by(OutboxMessage.id).limit(limit)
    ).all()
    sent = 0
    if not pending:
        return 0
    with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=30) as smtp:
        if config["MAIL_USE_TLS"]:
            smtp.starttls()
        if config["MAIL_USERNAME"]:
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        for message in pending:
            email = EmailMessage()
            email["From"] = config["MAIL_SENDER"]
            email["To"] = message.to_address
            email["Subject"] = message.subject
            email.set_content(message.body)
            message.attempts += 1
            try:
                smtp.send_message(email)
            except smtplib.SMTPException as error:
                message.last_error = str(error)
            else:
                message.sent_at = now
                sent += 1
            db.session.commit()
    return sent


# The outbox sorts by these keys only.
OUTBOX_SORTS = listing.SortKeys({
    "written": [OutboxMessage.created_at],
    "recipient": [db.func.lower(OutboxMessage.to_address)],
    "subject": [db.func.lower(OutboxMessage.subject)],
}, default="written", default_descending=True, tie_breaker=[OutboxMessage.id], newest_first=["written"])


def outbox_of(*, lead_id: int, authority_ids: list[int], now: datetime, search: str = "",
              sorting: listing.Sorting | None = None):
    """The outbox as an administrator of the lead authority may read it, newest first unless sorted otherwise
    (OUTBOX_SORTS), searched by recipient or subject: messages to people of the consortium's authorities and of
    the providers linked to its DPSs, and invitations to join them."""
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
