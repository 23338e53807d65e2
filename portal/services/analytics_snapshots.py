"""The analytics pages' figures, stored. Each figure aggregates every placement, referral and bid of its scope, so
its cost grows with the data (18 s for a consortium at national scale): a page reads its figures from a snapshot
instead, one row per scope (whose, which quarters, which lot) read in one statement, written in one transaction.

A snapshot is computed on the first request for its scope, refreshed by the scheduler once it is older than
STALE_AFTER (only those read in the last WANTED_FOR, a few per tick), and at once when a user asks. The page says
when its figures were computed. A read marks the snapshot wanted at most once per STALE_AFTER, so nearly every read
is the one statement.
"""

import hashlib
import json
import logging
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa

from portal.charts import Figure, Series
from portal.extensions import db
from portal.models import AnalyticsSnapshot
from portal.quarters import parse
from portal.services import analytics, audit
from portal.services.analytics import Scope

STALE_AFTER = timedelta(hours=1)
WANTED_FOR = timedelta(days=1)  # a snapshot nobody has read for this long is not refreshed
FORGOTTEN_AFTER = timedelta(days=30)  # nor kept
REFRESH_PER_TICK = 10
REFRESH_BUDGET_SECONDS = 30  # of work per scheduler tick, so round closing and e-mail are not held up
ASKED_AT_MOST_EVERY = timedelta(minutes=5)  # a user's "compute again" within this of the last computation waits

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Stored:
    figures: list[Figure]
    computed_at: datetime

    def figure(self, key: str) -> Figure | None:
        return next((figure for figure in self.figures if figure.key == key), None)


def stored_figures(scope: Scope, now: datetime) -> Stored:
    """The scope's figures as last computed: read in one statement, computed and stored first if there are none."""
    key, _ = _key_of(scope)
    snapshot = db.session.scalar(db.select(AnalyticsSnapshot).where(AnalyticsSnapshot.scope_key == key))
    if snapshot is None:
        return refresh(scope, now)
    if snapshot.wanted_at <= now - STALE_AFTER:
        snapshot.wanted_at = now
        db.session.commit()
    return Stored(_figures_from(snapshot.figures), snapshot.computed_at)


def refresh(scope: Scope, now: datetime, *, actor=None) -> Stored:
    """Compute the scope's figures now and store them in one transaction (audited when a user asked)."""
    figures = analytics.figures(scope, now)
    key, scope_json = _key_of(scope)
    snapshot = db.session.scalar(db.select(AnalyticsSnapshot).where(AnalyticsSnapshot.scope_key == key))
    if snapshot is None:
        snapshot = AnalyticsSnapshot(scope_key=key, scope=scope_json, wanted_at=now)
        db.session.add(snapshot)
    snapshot.figures = _figures_json(figures)
    snapshot.computed_at = now
    try:
        if actor is not None:
            db.session.flush()  # the snapshot's id, for the audit event
            audit.record(at=now, actor=actor, action="analytics.refreshed", entity=snapshot,
                         summary="Analytics figures computed again")
        db.session.commit()
    except sa.exc.IntegrityError:
        db.session.rollback()  # another request stored the same scope's figures at the same moment: theirs stand
    return Stored(figures, now)


def refresh_asked(scope: Scope, now: datetime, *, actor) -> bool:
    """A user's "compute again": done, and True, unless the figures were computed within ASKED_AT_MOST_EVERY (each
    computation takes seconds at scale, and two clicks must not hold every worker)."""
    key, _ = _key_of(scope)
    computed_at = db.session.scalar(db.select(AnalyticsSnapshot.computed_at).where(AnalyticsSnapshot.scope_key == key))
    if computed_at is not None and computed_at > now - ASKED_AT_MOST_EVERY:
        return False
    refresh(scope, now, actor=actor)
    return True


def refresh_message(done: bool) -> tuple[str, str]:
    """What a user is told after asking to compute the figures again, and the message's kind."""
    if done:
        return "The figures have been computed again", "success"
    minutes = int(ASKED_AT_MOST_EVERY.total_seconds() // 60)
    return f"These figures were computed less than {minutes} minutes ago, so they have not been computed again", "info"


def refresh_stale(now: datetime) -> list[str]:
    """The scheduler's job: compute again the oldest snapshots past STALE_AFTER that someone still reads, each in
    its own transaction, and forget those nobody has read for FORGOTTEN_AFTER."""
    forgotten = db.session.execute(
        db.delete(AnalyticsSnapshot).where(AnalyticsSnapshot.wanted_at < now - FORGOTTEN_AFTER)).rowcount
    db.session.commit()
    stale = db.session.scalars(
        db.select(AnalyticsSnapshot.scope)
        .where(AnalyticsSnapshot.computed_at <= now - STALE_AFTER, AnalyticsSnapshot.wanted_at > now - WANTED_FOR)
        .order_by(AnalyticsSnapshot.computed_at, AnalyticsSnapshot.id).limit(REFRESH_PER_TICK)).all()
    started, refreshed = time.monotonic(), 0
    for scope_json in stale:
        if time.monotonic() - started > REFRESH_BUDGET_SECONDS:
            break  # the rest wait for the next tick
        try:
            refresh(_scope_from(scope_json), now)
            refreshed += 1
        except Exception:
            db.session.rollback()
            log.exception("analytics snapshot could not be computed; it waits its turn again")
            _put_back(scope_json, now)
    done = [f"refreshed {refreshed} analytics snapshots"] if refreshed else []
    return done + ([f"deleted {forgotten} unread analytics snapshots"] if forgotten else [])


def _put_back(scope_json: str, now: datetime) -> None:
    """A snapshot that failed to compute goes to the back of the queue, so it does not fail first every tick."""
    key = hashlib.sha256(scope_json.encode()).hexdigest()
    db.session.execute(db.update(AnalyticsSnapshot).where(AnalyticsSnapshot.scope_key == key).values(computed_at=now))
    db.session.commit()


# Stored as JSON ------------------------------------------------------------------------------------------------

def _key_of(scope: Scope) -> tuple[str, str]:
    scope_json = json.dumps({
        "authority_ids": sorted(scope.authority_ids), "quarters": [quarter.key for quarter in scope.quarters],
        "dps_ids": sorted(scope.dps_ids) if scope.dps_ids is not None else None, "lot_id": scope.lot_id,
    }, sort_keys=True)
    return hashlib.sha256(scope_json.encode()).hexdigest(), scope_json


def _scope_from(scope_json: str) -> Scope:
    read = json.loads(scope_json)
    dps_ids = tuple(read["dps_ids"]) if read["dps_ids"] is not None else None
    return Scope(authority_ids=tuple(read["authority_ids"]), quarters=tuple(parse(key) for key in read["quarters"]),
                 dps_ids=dps_ids, lot_id=read["lot_id"])


def _figures_json(figures: list[Figure]) -> str:
    """Decimals as {"d": "12.50"}, so they come back as the same Decimals (and ints as ints)."""
    def value(item):
        if isinstance(item, Decimal):
            return {"d": str(item)}
        raise TypeError(f"cannot store {item!r}")

    return json.dumps([asdict(figure) for figure in figures], default=value)


def _figures_from(figures_json: str) -> list[Figure]:
    def value(item):
        return Decimal(item["d"]) if isinstance(item, dict) else item

    figures = []
    for read in json.loads(figures_json):
        series = [Series(item["name"], [value(number) for number in item["values"]]) for item in read.pop("series")]
        figures.append(Figure(series=series, **read))
    return figures
