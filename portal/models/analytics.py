from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db


class AnalyticsSnapshot(db.Model):
    """One analytics page's figures as computed at `computed_at` for one scope (whose, which quarters, which lot),
    so the page reads them in one statement instead of aggregating every placement, referral and bid on each
    request (portal.services.analytics_snapshots)."""

    __tablename__ = "analytics_snapshot"

    id: Mapped[int] = mapped_column(primary_key=True)
    scope_key: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 of `scope`
    scope: Mapped[str] = mapped_column(Text)  # JSON: what to compute again
    figures: Mapped[str] = mapped_column(Text)  # JSON: every figure of the page
    computed_at: Mapped[datetime]
    wanted_at: Mapped[datetime] = mapped_column(index=True)  # last read (to the hour): the scheduler refreshes these
