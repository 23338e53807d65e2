"""Conversion between the stored UTC times and the local time (Europe/London) people use."""

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")


def to_local(utc: datetime | None) -> datetime | None:
    if utc is None:
        return None
    return utc.replace(tzinfo=UTC).astimezone(LONDON)


def uk_today(utc: datetime) -> date:
    """The day it is in the UK at the stored UTC time `utc` (from midnight to 1 am in summer, the UTC date is still
    the day before)."""
    return to_local(utc).date()


def to_utc(local: datetime) -> datetime:
    """A naive local (London) wall-clock time to a naive UTC time."""
    return local.replace(tzinfo=LONDON).astimezone(UTC).replace(tzinfo=None)


def local_datetime(day: date, at: time) -> datetime:
    return to_utc(datetime.combine(day, at))


def format_datetime(utc: datetime | None) -> str:
    local = to_local(utc)
    if local is None:
        return ""
    hour = local.strftime("%I").lstrip("0")
    return f"{local.day} {local:%B %Y} at {hour}:{local:%M}{local:%p}".replace("AM", "am").replace("PM", "pm")


def format_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = to_local(value)
    return f"{value.day} {value:%B %Y}"


def format_day(value: date | None) -> str:
    """A date with its weekday, as in "Tuesday 17 March 2026"."""
    if value is None:
        return ""
    return f"{value:%A} {value.day} {value:%B %Y}"
