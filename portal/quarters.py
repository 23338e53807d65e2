"""The councils' financial quarters: April to June (Q1), July to September (Q2), October to December (Q3) and
January to March (Q4). A financial year is named by the year it starts in: 2026-27 runs from 1 April 2026 to
31 March 2027. Quarters are UK dates; `start_utc` and `end_utc` bound a quarter in the stored (UTC) times, so a
record made at 00:30 UK time on 1 July in summer time (23:30 UTC on 30 June) falls in Q2.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime, time

from portal.timezone import local_datetime, to_local

FIRST_MONTHS = {1: 4, 2: 7, 3: 10, 4: 1}  # the month each quarter starts in
MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
               "November", "December")
KEY = re.compile(r"(\d{4})-Q([1-4])")


@dataclass(frozen=True, order=True)
class Quarter:
    year: int  # the calendar year the financial year starts in
    number: int  # 1 to 4

    @property
    def start(self) -> date:
        """The first day of the quarter."""
        month = FIRST_MONTHS[self.number]
        return date(self.year + (1 if self.number == 4 else 0), month, 1)

    @property
    def end(self) -> date:
        """The first day after the quarter (the start of the next one)."""
        return self.next.start

    @property
    def last_day(self) -> date:
        return date.fromordinal(self.end.toordinal() - 1)

    @property
    def start_utc(self) -> datetime:
        return local_datetime(self.start, time(0, 0))

    @property
    def end_utc(self) -> datetime:
        return local_datetime(self.end, time(0, 0))

    @property
    def next(self) -> "Quarter":
        return Quarter(self.year + 1, 1) if self.number == 4 else Quarter(self.year, self.number + 1)

    @property
    def previous(self) -> "Quarter":
        return Quarter(self.year - 1, 4) if self.number == 1 else Quarter(self.year, self.number - 1)

    @property
    def financial_year(self) -> str:
        return f"{self.year}-{(self.year + 1) % 100:02d}"

    @property
    def key(self) -> str:
        """For URLs and forms: "2026-Q2"."""
        return f"{self.year}-Q{self.number}"

    @property
    def label(self) -> str:
        """ "Q2 2026-27 (July to September 2026)"."""
        first, last = self.start, self.last_day
        return (f"Q{self.number} {self.financial_year} ({MONTH_NAMES[first.month - 1]} to "
                f"{MONTH_NAMES[last.month - 1]} {last.year})")

    @property
    def short_label(self) -> str:
        return f"Q{self.number} {self.financial_year}"

    def contains(self, day: date) -> bool:
        return self.start <= day < self.end

    def days(self) -> int:
        return (self.end - self.start).days


def quarter_of(day: date) -> Quarter:
    """The quarter a UK date falls in."""
    if day.month <= 3:
        return Quarter(day.year - 1, 4)
    return Quarter(day.year, (day.month - 4) // 3 + 1)


def quarter_at(utc: datetime) -> Quarter:
    """The quarter a stored (naive UTC) time falls in, in UK time."""
    return quarter_of(to_local(utc).date())


def parse(key: str | None) -> Quarter | None:
    """The quarter of a key such as "2026-Q2"; None when it is not one."""
    match = KEY.fullmatch((key or "").strip())
    return Quarter(int(match[1]), int(match[2])) if match else None


def last_n(latest: Quarter, count: int) -> list[Quarter]:
    """`count` quarters ending with `latest`, oldest first."""
    quarters = [latest]
    while len(quarters) < count:
        quarters.append(quarters[-1].previous)
    return quarters[::-1]
