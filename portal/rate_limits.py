"""Rate-limit counters in the portal's database, so every web worker counts against the same limits without
Redis. Flask-Limiter finds this storage by its scheme, `database://` (the default RATELIMIT_STORAGE_URI);
with REDIS_URL set, the limits live in Redis instead.

Only the fixed-window strategy is supported (Flask-Limiter's default). Counters are written on their own
connection, so a count is kept even when the request's own transaction is rolled back. Times are Unix times
because the limits library counts its windows that way.
"""

import time

import sqlalchemy as sa
from limits.storage import Storage
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from portal.extensions import db
from portal.models import RateLimitCounter

SCHEME = "database"
COUNTERS = RateLimitCounter.__table__
_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


class DatabaseStorage(Storage):
    STORAGE_SCHEME = [SCHEME]

    @property
    def base_exceptions(self):
        return SQLAlchemyError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        moment = time.time()
        insert = _INSERTS[db.engine.dialect.name](COUNTERS)
        expired = COUNTERS.c.expires_at <= moment
        # One statement, so two workers counting at the same moment cannot lose a hit.
        statement = insert.values(key=key, hits=amount, expires_at=moment + expiry).on_conflict_do_update(
            index_elements=[COUNTERS.c.key],
            set_={
                "hits": sa.case((expired, amount), else_=COUNTERS.c.hits + amount),
                "expires_at": sa.case((expired, moment + expiry), else_=COUNTERS.c.expires_at),
            },
        ).returning(COUNTERS.c.hits)
        with db.engine.begin() as connection:
            return connection.execute(statement).scalar_one()

    def get(self, key: str) -> int:
        with db.engine.connect() as connection:
            hits = connection.execute(sa.select(COUNTERS.c.hits).where(
                COUNTERS.c.key == key, COUNTERS.c.expires_at > time.time())).scalar()
        return hits or 0

    def get_expiry(self, key: str) -> float:
        with db.engine.connect() as connection:
            expires_at = connection.execute(sa.select(COUNTERS.c.expires_at).where(COUNTERS.c.key == key)).scalar()
        return expires_at or time.time()

    def check(self) -> bool:
        try:
            with db.engine.connect() as connection:
                connection.execute(sa.select(1))
        except SQLAlchemyError:
            return False
        return True

    def reset(self) -> int | None:
        with db.engine.begin() as connection:
            return connection.execute(sa.delete(COUNTERS)).rowcount

    def clear(self, key: str) -> None:
        with db.engine.begin() as connection:
            connection.execute(sa.delete(COUNTERS).where(COUNTERS.c.key == key))


def purge_expired() -> int:
    """Delete counters whose window has passed; returns how many."""
    with db.engine.begin() as connection:
        return connection.execute(sa.delete(COUNTERS).where(COUNTERS.c.expires_at <= time.time())).rowcount
