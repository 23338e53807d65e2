"""English working days, and the decision clock counted in them.

A working day is a Monday to Friday that is not a bank holiday in England (England and Wales share
them). The bank holidays come from the ``holidays`` package, which includes the substitute days when
Christmas, Boxing Day or New Year's Day fall at a weekend and the one-off days (the Platinum Jubilee
and the Queen's state funeral in 2022, the coronation in 2023). One-off days announced after the
installed version of the package was released are not known to it: keep the package up to date.

Times are naive UTC datetimes (the project's convention); days are London days (portal.timezone).
"""

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from functools import lru_cache

import holidays

from portal.timezone import local_datetime, to_local

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
    the start). A day d is left out when a pause was running at the end of d (midnight at the end of
    d in London), that is when p_start <= end of d and (p_end is None, still open, or p_end > end of d).
    So a pause that opens and closes within one day stops nothing; one that runs overnight stops the
    day it was running at midnight; an open pause stops every day from the one it started on
    (including today, whose end it is still expected to be running at).
    """
    for moment in (start, end):
        _check_naive(moment)
    pauses = list(pauses)
    for pause_start, pause_end in pauses:
        _check_naive(pause_start)
        if pause_end is not None:
            _check_naive(pause_end)

    first = to_local(start).date() + timedelta(days=1)
    last = to_local(end).date()
    count = 0
    day = first
    while day <= last:
        if is_working_day(day):
            end_of_day = local_datetime(day + timedelta(days=1), time.min)  # naive UTC
            if not any(pause_start <= end_of_day and (pause_end is None or pause_end > end_of_day)
                       for pause_start, pause_end in pauses):
                count += 1
        day += timedelta(days=1)
    return count


def _check_date(day: date) -> None:
    if isinstance(day, datetime) or not isinstance(day, date):
        raise TypeError(f"Expected a date, not {type(day).__name__}: convert a datetime to its London date first.")


def _check_naive(moment: datetime) -> None:
    if not isinstance(moment, datetime):
        raise TypeError(f"Expected a naive UTC datetime, not {type(moment).__name__}.")
    if moment.tzinfo is not None:
        raise ValueError("Times must be naive UTC datetimes (the portal's convention), not timezone-aware ones.")
