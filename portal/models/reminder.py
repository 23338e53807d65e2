"""A record that a time-event message (a reminder, or an alert to an administrator) has been sent, so the
scheduler sends each one exactly once however often it runs."""

from datetime import datetime

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db


class SentReminder(db.Model):
    """One reminder of one kind about one record (a bid invitation, a placement, an application, a window)."""

    __tablename__ = "sent_reminder"
    __table_args__ = (UniqueConstraint("kind", "record_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    record_id: Mapped[int]
    sent_at: Mapped[datetime]
