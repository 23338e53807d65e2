from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db


class OutboxMessage(db.Model):
    """An e-mail, written in the same transaction as the change it reports and sent afterwards."""

    __tablename__ = "outbox_message"
    __table_args__ = (
        Index("ix_outbox_message_sent_at", "sent_at"),
        # The outbox page, newest first: read in the index's order and stopped at a page, not sorted whole.
        Index("ix_outbox_message_created", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    to_address: Mapped[str] = mapped_column(String(254))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    # Left out of the administrators' outbox before this time (a bid's receipt, until the bid's deadline).
    sealed_until: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    # After a failed attempt the dispatcher waits until this time (exponential backoff).
    next_attempt_at: Mapped[datetime | None]
    # Given up after the last attempt; last_error says why. An administrator may send it again.
    failed_at: Mapped[datetime | None]
    # The dispatcher that is sending it, so that two schedulers never both send it.
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_at: Mapped[datetime | None]


class Notification(db.Model):
    """The in-portal copy of every e-mail sent to a user."""

    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_user_created", "user_id", "created_at"),
                      Index("ix_notification_user_unread", "user_id", "read_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime]
    read_at: Mapped[datetime | None]


class SchedulerLease(db.Model):
    """Which scheduler does the timed work, on a database without advisory locks (SQLite): the holder renews
    the lease each tick; another scheduler takes over once it has expired."""

    __tablename__ = "scheduler_lease"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    holder: Mapped[str] = mapped_column(String(100))
    expires_at: Mapped[datetime]
