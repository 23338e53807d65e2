"""English working days, and the decision clock counted in them.

A working day is a Monday to Friday that is not a bank holiday in England (England and Wales share
them). The bank holidays come from the ``holidays`` package, which includes the substitute days when
Christmas, Boxing Day or New Year's Day fall at a weekend and the one-off days (the Platinum Jubilee
and the Queen's state funeral in 2022, the coronation in 2023). One-off days announced after the
installed version of the package was released are not known to it: keep the package up to date.

The decision clock counts the working days after an entry window closed. A working day during which a
clarification question was open for any part of the day is not counted (``working_days_elapsed``), and
the decision is due on the day the count reaches the DPS's deadline (``decision_due_date``).

Times are naive UTC datetimes (the project's convention); days are London days (portal.timezone).
"""

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from functools import lru_cache

import holidays

from portal.timezone import local_datetime, to_local

# The rule for clarification questions, as the pages state it.
PAUSE_RULE = "A working day during which a clarification question was open for any part of the day is not counted."

SATURDAY = 5
# The holidays package's code for England within the United Kingdom ("GB").
COUNTRY, SUBDIVISION = "GB", "ENG"


@lru_cache(maxsize=64)
def bank_holidays(year: int) -> frozenset[date]:
    """England's bank holidays in the year, substitute days included."""
    return frozenset(holidays.country_holidays(COUNTRY, subdiv=SUBDIVISION, years=year))


def is_working_day(day: date) -> bool:
    """Monday to Friday and not a bank holiday in England."""
    _check_date(day)
    return day.weekday() < SATURDAY and day not in bank_holidays(day.year)


def add_working_days(day: date, n: int) -> date:
    """The date ``n`` working days after ``day`` (before it when ``n`` is negative; ``day`` itself when
    ``n`` is 0, working day or not). From Friday, 1 working day on is the next Monday (or the first
    working day after it)."""
    _check_date(day)
    step = timedelta(days=1 if n >= 0 else -1)
    remaining = abs(n)
    while remaining:
        day += step
        if is_working_day(day):
            remaining -= 1
    return day


def working_days_elapsed(start: datetime, end: datetime,
                         pauses: Iterable[tuple[datetime, datetime | None]] = ()) -> int:
    """The decision clock of the dynamic purchasing system: how many working days have gone by since
    ``start`` (when the entry window closed) at ``end`` (now), leaving out the days on which the clock
    was paused (while a clarification question to the provider was open).

    All the times are naive UTC. The days counted are the working days d with
    local(start).date() < d <= local(end).date(), in London time, so the day the window closed does
    not count and today does; a start and end on the same London day give 0 (as does an end before
    the start).

    The rule for pauses: a working day during which a clarification question was open for any part of
    the day is not counted. Day d (from midnight at its start to midnight at its end, in London) is left
    out when p_start < end of d and (p_end is None, still open, or p_end > start of d). So a question
    sent on Thursday and answered on Friday stops both days; one asked and answered within one day stops
    that day; an open question stops every day from the one it was asked on, today included. A question
    answered exactly at midnight does not stop the day that begins then.
    """
    for moment in (start, end):
        _check_naive(moment)
    pauses = _checked(pauses)
    count = 0
    for day in _days_after(to_local(start).date()):
        if day > to_local(end).date():
            break
        if is_working_day(day) and not _paused(day, pauses):
            count += 1
    return count


def decision_due_date(start: datetime, working_days: int, now: datetime,
                      pauses: Iterable[tuple[datetime, datetime | None]] = ()) -> date:
    """The London date of the ``working_days``-th counted working day after ``start``: the day the
    decision is due, under the same rule for pauses as ``working_days_elapsed``. A question still open
    is taken as answered at ``now``, so this is the due date as it stands; it moves a working day later
    for each further working day the question stays open."""
    for moment in (start, now):
        _check_naive(moment)
    if working_days < 1:
        raise ValueError("A decision deadline is at least 1 working day.")
    pauses = [(pause_start, pause_end if pause_end is not None else max(now, pause_start))
              for pause_start, pause_end in _checked(pauses)]
    count = 0
    for day in _days_after(to_local(start).date()):
        if is_working_day(day) and not _paused(day, pauses):
            count += 1
            if count == working_days:
                return day


def _checked(pauses: Iterable[tuple[datetime, datetime | None]]) -> list[tuple[datetime, datetime | None]]:
    pauses = list(pauses)
    for pause_start, pause_end in pauses:
        _check_naive(pause_start)
        if pause_end is not None:
            _check_naive(pause_end)
    return pauses


def _days_after(day: date):
    while True:
        day += timedelta(days=1)
        yield day


def _paused(day: date, pauses: list[tuple[datetime, datetime | None]]) -> bool:
    """Whether a pause was open at any moment of the London day (naive UTC bounds)."""
    start_of_day = local_datetime(day, time.min)
    end_of_day = local_datetime(day + timedelta(days=1), time.min)
    return any(pause_start < end_of_day and (pause_end is None or pause_end > start_of_day)
               for pause_start, pause_end in pauses)


def _check_date(day: date) -> None:
    if isinstance(day, datetime) or not isinstance(day, date):
        raise TypeError(f"Expected a date, not {type(day).__name__}: convert a datetime to its London date first.")


def _check_naive(moment: datetime) -> None:
    if not isinstance(moment, datetime):
        raise TypeError(f"Expected a naive UTC datetime, not {type(moment).__name__}.")
    if moment.tzinfo is not None:
        raise ValueError("Times must be naive UTC datetimes (the portal's convention), not timezone-aware ones.")
