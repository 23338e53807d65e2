from datetime import datetime

from sqlalchemy import ForeignKey, Index, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db

SCHEDULED = "scheduled"
OPEN = "open"
CLOSED = "closed"
STATUS_LABELS = {SCHEDULED: "Scheduled", OPEN: "Open", CLOSED: "Closed"}


class EntryWindow(db.Model):
    """A period in which providers may apply to join a DPS.

    Whether it is open is derived from its planned times alone, so it can never disagree with
    them. `opened_at` and `closed_at` record that the opening and closing were announced (by the
    scheduler or an administrator); they do not decide anything. The one exception is `setup_held_at`:
    when the scheduler found the DPS's set-up incomplete at the opening time, the window waits (still
    "scheduled") until the set-up is complete and the scheduler opens it, or until its closing time.
    """

    __tablename__ = "entry_window"
    __table_args__ = (
        UniqueConstraint("dps_id", "number"),
        Index("ix_entry_window_dps_opens", "dps_id", "opens_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dps_id: Mapped[int] = mapped_column(ForeignKey("dps.id"))
    question_set_id: Mapped[int] = mapped_column(ForeignKey("question_set.id"), index=True)
    number: Mapped[int]
    opens_at: Mapped[datetime]
    closes_at: Mapped[datetime | None] = mapped_column(index=True)  # None: continuously open
    opened_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    reminder_sent_at: Mapped[datetime | None]
    setup_held_at: Mapped[datetime | None]  # not opened at its time: the DPS's set-up was incomplete
    outcomes_published_at: Mapped[datetime | None]
    outcomes_published_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime]

    dps = relationship("Dps")
    question_set = relationship("QuestionSet")

    def status(self, now: datetime) -> str:
        if now < self.opens_at:
            return SCHEDULED
        if self.closes_at is not None and now >= self.closes_at:
            return CLOSED
        if self.is_held:
            return SCHEDULED
        return OPEN

    @property
    def is_held(self) -> bool:
        """Waiting for the DPS's set-up to be completed before it opens."""
        return self.setup_held_at is not None and self.opened_at is None

    def is_open(self, now: datetime) -> bool:
        return self.status(now) == OPEN

    def status_label(self, now: datetime) -> str:
        return STATUS_LABELS[self.status(now)]

    @property
    def label(self) -> str:
        return f"Window {self.number}"
