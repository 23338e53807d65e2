"""Server-side sessions. The signed cookie carries a random token; the session itself (whose it is, when it
began, when it was last used) is kept in the database, or in Redis when REDIS_URL is set. Signing out deletes
it, so a copy of the cookie is worth nothing afterwards.

A session ends when it has not been used for SESSION_MINUTES (idle) or ABSOLUTE_LIFETIME after signing in,
whichever comes first. Signing out ends only that browser's session; a password change or deactivation ends
every session of the account (see portal.auth.load_user).
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app

from portal.extensions import db
from portal.models import UserSession

ABSOLUTE_LIFETIME = timedelta(hours=12)
# Writing last-seen on every request would put a write on every page; a minute's precision is plenty.
TOUCH_AFTER = timedelta(minutes=1)
# An ended session is kept this long, unusable, so whoever comes back to it is told why they were signed out.
KEPT_AFTER_ENDING = timedelta(days=7)

ACTIVE = "active"
IDLE = "idle"
TOO_OLD = "too old"
ENDED = "ended"


@dataclass
class SessionRecord:
    user_id: int
    created_at: datetime
    last_seen_at: datetime


def _key(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def idle_lifetime() -> timedelta:
    return current_app.config["PERMANENT_SESSION_LIFETIME"]


def state_of(record: SessionRecord | None, now: datetime) -> str:
    if record is None:
        return ENDED
    too_old = now - record.created_at >= ABSOLUTE_LIFETIME
    idle = now - record.last_seen_at > idle_lifetime()
    if too_old and idle:  # say what ended it first
        ended_by_age = record.created_at + ABSOLUTE_LIFETIME <= record.last_seen_at + idle_lifetime()
        return TOO_OLD if ended_by_age else IDLE
    if too_old:
        return TOO_OLD
    return IDLE if idle else ACTIVE


class DatabaseSessions:
    """Sessions in the user_session table, shared by every web worker."""

    def add(self, key: str, record: SessionRecord) -> None:
        db.session.add(UserSession(id=key, user_id=record.user_id, created_at=record.created_at,
                                   last_seen_at=record.last_seen_at))
        db.session.commit()

    def get(self, key: str) -> SessionRecord | None:
        row = db.session.get(UserSession, key)
        return row and SessionRecord(row.user_id, row.created_at, row.last_seen_at)

    def touch(self, key: str, now: datetime) -> None:
        db.session.execute(db.update(UserSession).where(UserSession.id == key).values(last_seen_at=now))
        db.session.commit()

    def delete(self, key: str) -> None:
        db.session.execute(db.delete(UserSession).where(UserSession.id == key))
        db.session.commit()

    def delete_all_of(self, user_id: int) -> None:
        db.session.execute(db.delete(UserSession).where(UserSession.user_id == user_id))
        db.session.commit()

    def purge(self, now: datetime) -> int:
        forgotten = now - KEPT_AFTER_ENDING
        result = db.session.execute(db.delete(UserSession).where(
            (UserSession.last_seen_at < forgotten - idle_lifetime())
            | (UserSession.created_at <= forgotten - ABSOLUTE_LIFETIME)))
        db.session.commit()
        return result.rowcount


class RedisSessions:
    """Sessions in Redis. Redis drops a session by itself once it can no longer be used (its expiry is
    renewed with each touch), so nothing needs purging."""

    PREFIX = "portal:session:"
    USER_PREFIX = "portal:user-sessions:"  # the keys of each user's sessions, to end them all at once

    def __init__(self, url: str):
        import redis

        self.redis = redis.Redis.from_url(url, decode_responses=True)

    def _expire(self, key: str, record: SessionRecord, now: datetime) -> None:
        remaining = min(idle_lifetime(), record.created_at + ABSOLUTE_LIFETIME - now) + KEPT_AFTER_ENDING
        self.redis.expire(self.PREFIX + key, max(1, int(remaining.total_seconds())))

    def add(self, key: str, record: SessionRecord) -> None:
        self.redis.hset(self.PREFIX + key, mapping={
            "user_id": record.user_id, "created_at": record.created_at.isoformat(),
            "last_seen_at": record.last_seen_at.isoformat()})
        self._expire(key, record, record.last_seen_at)
        index = self.USER_PREFIX + str(record.user_id)
        self.redis.sadd(index, key)
        self.redis.expire(index, int((ABSOLUTE_LIFETIME + KEPT_AFTER_ENDING).total_seconds()))

    def get(self, key: str) -> SessionRecord | None:
        fields = self.redis.hgetall(self.PREFIX + key)
        if not fields:
            return None
        return SessionRecord(int(fields["user_id"]), datetime.fromisoformat(fields["created_at"]),
                             datetime.fromisoformat(fields["last_seen_at"]))

    def touch(self, key: str, now: datetime) -> None:
        record = self.get(key)
        if record is not None:
            self.redis.hset(self.PREFIX + key, "last_seen_at", now.isoformat())
            self._expire(key, record, now)

    def delete(self, key: str) -> None:
        self.redis.delete(self.PREFIX + key)

    def delete_all_of(self, user_id: int) -> None:
        index = self.USER_PREFIX + str(user_id)
        keys = self.redis.smembers(index)
        if keys:
            self.redis.delete(*(self.PREFIX + key for key in keys))
        self.redis.delete(index)

    def purge(self, now: datetime) -> int:
        return 0


def init_app(app) -> None:
    url = app.config.get("REDIS_URL")
    app.extensions["session_store"] = RedisSessions(url) if url else DatabaseSessions()


def _store():
    return current_app.extensions["session_store"]


def start(user_id: int, now: datetime) -> str:
    """Begin a session for the user; returns the token for the cookie."""
    token = secrets.token_urlsafe(32)
    _store().add(_key(token), SessionRecord(user_id, now, now))
    return token


def check(token: str, user_id: int, now: datetime) -> str:
    """ACTIVE if the token names a live session of this user (and notes the activity), else why not. A session
    found expired is deleted there and then."""
    key = _key(token)
    record = _store().get(key)
    if record is not None and record.user_id != user_id:
        return ENDED
    state = state_of(record, now)
    if state in (IDLE, TOO_OLD):
        _store().delete(key)
    elif state == ACTIVE and now - record.last_seen_at >= TOUCH_AFTER:
        _store().touch(key, now)
    return state


def end(token: str) -> None:
    _store().delete(_key(token))


def end_all_of(user_id: int) -> None:
    """End every session of the user (their account was deactivated)."""
    _store().delete_all_of(user_id)


def purge_expired(now: datetime) -> int:
    """Delete sessions that ended more than KEPT_AFTER_ENDING ago; returns how many."""
    return _store().purge(now)
