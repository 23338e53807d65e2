"""The portal's clock. Every rule that depends on time asks the clock, never datetime.now().

Times are naive datetimes in UTC throughout the database and the domain layer; pages convert
them to Europe/London for people (see portal.timezone).
"""

from datetime import UTC, datetime, timedelta

from flask import current_app


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


class FrozenClock:
    """A clock that only moves when told to: for tests and demonstrations."""

    def __init__(self, at: datetime):
        self.at = at

    def now(self) -> datetime:
        return self.at

    def set(self, at: datetime) -> None:
        self.at = at

    def advance(self, **kwargs) -> datetime:
        self.at = self.at + timedelta(**kwargs)
        return self.at


def from_config(fixed_now: str):
    """The clock a deployment asks for: frozen at `fixed_now` (ISO 8601, read as UTC) when set, else the system's."""
    if not fixed_now:
        return SystemClock()
    at = datetime.fromisoformat(fixed_now)
    if at.tzinfo is not None:
        at = at.astimezone(UTC).replace(tzinfo=None)
    return FrozenClock(at)


def clock():
    return current_app.extensions["clock"]


def now() -> datetime:
    return clock().now()
