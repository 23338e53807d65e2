"""Records that keep signing in safe: server-side sessions, failed sign-ins per e-mail address, and the
counters behind the rate limits, shared by every web worker through the database."""

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db


class UserSession(db.Model):
    """A signed-in browser. The cookie carries a random token; we keep only its SHA-256, so a copy of this
    table cannot be replayed as a cookie. Signing out deletes the row."""

    __tablename__ = "user_session"
    __table_args__ = (
        Index("ix_user_session_last_seen_at", "last_seen_at"),
        Index("ix_user_session_created_at", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]


class SignInAddress(db.Model):
    """Failed sign-ins for one e-mail address, whether or not it has an account, so that the lock-out
    looks the same for both. Keyed by the SHA-256 of the normalised address."""

    __tablename__ = "sign_in_address"
    __table_args__ = (Index("ix_sign_in_address_last_failed_at", "last_failed_at"),)

    address_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    failed_sign_ins: Mapped[int] = mapped_column(default=0)
    last_failed_at: Mapped[datetime]
    locked_until: Mapped[datetime | None]


class RateLimitCounter(db.Model):
    """One fixed-window rate-limit counter (see portal.rate_limits). Expiry is a Unix time, as the limits
    library counts time."""

    __tablename__ = "rate_limit_counter"
    __table_args__ = (Index("ix_rate_limit_counter_expires_at", "expires_at"),)

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    hits: Mapped[int]
    expires_at: Mapped[float] = mapped_column(Float)
