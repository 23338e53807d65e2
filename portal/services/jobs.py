"""The scheduler's jobs of one family run each on its own: a job that fails is rolled back and logged, and the
others still run (each commits its own work)."""

import logging
from collections.abc import Callable
from datetime import datetime

from portal.extensions import db

log = logging.getLogger(__name__)


def run_each(jobs, now: datetime, *, family: str, line: Callable[[str, int], str]) -> list[str]:
    """Run each (name, job) of `jobs` at `now`; a line for the log for each that did something (`line(name,
    count)`)."""
    done = []
    for name, job in jobs:
        try:
            count = job(now)
        except Exception:
            db.session.rollback()
            log.exception("%s (%s) failed and were rolled back; the others carry on", family, name)
            continue
        if count:
            done.append(line(name, count))
    return done
