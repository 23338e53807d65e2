"""The one place time events run: `flask scheduler run` starts a blocking APScheduler process.

Web workers start no scheduler (each would run every job again). Jobs are idempotent and catch
up at start on whatever fell due while no scheduler ran. Several schedulers may be started (on two
hosts, or while a deployment overlaps): only the leader (portal.leadership) runs the jobs; the others
wait and take over when it stops.
"""

import logging
import signal

from apscheduler.schedulers.blocking import BlockingScheduler

from portal import rate_limits
from portal.clock import now
from portal.extensions import db
from portal.leadership import leadership_for
from portal.services import (
    accounts,
    agreements,
    analytics_snapshots,
    jobs,
    ladder,
    mail,
    quarterly_returns,
    referrals,
    reminders,
    sessions,
    windows,
)
from portal.services.compliance import run_due as compliance_due

log = logging.getLogger("portal.scheduler")
_app = None


def run_time_events(app=None) -> list[str]:
    """Do everything that has fallen due: windows opening, closing and reminders, referral rounds closing, the
    reminders to providers, officers and evaluators, then e-mail, then clearing out expired sessions and counters."""
    app = app or _app
    with app.app_context(), app.test_request_context(base_url=app.config["PORTAL_BASE_URL"]):
        moment = now()
        done = windows.run_due(moment)
        done += referrals.run_due(moment)  # catches failures per referral
        done += reminders.run_due(moment)  # catches failures per kind
        done += quarterly_returns.run_due(moment)  # requests at each quarter's end, reminders, overdue
        done += agreements.sync_weekly_costs(moment)  # prices approved earlier taking effect today
        done += compliance_due(moment)  # evidence warnings and lapses, the monthly Ofsted review reminders
        done += jobs.run_each([("overdue ladder actions", ladder.run_due)], moment, family="ladder",
                              line=lambda name, count: f"escalated {count} {name}")
        sent = mail.dispatch_outbox(moment)
        if sent:
            done.append(f"sent {sent} e-mails")
        # After the e-mail: figures older than an hour that are still read, within a time budget; one that fails
        # is rolled back and waits its turn again.
        done += analytics_snapshots.refresh_stale(moment)
        done += _clean_up(moment)
    for line in done:
        log.info(line)
    return done


def _clean_up(moment) -> list[str]:
    """Forget sessions, sign-in failures and rate-limit counters that no longer count for anything."""
    purged = {
        "expired sessions": sessions.purge_expired(moment),
        "old sign-in failures": accounts.purge_sign_in_failures(moment),
        "expired rate-limit counters": rate_limits.purge_expired(),
    }
    return [f"deleted {count} {what}" for what, count in purged.items() if count]


# A lease (SQLite) lasts this many ticks: a leader that stops without handing over is replaced after it.
LEASE_TICKS = 10


def run_if_leading(app, leadership) -> list[str] | None:
    """One tick: run the time events if this scheduler leads (None if another one does)."""
    with app.app_context():
        was_leading = leadership.leading
        leadership.leading = leadership.hold(now())
    if leadership.leading != was_leading:
        log.info("scheduler %s %s", leadership.holder,
                 "now leads: it runs the time events" if leadership.leading else "is waiting while another one leads")
    if not leadership.leading:
        return None
    done = run_time_events(app)
    log.info("scheduler %s ran the time events", leadership.holder)
    return done


def run_forever(app, interval_seconds: int = 60) -> None:
    global _app
    _app = app
    with app.app_context():
        leadership = leadership_for(db.engine, lease_seconds=LEASE_TICKS * interval_seconds)
    scheduler = BlockingScheduler(timezone="Europe/London")
    scheduler.add_job(run_if_leading, "interval", args=[app, leadership], seconds=interval_seconds,
                      id="time-events", replace_existing=True, max_instances=1, coalesce=True)

    def stop(*_):
        """Stopped (SIGTERM): let the running tick finish, then hand over at once."""
        if not scheduler.running:
            raise KeyboardInterrupt  # still catching up
        scheduler.shutdown()

    signal.signal(signal.SIGTERM, stop)
    try:
        run_if_leading(app, leadership)  # catch up before the first tick
        log.info("scheduler running every %s seconds", interval_seconds)
        scheduler.start()
    except KeyboardInterrupt:
        pass
    finally:
        with app.app_context():
            leadership.release()
        log.info("scheduler %s stopped", leadership.holder)


def run_once(app) -> list[str] | None:
    """`flask scheduler once`: the time events, unless a running scheduler leads (None then)."""
    with app.app_context():
        leadership = leadership_for(db.engine, lease_seconds=600)
    try:
        return run_if_leading(app, leadership)
    finally:
        with app.app_context():
            leadership.release()
