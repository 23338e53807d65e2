"""Which scheduler does the timed work when several are started (two hosts, a redeploy overlapping the old one):
exactly one leads; the others wait and take over when it stops.

On PostgreSQL the leader holds a session-level advisory lock on a connection of its own, for as long as it runs:
the database lets it go the moment that connection closes, however the process ended. Elsewhere (SQLite) the
leader holds a lease, a row in `scheduler_lease` with its name and an expiry that it pushes back each tick;
another scheduler takes the row over once the lease has expired.
"""

import os
import socket
from datetime import datetime, timedelta
from uuid import uuid4

import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from portal.extensions import db
from portal.models import SchedulerLease

# Any number, the same for every scheduler of a portal; "portal" in ASCII.
ADVISORY_LOCK_KEY = 0x706F7274616C
LEASE_NAME = "scheduler"


def holder_name() -> str:
    """This scheduler, as its lease names it (and its log says)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid4().hex[:6]}"


class AdvisoryLock:
    """Leadership on PostgreSQL: `pg_try_advisory_lock` on a dedicated, unpooled connection."""

    def __init__(self, url, holder: str):
        self.holder = holder
        self.leading: bool | None = None  # as of the last tick
        self._engine = sa.create_engine(url, poolclass=NullPool)
        self._connection = None

    def hold(self, now: datetime) -> bool:
        """Whether this scheduler leads now: keeps the lock it holds, or tries to take it."""
        if self._connection is not None:
            try:
                self._connection.execute(sa.text("SELECT 1"))
                self._connection.commit()
                return True
            except sa.exc.DBAPIError:
                self._close()  # the connection died, and the lock with it: try again below
        connection = self._engine.connect()
        taken = connection.scalar(sa.select(sa.func.pg_try_advisory_lock(ADVISORY_LOCK_KEY)))
        connection.commit()
        if taken:
            self._connection = connection
        else:
            connection.close()
        return bool(taken)

    def release(self) -> None:
        self._close()
        self._engine.dispose()

    def _close(self) -> None:
        if self._connection is not None:
            self._connection.invalidate()  # closes the connection to the database, which lets the lock go
            self._connection = None


class Lease:
    """Leadership on a database without advisory locks: a lease row renewed each tick (needs an app context)."""

    def __init__(self, holder: str, seconds: int):
        self.holder = holder
        self.leading: bool | None = None  # as of the last tick
        self.length = timedelta(seconds=seconds)

    def hold(self, now: datetime) -> bool:
        """Whether this scheduler leads now: renews its own lease, or takes over one that has expired."""
        renewed = db.session.execute(
            db.update(SchedulerLease)
            .where(SchedulerLease.name == LEASE_NAME,
                   db.or_(SchedulerLease.holder == self.holder, SchedulerLease.expires_at <= now))
            .values(holder=self.holder, expires_at=now + self.length)
        ).rowcount
        if renewed:
            db.session.commit()
            return True
        db.session.rollback()
        if db.session.get(SchedulerLease, LEASE_NAME) is not None:
            return False  # another scheduler's lease, still running
        try:
            db.session.add(SchedulerLease(name=LEASE_NAME, holder=self.holder, expires_at=now + self.length))
            db.session.commit()
        except sa.exc.IntegrityError:
            db.session.rollback()  # another scheduler wrote the first lease at the same moment
            return False
        return True

    def release(self) -> None:
        """Hand over at once when stopping, rather than when the lease would expire."""
        db.session.execute(db.delete(SchedulerLease).where(SchedulerLease.name == LEASE_NAME,
                                                           SchedulerLease.holder == self.holder))
        db.session.commit()


def leadership_for(engine, *, lease_seconds: int):
    """The advisory lock on PostgreSQL, else a lease."""
    holder = holder_name()
    if engine.dialect.name == "postgresql":
        return AdvisoryLock(engine.url, holder)
    return Lease(holder, lease_seconds)
